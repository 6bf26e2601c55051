"""Response wrapping side by side with OpenBao: X-Vault-Wrap-TTL on reads and token
creation, sys/wrapping/wrap|lookup|unwrap|rewrap, single use; then hvac and the CLI."""
from __future__ import annotations

import hvac

from conftest import BAO_BIN, call, compare_scenario, run_cli

WRAP = {"X-Vault-Wrap-TTL": "60s"}

WRAP_STEPS = [
    ("POST", "sys/wrapping/wrap", {"foo": "bar"}, WRAP, {"save": {"w1": "wrap_info.token"}}),
    ("POST", "sys/wrapping/wrap", {"foo": "bar"}, None),
    ("POST", "sys/wrapping/lookup", {"token": "{w1}"}, None, {"token": None}),
    ("POST", "sys/wrapping/lookup", {"token": "bogus"}, None, {"token": None}),
    ("POST", "sys/wrapping/unwrap", {"token": "{w1}"}, None),
    ("POST", "sys/wrapping/unwrap", {"token": "{w1}"}, None),
    ("POST", "sys/wrapping/wrap", {"a": "b"}, WRAP, {"save": {"w2": "wrap_info.token"}}),
    ("POST", "sys/wrapping/unwrap", None, None, {"token": "w2"}),
    ("POST", "sys/wrapping/unwrap", None, None, {"token": "w2"}),
    ("POST", "secret/data/wrapped", {"data": {"k": "v"}}, None),
    ("GET", "secret/data/wrapped", None, WRAP, {"save": {"w3": "wrap_info.token"}}),
    ("POST", "sys/wrapping/rewrap", {"token": "{w3}"}, None, {"save": {"w4": "wrap_info.token"}}),
    ("POST", "sys/wrapping/unwrap", {"token": "{w3}"}, None),
    ("POST", "sys/wrapping/unwrap", {"token": "{w4}"}, None),
    ("POST", "auth/token/create", {"policies": ["default"]}, WRAP, {"save": {"w5": "wrap_info.token"}}),
    ("POST", "sys/wrapping/unwrap", {"token": "{w5}"}, None, {"save": {"child": "auth.client_token"}}),
    ("GET", "auth/token/lookup-self", None, None, {"token": "child"}),
    ("GET", "cubbyhole/response", None, None, {"token": "w5"}),
]

KNOWN = {
    2: "sys/wrapping/lookup answers `creation_time` with nanoseconds in OpenBao, whole "
    "seconds in tresor: same keys, compared by shape only",
}


def test_same_answers_as_openbao(tresor_dev, bao_dev):
    compare_scenario(tresor_dev, bao_dev, WRAP_STEPS, "e2e-wrap", {})


def test_wrapped_secret_never_shows_in_the_wrapping_answer(tresor_dev):
    call(tresor_dev, "POST", "secret/data/canary", {"data": {"v": "canary-wrapped-value"}})
    r = tresor_dev.http("GET", "/v1/secret/data/canary", token="root", headers=WRAP)
    assert r.status == 200
    assert b"canary-wrapped-value" not in r.body
    token = r.json()["wrap_info"]["token"]
    assert r.json()["data"] is None
    status, doc = call(tresor_dev, "POST", "sys/wrapping/unwrap", {"token": token})
    assert status == 200 and doc["data"]["data"] == {"v": "canary-wrapped-value"}


def test_hvac_wrapping(tresor_dev):
    client = hvac.Client(url=tresor_dev.addr, token="root")
    wrapped = client.sys.wrap(payload={"hvac": "yes"}, ttl=60)
    token = wrapped["wrap_info"]["token"]
    assert client.sys.unwrap(token)["data"] == {"hvac": "yes"}


def test_bao_cli_wrap_ttl(tresor_dev, home):
    env = tresor_dev.env(token="root")
    made = run_cli([BAO_BIN, "token", "create", "-wrap-ttl=60s", "-format=json", "-policy=default"], env)
    assert made.rc == 0, made
    wrapping_token = made.json()["wrap_info"]["token"]
    unwrapped = run_cli([BAO_BIN, "unwrap", "-format=json", wrapping_token], env)
    assert unwrapped.rc == 0, unwrapped
    assert unwrapped.json()["auth"]["client_token"].startswith("trs.")
