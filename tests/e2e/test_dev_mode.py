"""`tresor server -dev` and start-up failures of `tresor server`."""

from __future__ import annotations

import base64
import re
import stat
import subprocess

import pytest

from conftest import LOOPBACK, TRESOR_BIN, clean_env, free_port

UNSEAL_LINE = re.compile(r"^Unseal Key: ([A-Za-z0-9+/=]{44})$", re.M)
ROOT_LINE = re.compile(r"^Root Token: (\S+)$", re.M)


def test_dev_with_root_token_id(servers):
    srv = servers.tresor_dev(root_token="root")
    out = srv.wait_for_stdout(r"^Root Token: ").string
    m = UNSEAL_LINE.search(out)
    assert m, out
    assert len(base64.b64decode(m.group(1))) == 32  # one share: the key itself
    assert re.search(r"^Root Token: root$", out, re.M), out
    assert f"{LOOPBACK}:{srv.port}" in out

    st = srv.http("GET", "/v1/sys/seal-status").json()
    assert (st["initialized"], st["sealed"], st["t"], st["n"]) == (True, False, 1, 1)
    r = srv.http("GET", "/v1/auth/token/lookup-self", token="root")
    assert r.status == 200 and r.json()["data"]["id"] == "root"

    # like Vault, dev mode logs the CLI in: ~/.vault-token (in the private HOME), mode 0600
    helper = srv.home / ".vault-token"
    assert helper.read_text() == "root"
    assert stat.S_IMODE(helper.stat().st_mode) == 0o600

    # the printed unseal key unseals in one step, in its base64 or hex form
    key_b64 = m.group(1)
    for key in (key_b64, base64.b64decode(key_b64).hex()):
        assert srv.http("PUT", "/v1/sys/seal", token="root").status == 204
        assert srv.http("GET", "/v1/sys/seal-status").json()["sealed"] is True
        r = srv.http("PUT", "/v1/sys/unseal", body={"key": key})
        assert r.status == 200 and r.json()["sealed"] is False, r


def test_dev_generates_a_root_token(servers):
    srv = servers.tresor_dev(root_token=None)
    out = srv.wait_for_stdout(r"^Root Token: ").string
    assert UNSEAL_LINE.search(out), out
    token = ROOT_LINE.search(out).group(1)
    assert token != "root" and len(token) >= 20
    r = srv.http("GET", "/v1/auth/token/lookup-self", token=token)
    assert r.status == 200, r
    data = r.json()["data"]
    assert data["id"] == token and data["policies"] == ["root"]
    # another token does not work
    assert srv.http("GET", "/v1/auth/token/lookup-self", token="root").status == 403
    assert (srv.home / ".vault-token").read_text() == token


def test_dev_with_double_dash_flags(servers):
    srv = servers.tresor_dev(root_token="t0k", style="double")
    assert "--dev" in srv.argv and any(a.startswith("--dev-listen-address=") for a in srv.argv)
    out = srv.wait_for_stdout(r"^Root Token: ").string
    assert re.search(r"^Root Token: t0k$", out, re.M), out
    assert srv.http("GET", "/v1/sys/health").status == 200
    assert srv.http("GET", "/v1/auth/token/lookup-self", token="t0k").status == 200


def _run_server(tmp_path, *args: str, timeout: float = 20) -> subprocess.CompletedProcess:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    try:
        return subprocess.run(
            [TRESOR_BIN, "server", *args],
            env=clean_env(home),
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as e:  # subprocess.run killed it
        pytest.fail(f"`tresor server {' '.join(args)}` did not exit: {e}")


def test_server_without_config_or_dev_fails(tmp_path):
    p = _run_server(tmp_path)
    assert p.returncode != 0, p
    assert "config" in p.stderr.lower(), p.stderr
    assert not p.stdout.strip() or "started" not in p.stdout


def _config(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "key, text",
    [
        ("no_such_option", 'storage "inmem" {{}}\nlistener "tcp" {{\n  address = "{addr}"\n  tls_disable = true\n}}\n'
                           "disable_mlock = true\nno_such_option = 1\n"),
        ("tls_disabled", 'storage "inmem" {{}}\nlistener "tcp" {{\n  address = "{addr}"\n  tls_disabled = true\n}}\n'
                         "disable_mlock = true\n"),
        ("pathh", 'storage "file" {{\n  pathh = "/tmp/x"\n}}\nlistener "tcp" {{\n  address = "{addr}"\n'
                  "  tls_disable = true\n}}\ndisable_mlock = true\n"),
    ],
    ids=["top-level", "listener", "storage"],
)
def test_config_with_unknown_key_fails(tmp_path, key, text):
    addr = f"{LOOPBACK}:{free_port()}"
    cfg = _config(tmp_path, "bad.hcl", text.format(addr=addr))
    p = _run_server(tmp_path, f"-config={cfg}")
    assert p.returncode != 0, p
    assert str(cfg) in p.stderr, p.stderr
    assert key in p.stderr, p.stderr


def test_config_json_with_unknown_key_fails(tmp_path):
    addr = f"{LOOPBACK}:{free_port()}"
    cfg = _config(
        tmp_path, "bad.json",
        '{"storage": {"inmem": {}}, "listener": {"tcp": {"address": "%s", "tls_disable": true}},'
        ' "disable_mlock": true, "bogus_key": true}' % addr,
    )
    p = _run_server(tmp_path, f"-config={cfg}")
    assert p.returncode != 0, p
    assert str(cfg) in p.stderr and "bogus_key" in p.stderr, p.stderr


def test_config_file_missing_fails(tmp_path):
    cfg = tmp_path / "does-not-exist.hcl"
    p = _run_server(tmp_path, f"-config={cfg}")
    assert p.returncode != 0, p
    assert str(cfg) in p.stderr, p.stderr
