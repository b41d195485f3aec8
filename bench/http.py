"""Page latency under load: gunicorn on the generated data, driven by wrk with 20 connections.

    .venv/bin/python -m bench.http --database postgresql+psycopg://postgres@127.0.0.1/bench_province

Starts gunicorn (production config, several workers) on 127.0.0.1, logs in as the generated
office account (scoped to the whole province), creates an API token, checks that every endpoint
answers 200 with real content (not the login page), then runs wrk for each endpoint and prints
requests/s, p50, p95, p99 and the ratio to /healthz. Any non-2xx/3xx answer, socket error or
timeout is an error and is reported; the command exits 1 if there was any.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from sqlalchemy import select, text

from bench.common import make_app
from bench.generate import BENCH_PASSWORD

ROOT = Path(__file__).resolve().parent.parent
LUA = """
done = function(summary, latency, requests)
  io.write(string.format("BENCH %d %d %.0f %.0f %.0f %.0f %d %d %d %d %d\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout))
end
"""


def prepare(url: str) -> dict:
    """Make sure a scan is stored, create an API token; return the endpoints to drive."""
    from flask import g

    from emergency.auth.models import User
    from emergency.auth.services import create_token
    from emergency.compliance.models import Obligation
    from emergency.compliance.scan import scan
    from emergency.extensions import db
    from emergency.units.models import Unit

    from bench.common import DEFAULT_TODAY

    app = make_app(url)
    with app.app_context():
        g.audit_actor = "bench"
        if not db.session.scalar(select(Obligation.id).limit(1)):
            print("  no stored scan: running it first", file=sys.stderr, flush=True)
            from datetime import date

            scan(date.fromisoformat(DEFAULT_TODAY))
            db.session.commit()
        office = db.session.scalar(select(User).where(User.username == "office"))
        _token, secret = create_token(office, f"bench {secrets.token_hex(3)}")
        # A mid-sized enterprise in the middle of the id range: an ordinary detail page.
        count = db.session.scalar(text("SELECT count(*) FROM units"))
        unit_id = db.session.scalar(select(Unit.id).where(Unit.kind == "enterprise",
                                                          Unit.id >= count // 2).order_by(Unit.id))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return {"token": secret, "endpoints": [
        ("healthz", "/healthz", None),
        ("dashboard", "/dashboard/", "cookie"),
        ("unit list (kind+tag filter)", "/units/?kind=enterprise&tag=hazardous_chemicals", "cookie"),
        ("compliance list", "/compliance/", "cookie"),
        ("unit detail", f"/units/{unit_id}", "cookie"),
        ("API unit list", "/api/v1/units?kind=school", "bearer"),
    ]}


def start_gunicorn(url: str, port: int, workers: int, threads: int, log: Path) -> subprocess.Popen:
    env = dict(os.environ, DATABASE_URL=url, EMERGENCY_ENV="production",
               SECRET_KEY=secrets.token_hex(32), UPLOAD_ROOT=tempfile.mkdtemp(prefix="bench-up-"))
    command = [str(ROOT / ".venv/bin/gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers",
               str(workers), "--threads", str(threads), "--timeout", "120", "wsgi:app"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("w"),
                               stderr=subprocess.STDOUT, start_new_session=True)
    for _ in range(120):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read()
            return process
        except OSError:
            if process.poll() is not None:
                raise SystemExit(f"gunicorn exited; see {log}")
            time.sleep(0.5)
    raise SystemExit(f"gunicorn did not answer; see {log}")


def log_in(base: str) -> str:
    """Log in as the office account; return the session cookie ("name=value")."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/login").read().decode()
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"username": "office", "password": BENCH_PASSWORD,
                                   "csrf_token": csrf}).encode()
    response = opener.open(f"{base}/login", data=data)
    if "/login" in response.geturl():
        raise SystemExit("login failed (is this a database made by bench.generate?)")
    cookies = [f"{c.name}={c.value}" for c in jar if c.name == "session"]
    return cookies[0]


def check(base: str, path: str, headers: dict) -> tuple[int, int]:
    """Fetch once: the endpoint must answer 200 with its own page, not a redirect to login."""
    request = urllib.request.Request(base + path, headers=headers)
    response = urllib.request.urlopen(request, timeout=120)
    body = response.read()
    if response.status != 200 or "/login" in response.geturl():
        raise SystemExit(f"{path}: {response.status} {response.geturl()}")
    return response.status, len(body)


