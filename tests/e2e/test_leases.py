"""Leases (`sys/leases/*`) end to end: the HTTP API side by side with OpenBao, the legacy
`sys/renew` / `sys/revoke*` aliases (tresor only: OpenBao removed them), hvac, the bao CLI
and tresor's own `lease` commands against tresor, and a token lease expiring on the real
clock.

No secrets engine issues leases yet, so every lease here is a token's: a service token
with a TTL has the lease `<creation path>/h<hash>` (`auth/token/create/h…`). Its ID is
found by listing `sys/leases/lookup/<creation path>/` before and after creating it.
"""

from __future__ import annotations

import re
import time
from datetime import datetime

import hvac
import hvac.exceptions
import pytest
import requests

from conftest import BAO_BIN, TRESOR_BIN, CliResult, call, compare_scenario, run_cli, shape

CREATE = "auth/token/create/"
LEASE_KEY = re.compile(r"^h[0-9a-f]{64}$")
LOOKUP_KEYS = {"id", "issue_time", "expire_time", "last_renewal", "renewable", "ttl", "path"}
NO_TOKEN_RENEWAL = "tokens cannot be renewed through this endpoint"
SLASH_WRITE = "cannot write to a path ending in '/'"

# update on the revocation endpoints and list on the lookup tree, but no sudo
NO_SUDO = """
path "sys/leases/revoke-prefix/*" { capabilities = ["update"] }
path "sys/leases/revoke-force/*" { capabilities = ["update"] }
path "sys/leases/lookup/*" { capabilities = ["list", "update"] }
"""
WITH_SUDO = """
path "sys/leases/revoke-prefix/*" { capabilities = ["update", "sudo"] }
path "sys/leases/revoke-force/*" { capabilities = ["update", "sudo"] }
"""


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------


def lease_keys(server, prefix: str = CREATE) -> set[str]:
    """The keys listed under `sys/leases/lookup/<prefix>` (empty when none: 404)."""
    status, doc = call(server, "LIST", f"sys/leases/lookup/{prefix}")
    if status == 404:
        return set()
    assert status == 200, (status, doc)
    return set(doc["data"]["keys"])


def token_with_lease(server, ttl: str = "1h", role: str | None = None, token: str = "root"):
    """A new default-policy token with a TTL, and its lease ID."""
    prefix = f"{CREATE}{role}/" if role else CREATE
    before = lease_keys(server, prefix)
    status, doc = call(
        server, "POST", prefix.rstrip("/"), {"ttl": ttl, "policies": ["default"]}, token=token
    )
    assert status == 200, (status, doc)
    new = lease_keys(server, prefix) - before
    assert len(new) == 1, (before, new)
    key = new.pop()
    assert LEASE_KEY.match(key), key
    return doc["auth"]["client_token"], prefix + key


def valid(server, token: str) -> bool:
    status, doc = call(server, "GET", "auth/token/lookup-self", token=token)
    assert status in (200, 403), (status, doc)
    return status == 200


def lookup(server, lease_id: str):
    return call(server, "PUT", "sys/leases/lookup", {"lease_id": lease_id})


def errors(doc) -> list[str]:
    return (doc or {}).get("errors", [])


def envelope(doc: dict):
    """The shape of an answer without its per-request fields."""
    return shape({k: v for k, v in doc.items() if k not in ("request_id", "warnings")})


def with_policy(server, name: str, text: str) -> str:
    status, doc = call(server, "PUT", f"sys/policies/acl/{name}", {"policy": text})
    assert status == 204, (status, doc)
    status, doc = call(server, "POST", "auth/token/create", {"policies": [name], "ttl": "1h"})
    assert status == 200, (status, doc)
    return doc["auth"]["client_token"]


def with_role(server, role: str) -> None:
    status, doc = call(server, "POST", f"auth/token/roles/{role}", {"allowed_policies": ["default"]})
    assert status == 204, (status, doc)


def rfc3339(text: str) -> datetime:
    # OpenBao prints nanoseconds; datetime takes at most microseconds
    text = re.sub(r"(\.\d{6})\d+", r"\1", text).replace("Z", "+00:00")
    return datetime.fromisoformat(text)


def hvac_client(server, token: str = "root") -> hvac.Client:
    session = requests.Session()
    session.trust_env = False
    return hvac.Client(url=server.addr, token=token, timeout=15, session=session)


def cli(binary: str, server, *args: str, token: str = "root") -> CliResult:
    return run_cli([binary, *args], server.env(token))


