"""The RabbitMQ secrets engine (`rabbitmq/`) end to end, against this machine's RabbitMQ
(AMQP on 5672, management API on 15672, guest/guest), side by side with `bao server -dev`:
the answers' shapes, users that really exist with their tags and permissions, log in to
the management API and over AMQP, and are deleted when their lease is revoked or expires.

Every test revokes its leases on both servers and deletes any user it left behind.
"""

from __future__ import annotations

import time

import hvac
import pytest
import requests

from conftest import BAO_BIN, call, compare_scenario, envelope, ok, run_cli, wait_until

try:  # the AMQP client (tests/e2e/requirements.txt)
    import pika

    MISSING_CLIENT = None
except ImportError as e:  # a venv made before it was listed: fail the tests, not the run
    MISSING_CLIENT = e

MANAGEMENT = "http://127.0.0.1:15672"
ADMIN = ("guest", "guest")
CONNECTION = {"connection_uri": MANAGEMENT, "username": ADMIN[0], "password": ADMIN[1]}
VHOSTS = '{"/": {"configure": ".*", "write": ".*", "read": ".*"}}'
VHOST_TOPICS = '{"/": {"amq.topic": {"write": "app\\\\..*", "read": ".*"}}}'
TAGS = "management,monitoring"


def session() -> requests.Session:
    s = requests.Session()
    s.trust_env = False
    return s


def management(method: str, path: str, auth=ADMIN) -> requests.Response:
    return session().request(method, f"{MANAGEMENT}/api/{path}", auth=auth, timeout=15)


def user_exists(user: str) -> bool:
    return any(u["name"] == user for u in management("GET", "users").json())


def delete_user(user: str) -> None:
    r = management("DELETE", f"users/{requests.utils.quote(user, safe='')}")
    assert r.status_code in (204, 404), (r.status_code, r.text)


def amqp_login(user: str, password: str) -> bool:
    """Whether an AMQP connection to vhost `/` opens with these credentials."""
    params = pika.ConnectionParameters(
        "127.0.0.1", 5672, "/", pika.PlainCredentials(user, password),
        connection_attempts=1, socket_timeout=10, blocked_connection_timeout=10,
    )
    try:
        conn = pika.BlockingConnection(params)
    except pika.exceptions.ProbableAuthenticationError:
        return False
    except pika.exceptions.AMQPConnectionError as e:
        if "ACCESS_REFUSED" in repr(e):
            return False
        raise
    try:
        channel = conn.channel()
        channel.basic_publish(exchange="amq.topic", routing_key="app.hello", body=b"hi")
        return conn.is_open
    finally:
        conn.close()


@pytest.fixture(scope="module", autouse=True)
def amqp_client():
    if MISSING_CLIENT is not None:
        pytest.fail(
            f"{MISSING_CLIENT}: run .venv/bin/pip install -r tests/e2e/requirements.txt", pytrace=False
        )


@pytest.fixture(scope="module")
def both(tresor_dev, bao_dev):
    servers = {"tresor": tresor_dev, "bao": bao_dev}
    for server in servers.values():
        ok(server, "POST", "sys/mounts/rabbitmq", {"type": "rabbitmq"})
        ok(server, "POST", "rabbitmq/config/connection", CONNECTION)
    yield servers
    for server in servers.values():
        call(server, "PUT", "sys/leases/revoke-prefix/rabbitmq/", {})


def role(server, undo, name: str, **body) -> None:
    ok(server, "POST", f"rabbitmq/roles/{name}", body)
    undo(call, server, "DELETE", f"rabbitmq/roles/{name}")


def creds(server, undo, name: str) -> dict:
    doc = ok(server, "GET", f"rabbitmq/creds/{name}")
    undo(delete_user, doc["data"]["username"])
    undo(call, server, "PUT", "sys/leases/revoke", {"lease_id": doc["lease_id"]})
    return doc


def lease_config(server, undo, ttl, max_ttl) -> None:
    ok(server, "POST", "rabbitmq/config/lease", {"ttl": ttl, "max_ttl": max_ttl})
    # config/lease cannot be deleted (405): back to "no lease settings"
    undo(ok, server, "POST", "rabbitmq/config/lease", {"ttl": 0, "max_ttl": 0})


