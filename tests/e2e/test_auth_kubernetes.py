"""The kubernetes auth method with real clients: hvac's `auth.kubernetes` API and the
`bao` CLI (`bao login -method=kubernetes`, `bao write auth/.../login`) against tresor,
side by side with OpenBao (`bao server -dev`) configured the same way.

The cluster is a fake Kubernetes API server started here: HTTPS on loopback with a CA
and certificate minted by the test, speaking the TokenReview API
(`POST /apis/authentication.k8s.io/v1/tokenreviews`), checking the reviewer's bearer
token and vouching only for the service-account tokens it issued. Those tokens are
real RS256 and ES256 JWTs with the claims Kubernetes puts in projected tokens.
"""
from __future__ import annotations

import uuid

import hvac
import pytest

from authkit import (
    LoopbackServer, comparable, ec_key, hvac_error, make_ca, make_leaf, now, rsa_key,
    server_cert, sign_jwt,
)
from conftest import BAO_BIN, call, run_cli

ISSUER = "https://kubernetes.default.svc.cluster.local"
API_AUDIENCE = ISSUER
REVIEW_PATH = "/apis/authentication.k8s.io/v1/tokenreviews"


# --------------------------------------------------------------------------------------
# The fake cluster
# --------------------------------------------------------------------------------------


class FakeCluster:
    """Issues service-account tokens and reviews them like the API server does."""

    def __init__(self, tmp):
        self.ca = make_ca("fake kubernetes CA")
        cert, key = server_cert(self.ca).write(tmp, "apiserver")
        self.ca_pem = self.ca.pem
        self.rsa = rsa_key()
        self.ec = ec_key()
        self.tokens: dict[str, dict] = {}
        # The reviewer is a service account too (system:auth-delegator in a real cluster).
        self.reviewer_jwt = self.issue("kube-system", "tresor-reviewer", register=True)
        self.server = LoopbackServer(self._handle, tls=(cert, key))
        self.url = self.server.url

    def issue(self, namespace: str, name: str, *, alg: str = "RS256", aud=("vault",), exp_in: int = 3600,
              iat_ago: int = 10, uid: str | None = None, register: bool = True, key=None,
              pod: str | None = None) -> str:
        """A projected service-account token; `register` makes the cluster know it."""
        uid = uid or str(uuid.uuid4())
        t = now()
        claims = {
            "aud": list(aud),
            "exp": t + exp_in,
            "iat": t - iat_ago,
            "iss": ISSUER,
            "kubernetes.io": {
                "namespace": namespace,
                "pod": {"name": pod or f"{name}-7d9f8b-x2k4p", "uid": str(uuid.uuid4())},
                "serviceaccount": {"name": name, "uid": uid},
            },
            "nbf": t - iat_ago,
            "sub": f"system:serviceaccount:{namespace}:{name}",
        }
        if key is None:
            key = self.rsa if alg.startswith(("RS", "PS")) else self.ec
        token = sign_jwt(key, claims, alg, kid="sa-key-" + alg)
        if register:
            self.tokens[token] = {"namespace": namespace, "name": name, "uid": uid, "aud": list(aud)}
        return token

    def _handle(self, seen):
        if seen.method != "POST" or seen.path.split("?")[0] != REVIEW_PATH:
            return 404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 404,
                         "reason": "NotFound", "message": "the server could not find the requested resource"}
        if seen.headers.get("authorization") != f"Bearer {self.reviewer_jwt}":
            return 401, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                         "message": "Unauthorized", "reason": "Unauthorized", "code": 401}
        review = seen.json()
        spec = review.get("spec") or {}
        wanted = spec.get("audiences") or [API_AUDIENCE]
        known = self.tokens.get(spec.get("token", ""))
        status: dict = {"authenticated": False, "user": {}}
        if known is None:
            status["error"] = "[invalid bearer token, service account token has been invalidated]"
        else:
            granted = [a for a in wanted if a in known["aud"]]
            if not granted:
                status["error"] = "[invalid bearer token, token audiences [\"%s\"] is invalid for the target audiences %s]" % (
                    '", "'.join(known["aud"]), wanted)
            else:
                status = {
                    "authenticated": True,
                    "user": {
                        "username": f"system:serviceaccount:{known['namespace']}:{known['name']}",
                        "uid": known["uid"],
                        "groups": ["system:serviceaccounts", f"system:serviceaccounts:{known['namespace']}",
                                   "system:authenticated"],
                        "extra": {"authentication.kubernetes.io/pod-name": ["web-7d9f8b-x2k4p"]},
                    },
                    "audiences": granted,
                }
        return 201, {"kind": "TokenReview", "apiVersion": "authentication.k8s.io/v1",
                     "metadata": {"creationTimestamp": None}, "spec": spec, "status": status}

    def reviews(self) -> list:
        return self.server.requests_to(REVIEW_PATH)

    def close(self):
        self.server.close()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    c = FakeCluster(tmp_path_factory.mktemp("k8s"))
    yield c
    c.close()


