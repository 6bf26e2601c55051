"""Shared helpers for the end-to-end suite: free ports, server processes, CLI runs, HTTP.

Every server runs with HOME set to a temporary directory (dev mode writes ~/.vault-token),
its stdout and stderr go to files next to it, and it is stopped by the fixture that
started it (SIGTERM, then SIGKILL after a timeout). When a test fails, the stderr of every
server that was running during the test is attached to the failure report.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import select
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import pytest

TRESOR_BIN = os.environ.get("TRESOR_BIN", "/work/main/target/debug/tresor")
BAO_BIN = os.environ.get("BAO_BIN", "/work/main/.venv/bin/bao")

LOOPBACK = "127.0.0.1"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
CLI_TIMEOUT = 30.0

# Fields of seal-status / `status -format=json` that differ by design between tresor and
# OpenBao: tresor reports "build_date", OpenBao reports "commit_date" (and the bao CLI adds
# "build_date" itself).
VERSION_FIELDS = frozenset({"build_date", "commit_date"})

HEX_SHARE = re.compile(r"^[0-9a-f]{66}$")
B64_SHARE = re.compile(r"^[A-Za-z0-9+/]{44}$")


# --------------------------------------------------------------------------------------
# Ports
# --------------------------------------------------------------------------------------


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((LOOPBACK, port))
        except OSError:
            return False
        return True


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def free_port_pair() -> int:
    """A port P such that P and P+1 are both free (bao -dev binds its cluster port at P+1)."""
    for _ in range(200):
        p = free_port()
        if p < 65535 and _bindable(p + 1):
            return p
    raise RuntimeError("no pair of free consecutive loopback ports")


def closed_port() -> int:
    """A port on which nothing listens (connections are refused)."""
    return free_port()


# --------------------------------------------------------------------------------------
# Environments
# --------------------------------------------------------------------------------------


def clean_env(home: Path, **extra: str | None) -> dict[str, str]:
    """The test process's environment without any VAULT_/BAO_/TRESOR_ or proxy variable,
    with HOME pointing at a private directory, plus `extra` (None removes a variable)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("VAULT_", "BAO_", "TRESOR_", "OPENBAO_"))
        and k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
    }
    env["HOME"] = str(home)
    env["NO_COLOR"] = "1"  # plain server logs in the failure reports
    for k, v in extra.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


def cli_env(home: Path, addr: str, token: str | None = None, **extra: str | None) -> dict[str, str]:
    """Environment for a bao/tresor CLI call against `addr`."""
    env = clean_env(home, VAULT_ADDR=addr, **extra)
    if token is not None:
        env["VAULT_TOKEN"] = token
    return env


@dataclass
class CliResult:
    argv: list[str]
    rc: int
    stdout: str
    stderr: str

    def json(self):
        try:
            return json.loads(self.stdout)
        except ValueError as e:  # pragma: no cover - diagnostic
            raise AssertionError(f"{self} did not print JSON: {e}") from e

    def __str__(self) -> str:
        return (
            f"{' '.join(self.argv)} -> rc={self.rc}\n--- stdout ---\n{self.stdout}"
            f"\n--- stderr ---\n{self.stderr}"
        )


def run_cli(argv: Iterable[str], env: dict[str, str], timeout: float = CLI_TIMEOUT) -> CliResult:
    argv = [str(a) for a in argv]
    p = subprocess.run(
        argv,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=env.get("HOME"),
    )
    return CliResult(argv, p.returncode, p.stdout, p.stderr)


# --------------------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------------------


@dataclass
class HttpResult:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    elapsed: float = 0.0

    @property
    def content_type(self) -> str | None:
        return self.headers.get("Content-Type")

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError as e:
            raise AssertionError(
                f"body is not JSON (status {self.status}): {self.body[:300]!r}"
            ) from e

    def __repr__(self) -> str:
        return f"HttpResult(status={self.status}, body={self.body[:300]!r})"


def http_request(
    addr: str,
    method: str,
    path: str,
    body: bytes | str | dict | list | None = None,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 15.0,
) -> HttpResult:
    """One request over a fresh connection. `path` is sent byte for byte (no normalisation
    of `..` or percent-escapes, unlike requests/urllib3)."""
    host, port = addr.removeprefix("http://").rsplit(":", 1)
    hdrs = dict(headers or {})
    if token is not None:
        hdrs["X-Vault-Token"] = token
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    elif isinstance(body, str):
        body = body.encode()
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        start = time.monotonic()
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        data = resp.read()
        return HttpResult(resp.status, resp.headers, data, time.monotonic() - start)
    finally:
        conn.close()


