"""The database secrets engine (`database/`) end to end, against real databases: a private
PostgreSQL cluster with password authentication (see pg_cluster.py), the shared MariaDB
and Redis of this machine. Answers are compared side by side with `bao server -dev`
configured the same way; credentials are checked by logging in with real clients
(pg8000, PyMySQL, redis-py), and revocation, expiry and rotation by looking in the
database itself (`pg_roles`, `mysql.user`, `ACL LIST`).

Documented differences (crates/tresor-database/src/lib.rs) are asserted as such: a role
not in `allowed_roles`, a missing connection or a database failure is a 400 in tresor
where OpenBao answers 500 with the same message. Undocumented differences are
`xfail(strict=True)` tests that state the exact request and both answers.

Every test revokes the leases it made on both servers and drops whatever users it made.
"""

from __future__ import annotations

import json
import signal
import time
import uuid

import hvac
import pytest
import requests

from conftest import BAO_BIN, call, compare_scenario, envelope, init_unseal, ok, run_cli, unseal, wait_until
from pg_cluster import PgCluster

try:  # database clients (tests/e2e/requirements.txt)
    import pg8000.native  # noqa: F401  (pg_cluster uses it)
    import pymysql
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    MISSING_CLIENT = None
except ImportError as e:  # a venv made before they were listed: fail the tests, not the run
    MISSING_CLIENT = e

PG_CREATE = (
    "CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';"
)
MYSQL_CREATE = (
    "CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}'; GRANT SELECT ON *.* TO '{{name}}'@'%';"
)
# Vault's Redis plugin takes its ACL rules as ONE statement holding a JSON list.
REDIS_RULES = '["+get", "~app:*"]'

CREDS_KEYS = {"username", "password"}
LEASE_FIELDS = {"lease_id", "lease_duration", "renewable"}
MYSQL = {"host": "127.0.0.1", "port": 3306}
REDIS = {"host": "127.0.0.1", "port": 6379}


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------


def hvac_client(server) -> hvac.Client:
    session = requests.Session()
    session.trust_env = False
    return hvac.Client(url=server.addr, token="root", timeout=15, session=session)


def bao_cli(server, *args: str):
    return run_cli([BAO_BIN, *args], server.env("root"))


def lease_keys(server, prefix: str) -> set[str]:
    status, doc = call(server, "LIST", f"sys/leases/lookup/{prefix}")
    if status == 404:
        return set()
    assert status == 200, (status, doc)
    return set(doc["data"]["keys"])


def revoke_prefix(server, prefix: str) -> None:
    """Revokes every lease under `prefix` (best effort: the tests also drop their users
    directly in their clean-up)."""
    call(server, "PUT", f"sys/leases/revoke-prefix/{prefix}", {})


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def errors(doc) -> list[str]:
    return (doc or {}).get("errors", [])


def vault_500(message: str) -> str:
    """How OpenBao wraps a handler's error message in a 500 answer."""
    return f"1 error occurred:\n\t* {message}\n\n"


# --------------------------------------------------------------------------------------
# fixtures
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def database_clients():
    if MISSING_CLIENT is not None:
        pytest.fail(
            f"{MISSING_CLIENT}: run .venv/bin/pip install -r tests/e2e/requirements.txt", pytrace=False
        )


@pytest.fixture(scope="module")
def pg():
    cluster = PgCluster()
    yield cluster
    cluster.destroy()


@pytest.fixture(scope="module")
def both(tresor_dev, bao_dev, pg):
    """tresor and OpenBao dev servers, each with `database/` mounted and a connection
    `pg` (every role allowed) and `pg-narrow` (only role `narrow-only`) to the private
    cluster as its bootstrap superuser."""
    servers = {"tresor": tresor_dev, "bao": bao_dev}
    for server in servers.values():
        ok(server, "POST", "sys/mounts/database", {"type": "database"})
        for name, allowed in (("pg", ["*"]), ("pg-narrow", ["narrow-only"])):
            ok(server, "POST", f"database/config/{name}", pg_config(pg, allowed_roles=allowed))
    yield servers
    for server in servers.values():
        revoke_prefix(server, "database/")


def pg_config(pg, **extra) -> dict:
    body = {
        "plugin_name": "postgresql-database-plugin",
        "connection_url": pg.url(),
        "username": pg.superuser,
        "password": pg.password,
        "verify_connection": True,
    }
    body.update(extra)
    return body


def pg_drop(pg, user: str) -> None:
    """Drops a PostgreSQL role if it still exists."""
    pg.query(f'DROP ROLE IF EXISTS "{user}"')


