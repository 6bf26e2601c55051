"""`tresor agent` end to end, with `bao agent` (OpenBao 2.7.2) as the reference: both run
from the same configuration files, against a tresor dev server and against `bao server
-dev`, so a scenario that fails for tresor's agent alone points at the agent, one that
fails for both agents against one server points at that server.

Covered: AppRole and token_file auto-auth (HCL and JSON configuration files), file sinks
(mode, wrap_ttl, rewritten after re-authentication, renewal of a short-lived token), KV v1
/ v2 and PostgreSQL dynamic credential templates, re-rendering after a change
(`static_secret_render_interval = "1s"`), template `perms`, exec mode (`env_template`,
child restarted with the new environment), `exit_after_auth` (init-container mode) and
`exit_on_retry_failure`, the API proxy with the auto-auth token (tcp and unix listeners),
SIGTERM, `pid_file`, `remove_secret_id_file_after_reading`, a template reading a local
file rendered again when the file changes, a server outage survived, unchanged files left
alone and `backup`; and a byte-for-byte comparison of what both agents render from one set
of templates.

Every agent runs with `-log-level=debug`; its configuration and log are in every
assertion message about it and are printed at teardown (shown for failing tests).
"""
from __future__ import annotations

import contextlib
import http.client
import json
import signal
import socket
import time
from pathlib import Path

import pytest

from agentkit import (  # noqa: F401  (agents is a fixture)
    AGENT_KINDS,
    AppRole,
    agents,
    auto_auth,
    ensure_kv1,
    file_mode,
    file_sink,
    hcl_str,
    kv1_field,
    kv2_field,
    lookup_token,
    ok,
    policy,
    put_kv1,
    put_kv2,
    read_bytes,
    read_text,
    template,
    template_config,
    token_file_method,
    unique,
    vault_block,
    wait_for,
)
from conftest import LOOPBACK, call, free_port, http_request, init_unseal, unseal

SERVER_KINDS = ("tresor", "bao")

ON_SERVERS = pytest.mark.parametrize("server", SERVER_KINDS, indirect=True, ids=lambda s: f"{s}-server")
BY_AGENTS = pytest.mark.parametrize("agent_kind", AGENT_KINDS, ids=lambda k: f"{k}-agent")


@pytest.fixture
def server(request):
    """The tresor dev server or the reference `bao server -dev` (module-scoped, root token
    `root`), with KV v2 at `secret/` and KV v1 at `kv1/`."""
    s = request.getfixturevalue("tresor_dev" if request.param == "tresor" else "bao_dev")
    ensure_kv1(s)
    return s


def reader_role(server, tmp_path: Path, paths: dict[str, list[str]], **role) -> AppRole:
    """An AppRole role whose tokens have one policy granting `paths`."""
    pol = policy(server, unique("pol"), paths)
    return AppRole(server, unique("approle"), [pol], tmp_path / "creds", **role)


def sink_token(path: Path) -> str:
    return (read_text(path) or "").strip()


# --------------------------------------------------------------------------------------
# AppRole, sinks, KV templates, re-rendering, modes
# --------------------------------------------------------------------------------------


@BY_AGENTS
@ON_SERVERS
def test_approle_kv_templates_rerender_and_modes(server, agent_kind, agents, tmp_path):
    path = unique("app")
    put_kv2(server, path, {"password": "v2-first", "user": "alice"})
    # KV v1 has no version to watch: the agent reads it again when its lease (the `ttl`
    # field) runs out, not at static_secret_render_interval
    put_kv1(server, path, {"password": "v1-first", "ttl": "2s"})
    role = reader_role(server, tmp_path, {f"secret/data/{path}": ["read"], f"kv1/{path}": ["read"]})
    out = tmp_path / "out"
    out.mkdir()
    sink_default, sink_0600 = out / "token-default", out / "token-0600"
    v2, v1 = out / "v2.txt", out / "v1.txt"
    agent = agents.start(agent_kind, vault_block(server)
                         + auto_auth(role.method_block(), file_sink(sink_default), file_sink(sink_0600, mode="0600"))
                         + template_config("1s")
                         + template(v2, contents=kv2_field(path, "user") + ":" + kv2_field(path, "password"),
                                    perms="0600")
                         + template(v1, contents=kv1_field(path, "password")))

    token = wait_for(lambda: sink_token(sink_default), "token written to the sink", agent)
    role.assert_token(token, agent)
    wait_for(lambda: sink_token(sink_0600) == token, "the second sink holds the same token", agent)
    # remove_secret_id_file_after_reading defaults to true
    wait_for(lambda: not role.secret_id_file.exists(), "the secret-id file removed after reading", agent)
    assert role.role_id_file.exists(), agent.report()

    wait_for(lambda: read_text(v2) == "alice:v2-first", "KV v2 template rendered", agent)
    wait_for(lambda: read_text(v1) == "v1-first", "KV v1 template rendered", agent)
    modes = {p.name: oct(file_mode(p)) for p in (sink_default, sink_0600, v2, v1)}
    assert modes == {"token-default": "0o640", "token-0600": "0o600", "v2.txt": "0o600", "v1.txt": "0o644"}, (
        f"{modes}{agent.report()}")

    put_kv2(server, path, {"password": "v2-second", "user": "alice"})
    put_kv1(server, path, {"password": "v1-second", "ttl": "2s"})
    wait_for(lambda: read_text(v2) == "alice:v2-second", "KV v2 template rendered again after a change", agent)
    wait_for(lambda: read_text(v1) == "v1-second", "KV v1 template rendered again after a change", agent)
    assert oct(file_mode(v2)) == "0o600", agent.report()
    assert agent.alive and sink_token(sink_default) == token, agent.report()


