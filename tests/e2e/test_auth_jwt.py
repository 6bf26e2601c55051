"""The jwt auth method with real clients: hvac's `auth.jwt` API and `bao write
auth/<mount>/login` (the bao 2.7 CLI has no `-method=jwt` login handler) against tresor,
side by side with OpenBao (`bao server -dev`) configured the same way.

The identity provider is a JWKS endpoint served here over plain HTTP on loopback, with
freshly generated RSA and EC keys; tokens are signed with them by PyJWT. Both servers
fetch the same key set, get the same tokens, and must answer alike: the same statuses,
and for the refusals here the same error texts.

The last test covers groups from a `groups_claim` becoming identity group aliases: an
external group with a group alias on the jwt mount gains the logged-in entity as a
member and lends its policies to the token, as in OpenBao.
"""
from __future__ import annotations

import hvac
import pytest

from authkit import (
    LoopbackServer, comparable, ec_key, hvac_error, jwk, now, public_pem, rsa_key, sign_jwt, tamper,
    unsigned_jwt,
)
from conftest import BAO_BIN, call, run_cli

JWKS_PATH = "/.well-known/jwks.json"


class Provider:
    """An identity provider: a published RSA and EC key, and one key it never published."""

    def __init__(self):
        self.rsa, self.ec, self.rogue = rsa_key(), ec_key(), rsa_key()
        self.server = LoopbackServer(self._handle)
        self.issuer = self.server.url
        self.jwks_url = self.server.url + JWKS_PATH

    def _handle(self, seen):
        if seen.path == JWKS_PATH:
            return 200, {"keys": [jwk(self.rsa, "rsa-1", "RS256"), jwk(self.ec, "ec-1", "ES256")]}
        return 404, {"error": "not found"}

    def claims(self, **over) -> dict:
        t = now()
        c = {
            "iss": self.issuer, "sub": "user-1", "aud": "tresor", "iat": t - 5, "nbf": t - 5, "exp": t + 600,
            "email": "alice@example.org", "team": "payments", "department": "eng",
            "groups": ["eng", "oncall"], "org": {"unit": "platform"}, "repository": "acme/api",
        }
        for k, v in over.items():
            if v is DROP:
                c.pop(k, None)
            else:
                c[k] = v
        return c

    def token(self, alg: str = "RS256", key=None, kid: str | None = None, **over) -> str:
        if key is None:
            key = self.rsa if alg.startswith("RS") else self.ec
        if kid is None:
            kid = "rsa-1" if alg.startswith("RS") else "ec-1"
        return sign_jwt(key, self.claims(**over), alg, kid=kid)


DROP = object()


@pytest.fixture(scope="module")
def idp():
    p = Provider()
    yield p
    p.server.close()


def admin(server) -> hvac.Client:
    return hvac.Client(url=server.addr, token="root")


def setup_mount(server, idp: Provider, mount: str = "jwt", **config) -> hvac.Client:
    c = admin(server)
    c.sys.enable_auth_method("jwt", path=mount)
    c.auth.jwt.configure(**(config or {"jwks_url": idp.jwks_url}), bound_issuer=idp.issuer, path=mount)
    c.auth.jwt.create_role(
        "app", user_claim="sub", allowed_redirect_uris=[], role_type="jwt",
        bound_audiences=["tresor", "other"],
        claim_mappings={"email": "email", "team": "team_name", "/org/unit": "org_unit"},
        groups_claim="groups", token_policies=["app-pol"], token_ttl=1800, path=mount,
    )
    c.auth.jwt.create_role(
        "strict", user_claim="email", allowed_redirect_uris=[], role_type="jwt",
        bound_audiences=["tresor"], bound_subject="user-1",
        bound_claims={"department": ["eng", "ops"]}, token_policies=["strict-pol"], path=mount,
    )
    c.auth.jwt.create_role(
        "glob", user_claim="sub", allowed_redirect_uris=[], role_type="jwt",
        bound_audiences=["tresor"], bound_claims_type="glob", bound_claims={"repository": "acme/*"},
        token_policies=["glob-pol"], path=mount,
    )
    # No bound audiences; a jwt role needs some bound constraint: the client's network.
    c.auth.jwt.create_role("noaud", user_claim="sub", allowed_redirect_uris=[], role_type="jwt",
                           token_bound_cidrs=["127.0.0.0/8"], token_policies=["noaud-pol"], path=mount)
    return c


