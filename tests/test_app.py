"""App factory, configuration, health check, headers and error pages."""

import pytest

from config import ProductionConfig
from emergency import create_app


def test_healthz_reports_database_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    data = response.get_json()
    assert (data["status"], data["database"]) == ("ok", "ok")
    # Job runs are reported from the database; a web worker never runs the scheduler itself.
    assert data["scheduler"] == {"runs_in_this_process": False, "jobs": {}}


def test_login_page_is_chinese_by_default(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert '<html lang="zh-CN">' in response.text
    assert "登录" in response.text


@pytest.mark.parametrize("path", ["/login", "/no-such-page"])
def test_security_headers_on_html(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"


def test_unknown_page_is_a_translated_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "未找到" in response.text


def test_production_refuses_to_start_without_secret(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({**_production(tmp_path), "SECRET_KEY": None})


def test_production_refuses_debug(tmp_path):
    with pytest.raises(RuntimeError, match="Debug"):
        create_app({**_production(tmp_path), "SECRET_KEY": "x" * 32, "DEBUG": True})


def test_production_starts_with_secret_and_no_debug(tmp_path):
    app = create_app({**_production(tmp_path), "SECRET_KEY": "x" * 32})
    assert app.debug is False
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True


def _production(tmp_path) -> dict:
    settings = {k: getattr(ProductionConfig, k) for k in dir(ProductionConfig) if k.isupper()}
    settings["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path}/p.db"
    return settings


def test_generated_secret_is_stable_across_app_instances(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    settings = {"SECRET_KEY": None, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/d.db"}
    first = create_app(dict(settings))
    second = create_app(dict(settings))
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) == 64
