"""The cert auth method with real clients: hvac's `auth.cert` API and `bao login
-method=cert -client-cert=... -client-key=...` against tresor, side by side with
OpenBao. Both run from a config file with a TLS listener (inmem storage, initialised and
unsealed through the API) and the same server certificate; clients present certificates
minted here: from a trusted CA (directly, and through an intermediate they send along),
a pinned self-signed leaf, one from a CA nobody trusts, and one revoked by a CRL.

Tokens from a cert login renew only over a connection that presents the login's own
certificate.
"""
from __future__ import annotations

import hvac
import pytest

from authkit import (
    comparable, hvac_error, make_ca, make_crl, make_leaf, server_cert, start_tls_server, tls_call,
)
from conftest import BAO_BIN, clean_env, run_cli

NO_CHAIN = "no chain matching all constraints could be found for this login certificate"
INVALID = "invalid certificate or no client certificate supplied"


class Pki:
    """The certificates of the tests, written to `directory`."""

    def __init__(self, directory):
        self.dir = directory
        server_ca = make_ca("tresor e2e server CA")
        self.server_ca_path = directory / "server-ca.pem"
        self.server_ca_path.write_text(server_ca.pem)
        self.server_cert, self.server_key = server_cert(server_ca).write(directory, "server")

        self.ca = make_ca("tresor e2e clients CA")
        self.intermediate = make_ca("tresor e2e clients intermediate", issuer=self.ca)
        self.other_ca = make_ca("somebody else's CA")
        self.leaves = {
            "alice": make_leaf(self.ca, "alice.example.org", dns=("alice.example.org",), ou="eng"),
            "bob": make_leaf(self.ca, "bob.example.org", dns=("bob.example.org",), ou="ops"),
            "carol": make_leaf(self.ca, "carol.example.org", ou="eng"),
            "mallory": make_leaf(self.ca, "mallory.example.org", ou="eng"),
            "intruder": make_leaf(self.ca, "intruder.evil.test", ou="eng"),
            "dave": make_leaf(self.intermediate, "dave.example.org", ou="eng"),
            "eve": make_leaf(self.other_ca, "eve.example.org", ou="eng"),
            "pinned": make_leaf(None, "pinned-client"),
            # Same subject, another key: must not pass for the pinned one.
            "pinned-twin": make_leaf(None, "pinned-client"),
        }
        self.paths = {name: leaf.write(directory, name) for name, leaf in self.leaves.items()}
        # dave sends his intermediate along (the file holds the chain).
        cert, _ = self.paths["dave"]
        cert.write_text(self.leaves["dave"].pem + self.intermediate.pem)

    def cert(self, name):
        return self.paths[name]


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return Pki(tmp_path_factory.mktemp("pki"))


def setup_cert_mount(server, pki: Pki) -> hvac.Client:
    c = hvac.Client(url=server.addr, token=server.root_token, verify=str(server.ca))
    c.sys.enable_auth_method("cert", path="cert")
    c.auth.cert.create_ca_certificate_role(
        "clients", certificate=pki.ca.pem, allowed_common_names=["*.example.org"],
        token_policies=["cert-pol"], token_ttl=3600, mount_point="cert",
    )
    c.auth.cert.create_ca_certificate_role(
        "ops-only", certificate=pki.ca.pem, allowed_organizational_units=["ops"],
        token_policies=["ops-pol"], mount_point="cert",
    )
    c.auth.cert.create_ca_certificate_role(
        "pinned", certificate=pki.leaves["pinned"].pem, token_policies=["pinned-pol"], mount_point="cert",
    )
    return c


@pytest.fixture(scope="module")
def tls_pair(module_servers, pki):
    """A tresor and an OpenBao with TLS listeners and the same `cert` mount."""
    servers = []
    for kind in ("tresor", "bao"):
        s = start_tls_server(module_servers, kind, pki.server_cert, pki.server_key, pki.server_ca_path)
        setup_cert_mount(s, pki)
        servers.append(s)
    return tuple(servers)


