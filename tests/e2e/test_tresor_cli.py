"""tresor's own CLI (status / operator ...), restarts on file storage, and file modes.

The first group of tests runs in order against one fresh in-memory server and shares
state (keys, root token) through the `state` fixture.
"""

from __future__ import annotations

import signal
import stat

import pytest

from conftest import (
    B64_SHARE,
    BAO_BIN,
    HEX_SHARE,
    LOOPBACK,
    TRESOR_BIN,
    CliResult,
    cli_env,
    closed_port,
    run_cli,
)

INIT_JSON_KEYS = {
    "unseal_keys_b64", "unseal_keys_hex", "unseal_shares", "unseal_threshold",
    "recovery_keys_b64", "recovery_keys_hex", "recovery_keys_shares",
    "recovery_keys_threshold", "root_token",
}


@pytest.fixture(scope="module")
def srv(module_servers):
    return module_servers.tresor(name="tresor-cli")


@pytest.fixture(scope="module")
def state():
    return {}


def tresor(server, *args: str, token: str | None = None, **env) -> CliResult:
    return run_cli([TRESOR_BIN, *args], server.env(token, **env))


def test_status_uninitialized(srv):
    r = tresor(srv, "status")
    assert r.rc == 2, r
    r = tresor(srv, "operator", "init", "-status")
    assert r.rc == 2, r


def test_init(srv, state):
    r = tresor(srv, "operator", "init", "-key-shares=3", "-key-threshold=2", "-format=json")
    assert r.rc == 0, r
    j = r.json()
    assert set(j) == INIT_JSON_KEYS  # the same object `bao operator init -format=json` prints
    assert len(j["unseal_keys_b64"]) == 3 and all(B64_SHARE.match(k) for k in j["unseal_keys_b64"])
    assert len(j["unseal_keys_hex"]) == 3 and all(HEX_SHARE.match(k) for k in j["unseal_keys_hex"])
    assert (j["unseal_shares"], j["unseal_threshold"]) == (3, 2)
    assert j["root_token"]
    state.update(keys=j["unseal_keys_b64"], hex=j["unseal_keys_hex"], root=j["root_token"])
    assert tresor(srv, "operator", "init", "-status").rc == 0
    r = tresor(srv, "operator", "init", "-key-shares=3", "-key-threshold=2")
    assert r.rc == 2 and "already initialized" in r.stderr, r


def test_status_sealed(srv):
    r = tresor(srv, "status")
    assert r.rc == 2, r
    assert "Sealed" in r.stdout and "true" in r.stdout, r
    r = tresor(srv, "status", "-format=json")
    assert r.rc == 2, r
    j = r.json()
    assert (j["sealed"], j["initialized"], j["t"], j["n"], j["progress"]) == (True, True, 2, 3, 0)


def test_unseal_with_two_keys(srv, state):
    r = tresor(srv, "operator", "unseal", state["keys"][0])
    assert r.rc == 0, r
    assert "1/2" in r.stdout, r  # Unseal Progress
    assert tresor(srv, "status").rc == 2
    r = tresor(srv, "operator", "unseal", "-format=json", state["hex"][1])
    assert r.rc == 0, r
    j = r.json()
    assert (j["sealed"], j["progress"]) == (False, 0)
    r = tresor(srv, "status")
    assert r.rc == 0, r


def test_unseal_without_key_and_no_terminal(srv):
    # the key would be prompted for; stdin is not a terminal -> local error, exit 1
    r = tresor(srv, "operator", "unseal")
    assert r.rc == 1, r


def test_key_status(srv, state):
    r = tresor(srv, "operator", "key-status", token=state["root"])
    assert r.rc == 0, r
    assert "Key Term" in r.stdout and "Install Time" in r.stdout and "Encryption Count" in r.stdout, r
    r = tresor(srv, "operator", "key-status", "-format=json", token=state["root"])
    assert r.rc == 0, r
    assert set(r.json()) == {"term", "install_time", "encryptions"}
    assert r.json()["term"] == 1
    r = tresor(srv, "operator", "key-status")
    assert r.rc == 2 and "permission denied" in r.stderr, r


