"""The userpass and approle auth methods, side by side with OpenBao (both `-dev`, root
token `root`): users and roles, secret IDs and their accessors, and the failures of each
(unknown user and wrong password alike; another role's accessor refused). Then logins
with real clients: hvac, `bao login -method=userpass`, `bao write auth/approle/login` and
a secret ID handed out wrapped (`-wrap-ttl`).

Logins that need the core to issue a token take the `login_ready` fixture: it asks the
running tresor for a userpass login and skips the test while no `auth` block comes back.
"""
from __future__ import annotations

import statistics
import time

import hvac
import pytest

from conftest import BAO_BIN, call, compare_scenario, run_cli

JSON = None

# A bcrypt hash (cost 5) of "imported-pw", as an import would carry it.
BCRYPT_HASH = "$2b$05$Iyx/JAww7ttKGJWv02VleuIrL98vy9ynJSWC5lv5yFuH7dtZrKEu6"

USERPASS_STEPS = [
    ("POST", "sys/auth/{m}", {"type": "userpass"}, JSON),
    # 1: names are lower-cased; reads show token fields, never the password
    ("POST", "auth/{m}/users/Alice", {"password": "pw1", "token_policies": "A, b ", "token_ttl": "1h",
                                      "token_bound_cidrs": "127.0.0.1/32"}, JSON),
    ("GET", "auth/{m}/users/alice", None, JSON),
    ("LIST", "auth/{m}/users", None, JSON),
    # 4: legacy names are shown while set
    ("POST", "auth/{m}/users/bob", {"password": "pw", "policies": "B,a", "ttl": 60, "max_ttl": "2m",
                                    "bound_cidrs": "10.0.0.5/8"}, JSON),
    ("GET", "auth/{m}/users/bob", None, JSON),
    ("POST", "auth/{m}/users/bob", {"token_policies": "x"}, JSON),
    ("GET", "auth/{m}/users/bob", None, JSON),
    # 8: bad input is a 400
    ("POST", "auth/{m}/users/carl", {}, JSON),
    ("POST", "auth/{m}/users/carl", {"password": "a", "password_hash": "b"}, JSON),
    ("POST", "auth/{m}/users/carl", {"password_hash": "nope"}, JSON),
    ("POST", "auth/{m}/users/carl", {"password": "x", "token_type": "batch", "token_num_uses": 3}, JSON),
    ("POST", "auth/{m}/users/carl", {"password": "x", "token_type": "weird"}, JSON),
    ("POST", "auth/{m}/users/carl", {"password": "x", "token_ttl": "2h", "token_max_ttl": "1h"}, JSON),
    ("POST", "auth/{m}/users/carl", {"password": "x", "token_bound_cidrs": "nope"}, JSON),
    ("POST", "auth/{m}/users/ghost/password", {"password": "x"}, JSON),
    # 16: password and policies endpoints
    ("POST", "auth/{m}/users/alice/password", {"password": "pw2"}, JSON),
    ("POST", "auth/{m}/users/alice/policies", {"token_policies": "c,D"}, JSON),
    ("GET", "auth/{m}/users/alice", None, JSON),
    ("POST", "auth/{m}/users/-bad", {"password": "x"}, JSON),
    ("GET", "auth/{m}/users/nobody", None, JSON),
    ("DELETE", "auth/{m}/users/nobody", None, JSON),
    # 22: failed logins (no token is made)
    ("POST", "auth/{m}/login/alice", {"password": "wrong"}, JSON, {"token": None}),
    ("POST", "auth/{m}/login/nobody", {"password": "wrong"}, JSON, {"token": None}),
    ("POST", "auth/{m}/login/alice", {}, JSON, {"token": None}),
    ("POST", "auth/{m}/users/far", {"password": "pw", "token_bound_cidrs": "10.0.0.0/8"}, JSON),
    ("POST", "auth/{m}/login/far", {"password": "pw"}, JSON, {"token": None}),
    # 27: a bcrypt hash imported
    ("POST", "auth/{m}/users/dave", {"password_hash": BCRYPT_HASH}, JSON),
    ("POST", "auth/{m}/users/dave", {"password_hash": "$2a$04$UuTkLRZZ6QofpDOlMz32MuuxEHA43WOemOYHPz6.SjsVsyO1tDU96"}, JSON),
    ("GET", "auth/{m}/users/dave", None, JSON),
    ("LIST", "auth/{m}/users", None, JSON),
    ("DELETE", "auth/{m}/users/bob", None, JSON),
    ("GET", "auth/{m}/users/bob", None, JSON),
    ("DELETE", "sys/auth/{m}", None, JSON),
]