def cert_login(server, pki: Pki, who: str | None, name: str | None = None):
    """A login over a connection presenting `who`'s certificate (None: no certificate)."""
    return tls_call(server, "POST", "auth/cert/login", {"name": name} if name else {},
                    cert=pki.cert(who) if who else None)


def hvac_login(server, pki: Pki, who: str, name: str = "") -> tuple[hvac.Client, dict]:
    cert, key = pki.cert(who)
    client = hvac.Client(url=server.addr, verify=str(server.ca))
    auth = client.auth.cert.login(name=name, cert_pem=str(cert), key_pem=str(key), mount_point="cert")["auth"]
    return client, auth


# --------------------------------------------------------------------------------------
# Entries
# --------------------------------------------------------------------------------------


def test_entries_read_like_openbao(tls_pair, pki):
    tresor, bao = tls_pair
    reads = []
    for s in tls_pair:
        c = hvac.Client(url=s.addr, token=s.root_token, verify=str(s.ca))
        reads.append((c.auth.cert.read_ca_certificate_role("clients", mount_point="cert")["data"],
                       c.auth.cert.list_certificate_roles(mount_point="cert")["data"]["keys"]))
    (t, tl), (b, bl) = reads
    assert t["certificate"] == pki.ca.pem
    assert t["allowed_common_names"] == ["*.example.org"]
    assert t["token_policies"] == ["cert-pol"] and t["token_ttl"] == 3600
    assert sorted(tl) == sorted(bl) == ["clients", "ops-only", "pinned"]
    assert comparable(t) == comparable(b), (t, b)


# --------------------------------------------------------------------------------------
# Logins
# --------------------------------------------------------------------------------------


def test_hvac_cert_login(tls_pair, pki):
    tresor, _ = tls_pair
    client, auth = hvac_login(tresor, pki, "alice", name="clients")
    alice = pki.leaves["alice"]
    assert auth["policies"] == ["cert-pol", "default"] or sorted(auth["policies"]) == ["cert-pol", "default"]
    assert auth["metadata"]["cert_name"] == "clients"
    assert auth["metadata"]["common_name"] == "alice.example.org"
    assert auth["metadata"]["serial_number"] == str(alice.serial)
    assert set(auth["metadata"]) == {"authority_key_id", "cert_name", "common_name", "serial_number", "subject_key_id"}
    assert auth["lease_duration"] == 3600 and auth["renewable"] is True
    assert client.is_authenticated()
    # Without a name, every entry is tried: bob (OU ops) matches one of two CA entries.
    _, auth = hvac_login(tresor, pki, "bob")
    assert auth["metadata"]["cert_name"] in ("clients", "ops-only")
    _, auth = hvac_login(tresor, pki, "bob", name="ops-only")
    assert sorted(auth["policies"]) == ["default", "ops-pol"]
    # A pinned leaf logs in by its exact certificate.
    _, auth = hvac_login(tresor, pki, "pinned")
    assert sorted(auth["policies"]) == ["default", "pinned-pol"] and auth["metadata"]["cert_name"] == "pinned"
    # A client sending its intermediate along verifies to the root entry.
    _, auth = hvac_login(tresor, pki, "dave", name="clients")
    assert auth["metadata"]["common_name"] == "dave.example.org"


def test_logins_answer_like_openbao(tls_pair, pki):
    """The same certificates at both servers: same statuses; for logins, the same auth
    block shape, policies and metadata (serials and key IDs included); for refusals, the
    same words where OpenBao's are known to match."""
    tresor, bao = tls_pair
    cases = [
        ("alice", "clients"), ("bob", "ops-only"), ("pinned", None), ("dave", "clients"),
        ("alice", "ops-only"), ("intruder", "clients"), ("eve", None), ("pinned-twin", None),
        ("alice", "nope"), (None, None),
    ]
    problems = []
    for who, name in cases:
        (ts, td), (bs, bd) = cert_login(tresor, pki, who, name), cert_login(bao, pki, who, name)
        label = f"{who} name={name}"
        if ts != bs:
            problems.append(f"{label}: tresor {ts} {td} / bao {bs} {bd}")
        elif ts == 200:
            if comparable(td) != comparable(bd):
                problems.append(f"{label}: shapes differ\n  tresor={td}\n  bao={bd}")
            for key in ("policies", "metadata", "lease_duration", "renewable", "token_type"):
                if td["auth"][key] != bd["auth"][key]:
                    problems.append(f"{label}: auth.{key} tresor={td['auth'][key]} bao={bd['auth'][key]}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("who,name,error", [
    ("alice", "ops-only", NO_CHAIN),
    ("intruder", "clients", NO_CHAIN),
    ("eve", None, INVALID),
    ("pinned-twin", None, INVALID),
])
def test_refused_certificates(tls_pair, pki, who, name, error):
    tresor, _ = tls_pair
    status, doc = cert_login(tresor, pki, who, name)
    assert (status, doc) == (400, {"errors": [error]})
    with pytest.raises(hvac.exceptions.InvalidRequest):
        hvac_login(tresor, pki, who, name=name or "")


