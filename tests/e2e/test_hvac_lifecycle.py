"""The whole seal life cycle of a non-dev tresor (file storage), driven by hvac 2.4.0.

The tests of this module run in order against one server and share what they learn
(keys, root token) through the `state` fixture.
"""

from __future__ import annotations

import base64

import hvac
import hvac.exceptions
import pytest
import requests

from conftest import B64_SHARE, HEX_SHARE


@pytest.fixture(scope="module")
def srv(module_servers):
    return module_servers.tresor(storage="file", name="tresor-hvac")


@pytest.fixture(scope="module")
def state():
    return {}


def client(srv, token: str = "") -> hvac.Client:
    # token="" (not None): hvac must not pick up VAULT_TOKEN or ~/.vault-token of the
    # machine running the tests; trust_env=False: no proxy from the environment.
    session = requests.Session()
    session.trust_env = False
    return hvac.Client(url=srv.addr, token=token, timeout=15, session=session)


def health(c: hvac.Client, **params) -> requests.Response | dict:
    return c.sys.read_health_status(method="GET", **params)


def health_code(c: hvac.Client, **params) -> int:
    r = health(c, **params)
    # hvac returns the decoded dict for a 200 and the raw Response otherwise.
    return 200 if isinstance(r, dict) else r.status_code


def head_code(srv, query: str = "") -> int:
    return srv.http("HEAD", "/v1/sys/health" + query).status


def test_uninitialized(srv):
    c = client(srv)
    assert c.sys.is_initialized() is False
    r = health(c)
    assert isinstance(r, requests.Response)
    assert r.status_code == 501
    assert r.headers["Content-Type"] == "application/json"
    body = r.json()
    assert body["initialized"] is False and body["sealed"] is True
    # hvac's default HEAD (no query) and a raw HEAD with overrides
    assert c.sys.read_health_status().status_code == 501
    assert head_code(srv) == 501
    # uninitcode overrides; sealedcode has no effect while uninitialised
    assert health_code(c, uninit_code=299) == 299
    assert health_code(c, sealed_code=299) == 501
    assert head_code(srv, "?uninitcode=299") == 299
    # nothing authenticated works yet
    with pytest.raises(hvac.exceptions.VaultDown, match="Vault is sealed"):
        client(srv, "whatever").auth.token.lookup_self()


def test_initialize(srv, state):
    c = client(srv)
    result = c.sys.initialize(secret_shares=5, secret_threshold=3)
    assert set(result) >= {"keys", "keys_base64", "root_token"}
    assert len(result["keys"]) == 5 and len(result["keys_base64"]) == 5
    assert all(HEX_SHARE.match(k) for k in result["keys"]), result["keys"]
    assert all(B64_SHARE.match(k) for k in result["keys_base64"]), result["keys_base64"]
    # the hex and base64 lists are the same shares
    for h, b in zip(result["keys"], result["keys_base64"]):
        assert bytes.fromhex(h) == base64.b64decode(b)
    assert isinstance(result["root_token"], str) and result["root_token"]
    state.update(keys=result["keys"], keys_b64=result["keys_base64"], root=result["root_token"])

    assert c.sys.is_initialized() is True
    assert c.sys.is_sealed() is True
    status = c.sys.read_seal_status()
    assert (status["t"], status["n"], status["progress"]) == (3, 5, 0)
    assert health_code(c) == 503
    assert head_code(srv) == 503
    assert c.sys.read_health_status().status_code == 503

    with pytest.raises(hvac.exceptions.InvalidRequest, match="already initialized"):
        c.sys.initialize(secret_shares=5, secret_threshold=3)


def test_health_overrides_while_sealed(srv):
    c = client(srv)
    assert health_code(c, sealed_code=299) == 299
    assert head_code(srv, "?sealedcode=299") == 299
    # neither uninitcode nor standbyok changes a sealed answer
    assert health_code(c, uninit_code=299) == 503
    assert health_code(c, standby_ok=True) == 503


def test_unseal_with_mixed_key_forms(srv, state):
    c = client(srv)
    keys, b64 = state["keys"], state["keys_b64"]
    first = c.sys.submit_unseal_key(keys[0])  # hex
    assert first["sealed"] is True and first["progress"] == 1 and first["nonce"]
    # the same share again (in its base64 form) is ignored
    again = c.sys.submit_unseal_key(b64[0])
    assert again["progress"] == 1 and again["nonce"] == first["nonce"]
    second = c.sys.submit_unseal_key(b64[2])  # base64
    assert second["sealed"] is True and second["progress"] == 2
    assert second["nonce"] == first["nonce"]
    last = c.sys.submit_unseal_keys([keys[4]])
    assert last["sealed"] is False
    assert last["progress"] == 0 and last["nonce"] == ""
    assert c.sys.is_sealed() is False
    assert health_code(c) == 200
    assert head_code(srv) == 200
    assert c.sys.read_health_status().status_code == 200


def test_health_overrides_while_unsealed(srv):
    c = client(srv)
    body = health(c)
    assert isinstance(body, dict)
    assert body["initialized"] is True and body["sealed"] is False and body["standby"] is False
    assert health_code(c, active_code=299) == 299
    assert head_code(srv, "?activecode=299") == 299
    r = health(c, active_code=204)
    assert r.status_code == 204 and r.content == b""
    # on an active node the other overrides have no effect
    for params in ({"sealed_code": 299}, {"uninit_code": 299}, {"standby_code": 299}, {"standby_ok": True}):
        assert health_code(c, **params) == 200, params