@pytest.fixture(scope="module")
def jwt_pair(tresor_dev, bao_dev, idp):
    for s in (tresor_dev, bao_dev):
        setup_mount(s, idp)
    return tresor_dev, bao_dev


def login(server, role: str, jwt: str, mount: str = "jwt"):
    return call(server, "POST", f"auth/{mount}/login", {"role": role, "jwt": jwt}, token=None)


# --------------------------------------------------------------------------------------
# Configuration and roles
# --------------------------------------------------------------------------------------


def test_config_and_role_read_like_openbao(jwt_pair, idp):
    tresor, bao = jwt_pair
    (tc, tr), (bc, br) = [
        (admin(s).auth.jwt.read_config(path="jwt")["data"], admin(s).auth.jwt.read_role("app", path="jwt")["data"])
        for s in (tresor, bao)
    ]
    assert tc["jwks_url"] == idp.jwks_url and tc["bound_issuer"] == idp.issuer
    assert tc["jwt_validation_pubkeys"] == [] and tc["oidc_discovery_url"] == ""
    assert tr["role_type"] == "jwt" and tr["user_claim"] == "sub" and tr["groups_claim"] == "groups"
    assert tr["bound_audiences"] == ["tresor", "other"]
    assert tr["claim_mappings"] == {"email": "email", "team": "team_name", "/org/unit": "org_unit"}
    assert tr["token_policies"] == ["app-pol"] and tr["token_ttl"] == 1800
    assert comparable(tc) == comparable(bc), (tc, bc)
    assert comparable(tr) == comparable(br), (tr, br)
    for s in (tresor, bao):
        assert sorted(admin(s).auth.jwt.list_roles(path="jwt")["data"]["keys"]) == ["app", "glob", "noaud", "strict"]


# --------------------------------------------------------------------------------------
# Logins
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_hvac_jwt_login(jwt_pair, idp, alg):
    tresor, _ = jwt_pair
    client = hvac.Client(url=tresor.addr)
    sub = f"user-{alg.lower()}"
    auth = client.auth.jwt.jwt_login("app", idp.token(alg, sub=sub), path="jwt")["auth"]
    assert auth["policies"] == ["app-pol", "default"] or auth["policies"] == ["default", "app-pol"]
    assert sorted(auth["token_policies"]) == ["app-pol", "default"]
    assert auth["metadata"] == {"role": "app", "email": "alice@example.org", "team_name": "payments",
                                "org_unit": "platform"}
    assert auth["lease_duration"] == 1800 and auth["renewable"] is True
    assert client.is_authenticated()
    assert client.lookup_token()["data"]["display_name"] == f"jwt-{sub}"
    # The alias is named by user_claim and carries the mapped claims.
    root = admin(tresor)
    accessor = root.sys.list_auth_methods()["jwt/"]["accessor"]
    entity = root.secrets.identity.read_entity(auth["entity_id"])["data"]
    alias = [a for a in entity["aliases"] if a["mount_accessor"] == accessor]
    assert [a["name"] for a in alias] == [sub]
    assert alias[0]["metadata"] == auth["metadata"]