def test_revoked_certificate_is_refused(tls_pair, pki):
    crl = make_crl(pki.ca, [pki.leaves["mallory"].serial])
    for s in tls_pair:
        assert cert_login(s, pki, "mallory", "clients")[0] == 200, s.name
        c = hvac.Client(url=s.addr, token=s.root_token, verify=str(s.ca))
        c.write("auth/cert/crls/clients-crl", crl=crl)
        crl_read = c.read("auth/cert/crls/clients-crl")["data"]
        serial = pki.leaves["mallory"].serial
        assert str(serial) in crl_read["serials"], (s.name, crl_read)
    (ts, td), (bs, bd) = [cert_login(s, pki, "mallory", "clients") for s in tls_pair]
    assert (ts, td) == (400, {"errors": [NO_CHAIN]})
    assert (bs, bd) == (ts, td)
    # Without a name too; and the others still log in.
    assert cert_login(tls_pair[0], pki, "mallory", None)[0] == 400
    assert cert_login(tls_pair[0], pki, "alice", "clients")[0] == 200


def test_renewal_needs_the_login_certificate(tls_pair, pki):
    """`token renew-self` over a connection presenting the login's certificate works;
    presenting another certificate that logs in by the same entry (or none) does not."""
    results = {}
    for s in tls_pair:
        _, auth = hvac_login(s, pki, "alice", name="clients")
        token = auth["client_token"]
        same = tls_call(s, "POST", "auth/token/renew-self", {"increment": "30m"}, token=token, cert=pki.cert("alice"))
        other = tls_call(s, "POST", "auth/token/renew-self", {}, token=token, cert=pki.cert("carol"))
        without = tls_call(s, "POST", "auth/token/renew-self", {}, token=token)
        still = tls_call(s, "GET", "auth/token/lookup-self", token=token)
        results[s.name] = (same, other, without, still)
    (same, other, without, still) = results[tls_pair[0].name]
    assert same[0] == 200, same
    assert same[1]["auth"]["lease_duration"] == 1800
    assert other[0] == 403 and other[1]["errors"] == [
        "client identity during renewal not matching client identity used during login"], other
    assert without[0] == 400 and without[1]["errors"] == ["no client certificate found"], without
    assert still[0] == 200, "a refused renewal does not revoke the token"
    # OpenBao refuses the other certificate too, but with a 500 whose text dumps both
    # certificates' DER as decimal bytes; tresor's 403 is the deliberate difference.
    ref = results[tls_pair[1].name]
    assert [r[0] for r in ref] == [200, 500, 400, 200], ref
    assert "client identity during renewal not matching client identity used during login" in ref[1][1]["errors"][0]


def test_hvac_renew_self_with_the_same_certificate(tls_pair, pki):
    tresor, _ = tls_pair
    cert = tuple(str(p) for p in pki.cert("bob"))
    _, auth = hvac_login(tresor, pki, "bob", name="ops-only")
    client = hvac.Client(url=tresor.addr, token=auth["client_token"], verify=str(tresor.ca), cert=cert)
    renewed = client.auth.token.renew_self(increment=600)
    assert renewed["auth"]["lease_duration"] == 600
    assert sorted(renewed["auth"]["policies"]) == ["default", "ops-pol"]
    carol = tuple(str(p) for p in pki.cert("carol"))
    other = hvac.Client(url=tresor.addr, token=auth["client_token"], verify=str(tresor.ca), cert=carol)
    with pytest.raises(hvac.exceptions.VaultError) as e:
        other.auth.token.renew_self()
    assert hvac_error(e.value)[0] in (400, 403)