@BY_AGENTS
@ON_SERVERS
def test_a_failing_template_does_not_stall_the_others(server, agent_kind, agents, tmp_path):
    good_path, late_path, denied_path = unique("good"), unique("late"), unique("denied")
    put_kv2(server, good_path, {"password": "first"})
    put_kv2(server, denied_path, {"password": "never"})
    role = reader_role(server, tmp_path, {f"secret/data/{good_path}": ["read"], f"secret/data/{late_path}": ["read"]})
    out = tmp_path / "out"
    out.mkdir()
    good, late, denied = out / "good.txt", out / "late.txt", out / "denied.txt"
    agent = agents.start(agent_kind, vault_block(server)
                         + auto_auth(role.method_block())
                         + template_config("1s")
                         + template(late, contents=kv2_field(late_path, "password"))
                         + template(denied, contents=kv2_field(denied_path, "password"))
                         + template(good, contents=kv2_field(good_path, "password")))
    wait_for(lambda: read_text(good) == "first", "the good template rendered beside two failing ones", agent)
    put_kv2(server, good_path, {"password": "second"})
    wait_for(lambda: read_text(good) == "second", "the good template rendered again", agent)
    assert read_text(late) is None and read_text(denied) is None, agent.report()
    # The missing secret appears: its template renders; the denied one still does not.
    put_kv2(server, late_path, {"password": "arrived"})
    wait_for(lambda: read_text(late) == "arrived", "the late secret rendered once written", agent)
    assert read_text(denied) is None and agent.alive, agent.report()


@BY_AGENTS
def test_a_template_reading_a_file_renders_again_when_the_file_changes(tresor_dev, agent_kind, agents, tmp_path):
    """`file "path"` is watched (both agents poll it): a change renders the template again
    long before static_secret_render_interval (5 minutes by default) would."""
    path = unique("withfile")
    put_kv2(tresor_dev, path, {"password": "pw"})
    role = reader_role(tresor_dev, tmp_path, {f"secret/data/{path}": ["read"]})
    local = tmp_path / "local.txt"
    local.write_text("one\n")
    out = tmp_path / "out"
    out.mkdir()
    rendered = out / "with-file.txt"
    agent = agents.start(agent_kind, vault_block(tresor_dev)
                         + auto_auth(role.method_block(), file_sink(out / "token"))
                         + template(rendered, contents=f'{{{{ file "{local}" | trimSpace }}}}:'
                                    + kv2_field(path, "password")))
    wait_for(lambda: read_text(rendered) == "one:pw", "template rendered with the file", agent)
    local.write_text("two\n")
    wait_for(lambda: read_text(rendered) == "two:pw", "template rendered again after the file changed", agent)


@BY_AGENTS
def test_a_server_outage_keeps_the_files_and_the_agent_recovers(servers, agent_kind, agents, tmp_path):
    """The server (file storage) stops for a few seconds: the agent keeps running and keeps
    the last rendered file; once the server is back and unsealed, a change to the secret is
    rendered again with the same token."""
    first = servers.tresor(storage="file", name="tresor-outage")
    init = init_unseal(first)
    # the agentkit helpers act with the token `root`
    root = {"id": "root", "policies": ["root"], "no_parent": True}
    assert call(first, "POST", "auth/token/create", root, token=init["root_token"])[0] == 200
    ok(*call(first, "POST", "sys/mounts/secret", {"type": "kv", "options": {"version": "2"}}), "mount secret/")
    path = unique("outage")
    put_kv2(first, path, {"password": "before"})
    role = reader_role(first, tmp_path, {f"secret/data/{path}": ["read"]})
    out = tmp_path / "out"
    out.mkdir()
    sink, rendered = out / "token", out / "outage.txt"
    agent = agents.start(agent_kind, vault_block(first)
                         + auto_auth(role.method_block(remove_after_reading=False), file_sink(sink))
                         + template_config("1s")
                         + template(rendered, contents=kv2_field(path, "password")))
    wait_for(lambda: read_text(rendered) == "before", "template rendered", agent)
    token = sink_token(sink)

    first.stop()
    time.sleep(4)  # a few failed re-reads, with backoff
    assert agent.alive, f"the agent exited during the outage{agent.report()}"
    assert read_text(rendered) == "before", f"the rendered file changed during the outage{agent.report()}"

    second = servers.tresor(storage="file", name="tresor-outage", workdir=first.workdir, port=first.port)
    unseal(second, init["keys"])
    put_kv2(second, path, {"password": "after"})
    wait_for(lambda: read_text(rendered) == "after", "template rendered again after the outage", agent,
             timeout=30)
    assert sink_token(sink) == token, f"the token survived the outage{agent.report()}"


