"""Audit devices: what reaches the audit log, and what does not.

* The canary sequence of test_canary.py (plus userpass and approle flows, response
  wrapping and logins) runs against a tresor dev server with a file audit device declared
  in its configuration: the canary and every token issued on the way are HMAC'd in the
  audit log, and the HMACs are the ones `sys/audit-hash/<device>` computes.
* The audit file is created 0600, never executable, also under umask 0.
* Fail closed: with only a socket device, requests are refused while the collector is down
  and served again once it is back, without restarting the server.
* Compatibility with OpenBao: the bao CLI and hvac manage audit devices on tresor, and the
  JSON shape of `sys/audit`, `sys/audit-hash` and of an audit entry match a reference
  `bao server -dev` started with the same kind of configuration.

The reference runs show that OpenBao itself writes token metadata (`auth.metadata`,
`response.auth.metadata`) in clear -- Vault documents this for approle secret-id
metadata ("logged in audit logs in plaintext") -- so the canary is allowed there, and only
there, in both servers.
"""
from __future__ import annotations

import json
import os
import socket
import stat
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import hvac
from conftest import (
    BAO_BIN,
    LOOPBACK,
    TRESOR_BIN,
    call,
    clean_env,
    free_port,
    free_port_pair,
    run_cli,
    shape,
)
from test_canary import CANARY

HMAC_PREFIX = "hmac-sha256:"


# --------------------------------------------------------------------------------------
# Servers with an audit configuration
# --------------------------------------------------------------------------------------


def private_dir(base: Path, name: str) -> Path:
    """A directory only the owner may write (file devices refuse world-writable ones)."""
    d = base / name
    d.mkdir(parents=True, exist_ok=True)
    d.chmod(0o700)
    return d


def file_device_hcl(path: str, log_file: Path, description: str = "e2e", allow_api: bool = False,
                    extra_options: str = "") -> str:
    out = "unsafe_allow_api_audit_creation = true\n" if allow_api else ""
    return out + (
        f'audit "file" "{path}" {{\n'
        f'  description = "{description}"\n'
        f'  options {{\n    file_path = "{log_file}"\n{extra_options}  }}\n'
        f'}}\n'
    )


def tresor_with_config(servers, name: str, hcl: str, root_token: str = "root",
                       extra_args: tuple[str, ...] = (), umask0: bool = False):
    """`tresor server -dev -config=<hcl>`; with `umask0` the process runs under umask 0
    (conftest's `umask0` exists only for non-dev servers, so the dev argv is built here)."""
    cfg = private_dir(servers.base, "configs") / f"{name}-{uuid.uuid4().hex[:6]}.hcl"
    cfg.write_text(hcl)
    args = [f"-config={cfg}", *extra_args]
    if not umask0:
        return servers.tresor_dev(root_token=root_token, name=name, extra_args=args)
    port = free_port()
    d = servers._dir(name)
    argv = [TRESOR_BIN, "server", "-dev", f"-dev-listen-address={LOOPBACK}:{port}",
            f"-dev-root-token-id={root_token}", *args]
    return servers._start(name, argv, d, port, clean_env(d / "home"), preexec_fn=lambda: os.umask(0))


def bao_with_config(servers, name: str, hcl: str, root_token: str = "root"):
    """A reference `bao server -dev -config=<hcl>`."""
    cfg = private_dir(servers.base, "configs") / f"{name}-{uuid.uuid4().hex[:6]}.hcl"
    cfg.write_text(hcl)
    port = free_port_pair()
    d = servers._dir(name)
    argv = [BAO_BIN, "server", "-dev", f"-dev-root-token-id={root_token}",
            f"-dev-listen-address={LOOPBACK}:{port}", f"-config={cfg}"]
    return servers._start(name, argv, d, port, clean_env(d / "home"))


