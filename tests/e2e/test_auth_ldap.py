"""The ldap auth method with real clients against a real OpenLDAP: hvac's `auth.ldap`
API and `bao write auth/<mount>/login/<user> password=...` against tresor.

slapd (Debian packages `slapd` and `ldap-utils`; `.ci/run` installs them) is started
here from a config and a small directory written to a temporary directory, loaded with
`slapadd`, and served on a free loopback port, as the Rust tests do
(crates/tresor-auth/src/ldap/test_slapd.rs). No side-by-side run: OpenBao 2.7.2 has no
ldap auth method in its plugin catalog (`sys/auth/ldap` answers "plugin not found in the
catalog"), and its CLI has no `-method=ldap` login handler.
"""
from __future__ import annotations

import base64
import hashlib
import os
import socket
import subprocess
import time

import hvac
import pytest

from authkit import hvac_error
from conftest import BAO_BIN, LOOPBACK, call, free_port, run_cli

SLAPD = "/usr/sbin/slapd"
SLAPADD = "/usr/sbin/slapadd"
BASE = "dc=example,dc=org"
PEOPLE = f"ou=people,{BASE}"
GROUPS = f"ou=groups,{BASE}"
SERVICE_DN = f"cn=tresor,ou=services,{BASE}"
SERVICE_PW = "service-pw"
BIND_FAILED = {"errors": ["ldap operation failed: failed to bind as user"]}


def ssha(password: str) -> str:
    salt = os.urandom(8)
    return "{SSHA}" + base64.b64encode(hashlib.sha1(password.encode() + salt).digest() + salt).decode()


def person(uid: str, cn: str, password: str) -> str:
    return (f"dn: uid={uid},{PEOPLE}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {cn}\nsn: {cn}\n"
            f"mail: {uid}@example.org\nuserPassword: {ssha(password)}\n\n")


def directory() -> str:
    ldif = (
        f"dn: {BASE}\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n\n"
        f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n\n"
        f"dn: {GROUPS}\nobjectClass: organizationalUnit\nou: groups\n\n"
        f"dn: ou=services,{BASE}\nobjectClass: organizationalUnit\nou: services\n\n"
        f"dn: {SERVICE_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n"
        f"cn: tresor\nuserPassword: {ssha(SERVICE_PW)}\n\n"
    )
    ldif += person("alice", "Alice Liddell", "alice-pw")
    ldif += person("bob", "Bob Builder", "bob-pw")
    ldif += person("carol", "Carol", "carol-pw")
    ldif += (
        f"dn: cn=devs,{GROUPS}\nobjectClass: groupOfNames\ncn: devs\nmember: uid=alice,{PEOPLE}\n\n"
        f"dn: cn=Ops,{GROUPS}\nobjectClass: groupOfNames\ncn: Ops\nmember: uid=alice,{PEOPLE}\n"
        f"member: uid=bob,{PEOPLE}\n\n"
        f"dn: cn=empty,{GROUPS}\nobjectClass: groupOfNames\ncn: empty\nmember: cn=nobody,{BASE}\n\n"
    )
    return ldif


class Slapd:
    def __init__(self, d):
        if not os.access(SLAPD, os.X_OK):
            pytest.fail(f"{SLAPD} is not installed (apt-get install slapd ldap-utils)", pytrace=False)
        (d / "db").mkdir()
        conf = d / "slapd.conf"
        conf.write_text(
            "include /etc/ldap/schema/core.schema\ninclude /etc/ldap/schema/cosine.schema\n"
            "include /etc/ldap/schema/nis.schema\ninclude /etc/ldap/schema/inetorgperson.schema\n"
            f"pidfile {d}/slapd.pid\nmodulepath /usr/lib/ldap\nmoduleload back_mdb\n"
            f'database mdb\nsuffix "{BASE}"\nrootdn "cn=admin,{BASE}"\nrootpw admin-pw\n'
            f"directory {d}/db\nmaxsize 16777216\n"
        )
        (d / "data.ldif").write_text(directory())
        added = subprocess.run([SLAPADD, "-f", str(conf), "-l", str(d / "data.ldif")], capture_output=True, text=True)
        assert added.returncode == 0, added.stderr
        self.log_path = d / "slapd.log"
        for _ in range(3):
            self.port = free_port()
            with open(self.log_path, "ab") as log:
                self.proc = subprocess.Popen(
                    [SLAPD, "-h", f"ldap://{LOOPBACK}:{self.port}/", "-f", str(conf), "-d", "256"],
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True,
                )
            if self._listening():
                self.url = f"ldap://{LOOPBACK}:{self.port}"
                return
            self.stop()
        raise RuntimeError(f"slapd did not start:\n{self.log_path.read_text()[-3000:]}")

    def _listening(self) -> bool:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                socket.create_connection((LOOPBACK, self.port), timeout=0.5).close()
                return True
            except OSError:
                time.sleep(0.05)
        return False

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