@BY_AGENTS
def test_an_unchanged_file_is_left_alone_and_a_replaced_one_backed_up(tresor_dev, agent_kind, agents, tmp_path):
    """A destination that already holds the rendered content (left by an init container or
    an earlier run) is not written again and its command does not run; with `backup`, the
    file a change replaces is kept as `<destination>.bak`."""
    path = unique("backup")
    put_kv2(tresor_dev, path, {"password": "one"})
    role = reader_role(tresor_dev, tmp_path, {f"secret/data/{path}": ["read"]})
    out = tmp_path / "out"
    out.mkdir()
    conf, witness, ran = out / "app.conf", out / "witness.txt", out / "commands-ran"
    conf.write_text("one")
    conf.chmod(0o600)
    inode = conf.stat().st_ino
    agent = agents.start(agent_kind, vault_block(tresor_dev)
                         + auto_auth(role.method_block(), file_sink(out / "token"))
                         + template_config("1s")
                         + template(conf, contents=kv2_field(path, "password"), backup=True,
                                    perms="0640", command=f"echo ran >> {ran}")
                         + template(witness, contents=kv2_field(path, "password")))
    # the witness reads the same secret: once it is written, app.conf was rendered too
    wait_for(lambda: read_text(witness) == "one", "the witness template rendered", agent)
    time.sleep(1)
    assert conf.stat().st_ino == inode, f"app.conf written again with the same content{agent.report()}"
    assert not ran.exists(), f"the command ran for an unchanged file{agent.report()}"
    assert not (out / "app.conf.bak").exists(), agent.report()
    # documented difference (docs/compatibility.md, "Agent"): tresor gives the file the
    # mode asked now, bao agent leaves it as found
    want = "0o640" if agent_kind == "tresor" else "0o600"
    assert oct(file_mode(conf)) == want, f"{oct(file_mode(conf))}{agent.report()}"

    put_kv2(tresor_dev, path, {"password": "two"})
    wait_for(lambda: read_text(conf) == "two", "app.conf rendered after the change", agent)
    wait_for(lambda: read_text(ran) == "ran\n", "the command ran once", agent)
    assert read_text(out / "app.conf.bak") == "one", agent.report()


@BY_AGENTS
@ON_SERVERS
def test_token_file_auth_from_a_json_config(server, agent_kind, agents, tmp_path):
    path = unique("tf")
    put_kv2(server, path, {"password": "from-token-file"})
    pol = policy(server, unique("pol"), {f"secret/data/{path}": ["read"]})
    doc = ok(*call(server, "POST", "auth/token/create", {"policies": [pol], "ttl": "10m"}), "token")
    token = doc["auth"]["client_token"]
    token_file = tmp_path / "token"
    token_file.write_text(token + "\n")
    sink, rendered = tmp_path / "sink", tmp_path / "rendered.txt"
    config = {
        "vault": {"address": server.addr},
        "auto_auth": {
            "method": [{"type": "token_file", "config": {"token_file_path": str(token_file)}}],
            "sink": [{"type": "file", "config": {"path": str(sink)}}],
        },
        "template_config": {"static_secret_render_interval": "1s"},
        "template": [{"destination": str(rendered), "contents": kv2_field(path, "password")}],
    }
    agent = agents.start(agent_kind, json.dumps(config, indent=2), fmt="json")
    wait_for(lambda: read_text(rendered) == "from-token-file", "template rendered with the file's token", agent)
    assert wait_for(lambda: sink_token(sink), "token written to the sink", agent) == token, agent.report()
    put_kv2(server, path, {"password": "changed"})
    wait_for(lambda: read_text(rendered) == "changed", "template rendered again after a change", agent)
    status, looked = lookup_token(server, token)
    assert status == 200 and set(looked["data"]["policies"]) == {"default", pol}, looked


# --------------------------------------------------------------------------------------
# PostgreSQL dynamic credentials
# --------------------------------------------------------------------------------------

PG_CREATE = "CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';"


@pytest.fixture(scope="module")
def pg():
    from pg_cluster import PgCluster, pg8000

    if pg8000 is None:
        pytest.fail("pg8000 missing: run .venv/bin/pip install -r tests/e2e/requirements.txt", pytrace=False)
    cluster = PgCluster()
    yield cluster
    cluster.destroy()


@contextlib.contextmanager
def database_mount(server, pg, default_ttl: str, max_ttl: str):
    """A database mount with the connection `pg` and the role `app`; on exit its leases
    are revoked and the mount removed."""
    mount = unique("db")
    ok(*call(server, "POST", f"sys/mounts/{mount}", {"type": "database"}), "mount database")
    try:
        ok(*call(server, "POST", f"{mount}/config/pg", {
            "plugin_name": "postgresql-database-plugin", "connection_url": pg.url(),
            "username": pg.superuser, "password": pg.password, "allowed_roles": ["app"],
        }), "database config")
        ok(*call(server, "POST", f"{mount}/roles/app", {
            "db_name": "pg", "creation_statements": [PG_CREATE], "default_ttl": default_ttl, "max_ttl": max_ttl,
        }), "database role")
        yield mount
    finally:
        call(server, "PUT", f"sys/leases/revoke-prefix/{mount}/", {})
        call(server, "DELETE", f"sys/mounts/{mount}")