def dynamic_role(server, undo, name: str, db: str = "pg", **fields) -> None:
    body = {"db_name": db, "creation_statements": [PG_CREATE], **fields}
    ok(server, "POST", f"database/roles/{name}", body)
    undo(call, server, "DELETE", f"database/roles/{name}")


def pg_creds(server, pg, undo, role: str) -> dict:
    """New credentials for `role` over HTTP; their lease is revoked and their user dropped
    at the end of the test."""
    doc = ok(server, "GET", f"database/creds/{role}")
    undo(pg_drop, pg, doc["data"]["username"])
    undo(call, server, "PUT", "sys/leases/revoke", {"lease_id": doc["lease_id"]})
    return doc


def valid_until(pg, user: str) -> float:
    row = pg.role(user)
    assert row is not None, f"{user} is not in pg_roles"
    assert row[1] is not None, f"{user} has no VALID UNTIL"
    return row[1].timestamp()


# --------------------------------------------------------------------------------------
# PostgreSQL: connections
# --------------------------------------------------------------------------------------


def test_pg_config_read_never_shows_the_password(both, pg, undo):
    answers = {}
    for name, server in both.items():
        answers[name] = ok(server, "GET", "database/config/pg")
        text = json.dumps(answers[name])
        assert pg.password not in text, (name, answers[name])
        details = answers[name]["data"]["connection_details"]
        assert "password" not in details, (name, details)
        assert details == {"connection_url": pg.url(), "username": pg.superuser}, (name, details)
        # hvac reads the same thing
        assert hvac_client(server).secrets.database.read_connection("pg")["data"] == answers[name]["data"]
    assert envelope(answers["tresor"]) == envelope(answers["bao"])
    assert answers["tresor"]["data"] == answers["bao"]["data"]

    # a literal password in the URL: a warning on write, masked on read
    literal = pg.url(pg.superuser, pg.password)
    for name, server in both.items():
        undo(call, server, "DELETE", "database/config/literal")
        status, doc = call(
            server, "POST", "database/config/literal",
            {"plugin_name": "postgresql-database-plugin", "connection_url": literal, "allowed_roles": ["x"]},
        )
        assert status == 200, (name, doc)
        assert any("Password found in connection_url" in w for w in doc["warnings"]), (name, doc)
        got = ok(server, "GET", "database/config/literal")
        assert pg.password not in json.dumps(got), (name, got)
        assert got["data"]["connection_details"]["connection_url"] == literal.replace(pg.password, "xxxxx")
    ours, ref = (call(s, "GET", "database/config/literal") for s in both.values())
    assert (ours[0], ours[1]["data"]) == (ref[0], ref[1]["data"])

    # LIST config
    ours, ref = (call(s, "LIST", "database/config") for s in both.values())
    assert ours[0] == ref[0] == 200 and envelope(ours[1]) == envelope(ref[1])
    assert sorted(ours[1]["data"]["keys"]) == sorted(ref[1]["data"]["keys"])


def test_pg_config_with_a_wrong_password_is_refused(both, pg):
    body = pg_config(pg, password="not-the-password")
    answers = {name: call(server, "POST", "database/config/wrong", body) for name, server in both.items()}
    for name, (status, doc) in answers.items():
        assert status == 400, (name, doc)
        message = errors(doc)[0]
        assert message.startswith("error creating database object: error verifying connection:"), (name, doc)
        assert "28P01" in message, (name, doc)  # invalid_password
        assert "not-the-password" not in message, (name, doc)
        assert call(both[name], "GET", "database/config/wrong")[0] == 404, name


# --------------------------------------------------------------------------------------
# PostgreSQL: dynamic credentials
# --------------------------------------------------------------------------------------


def test_pg_creds_from_hvac_and_the_bao_cli_log_in(both, pg, undo):
    tresor = both["tresor"]
    dynamic_role(tresor, undo, "app", default_ttl="1h", max_ttl="2h")
    client = hvac_client(tresor)

    issued = time.time()
    by_hvac = client.secrets.database.generate_credentials("app")
    undo(pg_drop, pg, by_hvac["data"]["username"])
    undo(call, tresor, "PUT", "sys/leases/revoke", {"lease_id": by_hvac["lease_id"]})
    r = bao_cli(tresor, "read", "-format=json", "database/creds/app")
    assert r.rc == 0, str(r)
    by_cli = r.json()
    undo(pg_drop, pg, by_cli["data"]["username"])
    undo(call, tresor, "PUT", "sys/leases/revoke", {"lease_id": by_cli["lease_id"]})

    for doc in (by_hvac, by_cli):
        assert set(doc["data"]) == CREDS_KEYS, doc
        assert doc["lease_id"].startswith("database/creds/app/"), doc
        assert doc["lease_duration"] == 3600 and doc["renewable"] is True, doc
        user, password = doc["data"]["username"], doc["data"]["password"]
        assert user.startswith("v-token-app-"), user
        assert pg.can_login(user, password), doc
        assert not pg.can_login(user, password + "x"), "a wrong password logs in"
        # VALID UNTIL is the lease's end plus a few seconds (Vault adds 5)
        assert issued + 3600 <= valid_until(pg, user) <= time.time() + 3600 + 10, doc
    assert by_hvac["data"]["username"] != by_cli["data"]["username"]
    listed = lease_keys(tresor, "database/creds/app/")
    assert {by_hvac["lease_id"].rsplit("/", 1)[1], by_cli["lease_id"].rsplit("/", 1)[1]} <= listed