def test_bound_subject_claims_and_globs(jwt_pair, idp):
    tresor, _ = jwt_pair
    c = hvac.Client(url=tresor.addr)
    auth = c.auth.jwt.jwt_login("strict", idp.token("ES256", department="ops"), path="jwt")["auth"]
    assert sorted(auth["policies"]) == ["default", "strict-pol"]
    assert auth["metadata"] == {"role": "strict"}
    root = admin(tresor)
    alias_names = [a["name"] for a in root.secrets.identity.read_entity(auth["entity_id"])["data"]["aliases"]]
    assert "alice@example.org" in alias_names
    # A list claim matches when one of its values is bound.
    auth = c.auth.jwt.jwt_login("strict", idp.token(department=["sales", "eng"]), path="jwt")["auth"]
    assert sorted(auth["policies"]) == ["default", "strict-pol"]
    auth = c.auth.jwt.jwt_login("glob", idp.token(repository="acme/web-frontend"), path="jwt")["auth"]
    assert sorted(auth["policies"]) == ["default", "glob-pol"]


def test_login_answers_like_openbao(jwt_pair, idp):
    tresor, bao = jwt_pair
    jwt = idp.token("ES256", sub="same-user")
    (ts, td), (bs, bd) = login(tresor, "app", jwt), login(bao, "app", jwt)
    assert (ts, bs) == (200, 200), (td, bd)
    assert comparable(td) == comparable(bd), (td, bd)
    for key in ("policies", "token_policies", "metadata", "lease_duration", "renewable", "token_type", "orphan"):
        assert td["auth"][key] == bd["auth"][key], (key, td["auth"], bd["auth"])
    looked = [call(s, "GET", "auth/token/lookup-self", token=d["auth"]["client_token"])[1]["data"]
              for s, d in ((tresor, td), (bao, bd))]
    assert looked[0]["display_name"] == looked[1]["display_name"] == "jwt-same-user"
    assert looked[0]["meta"] == looked[1]["meta"]


AUD_MISMATCH = "error validating token: invalid audience (aud) claim: audience claim does not match any expected audience"
AUD_UNBOUND = "audience claim found in JWT but no audiences bound to the role"

AUDIENCES = [
    # (role, aud claim, tresor status, error)
    ("app", "tresor", 200, None),
    ("app", ["unrelated", "other"], 200, None),
    ("app", ["tresor"], 200, None),
    ("app", DROP, 400, AUD_MISMATCH),
    ("app", "nope", 400, AUD_MISMATCH),
    ("app", [], 400, AUD_MISMATCH),
    ("noaud", DROP, 200, None),
    ("noaud", "tresor", 400, AUD_UNBOUND),
    ("noaud", ["a", "b"], 400, AUD_UNBOUND),
]


@pytest.mark.parametrize("role,aud,status,error", AUDIENCES,
                         ids=[f"{r}-{'missing' if a is DROP else a}" for r, a, _, _ in AUDIENCES])
def test_audience_matrix_same_as_openbao(jwt_pair, idp, role, aud, status, error):
    tresor, bao = jwt_pair
    jwt = idp.token("RS256", aud=aud)
    ts, td = login(tresor, role, jwt)
    bs, bd = login(bao, role, jwt)
    if status == 200:
        assert ts == 200, td
        assert sorted(td["auth"]["policies"]) == sorted(["default", f"{role}-pol"])
    else:
        assert (ts, td) == (status, {"errors": [error]})
    assert bs == ts, f"OpenBao: {bs} {bd}"
    if status != 200:
        assert bd == td


def _alg_none(idp):
    return unsigned_jwt(idp.claims(), alg="none")


def _hs256(idp):
    # A symmetric algorithm is never accepted, whatever the key.
    return sign_jwt(b"a shared secret of 32 bytes.....", idp.claims(), "HS256", kid="rsa-1")