@BY_AGENTS
@ON_SERVERS
def test_database_credentials_template(server, agent_kind, agents, pg, tmp_path):
    rendered = tmp_path / "db.env"
    try:
        with database_mount(server, pg, "1h", "2h") as mount:
            role = reader_role(server, tmp_path, {f"{mount}/creds/app": ["read"]})
            contents = (
                f'{{{{ with secret "{mount}/creds/app" }}}}'
                "DB_USER={{ .Data.username }}\nDB_PASSWORD={{ .Data.password }}\n{{ end }}"
            )
            agent = agents.start(agent_kind, vault_block(server) + auto_auth(role.method_block())
                                 + template(rendered, contents=contents, perms="0600"))
            text = wait_for(lambda: read_text(rendered), "database template rendered", agent)
            values = dict(line.split("=", 1) for line in text.splitlines())
            assert set(values) == {"DB_USER", "DB_PASSWORD"} and text.endswith("\n"), f"{text!r}{agent.report()}"
            assert pg.can_login(values["DB_USER"], values["DB_PASSWORD"]), f"{text!r}{agent.report()}"
            assert oct(file_mode(rendered)) == "0o600", agent.report()
            status, doc = call(server, "LIST", f"sys/leases/lookup/{mount}/creds/app/")
            assert status == 200 and len(doc["data"]["keys"]) >= 1, (status, doc)
            time.sleep(1.5)  # no new credentials: the lease is an hour long
            assert read_text(rendered) == text, agent.report()
            agent.stop()
    finally:
        users = [line.split("=", 1)[1] for line in (read_text(rendered) or "").splitlines()
                 if line.startswith("DB_USER=")]
        for user in users:
            pg.query(f'DROP ROLE IF EXISTS "{user}"')


@ON_SERVERS
def test_tresor_agent_renews_database_leases_then_replaces_them(server, agents, pg, tmp_path):
    """Leased credentials are renewed at lease_renewal_threshold (the same user stays past
    the lease's first end); once renewal is capped by max_ttl, new credentials are fetched
    and the file is rendered again."""
    rendered = tmp_path / "db.env"
    with database_mount(server, pg, "4s", "10s") as mount:
        role = reader_role(server, tmp_path, {f"{mount}/creds/app": ["read"]})
        contents = f'{{{{ with secret "{mount}/creds/app" }}}}{{{{ .Data.username }}}}{{{{ end }}}}'
        agent = agents.start("tresor", vault_block(server) + auto_auth(role.method_block())
                             + template_config("1m", lease_renewal_threshold="0.5")
                             + template(rendered, contents=contents))
        first = wait_for(lambda: read_text(rendered), "database template rendered", agent)
        started = time.monotonic()
        leases = ok(*call(server, "LIST", f"sys/leases/lookup/{mount}/creds/app/"), "leases")["data"]["keys"]
        lease_id = f"{mount}/creds/app/{leases[0]}"
        time.sleep(5.5)  # past the first 4 s lease: alive only if renewed
        status, doc = call(server, "PUT", "sys/leases/lookup", {"lease_id": lease_id})
        if time.monotonic() - started < 9:
            assert status == 200 and doc["data"]["ttl"] > 0, f"lease not renewed: {status} {doc}{agent.report()}"
            assert read_text(rendered) == first, agent.report()
        second = wait_for(lambda: (read_text(rendered) or first) != first and read_text(rendered),
                          "new credentials rendered once the lease hit max_ttl", agent, timeout=20)
        assert pg.role(second) is not None, agent.report()


# --------------------------------------------------------------------------------------
# Exec mode
# --------------------------------------------------------------------------------------


def process_running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@BY_AGENTS
@ON_SERVERS
def test_exec_restarts_the_child_with_the_new_environment(server, agent_kind, agents, tmp_path):
    path = unique("exec")
    put_kv2(server, path, {"password": "first-db-password"})
    role = reader_role(server, tmp_path, {f"secret/data/{path}": ["read"]})
    pids, out = tmp_path / "child-pids", tmp_path / "child-out"
    agents.watch_children(pids)
    script = f'echo $$ >> {pids}; echo "$DB_PASSWORD" > {out}.tmp; mv {out}.tmp {out}; exec sleep 1000'
    agent = agents.start(agent_kind, vault_block(server) + auto_auth(role.method_block())
                         + template_config("1s")
                         + 'env_template "DB_PASSWORD" {\n'
                         + f"  contents = {hcl_str(kv2_field(path, 'password'))}\n"
                         + "  error_on_missing_key = true\n}\n"
                         + "exec {\n"
                         + f"  command = {json.dumps(['sh', '-c', script])}\n"
                         + '  restart_on_secret_changes = "always"\n'
                         + '  restart_stop_signal = "SIGTERM"\n}\n')

    wait_for(lambda: read_text(out) == "first-db-password\n", "the child saw DB_PASSWORD", agent)
    first = int(read_text(pids).split()[0])
    assert process_running(first), agent.report()

    put_kv2(server, path, {"password": "second-db-password"})
    wait_for(lambda: read_text(out) == "second-db-password\n", "a new child saw the new DB_PASSWORD", agent)
    started = [int(p) for p in read_text(pids).split()]
    assert len(started) == 2 and started[0] == first, f"children started: {started}{agent.report()}"
    wait_for(lambda: not process_running(first), "the first child stopped", agent, timeout=5)
    assert process_running(started[1]), agent.report()

    time.sleep(1.5)  # nothing changed: no restart
    assert [int(p) for p in read_text(pids).split()] == started, agent.report()

    rc = agent.stop()
    assert rc == 0, f"exit status {rc} after SIGTERM{agent.report()}"
    wait_for(lambda: not process_running(started[1]), "the child stopped with the agent", agent,
             timeout=5, need_alive=False)


# --------------------------------------------------------------------------------------
# exit_after_auth
# --------------------------------------------------------------------------------------