# --------------------------------------------------------------------------------------
# Setting up a server the same way on both sides
# --------------------------------------------------------------------------------------


def admin(server) -> hvac.Client:
    return hvac.Client(url=server.addr, token="root")


def setup_mount(server, cluster: FakeCluster, mount: str, reviewer: str | None = None) -> hvac.Client:
    """A kubernetes mount at `mount` configured with hvac, with the roles the tests use."""
    client = admin(server)
    client.sys.enable_auth_method("kubernetes", path=mount)
    client.auth.kubernetes.configure(
        kubernetes_host=cluster.url,
        kubernetes_ca_cert=cluster.ca_pem,
        token_reviewer_jwt=reviewer or cluster.reviewer_jwt,
        mount_point=mount,
    )
    client.auth.kubernetes.create_role(
        "web", bound_service_account_names=["web", "api-*"],
        bound_service_account_namespaces=["apps", "team-*"],
        policies=["web-pol"], ttl="1h", audience="vault", mount_point=mount,
    )
    client.auth.kubernetes.create_role(
        "any", bound_service_account_names="*", bound_service_account_namespaces="*",
        policies=["any-pol"], alias_name_source="serviceaccount_name", mount_point=mount,
    )
    return client


@pytest.fixture(scope="module")
def k8s_pair(tresor_dev, bao_dev, cluster):
    """Both servers with the same `k8s` mount."""
    for s in (tresor_dev, bao_dev):
        setup_mount(s, cluster, "k8s")
    return tresor_dev, bao_dev


def login(server, mount: str, role: str, jwt: str):
    return call(server, "POST", f"auth/{mount}/login", {"role": role, "jwt": jwt}, token=None)


# --------------------------------------------------------------------------------------
# Configuration and roles
# --------------------------------------------------------------------------------------


def test_config_and_roles_read_like_openbao(k8s_pair, cluster):
    tresor, bao = k8s_pair
    reads = {}
    for s in (tresor, bao):
        c = admin(s)
        reads[s.name] = (
            c.auth.kubernetes.read_config(mount_point="k8s"),
            c.auth.kubernetes.read_role("web", mount_point="k8s"),
            c.auth.kubernetes.list_roles(mount_point="k8s"),
        )
    (tc, tr, tl), (bc, br, bl) = reads[tresor.name], reads[bao.name]
    # Values first: the reviewer JWT is never shown; the role keeps what hvac sent.
    assert tc["kubernetes_host"] == cluster.url
    assert tc["kubernetes_ca_cert"] == cluster.ca_pem
    assert tc["token_reviewer_jwt_set"] is True and "token_reviewer_jwt" not in tc
    assert cluster.reviewer_jwt not in str(tc)
    assert tr["bound_service_account_names"] == ["web", "api-*"]
    assert tr["bound_service_account_namespaces"] == ["apps", "team-*"]
    assert tr["token_policies"] == ["web-pol"] and tr["token_ttl"] == 3600
    assert tr["audience"] == "vault" and tr["alias_name_source"] == "serviceaccount_uid"
    assert sorted(tl["keys"]) == ["any", "web"]
    # Then the same keys and value types as the reference.
    # tresor also shows Vault's `use_annotations_as_alias_metadata` (always false), which
    # OpenBao 2.7 does not have.
    assert tc["use_annotations_as_alias_metadata"] is False
    assert comparable(tc, drop=("use_annotations_as_alias_metadata",)) == comparable(bc), (tc, bc)
    assert comparable(tr) == comparable(br), (tr, br)
    assert sorted(tl["keys"]) == sorted(bl["keys"])