@pytest.fixture(scope="module")
def slapd(tmp_path_factory):
    s = Slapd(tmp_path_factory.mktemp("slapd"))
    yield s
    s.stop()


def admin(server) -> hvac.Client:
    return hvac.Client(url=server.addr, token="root")


def setup_mount(server, slapd: Slapd, mount: str) -> hvac.Client:
    c = admin(server)
    c.sys.enable_auth_method("ldap", path=mount)
    c.auth.ldap.configure(
        url=slapd.url, binddn=SERVICE_DN, bindpass=SERVICE_PW, userdn=PEOPLE, userattr="uid",
        groupdn=GROUPS, groupfilter="(&(objectClass=groupOfNames)(member={{.UserDN}}))", groupattr="cn",
        token_ttl="1h", mount_point=mount,
    )
    c.auth.ldap.create_or_update_group("devs", policies=["dev-pol"], mount_point=mount)
    c.auth.ldap.create_or_update_group("ops", policies=["ops-pol"], mount_point=mount)
    c.auth.ldap.create_or_update_group("local-group", policies=["local-pol"], mount_point=mount)
    c.auth.ldap.create_or_update_user("bob", policies=["bob-pol"], groups=["local-group"], mount_point=mount)
    return c


@pytest.fixture(scope="module")
def ldap(tresor_dev, slapd):
    setup_mount(tresor_dev, slapd, "ldap")
    return tresor_dev


def test_config_groups_and_users_read_back(ldap, slapd):
    c = admin(ldap)
    cfg = c.auth.ldap.read_configuration(mount_point="ldap")["data"]
    assert cfg["url"] == slapd.url and cfg["binddn"] == SERVICE_DN
    assert cfg["userdn"] == PEOPLE and cfg["userattr"] == "uid" and cfg["groupdn"] == GROUPS
    assert cfg["groupfilter"] == "(&(objectClass=groupOfNames)(member={{.UserDN}}))"
    assert cfg["groupattr"] == "cn" and cfg["token_ttl"] == 3600 and cfg["deny_null_bind"] is True
    assert "bindpass" not in cfg and SERVICE_PW not in str(cfg)
    assert c.auth.ldap.read_group("devs", mount_point="ldap")["data"]["policies"] == ["dev-pol"]
    user = c.auth.ldap.read_user("bob", mount_point="ldap")["data"]
    assert user["policies"] == ["bob-pol"] and user["groups"] == "local-group"
    assert sorted(c.auth.ldap.list_groups(mount_point="ldap")["data"]["keys"]) == ["devs", "local-group", "ops"]
    assert c.auth.ldap.list_users(mount_point="ldap")["data"]["keys"] == ["bob"]