@BY_AGENTS
@ON_SERVERS
def test_exit_after_auth_renders_once_and_exits_zero(server, agent_kind, agents, tmp_path):
    path = unique("init")
    put_kv2(server, path, {"password": "init-v2"})
    put_kv1(server, path, {"password": "init-v1"})
    role = reader_role(server, tmp_path, {f"secret/data/{path}": ["read"], f"kv1/{path}": ["read"]})
    sink, v2, v1 = tmp_path / "sink", tmp_path / "v2.txt", tmp_path / "v1.txt"
    agent = agents.start(agent_kind, "exit_after_auth = true\n" + vault_block(server)
                         + auto_auth(role.method_block(), file_sink(sink))
                         + template(v2, contents=kv2_field(path, "password"))
                         + template(v1, contents=kv1_field(path, "password")))
    rc = agent.wait_exit()
    assert rc == 0, f"exit status {rc}{agent.report()}"
    assert read_text(v2) == "init-v2" and read_text(v1) == "init-v1", agent.report()
    role.assert_token(sink_token(sink), agent)
    assert not role.secret_id_file.exists(), agent.report()


@BY_AGENTS
@ON_SERVERS
def test_exit_after_auth_with_a_missing_secret_fails(server, agent_kind, agents, tmp_path):
    """`-exit-after-auth` on the command line; `exit_on_retry_failure` with one retry: a
    template reading a secret that does not exist makes the agent exit non-zero."""
    path, missing = unique("present"), unique("missing")
    put_kv2(server, path, {"password": "here"})
    role = reader_role(server, tmp_path, {"secret/data/*": ["read"]})
    present, absent = tmp_path / "present.txt", tmp_path / "absent.txt"
    common = (vault_block(server, num_retries=1)
              + auto_auth(role.method_block(remove_after_reading=False))
              + template_config("1s", exit_on_retry_failure=True)
              + template(present, contents=kv2_field(path, "password")))
    # the same configuration without the missing secret: renders and exits 0
    agent = agents.start(agent_kind, common, args=["-exit-after-auth"], name=f"{agent_kind}-good")
    rc = agent.wait_exit()
    assert rc == 0 and read_text(present) == "here", f"exit status {rc}{agent.report()}"

    agent = agents.start(agent_kind, common + template(absent, contents=kv2_field(missing, "password")),
                         args=["-exit-after-auth"], name=f"{agent_kind}-missing")
    rc = agent.wait_exit(timeout=10)  # OpenBao's agent gives up within a second
    assert rc != 0, f"exit status {rc} with a missing secret{agent.report()}"
    assert not absent.exists(), agent.report()


# --------------------------------------------------------------------------------------
# API proxy
# --------------------------------------------------------------------------------------


@BY_AGENTS
@ON_SERVERS
def test_api_proxy_uses_the_auto_auth_token(server, agent_kind, agents, tmp_path):
    path, other = unique("proxied"), unique("other")
    put_kv2(server, path, {"password": "proxied-password"})
    put_kv2(server, other, {"password": "not-for-the-agent"})
    role = reader_role(server, tmp_path, {f"secret/data/{path}": ["read"]})
    port = free_port()
    addr = f"http://{LOOPBACK}:{port}"
    sink = tmp_path / "sink"
    agent = agents.start(agent_kind, vault_block(server)
                         + auto_auth(role.method_block(remove_after_reading=False), file_sink(sink))
                         + f'listener "tcp" {{\n  address = "{LOOPBACK}:{port}"\n  tls_disable = true\n}}\n'
                         + "api_proxy {\n  use_auto_auth_token = true\n}\n")
    wait_for(lambda: sink_token(sink), "the agent authenticated", agent)
    assert role.secret_id_file.exists(), f"remove_secret_id_file_after_reading = false{agent.report()}"

    def read_through_agent():
        try:
            r = http_request(addr, "GET", f"/v1/secret/data/{path}", timeout=5)
        except OSError:
            return None  # not listening yet
        return r if r.status == 200 else None

    r = wait_for(read_through_agent, "a token-less read through the agent answered 200", agent)
    assert r.json()["data"]["data"] == {"password": "proxied-password"}, f"{r}{agent.report()}"
    # the auto-auth token may not read the other secret; the root token sent along may
    r = http_request(addr, "GET", f"/v1/secret/data/{other}", timeout=5)
    assert r.status == 403, f"{r}{agent.report()}"
    r = http_request(addr, "GET", f"/v1/secret/data/{other}", token="root", timeout=5)
    assert r.status == 200 and r.json()["data"]["data"] == {"password": "not-for-the-agent"}, (
        f"{r}{agent.report()}")
    # a write through the agent (the auto-auth token lacks the capability)
    r = http_request(addr, "POST", f"/v1/secret/data/{path}", body={"data": {"x": "y"}}, timeout=5)
    assert r.status == 403, f"{r}{agent.report()}"


class UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP over a unix socket (the agent's `listener "unix"`)."""

    def __init__(self, path: Path, timeout: float = 5):
        super().__init__("localhost", timeout=timeout)
        self.socket_path = str(path)

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.socket_path)


def get_over_unix_socket(path: Path, url: str) -> tuple[int, dict]:
    conn = UnixHTTPConnection(path)
    try:
        conn.request("GET", url)
        resp = conn.getresponse()
        body = resp.read()
        return resp.status, json.loads(body) if body else {}
    finally:
        conn.close()