# --------------------------------------------------------------------------------------
# Logins
# --------------------------------------------------------------------------------------


def test_hvac_login_rs256_through_token_review(k8s_pair, cluster):
    tresor, _ = k8s_pair
    uid = str(uuid.uuid4())
    jwt = cluster.issue("apps", "web", alg="RS256", uid=uid)
    before = len(cluster.reviews())
    client = hvac.Client(url=tresor.addr)
    auth = client.auth.kubernetes.login("web", jwt, mount_point="k8s")["auth"]
    assert auth["policies"] == ["default", "web-pol"]
    assert auth["token_policies"] == ["default", "web-pol"]
    assert auth["metadata"] == {
        "role": "web",
        "service_account_name": "web",
        "service_account_namespace": "apps",
        "service_account_secret_name": "",
        "service_account_uid": uid,
    }
    assert auth["lease_duration"] == 3600 and auth["renewable"] is True
    assert auth["entity_id"]
    assert client.is_authenticated()
    assert client.lookup_token()["data"]["display_name"] == "k8s-apps-web"

    # The cluster was asked, with the reviewer's bearer token, for the role's audience.
    reviews = cluster.reviews()[before:]
    assert len(reviews) == 1
    body = reviews[0].json()
    assert body["kind"] == "TokenReview" and body["apiVersion"] == "authentication.k8s.io/v1"
    assert body["spec"]["token"] == jwt and body["spec"]["audiences"] == ["vault"]
    assert reviews[0].headers["authorization"] == f"Bearer {cluster.reviewer_jwt}"

    # The entity has an alias named by the service account's UID on this mount.
    root = admin(tresor)
    accessor = root.sys.list_auth_methods()["k8s/"]["accessor"]
    entity = root.secrets.identity.read_entity(auth["entity_id"])["data"]
    aliases = [a for a in entity["aliases"] if a["mount_accessor"] == accessor]
    assert [a["name"] for a in aliases] == [uid]
    assert aliases[0]["metadata"] == {
        "service_account_name": "web",
        "service_account_namespace": "apps",
        "service_account_secret_name": "",
        "service_account_uid": uid,
    }


def test_hvac_login_es256_with_globs_and_alias_by_name(k8s_pair, cluster):
    tresor, _ = k8s_pair
    jwt = cluster.issue("team-blue", "api-orders", alg="ES256")
    client = hvac.Client(url=tresor.addr)
    auth = client.auth.kubernetes.login("web", jwt, mount_point="k8s")["auth"]
    assert auth["metadata"]["service_account_namespace"] == "team-blue"
    assert auth["metadata"]["service_account_name"] == "api-orders"
    assert auth["policies"] == ["default", "web-pol"]

    # Role "any": every namespace and name; the alias is <namespace>/<name>.
    jwt = cluster.issue("elsewhere", "batch", alg="ES256", aud=(API_AUDIENCE,))
    auth = hvac.Client(url=tresor.addr).auth.kubernetes.login("any", jwt, mount_point="k8s")["auth"]
    assert auth["policies"] == ["any-pol", "default"] or auth["policies"] == ["default", "any-pol"]
    root = admin(tresor)
    entity = root.secrets.identity.read_entity(auth["entity_id"])["data"]
    assert "elsewhere/batch" in [a["name"] for a in entity["aliases"]]
    # A second login of the same service account lands on the same entity.
    again = hvac.Client(url=tresor.addr).auth.kubernetes.login(
        "any", cluster.issue("elsewhere", "batch", alg="RS256", aud=(API_AUDIENCE,)), mount_point="k8s")
    assert again["auth"]["entity_id"] == auth["entity_id"]