def test_hvac_login_policies_from_directory_groups(ldap):
    client = hvac.Client(url=ldap.addr)
    resp = client.auth.ldap.login("alice", "alice-pw", mount_point="ldap")
    auth = resp["auth"]
    # "Ops" in the directory meets the "ops" group here (names are case-insensitive).
    assert sorted(auth["policies"]) == ["default", "dev-pol", "ops-pol"]
    assert auth["metadata"] == {"username": "alice"}
    assert auth["lease_duration"] == 3600 and auth["renewable"] is True
    assert client.is_authenticated()
    assert client.lookup_token()["data"]["display_name"] == "ldap-alice"
    root = admin(ldap)
    accessor = root.sys.list_auth_methods()["ldap/"]["accessor"]
    entity = root.secrets.identity.read_entity(auth["entity_id"])["data"]
    aliases = [a for a in entity["aliases"] if a["mount_accessor"] == accessor]
    assert [a["name"] for a in aliases] == ["alice"]
    assert aliases[0]["metadata"] == {"name": "alice"}
    # Another spelling of the name is the same user and the same entity.
    again = hvac.Client(url=ldap.addr).auth.ldap.login("ALICE", "alice-pw", mount_point="ldap")["auth"]
    assert again["entity_id"] == auth["entity_id"] and again["metadata"] == {"username": "alice"}


def test_hvac_login_policies_from_user_and_local_groups(ldap):
    auth = hvac.Client(url=ldap.addr).auth.ldap.login("bob", "bob-pw", mount_point="ldap")["auth"]
    assert sorted(auth["policies"]) == ["bob-pol", "default", "local-pol", "ops-pol"]
    # A user in no group logs in with the default policy, and a warning says why.
    resp = hvac.Client(url=ldap.addr).auth.ldap.login("carol", "carol-pw", mount_point="ldap")
    assert resp["auth"]["policies"] == ["default"]
    assert any("no LDAP groups found" in w for w in resp["warnings"] or []), resp["warnings"]


def test_unknown_user_and_wrong_password_answer_alike(ldap):
    wrong = ldap.http("POST", "/v1/auth/ldap/login/alice", body={"password": "not-it"})
    unknown = ldap.http("POST", "/v1/auth/ldap/login/mallory", body={"password": "not-it"})
    assert (wrong.status, unknown.status) == (400, 400)
    assert wrong.body == unknown.body
    assert wrong.json() == BIND_FAILED
    for user, pw in (("alice", "bob-pw"), ("nobody", "alice-pw")):
        with pytest.raises(hvac.exceptions.InvalidRequest) as e:
            hvac.Client(url=ldap.addr).auth.ldap.login(user, pw, mount_point="ldap")
        assert hvac_error(e.value) == (400, BIND_FAILED["errors"])
    empty = call(ldap, "POST", "auth/ldap/login/alice", {"password": ""}, token=None)
    assert empty == (400, {"errors": ["password cannot be of zero length when passwordless binds are being denied"]})


def test_filter_injection_in_the_username_finds_nobody(ldap):
    for name in ("*", "alice)(uid=*", "al*"):
        status, doc = call(ldap, "POST", f"auth/ldap/login/{name}", {"password": "alice-pw"}, token=None)
        assert (status, doc) == (400, BIND_FAILED), name


def test_bao_cli_ldap_login(ldap):
    env = ldap.env(token=None)
    out = run_cli([BAO_BIN, "write", "-format=json", "auth/ldap/login/alice", "password=alice-pw"], env)
    assert out.rc == 0, out
    auth = out.json()["auth"]
    assert auth["client_token"].startswith("trs.")
    assert sorted(auth["policies"]) == ["default", "dev-pol", "ops-pol"]
    looked = run_cli([BAO_BIN, "token", "lookup", "-format=json"], ldap.env(token=auth["client_token"]))
    assert looked.rc == 0 and looked.json()["data"]["meta"] == {"username": "alice"}, looked
    bad = run_cli([BAO_BIN, "write", "auth/ldap/login/alice", "password=wrong"], env)
    assert bad.rc == 2 and "ldap operation failed: failed to bind as user" in bad.stderr, bad