@pytest.fixture(scope="module")
def both(tresor_dev, bao_dev):
    return {"tresor": tresor_dev, "bao": bao_dev}


# --------------------------------------------------------------------------------------
# the HTTP API, side by side
# --------------------------------------------------------------------------------------


def test_token_leases_are_listed(both):
    for name, server in both.items():
        _, lease = token_with_lease(server)
        assert lease.startswith(CREATE), (name, lease)
        assert "create/" in lease_keys(server, "auth/token/"), name
        assert "auth/" in lease_keys(server, ""), name
        # without the trailing slash the same prefix is listed
        assert lease.removeprefix(CREATE) in lease_keys(server, CREATE.rstrip("/")), name
    ours, ref = (call(s, "LIST", f"sys/leases/lookup/{CREATE}") for s in both.values())
    assert (ours[0], envelope(ours[1])) == (ref[0], envelope(ref[1]))
    ours, ref = (call(s, "LIST", "sys/leases/lookup/no/such/prefix/") for s in both.values())
    assert ours == ref == (404, {"errors": []})


def test_lookup_shape(both):
    answers = {}
    for name, server in both.items():
        _, lease = token_with_lease(server)
        status, doc = lookup(server, lease)
        assert status == 200, (name, doc)
        data = doc["data"]
        assert set(data) == LOOKUP_KEYS, (name, data)
        assert (data["id"], data["path"]) == (lease, CREATE.rstrip("/")), (name, data)
        assert data["renewable"] is True and data["last_renewal"] is None, (name, data)
        assert 3500 <= data["ttl"] <= 3600, (name, data)
        lifetime = rfc3339(data["expire_time"]) - rfc3339(data["issue_time"])
        assert abs(lifetime.total_seconds() - 3600) <= 2, (name, data)
        answers[name] = doc
    assert envelope(answers["tresor"]) == envelope(answers["bao"])


def test_lease_errors_match(both):
    steps = [
        ("PUT", "sys/leases/lookup", {"lease_id": "no/such/lease"}, None),
        ("PUT", "sys/leases/lookup", {}, None),
        ("PUT", "sys/leases/renew", {"lease_id": "no/such/lease"}, None),
        ("PUT", "sys/leases/renew", {"lease_id": "no/such/lease", "increment": None}, None),
        ("PUT", "sys/leases/renew", {}, None),
        ("PUT", "sys/leases/revoke", {"lease_id": "no/such/lease"}, None),
        ("PUT", "sys/leases/revoke/no/such/lease", {"sync": True}, None),
        ("PUT", "sys/leases/revoke", {}, None),
        ("PUT", "sys/leases/revoke-prefix/no/such", {}, None),
        ("PUT", "sys/leases/revoke-force/no/such", None, None),
        ("PUT", f"sys/leases/revoke-prefix/{CREATE}", {}, None),
        ("POST", "sys/leases/tidy", None, None),
        ("LIST", "sys/leases/lookup/no/such/", None, None),
    ]
    compare_scenario(both["tresor"], both["bao"], steps, mount="unused")
    expected = [
        ("sys/leases/lookup", {"lease_id": "no/such/lease"}, 400, "invalid lease"),
        ("sys/leases/lookup", {}, 400, "lease_id must be specified"),
        ("sys/leases/renew", {"lease_id": "no/such/lease"}, 400, "lease not found"),
        ("sys/leases/revoke", {}, 400, "lease_id must be specified"),
        (f"sys/leases/revoke-prefix/{CREATE}", {}, 400, SLASH_WRITE),
    ]
    for name, server in both.items():
        for path, body, status, message in expected:
            got = call(server, "PUT", path, body)
            assert got == (status, {"errors": [message]}), (name, path, got)
        status, doc = call(server, "POST", "sys/leases/tidy")
        assert status == 202 and doc["warnings"][0].startswith("Tidy operation successfully started"), (name, doc)


def test_renewing_a_token_lease_is_refused(both):
    for name, server in both.items():
        token, lease = token_with_lease(server)
        for body in ({"lease_id": lease}, {"lease_id": lease, "increment": 7200}):
            got = call(server, "PUT", "sys/leases/renew", body)
            assert got == (400, {"errors": [NO_TOKEN_RENEWAL]}), (name, got)
        assert lookup(server, lease)[0] == 200 and valid(server, token), name