REJECTIONS = {
    # name: (role, token maker, tresor status, tresor error)
    "expired": ("app", lambda p: p.token(exp=now() - 3600, iat=now() - 7200, nbf=now() - 7200), 400,
                "error validating token: invalid expiration time (exp) claim: token is expired"),
    "not-yet-valid": ("app", lambda p: p.token(nbf=now() + 3600, iat=now(), exp=now() + 7200), 400,
                      "error validating token: invalid not before (nbf) claim: token not yet valid"),
    "wrong-issuer": ("app", lambda p: p.token(iss="https://evil.example"), 400,
                     "error validating token: invalid issuer (iss) claim"),
    "tampered": ("app", lambda p: tamper(p.token()), 400,
                 "error validating token: error verifying token signature: failed to verify id token signature"),
    "unpublished-key": ("app", lambda p: p.token(key=p.rogue, kid="rsa-1"), 400,
                        "error validating token: error verifying token signature: failed to verify id token signature"),
    "alg-none": ("app", _alg_none, 400, None),
    "alg-hs256": ("app", _hs256, 400, None),
    "wrong-subject": ("strict", lambda p: p.token(sub="user-2"), 400,
                      "error validating token: invalid subject (sub) claim"),
    "bound-claim-mismatch": ("strict", lambda p: p.token(department="sales"), 400,
                             'error validating claims: claim "department" does not match any associated bound claim values'),
    "bound-claim-missing": ("strict", lambda p: p.token(department=DROP), 400,
                            'error validating claims: claim "department" is missing'),
    "glob-mismatch": ("glob", lambda p: p.token(repository="evil/api"), 400,
                      'error validating claims: claim "repository" does not match any associated bound claim values'),
    "user-claim-missing": ("strict", lambda p: p.token(email=DROP), 400, 'claim "email" not found in token'),
    "unknown-role": ("nope", lambda p: p.token(), 400, 'role "nope" could not be found'),
}


@pytest.mark.parametrize("case", list(REJECTIONS))
def test_rejected_logins_same_as_openbao(jwt_pair, idp, case):
    tresor, bao = jwt_pair
    role, make, status, error = REJECTIONS[case]
    jwt = make(idp)
    with pytest.raises(hvac.exceptions.VaultError) as e:
        hvac.Client(url=tresor.addr).auth.jwt.jwt_login(role, jwt, path="jwt")
    got_status, got_errors = hvac_error(e.value)
    assert got_status == status, got_errors
    if error is not None:
        assert got_errors == [error]
    else:
        assert len(got_errors) == 1 and got_errors[0].startswith("error validating token: "), got_errors
    assert jwt not in str(got_errors)
    bs, bd = login(bao, role, jwt)
    assert bs == status, f"OpenBao: {bs} {bd}; tresor: {got_status} {got_errors}"
    if error is not None:
        assert bd == {"errors": [error]}, f"OpenBao words it differently: {bd}"


def test_jwt_validation_pubkeys(tresor_dev, bao_dev, idp):
    """Keys given as PEM instead of a JWKS URL."""
    pems = [public_pem(idp.rsa), public_pem(idp.ec)]
    for s in (tresor_dev, bao_dev):
        setup_mount(s, idp, "jwt-pem", jwt_validation_pubkeys=pems)
    cfg = admin(tresor_dev).auth.jwt.read_config(path="jwt-pem")["data"]
    assert cfg["jwt_validation_pubkeys"] == pems and cfg["jwks_url"] == ""
    for alg in ("RS256", "ES256"):
        jwt = idp.token(alg, kid=None)
        auth = hvac.Client(url=tresor_dev.addr).auth.jwt.jwt_login("app", jwt, path="jwt-pem")["auth"]
        assert sorted(auth["policies"]) == ["app-pol", "default"]
    jwt = idp.token("ES256")
    (ts, td), (bs, bd) = login(tresor_dev, "app", jwt, "jwt-pem"), login(bao_dev, "app", jwt, "jwt-pem")
    assert (ts, bs) == (200, 200) and comparable(td) == comparable(bd)
    rogue = idp.token(key=idp.rogue)
    ts, td = login(tresor_dev, "app", rogue, "jwt-pem")
    bs, bd = login(bao_dev, "app", rogue, "jwt-pem")
    assert (ts, td) == (400, {"errors": [
        "error validating token: error verifying token signature: no known key successfully validated the token signature"]})
    assert (bs, bd) == (ts, td)