def test_bao_cli_cert_login(tls_pair, pki, tmp_path):
    tresor, bao = tls_pair
    home = tmp_path / "home"
    home.mkdir()
    for s in tls_pair:
        env = clean_env(home, VAULT_ADDR=s.addr, VAULT_CACERT=str(s.ca))
        cert, key = pki.cert("alice")
        out = run_cli([BAO_BIN, "login", "-method=cert", "-no-store", "-format=json",
                       f"-client-cert={cert}", f"-client-key={key}", "name=clients"], env)
        assert out.rc == 0, out
        auth = out.json()["auth"]
        assert sorted(auth["policies"]) == ["cert-pol", "default"]
        assert auth["metadata"]["common_name"] == "alice.example.org"
        if s is tresor:
            assert auth["client_token"].startswith("trs.")
            # The stored token renews with the same certificate, through the CLI.
            out = run_cli([BAO_BIN, "login", "-method=cert", f"-client-cert={cert}", f"-client-key={key}",
                           "name=clients"], env)
            assert out.rc == 0, out
            renew = run_cli([BAO_BIN, "token", "renew", "-format=json", f"-client-cert={cert}",
                             f"-client-key={key}"], env)
            assert renew.rc == 0, renew
            assert renew.json()["auth"]["lease_duration"] == 3600
            ecert, ekey = pki.cert("carol")
            renew = run_cli([BAO_BIN, "token", "renew", f"-client-cert={ecert}", f"-client-key={ekey}"], env)
            assert renew.rc == 2 and "client identity during renewal not matching" in renew.stderr, renew
        ecert, ekey = pki.cert("eve")
        bad = run_cli([BAO_BIN, "login", "-method=cert", "-no-store", f"-client-cert={ecert}",
                       f"-client-key={ekey}"], env)
        assert bad.rc == 2 and INVALID in bad.stderr, (s.name, bad)


# --------------------------------------------------------------------------------------
# tresor's own CLI: `tresor login -method=cert`
# --------------------------------------------------------------------------------------