USERPASS_KNOWN = {
    15: "password of an unknown user: OpenBao answers 500 'username does not exist'; tresor 400",
    24: "login without a password: OpenBao answers 500 'missing password'; tresor 400",
}

APPROLE_STEPS = [
    ("POST", "sys/auth/{m}", {"type": "approle"}, JSON),
    ("POST", "auth/{m}/role/Web", {"token_policies": "a,B", "secret_id_ttl": "10m", "secret_id_num_uses": 2,
                                   "role_id": "{m}-web-id"}, JSON),
    ("GET", "auth/{m}/role/web", None, JSON),
    ("LIST", "auth/{m}/role", None, JSON),
    ("GET", "auth/{m}/role/web/role-id", None, JSON),
    ("POST", "auth/{m}/role/web/role-id", {"role_id": "{m}-custom"}, JSON),
    ("GET", "auth/{m}/role/web/role-id", None, JSON),
    # 7: secret IDs
    ("POST", "auth/{m}/role/web/secret-id", {"metadata": "{\"env\":\"prod\"}"}, JSON,
     {"save": {"sid": "data.secret_id", "acc": "data.secret_id_accessor"}}),
    ("LIST", "auth/{m}/role/web/secret-id", None, JSON),
    ("POST", "auth/{m}/role/web/secret-id/lookup", {"secret_id": "{sid}"}, JSON),
    ("POST", "auth/{m}/role/web/secret-id-accessor/lookup", {"secret_id_accessor": "{acc}"}, JSON),
    ("POST", "auth/{m}/role/web/custom-secret-id", {"secret_id": "{m}-custom-sid"}, JSON),
    ("POST", "auth/{m}/role/web/custom-secret-id", {"secret_id": "{m}-custom-sid"}, JSON),
    ("POST", "auth/{m}/role/web/secret-id", {"num_uses": 5}, JSON),
    ("POST", "auth/{m}/role/web/secret-id", {"ttl": "1h"}, JSON),
    ("POST", "auth/{m}/role/web/secret-id", {"metadata": "notjson"}, JSON),
    # 16: another role's accessor is refused and changes nothing
    ("POST", "auth/{m}/role/other", {"secret_id_num_uses": 0}, JSON),
    ("POST", "auth/{m}/role/other/secret-id", {}, JSON, {"save": {"oacc": "data.secret_id_accessor"}}),
    ("POST", "auth/{m}/role/web/secret-id-accessor/destroy", {"secret_id_accessor": "{oacc}"}, JSON),
    ("POST", "auth/{m}/role/web/secret-id-accessor/lookup", {"secret_id_accessor": "{oacc}"}, JSON),
    ("POST", "auth/{m}/role/other/secret-id-accessor/lookup", {"secret_id_accessor": "{oacc}"}, JSON),
    ("POST", "auth/{m}/role/other/secret-id-accessor/lookup", {"secret_id_accessor": "nope"}, JSON),
    ("POST", "auth/{m}/role/other/secret-id-accessor/destroy", {"secret_id_accessor": "nope"}, JSON),
    # 23: a role that does not exist
    ("POST", "auth/{m}/role/ghost/secret-id", {}, JSON),
    ("LIST", "auth/{m}/role/ghost/secret-id", None, JSON),
    ("POST", "auth/{m}/role/ghost/secret-id/lookup", {"secret_id": "x"}, JSON),
    ("GET", "auth/{m}/role/ghost/role-id", None, JSON),
    ("POST", "auth/{m}/role/ghost/role-id", {"role_id": "x"}, JSON),
    ("GET", "auth/{m}/role/ghost", None, JSON),
    ("DELETE", "auth/{m}/role/ghost", None, JSON),
    # 30: roles that cannot be
    ("POST", "auth/{m}/role/nocon", {"bind_secret_id": False}, JSON),
    ("POST", "auth/{m}/role/dup", {"role_id": "{m}-custom"}, JSON),
    ("POST", "auth/{m}/role/web", {"secret_id_bound_cidrs": "bad"}, JSON),
    ("POST", "auth/{m}/role/web", {"secret_id_num_uses": -1}, JSON),
    # 34: destroy, failed logins, tidy
    ("POST", "auth/{m}/role/web/secret-id/destroy", {"secret_id": "{sid}"}, JSON),
    ("POST", "auth/{m}/role/web/secret-id/lookup", {"secret_id": "{sid}"}, JSON),
    ("POST", "auth/{m}/role/other/secret-id-accessor/destroy", {"secret_id_accessor": "{oacc}"}, JSON),
    ("POST", "auth/{m}/login", {"role_id": "{m}-custom", "secret_id": "wrong"}, JSON, {"token": None}),
    ("POST", "auth/{m}/login", {"role_id": "nope", "secret_id": "x"}, JSON, {"token": None}),
    ("POST", "auth/{m}/login", {"role_id": "{m}-custom"}, JSON, {"token": None}),
    ("POST", "auth/{m}/login", {}, JSON, {"token": None}),
    ("POST", "auth/{m}/role/far", {"secret_id_bound_cidrs": "10.0.0.0/8", "role_id": "{m}-far"}, JSON),
    ("POST", "auth/{m}/role/far/secret-id", {}, JSON, {"save": {"far": "data.secret_id"}}),
    ("POST", "auth/{m}/login", {"role_id": "{m}-far", "secret_id": "{far}"}, JSON, {"token": None}),
    ("POST", "auth/{m}/tidy/secret-id", None, JSON),
    # 45: legacy names
    ("POST", "auth/{m}/role/web", {"token_type": "default-service", "period": "1h", "policies": "Z,y"}, JSON),
    ("GET", "auth/{m}/role/web", None, JSON),
    ("DELETE", "auth/{m}/role/web", None, JSON),
    ("LIST", "auth/{m}/role", None, JSON),
    ("DELETE", "sys/auth/{m}", None, JSON),
]