def test_login_answers_like_openbao(k8s_pair, cluster):
    """The same token to both servers: same status, same auth block keys and types,
    same metadata, policies and display name."""
    tresor, bao = k8s_pair
    uid = str(uuid.uuid4())
    jwt = cluster.issue("apps", "api-gateway", alg="ES256", uid=uid)
    (ts, td), (bs, bd) = login(tresor, "k8s", "web", jwt), login(bao, "k8s", "web", jwt)
    assert (ts, bs) == (200, 200), (td, bd)
    assert comparable(td) == comparable(bd), (td, bd)
    for key in ("policies", "token_policies", "metadata", "lease_duration", "renewable", "token_type",
                "orphan", "num_uses"):
        assert td["auth"][key] == bd["auth"][key], (key, td["auth"], bd["auth"])
    looked = [call(s, "GET", "auth/token/lookup-self", token=d["auth"]["client_token"])[1]["data"]
              for s, d in ((tresor, td), (bao, bd))]
    assert looked[0]["display_name"] == looked[1]["display_name"] == "k8s-apps-api-gateway"
    assert looked[0]["meta"] == looked[1]["meta"]


REJECTIONS = {
    # name: (role, token maker, tresor status, tresor errors)
    "wrong-namespace": ("web", lambda c: c.issue("default", "web"), 403, ["namespace not authorized"]),
    "wrong-name": ("web", lambda c: c.issue("apps", "worker"), 403, ["service account name not authorized"]),
    "unknown-role": ("nope", lambda c: c.issue("apps", "web"), 400, ['invalid role name "nope"']),
    "expired": ("web", lambda c: c.issue("apps", "web", exp_in=-3600, iat_ago=7200), 403,
                ["invalid expiration time (exp) claim: token is expired"]),
    "reviewer-says-unauthenticated": ("web", lambda c: c.issue("apps", "web", register=False), 403,
                                      ["permission denied"]),
    "wrong-audience": ("web", lambda c: c.issue("apps", "web", aud=("other",)), 403,
                       ["invalid audience (aud) claim: audience claim does not match any expected audience"]),
    "signed-by-another-key": ("web", lambda c: c.issue("apps", "web", key=rsa_key(), register=False), 403,
                              ["permission denied"]),
}


@pytest.mark.parametrize("case", list(REJECTIONS))
def test_rejected_logins_same_status_as_openbao(k8s_pair, cluster, case):
    tresor, bao = k8s_pair
    role, make, status, errors = REJECTIONS[case]
    jwt = make(cluster)
    with pytest.raises(hvac.exceptions.VaultError) as e:
        hvac.Client(url=tresor.addr).auth.kubernetes.login(role, jwt, mount_point="k8s")
    assert hvac_error(e.value) == (status, errors)
    bs, bd = login(bao, "k8s", role, jwt)
    # OpenBao gives the same status and, for these, the same words.
    assert (bs, bd) == (status, {"errors": errors})


def test_bindings_are_checked_before_any_token_review(k8s_pair, cluster):
    tresor, _ = k8s_pair
    before = len(cluster.reviews())
    for role, jwt in (("web", cluster.issue("default", "web")), ("web", cluster.issue("apps", "worker"))):
        assert login(tresor, "k8s", role, jwt)[0] == 403
    assert len(cluster.reviews()) == before


def test_reviewer_token_refused_by_the_api(tresor_dev, bao_dev, cluster):
    """A reviewer JWT the cluster does not accept: the API answers 401 to the
    TokenReview call; the login is refused with a message naming the reviewer token."""
    stranger = sign_jwt(rsa_key(), {"iss": ISSUER, "sub": "system:serviceaccount:x:y"}, "RS256")
    jwt = cluster.issue("apps", "web")
    answers = {}
    for s in (tresor_dev, bao_dev):
        setup_mount(s, cluster, "k8s-badrev", reviewer=stranger)
        answers[s.name] = login(s, "k8s-badrev", "web", jwt)
    (ts, td), (bs, bd) = answers[tresor_dev.name], answers[bao_dev.name]
    assert ts == 403, td
    assert "token_reviewer_jwt" in td["errors"][0] and "HTTP 401" in td["errors"][0]
    assert jwt not in str(td) and stranger not in str(td)
    assert bs == ts, (bd, td)