def single_client_ms(base: str, path: str, headers: dict, times: int = 3) -> float:
    """Return the median latency of a few sequential requests: the page's own cost, no queueing."""
    samples = []
    for _ in range(times):
        start = time.perf_counter()
        urllib.request.urlopen(urllib.request.Request(base + path, headers=headers), timeout=300).read()
        samples.append((time.perf_counter() - start) * 1000)
    return sorted(samples)[len(samples) // 2]


def drain(base: str, workers: int, limit_s: float = 300) -> None:
    """Wait until every worker is idle again.

    wrk drops its connections when its time is up, but a sync gunicorn worker finishes the
    request it is on, so a slow endpoint leaves a backlog that would be charged to the next one.
    Idle means: as many simultaneous /healthz requests as there are workers all answer at once.
    """
    from concurrent.futures import ThreadPoolExecutor

    def probe(_):
        start = time.perf_counter()
        urllib.request.urlopen(f"{base}/healthz", timeout=limit_s).read()
        return time.perf_counter() - start

    deadline = time.monotonic() + limit_s
    with ThreadPoolExecutor(workers) as pool:
        while time.monotonic() < deadline:
            if max(pool.map(probe, range(workers))) < 0.5:
                return
            time.sleep(1)


def drive(base: str, path: str, headers: dict, seconds: int, connections: int,
          threads: int, script: str, timeout_s: int = 60) -> dict:
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s",
               "--timeout", f"{timeout_s}s", "-s", script]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(command + [base + path], capture_output=True, text=True,
                            check=True).stdout
    fields = next(line for line in output.splitlines() if line.startswith("BENCH")).split()[1:]
    (requests, duration, p50, p95, p99, worst, connect, read, write, status, timeout) = map(int, fields)
    # wrk leaves out requests still running when the time is up: none at all means every one
    # took longer than the run, which counts as an error here.
    return {"requests": requests, "rps": requests / (duration / 1e6), "p50_ms": p50 / 1000,
            "p95_ms": p95 / 1000, "p99_ms": p99 / 1000, "max_ms": worst / 1000,
            "errors": {"connect": connect, "read": read, "write": write,
                       "non_2xx_3xx": status, "timeout": timeout, "none_finished": int(requests == 0)}}


def run(args) -> dict:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (Debian: apt-get install -y wrk)")
    setup = prepare(args.database)
    log = Path(tempfile.gettempdir()) / f"bench-gunicorn-{args.port}.log"
    process = start_gunicorn(args.database, args.port, args.workers, args.threads, log)
    base = f"http://127.0.0.1:{args.port}"
    results = {}
    try:
        cookie = log_in(base)
        auth = {"cookie": {"Cookie": cookie},
                "bearer": {"Authorization": f"Bearer {setup['token']}"}, None: {}}
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(LUA)
        for label, path, kind in setup["endpoints"]:
            status, size = check(base, path, auth[kind])
            single = single_client_ms(base, path, auth[kind])
            # Warm the workers (imports, template compilation, database caches) outside the timing.
            drive(base, path, auth[kind], 3, args.connections, args.wrk_threads, script.name)
            drain(base, args.workers)
            result = drive(base, path, auth[kind], args.seconds, args.connections,
                           args.wrk_threads, script.name)
            drain(base, args.workers)
            result.update(path=path, bytes=size, single_client_ms=single)
            results[label] = result
            errors = sum(result["errors"].values())
            print(f"  {label:<28} 1 client {single:8.1f} ms  {result['rps']:8.1f} req/s  p50 {result['p50_ms']:7.1f} ms  "
                  f"p95 {result['p95_ms']:7.1f} ms  errors {errors}", file=sys.stderr, flush=True)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=45)
        except subprocess.TimeoutExpired:
            # Workers still busy with a slow backlog past gunicorn's graceful timeout.
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return {"workers": args.workers, "threads": args.threads, "connections": args.connections,
            "seconds": args.seconds, "endpoints": results}


def report(figures: dict) -> int:
    floor = figures["endpoints"]["healthz"]
    print(f"HTTP under load: gunicorn {figures['workers']} workers x {figures['threads']} threads, "
          f"wrk {figures['connections']} connections, {figures['seconds']} s per endpoint")
    print(f"  {'endpoint':<28} {'1 client ms':>11} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
          f"{'p99 ms':>8} {'x healthz rps':>13} {'x p95':>7} {'errors':>7}")
    total_errors = 0
    for label, r in figures["endpoints"].items():
        errors = sum(r["errors"].values())
        total_errors += errors
        ratio = floor["rps"] / r["rps"] if r["rps"] else float("inf")
        p95_ratio = r["p95_ms"] / floor["p95_ms"] if floor["p95_ms"] else float("inf")
        print(f"  {label:<28} {r['single_client_ms']:11.1f} {r['rps']:8.1f} {r['p50_ms']:8.1f} "
              f"{r['p95_ms']:8.1f} {r['p99_ms']:8.1f} {ratio:13.1f} {p95_ratio:7.1f} {errors:7d}")
        if errors:
            print(f"    errors: {r['errors']}")
    print(f"  errors in total: {total_errors}")
    return total_errors


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, help="PostgreSQL URL with generated data")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    figures = run(args)
    errors = report(figures)
    if args.json:
        print(json.dumps(figures))
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