def test_revoking_a_token_lease_revokes_the_token(both):
    for name, server in both.items():
        # the lease in the body, then in the path (as the Vault CLI sends it)
        for in_path in (False, True):
            token, lease = token_with_lease(server)
            assert valid(server, token), name
            if in_path:
                status, doc = call(server, "PUT", f"sys/leases/revoke/{lease}", {"sync": True})
            else:
                status, doc = call(server, "PUT", "sys/leases/revoke", {"lease_id": lease})
            assert status == 204, (name, in_path, doc)
            assert not valid(server, token), (name, in_path)
            assert lookup(server, lease) == (400, {"errors": ["invalid lease"]}), (name, in_path)
            assert lease.removeprefix(CREATE) not in lease_keys(server), (name, in_path)


def test_revoking_a_token_removes_its_lease(both):
    for name, server in both.items():
        token, lease = token_with_lease(server)
        status, _ = call(server, "POST", "auth/token/revoke", {"token": token})
        assert status == 204, name
        assert lookup(server, lease)[0] == 400, name


def test_revoke_prefix_needs_sudo(both):
    for name, server in both.items():
        with_role(server, "sudo-check")
        token, _ = token_with_lease(server, role="sudo-check")
        weak = with_policy(server, "leases-no-sudo", NO_SUDO)
        strong = with_policy(server, "leases-sudo", WITH_SUDO)
        for method, path, body in (
            ("PUT", f"sys/leases/revoke-prefix/{CREATE}sudo-check", {}),
            ("PUT", f"sys/leases/revoke-force/{CREATE}sudo-check", None),
            ("LIST", f"sys/leases/lookup/{CREATE}", None),
        ):
            status, doc = call(server, method, path, body, token=weak)
            assert status == 403 and "permission denied" in errors(doc)[0], (name, path, doc)
        assert valid(server, token), name
        status, doc = call(server, "PUT", f"sys/leases/revoke-prefix/{CREATE}sudo-check", {}, token=strong)
        assert status == 204, (name, doc)
        assert not valid(server, token), name


def test_revoke_prefix_of_a_role(both):
    for name, server in both.items():
        with_role(server, "batchjobs")
        role_tokens = [token_with_lease(server, role="batchjobs")[0] for _ in range(2)]
        other, _ = token_with_lease(server)
        status, doc = call(server, "PUT", f"sys/leases/revoke-prefix/{CREATE}batchjobs", {"sync": True})
        assert status == 204, (name, doc)
        assert [valid(server, t) for t in role_tokens] == [False, False], name
        assert valid(server, other), name
        assert lease_keys(server, f"{CREATE}batchjobs/") == set(), name


def test_revoke_prefix_auth_token_create_revokes_every_created_token(servers):
    """On fresh servers: revoking the prefix `auth/token/create` revokes every token made
    there (OpenBao revokes its dev root token too, see test_tokens_without_ttl_have_leases)."""
    tresor, bao = servers.tresor_dev(), servers.bao_dev()
    for server in (tresor, bao):
        tokens = [token_with_lease(server)[0] for _ in range(3)]
        assert all(valid(server, t) for t in tokens), server.name
        status, doc = call(server, "PUT", "sys/leases/revoke-prefix/auth/token/create", {})
        assert status == 204, (server.name, doc)
        assert not any(valid(server, t) for t in tokens), server.name
    assert lease_keys(tresor) == set()
    # tresor's root token has no lease and survives
    assert valid(tresor, "root")


# --------------------------------------------------------------------------------------
# differences from OpenBao (server side), kept as strict expected failures
# --------------------------------------------------------------------------------------


def test_asynchronous_revocation_answers_202(both):
    for path, body in (
        ("sys/leases/revoke", {"lease_id": "no/such/lease", "sync": False}),
        ("sys/leases/revoke/no/such/lease", {"sync": False}),
        ("sys/leases/revoke-prefix/no/such", {"sync": False}),
    ):
        ours, ref = (call(s, "PUT", path, body) for s in both.values())
        assert ref == (202, None), (path, ref)
        assert ours == ref, (path, ours, ref)


def test_writes_to_a_revoke_prefix_ending_in_slash_are_refused(both):
    for name, server in both.items():
        token, lease = token_with_lease(server)
        got = call(server, "PUT", f"sys/leases/revoke-prefix/{CREATE}", {})
        assert got == (400, {"errors": [SLASH_WRITE]}), (name, got)
        assert valid(server, token) and lookup(server, lease)[0] == 200, name