def test_rotate(srv, state):
    r = tresor(srv, "operator", "rotate", token=state["root"])
    assert r.rc == 0, r
    assert "Success! Rotated key" in r.stdout, r
    r = tresor(srv, "operator", "rotate", "-format=json", token=state["root"])
    assert r.rc == 0, r
    assert r.json()["term"] == 3
    r = tresor(srv, "operator", "rotate")
    assert r.rc == 2, r


def test_env_precedence(srv, state):
    closed = f"http://{LOOPBACK}:{closed_port()}"
    home = srv.home
    # TRESOR_ADDR wins over VAULT_ADDR
    r = run_cli([TRESOR_BIN, "status"], cli_env(home, closed, TRESOR_ADDR=srv.addr))
    assert r.rc == 0, r
    r = run_cli([TRESOR_BIN, "status"], cli_env(home, srv.addr, TRESOR_ADDR=closed))
    assert r.rc == 1, r
    # an empty TRESOR_ADDR counts as unset
    r = run_cli([TRESOR_BIN, "status"], cli_env(home, srv.addr, TRESOR_ADDR=""))
    assert r.rc == 0, r
    # TRESOR_TOKEN wins over VAULT_TOKEN
    argv = [TRESOR_BIN, "operator", "key-status"]
    r = run_cli(argv, cli_env(home, srv.addr, token="bogus", TRESOR_TOKEN=state["root"]))
    assert r.rc == 0, r
    r = run_cli(argv, cli_env(home, srv.addr, token=state["root"], TRESOR_TOKEN="bogus"))
    assert r.rc == 2, r


def test_token_helper_file(srv, state, home):
    (home / ".vault-token").write_text(state["root"] + "\n")
    r = run_cli([TRESOR_BIN, "operator", "key-status"], cli_env(home, srv.addr))
    assert r.rc == 0, r
    # VAULT_TOKEN wins over the file
    r = run_cli([TRESOR_BIN, "operator", "key-status"], cli_env(home, srv.addr, token="bogus"))
    assert r.rc == 2, r


def test_rekey(srv, state):
    tok = state["root"]
    r = tresor(srv, "operator", "rekey", "-status", "-format=json", token=tok)
    assert r.rc == 0, r
    assert r.json()["started"] is False
    # nothing in progress: local error
    r = tresor(srv, "operator", "rekey", state["keys"][0], token=tok)
    assert r.rc == 1 and "No rekey is in progress" in r.stderr, r

    # start, cancel, start again
    assert tresor(srv, "operator", "rekey", "-init", "-key-shares=3", "-key-threshold=2", token=tok).rc == 0
    r = tresor(srv, "operator", "rekey", "-cancel", token=tok)
    assert r.rc == 0, r
    assert tresor(srv, "operator", "rekey", "-status", "-format=json", token=tok).json()["started"] is False

    r = tresor(srv, "operator", "rekey", "-init", "-key-shares=4", "-key-threshold=3", "-format=json", token=tok)
    assert r.rc == 0, r
    st = r.json()
    assert (st["started"], st["n"], st["t"], st["required"]) == (True, 4, 3, 2)
    nonce = st["nonce"]
    # a second init while one runs is refused by the server
    r = tresor(srv, "operator", "rekey", "-init", "-key-shares=3", "-key-threshold=2", token=tok)
    assert r.rc == 2, r
    # without a token: refused
    r = tresor(srv, "operator", "rekey", "-status")
    assert r.rc == 2 and "permission denied" in r.stderr, r

    r = tresor(srv, "operator", "rekey", f"-nonce={nonce}", state["keys"][2], token=tok)
    assert r.rc == 0, r
    assert "1/2" in r.stdout, r
    r = tresor(srv, "operator", "rekey", "-format=json", f"-nonce={nonce}", state["hex"][0], token=tok)
    assert r.rc == 0, r
    done = r.json()
    assert done["complete"] is True and done["nonce"] == nonce
    assert len(done["keys_base64"]) == 4 and all(B64_SHARE.match(k) for k in done["keys_base64"])
    assert len(done["keys"]) == 4 and all(HEX_SHARE.match(k) for k in done["keys"])
    state.update(new_keys=done["keys_base64"])
    r = tresor(srv, "status", "-format=json")
    assert (r.json()["t"], r.json()["n"]) == (3, 4)


