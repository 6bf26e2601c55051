"""The token store, side by side with OpenBao (both `-dev`, root token `root`): create,
lookup, renew, revoke (tree, orphan, accessor, self), roles, batch and use-limited
tokens; then hvac and the bao CLI's `token` commands against tresor."""
from __future__ import annotations

import hvac
import pytest

from conftest import BAO_BIN, call, compare_scenario, run_cli

JSON = None

TOKEN_STEPS = [
    # 0: a child of root with policies, ttl, meta
    ("POST", "auth/token/create", {"policies": ["p1"], "ttl": "1h", "meta": {"a": "b"}, "display_name": "my app"}, JSON,
     {"save": {"t1": "auth.client_token", "a1": "auth.accessor"}}),
    ("POST", "auth/token/lookup", {"token": "{t1}"}, JSON),
    ("POST", "auth/token/lookup-accessor", {"accessor": "{a1}"}, JSON),
    ("GET", "auth/token/lookup-self", None, JSON, {"token": "t1"}),
    ("POST", "auth/token/renew", {"token": "{t1}", "increment": "30m"}, JSON),
    ("POST", "auth/token/renew-accessor", {"accessor": "{a1}", "increment": "30m"}, JSON),
    # 6: a grandchild made by t1 (non-root parent) is refused by the ACL in both: t1 has
    # no policy granting auth/token/create.
    ("POST", "auth/token/create", {"policies": ["p1"]}, JSON, {"token": "t1"}),
    ("POST", "auth/token/create", {}, JSON, {"save": {"root2": "auth.client_token"}}),
    ("POST", "auth/token/create", {"policies": ["p2"], "explicit_max_ttl": "2h", "num_uses": 2}, JSON,
     {"save": {"t2": "auth.client_token"}}),
    ("POST", "auth/token/lookup", {"token": "{t2}"}, JSON),
    ("POST", "auth/token/create-orphan", {"policies": ["p1"], "period": "24h"}, JSON, {"save": {"t3": "auth.client_token"}}),
    ("POST", "auth/token/lookup", {"token": "{t3}"}, JSON),
    ("POST", "auth/token/create", {"type": "batch", "policies": ["p1"], "ttl": "10m"}, JSON, {"save": {"b1": "auth.client_token"}}),
    ("POST", "auth/token/lookup", {"token": "{b1}"}, JSON),
    ("POST", "auth/token/renew", {"token": "{b1}"}, JSON),
    ("POST", "auth/token/create", {"type": "batch", "policies": ["root"]}, JSON),
    ("POST", "auth/token/create", {"type": "wrong"}, JSON),
    ("POST", "auth/token/lookup", {"token": "nope"}, JSON),
    ("POST", "auth/token/roles/{m}", {"allowed_policies": ["p1", "p2"], "orphan": True, "period": "1h"}, JSON),
    ("GET", "auth/token/roles/{m}", None, JSON),
    ("LIST", "auth/token/roles", None, JSON),
    ("POST", "auth/token/create/{m}", {"policies": ["p1"]}, JSON, {"save": {"r1": "auth.client_token"}}),
    ("POST", "auth/token/lookup", {"token": "{r1}"}, JSON),
    ("POST", "auth/token/create/{m}", {"policies": ["p3"]}, JSON),
    ("POST", "auth/token/create/nosuchrole", {}, JSON),
    ("POST", "auth/token/create", {"role_name": "{m}", "policies": ["p2"]}, JSON),
    ("POST", "auth/token/create", {"policies": ["p1"]}, JSON, {"token": "b1"}),
    ("POST", "auth/token/revoke-accessor", {"accessor": "{a1}"}, JSON),
    ("POST", "auth/token/lookup", {"token": "{t1}"}, JSON),
    ("POST", "auth/token/revoke", {"token": "{t2}"}, JSON),
    ("POST", "auth/token/revoke-orphan", {"token": "{t3}"}, JSON),
    ("POST", "auth/token/revoke-self", None, JSON, {"token": "root2"}),
    ("GET", "auth/token/lookup-self", None, JSON, {"token": "root2"}),
    ("DELETE", "auth/token/roles/{m}", None, JSON),
    ("GET", "auth/token/roles/{m}", None, JSON),
    ("POST", "auth/token/tidy", None, JSON),
    ("GET", "auth/token/nosuchpath", None, JSON),
]

KNOWN = {
    22: "a token made from a role with a period: tresor's lookup shows its `period` (as for "
    "any periodic token); OpenBao's omits it for role tokens",
}