def test_answers_match_bao(both, undo):
    for server in both.values():
        undo(call, server, "PUT", "sys/leases/revoke-prefix/rabbitmq/creds/shape", {})
        for name in ("shape", "topics-only", "bad-json", "nothing"):
            undo(call, server, "DELETE", f"rabbitmq/roles/{name}")
        undo(ok, server, "POST", "rabbitmq/config/lease", {"ttl": 0, "max_ttl": 0})
    steps = [
        ("POST", "rabbitmq/config/connection", CONNECTION, None),
        ("GET", "rabbitmq/config/connection", None, None),
        ("POST", "rabbitmq/config/lease", {"ttl": "1h", "max_ttl": "2h"}, None),
        ("GET", "rabbitmq/config/lease", None, None),
        ("DELETE", "rabbitmq/config/lease", None, None),
        ("POST", "rabbitmq/roles/shape", {"vhosts": VHOSTS, "tags": TAGS}, None),
        ("GET", "rabbitmq/roles/shape", None, None),
        ("POST", "rabbitmq/roles/topics-only", {"vhost_topics": VHOST_TOPICS}, None),
        ("GET", "rabbitmq/roles/topics-only", None, None),
        ("LIST", "rabbitmq/roles", None, None),
        ("LIST", "rabbitmq/roles/", None, None),
        ("GET", "rabbitmq/creds/shape", None, None),
        # errors
        ("GET", "rabbitmq/roles/no-such-role", None, None),
        ("GET", "rabbitmq/creds/no-such-role", None, None),
        ("POST", "rabbitmq/roles/bad-json", {"vhosts": "not json"}, None),
        ("POST", "rabbitmq/roles/nothing", {}, None),
        ("POST", "rabbitmq/config/connection", {"connection_uri": MANAGEMENT}, None),
        ("POST", "rabbitmq/config/connection", {"connection_uri": MANAGEMENT, "username": "guest"}, None),
        ("DELETE", "rabbitmq/roles/topics-only", None, None),
        ("GET", "rabbitmq/roles/topics-only", None, None),
    ]
    compare_scenario(both["tresor"], both["bao"], steps, mount="rabbitmq")
    for name, server in both.items():
        doc = ok(server, "GET", "rabbitmq/creds/shape")
        undo(delete_user, doc["data"]["username"])
        assert set(doc["data"]) == {"username", "password"}, (name, doc)
        assert doc["lease_id"].startswith("rabbitmq/creds/shape/") and doc["renewable"] is True, (name, doc)
        assert doc["lease_duration"] == 3600, (name, doc)  # config/lease ttl
        got = ok(server, "GET", "rabbitmq/roles/shape")["data"]
        assert got == {"tags": TAGS, "vhost_topics": {}, "vhosts": {"/": {"configure": ".*", "read": ".*", "write": ".*"}}}, (name, got)
        assert call(server, "GET", "rabbitmq/creds/no-such-role") == (400, {"errors": ["unknown role: no-such-role"]}), name


