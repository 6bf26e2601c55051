"""The OpenBao CLI (`bao`) against tresor and, side by side, against a real OpenBao server.

Both servers are fresh, non-dev, in-memory. Every step runs the same bao command against
each; exit codes must be equal, and with -format=json the printed objects must have the
same keys (modulo the documented version fields: tresor's seal status has "build_date",
OpenBao's "commit_date") and the same value types. The tests run in order and share state.
"""

from __future__ import annotations

import base64
import os
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import (
    B64_SHARE,
    BAO_BIN,
    HEX_SHARE,
    LOOPBACK,
    VERSION_FIELDS,
    CliResult,
    cli_env,
    closed_port,
    init_unseal,
    keyset,
    run_cli,
)

NAMES = ("tresor", "bao")
_POOL = ThreadPoolExecutor(max_workers=2)


@pytest.fixture(scope="module")
def pair(module_servers):
    return {"tresor": module_servers.tresor(name="tresor"), "bao": module_servers.bao(name="bao")}


@pytest.fixture(scope="module")
def state():
    return {name: {} for name in NAMES}


def bao(server, *args: str, token: str | None = None) -> CliResult:
    return run_cli([BAO_BIN, *args], server.env(token))


def each(fn) -> dict[str, CliResult]:
    """Runs `fn(name)` for tresor and bao at the same time (independent servers)."""
    futures = {n: _POOL.submit(fn, n) for n in NAMES}
    return {n: f.result() for n, f in futures.items()}


def both(pair, *args: str, token_of=None) -> dict[str, CliResult]:
    """Runs `bao ARGS` against each server; `token_of(name)` gives VAULT_TOKEN."""
    return each(lambda n: bao(pair[n], *args, token=token_of(n) if token_of else None))


def same_rc(results: dict[str, CliResult], expected: int | None = None) -> int:
    t, b = results["tresor"], results["bao"]
    assert t.rc == b.rc, f"exit codes differ\n[tresor] {t}\n[bao] {b}"
    if expected is not None:
        assert t.rc == expected, f"expected exit {expected}\n[tresor] {t}\n[bao] {b}"
    return t.rc


def same_shape(t: dict, b: dict, ignore=VERSION_FIELDS) -> None:
    """Same key set (modulo `ignore`) and, key by key, the same JSON value type."""
    assert keyset(t, ignore) == keyset(b, ignore), (
        f"key sets differ: tresor only {keyset(t, ignore) - keyset(b, ignore)}, "
        f"bao only {keyset(b, ignore) - keyset(t, ignore)}"
    )
    for k in keyset(t, ignore):
        assert type(t[k]) is type(b[k]), f"{k}: tresor {t[k]!r} vs bao {b[k]!r}"


def json_both(results: dict[str, CliResult]) -> tuple[dict, dict]:
    return results["tresor"].json(), results["bao"].json()


def root(state):
    return lambda n: state[n]["root"]


def test_status_uninitialized(pair):
    r = both(pair, "status")
    same_rc(r, 2)
    for res in r.values():
        assert "Initialized        false" in res.stdout, res
    r = both(pair, "status", "-format=json")
    same_rc(r, 2)
    t, b = json_both(r)
    same_shape(t, b)
    assert t["initialized"] is False and t["sealed"] is True
    same_rc(both(pair, "operator", "init", "-status"), 2)


def test_init_json(pair, state):
    r = both(pair, "operator", "init", "-key-shares=3", "-key-threshold=2", "-format=json")
    same_rc(r, 0)
    t, b = json_both(r)
    same_shape(t, b, ignore=())
    for name, j in (("tresor", t), ("bao", b)):
        assert len(j["unseal_keys_b64"]) == 3 and len(j["unseal_keys_hex"]) == 3, j
        assert all(B64_SHARE.match(k) for k in j["unseal_keys_b64"]), j
        assert all(HEX_SHARE.match(k) for k in j["unseal_keys_hex"]), j
        for h, k in zip(j["unseal_keys_hex"], j["unseal_keys_b64"]):
            assert bytes.fromhex(h) == base64.b64decode(k)
        assert (j["unseal_shares"], j["unseal_threshold"]) == (3, 2)
        assert isinstance(j["root_token"], str) and j["root_token"]
        state[name].update(keys=j["unseal_keys_b64"], hex=j["unseal_keys_hex"], root=j["root_token"])


def test_init_status_and_init_again(pair):
    same_rc(both(pair, "operator", "init", "-status"), 0)
    r = both(pair, "operator", "init", "-key-shares=3", "-key-threshold=2")
    same_rc(r, 2)
    for res in r.values():
        assert "Vault is already initialized" in res.stderr, res