def test_pg_renew_moves_valid_until_capped_by_max_ttl(both, pg, undo):
    durations = {}
    for name, server in both.items():
        dynamic_role(server, undo, "renewable", default_ttl="60s", max_ttl="120s")
        issued = time.time()
        doc = pg_creds(server, pg, undo, "renewable")
        lease, user = doc["lease_id"], doc["data"]["username"]
        assert doc["lease_duration"] == 60, (name, doc)
        first = valid_until(pg, user)
        assert issued + 60 <= first <= time.time() + 60 + 7, (name, first - issued)

        time.sleep(1.1)
        r = bao_cli(server, "lease", "renew", "-format=json", "-increment=100", lease)
        assert r.rc == 0, (name, str(r))
        assert r.json()["lease_duration"] == 100, (name, r.stdout)
        renewed = valid_until(pg, user)
        assert renewed > first + 30, (name, renewed - first)
        assert abs(renewed - (time.time() + 105)) <= 5, (name, renewed - time.time())

        # beyond max_ttl: capped at the issue time plus 120 s, in the lease and in PostgreSQL
        r = bao_cli(server, "lease", "renew", "-format=json", "-increment=1000", lease)
        assert r.rc == 0, (name, str(r))
        got = r.json()["lease_duration"]
        assert 110 <= got <= 120, (name, r.stdout)
        capped = valid_until(pg, user)
        assert abs(capped - (issued + 125)) <= 5, (name, capped - issued)
        lookup = ok(server, "PUT", "sys/leases/lookup", {"lease_id": lease})["data"]
        assert lookup["last_renewal"] is not None and lookup["ttl"] <= 120, (name, lookup)
        durations[name] = got
    assert abs(durations["tresor"] - durations["bao"]) <= 3, durations


def test_pg_capped_renewal_warns_like_bao(both, pg, undo):
    warnings = {}
    for name, server in both.items():
        dynamic_role(server, undo, "capwarn", default_ttl="60s", max_ttl="120s")
        doc = pg_creds(server, pg, undo, "capwarn")
        status, got = call(server, "PUT", "sys/leases/renew", {"lease_id": doc["lease_id"], "increment": 1000})
        assert status == 200, (name, got)
        warnings[name] = got["warnings"]
    assert warnings["bao"] and "capped accordingly" in warnings["bao"][0], warnings
    assert warnings["tresor"] and "capped accordingly" in warnings["tresor"][0], warnings


def test_pg_revoke_drops_the_role(both, pg, undo):
    for name, server in both.items():
        dynamic_role(server, undo, "revoked", default_ttl="1h")
        doc = pg_creds(server, pg, undo, "revoked")
        user, password = doc["data"]["username"], doc["data"]["password"]
        assert pg.role(user) is not None and pg.can_login(user, password), name
        r = bao_cli(server, "lease", "revoke", doc["lease_id"])
        assert r.rc == 0, (name, str(r))
        # the CLI revokes with sync=false: the reference may finish in the background
        wait_until(lambda: pg.role(user) is None, 15, f"{name}: {user} still in pg_roles after revoke")
        lease_key = doc["lease_id"].rsplit("/", 1)[1]
        wait_until(lambda: lease_key not in lease_keys(server, "database/creds/revoked/"), 5, f"{name}: lease forgotten")
        status, got = call(server, "PUT", "sys/leases/lookup", {"lease_id": doc["lease_id"]})
        assert (status, got) == (400, {"errors": ["invalid lease"]}), (name, status, got)


def test_pg_expiry_drops_the_role(both, pg, undo):
    tresor = both["tresor"]
    dynamic_role(tresor, undo, "expiring", default_ttl="3s", max_ttl="10s")
    asked = time.monotonic()
    doc = pg_creds(tresor, pg, undo, "expiring")
    user = doc["data"]["username"]
    assert doc["lease_duration"] == 3, doc
    assert pg.role(user) is not None
    wait_until(lambda: pg.role(user) is None, 15, f"{user} dropped after its 3 s lease")
    # lease times are whole seconds: the end may come up to 1 s early
    assert time.monotonic() - asked >= 1.9, "dropped well before the lease's end"
    wait_until(lambda: not lease_keys(tresor, "database/creds/expiring/"), 5, "the lease is forgotten")


