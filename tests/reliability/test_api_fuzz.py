"""Fuzz the JSON API with schemathesis 4 against its live OpenAPI document.

gunicorn serves the app on a private database holding a small data set; schemathesis reads
/api/v1/openapi.json, generates valid and invalid requests for every operation (with a bearer
token of an administrator, then of a unit liaison, whose role is refused office actions) and
checks each answer: no 5xx, only documented status codes and content types, bodies that match
their schema, and invalid input refused with a 4xx. The API declares no catch-all `default`
response, so "documented" means the statuses each operation lists.

Examples per operation: SCHEMATHESIS_MAX_EXAMPLES (default 20); the seed is fixed, so a run
is repeatable and a failure reproduces with the printed `st` command.
"""

import json
import os
import subprocess
import urllib.request

import pytest

from tests.reliability.live import BIN, Server, app_string

pytestmark = pytest.mark.slow

SEED = 20261121
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "20"))
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance", "negative_data_rejection")


@pytest.fixture(scope="module")
def server(live_db):
    app = Server(app_string(live_db.url, live_db.upload_root), live_db.tmp / "gunicorn.log",
                 workers=2, threads=2).start()
    yield app
    app.stop()


def _schemathesis(server: Server, token: str, phases: str, max_examples: int,
                  cwd) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "st"), "run", f"{server.url}/api/v1/openapi.json",
         "--header", f"Authorization: Bearer {token}", "--checks", ",".join(CHECKS),
         "--phases", phases, "--max-examples", str(max_examples),
         "--seed", str(SEED), "--generation-database", "none",
         # One worker: the mutating operations then run in a fixed order against the data set.
         "--workers", "1", "--request-timeout", "30", "--no-color"],
        cwd=cwd, capture_output=True, text=True, timeout=900)


def _summary(output: str) -> str:
    lines = [line for line in output.splitlines()
             if "generated" in line or "passed" in line or "failed" in line]
    return " | ".join(line.strip() for line in lines)


@pytest.mark.parametrize("account", ["admin", "liaison"])
def test_schemathesis_finds_no_server_error_and_no_schema_violation(live_db, server, account,
                                                                    tmp_path):
    data = live_db.data
    if account == "admin":
        # The coverage phase walks every operation's boundary and invalid values once.
        token, phases, examples = data["admin"]["token"], "coverage,fuzzing", MAX_EXAMPLES
    else:
        # A liaison meets the 403s of office actions and the 404s of other units; random
        # requests are enough for that, and keep the run short.
        token, phases, examples = data["liaisons"][0]["token"], "fuzzing", MAX_EXAMPLES // 2
    result = _schemathesis(server, token, phases, max(1, examples), tmp_path)
    print(f"schemathesis as {account}: {_summary(result.stdout)}")
    assert result.returncode == 0, result.stdout[-30000:] + result.stderr[-5000:]
    assert "Traceback" not in server.output(), server.output()[-20000:]


def test_every_operation_lists_its_error_statuses_and_no_catch_all(server):
    with urllib.request.urlopen(f"{server.url}/api/v1/openapi.json", timeout=30) as reply:
        spec = json.load(reply)
    operations = [(method.upper(), path, op) for path, item in spec["paths"].items()
                  for method, op in item.items() if method in {"get", "post", "patch", "delete"}]
    assert len(operations) > 40
    for method, path, op in operations:
        codes = set(op["responses"])
        assert "default" not in codes, (method, path)
        assert {"400", "401", "503"} <= codes, (method, path)
        if "{" in path:
            assert "404" in codes, (method, path)
        if method != "GET":
            assert "403" in codes, (method, path)
    content = spec["paths"]["/api/v1/documents/{document_id}/content"]["get"]["responses"]["200"]
    assert {"application/pdf", "image/png"} <= set(content["content"])