def test_tresor_cli_cert_login(tls_pair, pki, tmp_path):
    """`tresor login -method=cert -client-cert=... -client-key=...` over TLS, the server
    verified with VAULT_CACERT or `-ca-cert=`: the token lands in ~/.vault-token and
    works; the JSON output has the keys `bao login -method=cert` prints for the same
    login; a refused login exits 2 with the server's words."""
    from conftest import TRESOR_BIN

    tresor, _ = tls_pair
    home = tmp_path / "tresor-cli-home"
    home.mkdir()
    token_file = home / ".vault-token"
    env = clean_env(home, VAULT_ADDR=tresor.addr, VAULT_CACERT=str(tresor.ca))
    cert, key = pki.cert("alice")
    alice = pki.leaves["alice"]

    out = run_cli([TRESOR_BIN, "login", "-method=cert", "-format=json", f"-client-cert={cert}",
                   f"-client-key={key}", "name=clients"], env)
    assert out.rc == 0, out
    doc = out.json()
    token = doc["auth"]["client_token"]
    assert token.startswith("trs.")
    assert sorted(doc["auth"]["policies"]) == ["cert-pol", "default"]
    assert doc["auth"]["metadata"]["common_name"] == "alice.example.org"
    assert token_file.read_text().strip() == token
    key_body = alice.key_pem.splitlines()[1]
    assert key_body not in out.stdout + out.stderr

    looked = run_cli([TRESOR_BIN, "token", "lookup", "-format=json"], env)
    assert looked.rc == 0, looked
    data = looked.json()["data"]
    assert data["id"] == token and sorted(data["policies"]) == ["cert-pol", "default"]
    assert data["meta"]["cert_name"] == "clients"
    assert data["meta"]["common_name"] == "alice.example.org"
    assert data["meta"]["serial_number"] == str(alice.serial)

    ref = run_cli([BAO_BIN, "login", "-method=cert", "-no-store", "-format=json", f"-client-cert={cert}",
                   f"-client-key={key}", "name=clients"], env)
    assert ref.rc == 0, ref
    assert set(doc) == set(ref.json()), (doc, ref.json())
    assert set(doc["auth"]) == set(ref.json()["auth"]), (doc["auth"], ref.json()["auth"])

    # The server's CA from -ca-cert= instead of VAULT_CACERT (and for the lookup too).
    env_flag = clean_env(home, VAULT_ADDR=tresor.addr)
    bcert, bkey = pki.cert("bob")
    out = run_cli([TRESOR_BIN, "login", "-method=cert", f"-ca-cert={tresor.ca}", f"-client-cert={bcert}",
                   f"-client-key={bkey}", "-format=json", "name=ops-only"], env_flag)
    assert out.rc == 0, out
    token2 = out.json()["auth"]["client_token"]
    assert token2 != token and token_file.read_text().strip() == token2
    looked = run_cli([TRESOR_BIN, "token", "lookup", "-format=json", f"-ca-cert={tresor.ca}"], env_flag)
    assert looked.rc == 0, looked
    assert sorted(looked.json()["data"]["policies"]) == ["default", "ops-pol"]
    assert looked.json()["data"]["meta"]["common_name"] == "bob.example.org"

    # Refused by the server: exit 2, its words on stderr, the stored token kept.
    for who, name, error in (("eve", None, INVALID), ("alice", "ops-only", NO_CHAIN),
                             ("pinned-twin", None, INVALID)):
        c, k = pki.cert(who)
        bad = run_cli([TRESOR_BIN, "login", "-method=cert", f"-client-cert={c}", f"-client-key={k}",
                       *([f"name={name}"] if name else [])], env)
        assert bad.rc == 2 and error in bad.stderr, bad
        assert pki.leaves[who].key_pem.splitlines()[1] not in bad.stdout + bad.stderr, bad
        assert token_file.read_text().strip() == token2


# --------------------------------------------------------------------------------------
# The agent's cert auto-auth
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("agent_kind", ["tresor", "bao"])
def test_agent_cert_auto_auth(tls_pair, pki, tmp_path, agent_kind):
    """`auto_auth { method "cert" }` logs in over TLS with the configured client
    certificate, against tresor and OpenBao, with tresor's agent and bao's."""
    from agentkit import Agents, read_text, wait_for

    cert, key = pki.cert("alice")
    agents = Agents(tmp_path / "agents")
    try:
        for s in tls_pair:
            sink = tmp_path / f"{s.name}-token"
            config = (
                f'vault {{\n  address = "{s.addr}"\n  ca_cert = "{s.ca}"\n}}\n'
                "auto_auth {\n"
                '  method "cert" {\n    config = {\n      name = "clients"\n'
                # The method's own client needs the server's CA too (bao ignores the
                # vault block's for it).
                f'      client_cert = "{cert}"\n      client_key = "{key}"\n      ca_cert = "{s.ca}"\n'
                "    }\n  }\n"
                f'  sink "file" {{\n    config = {{\n      path = "{sink}"\n    }}\n  }}\n'
                "}\n"
            )
            agent = agents.start(agent_kind, config, name=f"{agent_kind}-{s.name}")
            token = wait_for(lambda: (read_text(sink) or "").strip(), f"{s.name}: token in the sink", agent)
            status, doc = tls_call(s, "GET", "auth/token/lookup-self", token=token)
            assert status == 200, (s.name, status, doc, agent.report())
            assert sorted(doc["data"]["policies"]) == ["cert-pol", "default"], (s.name, doc)
            assert doc["data"]["meta"]["common_name"] == "alice.example.org", (s.name, doc)
            # Renewal over the agent's own connection (with the same certificate) works:
            # renew-self with the token over a connection presenting alice's certificate.
            status, doc = tls_call(s, "POST", "auth/token/renew-self", {}, token=token, cert=(cert, key))
            assert status == 200, (s.name, status, doc)
            agent.stop()
    finally:
        agents.close()