def _strip_interim(raw: bytes) -> bytes:
    """Drops interim `HTTP/1.1 1xx` answers (100 Continue) from the front of `raw`."""
    while re.match(rb"HTTP/1\.[01] 1\d\d ", raw):
        end = raw.find(b"\r\n\r\n")
        if end < 0:
            break
        raw = raw[end + 4 :]
    return raw


def _answer_complete(raw: bytes) -> bool:
    raw = _strip_interim(raw)
    if re.match(rb"HTTP/1\.[01] 1\d\d ", raw):
        return False
    end = raw.find(b"\r\n\r\n")
    if end < 0:
        return False
    m = re.search(rb"(?im)^content-length:\s*(\d+)", raw[:end])
    return m is None or len(raw) - end - 4 >= int(m.group(1))


def stream_large_body(
    addr: str, method: str, path: str, total: int, chunked: bool = False, timeout: float = 60.0
) -> HttpResult:
    """Sends a `total`-byte body `{"key":"aaaa...a"}` (with a Content-Length, or with
    chunked transfer encoding), in pieces cut from one reused 1 MiB buffer so the body is
    never held in memory, and stops sending as soon as the server answers or stops
    reading. Returns the server's final answer."""
    host, port = addr.removeprefix("http://").rsplit(":", 1)
    prefix, suffix = b'{"key":"', b'"}'
    assert total > len(prefix) + len(suffix)
    chunk = memoryview(b"a" * (1 << 20))
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {total}"

    def pieces():
        yield prefix
        left = total - len(prefix) - len(suffix)
        while left > 0:
            n = min(left, len(chunk))
            yield chunk[:n]
            left -= n
        yield suffix

    received = bytearray()
    deadline = time.monotonic() + timeout
    sock = socket.create_connection((host, int(port)), timeout=10)
    try:
        sock.sendall(
            f"{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Content-Type: application/json\r\n{framing}\r\n\r\n".encode()
        )
        stopped = False
        for piece in pieces():
            if time.monotonic() > deadline:
                raise TimeoutError("sending the large body took too long")
            # an early answer? (read whatever is readable right now)
            while not stopped and select.select([sock], [], [], 0)[0]:
                try:
                    data = sock.recv(65536)
                except OSError:
                    stopped = True
                    break
                if not data:
                    stopped = True  # orderly close by the server
                received.extend(data)
            if stopped or _answer_complete(bytes(received)):
                stopped = True
                break
            try:
                if chunked:
                    sock.sendall(f"{len(piece):x}\r\n".encode())
                sock.sendall(piece)
                if chunked:
                    sock.sendall(b"\r\n")
            except OSError:  # reset, broken pipe, or the server stopped reading (timeout)
                stopped = True
                break
        if chunked and not stopped:
            try:
                sock.sendall(b"0\r\n\r\n")
            except OSError:
                pass
        sock.settimeout(max(1.0, deadline - time.monotonic()))
        while not _answer_complete(bytes(received)):
            try:
                data = sock.recv(65536)
            except OSError:
                break
            if not data:
                break
            received.extend(data)
    finally:
        sock.close()
    raw = _strip_interim(bytes(received))
    end = raw.find(b"\r\n\r\n")
    if end < 0:
        raise AssertionError(f"no HTTP answer to the large body (got {bytes(received)[:200]!r})")
    lines = raw[:end].decode("latin-1").split("\r\n")
    msg = http.client.HTTPMessage()
    for line in lines[1:]:
        k, _, v = line.partition(":")
        msg[k.strip()] = v.strip()
    return HttpResult(int(lines[0].split()[1]), msg, raw[end + 4 :])


# --------------------------------------------------------------------------------------
# Server processes
# --------------------------------------------------------------------------------------

_REGISTRY: list["Server"] = []