@BY_AGENTS
def test_api_proxy_on_a_unix_socket(tresor_dev, agent_kind, agents, tmp_path):
    path = unique("unixproxied")
    put_kv2(tresor_dev, path, {"password": "over-the-socket"})
    role = reader_role(tresor_dev, tmp_path, {f"secret/data/{path}": ["read"]})
    sock = tmp_path / "agent.sock"
    agent = agents.start(agent_kind, vault_block(tresor_dev)
                         + auto_auth(role.method_block(), file_sink(tmp_path / "sink"))
                         + f'listener "unix" {{\n  address = "{sock}"\n  tls_disable = true\n}}\n'
                         + "api_proxy {\n  use_auto_auth_token = true\n}\n")

    def read_through_socket():
        try:
            status, doc = get_over_unix_socket(sock, f"/v1/secret/data/{path}")
        except OSError:
            return None  # not listening yet
        return doc if status == 200 else None

    doc = wait_for(read_through_socket, "a token-less read over the unix socket answered 200", agent)
    assert doc["data"]["data"] == {"password": "over-the-socket"}, f"{doc}{agent.report()}"
    assert sock.is_socket(), agent.report()


@ON_SERVERS
def test_tresor_agent_cache_shares_one_lease_between_identical_requests(server, agents, pg, tmp_path):
    with database_mount(server, pg, "1h", "2h") as mount:
        role = reader_role(server, tmp_path, {f"{mount}/creds/app": ["read"], "sys/leases/revoke": ["update"]})
        port = free_port()
        addr = f"http://{LOOPBACK}:{port}"
        sink = tmp_path / "sink"
        agent = agents.start("tresor", vault_block(server)
                             + auto_auth(role.method_block(), file_sink(sink))
                             + f'listener "tcp" {{\n  address = "{LOOPBACK}:{port}"\n  tls_disable = true\n}}\n'
                             + "api_proxy {\n  use_auto_auth_token = true\n}\ncache {}\n")
        wait_for(lambda: sink_token(sink), "the agent authenticated", agent)

        def creds():
            try:
                r = http_request(addr, "GET", f"/v1/{mount}/creds/app", timeout=10)
            except OSError:
                return None
            return r if r.status == 200 else None

        first = wait_for(creds, "credentials through the agent", agent)
        second = creds()
        assert second is not None, agent.report()
        a, b = first.json(), second.json()
        assert a["lease_id"] == b["lease_id"] and a["data"] == b["data"], f"{a} {b}{agent.report()}"
        assert second.headers.get("X-Cache") == "HIT", f"{second.headers}{agent.report()}"
        assert pg.can_login(a["data"]["username"], a["data"]["password"]), agent.report()
        leases = ok(*call(server, "LIST", f"sys/leases/lookup/{mount}/creds/app/"), "leases")["data"]["keys"]
        assert len(leases) == 1, f"{leases}{agent.report()}"
        # Revoking through the agent evicts: the next request makes new credentials.
        r = http_request(addr, "PUT", "/v1/sys/leases/revoke", body={"lease_id": a["lease_id"]}, timeout=10)
        assert r.status in (200, 204), f"{r}{agent.report()}"
        third = creds()
        assert third is not None and third.json()["lease_id"] != a["lease_id"], agent.report()


# --------------------------------------------------------------------------------------
# Response-wrapped sink
# --------------------------------------------------------------------------------------


@BY_AGENTS
@ON_SERVERS
def test_sink_with_wrap_ttl_holds_a_wrapped_token(server, agent_kind, agents, tmp_path):
    role = reader_role(server, tmp_path, {"secret/data/nothing": ["read"]})
    plain, wrapped = tmp_path / "plain", tmp_path / "wrapped"
    agent = agents.start(agent_kind, vault_block(server)
                         + auto_auth(role.method_block(), file_sink(plain), file_sink(wrapped, wrap_ttl="2m")))
    token = wait_for(lambda: sink_token(plain), "token written to the plain sink", agent)
    text = wait_for(lambda: read_text(wrapped), "wrapped token written to the sink", agent)
    try:
        info = json.loads(text)
    except ValueError:
        raise AssertionError(f"the wrapped sink does not hold JSON: {text!r}{agent.report()}")
    assert info.get("ttl") == 120, f"{info}{agent.report()}"
    assert info.get("creation_path") == "sys/wrapping/wrap", f"{info}{agent.report()}"
    assert info.get("token") and info["token"] != token, f"{info}{agent.report()}"
    assert oct(file_mode(wrapped)) == "0o640", agent.report()
    status, doc = call(server, "POST", "sys/wrapping/unwrap", {}, token=info["token"])
    assert status == 200, f"unwrap -> {status} {doc}{agent.report()}"
    assert doc["data"]["token"] == token, f"{doc}{agent.report()}"
    role.assert_token(doc["data"]["token"], agent)


# --------------------------------------------------------------------------------------
# Life cycle: SIGTERM, pid_file, renewal, re-authentication
# --------------------------------------------------------------------------------------


@BY_AGENTS
def test_sigterm_exits_zero_and_removes_the_pid_file(tresor_dev, agent_kind, agents, tmp_path):
    server = tresor_dev
    path = unique("sig")
    put_kv2(server, path, {"password": "x"})
    role = reader_role(server, tmp_path, {f"secret/data/{path}": ["read"]})
    pid_file, rendered = tmp_path / "agent.pid", tmp_path / "rendered"
    agent = agents.start(agent_kind, f'pid_file = "{pid_file}"\n' + vault_block(server)
                         + auto_auth(role.method_block())
                         + template(rendered, contents=kv2_field(path, "password")))
    wait_for(lambda: read_text(rendered) == "x", "template rendered", agent)
    assert (read_text(pid_file) or "").strip() == str(agent.pid), f"pid file: {read_text(pid_file)!r}{agent.report()}"
    start = time.monotonic()
    agent.proc.send_signal(signal.SIGTERM)
    rc = agent.wait_exit(timeout=5)
    assert rc == 0, f"exit status {rc} after SIGTERM{agent.report()}"
    assert time.monotonic() - start < 3, agent.report()
    assert not pid_file.exists(), f"pid file left behind{agent.report()}"


