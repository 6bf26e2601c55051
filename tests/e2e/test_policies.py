"""Policies and the ACL, side by side with OpenBao: policy CRUD in HCL and JSON, tokens
holding policies reading and writing KV, deny precedence, sudo-protected paths,
parameter constraints and the capabilities endpoints; then hvac and the bao CLI."""
from __future__ import annotations

import json

import hvac

from conftest import BAO_BIN, call, compare_scenario, run_cli

KV_READER = """
path "{m}/data/app/*" { capabilities = ["read", "list"] }
path "{m}/metadata/app/*" { capabilities = ["list"] }
path "{m}/data/app/private" { capabilities = ["deny"] }
path "{m}/data/app/+/inner" { capabilities = ["create", "update"] }
"""

WRITER_JSON = json.dumps({"path": {
    "{m}/data/w/*": {"capabilities": ["create", "update", "read"],
                     "allowed_parameters": {"data": [], "options": []}},
    "sys/mounts/*": {"capabilities": ["create", "update", "read", "delete"]},
    "sys/auth/*": {"capabilities": ["create", "update"]},
    "sys/policy/*": {"capabilities": ["read"]},
}})

POLICY_STEPS = [
    ("POST", "sys/mounts/{m}", {"type": "kv", "options": {"version": "2"}}, None),
    ("PUT", "sys/policy/{m}-reader", {"policy": KV_READER}, None),
    ("PUT", "sys/policies/acl/{m}-writer", {"policy": WRITER_JSON}, None),
    ("GET", "sys/policy/{m}-reader", None, None),
    ("GET", "sys/policies/acl/{m}-writer", None, None),
    ("LIST", "sys/policies/acl", None, None),
    ("PUT", "sys/policy/{m}-bad", {"policy": "path \"x\" { capabilities = [\"fly\"] }"}, None),
    ("PUT", "sys/policy/{m}-empty", {}, None),
    ("DELETE", "sys/policy/default", None, None),
    ("DELETE", "sys/policy/root", None, None),
    ("POST", "{m}/data/app/one", {"data": {"v": "1"}}, None),
    ("POST", "{m}/data/app/private", {"data": {"v": "secret"}}, None),
    ("POST", "auth/token/create", {"policies": ["{m}-reader"]}, None, {"save": {"r": "auth.client_token", "ra": "auth.accessor"}}),
    ("POST", "auth/token/create", {"policies": ["{m}-writer"]}, None, {"save": {"w": "auth.client_token"}}),
    ("GET", "{m}/data/app/one", None, None, {"token": "r"}),
    ("GET", "{m}/data/app/private", None, None, {"token": "r"}),
    ("POST", "{m}/data/app/one", {"data": {"v": "2"}}, None, {"token": "r"}),
    ("LIST", "{m}/metadata/app", None, None, {"token": "r"}),
    ("POST", "{m}/data/app/x/inner", {"data": {"v": "3"}}, None, {"token": "r"}),
    ("GET", "{m}/config", None, None, {"token": "r"}),
    ("GET", "sys/mounts", None, None, {"token": "r"}),
    ("GET", "nonexistent/path", None, None, {"token": "r"}),
    ("POST", "{m}/data/w/a", {"data": {"k": "v"}}, None, {"token": "w"}),
    ("POST", "{m}/data/w/a", {"data": {"k": "v"}, "junk": 1}, None, {"token": "w"}),
    ("POST", "sys/mounts/{m}-w", {"type": "kv"}, None, {"token": "w"}),
    ("DELETE", "sys/mounts/{m}-w", None, None, {"token": "w"}),
    ("POST", "sys/auth/{m}-a", {"type": "userpass"}, None, {"token": "w"}),
    ("PUT", "sys/seal", None, None, {"token": "w"}),
    ("PUT", "sys/rotate", None, None, {"token": "w"}),
    ("GET", "sys/policy/{m}-reader", None, None, {"token": "w"}),
    ("POST", "auth/token/create", {"policies": ["root"]}, None, {"token": "w"}),
    ("POST", "auth/token/create", {"policies": ["{m}-reader"]}, None, {"token": "w"}),
    ("POST", "sys/capabilities-self", {"path": "{m}/data/app/one"}, None, {"token": "r"}),
    ("POST", "sys/capabilities-self", {"paths": ["{m}/data/app/private", "{m}/data/app/z/inner"]}, None, {"token": "r"}),
    ("POST", "sys/capabilities", {"token": "{r}", "path": "{m}/data/app/one"}, None),
    ("POST", "sys/capabilities-accessor", {"accessor": "{ra}", "paths": ["{m}/data/app/one", "sys/mounts"]}, None),
    ("POST", "sys/capabilities-accessor", {"accessor": "nope", "path": "x"}, None),
    ("GET", "auth/token/lookup-self", None, None, {"token": "r"}),
    ("GET", "cubbyhole/nothing", None, None, {"token": "r"}),
    ("DELETE", "sys/policy/{m}-reader", None, None),
    ("GET", "{m}/data/app/one", None, None, {"token": "r"}),
    ("GET", "sys/policy/{m}-reader", None, None),
]

