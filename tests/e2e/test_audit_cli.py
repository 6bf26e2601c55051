"""tresor's `audit enable|disable|list` commands, written against Vault's audit API
(`PUT|DELETE sys/audit/<path>`, `GET sys/audit`).

Every test runs against OpenBao and against tresor. Both refuse to enable audit devices through the API unless the
configuration sets `unsafe_allow_api_audit_creation`, so each runs here as a dev server
with that one extra configuration file.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from conftest import (
    BAO_BIN,
    LOOPBACK,
    TRESOR_BIN,
    CliResult,
    Server,
    call,
    clean_env,
    free_port_pair,
    run_cli,
)

TYPE_MISSING = (
    "Error enabling audit device: audit type missing. Valid types include 'file', 'socket' "
    "and 'syslog'."
)


def audit_dev(pool, workdir, binary: str, name: str) -> Server:
    """A dev server of `binary` whose extra configuration file allows enabling audit
    devices through the API (both OpenBao and tresor refuse it by default)."""
    (workdir / "home").mkdir()
    cfg = workdir / "audit.hcl"
    cfg.write_text("unsafe_allow_api_audit_creation = true\n")
    port = free_port_pair()  # OpenBao also binds the next port
    argv = [
        binary, "server", "-dev", "-dev-root-token-id=root",
        f"-dev-listen-address={LOOPBACK}:{port}", f"-config={cfg}",
    ]
    server = Server(name, argv, workdir, port, clean_env(workdir / "home"))
    pool.servers.append(server)  # stopped with the module's servers
    return server.wait_ready()


@pytest.fixture(scope="module")
def bao_audit(module_servers, tmp_path_factory):
    return audit_dev(module_servers, tmp_path_factory.mktemp("bao-audit"), BAO_BIN, "bao-dev-audit")


@pytest.fixture(scope="module")
def tresor_audit(module_servers, tmp_path_factory):
    return audit_dev(
        module_servers, tmp_path_factory.mktemp("tresor-audit"), TRESOR_BIN, "tresor-dev-audit"
    )


@pytest.fixture(params=["bao", "tresor"])
def target(request):
    """The server the commands run against (no audit device enabled at the start)."""
    server = request.getfixturevalue(f"{request.param}_audit")
    yield server
    status, doc = call(server, "GET", "sys/audit")
    for path in (doc or {}).get("data", {}):
        call(server, "DELETE", f"sys/audit/{path}")


def tresor(server, *args: str, token: str = "root", stdin: str | None = None) -> CliResult:
    argv = [TRESOR_BIN, "audit", *args]
    if stdin is None:
        return run_cli(argv, server.env(token))
    env = server.env(token)
    p = subprocess.run(argv, env=env, input=stdin, capture_output=True, text=True, timeout=30,
                       cwd=env["HOME"])
    return CliResult(argv, p.returncode, p.stdout, p.stderr)


def bao(server, *args: str, token: str = "root") -> CliResult:
    return run_cli([BAO_BIN, "audit", *args], server.env(token))


def ok(r: CliResult) -> CliResult:
    assert r.rc == 0, r
    return r


def devices(server) -> dict:
    status, doc = call(server, "GET", "sys/audit")
    assert status == 200, (status, doc)
    return doc["data"]


def test_enable_list_disable(target, tmp_path):
    log, ops_log = tmp_path / "audit.log", tmp_path / "ops.log"
    r = ok(tresor(target, "enable", "file", f"file_path={log}"))
    assert r.stdout == "Success! Enabled the file audit device at: file/\n"
    r = ok(tresor(target, "enable", "-path=ops/logs", "-description=for ops", "-local",
                  "file", f"file_path={ops_log}", "mode=0600"))
    assert r.stdout == "Success! Enabled the file audit device at: ops/logs/\n"
    assert devices(target) == {
        "file/": {"type": "file", "description": "", "options": {"file_path": str(log)},
                  "local": False, "path": "file/"},
        "ops/logs/": {"type": "file", "description": "for ops",
                      "options": {"file_path": str(ops_log), "mode": "0600"},
                      "local": True, "path": "ops/logs/"},
    }
    # the devices are at work: a request shows up in the log
    call(target, "GET", "sys/mounts")
    assert log.read_text().strip(), "nothing was audited"

    r = ok(tresor(target, "list"))
    assert r.stdout == (
        "Path         Type    Description\n"
        "----         ----    -----------\n"
        "file/        file    n/a\n"
        "ops/logs/    file    for ops\n"
    )
    r = ok(tresor(target, "list", "-detailed"))
    assert r.stdout == (
        "Path         Type    Description    Replication    Options\n"
        "----         ----    -----------    -----------    -------\n"
        f"file/        file    n/a            replicated     file_path={log}\n"
        f"ops/logs/    file    for ops        local          file_path={ops_log} mode=0600\n"
    )
    r = ok(tresor(target, "list", "-format=json"))
    assert r.json() == devices(target)
    assert list(r.json()["file/"]) == ["type", "description", "options", "local", "path"]
    r = ok(tresor(target, "list", "-format=yaml"))
    assert r.stdout.startswith("file/:\n  description: \"\"\n  local: false\n  options:\n"), r

    r = ok(tresor(target, "disable", "ops/logs"))
    assert r.stdout == "Success! Disabled audit device (if it was enabled) at: ops/logs/\n"
    r = ok(tresor(target, "disable", "/file/"))
    assert r.stdout == "Success! Disabled audit device (if it was enabled) at: file/\n"
    assert devices(target) == {}
    r = tresor(target, "list")
    assert (r.rc, r.stdout) == (2, "No audit devices are enabled.\n"), r
    r = ok(tresor(target, "list", "-format=json"))
    assert r.json() == {}
    r = ok(tresor(target, "disable", "never-enabled"))
    assert r.stdout == "Success! Disabled audit device (if it was enabled) at: never-enabled/\n"


def test_options_from_stdin_and_odd_paths(target, tmp_path):
    log = tmp_path / "stdin.log"
    stdin = json.dumps({"file_path": str(log), "log_raw": True})
    r = ok(tresor(target, "enable", "-path=/from/stdin/", "file", "-", stdin=stdin))
    assert r.stdout == "Success! Enabled the file audit device at: /from/stdin/\n"
    device = devices(target)["from/stdin/"]
    assert device["options"] == {"file_path": str(log), "log_raw": "true"}


def test_errors(target, tmp_path):
    r = tresor(target, "enable")
    assert (r.rc, r.stderr.strip()) == (1, TYPE_MISSING), r
    r = tresor(target, "enable", "file", "not-a-pair")
    assert r.rc == 1 and r.stderr.startswith("Failed to parse K=V data: invalid key/value pair"), r
    ok(tresor(target, "enable", "file", f"file_path={tmp_path / 'a.log'}"))
    r = tresor(target, "enable", "file", f"file_path={tmp_path / 'b.log'}")
    assert r.rc == 2 and r.stderr.startswith("Error enabling audit device: "), r
    assert "Code: 400" in r.stderr and "path already in use" in r.stderr, r
    r = tresor(target, "enable", "-path=other", "no-such-type")
    assert r.rc == 2 and "Code: 400" in r.stderr, r
    for args, message in ((("disable",), "Not enough arguments (expected 1, got 0)"),
                          (("disable", "a", "b"), "Too many arguments (expected 1, got 2)")):
        r = tresor(target, *args)
        assert (r.rc, r.stderr.strip()) == (1, message), r

    status, doc = call(target, "POST", "auth/token/create", {"policies": ["default"]})
    weak = doc["auth"]["client_token"]
    for args, context in (
        (("list",), "Error listing audits: "),
        (("enable", "-path=weak", "file", "file_path=discard"), "Error enabling audit device: "),
        (("disable", "file"), "Error disabling audit device: "),
    ):
        r = tresor(target, *args, token=weak)
        assert r.rc == 2 and r.stderr.startswith(context), (args, r)
        assert "Code: 403" in r.stderr and "permission denied" in r.stderr, (args, r)
    assert list(devices(target)) == ["file/"]


def test_output_matches_the_bao_cli(bao_audit, tmp_path):
    """Both CLIs against the same OpenBao print the same thing."""
    server = bao_audit
    assert devices(server) == {}
    for args in (("list",), ("list", "-detailed"), ("list", "-format=json"), ("list", "-format=yaml"),
                 ("enable",), ("enable", "file", "x"), ("disable",), ("disable", "a", "b")):
        ours, ref = tresor(server, *args), bao(server, *args)
        assert (ours.rc, ours.stdout, ours.stderr) == (ref.rc, ref.stdout, ref.stderr), (args, ours, ref)
    try:
        for cli, path in ((tresor, "/ours/"), (bao, "/theirs/")):
            r = ok(cli(server, "enable", f"-path={path}", "-description=one option", "file",
                       f"file_path={tmp_path / 'x.log'}"))
            assert r.stdout == f"Success! Enabled the file audit device at: {path}\n"
        for args in (("list",), ("list", "-detailed"), ("list", "-format=json"),
                     ("list", "-format=yaml"), ("enable", "-path=ours", "file", "file_path=x")):
            ours, ref = tresor(server, *args), bao(server, *args)
            assert (ours.rc, ours.stdout, ours.stderr) == (ref.rc, ref.stdout, ref.stderr), (args, ours, ref)
        for cli, path in ((tresor, "ours"), (bao, "theirs")):
            r = ok(cli(server, "disable", path))
            assert r.stdout == f"Success! Disabled audit device (if it was enabled) at: {path}/\n"
    finally:
        for path in devices(server):
            call(server, "DELETE", f"sys/audit/{path}")