def test_seal(srv, state):
    r = tresor(srv, "operator", "seal")
    assert r.rc == 2 and "permission denied" in r.stderr, r
    assert tresor(srv, "status").rc == 0
    r = tresor(srv, "operator", "seal", token=state["root"])
    assert r.rc == 0, r
    assert tresor(srv, "status").rc == 2
    # already sealed: no token needed
    assert tresor(srv, "operator", "seal").rc == 0
    r = tresor(srv, "operator", "key-status", token=state["root"])
    assert r.rc == 2 and "sealed" in r.stderr, r


def test_old_keys_fail_new_keys_unseal(srv, state):
    old, new = state["keys"], state["new_keys"]
    assert tresor(srv, "operator", "unseal", old[0]).rc == 0
    assert tresor(srv, "operator", "unseal", old[1]).rc == 0
    r = tresor(srv, "operator", "unseal", old[2])  # reaches the new threshold (3): refused
    assert r.rc == 2, r
    r = tresor(srv, "status", "-format=json")
    assert r.rc == 2 and r.json()["progress"] == 0, r
    for k in (new[3], new[0], new[2]):
        assert tresor(srv, "operator", "unseal", k).rc == 0
    assert tresor(srv, "status").rc == 0
    assert tresor(srv, "operator", "seal", token=state["root"]).rc == 0
    assert tresor(srv, "status").rc == 2


def test_unseal_bad_key(srv):
    r = tresor(srv, "operator", "unseal", "zz")
    assert r.rc == 2, r
    assert "'key' must be a valid hex or base64 string" in r.stderr, r
    r = tresor(srv, "operator", "unseal", "-reset")
    assert r.rc == 0, r


def test_commands_against_a_closed_port(home):
    env = cli_env(home, f"http://{LOOPBACK}:{closed_port()}", token="x")
    for argv in (["status"], ["status", "-format=json"], ["operator", "key-status"],
                 ["operator", "unseal", "ab" * 33], ["operator", "seal"]):
        r = run_cli([TRESOR_BIN, *argv], env)
        assert r.rc == 1, r
        assert r.stderr.strip(), r


# ---------------------------------------------------------------------------------------
# Restart on file storage
# ---------------------------------------------------------------------------------------


def test_restart_keeps_keys_and_terms(servers):
    first = servers.tresor(storage="file", name="tresor-restart")
    workdir, data = first.workdir, first.workdir / "data"

    r = run_cli([TRESOR_BIN, "operator", "init", "-key-shares=5", "-key-threshold=3", "-format=json"], first.env())
    assert r.rc == 0, r
    init = r.json()
    keys, tok = init["unseal_keys_b64"], init["root_token"]
    for k in keys[:3]:
        assert run_cli([TRESOR_BIN, "operator", "unseal", k], first.env()).rc == 0
    for _ in range(2):
        r = run_cli([TRESOR_BIN, "operator", "rotate"], first.env(tok))
        assert r.rc == 0, r

    assert first.stop(signal.SIGTERM) == 0, first.stderr()
    assert "panic" not in first.stderr().lower()

    second = servers.tresor(storage="file", data_dir=data, workdir=workdir, name="tresor-restart-2")
    r = run_cli([TRESOR_BIN, "status", "-format=json"], second.env())
    assert r.rc == 2, r
    st = r.json()
    assert (st["initialized"], st["sealed"], st["t"], st["n"]) == (True, True, 3, 5)
    assert st["storage_type"] == "file"
    # a different subset of three shares (hex forms)
    for k in (init["unseal_keys_hex"][4], init["unseal_keys_hex"][1], init["unseal_keys_hex"][3]):
        assert run_cli([TRESOR_BIN, "operator", "unseal", k], second.env()).rc == 0
    assert run_cli([TRESOR_BIN, "status"], second.env()).rc == 0

    r = run_cli([TRESOR_BIN, "operator", "key-status", "-format=json"], second.env(tok))
    assert r.rc == 0, r
    assert r.json()["term"] == 3
    r = second.http("GET", "/v1/auth/token/lookup-self", token=tok)
    assert r.status == 200, r
    assert r.json()["data"]["id"] == tok
    assert r.json()["data"]["policies"] == ["root"]