# --------------------------------------------------------------------------------------
# PostgreSQL: static roles and root rotation
# --------------------------------------------------------------------------------------


def test_pg_static_role_rotation(both, pg, undo):
    tresor = both["tresor"]
    client = hvac_client(tresor).secrets.database
    user = unique("static_app")
    pg.query(f"CREATE ROLE {user} LOGIN PASSWORD 'set-by-the-dba'")
    undo(pg_drop, pg, user)
    client.create_static_role("static-app", db_name="pg", username=user, rotation_statements=[], rotation_period=3600)
    undo(call, tresor, "DELETE", "database/static-roles/static-app")
    # creating the role set a password only tresor knows
    assert not pg.can_login(user, "set-by-the-dba")

    first = client.get_static_credentials("static-app")["data"]
    assert first["username"] == user and 3590 <= first["ttl"] <= 3600, first
    assert pg.can_login(user, first["password"])
    r = bao_cli(tresor, "read", "-format=json", "database/static-creds/static-app")
    assert r.rc == 0 and r.json()["data"]["password"] == first["password"], str(r)

    time.sleep(0.01)
    client.rotate_static_role_credentials("static-app")
    second = client.get_static_credentials("static-app")["data"]
    assert second["password"] != first["password"]
    assert second["last_vault_rotation"] > first["last_vault_rotation"], (first, second)
    assert not pg.can_login(user, first["password"]), "the old password still works after rotate-role"
    assert pg.can_login(user, second["password"])

    r = bao_cli(tresor, "write", "-f", "database/rotate-role/static-app")
    assert r.rc == 0, str(r)
    third = client.get_static_credentials("static-app")["data"]
    assert not pg.can_login(user, second["password"]) and pg.can_login(user, third["password"])


def test_pg_rotate_root_makes_the_old_password_fail(both, pg, undo):
    for name, server in both.items():
        admin, old = unique(f"root_{name}"), "initial-root-password"
        pg.query(f"CREATE ROLE {admin} LOGIN SUPERUSER PASSWORD '{old}'")
        undo(pg_drop, pg, admin)
        undo(call, server, "DELETE", "database/config/rotated")
        ok(server, "POST", "database/config/rotated", pg_config(pg, username=admin, password=old, allowed_roles=["after-rotation"]))
        dynamic_role(server, undo, "after-rotation", db="rotated", default_ttl="1h")

        r = bao_cli(server, "write", "-f", "database/rotate-root/rotated")
        assert r.rc == 0, (name, str(r))
        assert not pg.can_login(admin, old), (name, "the old root password still logs in")
        # only the server knows the new password, and it still works with it
        doc = pg_creds(server, pg, undo, "after-rotation")
        assert pg.can_login(doc["data"]["username"], doc["data"]["password"]), name
        read = ok(server, "GET", "database/config/rotated")
        assert "password" not in read["data"]["connection_details"], (name, read)
        assert old not in json.dumps(read), (name, read)
        ok(server, "POST", "database/reset/rotated")
        ok(server, "PUT", "sys/leases/revoke", {"lease_id": doc["lease_id"]})
        assert pg.role(doc["data"]["username"]) is None, name


# --------------------------------------------------------------------------------------
# side by side: answer shapes and errors
# --------------------------------------------------------------------------------------