KNOWN = {
    31: "the warning on a token created with a missing policy differs in wording only",
}


def test_same_answers_as_openbao(tresor_dev, bao_dev):
    compare_scenario(tresor_dev, bao_dev, POLICY_STEPS, "e2e-acl", KNOWN)


def test_policy_edits_apply_to_live_tokens(tresor_dev):
    assert call(tresor_dev, "PUT", "sys/policy/live", {"policy": 'path "cubbyhole/*" { capabilities = ["deny"] }'})[0] == 204
    t = call(tresor_dev, "POST", "auth/token/create", {"policies": ["live"], "no_default_policy": True})[1]["auth"]["client_token"]
    assert call(tresor_dev, "GET", "auth/token/lookup-self", token=t)[0] == 403
    assert call(tresor_dev, "PUT", "sys/policy/live", {"policy": 'path "auth/token/lookup-self" { capabilities = ["read"] }'})[0] == 204
    assert call(tresor_dev, "GET", "auth/token/lookup-self", token=t)[0] == 200


def test_root_cannot_be_smuggled_by_name(tresor_dev):
    for name in ["ROOT", " root", "Root "]:
        status, _ = call(tresor_dev, "PUT", f"sys/policy/{name.strip()}", {"policy": 'path "*" { capabilities = ["sudo"] }'})
        assert status == 400, name
    t = call(tresor_dev, "POST", "auth/token/create", {"policies": ["default"]})[1]["auth"]["client_token"]
    status, _ = call(tresor_dev, "POST", "auth/token/create", {"policies": [" ROOT "]}, token=t)
    assert status in (400, 403)


def test_hvac_and_bao_policy_commands(tresor_dev, home):
    client = hvac.Client(url=tresor_dev.addr, token="root")
    client.sys.create_or_update_policy("hvac-p", 'path "secret/*" { capabilities = ["read"] }')
    assert "hvac-p" in client.sys.list_policies()["data"]["policies"]
    assert "secret" in client.sys.read_policy("hvac-p")["data"]["rules"]
    client.sys.delete_policy("hvac-p")
    env = tresor_dev.env(token="root")
    policy_file = home / "p.hcl"
    policy_file.write_text('path "secret/data/cli/*" { capabilities = ["read"] }\n')

    def bao(*args):
        return run_cli([BAO_BIN, *args], env)

    assert bao("policy", "write", "cli-p", str(policy_file)).rc == 0
    assert "cli-p" in bao("policy", "list").stdout.split()
    assert "secret/data/cli" in bao("policy", "read", "cli-p").stdout
    made = bao("token", "create", "-format=json", "-policy=cli-p")
    token = made.json()["auth"]["client_token"]
    assert bao("kv", "put", "secret/cli/x", "a=b").rc == 0
    scoped = dict(env, VAULT_TOKEN=token)
    assert run_cli([BAO_BIN, "kv", "get", "-field=a", "secret/cli/x"], scoped).stdout.strip() == "b"
    assert run_cli([BAO_BIN, "kv", "put", "secret/cli/x", "a=c"], scoped).rc == 2
    caps = run_cli([BAO_BIN, "token", "capabilities", "secret/data/cli/x"], scoped)
    assert caps.rc == 0 and caps.stdout.strip() == "read"
    assert bao("policy", "delete", "cli-p").rc == 0


def test_resultant_acl(tresor_dev):
    rules = 'path "secret/*" { capabilities = ["read"] }\npath "a/b" { capabilities = ["list", "deny"] }'
    assert call(tresor_dev, "PUT", "sys/policy/resultant", {"policy": rules})[0] == 204
    t = call(tresor_dev, "POST", "auth/token/create", {"policies": ["resultant"]})[1]["auth"]["client_token"]
    status, doc = call(tresor_dev, "GET", "sys/internal/ui/resultant-acl", token=t)
    assert status == 200, doc
    data = doc["data"]
    assert data["root"] is False
    assert data["exact_paths"]["a/b"] == {"capabilities": ["deny"]}
    assert data["glob_paths"]["secret/"] == {"capabilities": ["read"]}
    assert data["glob_paths"]["cubbyhole/"] == {"capabilities": ["create", "delete", "list", "read", "update"]}
    assert call(tresor_dev, "GET", "sys/internal/ui/resultant-acl")[1]["data"] == {"root": True}