def test_renewal_checks_the_directory(tresor_dev, slapd):
    """A token renews while the user's policies are unchanged; once a group's policies
    change, renewal is refused (as OpenBao, which logs in again to check)."""
    c = setup_mount(tresor_dev, slapd, "ldap-renew")
    client = hvac.Client(url=tresor_dev.addr)
    client.auth.ldap.login("alice", "alice-pw", mount_point="ldap-renew")
    renewed = client.auth.token.renew_self(increment=600)
    assert renewed["auth"]["lease_duration"] == 600
    c.auth.ldap.create_or_update_group("devs", policies=["dev-pol", "more-pol"], mount_point="ldap-renew")
    with pytest.raises(hvac.exceptions.VaultError) as e:
        client.auth.token.renew_self()
    assert hvac_error(e.value) == (400, ["policies have changed, not renewing"])


# --------------------------------------------------------------------------------------
# tresor's own CLI: `tresor login -method=ldap`
# --------------------------------------------------------------------------------------


def test_tresor_cli_ldap_login(ldap, slapd, home):
    """`tresor login -method=ldap username=... password=...` (default path `ldap`, and
    `-path=`): the token lands in ~/.vault-token and works; the JSON output has the keys
    of `bao write -format=json auth/ldap/login/<user>` (bao 2.7 has no ldap login
    handler); a refused login exits 2 with the server's words and without the password."""
    from conftest import TRESOR_BIN, cli_env

    env = cli_env(home, ldap.addr)
    token_file = home / ".vault-token"

    out = run_cli([TRESOR_BIN, "login", "-method=ldap", "-format=json", "username=alice", "password=alice-pw"], env)
    assert out.rc == 0, out
    doc = out.json()
    token = doc["auth"]["client_token"]
    assert token.startswith("trs.")
    assert sorted(doc["auth"]["policies"]) == ["default", "dev-pol", "ops-pol"]
    assert doc["auth"]["metadata"] == {"username": "alice"}
    assert token_file.read_text().strip() == token
    assert "alice-pw" not in out.stdout + out.stderr

    looked = run_cli([TRESOR_BIN, "token", "lookup", "-format=json"], env)
    assert looked.rc == 0, looked
    data = looked.json()["data"]
    assert data["id"] == token and sorted(data["policies"]) == ["default", "dev-pol", "ops-pol"]
    assert data["meta"] == {"username": "alice"} and data["display_name"] == "ldap-alice"

    ref = run_cli([BAO_BIN, "write", "-format=json", "auth/ldap/login/alice", "password=alice-pw"], env)
    assert ref.rc == 0, ref
    assert set(doc) == set(ref.json()), (doc, ref.json())
    assert set(doc["auth"]) == set(ref.json()["auth"]), (doc["auth"], ref.json()["auth"])

    # -path= for another mount.
    setup_mount(ldap, slapd, "corp-ldap")
    out = run_cli([TRESOR_BIN, "login", "-method=ldap", "-path=corp-ldap", "-format=json",
                   "username=bob", "password=bob-pw"], env)
    assert out.rc == 0, out
    token2 = out.json()["auth"]["client_token"]
    assert token2 != token and token_file.read_text().strip() == token2
    looked = run_cli([TRESOR_BIN, "token", "lookup", "-format=json"], env)
    assert looked.rc == 0, looked
    assert sorted(looked.json()["data"]["policies"]) == ["bob-pol", "default", "local-pol", "ops-pol"]
    assert looked.json()["data"]["meta"] == {"username": "bob"}
    assert looked.json()["data"]["path"] == "auth/corp-ldap/login/bob"

    # Refused: exit 2, the server's error on stderr, the password nowhere, the stored token kept.
    for args in (
        ["username=alice", "password=Wr0ng-alice-secret"],
        ["username=mallory", "password=Wr0ng-mallory-secret"],
        ["-path=corp-ldap", "username=bob", "password=Wr0ng-bob-secret"],
    ):
        bad = run_cli([TRESOR_BIN, "login", "-method=ldap", *args], env)
        assert bad.rc == 2 and BIND_FAILED["errors"][0] in bad.stderr, bad
        secret = args[-1].removeprefix("password=")
        assert secret not in bad.stdout + bad.stderr, bad
        assert token_file.read_text().strip() == token2
