"""The raw HTTP contract of tresor, compared request by request with OpenBao.

Unsealed behaviour is compared between `tresor server -dev` and `bao server -dev` (root
token "root" on both); sealed/uninitialised behaviour between two fresh non-dev servers.
For each request: same status code, Content-Type exactly `application/json`, the same
JSON key set (modulo the documented version fields), and where the body is known
verbatim, the same body. Requests are sent with http.client so paths reach the server
byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from conftest import HttpResult, keyset, stream_large_body

PD = {"errors": ["permission denied"]}
SEALED = {"errors": ["Vault is sealed"]}
EMPTY = {"errors": []}
MAX_BODY = 32 * 1024 * 1024


@dataclass
class Case:
    id: str
    method: str
    path: str
    status: int
    token: str | None = None
    body: object = None
    headers: dict = field(default_factory=dict)
    exact: object = None  # the verbatim JSON body, when both servers agree on it
    nested: tuple = ()  # top-level keys whose object values must have equal key sets too
    xfail: str | None = None  # a known incompatibility, with what each server answers

    def param(self):
        marks = [pytest.mark.xfail(strict=True, reason=self.xfail)] if self.xfail else []
        return pytest.param(self, id=self.id, marks=marks)


def send(server, case: Case) -> HttpResult:
    return server.http(case.method, case.path, token=case.token, body=case.body, headers=case.headers)


def check_pair(case: Case, t: HttpResult, b: HttpResult) -> None:
    assert b.status == case.status, f"reference bao answered {b}; the case expectation is wrong"
    assert t.status == b.status, f"status: tresor {t} vs bao {b}"
    assert t.content_type == "application/json", f"tresor Content-Type {t.content_type!r}"
    assert b.content_type == "application/json"
    if case.method == "HEAD" or t.status == 204:
        assert t.body == b"" and b.body == b""
        return
    tj, bj = t.json(), b.json()
    assert t.body.endswith(b"\n"), "JSON bodies end with a newline, as Vault's"
    if case.exact is not None:
        assert bj == case.exact, f"reference bao answered {bj}"
        assert tj == case.exact
    if isinstance(bj, dict):
        assert keyset(tj) == keyset(bj), (
            f"tresor only: {keyset(tj) - keyset(bj)}, bao only: {keyset(bj) - keyset(tj)}"
        )
        if "errors" in bj:
            # (tresor may explain where OpenBao answers an empty list, e.g. bad health codes)
            assert isinstance(tj["errors"], list) and all(isinstance(e, str) for e in tj["errors"])
        for k in case.nested:
            assert keyset(tj[k]) == keyset(bj[k]), (
                f"{k}: tresor only {keyset(tj[k]) - keyset(bj[k])}, "
                f"bao only {keyset(bj[k]) - keyset(tj[k])}"
            )
    else:
        assert tj == bj


# ---------------------------------------------------------------------------------------
# Unsealed: tresor -dev vs bao -dev
# ---------------------------------------------------------------------------------------

NO_ROUTE = {"errors": ['no handler for route "nonexistent/path". route entry not found.']}
NO_ROUTE_DIR = {"errors": ['no handler for route "nonexistent/". route entry not found.']}
BAD_KEY = {"errors": ["'key' must be a valid hex or base64 string"]}
ENVELOPE = ("request_id", "lease_id", "renewable", "lease_duration", "data", "wrap_info", "warnings", "auth")

UNSEALED_CASES = [
    # unauthenticated endpoints
    Case("seal-status", "GET", "/v1/sys/seal-status", 200),
    Case("seal-status-garbage-token", "GET", "/v1/sys/seal-status", 200, token="garbage"),
    Case("health", "GET", "/v1/sys/health", 200),
    Case("health-head", "HEAD", "/v1/sys/health", 200),
    Case("health-head-activecode", "HEAD", "/v1/sys/health?activecode=299", 299),
    Case("health-activecode", "GET", "/v1/sys/health?activecode=299", 299),
    Case("health-activecode-600", "GET", "/v1/sys/health?activecode=600", 600),
    Case("health-repeated-query-parameter", "GET", "/v1/sys/health?activecode=299&activecode=300", 299),
    Case("health-activecode-204", "GET", "/v1/sys/health?activecode=204", 204),
    Case("health-sealedcode-ignored", "GET", "/v1/sys/health?sealedcode=299&uninitcode=298", 200),
    Case("health-standbyok-empty", "GET", "/v1/sys/health?standbyok", 200),
    Case("health-standbyok-true", "GET", "/v1/sys/health?standbyok=true", 200),
    Case("health-bad-sealedcode", "GET", "/v1/sys/health?sealedcode=abc", 400),
    Case("health-bad-standbyok", "GET", "/v1/sys/health?standbyok=abc", 400),
    Case("health-bad-uninitcode", "GET", "/v1/sys/health?uninitcode=abc", 400),
    Case("health-bad-activecode", "GET", "/v1/sys/health?activecode=x1", 400),
    Case("leader", "GET", "/v1/sys/leader", 200, exact={"ha_enabled": False}),
    Case("init-status", "GET", "/v1/sys/init", 200, exact={"initialized": True}),
    Case("init-again", "PUT", "/v1/sys/init", 400, body={"secret_shares": 1, "secret_threshold": 1},
         exact={"errors": ["Vault is already initialized"]}),
    Case("init-invalid-json", "PUT", "/v1/sys/init", 400, body="{bad"),
    Case("unseal-invalid-json", "PUT", "/v1/sys/unseal", 400, body="{bad"),
    Case("unseal-trailing-garbage", "PUT", "/v1/sys/unseal", 400, body='{"key":"abc"} trailing'),
    Case("unseal-key-not-a-string", "PUT", "/v1/sys/unseal", 400, body={"key": 123}),
    Case("unseal-text-plain-body", "PUT", "/v1/sys/unseal", 400, body='{"key":"zz"}',
         headers={"Content-Type": "text/plain"}, exact={"errors": ["'key' must be a valid hex or base64 string"]}),
    Case("unseal-any-key-while-unsealed", "PUT", "/v1/sys/unseal", 200, body={"key": "ab" * 16}),
    Case("unseal-post", "POST", "/v1/sys/unseal", 400, body={"key": "zz"}),
    Case("unseal-top-level-array", "PUT", "/v1/sys/unseal", 400, body="[1,2]"),
    Case("unseal-bad-key", "PUT", "/v1/sys/unseal", 400, body={"key": "zz"}, exact=BAD_KEY),
    Case("unseal-reset-while-unsealed", "PUT", "/v1/sys/unseal", 400, body={"reset": True},
         exact={"errors": ["vault is unsealed"]}),
    Case("unseal-nothing", "PUT", "/v1/sys/unseal", 400, body={},
         exact={"errors": ["'key' must be specified in request body as JSON, or 'reset' set to true"]}),
    # methods an endpoint does not take
    Case("unseal-get", "GET", "/v1/sys/unseal", 405, exact=EMPTY),
    Case("seal-status-put", "PUT", "/v1/sys/seal-status", 405, exact=EMPTY),
    Case("health-put", "PUT", "/v1/sys/health", 405, exact=EMPTY),
    Case("leader-put", "PUT", "/v1/sys/leader", 405, exact=EMPTY),
    Case("init-delete", "DELETE", "/v1/sys/init", 405, exact=EMPTY),
    Case("init-head", "HEAD", "/v1/sys/init", 405),
    Case("health-options", "OPTIONS", "/v1/sys/health", 405, exact=EMPTY),
    Case("health-post", "POST", "/v1/sys/health", 405, exact=EMPTY),
    Case("key-status-put", "PUT", "/v1/sys/key-status", 405, token="root"),
    Case("list-key-status", "LIST", "/v1/sys/key-status", 404, token="root"),
    Case("list-query-key-status", "GET", "/v1/sys/key-status?list=true", 404, token="root"),
    Case("list-query-1-key-status", "GET", "/v1/sys/key-status?list=1", 404, token="root"),
    Case("list-query-false-key-status", "GET", "/v1/sys/key-status?list=false", 200, token="root"),
    Case("seal-get", "GET", "/v1/sys/seal", 405, token="root", exact=EMPTY),
    Case("rotate-get", "GET", "/v1/sys/rotate", 405, token="root"),
    Case("rotate-keyring-get", "GET", "/v1/sys/rotate/keyring", 405, token="root"),
    # tokens
    Case("key-status", "GET", "/v1/sys/key-status", 200, token="root", nested=("data",)),
    Case("key-status-no-token", "GET", "/v1/sys/key-status", 403, exact=PD),
    Case("key-status-bogus-token", "GET", "/v1/sys/key-status", 403, token="bogus", exact=PD),
    Case("key-status-bearer", "GET", "/v1/sys/key-status", 200, headers={"Authorization": "Bearer root"}),
    Case("key-status-lowercase-bearer", "GET", "/v1/sys/key-status", 403,
         headers={"Authorization": "bearer root"}, exact=PD),
    Case("key-status-bare-authorization", "GET", "/v1/sys/key-status", 403,
         headers={"Authorization": "root"}, exact=PD),
    Case("x-vault-token-wins-over-bearer", "GET", "/v1/sys/key-status", 200, token="root",
         headers={"Authorization": "Bearer bogus"}),
    Case("bogus-x-vault-token-wins-over-bearer", "GET", "/v1/sys/key-status", 403, token="bogus",
         headers={"Authorization": "Bearer root"}, exact=PD),
    Case("lookup-self", "GET", "/v1/auth/token/lookup-self", 200, token="root"),
    Case("lookup-self-dev-token-data", "GET", "/v1/auth/token/lookup-self", 200, token="root",
         nested=("data",)),
    Case("lookup-self-post", "POST", "/v1/auth/token/lookup-self", 200, token="root"),
    Case("lookup-self-no-token", "GET", "/v1/auth/token/lookup-self", 403, exact=PD),
    Case("lookup-self-wellformed-unknown-token", "GET", "/v1/auth/token/lookup-self", 403,
         token="s.AAAAAAAAAAAAAAAAAAAAAAAA", exact=PD),
    Case("rotate-no-token", "PUT", "/v1/sys/rotate", 403, exact=PD),
    Case("seal-no-token", "PUT", "/v1/sys/seal", 403, exact=PD),
    Case("seal-bogus-token", "PUT", "/v1/sys/seal", 403, token="bogus", exact=PD),
    # unknown paths, LIST and ?list=true
    Case("unknown-with-token", "GET", "/v1/nonexistent/path", 404, token="root", exact=NO_ROUTE),
    Case("unknown-put-with-token", "PUT", "/v1/nonexistent/path", 404, token="root", body={"a": 1},
         exact=NO_ROUTE),
    Case("unknown-no-token", "GET", "/v1/nonexistent/path", 403, exact=PD),
    Case("unknown-sys-with-token", "GET", "/v1/sys/nonexistent", 404, token="root"),
    Case("unknown-sys-no-token", "GET", "/v1/sys/nonexistent", 403, exact=PD),
    Case("list-unknown-with-token", "LIST", "/v1/nonexistent/", 404, token="root", exact=NO_ROUTE_DIR),
    Case("list-unknown-no-token", "LIST", "/v1/nonexistent/", 403, exact=PD),
    Case("list-unknown-without-slash", "LIST", "/v1/nonexistent", 404, token="root",
         exact=NO_ROUTE_DIR),
    Case("list-query-unknown-with-token", "GET", "/v1/nonexistent/?list=true", 404, token="root",
         exact=NO_ROUTE_DIR),
    Case("list-query-unknown-no-token", "GET", "/v1/nonexistent/?list=true", 403, exact=PD),
    Case("list-unknown-sys-with-token", "LIST", "/v1/sys/nonexistent/", 404, token="root"),
    Case("list-unknown-sys-no-token", "LIST", "/v1/sys/nonexistent/", 403, exact=PD),
    Case("api-root-with-token", "GET", "/v1/", 404, token="root",
         exact={"errors": ['no handler for route "". route entry not found.']}),
    Case("v1-without-slash", "GET", "/v1", 404, token="root", exact=EMPTY),
    Case("other-version", "GET", "/v2/foo", 404, token="root", exact=EMPTY),
]


@pytest.mark.parametrize("case", [c.param() for c in UNSEALED_CASES])
def test_unsealed_contract(tresor_dev, bao_dev, case):
    check_pair(case, send(tresor_dev, case), send(bao_dev, case))


def test_envelope_shape(tresor_dev, bao_dev):
    for path in ("/v1/auth/token/lookup-self", "/v1/sys/key-status"):
        t = tresor_dev.http("GET", path, token="root").json()
        b = bao_dev.http("GET", path, token="root").json()
        assert set(ENVELOPE) <= set(t), t
        assert (t["wrap_info"], t["warnings"], t["auth"]) == (None, None, None)
        assert isinstance(t["request_id"], str) and len(t["request_id"]) == 36
        assert type(t["data"]) is type(b["data"]) is dict
    # key-status: its data is duplicated at the top level
    t = tresor_dev.http("GET", "/v1/sys/key-status", token="root").json()
    assert {k: t[k] for k in ("term", "install_time", "encryptions")} == t["data"]


def test_rotate_answers_204(tresor_dev, bao_dev):
    for server in (tresor_dev, bao_dev):
        before = server.http("GET", "/v1/sys/key-status", token="root").json()["data"]["term"]
        for method, path in (("PUT", "/v1/sys/rotate"), ("POST", "/v1/sys/rotate/keyring")):
            r = server.http(method, path, token="root")
            assert r.status == 204, (server.name, r)
            assert r.content_type == "application/json", server.name
            assert r.body == b""
        after = server.http("GET", "/v1/sys/key-status", token="root").json()["data"]["term"]
        assert after == before + 2, server.name


# ---------------------------------------------------------------------------------------
# Malformed and hostile requests
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_body_over_32_mib_is_413(tresor_dev, bao_dev, chunked):
    results = {}
    for server in (tresor_dev, bao_dev):
        r = stream_large_body(server.addr, "PUT", "/v1/sys/unseal", MAX_BODY + 1024 * 1024, chunked=chunked)
        results[server.name] = r
        assert r.status == 413, (server.name, r)
        assert r.content_type == "application/json", server.name
    t, b = results[tresor_dev.name], results[bao_dev.name]
    assert t.json() == b.json() == {"errors": ["http: request body too large"]}
    # also when the body is one byte over, and on an authenticated path
    r = stream_large_body(tresor_dev.addr, "PUT", "/v1/sys/rotate", MAX_BODY + 1, chunked=chunked)
    assert r.status == 413, r
    assert tresor_dev.alive and tresor_dev.http("GET", "/v1/sys/health").status == 200


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_body_just_under_32_mib_is_parsed(tresor_dev, bao_dev, chunked):
    for server in (tresor_dev, bao_dev):
        r = stream_large_body(server.addr, "PUT", "/v1/sys/unseal", MAX_BODY - 1, chunked=chunked)
        assert r.status == 400, (server.name, r)
        assert r.json() == BAD_KEY, server.name


DEEP_BODIES = {
    "array-10000": "[" * 10000 + "]" * 10000,
    "key-array-10000": '{"key":' + "[" * 10000 + "]" * 10000 + "}",
    "object-10000": '{"a":' * 10000 + "1" + "}" * 10000,
    "unclosed-100000": "[" * 100000,
}


@pytest.mark.parametrize("shape", list(DEEP_BODIES))
def test_deeply_nested_json_is_400(tresor_dev, bao_dev, shape):
    body = DEEP_BODIES[shape]
    t = tresor_dev.http("PUT", "/v1/sys/unseal", body=body)
    b = bao_dev.http("PUT", "/v1/sys/unseal", body=body)
    assert b.status == 400, b
    assert t.status == 400, t
    assert t.elapsed < 2.0, f"took {t.elapsed:.2f}s"
    assert t.content_type == "application/json"
    assert set(t.json()) == {"errors"}
    # the same on an authenticated endpoint
    t = tresor_dev.http("PUT", "/v1/sys/rekey/init", token="root", body=body)
    assert t.status == 400 and t.elapsed < 2.0, t
    assert tresor_dev.alive


def test_nesting_limit_is_documented_128(tresor_dev):
    """docs/compatibility.md: JSON nested deeper than 128 levels is refused (Vault: 10000)."""
    too_deep = '{"key":' + "[" * 128 + "]" * 128 + "}"
    r = tresor_dev.http("PUT", "/v1/sys/unseal", body=too_deep)
    assert r.status == 400
    assert r.json() == {"errors": ["failed to decode JSON input: exceeded max depth"]}
    shallow = '{"key":' + "[" * 100 + "]" * 100 + "}"
    r = tresor_dev.http("PUT", "/v1/sys/unseal", body=shallow)
    assert r.status == 400
    assert "exceeded max depth" not in r.json()["errors"][0]


def test_json_complexity_limit_is_structural(tresor_dev, bao_dev):
    """docs/compatibility.md: OpenBao caps a body at 1000 JSON strings; tresor instead caps
    entries per object or array (10000) and values per body (500000), which bounds memory
    without refusing ordinary large secrets."""
    body = {"key": "ab" * 16, **{f"x{i}": "" for i in range(1000)}}  # 2001 strings
    b = bao_dev.http("PUT", "/v1/sys/unseal", body=body)
    assert b.status == 400, b
    assert tresor_dev.http("PUT", "/v1/sys/unseal", body=body).status == 200
    wide = {"key": "ab" * 16, **{f"x{i}": 0 for i in range(10_001)}}
    t = tresor_dev.http("PUT", "/v1/sys/unseal", body=wide)
    assert t.status == 400, t
    assert t.json()["errors"][0].startswith("refused JSON input due to high complexity")


def _peak_rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM in /proc/PID/status")


def test_json_memory_amplification_is_bounded(servers):
    srv = servers.tresor(name="tresor-memory")
    before = _peak_rss_kib(srv.proc.pid)
    n = (MAX_BODY - 32) // 3
    body = b"".join([b'{"key":"zz","a":[', b'"",' * (n - 1), b'""]}'])
    assert len(body) <= MAX_BODY
    r = srv.http("PUT", "/v1/sys/unseal", body=body, timeout=60)
    del body
    assert r.status == 400, r
    grown_mib = (_peak_rss_kib(srv.proc.pid) - before) / 1024
    # reading the body itself needs ~32 MiB; allow 4x that for parsing
    assert grown_mib < 4 * 32, f"peak RSS grew by {grown_mib:.0f} MiB for one 32 MiB request"


def _strict_xfail(reason: str):
    return pytest.mark.xfail(strict=True, reason=reason)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(
            {"secret_shares": 3, "secret_threshold": 2, "recovery_shares": 1},
            id="recovery-shares",
        ),
        pytest.param(
            {"secret_shares": "3", "secret_threshold": "2"},
            id="numeric-strings",
        ),
        pytest.param({"secret_shares": 3.5, "secret_threshold": 2}, id="float"),
        pytest.param({"secret_shares": True, "secret_threshold": 2}, id="bool"),
        pytest.param({"secret_shares": 3, "secret_threshold": 2, "pgp_keys": ["a"]}, id="pgp-count"),
    ],
)
def test_init_refuses_what_openbao_refuses(servers, body):
    t, b = servers.tresor(name="tresor-init"), servers.bao(name="bao-init")
    rb = b.http("PUT", "/v1/sys/init", body=body)
    assert rb.status == 400, rb
    assert b.http("GET", "/v1/sys/init").json() == {"initialized": False}
    rt = t.http("PUT", "/v1/sys/init", body=body)
    assert rt.status == 400, rt
    assert t.http("GET", "/v1/sys/init").json() == {"initialized": False}


@pytest.mark.parametrize(
    "path, token",
    [
        ("/v1/sys/../sys/seal-status", None),
        ("/v1/sys/%2e%2e/sys/seal-status", None),
        ("/v1/sys/%2E%2E/sys/seal-status", None),
        ("/v1/sys/health/../seal-status", None),
        ("/v1/sys/seal-status/..", None),
        ("/v1/nonexistent/..%2fsys/seal-status", None),
        ("/v1/nonexistent/%2e%2e%2fsys%2fseal-status", None),
        ("/v1/%2e%2e/v1/sys/seal-status", None),
        ("/v1/..%2fv1/sys/seal-status", None),
        ("/v1/sys/..%5csys/seal-status", None),
        ("/v1/sys/../sys/key-status", "root"),
        ("/v1/auth/token/../../sys/key-status", "root"),
        ("/v1/sys/%2e%2e/sys/key-status", "root"),
        ("/v1/nonexistent/../../v1/sys/key-status", "root"),
        ("/v1/sys/%00/seal-status", None),
        ("/v1/sys/%ff%fe", "root"),
    ],
)
def test_path_traversal_reaches_no_other_endpoint(tresor_dev, path, token):
    r = tresor_dev.http("GET", path, token=token)
    assert 400 <= r.status < 500, r
    assert r.content_type == "application/json"
    body = r.json()
    assert set(body) == {"errors"}, body


def test_requests_outside_the_api(tresor_dev):
    for path in ("/", "/ui/", "/v1x/sys/health", "/sys/health"):
        r = tresor_dev.http("GET", path)
        assert r.status == 404, (path, r)


def test_server_survived_the_abuse(tresor_dev, bao_dev):
    assert tresor_dev.alive
    r = tresor_dev.http("GET", "/v1/sys/health")
    assert r.status == 200, r
    assert tresor_dev.http("GET", "/v1/auth/token/lookup-self", token="root").status == 200
    assert bao_dev.alive


def test_seal_with_token_answers_204(tresor_dev, bao_dev):
    """Last test of the unsealed pair: it seals both servers."""
    for server in (tresor_dev, bao_dev):
        r = server.http("PUT", "/v1/sys/seal", token="root")
        assert r.status == 204, (server.name, r)
        assert r.content_type == "application/json"
        assert r.body == b""
        st = server.http("GET", "/v1/sys/seal-status").json()
        assert st["sealed"] is True
        r = server.http("GET", "/v1/sys/key-status", token="root")
        assert (r.status, r.json()) == (503, SEALED), server.name
        # sealing again needs no token
        assert server.http("PUT", "/v1/sys/seal").status == 204


# ---------------------------------------------------------------------------------------
# Uninitialised (hence sealed): fresh non-dev tresor vs fresh non-dev bao
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fresh(module_servers):
    return module_servers.tresor(name="tresor-fresh"), module_servers.bao(name="bao-fresh")


SHARE = "ab" * 33

UNINIT_CASES = [
    Case("seal-status", "GET", "/v1/sys/seal-status", 200),
    Case("init-status", "GET", "/v1/sys/init", 200, exact={"initialized": False}),
    Case("health", "GET", "/v1/sys/health", 501),
    Case("health-head", "HEAD", "/v1/sys/health", 501),
    Case("health-uninitcode", "GET", "/v1/sys/health?uninitcode=299", 299),
    Case("health-sealedcode-ignored", "GET", "/v1/sys/health?sealedcode=299", 501),
    Case("health-both-codes", "GET", "/v1/sys/health?uninitcode=200&sealedcode=299", 200),
    Case("health-bad-code", "GET", "/v1/sys/health?uninitcode=abc", 400),
    Case("leader", "GET", "/v1/sys/leader", 200, exact={"ha_enabled": False}),
    Case("key-status", "GET", "/v1/sys/key-status", 503, token="root", exact=SEALED),
    Case("key-status-no-token", "GET", "/v1/sys/key-status", 503, exact=SEALED),
    Case("lookup-self", "GET", "/v1/auth/token/lookup-self", 503, token="root", exact=SEALED),
    Case("unknown-path", "GET", "/v1/nonexistent/path", 503, exact=SEALED),
    Case("unknown-path-token", "GET", "/v1/nonexistent/path", 503, token="x", exact=SEALED),
    Case("list-unknown", "LIST", "/v1/nonexistent/", 503, exact=SEALED),
    Case("rotate", "PUT", "/v1/sys/rotate", 503, token="root", exact=SEALED),
    Case("rekey-status", "GET", "/v1/sys/rekey/init", 503, token="root", exact=SEALED),
    Case("seal-uninitialised", "PUT", "/v1/sys/seal", 204),
    Case("unseal-uninitialised", "PUT", "/v1/sys/unseal", 400, body={"key": SHARE},
         exact={"errors": ["Vault is not initialized"]}),
    Case("init-threshold-over-shares", "PUT", "/v1/sys/init", 400,
         body={"secret_shares": 3, "secret_threshold": 5},
         exact={"errors": ["invalid seal configuration: threshold cannot be larger than shares"]}),
    Case("init-no-shares", "PUT", "/v1/sys/init", 400, body={},
         exact={"errors": ["invalid seal configuration: shares must be at least one"]}),
    Case("init-threshold-one-of-many", "PUT", "/v1/sys/init", 400,
         body={"secret_shares": 2, "secret_threshold": 1},
         exact={"errors": ["invalid seal configuration: threshold must be greater than one for multiple shares"]}),
    Case("init-too-many-shares", "PUT", "/v1/sys/init", 400,
         body={"secret_shares": 256, "secret_threshold": 3},
         exact={"errors": ["invalid seal configuration: shares must be less than 256"]}),
    Case("init-invalid-json", "PUT", "/v1/sys/init", 400, body="{bad"),
]


@pytest.mark.parametrize("case", [c.param() for c in UNINIT_CASES])
def test_uninitialized_contract(fresh, case):
    t, b = fresh
    check_pair(case, send(t, case), send(b, case))


def test_uninitialized_servers_still_uninitialized(fresh):
    for server in fresh:
        assert server.alive
        assert server.http("GET", "/v1/sys/init").json() == {"initialized": False}


_ROOTS: dict[str, str] = {}


def test_initialized_pair_matches(fresh):
    """Initialise both fresh servers 1-of-1 and compare the unsealed answers."""
    answers = {}
    for server in fresh:
        r = server.http("PUT", "/v1/sys/init", body={"secret_shares": 1, "secret_threshold": 1})
        assert r.status == 200, (server.name, r)
        init = r.json()
        assert set(init) == {"keys", "keys_base64", "root_token"}
        # one share: the 32-byte key itself
        assert len(init["keys"][0]) == 64 and len(init["keys_base64"][0]) == 44
        assert init["keys_base64"][0].endswith("=")
        assert server.http("PUT", "/v1/sys/unseal", body={"key": init["keys"][0]}).json()["sealed"] is False
        tok = init["root_token"]
        _ROOTS[server.name] = tok
        answers[server.name] = {
            "seal-status": server.http("GET", "/v1/sys/seal-status").json(),
            "health": server.http("GET", "/v1/sys/health").json(),
            "lookup-self": server.http("GET", "/v1/auth/token/lookup-self", token=tok).json(),
            "key-status": server.http("GET", "/v1/sys/key-status", token=tok).json(),
        }
    t, b = (answers[s.name] for s in fresh)
    for what in t:
        assert keyset(t[what]) == keyset(b[what]), (what, t[what], b[what])
    for what in ("lookup-self", "key-status"):
        assert keyset(t[what]["data"]) == keyset(b[what]["data"]), (what, t[what], b[what])
    data = t["lookup-self"]["data"]
    assert data["policies"] == ["root"] and data["path"] == "auth/token/root"
    assert (data["ttl"], data["orphan"], data["type"]) == (0, True, "service")


SEALED_UNSEAL_CASES = [
    Case("unseal-too-short", "PUT", "/v1/sys/unseal", 400, body={"key": "abcd"},
         exact={"errors": ["invalid key: key is shorter than minimum 16 bytes"]}),
    Case("unseal-too-long", "PUT", "/v1/sys/unseal", 400, body={"key": "ab" * 34},
         exact={"errors": ["invalid key: key is longer than maximum 33 bytes"]}),
    Case("unseal-not-a-key", "PUT", "/v1/sys/unseal", 400, body={"key": "not-a-key!!"}, exact=BAD_KEY),
    Case("unseal-empty-key", "PUT", "/v1/sys/unseal", 400, body={"key": ""},
         exact={"errors": ["'key' must be specified in request body as JSON, or 'reset' set to true"]}),
    Case("unseal-no-body", "PUT", "/v1/sys/unseal", 400,
         exact={"errors": ["'key' must be specified in request body as JSON, or 'reset' set to true"]}),
    Case("unseal-reset", "PUT", "/v1/sys/unseal", 200, body={"reset": True}),
    Case("unseal-reset-wins-over-key", "PUT", "/v1/sys/unseal", 200, body={"key": "cd" * 32, "reset": True}),
    Case("unseal-wrong-key", "PUT", "/v1/sys/unseal", 400, body={"key": "cd" * 32}),
    Case("health-sealed", "GET", "/v1/sys/health", 503),
    Case("health-sealed-sealedcode", "GET", "/v1/sys/health?sealedcode=299", 299),
    Case("health-sealed-standbyok", "GET", "/v1/sys/health?standbyok=true&uninitcode=298", 503),
    Case("seal-sealed-no-token", "PUT", "/v1/sys/seal", 204),
    Case("init-sealed", "PUT", "/v1/sys/init", 400, body={"secret_shares": 1, "secret_threshold": 1},
         exact={"errors": ["Vault is already initialized"]}),
    Case("init-sealed-invalid", "PUT", "/v1/sys/init", 400, body={"secret_shares": 3, "secret_threshold": 5},
         exact={"errors": ["invalid seal configuration: threshold cannot be larger than shares"]}),
]


@pytest.fixture(scope="module")
def sealed_fresh(fresh):
    """The `fresh` pair, initialised by test_initialized_pair_matches, sealed again."""
    for server in fresh:
        assert server.http("GET", "/v1/sys/init").json() == {"initialized": True}, (
            "test_initialized_pair_matches must run first"
        )
        assert server.http("PUT", "/v1/sys/seal", token=_ROOTS[server.name]).status == 204
    return fresh


@pytest.mark.parametrize("case", [c.param() for c in SEALED_UNSEAL_CASES])
def test_sealed_contract(sealed_fresh, case):
    t, b = sealed_fresh
    check_pair(case, send(t, case), send(b, case))
    for server in sealed_fresh:
        st = server.http("GET", "/v1/sys/seal-status").json()
        assert (st["sealed"], st["progress"]) == (True, 0), (server.name, st)


def test_unseal_progress_semantics_match(servers):
    """The same sequence of unseal requests against a fresh 2-of-3 tresor and OpenBao."""
    pair = (servers.tresor(name="tresor-unseal"), servers.bao(name="bao-unseal"))
    inits = {}
    for server in pair:
        r = server.http("PUT", "/v1/sys/init", body={"secret_shares": 3, "secret_threshold": 2})
        assert r.status == 200, r
        inits[server.name] = r.json()

    def steps(init):
        hexk, b64 = init["keys"], init["keys_base64"]
        same_x = ("00" if hexk[0][:2] != "00" else "11") + hexk[0][2:]
        return [
            ("first share", {"key": hexk[0]}),
            ("same share, base64", {"key": b64[0]}),
            ("reset", {"reset": True}),
            ("first share again", {"key": hexk[0]}),
            ("same x coordinate", {"key": same_x}),
            ("second share", {"key": hexk[1]}),
            ("shorter share", {"key": "ab" * 16}),
            ("second share again", {"key": b64[1]}),
            ("key and reset", {"key": hexk[2], "reset": True}),
            ("any 16 bytes", {"key": "ab" * 16}),
            ("reset again", {"reset": True}),
            ("third share", {"key": b64[2]}),
            ("first share completes", {"key": hexk[0]}),
            ("a share while unsealed", {"key": hexk[1]}),
        ]

    seqs = {s.name: steps(inits[s.name]) for s in pair}
    t, b = pair
    for i, (what, _) in enumerate(seqs[t.name]):
        answers = {}
        for server in pair:
            r = server.http("PUT", "/v1/sys/unseal", body=seqs[server.name][i][1])
            st = server.http("GET", "/v1/sys/seal-status").json()
            answers[server.name] = (r.status, st["sealed"], st["progress"], bool(st["nonce"]))
            if r.status == 200:
                body = r.json()
                assert (body["sealed"], body["progress"]) == (st["sealed"], st["progress"])
        assert answers[t.name] == answers[b.name], f"step {what!r}: {answers}"
    assert answers[t.name] == (200, False, 0, False)