def test_revoke_on_exit_revokes_the_auto_auth_token(tresor_dev, agents, tmp_path):
    server = tresor_dev
    path = unique("rev")
    put_kv2(server, path, {"password": "x"})
    role = reader_role(server, tmp_path, {f"secret/data/{path}": ["read"]})
    sink = tmp_path / "token"
    agent = agents.start("tresor", vault_block(server) + auto_auth(role.method_block(), file_sink(sink)),
                         args=["-revoke-on-exit"])
    token = wait_for(lambda: sink_token(sink), "token written to the sink", agent)
    role.assert_token(token, agent)
    agent.proc.send_signal(signal.SIGTERM)
    assert agent.wait_exit(timeout=5) == 0, agent.report()
    status, doc = lookup_token(server, token)
    assert status in (400, 403), f"the token outlived the agent: {status} {doc}{agent.report()}"


@BY_AGENTS
def test_short_token_is_renewed_and_replaced_after_revocation(tresor_dev, bao_dev, agent_kind, agents, tmp_path):
    """token_ttl 4s: the agent renews the token before it expires (it outlives its TTL);
    once revoked, the agent logs in again (from the secret ID it kept in memory: the
    file is removed after reading) and writes the new token to the sink. Both servers
    at once to save time."""
    ttl = 4
    runs = []
    for srv in (tresor_dev, bao_dev):
        role = reader_role(srv, tmp_path / srv.name, {"secret/data/nothing": ["read"]},
                           token_ttl=f"{ttl}s", token_max_ttl="10m")
        sink = tmp_path / srv.name / "sink"
        agent = agents.start(agent_kind, vault_block(srv) + auto_auth(role.method_block(), file_sink(sink)),
                             name=f"{agent_kind}-on-{srv.name}")
        runs.append((srv, role, sink, agent))

    firsts = []
    for srv, role, sink, agent in runs:
        token = wait_for(lambda: sink_token(sink), f"token written to the sink ({srv.name})", agent)
        data = role.assert_token(token, agent)
        assert data["ttl"] <= ttl, data
        firsts.append((token, time.monotonic()))

    time.sleep(max(0.0, firsts[-1][1] + ttl + 1.5 - time.monotonic()))
    for (srv, role, sink, agent), (token, _) in zip(runs, firsts):
        status, doc = lookup_token(srv, token)
        assert status == 200, f"{srv.name}: the token expired, not renewed: {doc}{agent.report()}"
        assert sink_token(sink) == token, f"{srv.name}: the sink changed without a reason{agent.report()}"
        ok(*call(srv, "POST", "auth/token/revoke", {"token": token}), "revoke")

    for (srv, role, sink, agent), (token, _) in zip(runs, firsts):
        new = wait_for(lambda: (t := sink_token(sink)) and t != token and t,
                       f"{srv.name}: a new token in the sink after revocation", agent, timeout=12)
        role.assert_token(new, agent)


# --------------------------------------------------------------------------------------
# The same configuration under both agents: the same rendered files
# --------------------------------------------------------------------------------------

COMPARED_TEMPLATE = """\
{{- /* comments and the whitespace around them are trimmed */ -}}
kv1 user={{ with secret "kv1/BASE" }}{{ .Data.user }}{{ end }}
{{ with secret "kv1/BASE" -}}
    kv1 password: {{ .Data.password }}
    kv1 b64: {{ .Data.password | base64Encode }}
{{- end }}
{{ with secret "secret/data/BASE/app" -}}
v2 user={{ .Data.data.user }} version={{ .Data.metadata.version }}
v2 port={{ .Data.data.port }} ratio={{ .Data.data.ratio }} enabled={{ .Data.data.enabled }}
v2 json={{ .Data.data | toJSON }}
v2 tags={{ range $i, $t := .Data.data.tags }}{{ if $i }},{{ end }}{{ $t }}{{ end }}
v2 raw tags={{ .Data.data.tags }} nested={{ .Data.data.nested }}
{{ range $k, $v := .Data.data.nested }}{{ $k }}={{ $v }};{{ end }}
{{ with .Data.data.absent }}absent={{ . }}{{ else }}no absent key{{ end }}
{{ if .Data.data.enabled }}enabled{{ else }}disabled{{ end }}
{{ printf "%s:%05d|%-6s|%q" .Data.data.user 42 "ab" .Data.data.user }}
{{ .Data.data.nested | toJSONPretty }}
{{- end }}
{{ with secret "secret/data/BASE/app?version=1" }}old={{ .Data.data.user }} v{{ .Data.metadata.version }}{{ end }}
{{ range secrets "secret/metadata/BASE/dir/" -}}
- {{ . }}
{{ end -}}
{{ range secrets "secret/metadata/BASE/dir/" }}{{ if ne . "sub/" }}{{ with secret (printf "secret/data/BASE/dir/%s" .) }}{{ .Data.data.n }} {{ end }}{{ end }}{{ end }}
end
"""