class Server:
    """A server process with its address, its output files and its private HOME."""

    def __init__(
        self,
        name: str,
        argv: list[str],
        workdir: Path,
        port: int,
        env: dict[str, str],
        preexec_fn: Callable[[], None] | None = None,
    ):
        self.name = name
        self.argv = argv
        self.workdir = workdir
        self.port = port
        self.addr = f"http://{LOOPBACK}:{port}"
        self.home = Path(env["HOME"])
        self.stdout_path = workdir / f"{name}.stdout"
        self.stderr_path = workdir / f"{name}.stderr"
        self.stopped_at: float | None = None
        self.started_at = time.monotonic()
        with open(self.stdout_path, "ab") as out, open(self.stderr_path, "ab") as err:
            self.proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                env=env,
                cwd=workdir,
                preexec_fn=preexec_fn,
                start_new_session=True,
            )
        _REGISTRY.append(self)

    def __repr__(self) -> str:
        state = "running" if self.alive else f"exited {self.proc.returncode}"
        return f"<Server {self.name} {self.addr} pid={self.proc.pid} {state}>"

    # -- output ------------------------------------------------------------------------

    def stdout(self) -> str:
        return self.stdout_path.read_text(errors="replace")

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    # -- life cycle --------------------------------------------------------------------

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def wait_ready(self, timeout: float = START_TIMEOUT) -> "Server":
        """Waits until GET /v1/sys/health answers (any status)."""
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            if not self.alive:
                raise RuntimeError(
                    f"{self.name} exited with {self.proc.returncode} before answering:\n"
                    f"{' '.join(self.argv)}\n--- stderr ---\n{self.stderr()[-4000:]}"
                    f"\n--- stdout ---\n{self.stdout()[-4000:]}"
                )
            try:
                http_request(self.addr, "GET", "/v1/sys/health", timeout=2)
                return self
            except OSError as e:
                last = e
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(
            f"{self.name} did not answer on {self.addr} within {timeout}s ({last}):\n"
            f"{self.stderr()[-4000:]}"
        )

    def wait_for_stdout(self, pattern: str, timeout: float = 10.0) -> re.Match:
        deadline = time.monotonic() + timeout
        while True:
            m = re.search(pattern, self.stdout(), re.M)
            if m:
                return m
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{self.name}: {pattern!r} not printed on stdout:\n{self.stdout()}"
                )
            time.sleep(0.05)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT) -> int:
        """Stops the process (signal, then SIGKILL after `timeout`); returns its exit code."""
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(sig)
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=timeout)
        if self.stopped_at is None:
            self.stopped_at = time.monotonic()
        return self.proc.returncode

    # -- convenience -------------------------------------------------------------------

    def http(self, method: str, path: str, **kw) -> HttpResult:
        return http_request(self.addr, method, path, **kw)

    def env(self, token: str | None = None, **extra: str | None) -> dict[str, str]:
        """Environment for a CLI pointed at this server."""
        return cli_env(self.home, self.addr, token, **extra)


def write_tresor_config(
    path: Path, port: int, storage: str = "inmem", data_dir: Path | None = None, extra: str = ""
) -> Path:
    if storage == "file":
        assert data_dir is not None
        storage_block = f'storage "file" {{\n  path = "{data_dir}"\n}}\n'
    else:
        storage_block = 'storage "inmem" {}\n'
    path.write_text(
        storage_block
        + f'listener "tcp" {{\n  address = "{LOOPBACK}:{port}"\n  tls_disable = true\n}}\n'
        + "disable_mlock = true\n"
        + extra
    )
    return path


class ServerPool:
    """Starts servers under one base directory and stops them all on close()."""

    def __init__(self, base: Path):
        self.base = base
        self.servers: list[Server] = []
        self._n = 0

    def _dir(self, name: str) -> Path:
        self._n += 1
        d = self.base / f"{self._n:02d}-{name}"
        (d / "home").mkdir(parents=True, exist_ok=True)
        return d

    def _start(self, name, argv, workdir, port, env, preexec_fn=None, wait=True) -> Server:
        s = Server(name, argv, workdir, port, env, preexec_fn)
        self.servers.append(s)
        if wait:
            s.wait_ready()
        return s

    def tresor(
        self,
        storage: str = "inmem",
        data_dir: Path | None = None,
        port: int | None = None,
        umask0: bool = False,
        name: str = "tresor",
        wait: bool = True,
        workdir: Path | None = None,
    ) -> Server:
        """A non-dev tresor from an HCL config in its work directory (sealed, maybe
        uninitialised). Re-using `workdir` and `data_dir` restarts on the same data."""
        port = port or free_port()
        d = workdir or self._dir(name)
        (d / "home").mkdir(parents=True, exist_ok=True)
        if storage == "file" and data_dir is None:
            data_dir = d / "data"
        cfg = write_tresor_config(d / "tresor.hcl", port, storage, data_dir)
        env = clean_env(d / "home")
        pre = (lambda: os.umask(0)) if umask0 else None
        return self._start(name, [TRESOR_BIN, "server", f"-config={cfg}"], d, port, env, pre, wait)

    def tresor_dev(
        self, root_token: str | None = "root", extra_args: Iterable[str] = (), name: str = "tresor-dev",
        style: str = "single",
    ) -> Server:
        port = free_port()
        d = self._dir(name)
        dash = "-" if style == "single" else "--"
        argv = [TRESOR_BIN, "server", f"{dash}dev", f"{dash}dev-listen-address={LOOPBACK}:{port}"]
        if root_token is not None:
            argv.append(f"{dash}dev-root-token-id={root_token}")
        argv += list(extra_args)
        return self._start(name, argv, d, port, clean_env(d / "home"))

    def bao(self, name: str = "bao") -> Server:
        """A reference OpenBao server: not dev, inmem storage, plain-text listener."""
        port = free_port()
        cluster = free_port()
        d = self._dir(name)
        cfg = d / "bao.hcl"
        cfg.write_text(
            'storage "inmem" {}\n'
            f'listener "tcp" {{\n  address = "{LOOPBACK}:{port}"\n'
            f'  cluster_address = "{LOOPBACK}:{cluster}"\n  tls_disable = true\n}}\n'
            f'api_addr = "http://{LOOPBACK}:{port}"\n'
            f'cluster_addr = "https://{LOOPBACK}:{cluster}"\n'
        )
        return self._start(name, [BAO_BIN, "server", f"-config={cfg}"], d, port, clean_env(d / "home"))

    def bao_dev(self, root_token: str = "root", name: str = "bao-dev") -> Server:
        port = free_port_pair()
        d = self._dir(name)
        argv = [
            BAO_BIN, "server", "-dev", f"-dev-root-token-id={root_token}",
            f"-dev-listen-address={LOOPBACK}:{port}",
        ]
        return self._start(name, argv, d, port, clean_env(d / "home"))

    def close(self) -> None:
        errors = []
        for s in reversed(self.servers):
            try:
                s.stop()
            except Exception as e:  # pragma: no cover - best effort at teardown
                errors.append(f"{s.name}: {e}")
        self.servers.clear()
        if errors:
            raise RuntimeError("could not stop: " + "; ".join(errors))