def test_pg_answers_match_bao(both, pg, undo):
    user = unique("shape_static")
    pg.query(f"CREATE ROLE {user} LOGIN PASSWORD 'x'")
    undo(pg_drop, pg, user)
    for server in both.values():
        undo(revoke_prefix, server, "database/creds/shape")
        for path in ("roles/shape", "static-roles/shape-static", "roles/narrow-role"):
            undo(call, server, "DELETE", f"database/{path}")
    steps = [
        ("POST", "database/roles/shape", {"db_name": "pg", "creation_statements": [PG_CREATE], "default_ttl": "1h", "max_ttl": "2h"}, None),
        ("GET", "database/roles/shape", None, None),
        ("LIST", "database/roles", None, None),
        ("LIST", "database/roles/", None, None),
        ("GET", "database/creds/shape", None, None),
        ("POST", "database/static-roles/shape-static", {"db_name": "pg", "username": user, "rotation_period": "1h"}, None),
        ("GET", "database/static-roles/shape-static", None, None),
        ("LIST", "database/static-roles", None, None),
        ("GET", "database/static-creds/shape-static", None, None),
        ("POST", "database/rotate-role/shape-static", None, None),
        # errors
        ("GET", "database/creds/no-such-role", None, None),
        ("GET", "database/static-creds/no-such-role", None, None),
        ("GET", "database/roles/no-such-role", None, None),
        ("GET", "database/static-roles/no-such-role", None, None),
        ("GET", "database/config/no-such-connection", None, None),
        ("POST", "database/rotate-role/no-such-role", None, None),
        ("POST", "database/roles/no-db", {"creation_statements": [PG_CREATE]}, None),
        ("POST", "database/static-roles/too-often", {"db_name": "pg", "username": user, "rotation_period": "2s"}, None),
        ("POST", "database/static-roles/shape", {"db_name": "pg", "username": user, "rotation_period": "1h"}, None),
        ("POST", "database/static-roles/no-user", {"db_name": "pg", "rotation_period": "1h"}, None),
        ("POST", "database/config/no-plugin", {"connection_url": pg.url()}, None),
        ("POST", "database/roles/narrow-role", {"db_name": "pg-narrow", "creation_statements": [PG_CREATE]}, None),
    ]
    compare_scenario(both["tresor"], both["bao"], steps, mount="database")

    for name, server in both.items():
        doc = ok(server, "GET", "database/creds/shape")
        assert set(doc["data"]) == CREDS_KEYS and LEASE_FIELDS <= set(doc), (name, doc)
        assert doc["lease_id"].startswith("database/creds/shape/"), (name, doc)
        assert doc["lease_duration"] == 3600 and doc["renewable"] is True, (name, doc)
        doc = ok(server, "GET", "database/static-creds/shape-static")
        assert set(doc["data"]) == {"username", "password", "ttl", "last_vault_rotation", "rotation_period"}, (name, doc)
        assert (doc["lease_id"], doc["lease_duration"], doc["renewable"]) == ("", 0, False), (name, doc)
        assert call(server, "GET", "database/creds/no-such-role") == (400, {"errors": ["unknown role: no-such-role"]}), name


def test_pg_documented_400s_where_bao_answers_500(both, pg, undo):
    """A role the connection does not allow, a missing connection: the same message,
    400 in tresor (documented in crates/tresor-database/src/lib.rs), 500 in OpenBao."""
    for server in both.values():
        dynamic_role(server, undo, "not-allowed", db="pg-narrow")
        dynamic_role(server, undo, "lost-connection", db="no-such-connection")
    cases = [
        ("GET", "database/creds/not-allowed", '"not-allowed" is not an allowed role'),
        ("GET", "database/creds/lost-connection", 'failed to find entry for connection with name: "no-such-connection"'),
        ("POST", "database/reset/no-such-connection", 'failed to find entry for connection with name: "no-such-connection"'),
        ("POST", "database/rotate-root/no-such-connection", 'failed to find entry for connection with name: "no-such-connection"'),
    ]
    for method, path, message in cases:
        assert call(both["tresor"], method, path) == (400, {"errors": [message]}), path
        assert call(both["bao"], method, path) == (500, {"errors": [vault_500(message)]}), path
    assert not lease_keys(both["tresor"], "database/creds/not-allowed/")


def test_pg_static_role_outside_allowed_roles_is_refused(both, pg, undo):
    answers = {}
    for name, server in both.items():
        user = unique(f"victim_{name}")
        pg.query(f"CREATE ROLE {user} LOGIN PASSWORD 'owned-by-someone-else'")
        undo(pg_drop, pg, user)
        undo(call, server, "DELETE", "database/static-roles/sneaky")
        answers[name] = call(
            server, "POST", "database/static-roles/sneaky",
            {"db_name": "pg-narrow", "username": user, "rotation_period": "1h"},
        )
        answers[name + " password kept"] = pg.can_login(user, "owned-by-someone-else")
    message = '"sneaky" is not an allowed role'
    assert answers["bao"] == (500, {"errors": [vault_500(message)]}), answers
    assert answers["bao password kept"], answers
    assert answers["tresor"] == (400, {"errors": [message]}), answers
    assert answers["tresor password kept"], answers


# --------------------------------------------------------------------------------------
# revocation failures and crashes
# --------------------------------------------------------------------------------------