def test_status_json_sealed(pair):
    r = both(pair, "status", "-format=json")
    same_rc(r, 2)
    t, b = json_both(r)
    same_shape(t, b)
    assert (t["sealed"], t["initialized"], t["t"], t["n"], t["progress"]) == (True, True, 2, 3, 0)
    assert (b["t"], b["n"]) == (2, 3)


def test_unseal_two_shares(pair, state):
    first = each(lambda n: bao(pair[n], "operator", "unseal", "-format=json", state[n]["keys"][0]))
    same_rc(first, 0)
    t, b = json_both(first)
    same_shape(t, b)
    assert (t["sealed"], t["progress"]) == (True, 1) and t["nonce"]
    assert (b["sealed"], b["progress"]) == (True, 1)
    # the table form while progress is pending
    r = both(pair, "status")
    same_rc(r, 2)
    assert "Unseal Progress    1/2" in r["tresor"].stdout, r["tresor"]

    second = each(lambda n: bao(pair[n], "operator", "unseal", "-format=json", state[n]["hex"][2]))
    same_rc(second, 0)
    t, b = json_both(second)
    same_shape(t, b)
    assert (t["sealed"], t["progress"], t["nonce"]) == (False, 0, "")
    assert b["sealed"] is False


def test_status_unsealed(pair):
    r = both(pair, "status")
    same_rc(r, 0)
    assert "Sealed          false" in r["tresor"].stdout, r["tresor"]
    r = both(pair, "status", "-format=json")
    same_rc(r, 0)
    t, b = json_both(r)
    same_shape(t, b)
    assert {"cluster_name", "cluster_id"} <= set(t)


def test_key_status(pair, state):
    r = both(pair, "operator", "key-status", token_of=root(state))
    same_rc(r, 0)
    for res in r.values():
        assert "Key Term" in res.stdout and "Encryption Count" in res.stdout, res
    r = both(pair, "operator", "key-status", "-format=json", token_of=root(state))
    same_rc(r, 0)
    t, b = json_both(r)
    same_shape(t, b, ignore=())
    assert set(t) == {"term", "install_time", "encryptions"}
    assert t["term"] == 1
    state["tresor"]["term"], state["bao"]["term"] = t["term"], b["term"]
    # without a token: 403 -> exit 2
    same_rc(both(pair, "operator", "key-status"), 2)


def test_rotate(pair, state):
    same_rc(both(pair, "operator", "rotate"), 2)  # no token
    r = both(pair, "operator", "rotate", token_of=root(state))
    same_rc(r, 0)
    for res in r.values():
        assert "Success! Rotated key" in res.stdout, res
    r = both(pair, "operator", "rotate", "-format=json", token_of=root(state))
    same_rc(r, 0)
    t, b = json_both(r)
    same_shape(t, b, ignore=())
    assert t["term"] == state["tresor"]["term"] + 2
    assert b["term"] == state["bao"]["term"] + 2


def test_seal(pair, state):
    r = both(pair, "operator", "seal")  # unsealed, no token: 403
    same_rc(r, 2)
    for res in r.values():
        assert "permission denied" in res.stderr, res
    r = both(pair, "operator", "seal", token_of=root(state))
    same_rc(r, 0)
    same_rc(both(pair, "status"), 2)
    # sealing a sealed server needs no token
    same_rc(both(pair, "operator", "seal"), 0)
    # authenticated commands while sealed: 503 -> exit 2
    r = both(pair, "operator", "key-status", token_of=root(state))
    same_rc(r, 2)
    for res in r.values():
        assert "Vault is sealed" in res.stderr, res


def test_unseal_bad_key(pair, state):
    r = both(pair, "operator", "unseal", "zz")
    same_rc(r, 2)
    for res in r.values():
        assert "'key' must be a valid hex or base64 string" in res.stderr, res
    r = both(pair, "operator", "unseal", "abcd")  # valid base64, too short
    same_rc(r, 2)
    same_rc(both(pair, "status"), 2)


def test_unseal_wrong_share_at_threshold(pair, state):
    # one genuine share, then a well-formed share that belongs to no split
    ok = each(lambda n: bao(pair[n], "operator", "unseal", state[n]["keys"][1]))
    same_rc(ok, 0)
    bogus = os.urandom(32).hex() + "07"
    r = both(pair, "operator", "unseal", bogus)
    same_rc(r, 2)
    r = both(pair, "status", "-format=json")
    same_rc(r, 2)
    t, b = json_both(r)
    assert (t["sealed"], t["progress"]) == (True, 0)
    assert (b["sealed"], b["progress"]) == (True, 0)


