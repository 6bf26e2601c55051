"""Helpers for the agent end-to-end tests (test_agent.py): the agent process (`tresor
agent` or the reference `bao agent`, started from the same configuration file), server-side
set-up (AppRole roles, KV secrets) and builders for Vault Agent configuration blocks.

`TRESOR_AGENT_CMD` (a shell-quoted command line, e.g. "/path/bao agent") replaces
`tresor agent` in the "tresor" role; it exists to prove the tests' scaffolding with two
reference agents and is not meant for regular runs.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from conftest import BAO_BIN, TRESOR_BIN, call, clean_env

WAIT = 15.0  # bound for anything an agent does on its own
STOP_TIMEOUT = 10.0
AGENT_KINDS = ("tresor", "bao")


def agent_command(kind: str, program: str = "agent") -> list[str]:
    if kind == "bao":
        return [BAO_BIN, program]
    override = os.environ.get("TRESOR_AGENT_CMD")
    return shlex.split(override) if override else [TRESOR_BIN, program]


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def read_text(path: Path) -> str | None:
    try:
        return Path(path).read_text()
    except OSError:
        return None


def read_bytes(path: Path) -> bytes | None:
    try:
        return Path(path).read_bytes()
    except OSError:
        return None


def file_mode(path: Path) -> int:
    return Path(path).stat().st_mode & 0o7777


# --------------------------------------------------------------------------------------
# The agent process
# --------------------------------------------------------------------------------------


class Agent:
    """One agent process: `<kind> agent -config=<workdir>/agent.<hcl|json> -log-level=debug`,
    run in `workdir` with a private HOME and no VAULT_* variables; stdout and stderr go to
    one log file. `program="proxy"` runs `bao proxy` instead."""

    def __init__(self, kind: str, config: str, workdir: Path, args=(), fmt: str = "hcl", dirs=(),
                 program: str = "agent"):
        self.kind = kind
        self.name = f"{kind} {program}"
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        for d in ("home", *dirs):
            (workdir / d).mkdir(exist_ok=True)
        self.config_path = workdir / f"agent.{fmt}"
        self.config_path.write_text(config)
        self.log_path = workdir / "agent.log"
        self.argv = agent_command(kind, program) + [f"-config={self.config_path}", "-log-level=debug", *args]
        self.started = time.monotonic()
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=clean_env(workdir / "home"),
                cwd=workdir,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def log(self) -> str:
        return read_text(self.log_path) or ""

    def report(self) -> str:
        state = "running" if self.alive else f"exited {self.proc.returncode}"
        return (
            f"\n--- {self.name} ({state}): {' '.join(self.argv)}\n--- config ---\n"
            f"{self.config_path.read_text()}\n--- log ---\n{self.log()[-12000:]}"
        )

    def wait_exit(self, timeout: float = WAIT) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"{self.name} still running after {timeout}s{self.report()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT) -> int:
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(sig)
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=timeout)
        return self.proc.returncode

    def kill_group(self) -> None:
        """Kills whatever is left in the agent's process group (it leads its own session)."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _kill_recorded_children(pid_file: Path) -> None:
    """Kills the processes whose pids a test child appended to `pid_file` (each child
    writes `$$` and then execs `sleep`): only if they still run `sleep`."""
    for line in (read_text(pid_file) or "").split():
        try:
            pid = int(line)
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (ValueError, OSError):
            continue
        if b"sleep" in cmdline:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


class Agents:
    """Starts agents for one test; `close()` stops them all, kills their process groups
    and any child recorded in a registered pid file, and prints their logs (shown by
    pytest for a failing test)."""

    def __init__(self, base: Path):
        self.base = base
        self.started: list[Agent] = []
        self.child_pid_files: list[Path] = []

    def start(self, kind: str, config: str, name: str | None = None, args=(), fmt: str = "hcl",
              dirs=()) -> Agent:
        """Starts an agent in a new work directory (with the subdirectories `dirs`)."""
        d = self.base / f"{len(self.started):02d}-{name or kind}"
        a = Agent(kind, config, d, args=args, fmt=fmt, dirs=dirs)
        self.started.append(a)
        return a

    def watch_children(self, pid_file: Path) -> None:
        self.child_pid_files.append(pid_file)

    def close(self) -> None:
        for a in self.started:
            try:
                a.stop()
            finally:
                a.kill_group()
        for f in self.child_pid_files:
            _kill_recorded_children(f)
        for a in self.started:
            print(a.report())


@pytest.fixture
def agents(tmp_path):
    pool = Agents(tmp_path / "agents")
    try:
        yield pool
    finally:
        pool.close()