def test_failed_revocation_keeps_the_lease_until_it_succeeds(both, pg, undo):
    tresor = both["tresor"]
    dynamic_role(tresor, undo, "outage", default_ttl="1h")
    doc = pg_creds(tresor, pg, undo, "outage")
    lease, user = doc["lease_id"], doc["data"]["username"]
    key = lease.rsplit("/", 1)[1]
    undo(pg.start_if_stopped)
    pg.stop()
    status, got = call(tresor, "PUT", "sys/leases/revoke", {"lease_id": lease})
    assert status == 400 and errors(got)[0].startswith("failed to revoke the user:"), (status, got)
    assert pg.password not in json.dumps(got)
    # The CLI revokes in the background (sync=false): queued, and retried later.
    r = bao_cli(tresor, "lease", "revoke", lease)
    assert r.rc == 0 and "queued" in r.stdout, str(r)
    r = bao_cli(tresor, "lease", "revoke", "-sync", lease)
    assert r.rc != 0, str(r)
    assert key in lease_keys(tresor, "database/creds/outage/"), "a lease whose revocation failed is gone"
    status, info = call(tresor, "PUT", "sys/leases/lookup", {"lease_id": lease})
    assert status == 200 and info["data"]["id"] == lease, info

    pg.start()
    assert pg.role(user) is not None
    r = bao_cli(tresor, "lease", "revoke", lease)
    assert r.rc == 0, str(r)
    assert pg.role(user) is None, "the role survived the successful revocation"
    assert key not in lease_keys(tresor, "database/creds/outage/")


def test_async_revoke_during_an_outage_answers_202(both, pg, undo):
    answers = {}
    undo(pg.start_if_stopped)
    for name, server in both.items():
        dynamic_role(server, undo, "async-outage", default_ttl="1h")
        doc = pg_creds(server, pg, undo, "async-outage")
        pg.stop()
        answers[name] = call(server, "PUT", "sys/leases/revoke", {"lease_id": doc["lease_id"], "sync": False})
        answers[name + " listed"] = doc["lease_id"].rsplit("/", 1)[1] in lease_keys(server, "database/creds/async-outage/")
        pg.start()
    assert answers["bao"] == (202, None) and answers["bao listed"], answers
    assert answers["tresor"] == (202, None) and answers["tresor listed"], answers


def test_lease_survives_kill9_and_is_revoked_at_expiry(servers, pg, undo):
    first = servers.tresor(storage="file", name="tresor-crash")
    init = init_unseal(first)
    key, root = init["keys"][0], init["root_token"]

    def do(server, method, path, body=None, expect=(200, 204)):
        status, doc = call(server, method, path, body, token=root)
        assert status in expect, (method, path, status, doc)
        return doc

    do(first, "POST", "sys/mounts/database", {"type": "database"})
    do(first, "POST", "database/config/pg", pg_config(pg, allowed_roles=["crash"]))
    do(first, "POST", "database/roles/crash", {"db_name": "pg", "creation_statements": [PG_CREATE], "default_ttl": "8s", "max_ttl": "1m"})
    issued = time.monotonic()
    doc = do(first, "GET", "database/creds/crash")
    user = doc["data"]["username"]
    undo(pg_drop, pg, user)
    first.stop(signal.SIGKILL)
    assert pg.role(user) is not None

    second = servers.tresor(storage="file", name="tresor-crash", workdir=first.workdir, port=first.port)
    unseal(second, [key])
    status, listed = call(second, "LIST", "sys/leases/lookup/database/creds/crash/", token=root)
    assert status == 200 and listed["data"]["keys"] == [doc["lease_id"].rsplit("/", 1)[1]], listed
    assert pg.role(user) is not None, "revoked before its expiry"
    assert pg.can_login(user, doc["data"]["password"])

    wait_until(lambda: pg.role(user) is None, 25, f"{user} dropped at the expiry of its lease")
    assert time.monotonic() - issued >= 7, "dropped before the lease's end"
    wait_until(
        lambda: call(second, "LIST", "sys/leases/lookup/database/creds/crash/", token=root)[0] == 404,
        5, "the expired lease is forgotten",
    )


# --------------------------------------------------------------------------------------
# MariaDB
# --------------------------------------------------------------------------------------


def mysql_connect(user: str = "root", password: str = "") -> pymysql.connections.Connection:
    return pymysql.connect(user=user, password=password, connect_timeout=10, autocommit=True, **MYSQL)


def mysql_query(sql: str, *args):
    conn = mysql_connect()
    try:
        with conn.cursor() as cur:
            cur.execute(sql, args or None)
            return cur.fetchall()
    finally:
        conn.close()


def mysql_exists(user: str) -> bool:
    return bool(mysql_query("SELECT 1 FROM mysql.user WHERE User = %s", user))


def mysql_can_login(user: str, password: str) -> bool:
    try:
        conn = mysql_connect(user, password)
    except pymysql.err.OperationalError as e:
        if e.args[0] in (1045, 1698):  # access denied (a wrong password, an unknown user)
            return False
        raise
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1")
            return cur.fetchone() == (1,)
    finally:
        conn.close()