def test_token_lookup_self(srv, state):
    c = client(srv, state["root"])
    r = c.auth.token.lookup_self()
    data = r["data"]
    assert data["id"] == state["root"]
    assert data["policies"] == ["root"]
    assert c.is_authenticated() is True
    with pytest.raises(hvac.exceptions.Forbidden, match="permission denied"):
        client(srv, "not-a-token").auth.token.lookup_self()
    assert client(srv).is_authenticated() is False


def test_key_status_and_rotate(srv, state):
    c = client(srv, state["root"])
    before = c.sys.get_encryption_key_status()
    assert before["data"]["term"] == 1
    # sys/key-status also carries its data at the top level (Vault's legacy sys route)
    assert before["term"] == 1
    assert set(before["data"]) == {"term", "install_time", "encryptions"}
    r = c.sys.rotate_encryption_key()
    assert isinstance(r, requests.Response) and r.status_code == 204
    after = c.sys.get_encryption_key_status()
    assert after["data"]["term"] == 2
    with pytest.raises(hvac.exceptions.Forbidden):
        client(srv).sys.get_encryption_key_status()


def test_seal_and_unseal_again(srv, state):
    with pytest.raises(hvac.exceptions.Forbidden, match="permission denied"):
        client(srv).sys.seal()
    assert client(srv).sys.is_sealed() is False

    c = client(srv, state["root"])
    r = c.sys.seal()
    assert r.status_code == 204
    assert c.sys.is_sealed() is True
    with pytest.raises(hvac.exceptions.VaultDown, match="Vault is sealed"):
        c.sys.get_encryption_key_status()
    # a different subset of the shares
    result = c.sys.submit_unseal_keys([state["keys"][1], state["keys_b64"][3], state["keys"][2]])
    assert result["sealed"] is False
    assert c.sys.get_encryption_key_status()["data"]["term"] == 2


def test_rekey(srv, state):
    c = client(srv, state["root"])
    idle = c.sys.read_rekey_progress()
    assert idle["started"] is False
    started = c.sys.start_rekey(secret_shares=3, secret_threshold=2)
    assert started["started"] is True
    assert (started["n"], started["t"], started["progress"]) == (3, 2, 0)
    assert started["required"] == 3
    nonce = started["nonce"]
    assert nonce
    assert c.sys.read_rekey_progress()["nonce"] == nonce
    with pytest.raises(hvac.exceptions.InvalidRequest):
        c.sys.start_rekey(secret_shares=3, secret_threshold=2)  # one is in progress

    result = c.sys.rekey_multi([state["keys"][0], state["keys_b64"][1], state["keys"][4]], nonce=nonce)
    assert result["complete"] is True
    assert result["nonce"] == nonce
    assert len(result["keys"]) == 3 and len(result["keys_base64"]) == 3
    assert all(HEX_SHARE.match(k) for k in result["keys"])
    assert all(B64_SHARE.match(k) for k in result["keys_base64"])
    assert not set(result["keys"]) & set(state["keys"])
    state.update(new_keys=result["keys"], new_keys_b64=result["keys_base64"])

    assert c.sys.read_rekey_progress()["started"] is False
    status = c.sys.read_seal_status()
    assert (status["t"], status["n"], status["sealed"]) == (2, 3, False)


def test_old_keys_no_longer_unseal(srv, state):
    c = client(srv, state["root"])
    assert c.sys.seal().status_code == 204
    assert c.sys.is_sealed() is True
    old = state["keys"]
    first = c.sys.submit_unseal_key(old[0])
    assert first["sealed"] is True and first["progress"] == 1
    # the second old share reaches the new threshold (2) and is refused
    with pytest.raises(hvac.exceptions.InvalidRequest):
        c.sys.submit_unseal_key(old[1])
    status = c.sys.read_seal_status()
    assert status["sealed"] is True
    assert status["progress"] == 0 and status["nonce"] == ""
    with pytest.raises(hvac.exceptions.InvalidRequest):
        c.sys.submit_unseal_keys([old[2], old[3], old[4]])
    assert c.sys.is_sealed() is True
    assert health_code(c) == 503


def test_new_keys_unseal(srv, state):
    c = client(srv, state["root"])
    result = c.sys.submit_unseal_keys([state["new_keys"][2], state["new_keys_b64"][0]])
    assert result["sealed"] is False
    assert (result["t"], result["n"]) == (2, 3)
    assert c.auth.token.lookup_self()["data"]["id"] == state["root"]
    assert c.sys.get_encryption_key_status()["data"]["term"] == 2
    assert srv.alive


def test_seal_drops_rekey_progress(srv, state):
    c = client(srv, state["root"])
    started = c.sys.start_rekey(secret_shares=5, secret_threshold=3)
    progress = c.sys.rekey(state["new_keys"][0], nonce=started["nonce"])
    assert progress["progress"] == 1 and progress.get("complete") is not True
    assert c.sys.seal().status_code == 204
    assert c.sys.submit_unseal_keys(state["new_keys"][1:])["sealed"] is False
    assert c.sys.read_rekey_progress()["started"] is False
    # the shares did not change
    status = c.sys.read_seal_status()
    assert (status["t"], status["n"]) == (2, 3)