def test_same_answers_as_openbao(tresor_dev, bao_dev):
    compare_scenario(tresor_dev, bao_dev, TOKEN_STEPS, "e2e-role", KNOWN)


def test_revoking_a_parent_revokes_children_and_their_cubbyholes(tresor_dev):
    _, parent = call(tresor_dev, "POST", "auth/token/create", {"policies": ["root"]})
    p = parent["auth"]["client_token"]
    _, child = call(tresor_dev, "POST", "auth/token/create", {"policies": ["root"]}, token=p)
    c = child["auth"]["client_token"]
    _, grandchild = call(tresor_dev, "POST", "auth/token/create", {}, token=c)
    g = grandchild["auth"]["client_token"]
    assert call(tresor_dev, "POST", "cubbyhole/secret", {"x": "y"}, token=g)[0] == 204
    assert call(tresor_dev, "POST", "auth/token/revoke", {"token": p})[0] == 204
    for t in (p, c, g):
        assert call(tresor_dev, "GET", "auth/token/lookup-self", token=t)[0] == 403
    # A new token never sees the old cubbyhole.
    _, fresh = call(tresor_dev, "POST", "auth/token/create", {})
    assert call(tresor_dev, "GET", "cubbyhole/secret", token=fresh["auth"]["client_token"])[0] == 404


def test_use_limited_tokens_stop_after_their_last_use(tresor_dev):
    _, made = call(tresor_dev, "POST", "auth/token/create", {"num_uses": 2})
    t = made["auth"]["client_token"]
    assert call(tresor_dev, "GET", "auth/token/lookup-self", token=t)[1]["data"]["num_uses"] == 1
    assert call(tresor_dev, "GET", "auth/token/lookup-self", token=t)[0] == 200
    assert call(tresor_dev, "GET", "auth/token/lookup-self", token=t)[0] == 403


def test_cubbyhole_is_private_to_each_token(tresor_dev):
    tokens = [call(tresor_dev, "POST", "auth/token/create", {})[1]["auth"]["client_token"] for _ in range(2)]
    assert call(tresor_dev, "POST", "cubbyhole/mine", {"v": "1"}, token=tokens[0])[0] == 204
    assert call(tresor_dev, "GET", "cubbyhole/mine", token=tokens[0])[1]["data"] == {"v": "1"}
    assert call(tresor_dev, "GET", "cubbyhole/mine", token=tokens[1])[0] == 404


def test_hvac_token_api(tresor_dev):
    client = hvac.Client(url=tresor_dev.addr, token="root")
    made = client.auth.token.create(policies=["root"], ttl="1h", renewable=True)
    token, accessor = made["auth"]["client_token"], made["auth"]["accessor"]
    assert token.startswith("trs.")
    assert client.auth.token.lookup(token)["data"]["accessor"] == accessor
    assert client.auth.token.lookup_accessor(accessor)["data"]["id"] == ""
    assert client.auth.token.renew(token, increment="2h")["auth"]["lease_duration"] == 7200
    assert accessor in client.auth.token.list_accessors()["data"]["keys"]
    other = hvac.Client(url=tresor_dev.addr, token=token)
    assert other.is_authenticated()
    assert other.auth.token.lookup_self()["data"]["policies"] == ["root"]
    client.auth.token.revoke_accessor(accessor)
    assert not other.is_authenticated()
    client.auth.token.create_or_update_role("hvac-role", allowed_policies=["a"], orphan=True)
    assert client.auth.token.read_role("hvac-role")["data"]["orphan"] is True
    assert "hvac-role" in client.auth.token.list_roles()["data"]["keys"]
    client.auth.token.delete_role("hvac-role")


def test_bao_token_cli(tresor_dev, home):
    env = tresor_dev.env(token="root")

    def bao(*args):
        return run_cli([BAO_BIN, *args], env)

    made = bao("token", "create", "-format=json", "-policy=root", "-ttl=1h")
    assert made.rc == 0, made
    token = made.json()["auth"]["client_token"]
    assert bao("token", "lookup", token).rc == 0
    assert bao("token", "renew", "-increment=30m", token).rc == 0
    caps = bao("token", "capabilities", token, "secret/data/x")
    assert caps.rc == 0 and "root" in caps.stdout
    assert bao("token", "revoke", token).rc == 0
    assert bao("token", "lookup", token).rc == 2
    assert bao("token", "lookup").rc == 0