def mysql_drop(user: str) -> None:
    for (host,) in mysql_query("SELECT Host FROM mysql.user WHERE User = %s", user):
        mysql_query("DROP USER %s@%s", user, host)


@pytest.fixture(scope="module")
def mysql_admin():
    """A MariaDB administrator with a password, for the engines' connections."""
    user, password = unique("tresor_e2e_admin"), uuid.uuid4().hex
    mysql_query(f"CREATE USER '{user}'@'%%' IDENTIFIED BY %s", password)
    mysql_query(f"GRANT ALL PRIVILEGES ON *.* TO '{user}'@'%' WITH GRANT OPTION")
    yield user, password
    mysql_drop(user)


@pytest.fixture(scope="module")
def mysql_both(both, mysql_admin):
    user, password = mysql_admin
    for server in both.values():
        ok(server, "POST", "database/config/mariadb", {
            "plugin_name": "mysql-database-plugin",
            "connection_url": "{{username}}:{{password}}@tcp(127.0.0.1:3306)/",
            "username": user, "password": password, "allowed_roles": "*",
        })
    yield both
    for server in both.values():
        revoke_prefix(server, "database/creds/mysql-app/")
        call(server, "DELETE", "database/config/mariadb")


def test_mysql_creds_log_in_and_revoke_drops_the_user(mysql_both, mysql_admin, undo):
    answers = {}
    for name, server in mysql_both.items():
        ok(server, "POST", "database/roles/mysql-app", {"db_name": "mariadb", "creation_statements": MYSQL_CREATE, "default_ttl": "1h"})
        undo(call, server, "DELETE", "database/roles/mysql-app")
        doc = hvac_client(server).secrets.database.generate_credentials("mysql-app")
        user, password = doc["data"]["username"], doc["data"]["password"]
        undo(mysql_drop, user)
        undo(call, server, "PUT", "sys/leases/revoke", {"lease_id": doc["lease_id"]})
        answers[name] = doc
        assert len(user) <= 32 and user.startswith("v-token-mysql-ap"), (name, user)
        assert mysql_exists(user), name
        assert mysql_can_login(user, password), name
        assert not mysql_can_login(user, password + "x"), name
        conn = mysql_connect(user, password)
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT COUNT(*) FROM mysql.user")  # the grant: SELECT ON *.*
                assert cur.fetchone()[0] >= 1
                with pytest.raises(pymysql.err.OperationalError):
                    cur.execute(f"CREATE USER 'x_{uuid.uuid4().hex[:6]}'@'%'")
        finally:
            conn.close()
        r = bao_cli(server, "lease", "revoke", doc["lease_id"])
        assert r.rc == 0, (name, str(r))
        wait_until(lambda: not mysql_exists(user), 15, f"{name}: {user} still in mysql.user after revoke")
        assert not mysql_can_login(user, password), name
    assert envelope(answers["tresor"]) == envelope(answers["bao"])
    assert set(answers["tresor"]) - {"request_id"} == set(answers["bao"]) - {"request_id"}


def test_mysql_static_role_rotation(mysql_both, undo):
    tresor = mysql_both["tresor"]
    user = unique("static_my")
    mysql_query(f"CREATE USER '{user}'@'%' IDENTIFIED BY 'set-by-the-dba'")
    undo(mysql_drop, user)
    ok(tresor, "POST", "database/static-roles/mysql-static", {"db_name": "mariadb", "username": user, "rotation_period": "1h"})
    undo(call, tresor, "DELETE", "database/static-roles/mysql-static")
    assert not mysql_can_login(user, "set-by-the-dba"), "creating the static role kept the old password"
    first = ok(tresor, "GET", "database/static-creds/mysql-static")["data"]
    assert first["username"] == user and mysql_can_login(user, first["password"]), first
    ok(tresor, "POST", "database/rotate-role/mysql-static")
    second = ok(tresor, "GET", "database/static-creds/mysql-static")["data"]
    assert second["password"] != first["password"]
    assert not mysql_can_login(user, first["password"]), "the old password still works after rotate-role"
    assert mysql_can_login(user, second["password"])


# --------------------------------------------------------------------------------------
# Redis
# --------------------------------------------------------------------------------------


def redis_client(username: str | None = None, password: str | None = None) -> redis.Redis:
    """A client that does not retry (redis-py retries a refused AUTH for seconds)."""
    return redis.Redis(
        username=username, password=password, socket_timeout=10, retry=Retry(NoBackoff(), 0), **REDIS
    )


def redis_admin_client() -> redis.Redis:
    return redis_client()


def redis_users() -> set[str]:
    return {u.decode() if isinstance(u, bytes) else u for u in redis_admin_client().acl_users()}