# --------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------


def _require_binaries() -> None:
    for what, path in (("TRESOR_BIN", TRESOR_BIN), ("BAO_BIN", BAO_BIN)):
        if not os.access(path, os.X_OK):
            pytest.fail(f"{what}={path} is not an executable file", pytrace=False)


@pytest.fixture
def servers(tmp_path):
    """Servers stopped at the end of the test."""
    _require_binaries()
    pool = ServerPool(tmp_path / "servers")
    yield pool
    pool.close()


@pytest.fixture(scope="module")
def module_servers(tmp_path_factory):
    """Servers shared by the tests of one module, stopped after the module."""
    _require_binaries()
    pool = ServerPool(tmp_path_factory.mktemp("servers"))
    yield pool
    pool.close()


@pytest.fixture(scope="module")
def tresor_dev(module_servers) -> Server:
    """A tresor dev server with root token "root"."""
    return module_servers.tresor_dev(root_token="root")


@pytest.fixture(scope="module")
def bao_dev(module_servers) -> Server:
    """A reference `bao server -dev` with root token "root"."""
    return module_servers.bao_dev(root_token="root")


@pytest.fixture
def bao_server(servers) -> Server:
    """A fresh reference OpenBao (non-dev, inmem, uninitialised)."""
    return servers.bao()


@pytest.fixture
def home(tmp_path) -> Path:
    """A private HOME for CLI calls that do not target a pool server's HOME."""
    h = tmp_path / "cli-home"
    h.mkdir(exist_ok=True)
    return h


# --------------------------------------------------------------------------------------
# Failure reports: attach server stderr
# --------------------------------------------------------------------------------------


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    item._e2e_started = time.monotonic()
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if not rep.failed:
        return
    since = getattr(item, "_e2e_started", 0.0)
    for s in list(_REGISTRY):
        relevant = s.alive or (s.stopped_at is not None and s.stopped_at >= since)
        if not relevant:
            continue
        try:
            err = s.stderr()
        except OSError:
            continue
        tail = err[-6000:]
        rep.sections.append(
            (f"{s.name} on {s.addr} (pid {s.proc.pid}) stderr [{s.stderr_path}]", tail or "(empty)")
        )


def keyset(obj: dict, ignore: Iterable[str] = VERSION_FIELDS) -> set[str]:
    assert isinstance(obj, dict), obj
    return set(obj) - set(ignore)


# --------------------------------------------------------------------------------------
# Side-by-side scenarios: the same requests to tresor and OpenBao, answers compared
# --------------------------------------------------------------------------------------

ROOT_TOKEN = "root"