def test_bao_cli_jwt_login(jwt_pair, idp):
    tresor, _ = jwt_pair
    env = tresor.env(token=None)
    out = run_cli([BAO_BIN, "write", "-format=json", "auth/jwt/login", "role=app",
                   f"jwt={idp.token('ES256', sub='cli-user')}"], env)
    assert out.rc == 0, out
    auth = out.json()["auth"]
    assert auth["client_token"].startswith("trs.") and auth["metadata"]["role"] == "app"
    assert sorted(auth["policies"]) == ["app-pol", "default"]
    # The token the CLI got works with the CLI.
    env_t = tresor.env(token=auth["client_token"])
    looked = run_cli([BAO_BIN, "token", "lookup", "-format=json"], env_t)
    assert looked.rc == 0 and looked.json()["data"]["display_name"] == "jwt-cli-user", looked
    bad = run_cli([BAO_BIN, "write", "auth/jwt/login", "role=app", f"jwt={idp.token(aud='nope')}"], env)
    assert bad.rc == 2 and "audience claim does not match any expected audience" in bad.stderr, bad


# --------------------------------------------------------------------------------------
# Groups from claims become identity group aliases
# --------------------------------------------------------------------------------------


def _groups_scenario(server, idp) -> dict:
    """An external group with an alias "eng" on the jwt mount; a login whose groups claim
    names "eng" joins it, a later login without it leaves it."""
    root = admin(server)
    accessor = root.sys.list_auth_methods()["jwt/"]["accessor"]
    out = {}
    r = call(server, "POST", "identity/group", {"name": "jwt-eng", "type": "external", "policies": ["eng-pol"]})
    out["group"] = r
    gid = (r[1] or {}).get("data", {}).get("id")
    out["alias"] = call(server, "POST", "identity/group-alias",
                        {"name": "eng", "mount_accessor": accessor, "canonical_id": gid})
    s, d = login(server, "app", idp.token(sub="grouped-user", groups=["eng", "misc"]))
    out["login"] = (s, d)
    auth = (d or {}).get("auth") or {}
    out["entity_id"] = auth.get("entity_id")
    out["lookup"] = call(server, "POST", "identity/lookup/group",
                         {"alias_name": "eng", "alias_mount_accessor": accessor})
    out["read"] = call(server, "GET", f"identity/group/id/{gid}")
    s, d = login(server, "app", idp.token(sub="grouped-user", groups=["misc"]))
    out["login2"] = (s, d)
    out["read2"] = call(server, "GET", f"identity/group/id/{gid}")
    return out


def test_groups_claim_makes_group_aliases_like_openbao(jwt_pair, idp):
    tresor, bao = jwt_pair
    ref = _groups_scenario(bao, idp)
    # The reference first: this is what the scenario must show.
    assert ref["login"][0] == 200
    assert ref["login"][1]["auth"]["identity_policies"] == ["eng-pol"]
    assert "eng-pol" in ref["login"][1]["auth"]["policies"]
    assert ref["lookup"][1]["data"]["member_entity_ids"] == [ref["entity_id"]]
    assert ref["read"][1]["data"]["member_entity_ids"] == [ref["entity_id"]]
    assert ref["read2"][1]["data"]["member_entity_ids"] in (None, [])

    ours = _groups_scenario(tresor, idp)
    assert ours["group"][0] == 200, f"external group refused: {ours['group']}"
    assert ours["alias"][0] == 200, f"group alias refused: {ours['alias']}"
    status, doc = ours["login"]
    assert status == 200, doc
    auth = doc["auth"]
    assert auth.get("identity_policies") == ["eng-pol"], auth
    assert "eng-pol" in auth["policies"], auth
    assert ours["lookup"][0] == 200, ours["lookup"]
    assert ours["lookup"][1]["data"]["member_entity_ids"] == [ours["entity_id"]], ours["lookup"]
    assert ours["read"][1]["data"]["member_entity_ids"] == [ours["entity_id"]], ours["read"]
    assert "eng-pol" not in ours["login2"][1]["auth"].get("identity_policies", []), ours["login2"]
    assert ours["read2"][1]["data"]["member_entity_ids"] in (None, []), ours["read2"]