def test_writes_to_lease_paths_ending_in_slash_are_refused(servers, bao_dev):
    tresor = servers.tresor_dev()  # fresh: revoke-force/ revokes every lease on tresor
    problems = []
    for path, body in (
        ("sys/leases/lookup/", {"lease_id": "no/such/lease"}),
        ("sys/leases/renew/", {"lease_id": "no/such/lease"}),
        ("sys/leases/revoke/", {"lease_id": "no/such/lease"}),
        ("sys/leases/revoke-force/", None),
        ("sys/leases/tidy/", None),
    ):
        ref = call(bao_dev, "PUT", path, body)
        assert ref == (400, {"errors": [SLASH_WRITE]}), (path, ref)
        ours = call(tresor, "PUT", path, body)
        if ours != ref:
            problems.append(f"PUT {path}: tresor {ours}, OpenBao {ref}")
    assert not problems, "\n".join(problems)


def test_an_empty_prefix_revokes_nothing(servers, bao_dev):
    tresor = servers.tresor_dev()
    token, lease = token_with_lease(tresor)
    problems = []
    for path in (
        "sys/leases/revoke-prefix",
        "sys/leases/revoke-prefix/",
        "sys/leases/revoke-force",
        "sys/leases/revoke-force/",
    ):
        ref = call(bao_dev, "PUT", path, {})
        assert ref[0] in (400, 404), (path, ref)
        ours = call(tresor, "PUT", path, {})
        if ours[0] != ref[0]:
            problems.append(f"PUT {path}: tresor {ours}, OpenBao {ref}")
    for path in ("sys/revoke-prefix/", "sys/revoke-force/"):
        ours = call(tresor, "PUT", path, {})
        if ours[0] != 400:
            problems.append(f"PUT {path}: tresor {ours}, expected 400 as for any path ending in '/'")
    if not valid(tresor, token) or lookup(tresor, lease)[0] != 200:
        problems.append("the token with a TTL was revoked")
    assert not problems, "\n".join(problems)


def test_tokens_without_ttl_have_leases(both):
    new = {}
    for name, server in both.items():
        before = lease_keys(server)
        status, doc = call(server, "POST", "auth/token/create", {"policies": ["root"]})
        assert status == 200 and doc["auth"]["lease_duration"] == 0, (name, doc)
        new[name] = lease_keys(server) - before
    assert len(new["bao"]) == 1, new
    lease = CREATE + next(iter(new["bao"]))
    status, doc = lookup(both["bao"], lease)
    assert status == 200 and (doc["data"]["ttl"], doc["data"]["expire_time"]) == (0, None), doc
    assert len(new["tresor"]) == 1, new


# --------------------------------------------------------------------------------------
# the legacy aliases (tresor and Vault keep them; OpenBao answers 404)
# --------------------------------------------------------------------------------------


def test_legacy_aliases(tresor_dev, bao_dev):
    assert call(bao_dev, "PUT", "sys/revoke/no/such/lease", {})[0] == 404
    server = tresor_dev
    token, lease = token_with_lease(server)
    for path, body in (("sys/renew", {"lease_id": lease}), (f"sys/renew/{lease}", {})):
        assert call(server, "PUT", path, body) == (400, {"errors": [NO_TOKEN_RENEWAL]}), path
    assert call(server, "PUT", "sys/renew", {}) == (400, {"errors": ["lease_id must be specified"]})
    assert call(server, "PUT", f"sys/revoke/{lease}", {})[0] == 204
    assert not valid(server, token) and lookup(server, lease)[0] == 400
    assert call(server, "PUT", "sys/revoke/no/such/lease", {})[0] == 204

    with_role(server, "legacy")
    for alias in ("sys/revoke-prefix", "sys/revoke-force"):
        tokens = [token_with_lease(server, role="legacy")[0] for _ in range(2)]
        status, doc = call(server, "PUT", f"{alias}/{CREATE}legacy", {})
        assert status == 204, (alias, doc)
        assert not any(valid(server, t) for t in tokens), alias
    weak = with_policy(server, "legacy-no-sudo", 'path "sys/revoke-prefix/*" { capabilities = ["update"] }')
    assert call(server, "PUT", f"sys/revoke-prefix/{CREATE}legacy", {}, token=weak)[0] == 403


# --------------------------------------------------------------------------------------
# clients against tresor: hvac, the bao CLI, tresor's own CLI
# --------------------------------------------------------------------------------------


