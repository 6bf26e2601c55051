"""Secrets never leave through logs or error bodies: a marker value is written through
every kind of endpoint and failure path, then the server's log (at trace level) and every
answer that was not meant to return it are searched for it."""
from __future__ import annotations

import json

from conftest import call

CANARY = "canary-7f3a9c-do-not-log"


def test_canary_never_reaches_logs_or_errors(servers):
    srv = servers.tresor_dev(name="canary", extra_args=["-log-level=trace"])
    bodies = []

    def req(method, path, body=None, token="root", headers=None):
        status, doc = call(srv, method, path, body, headers, token=token)
        bodies.append((method, path, status, json.dumps(doc) if doc is not None else ""))
        return status, doc

    # Legitimate writes carrying the canary.
    req("POST", "secret/data/canary", {"data": {"password": CANARY}})
    req("POST", "cubbyhole/canary", {"password": CANARY})
    req("POST", "sys/mounts/canary-kv1", {"type": "kv"})
    req("POST", "canary-kv1/app", {"password": CANARY})
    req("PUT", "sys/policy/canary", {"policy": f'path "secret/{CANARY}" {{ capabilities = ["read"] }}'})
    _, made = req("POST", "auth/token/create", {"policies": ["default"], "meta": {"m": CANARY}})
    child = made["auth"]["client_token"]
    # Failure paths carrying the canary in the request.
    req("POST", "secret/data/canary", {"data": CANARY})
    req("POST", "secret/data/canary", {"data": {"password": CANARY}, "options": {"cas": 99}})
    req("POST", "sys/mounts/canary-x", {"type": CANARY})
    req("PUT", "sys/policy/bad", {"policy": f"{CANARY} {{"})
    req("POST", "sys/tools/hash", {"input": CANARY})
    req("POST", "auth/token/lookup", {"token": CANARY})
    req("POST", "sys/wrapping/unwrap", {"token": CANARY})
    req("PUT", "sys/unseal", {"key": CANARY})
    req("GET", "secret/data/canary", token=CANARY)
    req("GET", "secret/data/canary", token=child)
    req("POST", "secret/data/x", f'{{"data": {{"password": "{CANARY}"', headers={"Content-Type": "application/json"})
    req("POST", "secret/data/x", "[" * 300 + f'"{CANARY}"' + "]" * 300)
    # Reads that are meant to return it do; nothing else does.
    meant = {("GET", "secret/data/canary", 200), ("GET", "canary-kv1/app", 200), ("GET", "cubbyhole/canary", 200),
             ("GET", "sys/policy/canary", 200),
             # Token metadata is echoed back to its creator, as in Vault.
             ("POST", "auth/token/create", 200),
             # A mount type is a name, not a secret: the error names the missing plugin.
             ("POST", "sys/mounts/canary-x", 400)}
    req("GET", "secret/data/canary")
    req("GET", "canary-kv1/app")
    req("GET", "cubbyhole/canary")
    req("GET", "sys/policy/canary")
    leaks = [b for b in bodies if CANARY in b[3] and (b[0], b[1], b[2]) not in meant]
    assert not leaks, leaks
    srv.stop()
    log = srv.stderr() + srv.stdout()
    assert CANARY not in log
    assert child not in log