def test_pem_keys_mode_needs_no_api_call(tresor_dev, bao_dev, cluster):
    """With `pem_keys` the signature is checked locally: tresor makes no TokenReview call
    (a documented difference: OpenBao makes one as well)."""
    # hvac takes pem_keys as certificates only: self-signed ones holding the signing keys.
    pem_keys = [make_leaf(None, "sa-signer-rsa", key=cluster.rsa).pem,
                make_leaf(None, "sa-signer-ec", key=cluster.ec).pem]
    answers = {}
    for s in (tresor_dev, bao_dev):
        c = admin(s)
        c.sys.enable_auth_method("kubernetes", path="k8s-pem")
        c.auth.kubernetes.configure(
            kubernetes_host=cluster.url, kubernetes_ca_cert=cluster.ca_pem,
            token_reviewer_jwt=cluster.reviewer_jwt,
            pem_keys=pem_keys, mount_point="k8s-pem",
        )
        c.auth.kubernetes.create_role("web", bound_service_account_names="web",
                                      bound_service_account_namespaces="apps", policies=["pem-pol"],
                                      mount_point="k8s-pem")
    cfg = admin(tresor_dev).auth.kubernetes.read_config(mount_point="k8s-pem")
    assert cfg["pem_keys"] == pem_keys

    before = len(cluster.reviews())
    for alg in ("RS256", "ES256"):
        jwt = cluster.issue("apps", "web", alg=alg, aud=(API_AUDIENCE,))
        auth = hvac.Client(url=tresor_dev.addr).auth.kubernetes.login("web", jwt, mount_point="k8s-pem")["auth"]
        assert auth["policies"] == ["default", "pem-pol"]
        answers[alg] = auth
    assert len(cluster.reviews()) == before, "tresor called the TokenReview API in pem_keys mode"

    # The same logins at the reference: same answer shape and metadata.
    jwt = cluster.issue("apps", "web", alg="ES256", aud=(API_AUDIENCE,))
    (ts, td), (bs, bd) = login(tresor_dev, "k8s-pem", "web", jwt), login(bao_dev, "k8s-pem", "web", jwt)
    assert (ts, bs) == (200, 200), (td, bd)
    assert comparable(td) == comparable(bd)
    assert td["auth"]["metadata"] == bd["auth"]["metadata"]

    # A token signed by a key that is not configured, or altered after signing.
    forged = cluster.issue("apps", "web", key=ec_key(), alg="ES256", aud=(API_AUDIENCE,))
    status, doc = login(tresor_dev, "k8s-pem", "web", forged)
    assert (status, doc) == (403, {"errors": ["permission denied"]})
    assert login(bao_dev, "k8s-pem", "web", forged)[0] == 403
    head, body, sig = cluster.issue("apps", "web", aud=(API_AUDIENCE,)).split(".")
    other = cluster.issue("apps", "weX", aud=(API_AUDIENCE,)).split(".")[1]
    assert login(tresor_dev, "k8s-pem", "web", f"{head}.{other}.{sig}") == (403, {"errors": ["permission denied"]})


def test_bao_cli_kubernetes_login(k8s_pair, cluster):
    tresor, _ = k8s_pair
    env = tresor.env(token=None)
    uid = str(uuid.uuid4())
    jwt = cluster.issue("apps", "web", uid=uid)
    out = run_cli([BAO_BIN, "login", "-method=kubernetes", "-path=k8s", "-no-store", "-format=json",
                   "role=web", f"jwt={jwt}"], env)
    assert out.rc == 0, out
    auth = out.json()["auth"]
    assert auth["policies"] == ["default", "web-pol"] and auth["metadata"]["service_account_uid"] == uid
    assert auth["client_token"].startswith("trs.")

    out = run_cli([BAO_BIN, "write", "-format=json", "auth/k8s/login", "role=web",
                   f"jwt={cluster.issue('team-x', 'api-1', alg='ES256')}"], env)
    assert out.rc == 0, out
    assert out.json()["auth"]["metadata"]["service_account_namespace"] == "team-x"

    bad = run_cli([BAO_BIN, "login", "-method=kubernetes", "-path=k8s", "-no-store", "role=web",
                   f"jwt={cluster.issue('default', 'web')}"], env)
    assert bad.rc == 2 and "namespace not authorized" in bad.stderr, bad
    bad = run_cli([BAO_BIN, "write", "auth/k8s/login", "role=ghost", f"jwt={jwt}"], env)
    assert bad.rc == 2 and 'invalid role name "ghost"' in bad.stderr, bad