def test_hvac(tresor_dev):
    client = hvac_client(tresor_dev)
    token, lease = token_with_lease(tresor_dev)
    doc = client.sys.read_lease(lease_id=lease)
    assert set(doc["data"]) == LOOKUP_KEYS and doc["data"]["id"] == lease
    keys = client.sys.list_leases(prefix=CREATE)["data"]["keys"]
    assert lease.removeprefix(CREATE) in keys
    with pytest.raises(hvac.exceptions.InvalidRequest, match=NO_TOKEN_RENEWAL):
        client.sys.renew_lease(lease_id=lease, increment=60)
    with pytest.raises(hvac.exceptions.InvalidRequest, match="invalid lease"):
        client.sys.read_lease(lease_id="no/such/lease")
    assert client.sys.revoke_lease(lease_id=lease).status_code == 204
    assert not valid(tresor_dev, token)

    with_role(tresor_dev, "hvac")
    for revoke in (client.sys.revoke_prefix, client.sys.revoke_force):
        token, _ = token_with_lease(tresor_dev, role="hvac")
        assert revoke(prefix=f"{CREATE}hvac").status_code == 204
        assert not valid(tresor_dev, token)
    weak = hvac_client(tresor_dev, with_policy(tresor_dev, "hvac-no-sudo", NO_SUDO))
    with pytest.raises(hvac.exceptions.Forbidden):
        weak.sys.revoke_prefix(prefix=f"{CREATE}hvac")


@pytest.mark.parametrize("binary", [BAO_BIN, TRESOR_BIN], ids=["bao-cli", "tresor-cli"])
def test_lease_commands_against_tresor(tresor_dev, binary):
    server = tresor_dev
    token, lease = token_with_lease(server)
    r = cli(binary, server, "lease", "lookup", lease)
    assert r.rc == 0, r
    assert re.search(rf"^id\s+{re.escape(lease)}$", r.stdout, re.M), r
    assert re.search(r"^path\s+auth/token/create$", r.stdout, re.M), r
    assert re.search(r"^last_renewal\s+<nil>$", r.stdout, re.M), r
    assert re.search(r"^ttl\s+(59m\d+s|1h)$", r.stdout, re.M), r
    r = cli(binary, server, "lease", "lookup", "-format=json", lease)
    assert r.rc == 0 and set(r.json()["data"]) == LOOKUP_KEYS, r

    r = cli(binary, server, "lease", "renew", "-increment=1h", lease)
    assert r.rc == 2 and f"Error renewing {lease}" in r.stderr and NO_TOKEN_RENEWAL in r.stderr, r
    r = cli(binary, server, "lease", "lookup", "no/such/lease")
    assert r.rc == 2 and "error looking up lease id no/such/lease" in r.stderr, r
    assert "invalid lease" in r.stderr and "Code: 400" in r.stderr, r

    r = cli(binary, server, "lease", "revoke", "-sync", lease)
    assert (r.rc, r.stdout) == (0, f"Success! Revoked lease: {lease}\n"), r
    assert not valid(server, token)
    token, lease = token_with_lease(server)
    r = cli(binary, server, "lease", "revoke", lease)
    assert (r.rc, r.stdout) == (0, "All revocation operations queued successfully!\n"), r
    deadline = time.monotonic() + 5
    while valid(server, token) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not valid(server, token)

    with_role(server, "cli")
    token, _ = token_with_lease(server, role="cli")
    r = cli(binary, server, "lease", "revoke", "-prefix", "-sync", f"{CREATE}cli")
    assert (r.rc, r.stdout) == (0, f"Success! Revoked any leases with prefix: {CREATE}cli\n"), r
    assert not valid(server, token)
    token, _ = token_with_lease(server, role="cli")
    r = cli(binary, server, "lease", "revoke", "-force", "-prefix", f"{CREATE}cli")
    assert r.rc == 0 and r.stdout == f"Success! Force revoked any leases with prefix: {CREATE}cli\n", r
    assert r.stderr.startswith("Warning! Force-removing leases"), r
    assert not valid(server, token)

    weak = with_policy(server, "cli-no-sudo", NO_SUDO)
    r = cli(binary, server, "lease", "revoke", "-prefix", f"{CREATE}cli", token=weak)
    assert r.rc == 2 and f"Error revoking leases with prefix {CREATE}cli" in r.stderr, r
    assert "permission denied" in r.stderr and "Code: 403" in r.stderr, r