def test_unseal_reset_then_unseal(pair, state):
    same_rc(each(lambda n: bao(pair[n], "operator", "unseal", state[n]["keys"][0])), 0)
    r = both(pair, "operator", "unseal", "-reset", "-format=json")
    same_rc(r, 0)
    t, b = json_both(r)
    assert (t["progress"], b["progress"]) == (0, 0)
    for i in (2, 1):
        same_rc(each(lambda n: bao(pair[n], "operator", "unseal", state[n]["keys"][i])), 0)
    same_rc(both(pair, "status"), 0)


def test_status_against_closed_port(home):
    port = closed_port()
    r = run_cli([BAO_BIN, "status"], cli_env(home, f"http://{LOOPBACK}:{port}"))
    assert r.rc == 1, r
    assert "connection refused" in r.stderr, r
    r = run_cli([BAO_BIN, "status", "-format=json"], cli_env(home, f"http://{LOOPBACK}:{port}"))
    assert r.rc == 1, r


# ---------------------------------------------------------------------------------------
# Rekey with the bao CLI. tresor serves sys/rekey/* to root tokens; OpenBao 2.7 disables
# these endpoints by default (405) — a documented difference, so tresor is tested alone.
# ---------------------------------------------------------------------------------------


def test_rekey_with_bao_cli_on_tresor(servers):
    srv = servers.tresor(name="tresor-rekey")
    init = init_unseal(srv, 3, 2)
    tok = init["root_token"]

    # a token is required (tresor's documented difference from Vault's unauthenticated rekey)
    r = bao(srv, "operator", "rekey", "-init", "-key-shares=3", "-key-threshold=2")
    assert r.rc == 2 and "permission denied" in r.stderr, r

    r = bao(srv, "operator", "rekey", "-status", "-format=json", token=tok)
    assert r.rc == 0, r
    assert r.json()["started"] is False

    r = bao(srv, "operator", "rekey", "-init", "-key-shares=3", "-key-threshold=2", "-format=json", token=tok)
    assert r.rc == 0, r
    st = r.json()
    assert (st["started"], st["n"], st["t"], st["progress"], st["required"]) == (True, 3, 2, 0, 2)
    nonce = st["nonce"]

    # a wrong nonce is refused by the server
    r = bao(srv, "operator", "rekey", "-nonce=00000000-0000-0000-0000-000000000000", init["keys"][0], token=tok)
    assert r.rc == 2 and "nonce" in r.stderr, r

    r = bao(srv, "operator", "rekey", f"-nonce={nonce}", init["keys_base64"][0], token=tok)
    assert r.rc == 0, r
    assert "Progress" in r.stdout and "1/2" in r.stdout, r
    r = bao(srv, "operator", "rekey", "-format=json", f"-nonce={nonce}", init["keys"][2], token=tok)
    assert r.rc == 0, r
    done = r.json()
    assert done["complete"] is True and done["nonce"] == nonce
    new_keys = done["keys_base64"]
    assert len(new_keys) == 3 and all(B64_SHARE.match(k) for k in new_keys)
    assert all(HEX_SHARE.match(k) for k in done["keys"])

    # no rekey in progress any more: the CLI says so (exit 1, no update request)
    r = bao(srv, "operator", "rekey", f"-nonce={nonce}", init["keys"][1], token=tok)
    assert r.rc == 1 and "No rekey is in progress" in r.stderr, r

    assert bao(srv, "operator", "seal", token=tok).rc == 0
    # old shares: the second reaches the threshold and fails; still sealed
    assert bao(srv, "operator", "unseal", init["keys"][0]).rc == 0
    r = bao(srv, "operator", "unseal", init["keys"][1])
    assert r.rc == 2, r
    assert bao(srv, "status").rc == 2
    # new shares unseal
    assert bao(srv, "operator", "unseal", new_keys[1]).rc == 0
    assert bao(srv, "operator", "unseal", new_keys[2]).rc == 0
    r = bao(srv, "status", "-format=json")
    assert r.rc == 0, r
    assert (r.json()["t"], r.json()["n"]) == (2, 3)


def test_rekey_is_disabled_on_openbao(bao_server):
    """Documents the reference behaviour the difference above is measured against."""
    ref = bao_server
    init = init_unseal(ref, 3, 2)
    r = bao(ref, "operator", "rekey", "-init", "-key-shares=3", "-key-threshold=2", token=init["root_token"])
    assert r.rc == 2 and "Code: 405" in r.stderr, r