APPROLE_KNOWN = {
    12: "a custom secret ID registered twice: OpenBao 500, tresor 400 (same message)",
    19: "SECURITY row 9: another role's accessor looked up: OpenBao answers 204 (empty); "
    "tresor answers as for an unknown accessor (404)",
    22: "destroy by an unknown accessor: OpenBao 500, tresor 400 (same message)",
    25: "lookup under a role that does not exist: OpenBao 500, tresor 400 (same message)",
    30: "a role without constraints: OpenBao 500, tresor 400 (same message)",
    31: "a role ID already in use: OpenBao 500, tresor 400 (same message)",
    32: "an invalid CIDR block: OpenBao 500, tresor 400 (same message)",
    40: "login without a role_id: OpenBao 500 'missing role_id', tresor 400",
}


def test_userpass_admin_same_as_openbao(tresor_dev, bao_dev):
    compare_scenario(tresor_dev, bao_dev, USERPASS_STEPS, "e2e-userpass", USERPASS_KNOWN)


def test_approle_admin_same_as_openbao(tresor_dev, bao_dev):
    compare_scenario(tresor_dev, bao_dev, APPROLE_STEPS, "e2e-approle", APPROLE_KNOWN)


def _enable(server, path: str, kind: str) -> None:
    status, doc = call(server, "POST", f"sys/auth/{path}", {"type": kind})
    assert status == 204, doc


def test_unknown_user_and_wrong_password_answer_byte_for_byte(tresor_dev):
    _enable(tresor_dev, "up-enum", "userpass")
    assert call(tresor_dev, "POST", "auth/up-enum/users/alice", {"password": "right"})[0] == 204
    wrong = tresor_dev.http("POST", "/v1/auth/up-enum/login/alice", body={"password": "wrong"})
    unknown = tresor_dev.http("POST", "/v1/auth/up-enum/login/nobody", body={"password": "wrong"})
    assert (wrong.status, unknown.status) == (400, 400)
    assert wrong.body == unknown.body
    assert wrong.json() == {"errors": ["invalid username or password"]}
    assert b"right" not in tresor_dev.http("GET", "/v1/auth/up-enum/users/alice", token="root").body


def test_unknown_user_costs_what_a_wrong_password_costs(tresor_dev):
    """SECURITY row 11, coarsely over HTTP (the crate's unit tests count the dummy hash
    checks): interleaved samples, medians within a wide margin."""
    _enable(tresor_dev, "up-timing", "userpass")
    assert call(tresor_dev, "POST", "auth/up-timing/users/alice", {"password": "right"})[0] == 204
    samples = {"alice": [], "nobody": []}
    for _ in range(15):
        for user, out in samples.items():
            r = tresor_dev.http("POST", f"/v1/auth/up-timing/login/{user}", body={"password": "x"})
            assert r.status == 400
            out.append(r.elapsed)
    ratio = statistics.median(samples["nobody"]) / statistics.median(samples["alice"])
    assert 0.4 < ratio < 2.5, samples