def test_tresor_lease_usage_errors(tresor_dev):
    for args, message in (
        (("lookup",), "Missing ID!"),
        (("lookup", "a", "b"), "Too many arguments (expected 1, got 2)"),
        (("renew",), "Missing ID!"),
        (("renew", "a", "b"), "Too many arguments (expected 1, got 2)"),
        (("renew", "-increment=soon", "a"), "soon"),
        (("revoke",), "Not enough arguments (expected 1, got 0)"),
        (("revoke", "a", "b"), "Too many arguments (expected 1, got 2)"),
        (("revoke", "-force", "a"), "Specifying -force requires also specifying -prefix"),
        # a prefix of nothing but slashes would name every lease: refused before sending
        (("revoke", "-prefix", "/"), "Invalid lease ID or prefix"),
        (("revoke", "-prefix", " "), "Invalid lease ID or prefix"),
        (("lookup", " "), "Missing ID!"),
    ):
        r = cli(TRESOR_BIN, tresor_dev, "lease", *args)
        assert r.rc == 1 and message in r.stderr, (args, r)


def mask(text: str) -> str:
    """Output with what differs between two runs blanked out: times, TTLs, request IDs."""
    text = re.sub(r"\d{4}-\d\d-\d\dT[\d:.]+Z", "<time>", text)
    text = re.sub(r"^(ttl\s+)\S+$", r"\1<ttl>", text, flags=re.M)
    text = re.sub(r'("?ttl"?:) \d+', r"\1 <ttl>", text)
    return re.sub(r'("?request_id"?:) \S+', r"\1 <id>", text)


def test_tresor_cli_prints_what_the_bao_cli_prints(bao_dev):
    """Both CLIs against the same OpenBao: the same exit codes and output."""
    _, lease = token_with_lease(bao_dev)
    for args in (
        ("lookup", lease), ("lookup", "-format=json", lease), ("lookup", "-format=yaml", lease),
        ("lookup", "no/such/lease"), ("lookup",), ("renew", lease), ("renew", "-increment=1h", "x/y"),
        ("renew",), ("revoke", "no/such/lease"), ("revoke", "-sync", "no/such/lease"),
        ("revoke", "-prefix", "no/such"), ("revoke", "-prefix", "-sync", "no/such"),
        ("revoke", "-force", "no/such"), ("revoke",), ("revoke", "a", "b"),
    ):
        ours = cli(TRESOR_BIN, bao_dev, "lease", *args)
        ref = cli(BAO_BIN, bao_dev, "lease", *args)
        assert (ours.rc, mask(ours.stdout), mask(ours.stderr)) == (
            ref.rc, mask(ref.stdout), mask(ref.stderr)
        ), (args, ours, ref)
    ours = cli(TRESOR_BIN, bao_dev, "lease", "revoke", "-force", "-prefix", "no/such")
    ref = cli(BAO_BIN, bao_dev, "lease", "revoke", "-force", "-prefix", "no/such")
    assert (ours.rc, ours.stdout) == (ref.rc, ref.stdout), (ours, ref)
    assert ours.stderr.replace("tresor", "OpenBao") == ref.stderr, (ours, ref)


# --------------------------------------------------------------------------------------
# expiry on the real clock
# --------------------------------------------------------------------------------------


def test_token_lease_expires_on_time(both):
    """A token with ttl=2s is refused, and its lease gone, within a few seconds: the
    server's expiration task revokes it without any request touching it."""
    made = {}
    for name, server in both.items():
        token, lease = token_with_lease(server, ttl="2s")
        made[name] = (token, lease, time.monotonic())
        assert valid(server, token) and lookup(server, lease)[0] == 200, name
    deadline = time.monotonic() + 6
    gone: dict[str, float] = {}
    while len(gone) < len(both) and time.monotonic() < deadline:
        for name, server in both.items():
            token, lease, start = made[name]
            if name not in gone and lookup(server, lease)[0] == 400:
                gone[name] = time.monotonic() - start
        time.sleep(0.1)
    assert set(gone) == set(both), f"leases still there after 6 s: {set(both) - set(gone)}"
    for name, server in both.items():
        token, lease, _ = made[name]
        assert 1.0 <= gone[name] <= 4.5, (name, gone)
        assert lookup(server, lease) == (400, {"errors": ["invalid lease"]}), name
        assert not valid(server, token), name
        assert lease.removeprefix(CREATE) not in lease_keys(server), name