def test_creds_are_a_real_user_that_revocation_deletes(both, undo):
    answers = {}
    for name, server in both.items():
        session_ = session()
        client = hvac.Client(url=server.addr, token="root", timeout=15, session=session_)
        role(server, undo, "app", vhosts=VHOSTS, vhost_topics=VHOST_TOPICS, tags=TAGS)
        doc = client.secrets.rabbitmq.generate_credentials("app")
        user, password = doc["data"]["username"], doc["data"]["password"]
        undo(delete_user, user)
        undo(call, server, "PUT", "sys/leases/revoke", {"lease_id": doc["lease_id"]})
        answers[name] = doc
        assert user.startswith("token-"), (name, user)

        listed = [u for u in management("GET", "users").json() if u["name"] == user]
        assert len(listed) == 1 and sorted(listed[0]["tags"]) == ["management", "monitoring"], (name, listed)
        quoted = requests.utils.quote(user, safe="")
        perms = management("GET", f"users/{quoted}/permissions").json()
        assert [(p["vhost"], p["configure"], p["write"], p["read"]) for p in perms] == [("/", ".*", ".*", ".*")], (name, perms)
        topics = management("GET", f"users/{quoted}/topic-permissions").json()
        assert [(t["vhost"], t["exchange"], t["write"], t["read"]) for t in topics] == [("/", "amq.topic", "app\\..*", ".*")], (name, topics)

        who = management("GET", "whoami", auth=(user, password))
        assert who.status_code == 200 and who.json()["name"] == user, (name, who.text)
        assert management("GET", "whoami", auth=(user, password + "x")).status_code == 401, name
        assert amqp_login(user, password), name

        r = run_cli([BAO_BIN, "lease", "renew", "-format=json", "-increment=600", doc["lease_id"]], server.env("root"))
        assert r.rc == 0 and r.json()["lease_duration"] == 600, (name, str(r))
        r = run_cli([BAO_BIN, "lease", "revoke", doc["lease_id"]], server.env("root"))
        assert r.rc == 0, (name, str(r))
        if name == "tresor":  # revocation is synchronous: the user is gone when it answers
            assert not user_exists(user), (name, "still in GET /api/users after revoke")
        else:  # the reference may finish the revocation in the background
            wait_until(lambda: not user_exists(user), 15, f"bao: {user} deleted after revoke")
        assert management("GET", "whoami", auth=(user, password)).status_code == 401, name
        assert not amqp_login(user, password), name
    assert envelope(answers["tresor"]) == envelope(answers["bao"])


def test_lease_config_bounds_ttl_and_renewal(both, undo):
    answers = {}
    for name, server in both.items():
        lease_config(server, undo, "30s", "60s")
        role(server, undo, "bounded", vhosts=VHOSTS)
        doc = creds(server, undo, "bounded")
        assert doc["lease_duration"] == 30, (name, doc)
        status, renewed = call(server, "PUT", "sys/leases/renew", {"lease_id": doc["lease_id"], "increment": 600})
        assert status == 200 and 55 <= renewed["lease_duration"] <= 60, (name, renewed)
        assert renewed["warnings"] and "capped accordingly" in renewed["warnings"][0], (name, renewed)
        answers[name] = renewed
        status, again = call(server, "PUT", "sys/leases/renew", {"lease_id": doc["lease_id"]})
        assert status == 200 and again["lease_duration"] == 30, (name, again)
    assert envelope(answers["tresor"]) == envelope(answers["bao"])


def test_expiry_deletes_the_user(both, undo):
    tresor = both["tresor"]
    lease_config(tresor, undo, "3s", "10s")
    role(tresor, undo, "expiring", tags="monitoring")
    asked = time.monotonic()
    doc = creds(tresor, undo, "expiring")
    user = doc["data"]["username"]
    assert doc["lease_duration"] == 3 and user_exists(user), doc
    wait_until(lambda: not user_exists(user), 15, f"{user} deleted after its 3 s lease")
    # lease times are whole seconds: the end may come up to 1 s early
    assert time.monotonic() - asked >= 1.9, "deleted well before the lease's end"
    status, _ = call(tresor, "LIST", "sys/leases/lookup/rabbitmq/creds/expiring/")
    assert status == 404


def test_unverifiable_connection_is_a_400_where_bao_says_500(both, undo):
    """A connection that fails verification is the caller's input: 400 (documented in
    docs/compatibility.md), where OpenBao answers 500."""
    statuses = {}
    for name, server in both.items():
        undo(ok, server, "POST", "rabbitmq/config/connection", CONNECTION)
        for label, body in (
            ("wrong password", {**CONNECTION, "password": "wrong"}),
            ("unreachable", {**CONNECTION, "connection_uri": "http://127.0.0.1:1"}),
        ):
            status, doc = call(server, "POST", "rabbitmq/config/connection", body)
            assert doc["errors"][0].count("failed to validate the connection") == 1, (name, doc)
            statuses[(name, label)] = status
    assert statuses[("bao", "wrong password")] == statuses[("bao", "unreachable")] == 500, statuses
    assert statuses[("tresor", "wrong password")] == statuses[("tresor", "unreachable")] == 400, statuses