# --------------------------------------------------------------------------------------
# Logins: these need the core to make the token
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def login_ready(tresor_dev):
    """Skips while the running tresor does not answer a userpass login with `auth`."""
    call(tresor_dev, "POST", "sys/auth/up-ready", {"type": "userpass"})
    call(tresor_dev, "POST", "auth/up-ready/users/probe", {"password": "probe-pw"})
    status, doc = call(tresor_dev, "POST", "auth/up-ready/login/probe", {"password": "probe-pw"}, token=None)
    if status != 200 or not (doc or {}).get("auth"):
        pytest.skip(f"the core does not issue login tokens yet (login answered {status})")


LOGIN_STEPS = [
    ("POST", "sys/auth/{m}", {"type": "userpass"}, JSON),
    ("POST", "auth/{m}/users/alice", {"password": "pw", "token_policies": "dev", "token_ttl": "1h"}, JSON),
    ("POST", "auth/{m}/login/ALICE", {"password": "pw"}, JSON, {"token": None, "save": {"t": "auth.client_token"}}),
    ("GET", "auth/token/lookup-self", None, JSON, {"token": "t"}),
    ("POST", "sys/auth/{m}-ar", {"type": "approle"}, JSON),
    ("POST", "auth/{m}-ar/role/web", {"token_policies": "dev", "role_id": "{m}-rid", "secret_id_num_uses": 1}, JSON),
    ("POST", "auth/{m}-ar/role/web/secret-id", {}, JSON, {"save": {"sid": "data.secret_id"}}),
    ("POST", "auth/{m}-ar/login", {"role_id": "{m}-rid", "secret_id": "{sid}"}, JSON, {"token": None}),
    ("POST", "auth/{m}-ar/login", {"role_id": "{m}-rid", "secret_id": "{sid}"}, JSON, {"token": None}),
]

LOGIN_KNOWN = {
    3: "lookup-self of a login token: the token store's own differences (see test_tokens.py)",
}


def test_logins_same_as_openbao(login_ready, tresor_dev, bao_dev):
    compare_scenario(tresor_dev, bao_dev, LOGIN_STEPS, "e2e-login", LOGIN_KNOWN)


def test_hvac_userpass_and_approle_logins(login_ready, tresor_dev):
    admin = hvac.Client(url=tresor_dev.addr, token="root")
    admin.sys.enable_auth_method("userpass", path="hvac-up")
    admin.auth.userpass.create_or_update_user("alice", password="pw", policies=["dev"], mount_point="hvac-up")
    client = hvac.Client(url=tresor_dev.addr)
    auth = client.auth.userpass.login("alice", "pw", mount_point="hvac-up")["auth"]
    assert auth["policies"] == ["default", "dev"] and auth["metadata"] == {"username": "alice"}
    assert client.is_authenticated()
    with pytest.raises(hvac.exceptions.InvalidRequest):
        hvac.Client(url=tresor_dev.addr).auth.userpass.login("alice", "wrong", mount_point="hvac-up")

    admin.sys.enable_auth_method("approle", path="hvac-ar")
    admin.auth.approle.create_or_update_approle("web", token_policies=["dev"], mount_point="hvac-ar")
    role_id = admin.auth.approle.read_role_id("web", mount_point="hvac-ar")["data"]["role_id"]
    secret = admin.auth.approle.generate_secret_id("web", mount_point="hvac-ar")["data"]
    client = hvac.Client(url=tresor_dev.addr)
    auth = client.auth.approle.login(role_id, secret["secret_id"], mount_point="hvac-ar")["auth"]
    assert auth["metadata"] == {"role_name": "web"} and client.is_authenticated()
    looked = admin.auth.approle.read_secret_id_accessor("web", secret["secret_id_accessor"], mount_point="hvac-ar")
    assert looked["data"]["secret_id_accessor"] == secret["secret_id_accessor"]


