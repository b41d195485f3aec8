"""Security headers on every page of the URL map, and production settings that refuse to start.

Every GET route is requested by an administrator (ids from the IDOR matrix's factories), so the
pages are the real ones, not error pages; every HTML answer must carry the headers.
"""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from config import ProductionConfig, TestingConfig
from emergency import create_app
from emergency.auth.services import create_token
from emergency.extensions import db
from tests.factories import log_in
from tests.test_idor import FACTORIES, OTHER_ARGUMENTS, World, admin_world, fill

ROOT = Path(__file__).resolve().parents[2]
#: Values for the non-id arguments of GET routes without ids.
MORE_ARGUMENTS = {"token": "0" * 43, "kind": "units", "filename": "app.css", "fmt": "xlsx"}
SKIPPED_ENDPOINTS = {"static", "bootstrap.static"}  # files; checked once below


def _get_rules():
    return sorted((rule.rule, rule.endpoint)
                  for rule in create_app(TestingConfig).url_map.iter_rules()
                  if "GET" in (rule.methods or set()) and rule.endpoint not in SKIPPED_ENDPOINTS)


GET_RULES = _get_rules()


world = pytest.fixture(admin_world, name="world")


def url_for(rule: str, world: World) -> str:
    values = {}
    for name in re.findall(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>", rule):
        if name in FACTORIES:
            values[name] = FACTORIES[name](world)
        else:
            values[name] = MORE_ARGUMENTS.get(name, OTHER_ARGUMENTS.get(name))
            assert values[name] is not None, f"{rule}: add a value for <{name}> to MORE_ARGUMENTS"
    return fill(rule, values)


def header_problems(response) -> list[str]:
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    problems = []
    for directive in ("default-src 'self'", "object-src 'none'", "frame-ancestors 'self'",
                      "base-uri 'self'", "form-action 'self'"):
        if directive not in csp:
            problems.append(f"CSP lacks {directive}")
    expected = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "SAMEORIGIN",
                "Referrer-Policy": "same-origin"}
    for name, value in expected.items():
        if headers.get(name) != value:
            problems.append(f"{name}={headers.get(name)!r}")
    # No inline script or event handlers: the CSP would block them, so none may be needed.
    if response.mimetype == "text/html":
        text = response.get_data(as_text=True)
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(r"\son[a-z]+=\"", text):
            problems.append("inline script or event handler in the page")
    return problems


def test_every_get_route_answers_with_the_security_headers(app, world):
    client = app.test_client()
    log_in(client, world.admin)
    _token, secret = create_token(world.admin, "headers")
    db.session.commit()
    api = {"Authorization": f"Bearer {secret}"}
    problems, html, statuses = [], 0, {}
    for rule, _endpoint in GET_RULES:
        url = url_for(rule, world)
        response = client.get(url, headers=api if url.startswith("/api/") else {})
        response.get_data()
        response.close()
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        if response.status_code >= 500:
            problems.append(f"{url}: {response.status_code}")
        html += response.mimetype == "text/html"
        problems += [f"{url}: {problem}" for problem in header_problems(response)]
    assert not problems, "\n".join(problems)
    # Control: the administrator really saw pages, not a wall of redirects or 404s.
    assert statuses.get(200, 0) >= len(GET_RULES) * 3 // 4, statuses
    print(f"\n{len(GET_RULES)} GET routes, {html} HTML answers, statuses {statuses}")


@pytest.mark.parametrize(("method", "path", "kwargs"), [
    ("GET", "/static/app.css", {}),
    ("GET", "/no-such-page", {}),
    ("DELETE", "/login", {}),
    ("POST", "/login", {"data": {"username": "a\x00", "password": "x"}}),
])
def test_error_pages_and_files_carry_the_headers_too(app, client, method, path, kwargs):
    response = client.open(path, method=method, **kwargs)
    response.close()
    assert response.status_code in (200, 400, 404, 405)
    assert header_problems(response) == []


# --- production settings ------------------------------------------------------------------------


def production(tmp_path, **changes) -> dict:
    settings = {k: getattr(ProductionConfig, k) for k in dir(ProductionConfig) if k.isupper()}
    settings.update(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/p.db",
                    SECRET_KEY=secrets.token_hex(32))
    settings.update(changes)
    return settings


@pytest.mark.parametrize("key", [
    None, "", "dev", "secret", "changeme", "x" * 31, "testing-secret-key",
    "please-change-me", "your-secret-key",
])
def test_production_refuses_a_missing_or_weak_secret(tmp_path, monkeypatch, key):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(production(tmp_path, SECRET_KEY=key))
    # Nothing falls back to a generated key file in production.
    assert not list(tmp_path.rglob("secret_key"))


def test_production_refuses_debug_from_config_or_environment(tmp_path, monkeypatch):
    with pytest.raises(RuntimeError, match="Debug"):
        create_app(production(tmp_path, DEBUG=True))
    monkeypatch.setenv("FLASK_DEBUG", "1")
    with pytest.raises(RuntimeError, match="Debug"):
        create_app(production(tmp_path))


def test_production_starts_with_a_strong_secret(tmp_path):
    app = create_app(production(tmp_path))
    assert app.debug is False and app.config["SESSION_COOKIE_HTTPONLY"] is True


def run_flask(tmp_path, *args, **env):
    environment = {k: v for k, v in os.environ.items()
                   if k not in {"SECRET_KEY", "FLASK_DEBUG", "EMERGENCY_ENV", "DATABASE_URL"}}
    environment.update(EMERGENCY_ENV="production", DATABASE_URL=f"sqlite:///{tmp_path}/c.db",
                       **env)
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT,
                          env=environment, capture_output=True, text=True, timeout=120)


def test_the_real_entry_point_refuses_unsafe_production_settings(tmp_path):
    """wsgi.py as gunicorn and `flask` load it, with settings from the environment only."""
    missing = run_flask(tmp_path, "routes")
    assert missing.returncode != 0 and "SECRET_KEY must be set" in missing.stderr
    weak = run_flask(tmp_path, "routes", SECRET_KEY="changeme")
    assert weak.returncode != 0 and "SECRET_KEY is too weak" in weak.stderr
    debug = run_flask(tmp_path, "--debug", "routes", SECRET_KEY=secrets.token_hex(32))
    assert debug.returncode != 0 and "Debug mode must never run in production" in debug.stderr
    fine = run_flask(tmp_path, "routes", SECRET_KEY=secrets.token_hex(32))
    assert fine.returncode == 0, fine.stderr