def read_entries(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def audit_hash(srv, device: str, value: str, token: str) -> str:
    status, doc = call(srv, "PUT", f"sys/audit-hash/{device}", {"input": value}, token=token)
    assert status == 200, (status, doc)
    assert doc["hash"].startswith(HMAC_PREFIX), doc
    return doc["hash"]


def plaintext_fields(entry, needle: str, prefix: str = "") -> list[str]:
    """Dotted paths of the string values of `entry` that contain `needle` (keys included)."""
    out = []
    if isinstance(entry, dict):
        for k, v in entry.items():
            here = f"{prefix}.{k}" if prefix else k
            if needle in k:
                out.append(here + " (key)")
            out += plaintext_fields(v, needle, here)
    elif isinstance(entry, list):
        for v in entry:
            out += plaintext_fields(v, needle, prefix + "[]")
    elif isinstance(entry, str) and needle in entry:
        out.append(prefix)
    return out


def is_token_metadata(field_path: str) -> bool:
    """Token metadata: written in clear by Vault/OpenBao (documented for approle)."""
    return field_path.startswith(("auth.metadata.", "response.auth.metadata."))


def leaks(entries: list[dict], needle: str) -> list[tuple[str, str, str]]:
    """(entry type, request path, field) of every plaintext occurrence of `needle`."""
    return [
        (e.get("type"), e.get("request", {}).get("path"), f)
        for e in entries
        for f in plaintext_fields(e, needle)
    ]


# --------------------------------------------------------------------------------------
# 1. The canary sequence through an audit log
# --------------------------------------------------------------------------------------

WRAP = {"X-Vault-Wrap-TTL": "5m"}


@dataclass
class CanaryRun:
    srv: object
    audit_log: Path
    root: str
    tokens: dict[str, str] = field(default_factory=dict)   # name -> issued token / credential
    bodies: list[tuple[str, str, int, str]] = field(default_factory=list)
    meant: set[tuple[str, str, int]] = field(default_factory=set)
    hashes: dict[str, str] = field(default_factory=dict)   # plaintext -> sys/audit-hash
    entries: list[dict] = field(default_factory=list)
    server_log: str = ""
    server_stdout: str = ""


def canary_requests(req, root: str) -> tuple[dict[str, str], set[tuple[str, str, int]]]:
    """The requests of test_canary.py, then userpass, approle, response wrapping and logins
    carrying the canary. Returns the issued tokens and the (method, path, status) answers
    that are meant to return the canary."""
    tokens: dict[str, str] = {}
    # -- test_canary.py, legitimate writes carrying the canary --------------------------
    req("POST", "secret/data/canary", {"data": {"password": CANARY}})
    req("POST", "cubbyhole/canary", {"password": CANARY})
    req("POST", "sys/mounts/canary-kv1", {"type": "kv"})
    req("POST", "canary-kv1/app", {"password": CANARY})
    req("PUT", "sys/policy/canary", {"policy": f'path "secret/{CANARY}" {{ capabilities = ["read"] }}'})
    _, made = req("POST", "auth/token/create", {"policies": ["default"], "meta": {"m": CANARY}})
    tokens["child"] = made["auth"]["client_token"]
    # -- test_canary.py, failure paths carrying the canary ------------------------------
    req("POST", "secret/data/canary", {"data": CANARY})
    req("POST", "secret/data/canary", {"data": {"password": CANARY}, "options": {"cas": 99}})
    req("POST", "sys/mounts/canary-x", {"type": CANARY})
    req("PUT", "sys/policy/bad", {"policy": f"{CANARY} {{"})
    req("POST", "sys/tools/hash", {"input": CANARY})
    req("POST", "auth/token/lookup", {"token": CANARY})
    req("POST", "sys/wrapping/unwrap", {"token": CANARY})
    req("PUT", "sys/unseal", {"key": CANARY})
    req("GET", "secret/data/canary", token=CANARY)
    req("GET", "secret/data/canary", token=tokens["child"])
    req("POST", "secret/data/x", f'{{"data": {{"password": "{CANARY}"', headers={"Content-Type": "application/json"})
    req("POST", "secret/data/x", "[" * 300 + f'"{CANARY}"' + "]" * 300)
    # -- userpass: the canary is a password ---------------------------------------------
    req("POST", "sys/auth/userpass", {"type": "userpass"})
    req("POST", "auth/userpass/users/alice", {"password": CANARY, "token_policies": "default"})
    status, _ = req("POST", "auth/userpass/login/alice", {"password": CANARY + "-wrong"}, token=None)
    assert status == 400
    status, doc = req("POST", "auth/userpass/login/alice", {"password": CANARY}, token=None)
    assert status == 200, doc
    tokens["userpass-login"] = doc["auth"]["client_token"]
    req("GET", "auth/token/lookup-self", token=tokens["userpass-login"])
    # -- approle: the canary is secret-id metadata -------------------------------------
    req("POST", "sys/auth/approle", {"type": "approle"})
    req("POST", "auth/approle/role/app", {"token_policies": "default"})
    _, doc = req("GET", "auth/approle/role/app/role-id")
    role_id = doc["data"]["role_id"]
    status, doc = req("POST", "auth/approle/role/app/secret-id", {"metadata": json.dumps({"tag": CANARY})})
    assert status == 200, doc
    tokens["secret-id"] = doc["data"]["secret_id"]
    req("POST", "auth/approle/role/app/secret-id/lookup", {"secret_id": tokens["secret-id"]})
    status, _ = req("POST", "auth/approle/login", {"role_id": role_id, "secret_id": CANARY}, token=None)
    assert status == 400
    status, doc = req("POST", "auth/approle/login", {"role_id": role_id, "secret_id": tokens["secret-id"]}, token=None)
    assert status == 200, doc
    tokens["approle-login"] = doc["auth"]["client_token"]
    req("GET", "auth/token/lookup-self", token=tokens["approle-login"])
    # -- response wrapping --------------------------------------------------------------
    status, doc = req("GET", "secret/data/canary", headers=WRAP)
    assert status == 200 and doc["wrap_info"], doc
    tokens["wrap-secret"] = doc["wrap_info"]["token"]
    status, doc = req("POST", "auth/token/create", {"policies": ["default"]}, headers=WRAP)
    assert status == 200 and doc["wrap_info"], doc
    tokens["wrap-token"] = doc["wrap_info"]["token"]
    req("POST", "sys/wrapping/lookup", {"token": tokens["wrap-token"]}, token=None)
    status, doc = req("POST", "sys/wrapping/unwrap", token=tokens["wrap-secret"])
    assert status == 200 and doc["data"]["data"]["password"] == CANARY, doc
    status, doc = req("POST", "sys/wrapping/unwrap", {"token": tokens["wrap-token"]})
    assert status == 200, doc
    tokens["unwrapped-child"] = doc["auth"]["client_token"]
    req("GET", "secret/data/canary", token=tokens["unwrapped-child"])
    # -- reads meant to return the canary (as in test_canary.py) ------------------------
    req("GET", "secret/data/canary")
    req("GET", "canary-kv1/app")
    req("GET", "cubbyhole/canary")
    req("GET", "sys/policy/canary")
    meant = {("GET", "secret/data/canary", 200), ("GET", "canary-kv1/app", 200), ("GET", "cubbyhole/canary", 200),
             ("GET", "sys/policy/canary", 200),
             # Token metadata is echoed back to its creator, as in Vault.
             ("POST", "auth/token/create", 200),
             # A mount type is a name, not a secret: the error names the missing plugin.
             ("POST", "sys/mounts/canary-x", 400),
             # Secret-id metadata is shown to who may read the secret id, and becomes the
             # login token's metadata (returned to the holder), as in Vault.
             ("POST", "auth/approle/role/app/secret-id/lookup", 200),
             ("POST", "auth/approle/login", 200),
             # A token's metadata is shown to its holder, as in Vault.
             ("GET", "auth/token/lookup-self", 200),
             # Unwrapping returns the wrapped secret.
             ("POST", "sys/wrapping/unwrap", 200)}
    return tokens, meant


def run_canary(srv, audit_log: Path, root: str, device: str) -> CanaryRun:
    run = CanaryRun(srv=srv, audit_log=audit_log, root=root)

    def req(method, path, body=None, token=root, headers=None):
        status, doc = call(srv, method, path, body, headers, token=token)
        run.bodies.append((method, path, status, json.dumps(doc) if doc is not None else ""))
        return status, doc

    run.tokens, run.meant = canary_requests(req, root)
    run.tokens["root"] = root
    for value in [CANARY, *run.tokens.values()]:
        run.hashes[value] = audit_hash(srv, device, value, root)
    run.entries = read_entries(audit_log)
    srv.stop()
    run.server_log = srv.stderr()
    run.server_stdout = srv.stdout()
    return run


@pytest.fixture(scope="module")
def canary_run(module_servers, tmp_path_factory) -> CanaryRun:
    logdir = private_dir(tmp_path_factory.mktemp("audit-canary"), "log")
    log = logdir / "audit.log"
    root = f"root-{uuid.uuid4().hex}"
    srv = tresor_with_config(module_servers, "tresor-audit-canary", file_device_hcl("main", log),
                             root_token=root, extra_args=("-log-level=trace",))
    return run_canary(srv, log, root, "main")


@pytest.fixture(scope="module")
def bao_canary_run(module_servers, tmp_path_factory) -> CanaryRun:
    logdir = private_dir(tmp_path_factory.mktemp("audit-canary-bao"), "log")
    log = logdir / "audit.log"
    root = f"root-{uuid.uuid4().hex}"
    srv = bao_with_config(module_servers, "bao-audit-canary", file_device_hcl("main", log), root_token=root)
    return run_canary(srv, log, root, "main")


def test_audit_log_records_the_canary_sequence(canary_run):
    """The log is not empty and covers every part of the sequence (otherwise the checks
    below would pass vacuously)."""
    paths = {e["request"]["path"] for e in canary_run.entries}
    for p in ("secret/data/canary", "auth/userpass/login/alice", "auth/approle/login",
              "auth/token/create", "sys/wrapping/unwrap", "sys/wrapping/lookup",
              "auth/userpass/users/alice", "auth/approle/role/app/secret-id"):
        assert p in paths, (p, sorted(paths))
    types = {e["type"] for e in canary_run.entries}
    assert types == {"request", "response"}, types


def test_canary_hashed_in_audit_log_except_token_metadata(canary_run, bao_canary_run):
    """The canary is HMAC'd everywhere in the audit log, except in token metadata, which
    OpenBao also writes in clear (the error field is checked separately below)."""
    found = leaks(canary_run.entries, CANARY)
    outside = [x for x in found if not is_token_metadata(x[2]) and x[2] != "error"]
    assert not outside, outside
    # Every clear occurrence in token metadata is one the reference writes in clear too.
    ref = set(leaks(bao_canary_run.entries, CANARY))
    ours_meta = {x for x in found if is_token_metadata(x[2])}
    assert ours_meta, "expected the token/approle metadata in clear, as Vault writes it"
    assert ours_meta <= ref, sorted(ours_meta - ref)


def test_bao_reference_writes_canary_only_in_token_metadata(bao_canary_run):
    found = leaks(bao_canary_run.entries, CANARY)
    assert all(is_token_metadata(f) for _, _, f in found), found


def test_canary_not_in_audit_error_field(canary_run):
    found = [x for x in leaks(canary_run.entries, CANARY) if x[2] == "error"]
    assert not found, found


def test_no_issued_token_in_plaintext_in_audit_log(canary_run):
    problems = {}
    for name, tok in canary_run.tokens.items():
        found = leaks(canary_run.entries, tok)
        if found:
            problems[name] = found
    assert not problems, problems


def test_audit_values_equal_sys_audit_hash(canary_run):
    run, h = canary_run, canary_run.hashes
    writes = [e for e in run.entries if e["type"] == "request" and e["request"]["path"] == "secret/data/canary"
              and isinstance(e["request"].get("data", {}).get("data"), dict)]
    assert writes, "no KV write of the canary in the audit log"
    for e in writes:
        assert e["request"]["data"]["data"]["password"] == h[CANARY], e
    # The KV read's answer carries the same HMAC.
    reads = [e for e in run.entries if e["type"] == "response" and e["request"]["path"] == "secret/data/canary"
             and e["request"]["operation"] == "read" and "data" in e.get("response", {})
             and isinstance(e["response"]["data"].get("data"), dict)]
    assert reads and all(e["response"]["data"]["data"]["password"] == h[CANARY] for e in reads), reads
    # userpass: the password written and the one presented at login.
    user = [e for e in run.entries if e["request"]["path"] == "auth/userpass/users/alice"]
    assert user and all(e["request"]["data"]["password"] == h[CANARY] for e in user), user
    logins = [e for e in run.entries if e["request"]["path"] == "auth/userpass/login/alice"]
    assert {e["request"]["data"]["password"] for e in logins} >= {h[CANARY]}, logins

    # client_token of an entry = audit-hash of the token used.
    def used_with(token_name, path):
        tok = run.tokens[token_name]
        matching = [e for e in run.entries if e["request"]["path"] == path
                    and e["request"].get("client_token") == h[tok]]
        assert matching, f"no entry for {path} with client_token = audit-hash({token_name})"
        for e in matching:
            assert e["auth"]["client_token"] == h[tok], e
        return matching

    used_with("root", "sys/mounts/canary-kv1")
    used_with("child", "secret/data/canary")
    used_with("userpass-login", "auth/token/lookup-self")
    used_with("approle-login", "auth/token/lookup-self")
    used_with("wrap-secret", "sys/wrapping/unwrap")
    used_with("unwrapped-child", "secret/data/canary")
    # Tokens made by a request appear hashed in its response entry.
    login = [e for e in run.entries if e["type"] == "response" and e["request"]["path"] == "auth/userpass/login/alice"
             and "auth" in e.get("response", {})]
    assert login and login[0]["response"]["auth"]["client_token"] == h[run.tokens["userpass-login"]], login
    wrapped = [e["response"]["wrap_info"] for e in run.entries if e["type"] == "response"
               and "wrap_info" in e.get("response", {})]
    assert {w["token"] for w in wrapped} == {h[run.tokens["wrap-secret"]], h[run.tokens["wrap-token"]]}, wrapped
    # Unwrapping: the unwrapped token and secret are in the response entry, hashed (where
    # in the entry is checked against bao by test_unwrap_response_entry_shape_like_bao).
    unwraps = [e for e in run.entries if e["type"] == "response" and e["request"]["path"] == "sys/wrapping/unwrap"
               and "response" in e]
    assert any(h[run.tokens["unwrapped-child"]] in string_values(e["response"]) for e in unwraps), unwraps
    assert any(h[CANARY] in string_values(e["response"]) for e in unwraps), unwraps


def string_values(v) -> set[str]:
    if isinstance(v, dict):
        return set().union(*(string_values(x) for x in v.values())) if v else set()
    if isinstance(v, list):
        return set().union(*(string_values(x) for x in v)) if v else set()
    return {v} if isinstance(v, str) else set()


def unwrap_responses(run: CanaryRun) -> tuple[dict, dict]:
    """The response entries of the two successful unwraps: (wrapped KV secret, wrapped token)."""
    ok = [e for e in run.entries if e["type"] == "response" and e["request"]["path"] == "sys/wrapping/unwrap"
          and "error" not in e and "response" in e]
    secret = [e for e in ok if e["auth"].get("client_token") == run.hashes[run.tokens["wrap-secret"]]]
    token = [e for e in ok if e["request"].get("data", {}).get("token") == run.hashes[run.tokens["wrap-token"]]]
    assert len(secret) == 1 and len(token) == 1, ok
    return secret[0], token[0]


def test_bao_reference_unwrap_entries(bao_canary_run):
    run = bao_canary_run
    secret, token = unwrap_responses(run)
    assert secret["response"]["data"]["data"]["password"] == run.hashes[CANARY], secret
    assert token["response"]["auth"]["client_token"] == run.hashes[run.tokens["unwrapped-child"]], token
    assert token["response"]["auth"]["policies"] == ["default"], token


def test_unwrap_response_entry_shape_like_bao(canary_run):
    """The answer of sys/wrapping/unwrap is recorded as what is inside the stored envelope
    (its data, its auth), not as the envelope itself."""
    run = canary_run
    secret, token = unwrap_responses(run)
    assert secret["response"]["data"]["data"]["password"] == run.hashes[CANARY], secret
    assert "auth" in token["response"], token
    assert token["response"]["auth"]["client_token"] == run.hashes[run.tokens["unwrapped-child"]], token
    assert token["response"]["auth"]["policies"] == ["default"], token


def test_canary_and_tokens_not_in_server_log_or_error_bodies(canary_run):
    run = canary_run
    leaked = [b for b in run.bodies if CANARY in b[3] and (b[0], b[1], b[2]) not in run.meant]
    assert not leaked, leaked
    assert CANARY not in run.server_log + run.server_stdout
    for name, tok in run.tokens.items():
        assert tok not in run.server_log, name
        if name != "root":  # dev mode prints its root token on stdout by design
            assert tok not in run.server_stdout, name


# --------------------------------------------------------------------------------------
# 2. The audit file's mode
# --------------------------------------------------------------------------------------


def file_mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


@pytest.mark.parametrize("umask0", [False, True], ids=["umask-default", "umask-0"])
def test_audit_file_created_0600_never_executable(servers, tmp_path, umask0):
    d = private_dir(tmp_path, "audit")
    default_log, asked_exec = d / "default.log", d / "asked-0755.log"
    hcl = file_device_hcl("main", default_log) + (
        f'audit "file" "exec" {{\n  options {{\n    file_path = "{asked_exec}"\n    mode = "0755"\n  }}\n}}\n'
    )
    srv = tresor_with_config(servers, f"tresor-mode-{int(umask0)}", hcl, umask0=umask0)
    if umask0:
        status_line = Path(f"/proc/{srv.proc.pid}/status").read_text()
        assert "Umask:\t0000" in status_line, "the server does not run under umask 0"
    assert call(srv, "GET", "sys/health", token=None)[0] == 200
    assert file_mode(default_log) == 0o600, oct(file_mode(default_log))
    assert file_mode(asked_exec) & 0o111 == 0, oct(file_mode(asked_exec))
    assert file_mode(asked_exec) & 0o7000 == 0, oct(file_mode(asked_exec))
    assert default_log.stat().st_size > 0


# --------------------------------------------------------------------------------------
# 3. Fail closed with a socket device
# --------------------------------------------------------------------------------------


class Collector:
    """A line collector on a unix-stream or TCP socket, served by threads."""

    def __init__(self, kind: str, address):
        self.kind, self.address = kind, address
        self.lines: list[dict] = []
        self._lock = threading.Lock()
        self._conns: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def start(self) -> "Collector":
        if self.kind == "unix":
            if os.path.exists(self.address):
                os.unlink(self.address)
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        else:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(self.address)
        s.listen(16)
        s.settimeout(0.1)
        self._listener, self._stop = s, threading.Event()
        self._thread = threading.Thread(target=self._accept, args=(s, self._stop), daemon=True)
        self._thread.start()
        return self

    def _accept(self, s, stop):
        while not stop.is_set():
            try:
                c, _ = s.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            c.settimeout(None)
            with self._lock:
                self._conns.append(c)
            threading.Thread(target=self._read, args=(c,), daemon=True).start()

    def _read(self, c):
        buf = b""
        while True:
            try:
                data = c.recv(65536)
            except OSError:
                return
            if not data:
                return
            buf += data
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                with self._lock:
                    self.lines.append(json.loads(line))

    def stop(self) -> None:
        """Closes the listening socket and every connection. The accept thread is joined
        first: a socket closed while another thread polls it stays open (and accepting
        connections into its backlog) until that poll returns."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            assert not self._thread.is_alive()
            self._thread = None
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        with self._lock:
            conns, self._conns = self._conns, []
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            c.close()
        if self.kind == "unix" and os.path.exists(self.address):
            os.unlink(self.address)

    def entries(self) -> list[dict]:
        with self._lock:
            return list(self.lines)


def wait_for(pred, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@pytest.mark.parametrize("kind", ["unix", "tcp"])
def test_fail_closed_with_socket_device(servers, kind):
    sockdir = Path(tempfile.mkdtemp(prefix="ta-", dir="/tmp"))  # short: sun_path is 108 bytes
    try:
        if kind == "unix":
            address, hcl_addr = str(sockdir / "a.sock"), str(sockdir / "a.sock")
        else:
            port = free_port()
            address, hcl_addr = (LOOPBACK, port), f"{LOOPBACK}:{port}"
        collector = Collector(kind, address).start()
        hcl = (f'audit "socket" "siem" {{\n  options {{\n    address = "{hcl_addr}"\n'
               f'    socket_type = "{kind}"\n    write_timeout = "1s"\n  }}\n}}\n')
        srv = tresor_with_config(servers, f"tresor-failclosed-{kind}", hcl)
        pid = srv.proc.pid
        # Works while the collector listens.
        assert call(srv, "POST", "secret/data/s", {"data": {"password": CANARY}})[0] == 200
        status, doc = call(srv, "GET", "secret/data/s")
        assert status == 200 and doc["data"]["data"]["password"] == CANARY
        assert call(srv, "GET", "sys/audit")[1]["siem/"]["type"] == "socket"
        assert wait_for(lambda: any(e["request"]["path"] == "secret/data/s" and e["type"] == "response"
                                    and e["request"]["operation"] == "read" for e in collector.entries()))
        assert call(srv, "POST", "sys/auth/userpass", {"type": "userpass"})[0] == 204
        assert call(srv, "POST", "auth/userpass/users/bob", {"password": CANARY})[0] == 204
        assert call(srv, "POST", "auth/userpass/login/bob", {"password": CANARY}, token=None)[0] == 200
        _, acc = call(srv, "LIST", "auth/token/accessors")
        accessors_before = len(acc["data"]["keys"])

        collector.stop()
        refused = []
        # One success is tolerated right after the stop (kernel buffers), not two.
        for attempt in range(2):
            r = srv.http("GET", "/v1/secret/data/s", token="root")
            if r.status == 500:
                refused.append(r)
                break
            assert attempt == 0 and r.status == 200, (attempt, r)
        assert refused, "a KV read was served twice with the only audit device down"
        print(f"{kind}: first KV read after the collector stopped answered {'500' if attempt == 0 else '200, then 500'}")
        for _ in range(3):
            r = srv.http("GET", "/v1/secret/data/s", token="root")
            assert r.status == 500, r
            refused.append(r)
        for _ in range(2):
            r = srv.http("POST", "/v1/auth/token/create", body={"policies": ["default"]}, token="root")
            assert r.status == 500, r
            refused.append(r)
        for _ in range(2):  # a login: no token leaves
            r = srv.http("POST", "/v1/auth/userpass/login/bob", body={"password": CANARY})
            assert r.status == 500, r
            refused.append(r)
        r = srv.http("GET", "/v1/secret/data/s", token="root", headers={"X-Vault-Wrap-TTL": "5m"})
        assert r.status == 500, r
        refused.append(r)
        for r in refused:
            assert CANARY.encode() not in r.body, r
            assert b"client_token" not in r.body and b"wrap_info" not in r.body, r
            assert list(r.json()) == ["errors"], r

        # The collector comes back on the same address: served again, same process.
        collector.start()
        status, doc = call(srv, "GET", "secret/data/s")
        assert status == 200 and doc["data"]["data"]["password"] == CANARY, (status, doc)
        status, doc = call(srv, "POST", "auth/token/create", {"policies": ["default"]})
        assert status == 200, (status, doc)
        assert srv.alive and srv.proc.pid == pid
        # Refused token creations and logins made no token (refused before they acted).
        _, acc = call(srv, "LIST", "auth/token/accessors")
        assert len(acc["data"]["keys"]) == accessors_before + 1, acc["data"]["keys"]
        new_token = doc["auth"]["client_token"]
        assert wait_for(lambda: any(e["request"]["path"] == "auth/token/create" and e["type"] == "response"
                                    for e in collector.entries()))
        text = json.dumps(collector.entries())
        assert CANARY not in text and new_token not in text
        assert CANARY not in srv.stderr() + srv.stdout()
    finally:
        try:
            collector.stop()
        except Exception:
            pass
        for p in sockdir.iterdir():
            p.unlink()
        sockdir.rmdir()


# --------------------------------------------------------------------------------------
# 4. Compatibility: the bao CLI, hvac, and sys/audit shapes against OpenBao
# --------------------------------------------------------------------------------------


def test_bao_cli_manages_audit_devices_on_tresor(servers, tmp_path):
    d = private_dir(tmp_path, "audit")
    srv = tresor_with_config(servers, "tresor-audit-cli", file_device_hcl("main", d / "main.log", allow_api=True))
    env = srv.env(token="root")
    r = run_cli([BAO_BIN, "audit", "list", "-format=json"], env)
    assert r.rc == 0, r
    assert set(r.json()) == {"main/"} and r.json()["main/"]["type"] == "file", r
    cli_log = d / "cli.log"
    r = run_cli([BAO_BIN, "audit", "enable", "-path=cli", "file", f"file_path={cli_log}"], env)
    assert r.rc == 0 and "cli/" in r.stdout, r
    assert file_mode(cli_log) == 0o600, oct(file_mode(cli_log))
    r = run_cli([BAO_BIN, "audit", "list", "-detailed"], env)
    assert r.rc == 0 and "cli/" in r.stdout and "main/" in r.stdout and f"file_path={cli_log}" in r.stdout, r
    listed = run_cli([BAO_BIN, "audit", "list", "-format=json"], env).json()
    assert listed["cli/"]["options"] == {"file_path": str(cli_log)}, listed
    # A request after enabling lands in the new device, hashed with its own key.
    assert call(srv, "POST", "secret/data/cli", {"data": {"password": CANARY}})[0] == 200
    h = audit_hash(srv, "cli", CANARY, "root")
    assert CANARY not in cli_log.read_text() and h in cli_log.read_text()
    r = run_cli([BAO_BIN, "audit", "enable", "-path=cli", "file", f"file_path={cli_log}"], env)
    assert r.rc == 2, r
    r = run_cli([BAO_BIN, "audit", "disable", "cli"], env)
    assert r.rc == 0, r
    r = run_cli([BAO_BIN, "audit", "disable", "main"], env)  # declared in the configuration
    assert r.rc == 2 and "configuration" in r.stderr, r
    assert set(run_cli([BAO_BIN, "audit", "list", "-format=json"], env).json()) == {"main/"}


def test_bao_cli_enable_refused_without_unsafe_flag(servers, tmp_path):
    d = private_dir(tmp_path, "audit")
    srv = tresor_with_config(servers, "tresor-audit-noapi", file_device_hcl("main", d / "main.log"))
    r = run_cli([BAO_BIN, "audit", "enable", "file", f"file_path={d / 'x.log'}"], srv.env(token="root"))
    assert r.rc == 2 and "cannot enable audit device via API" in r.stderr, r
    assert not (d / "x.log").exists()


def test_hvac_audit_devices_on_tresor(servers, tmp_path):
    d = private_dir(tmp_path, "audit")
    srv = tresor_with_config(servers, "tresor-audit-hvac", file_device_hcl("main", d / "main.log", allow_api=True))
    client = hvac.Client(url=srv.addr, token="root")
    listed = client.sys.list_enabled_audit_devices()
    assert "main/" in listed["data"] and listed["data"]["main/"]["type"] == "file", listed
    log = d / "hvac.log"
    r = client.sys.enable_audit_device(device_type="file", path="hv", description="from hvac",
                                       options={"file_path": str(log)})
    assert r.status_code == 204, r.text
    listed = client.sys.list_enabled_audit_devices()
    assert listed["data"]["hv/"] == {"type": "file", "description": "from hvac", "local": False,
                                     "options": {"file_path": str(log)}, "path": "hv/"}, listed
    h = client.sys.calculate_hash(path="hv", input_to_hash=CANARY)
    assert h["data"]["hash"].startswith(HMAC_PREFIX) and h["data"]["hash"] == h["hash"], h
    # Another device has another key.
    assert client.sys.calculate_hash(path="main", input_to_hash=CANARY)["data"]["hash"] != h["data"]["hash"]
    client.secrets.kv.v2.create_or_update_secret(path="hv", secret={"password": CANARY})
    entries = read_entries(log)
    writes = [e for e in entries if e["request"]["path"] == "secret/data/hv" and e["type"] == "request"]
    assert writes and writes[0]["request"]["data"]["data"]["password"] == h["data"]["hash"], writes
    r = client.sys.disable_audit_device(path="hv")
    assert r.status_code == 204, r.text
    assert "hv/" not in client.sys.list_enabled_audit_devices()["data"]
    with pytest.raises(hvac.exceptions.InvalidRequest):
        client.sys.calculate_hash(path="hv", input_to_hash=CANARY)


AUDIT_API_STEPS = [
    # method, path, body
    ("GET", "sys/audit", None),
    ("PUT", "sys/audit-hash/main", {"input": "some value"}),
    ("PUT", "sys/audit-hash/main", {"input": ""}),
    ("PUT", "sys/audit-hash/nope", {"input": "x"}),
    ("PUT", "sys/audit/api", {"type": "file", "description": "d", "options": {"file_path": "{dir}/api.log"}}),
    ("GET", "sys/audit", None),
    ("PUT", "sys/audit/api", {"type": "file", "options": {"file_path": "{dir}/api2.log"}}),
    ("PUT", "sys/audit/bad", {"type": "no-such-type", "options": {"file_path": "{dir}/bad.log"}}),
    ("PUT", "sys/audit/nopath", {"type": "file"}),
    ("PUT", "sys/audit-hash/api", {"input": "some value"}),
    ("DELETE", "sys/audit/api", None),
    ("DELETE", "sys/audit/api", None),
    ("DELETE", "sys/audit/main", None),
    ("GET", "sys/audit", None),
]


def run_steps(srv, steps, directory: Path):
    out = []
    for method, path, body in steps:
        if body is not None:
            body = json.loads(json.dumps(body).replace("{dir}", str(directory)))
        out.append(call(srv, method, path, body))
    return out


def comparable(doc):
    if not isinstance(doc, dict):
        return doc
    return shape({k: v for k, v in doc.items() if k not in ("request_id", "warnings")})


def test_sys_audit_answers_match_bao(servers, tmp_path):
    tdir, bdir = private_dir(tmp_path, "tresor"), private_dir(tmp_path, "bao")
    tresor = tresor_with_config(servers, "tresor-audit-api", file_device_hcl("main", tdir / "main.log", allow_api=True))
    bao = bao_with_config(servers, "bao-audit-api", file_device_hcl("main", bdir / "main.log", allow_api=True))
    ours, ref = run_steps(tresor, AUDIT_API_STEPS, tdir), run_steps(bao, AUDIT_API_STEPS, bdir)
    problems = []
    for (method, path, body), (ts, td), (bs, bd) in zip(AUDIT_API_STEPS, ours, ref):
        label = f"{method} {path} {json.dumps(body) if body else ''}"
        if ts != bs:
            problems.append(f"{label}: status tresor={ts} bao={bs}\n  tresor={td}\n  bao={bd}")
        elif isinstance(td, dict) and "errors" in td:
            if not (isinstance(bd, dict) and "errors" in bd):
                problems.append(f"{label}: tresor errors, bao {bd}")
        elif comparable(td) != comparable(bd):
            problems.append(f"{label}: shape\n  tresor={td}\n  bao={bd}")
    assert not problems, "\n".join(problems)
    # The listing is both at the top level and under "data", as in Vault.
    _, listing = ours[5]
    assert listing["api/"] == listing["data"]["api/"] == {
        "type": "file", "description": "d", "local": False,
        "options": {"file_path": str(tdir / "api.log")}, "path": "api/"}


def test_api_creation_refused_by_default_like_bao(servers, tmp_path):
    tdir, bdir = private_dir(tmp_path, "tresor"), private_dir(tmp_path, "bao")
    tresor = tresor_with_config(servers, "tresor-audit-default", file_device_hcl("main", tdir / "main.log"))
    bao = bao_with_config(servers, "bao-audit-default", file_device_hcl("main", bdir / "main.log"))
    for srv, d in ((tresor, tdir), (bao, bdir)):
        status, doc = call(srv, "PUT", "sys/audit/api", {"type": "file", "options": {"file_path": str(d / "api.log")}})
        assert status == 400 and "cannot enable audit device via API" in doc["errors"][0], (srv.name, doc)
        assert not (d / "api.log").exists()
        assert call(srv, "DELETE", "sys/audit/main")[0] == 400, srv.name
        assert set(call(srv, "GET", "sys/audit")[1]["data"]) == {"main/"}


# --------------------------------------------------------------------------------------
# 5. The shape of an entry, against OpenBao's
# --------------------------------------------------------------------------------------

ESSENTIAL = {
    "": {"time", "type", "auth", "request"},
    "auth": {"client_token", "accessor", "policies"},
    "request": {"id", "operation", "path", "client_token", "mount_type"},
}


def entries_for(entries, path, operation="read"):
    """The first request and response entries of `path` by the root token (no error from
    the token check)."""
    found = {}
    for e in entries:
        if (e["request"].get("path") == path and e["request"].get("operation") == operation
                and e["auth"].get("policies") == ["root"]):
            found.setdefault(e["type"], e)
    assert set(found) == {"request", "response"}, (path, found)
    return found["request"], found["response"]


@pytest.fixture(scope="module")
def entry_pair(module_servers, tmp_path_factory):
    """The same requests against tresor and bao dev servers with a file device each."""
    base = tmp_path_factory.mktemp("audit-shape")
    out = {}
    for kind, start in (("tresor", tresor_with_config), ("bao", bao_with_config)):
        d = private_dir(base, kind)
        srv = start(module_servers, f"{kind}-audit-shape", file_device_hcl("main", d / "audit.log"))
        assert call(srv, "POST", "secret/data/x", {"data": {"password": "p"}})[0] == 200
        assert call(srv, "GET", "secret/data/x")[0] == 200
        assert call(srv, "GET", "secret/data/x", token="bogus-token")[0] == 403
        assert call(srv, "GET", "secret/data/missing")[0] == 404
        srv.stop()
        out[kind] = read_entries(d / "audit.log")
    return out


def key_differences(ours: dict, ref: dict) -> dict[str, dict[str, list[str]]]:
    diff = {}
    for section in ("", "auth", "request", "response"):
        a = set(ours if not section else ours.get(section) or {})
        b = set(ref if not section else ref.get(section) or {})
        if a != b:
            diff[section or "<top>"] = {"tresor lacks": sorted(b - a), "tresor only": sorted(a - b)}
    return diff


def test_audit_entry_shape_matches_bao(entry_pair, record_property):
    ours = entries_for(entry_pair["tresor"], "secret/data/x")
    ref = entries_for(entry_pair["bao"], "secret/data/x")
    for t_entry, b_entry in zip(ours, ref):
        diff = key_differences(t_entry, b_entry)
        record_property(f"{t_entry['type']}-entry-differences", json.dumps(diff))
        print(f"{t_entry['type']} entry, keys differing from bao: {json.dumps(diff, indent=1)}")
        for section, keys in ESSENTIAL.items():
            have = set(t_entry if not section else t_entry[section])
            want = set(b_entry if not section else b_entry[section])
            assert keys <= want, f"reference lacks {section} {keys - want}"
            assert keys <= have, f"tresor {t_entry['type']} entry lacks {section}: {sorted(keys - have)}"
        assert t_entry["type"] == b_entry["type"]
        assert t_entry["request"]["operation"] == "read" and t_entry["request"]["path"] == "secret/data/x"
        assert t_entry["request"]["mount_type"] == b_entry["request"]["mount_type"] == "kv"
        assert t_entry["auth"]["policies"] == b_entry["auth"]["policies"] == ["root"]
        assert t_entry["auth"]["client_token"].startswith(HMAC_PREFIX)
        assert t_entry["auth"]["accessor"].startswith(HMAC_PREFIX)
        assert t_entry["request"]["client_token"] == t_entry["auth"]["client_token"]
        assert ("error" in t_entry) == ("error" in b_entry) == False  # noqa: E712
    t_resp, b_resp = ours[1], ref[1]
    assert "data" in t_resp["response"] and "data" in b_resp["response"]
    assert shape(t_resp["response"]["data"]["data"]) == shape(b_resp["response"]["data"]["data"])
    assert t_resp["response"]["data"]["data"]["password"].startswith(HMAC_PREFIX)
    assert t_resp["request"]["id"] == ours[0]["request"]["id"]


def test_audit_entry_error_on_bad_token_like_bao(entry_pair):
    """A request refused for its token is recorded with an `error`, as bao records it."""
    def refused(entries):
        return [e for e in entries if e["request"].get("path") == "secret/data/x" and "error" in e]
    ours, ref = refused(entry_pair["tresor"]), refused(entry_pair["bao"])
    assert {e["type"] for e in ref} == {"request", "response"}
    assert {e["type"] for e in ours} == {"request", "response"}, ours
    for e in ours:
        assert "permission denied" in e["error"]
        assert e["request"]["client_token"].startswith(HMAC_PREFIX)


def test_audit_entry_no_error_for_404_like_bao(entry_pair):
    _, t_resp = entries_for(entry_pair["tresor"], "secret/data/missing")
    _, b_resp = entries_for(entry_pair["bao"], "secret/data/missing")
    assert "error" not in b_resp
    assert "error" not in t_resp, t_resp