def shape(value):
    """The JSON shape of a value: keys and types, recursively; values are not compared."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(v) for v in value[:1]]
    return type(value).__name__


def call(server, method, path, body=None, headers=None, token=ROOT_TOKEN):
    r = server.http(method, f"/v1/{path}", body=body, token=token, headers=headers)
    doc = r.json() if r.body.strip() else None
    return r.status, doc


def _fill(value, names: dict):
    if isinstance(value, str):
        for k, v in names.items():
            value = value.replace("{" + k + "}", str(v))
        return value
    if isinstance(value, dict):
        return {k: _fill(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, names) for v in value]
    return value


def _dig(doc, dotted: str):
    for part in dotted.split("."):
        doc = doc[part] if isinstance(doc, dict) else None
    return doc


def run_scenario(server, steps, mount):
    """Runs steps `(method, path, body, headers[, options])` in order. `{m}` is the mount
    name; options may `save` answer fields under a name (`{"save": {"t": "auth.client_token"}}`)
    used later as `{t}`, and give the `token` to send (a saved name or None)."""
    names = {"m": mount}
    out = []
    for step in steps:
        method, path, body, headers = step[:4]
        opts = step[4] if len(step) > 4 else {}
        token = opts.get("token", ROOT_TOKEN)
        token = names.get(token, token) if token else None
        status, doc = call(server, method, _fill(path, names), _fill(body, names), headers, token=token)
        for name, dotted in opts.get("save", {}).items():
            names[name] = _dig(doc, dotted) if doc else None
        out.append((status, doc))
    return out


def _comparable(doc):
    if not isinstance(doc, dict):
        return doc
    return shape({k: v for k, v in doc.items() if k not in ("request_id", "warnings")})


def compare_scenario(tresor, bao, steps, mount, known: dict | None = None):
    """Asserts both servers answer every step with the same status and JSON shape (error
    wording aside); `known` maps step indexes to documented differences."""
    known = known or {}
    ours, ref = run_scenario(tresor, steps, mount), run_scenario(bao, steps, mount)
    problems = []
    for i, (step, (ts, td), (bs, bd)) in enumerate(zip(steps, ours, ref)):
        if i in known:
            continue
        label = f"step {i}: {step[0]} {step[1]} {json.dumps(step[2]) if step[2] is not None else ''}"
        if ts != bs:
            problems.append(f"{label}\n  status tresor={ts} bao={bs}\n  tresor={td}\n  bao={bd}")
        elif _comparable(td) != _comparable(bd) and not (isinstance(td, dict) and "errors" in td):
            problems.append(f"{label}\n  shape differs\n  tresor={td}\n  bao={bd}")
    assert not problems, "\n\n".join(problems)


def unseal(server, keys) -> None:
    """Sends unseal keys until the server answers unsealed."""
    for key in keys:
        r = server.http("PUT", "/v1/sys/unseal", body={"key": key})
        assert r.status == 200, r
        if r.json()["sealed"] is False:
            return
    raise AssertionError(f"{server} still sealed after {len(keys)} keys")


def init_unseal(server, shares: int = 1, threshold: int = 1) -> dict:
    """`sys/init` of a new non-dev server, then unseals it; answers the init answer
    (`keys`, `root_token`)."""
    r = server.http("PUT", "/v1/sys/init", body={"secret_shares": shares, "secret_threshold": threshold})
    assert r.status == 200, r
    init = r.json()
    unseal(server, init["keys"][:threshold])
    return init


def wait_until(predicate, timeout: float, what: str, step: float = 0.2):
    """Polls `predicate` until it returns a true value (which it returns), failing after
    `timeout` seconds with `what`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {what}")
        time.sleep(step)


def ok(server, method: str, path: str, body=None, expect=(200, 204)):
    """`call` that must answer one of `expect`; the answer's body."""
    status, doc = call(server, method, path, body)
    assert status in expect, (server.name, method, path, body, status, doc)
    return doc


def envelope(doc: dict):
    """The shape of an answer without its per-request fields."""
    return shape({k: v for k, v in doc.items() if k not in ("request_id", "warnings")})


class Undo:
    """Clean-up actions run in reverse order at the end of a test; every action runs even
    if one fails, and failures are reported."""

    def __init__(self):
        self.actions = []

    def __call__(self, fn, *args, **kw):
        self.actions.append((fn, args, kw))

    def run(self) -> list[str]:
        failures = []
        for fn, args, kw in reversed(self.actions):
            try:
                fn(*args, **kw)
            except Exception as e:  # pragma: no cover - reported below
                failures.append(f"{getattr(fn, '__name__', fn)}{args}: {e!r}")
        self.actions.clear()
        return failures


@pytest.fixture
def undo():
    """Registers clean-up actions (`undo(fn, *args)`); the test fails if one fails."""
    u = Undo()
    yield u
    failures = u.run()
    assert not failures, "clean-up failed:\n" + "\n".join(failures)