def test_bao_cli_logins(login_ready, tresor_dev, home):
    env = tresor_dev.env(token="root")

    def bao(*args):
        return run_cli([BAO_BIN, *args], env)

    assert bao("auth", "enable", "-path=cli-up", "userpass").rc == 0
    assert bao("write", "auth/cli-up/users/alice", "password=pw", "token_policies=dev").rc == 0
    login = bao("login", "-method=userpass", "-path=cli-up", "-no-store", "-format=json",
                "username=alice", "password=pw")
    assert login.rc == 0, login
    assert login.json()["auth"]["client_token"].startswith("trs.")
    bad = bao("login", "-method=userpass", "-path=cli-up", "-no-store", "username=alice", "password=no")
    assert bad.rc != 0 and "invalid username or password" in bad.stderr

    assert bao("auth", "enable", "-path=cli-ar", "approle").rc == 0
    assert bao("write", "auth/cli-ar/role/web", "token_policies=dev", "secret_id_num_uses=1").rc == 0
    role_id = bao("read", "-field=role_id", "auth/cli-ar/role/web/role-id").stdout.strip()
    secret_id = bao("write", "-f", "-field=secret_id", "auth/cli-ar/role/web/secret-id").stdout.strip()
    made = bao("write", "-format=json", "auth/cli-ar/login", f"role_id={role_id}", f"secret_id={secret_id}")
    assert made.rc == 0, made
    assert made.json()["auth"]["metadata"] == {"role_name": "web"}
    again = bao("write", "auth/cli-ar/login", f"role_id={role_id}", f"secret_id={secret_id}")
    assert again.rc != 0 and "invalid role or secret ID" in again.stderr

    # A secret ID handed out wrapped: unwrapped once, then used.
    wrapped = bao("write", "-f", "-wrap-ttl=60s", "-format=json", "auth/cli-ar/role/web/secret-id")
    assert wrapped.rc == 0, wrapped
    token = wrapped.json()["wrap_info"]["token"]
    unwrapped = bao("unwrap", "-format=json", token)
    assert unwrapped.rc == 0, unwrapped
    secret_id = unwrapped.json()["data"]["secret_id"]
    assert bao("unwrap", token).rc != 0, "a wrapping token works once"
    made = bao("write", "-format=json", "auth/cli-ar/login", f"role_id={role_id}", f"secret_id={secret_id}")
    assert made.rc == 0, made


def test_approle_secret_id_runs_out_and_expires(login_ready, tresor_dev):
    _enable(tresor_dev, "ar-uses", "approle")
    assert call(tresor_dev, "POST", "auth/ar-uses/role/web", {"role_id": "uses-rid", "secret_id_num_uses": 2})[0] == 204
    _, made = call(tresor_dev, "POST", "auth/ar-uses/role/web/secret-id", {})
    body = {"role_id": "uses-rid", "secret_id": made["data"]["secret_id"]}
    answers = [call(tresor_dev, "POST", "auth/ar-uses/login", body, token=None)[0] for _ in range(3)]
    assert answers == [200, 200, 400]
    _, short = call(tresor_dev, "POST", "auth/ar-uses/role/web/secret-id", {"ttl": 1, "num_uses": 2})
    time.sleep(2.1)
    body = {"role_id": "uses-rid", "secret_id": short["data"]["secret_id"]}
    status, doc = call(tresor_dev, "POST", "auth/ar-uses/login", body, token=None)
    assert (status, doc) == (400, {"errors": ["invalid role or secret ID"]})


def test_tresor_cli_logs_in_with_userpass_and_approle(tresor_dev, home):
    from conftest import TRESOR_BIN, call

    made = call(tresor_dev, "POST", "sys/auth/tcli-up", {"type": "userpass"})
    assert made[0] == 204, made
    assert call(tresor_dev, "POST", "auth/tcli-up/users/carol", {"password": "pw-carol", "token_policies": ["default"]})[0] == 204
    env = tresor_dev.env(token=None)
    env.pop("VAULT_TOKEN", None)
    out = run_cli([TRESOR_BIN, "login", "-method=userpass", "-path=tcli-up", "-format=json", "username=carol", "password=pw-carol"], env)
    assert out.rc == 0, out
    token = out.json()["auth"]["client_token"]
    assert (tresor_dev.home / ".vault-token").read_text().strip() == token
    looked = run_cli([TRESOR_BIN, "token", "lookup", "-format=json"], env)
    assert looked.rc == 0 and looked.json()["data"]["display_name"] == "tcli-up-carol"
    bad = run_cli([TRESOR_BIN, "login", "-method=userpass", "-path=tcli-up", "username=carol", "password=nope"], env)
    assert bad.rc == 2 and "invalid username or password" in bad.stderr

    assert call(tresor_dev, "POST", "sys/auth/tcli-ar", {"type": "approle"})[0] == 204
    assert call(tresor_dev, "POST", "auth/tcli-ar/role/app", {"token_policies": ["default"]})[0] == 204
    role_id = call(tresor_dev, "GET", "auth/tcli-ar/role/app/role-id")[1]["data"]["role_id"]
    secret_id = call(tresor_dev, "POST", "auth/tcli-ar/role/app/secret-id")[1]["data"]["secret_id"]
    out = run_cli([TRESOR_BIN, "login", "-method=approle", "-path=tcli-ar", "-token-only",
                   f"role_id={role_id}", f"secret_id={secret_id}"], env)
    assert out.rc == 0, out
    assert out.stdout.strip().startswith("trs.")