# --------------------------------------------------------------------------------------
# tresor's own CLI: `tresor login -method=kubernetes`
# --------------------------------------------------------------------------------------


def test_tresor_cli_kubernetes_login(k8s_pair, cluster, home):
    """`tresor login -method=kubernetes role=... jwt=...` at the default path
    (`kubernetes`) and at `-path=k8s`: the token lands in ~/.vault-token and works; the
    JSON output has the keys `bao login -method=kubernetes` prints for the same login; a
    refused login exits 2 with the server's words and without the JWT."""
    from conftest import TRESOR_BIN, cli_env

    tresor, _ = k8s_pair
    setup_mount(tresor, cluster, "kubernetes")
    env = cli_env(home, tresor.addr)
    token_file = home / ".vault-token"

    uid = str(uuid.uuid4())
    jwt = cluster.issue("apps", "web", uid=uid)
    out = run_cli([TRESOR_BIN, "login", "-method=kubernetes", "-format=json", "role=web", f"jwt={jwt}"], env)
    assert out.rc == 0, out
    doc = out.json()
    token = doc["auth"]["client_token"]
    assert token.startswith("trs.")
    assert doc["auth"]["policies"] == ["default", "web-pol"]
    assert doc["auth"]["metadata"]["service_account_uid"] == uid
    assert token_file.read_text().strip() == token
    assert jwt not in out.stdout + out.stderr

    looked = run_cli([TRESOR_BIN, "token", "lookup", "-format=json"], env)
    assert looked.rc == 0, looked
    data = looked.json()["data"]
    assert data["id"] == token and data["policies"] == ["default", "web-pol"]
    assert data["display_name"] == "kubernetes-apps-web"
    assert data["meta"] == {"role": "web", "service_account_name": "web", "service_account_namespace": "apps",
                            "service_account_secret_name": "", "service_account_uid": uid}

    # The same login through bao's handler: the same keys, top level and in `auth`.
    ref = run_cli([BAO_BIN, "login", "-method=kubernetes", "-no-store", "-format=json", "role=web",
                   f"jwt={cluster.issue('apps', 'web', uid=uid)}"], env)
    assert ref.rc == 0, ref
    assert set(doc) == set(ref.json()), (doc, ref.json())
    assert set(doc["auth"]) == set(ref.json()["auth"]), (doc["auth"], ref.json()["auth"])

    # -path= for another mount; the new token replaces the stored one.
    jwt2 = cluster.issue("team-x", "api-1", alg="ES256")
    out = run_cli([TRESOR_BIN, "login", "-method=kubernetes", "-path=k8s", "-format=json", "role=web",
                   f"jwt={jwt2}"], env)
    assert out.rc == 0, out
    token2 = out.json()["auth"]["client_token"]
    assert token2 != token and token_file.read_text().strip() == token2
    looked = run_cli([TRESOR_BIN, "token", "lookup", "-format=json"], env)
    assert looked.rc == 0, looked
    assert looked.json()["data"]["display_name"] == "k8s-team-x-api-1"
    assert looked.json()["data"]["meta"]["service_account_namespace"] == "team-x"

    # Refused: exit 2, the server's error on stderr, the JWT nowhere, the stored token kept.
    for args, error in (
        (["-path=k8s", "role=web", f"jwt={cluster.issue('default', 'web')}"], "namespace not authorized"),
        (["-path=k8s", "role=ghost", f"jwt={jwt2}"], 'invalid role name "ghost"'),
        (["role=web", f"jwt={cluster.issue('apps', 'web', register=False)}"], "permission denied"),
    ):
        bad = run_cli([TRESOR_BIN, "login", "-method=kubernetes", *args], env)
        assert bad.rc == 2 and error in bad.stderr, bad
        secret = args[-1].removeprefix("jwt=")
        assert secret not in bad.stdout + bad.stderr, bad
        assert token_file.read_text().strip() == token2