@pytest.fixture(scope="module")
def redis_admin():
    """A Redis ACL user with every permission and a password, for the engines."""
    user, password = unique("tresor_e2e_admin"), uuid.uuid4().hex
    r = redis_admin_client()
    r.acl_setuser(user, enabled=True, passwords=[f"+{password}"], keys=["*"], channels=["*"], commands=["+@all"])
    yield user, password
    r.acl_deluser(user)
    r.delete("app:x")


@pytest.fixture(scope="module")
def redis_both(both, redis_admin):
    user, password = redis_admin
    for server in both.values():
        ok(server, "POST", "database/config/redis", {
            "plugin_name": "redis-database-plugin", "host": REDIS["host"], "port": REDIS["port"],
            "username": user, "password": password, "allowed_roles": "*",
        })
    yield both
    for server in both.values():
        revoke_prefix(server, "database/creds/redis-app/")
        call(server, "DELETE", "database/config/redis")


def redis_acl_drop(user: str) -> None:
    redis_admin_client().acl_deluser(user)


def test_redis_creds_follow_the_role_rules_and_revoke_removes_the_user(redis_both, undo):
    redis_admin_client().set("app:x", "hello")
    answers = {}
    for name, server in redis_both.items():
        ok(server, "POST", "database/roles/redis-app", {"db_name": "redis", "creation_statements": REDIS_RULES, "default_ttl": "1h"})
        undo(call, server, "DELETE", "database/roles/redis-app")
        role = ok(server, "GET", "database/roles/redis-app")
        assert role["data"]["creation_statements"] == [REDIS_RULES], (name, role)
        doc = ok(server, "GET", "database/creds/redis-app")
        user, password = doc["data"]["username"], doc["data"]["password"]
        undo(redis_acl_drop, user)
        undo(call, server, "PUT", "sys/leases/revoke", {"lease_id": doc["lease_id"]})
        answers[name] = doc
        assert user.startswith("V_TOKEN_REDIS-APP_"), (name, user)
        assert user in redis_users(), name
        acl = [line for line in redis_admin_client().acl_list() if f"user {user} " in line]
        assert len(acl) == 1 and "~app:*" in acl[0] and "+get" in acl[0], (name, acl)

        client = redis_client(user, password)
        assert client.get("app:x") == b"hello", name
        with pytest.raises(redis.exceptions.NoPermissionError):
            client.set("app:x", "changed")
        with pytest.raises(redis.exceptions.NoPermissionError):
            client.get("other:x")
        with pytest.raises(redis.exceptions.AuthenticationError):
            redis_client(user, password + "x").ping()
        client.close()

        r = bao_cli(server, "lease", "revoke", doc["lease_id"])
        assert r.rc == 0, (name, str(r))
        assert user not in redis_users(), (name, "still in ACL LIST after revoke")
        assert not any(f"user {user} " in line for line in redis_admin_client().acl_list()), name
        with pytest.raises(redis.exceptions.AuthenticationError):
            redis_client(user, password).ping()
    assert envelope(answers["tresor"]) == envelope(answers["bao"])
    assert redis_admin_client().get("app:x") == b"hello"


def test_redis_static_role_rotation(redis_both, undo):
    tresor = redis_both["tresor"]
    user = unique("static_rd")
    redis_admin_client().acl_setuser(user, enabled=True, passwords=["+set-by-the-admin"], keys=["app:*"], commands=["+get"])
    undo(redis_acl_drop, user)
    ok(tresor, "POST", "database/static-roles/redis-static", {"db_name": "redis", "username": user, "rotation_period": "1h"})
    undo(call, tresor, "DELETE", "database/static-roles/redis-static")

    def can_auth(password):
        try:
            # the user may run GET on app:* only (not even PING)
            redis_client(user, password).get("app:x")
            return True
        except redis.exceptions.AuthenticationError:
            return False

    assert not can_auth("set-by-the-admin")
    first = ok(tresor, "GET", "database/static-creds/redis-static")["data"]
    assert can_auth(first["password"])
    ok(tresor, "POST", "database/rotate-role/redis-static")
    second = ok(tresor, "GET", "database/static-creds/redis-static")["data"]
    assert not can_auth(first["password"]) and can_auth(second["password"])


def test_redis_config_without_username_is_refused(redis_both, undo):
    body = {"plugin_name": "redis-database-plugin", "host": REDIS["host"], "port": REDIS["port"], "allowed_roles": "*"}
    answers = {}
    for name, server in redis_both.items():
        undo(call, server, "DELETE", "database/config/redis-anonymous")
        answers[name] = call(server, "POST", "database/config/redis-anonymous", body)
    expected = (400, {"errors": ["error creating database object: username cannot be empty"]})
    assert answers["bao"] == expected, answers
    assert answers["tresor"] == expected, answers
