"""Password guessing against real gunicorn with 3 workers: the lock counts every worker's failures.

gunicorn serves wsgi:app on a fresh SQLite file (or a fresh PostgreSQL database when
TEST_DATABASE_URL is set), with CSRF on as in production. Several clients guess in parallel, so
the attempts land on different worker processes (the access log records each one's PID); the
failures are counted in the database, so the lock holds across all of them.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from emergency.auth.models import Role
from emergency.auth.services import UserData, create_user
from emergency.extensions import db
from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
WORKERS = 3
CLIENTS = 4
ATTEMPTS = 20
LIMIT = 5
REFUSED = "用户名或密码错误，或账号已停用。"
LOCKED = "登录失败次数过多"

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(fresh_app, fresh_url, tmp_path):
    """gunicorn --workers 3 on the fresh database, with one office account."""
    create_user(UserData(username="zhangsan", display_name="张三", email="zs@yjj.local",
                         role=Role.ADMIN), PASSWORD)
    db.session.commit()
    db.session.remove()
    db.engine.dispose()
    port, log = free_port(), tmp_path / "access.log"
    env = {k: v for k, v in os.environ.items() if k not in {"FLASK_DEBUG", "EMERGENCY_ENV"}}
    env.update(DATABASE_URL=fresh_url, SECRET_KEY="brute-force-test-" + "k" * 40,
               UPLOAD_ROOT=str(tmp_path / "uploads"), LOGIN_MAX_FAILURES=str(LIMIT),
               LOGIN_MAX_FAILURES_PER_IP="100", EMERGENCY_ENV="development")
    process = subprocess.Popen(
        [str(GUNICORN), "--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}",
         "--access-logfile", str(log), "--access-logformat", "%(p)s %(m)s %(U)s %(s)s",
         "wsgi:app"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited: {process.stderr.read().decode()[-2000:]}")
            try:
                if requests.get(f"{base}/healthz", timeout=10).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.1)
        else:
            pytest.fail("gunicorn did not answer /healthz")
        yield base, log
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stderr.close()


def new_client(base: str) -> tuple[requests.Session, str]:
    """A browser: its own session cookie and the CSRF token of its login page."""
    session = requests.Session()
    page = session.get(f"{base}/login", timeout=30)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    return session, token


def attempt(base, client, password):
    session, token = client
    response = session.post(f"{base}/login", timeout=60, allow_redirects=False, data={
        "username": "zhangsan", "password": password, "csrf_token": token})
    return response.status_code, response.text


def test_guesses_over_three_workers_are_limited_in_total(server):
    base, log = server
    clients = [new_client(base) for _ in range(CLIENTS)]
    results = []

    def guess(client, count):
        for n in range(count):
            results.append(attempt(base, client, f"wrong-password-{n}"))

    threads = [threading.Thread(target=guess, args=(client, ATTEMPTS // CLIENTS))
               for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(results) == ATTEMPTS
    assert all(status == 401 for status, _text in results), [s for s, _t in results]
    checked = sum(REFUSED in text and LOCKED not in text for _s, text in results)
    locked = sum(LOCKED in text for _s, text in results)
    assert checked + locked == ATTEMPTS
    # Each worker alone would allow LIMIT guesses (3 x 5 = 15); the shared count allows LIMIT,
    # plus at most one more per other worker racing on the same count at the very end.
    assert LIMIT <= checked <= LIMIT + WORKERS - 1, checked

    # Locked: the right password is refused too, from a new browser, on any worker.
    for _ in range(WORKERS):
        status, text = attempt(base, new_client(base), PASSWORD)
        assert status == 401 and LOCKED in text

    pids = {line.split()[0] for line in log.read_text().splitlines() if " POST /login " in line}
    assert len(pids) >= 2, f"all attempts were served by one worker: {pids}"
    print(f"\n{ATTEMPTS} wrong passwords from {CLIENTS} clients over {len(pids)} workers: "
          f"{checked} checked, {locked} refused by the lock; the right password refused "
          f"{WORKERS} times")