def wait_for(pred, what: str, agent: Agent, timeout: float = WAIT, need_alive: bool = True, step: float = 0.1):
    """Polls `pred` until it returns something truthy; fails (with the agent's config and
    log) when the agent exits first or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        if need_alive and not agent.alive:
            raise AssertionError(f"{agent.name} exited before: {what}{agent.report()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {what}{agent.report()}")
        time.sleep(step)


# --------------------------------------------------------------------------------------
# Server side
# --------------------------------------------------------------------------------------


def ok(status, doc, what):
    assert status in (200, 204), f"{what} -> {status} {doc}"
    return doc


def put_kv2(server, path: str, data: dict) -> dict:
    return ok(*call(server, "POST", f"secret/data/{path}", {"data": data}), f"write secret/{path}")


def put_kv1(server, path: str, data: dict) -> None:
    ok(*call(server, "PUT", f"kv1/{path}", data), f"write kv1/{path}")


def ensure_kv1(server) -> None:
    """A KV version 1 mount at `kv1/` (the dev servers have KV v2 at `secret/`)."""
    status, doc = call(server, "GET", "sys/mounts")
    assert status == 200, doc
    mounts = doc.get("data", doc)
    if "kv1/" not in mounts:
        ok(*call(server, "POST", "sys/mounts/kv1", {"type": "kv", "options": {"version": "1"}}), "mount kv1")


def policy(server, name: str, paths: dict[str, list[str]]) -> str:
    hcl = "\n".join(f'path "{p}" {{ capabilities = {json.dumps(c)} }}' for p, c in paths.items())
    ok(*call(server, "PUT", f"sys/policies/acl/{name}", {"policy": hcl}), f"policy {name}")
    return name


def lookup_token(server, token: str) -> tuple[int, dict | None]:
    """`auth/token/lookup` of `token` with the root token."""
    return call(server, "POST", "auth/token/lookup", {"token": token})


class AppRole:
    """An approle mount `mount` with role `web` whose tokens have `policies`; its role ID
    and secret ID files live in `workdir`."""

    def __init__(self, server, mount: str, policies: list[str], workdir: Path,
                 token_ttl: str = "10m", token_max_ttl: str = "30m"):
        self.server, self.mount, self.policies = server, mount, policies
        ok(*call(server, "POST", f"sys/auth/{mount}", {"type": "approle"}), "enable approle")
        ok(*call(server, "POST", f"auth/{mount}/role/web",
                 {"token_policies": policies, "token_ttl": token_ttl, "token_max_ttl": token_max_ttl}), "role")
        self.role_id = ok(*call(server, "GET", f"auth/{mount}/role/web/role-id"), "role-id")["data"]["role_id"]
        workdir.mkdir(parents=True, exist_ok=True)
        self.role_id_file = workdir / "role-id"
        self.role_id_file.write_text(self.role_id + "\n")
        self.secret_id_file = workdir / "secret-id"
        doc = ok(*call(server, "POST", f"auth/{mount}/role/web/secret-id", {}), "secret-id")
        self.secret_id_file.write_text(doc["data"]["secret_id"] + "\n")

    def method_block(self, remove_after_reading: bool | None = None) -> str:
        extra = ""
        if remove_after_reading is not None:
            extra = f"      remove_secret_id_file_after_reading = {str(remove_after_reading).lower()}\n"
        return (
            '  method "approle" {\n'
            f'    mount_path = "auth/{self.mount}"\n'
            "    config = {\n"
            f'      role_id_file_path = "{self.role_id_file}"\n'
            f'      secret_id_file_path = "{self.secret_id_file}"\n'
            + extra
            + "    }\n  }\n"
        )

    def assert_token(self, token: str, agent: Agent | None = None) -> dict:
        """The token is a live token of this AppRole role."""
        status, doc = lookup_token(self.server, token)
        where = agent.report() if agent else ""
        assert status == 200, f"lookup of the agent's token -> {status} {doc}{where}"
        data = doc["data"]
        assert data["path"] == f"auth/{self.mount}/login", f"{data}{where}"
        assert set(data["policies"]) == {"default", *self.policies}, f"{data}{where}"
        assert data["meta"] == {"role_name": "web"}, f"{data}{where}"
        return data


# --------------------------------------------------------------------------------------
# Configuration blocks (HCL)
# --------------------------------------------------------------------------------------


def hcl_str(s: str) -> str:
    """An HCL quoted string (the tests keep `${` and `%{` out of their strings)."""
    assert "${" not in s and "%{" not in s, s
    return json.dumps(s)


def vault_block(server, num_retries: int | None = None) -> str:
    retry = f"  retry {{\n    num_retries = {num_retries}\n  }}\n" if num_retries is not None else ""
    return f'vault {{\n  address = "{server.addr}"\n{retry}}}\n'


def auto_auth(method: str, *sinks: str) -> str:
    return "auto_auth {\n" + method + "".join(sinks) + "}\n"


def token_file_method(path: Path) -> str:
    return f'  method "token_file" {{\n    config = {{\n      token_file_path = "{path}"\n    }}\n  }}\n'


def file_sink(path: Path, mode: str | None = None, wrap_ttl: str | None = None) -> str:
    mode_line = f"      mode = {mode}\n" if mode is not None else ""
    wrap_line = f'    wrap_ttl = "{wrap_ttl}"\n' if wrap_ttl else ""
    return (
        '  sink "file" {\n' + wrap_line
        + f'    config = {{\n      path = "{path}"\n{mode_line}    }}\n  }}\n'
    )


def template_config(interval: str = "1s", **extra) -> str:
    lines = [f'  static_secret_render_interval = "{interval}"']
    lines += [f"  {k} = {json.dumps(v)}" for k, v in extra.items()]
    return "template_config {\n" + "\n".join(lines) + "\n}\n"


def template(destination: Path, contents: str | None = None, source: Path | None = None, **extra) -> str:
    lines = [f'  destination = "{destination}"']
    if contents is not None:
        lines.append(f"  contents = {hcl_str(contents)}")
    if source is not None:
        lines.append(f'  source = "{source}"')
    lines += [f"  {k} = {json.dumps(v)}" for k, v in extra.items()]
    return "template {\n" + "\n".join(lines) + "\n}\n"


def kv2_field(path: str, field: str) -> str:
    """A template printing one field of a KV v2 secret `secret/<path>`."""
    return f'{{{{ with secret "secret/data/{path}" }}}}{{{{ .Data.data.{field} }}}}{{{{ end }}}}'


def kv1_field(path: str, field: str) -> str:
    return f'{{{{ with secret "kv1/{path}" }}}}{{{{ .Data.{field} }}}}{{{{ end }}}}'