# --------------------------------------------------------------------------------------
# tresor's own CLI: `tresor login -method=jwt`
# --------------------------------------------------------------------------------------


def test_tresor_cli_jwt_login(jwt_pair, idp, home):
    """`tresor login -method=jwt role=... jwt=...` (default path `jwt`, and `-path=`):
    the token lands in ~/.vault-token and works; the JSON output has the keys of `bao
    write -format=json auth/jwt/login` (bao 2.7 has no jwt login handler); a refused
    login exits 2 with the server's words and without the JWT."""
    from conftest import TRESOR_BIN, cli_env

    tresor, _ = jwt_pair
    env = cli_env(home, tresor.addr)
    token_file = home / ".vault-token"

    # Groups no external group alias names (test order must not lend policies here).
    jwt = idp.token("ES256", sub="tcli-user", groups=["tcli"])
    out = run_cli([TRESOR_BIN, "login", "-method=jwt", "-format=json", "role=app", f"jwt={jwt}"], env)
    assert out.rc == 0, out
    doc = out.json()
    token = doc["auth"]["client_token"]
    assert token.startswith("trs.")
    assert sorted(doc["auth"]["policies"]) == ["app-pol", "default"]
    assert token_file.read_text().strip() == token
    assert jwt not in out.stdout + out.stderr

    looked = run_cli([TRESOR_BIN, "token", "lookup", "-format=json"], env)
    assert looked.rc == 0, looked
    data = looked.json()["data"]
    assert data["id"] == token and sorted(data["policies"]) == ["app-pol", "default"]
    assert data["display_name"] == "jwt-tcli-user"
    assert data["meta"] == {"role": "app", "email": "alice@example.org", "team_name": "payments",
                            "org_unit": "platform"}

    ref = run_cli([BAO_BIN, "write", "-format=json", "auth/jwt/login", "role=app",
                   f"jwt={idp.token('ES256', sub='tcli-user', groups=['tcli'])}"], env)
    assert ref.rc == 0, ref
    assert set(doc) == set(ref.json()), (doc, ref.json())
    assert set(doc["auth"]) == set(ref.json()["auth"]), (doc["auth"], ref.json()["auth"])

    # -path= for another mount (configured like the first).
    setup_mount(tresor, idp, "jwt-tcli")
    out = run_cli([TRESOR_BIN, "login", "-method=jwt", "-path=jwt-tcli", "-format=json", "role=strict",
                   f"jwt={idp.token()}"], env)
    assert out.rc == 0, out
    token2 = out.json()["auth"]["client_token"]
    assert token2 != token and token_file.read_text().strip() == token2
    looked = run_cli([TRESOR_BIN, "token", "lookup", "-format=json"], env)
    assert looked.rc == 0, looked
    assert sorted(looked.json()["data"]["policies"]) == ["default", "strict-pol"]
    assert looked.json()["data"]["meta"] == {"role": "strict"}

    # Refused: exit 2, the server's error on stderr, the JWT nowhere, the stored token kept.
    for args, error in (
        (["role=app", f"jwt={idp.token(aud='nope')}"], AUD_MISMATCH),
        (["role=nope", f"jwt={idp.token()}"], 'role "nope" could not be found'),
        (["-path=jwt-tcli", "role=strict", f"jwt={idp.token(department='sales')}"],
         'claim "department" does not match any associated bound claim values'),
    ):
        bad = run_cli([TRESOR_BIN, "login", "-method=jwt", *args], env)
        assert bad.rc == 2 and error in bad.stderr, bad
        secret = args[-1].removeprefix("jwt=")
        assert secret not in bad.stdout + bad.stderr, bad
        assert token_file.read_text().strip() == token2