# ---------------------------------------------------------------------------------------
# File modes of the data directory, whatever the umask
# ---------------------------------------------------------------------------------------


def _modes(directory):
    dir_mode = stat.S_IMODE(directory.stat().st_mode)
    files = {p.name: stat.S_IMODE(p.stat().st_mode) for p in directory.rglob("*")}
    return dir_mode, files


@pytest.mark.parametrize("precreated", [False, True], ids=["new-dir", "existing-0777-dir"])
def test_data_file_modes_with_umask_000(servers, tmp_path, precreated):
    data = tmp_path / "store" / "data"
    if precreated:
        data.mkdir(parents=True)
        data.chmod(0o777)
        (data / "stray").write_text("")  # not ours: left alone
        (data / "stray").chmod(0o644)
    srv = servers.tresor(storage="file", data_dir=data, umask0=True, name="tresor-umask")
    init = srv.http("PUT", "/v1/sys/init", body={"secret_shares": 1, "secret_threshold": 1}).json()
    assert srv.http("PUT", "/v1/sys/unseal", body={"key": init["keys"][0]}).json()["sealed"] is False
    assert srv.http("PUT", "/v1/sys/rotate", token=init["root_token"]).status == 204

    def check():
        dir_mode, files = _modes(data)
        assert dir_mode == 0o700, oct(dir_mode)
        ours = {n: m for n, m in files.items() if n != "stray"}
        assert ours, "the store wrote no file"
        bad = {n: oct(m) for n, m in ours.items() if m != 0o600}
        assert not bad, f"files not 0600: {bad}"

    check()  # while running (WAL and shared-memory files exist)
    assert srv.stop() == 0
    check()


# ---------------------------------------------------------------------------------------
# tresor's CLI is a Vault client too: against OpenBao it behaves like the bao CLI
# ---------------------------------------------------------------------------------------


def test_tresor_cli_against_openbao(bao_server):
    def both(*args, token=None):
        env = bao_server.env(token)
        return run_cli([TRESOR_BIN, *args], env), run_cli([BAO_BIN, *args], env)

    def same(*args, token=None, rc=None):
        t, b = both(*args, token=token)
        assert t.rc == b.rc, f"[tresor] {t}\n[bao] {b}"
        if rc is not None:
            assert t.rc == rc, t
        return t, b

    same("status", rc=2)
    same("operator", "init", "-status", rc=2)
    r = run_cli([TRESOR_BIN, "operator", "init", "-key-shares=3", "-key-threshold=2", "-format=json"],
                bao_server.env())
    assert r.rc == 0, r
    init = r.json()
    assert set(init) == INIT_JSON_KEYS
    same("operator", "init", "-status", rc=0)
    t, b = same("status", "-format=json", rc=2)
    assert set(t.json()) - {"build_date", "commit_date"} == set(b.json()) - {"build_date", "commit_date"}
    assert run_cli([TRESOR_BIN, "operator", "unseal", init["unseal_keys_b64"][0]], bao_server.env()).rc == 0
    r = run_cli([TRESOR_BIN, "operator", "unseal", "-format=json", init["unseal_keys_hex"][1]], bao_server.env())
    assert r.rc == 0 and r.json()["sealed"] is False, r
    same("status", rc=0)
    tok = init["root_token"]
    t, b = same("operator", "key-status", "-format=json", token=tok, rc=0)
    assert set(t.json()) == set(b.json()) == {"term", "install_time", "encryptions"}
    t = run_cli([TRESOR_BIN, "operator", "rotate", "-format=json"], bao_server.env(tok))
    assert t.rc == 0 and t.json()["term"] == 2, t
    same("operator", "key-status", rc=2)  # no token
    same("operator", "unseal", "zz", rc=2)
    assert run_cli([TRESOR_BIN, "operator", "seal"], bao_server.env(tok)).rc == 0
    same("status", rc=2)