# Further functions and printing rules of consul-template, beyond the ones listed above.
COMPARED_EXTRAS = """\
{{ with secret "secret/data/BASE/app" -}}
missing key: {{ .Data.data.missing }}
len={{ len .Data.data.tags }} first={{ index .Data.data.tags 0 }} {{ index .Data.data.nested "z" }}
{{ .Data.data.user | toLower | printf "%q" }} {{ .Data.data.user | toUpper }} {{ "  padded  " | trimSpace }}
{{ "a,b,c" | split "," | join ";" }}
{{ .Data.data.password | sha256Hex }}
{{ .Data.data.password | base64Encode | base64Decode }} {{ .Data.data.password | base64URLEncode }}
{{ `{"k":[1,2.50,"x"],"a":null}` | parseJSON | toJSON }}
{{ .Data.metadata | toJSON }}
{{ .Data.data | toYAML }}
{{- end }}
{{ with secret "kv1/BASE" }}lease={{ .LeaseDuration }} renewable={{ .Renewable }} {{ .Data | toJSONPretty }}{{ end }}
"""

COMPARED_INLINE = '{{ with secret "kv1/BASE" }}{{ .Data.user | toUpper }} {{ .Data.password | replaceAll " " "_" }}{{ end }}\n'

EXPECTED_RENDERED = """\
kv1 user=alice
kv1 password: p@ss w0rd<&>
    kv1 b64: cEBzcyB3MHJkPCY+
v2 user=alice version=2
v2 port=5432 ratio=1.5 enabled=true
v2 json={"enabled":true,"nested":{"a":"é","z":1},"password":"s3cr3t\\u003c\\u0026\\u003e\\"quote","port":5432,"ratio":1.5,"tags":["a","b"],"user":"alice"}
v2 tags=a,b
v2 raw tags=[a b] nested=map[a:é z:1]
a=é;z=1;
no absent key
enabled
alice:00042|ab    |"alice"
{
  "a": "é",
  "z": 1
}
old=old v1
- one
- sub/
- two
1 2 
end
"""


@ON_SERVERS
def test_both_agents_render_the_same_files_from_the_same_config(server, agents, tmp_path):
    base = unique("cmp")
    put_kv1(server, base, {"user": "alice", "password": "p@ss w0rd<&>", "port": "5432"})
    put_kv2(server, f"{base}/app", {"user": "old"})
    put_kv2(server, f"{base}/app", {
        "user": "alice", "password": 's3cr3t<&>"quote', "port": 5432, "ratio": 1.5, "enabled": True,
        "tags": ["a", "b"], "nested": {"z": 1, "a": "é"},
    })
    put_kv2(server, f"{base}/dir/one", {"n": 1})
    put_kv2(server, f"{base}/dir/two", {"n": 2})
    put_kv2(server, f"{base}/dir/sub/three", {"n": 3})
    pol = policy(server, unique("pol"), {
        f"kv1/{base}": ["read"], f"secret/data/{base}/*": ["read"], f"secret/metadata/{base}/*": ["list", "read"],
    })
    token = ok(*call(server, "POST", "auth/token/create", {"policies": [pol], "ttl": "10m"}), "token")["auth"]["client_token"]
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "token").write_text(token)
    source = shared / "compare.tpl"
    source.write_text(COMPARED_TEMPLATE.replace("BASE", base))
    extras = shared / "extras.tpl"
    extras.write_text(COMPARED_EXTRAS.replace("BASE", base))
    # relative destinations: each agent writes under its own working directory
    config = (vault_block(server)
              + auto_auth(token_file_method(shared / "token"), file_sink(Path("out/sink")))
              + template(Path("out/compare.txt"), source=source)
              + template(Path("out/extras.txt"), source=extras)
              + template(Path("out/inline.txt"), contents=COMPARED_INLINE.replace("BASE", base)))
    names = ["compare.txt", "extras.txt", "inline.txt", "sink"]

    started = {kind: agents.start(kind, config, dirs=["out"]) for kind in ("bao", "tresor")}
    results = {}
    for kind, agent in started.items():
        outdir = agent.workdir / "out"
        wait_for(lambda: all((outdir / n).exists() for n in names), "all files written", agent)
    time.sleep(0.5)  # any second rendering would come now (there should be none)
    for kind, agent in started.items():
        outdir = agent.workdir / "out"
        assert agent.alive, agent.report()
        results[kind] = (agent, {p.name: (read_bytes(p), oct(file_mode(p))) for p in sorted(outdir.iterdir())})

    bao_agent, ref = results["bao"]
    assert ref["compare.txt"][0].decode() == EXPECTED_RENDERED, bao_agent.report()
    assert ref["inline.txt"][0] == b"ALICE p@ss_w0rd<&>\n", bao_agent.report()
    assert ref["extras.txt"][0].startswith(b"missing key: <no value>\nlen=2 first=a 1\n"), bao_agent.report()
    assert ref["sink"][0] == token.encode(), bao_agent.report()

    tresor_agent, ours = results["tresor"]
    assert tresor_agent.config_path.read_bytes() == bao_agent.config_path.read_bytes()
    assert set(ours) == set(ref), f"files: tresor {sorted(ours)} bao {sorted(ref)}{tresor_agent.report()}"
    for name in sorted(ref):
        assert ours[name][0] == ref[name][0], (
            f"{name} differs\n--- bao agent ---\n{ref[name][0]!r}\n--- tresor agent ---\n{ours[name][0]!r}"
            f"{tresor_agent.report()}")
        assert ours[name][1] == ref[name][1], f"{name} mode: tresor {ours[name][1]} bao {ref[name][1]}"
