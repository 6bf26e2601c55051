"""The real `bao agent` and `bao proxy` against the server: AppRole auto-auth from files
(plain and response-wrapped secret IDs), a file token sink, a template rendering a KV v2
secret (and rendering it again when the secret changes), `exit_after_auth`, and the
proxy's API proxy adding its auto-auth token to requests that carry none.

Every scenario runs against tresor and, as the reference, against an OpenBao dev server:
a scenario that fails on tresor alone points at the server, not at the test. Each agent
or proxy runs with `-log-level=debug`; its log is part of every assertion message and is
printed when the test ends (shown for failing tests).
"""
from __future__ import annotations

from pathlib import Path

import hvac
import pytest

import agentkit
from agentkit import Agent, read_text
from conftest import LOOPBACK, call, free_port, http_request

WAIT = 20.0  # bound for anything the agent or proxy does on its own


# --------------------------------------------------------------------------------------
# The agent / proxy process
# --------------------------------------------------------------------------------------


@pytest.fixture
def daemons(tmp_path):
    """Starts `bao agent`/`bao proxy` processes; all are stopped (and their logs printed,
    which pytest shows for a failing test) at teardown."""
    started: list[Agent] = []

    def start(kind: str, config: str) -> Agent:
        d = Agent("bao", config, tmp_path / f"{len(started):02d}-{kind}", program=kind)
        started.append(d)
        return d

    yield start
    for d in started:
        d.stop()
        print(d.report())


def wait_for(pred, what: str, daemon: Agent, timeout: float = WAIT, need_alive: bool = True):
    return agentkit.wait_for(pred, what, daemon, timeout=timeout, need_alive=need_alive)


def auth_errors(daemon: Agent) -> list[str]:
    """The auth handler's error entries in the daemon's log (each with its indented lines)."""
    entries, current = [], None
    for line in daemon.log().splitlines():
        if line[:4].isdigit():  # a new log entry starts with its timestamp
            current = None
            if "[ERROR]" in line and ".auth.handler" in line:
                current = [line]
                entries.append(current)
        elif current is not None:
            current.append(line)
    return ["\n".join(e) for e in entries]


# --------------------------------------------------------------------------------------
# Server side: the two servers, an AppRole and a KV v2 secret
# --------------------------------------------------------------------------------------


@pytest.fixture
def server(request):
    """The server under test (tresor) or the reference (OpenBao), both `-dev`, root token `root`."""
    return request.getfixturevalue("tresor_dev" if request.param == "tresor" else "bao_dev")


BOTH = pytest.mark.parametrize("server", ["tresor", "openbao"], indirect=True)

def ok(status, doc, what):
    assert status in (200, 204), f"{what} -> {status} {doc}"
    return doc


def put_secret(server, path: str, password: str) -> None:
    ok(*call(server, "POST", f"secret/data/{path}", {"data": {"password": password}}), f"write {path}")


class AppRole:
    """An approle mount `mount` with role `web` whose tokens may read `secret/data/<path>`
    (and nothing else of `secret/`)."""

    def __init__(self, server, mount: str, path: str, workdir: Path):
        self.server, self.mount, self.path = server, mount, path
        self.policy = f"{mount}-read"
        ok(*call(server, "POST", f"sys/auth/{mount}", {"type": "approle"}), "enable approle")
        ok(*call(server, "PUT", f"sys/policies/acl/{self.policy}",
                 {"policy": f'path "secret/data/{path}" {{ capabilities = ["read"] }}'}), "policy")
        ok(*call(server, "POST", f"auth/{mount}/role/web",
                 {"token_policies": self.policy, "token_ttl": "10m", "token_max_ttl": "30m"}), "role")
        self.role_id = ok(*call(server, "GET", f"auth/{mount}/role/web/role-id"), "role-id")["data"]["role_id"]
        workdir.mkdir(parents=True, exist_ok=True)
        self.role_id_file = workdir / "role-id"
        self.role_id_file.write_text(self.role_id + "\n")
        self.secret_id_file = workdir / "secret-id"

    def new_secret_id(self) -> str:
        doc = ok(*call(self.server, "POST", f"auth/{self.mount}/role/web/secret-id", {}), "secret-id")
        return doc["data"]["secret_id"]

    def write_secret_id(self, wrapped: bool = False) -> dict:
        """Writes a fresh secret ID (or a wrapping token holding one) to the secret-id
        file; returns the answer of the secret-id endpoint."""
        if wrapped:
            doc = ok(*call(self.server, "POST", f"auth/{self.mount}/role/web/secret-id", {},
                           headers={"X-Vault-Wrap-TTL": "60s"}), "wrapped secret-id")
            assert doc.get("wrap_info", {}).get("token"), doc
            self.secret_id_file.write_text(doc["wrap_info"]["token"] + "\n")
        else:
            doc = ok(*call(self.server, "POST", f"auth/{self.mount}/role/web/secret-id", {}), "secret-id")
            self.secret_id_file.write_text(doc["data"]["secret_id"] + "\n")
        return doc

    def auto_auth(self, sink: Path | None, wrapping_path: str | None = None,
                  remove_after_reading: bool | None = False) -> str:
        extra = ""
        if remove_after_reading is not None:
            extra += f"      remove_secret_id_file_after_reading = {str(remove_after_reading).lower()}\n"
        if wrapping_path is not None:
            extra += f'      secret_id_response_wrapping_path = "{wrapping_path}"\n'
        sink_block = f'  sink "file" {{\n    config = {{\n      path = "{sink}"\n    }}\n  }}\n' if sink else ""
        return (
            "auto_auth {\n"
            '  method "approle" {\n'
            f'    mount_path = "auth/{self.mount}"\n'
            "    config = {\n"
            f'      role_id_file_path = "{self.role_id_file}"\n'
            f'      secret_id_file_path = "{self.secret_id_file}"\n'
            + extra
            + "    }\n  }\n"
            + sink_block
            + "}\n"
        )

    def assert_token(self, token: str, daemon: Agent) -> dict:
        """The token is a live AppRole token of role `web` with the role's policy."""
        try:
            data = hvac.Client(url=self.server.addr, token=token).auth.token.lookup_self()["data"]
        except Exception as e:  # hvac raises its own exception types
            raise AssertionError(f"lookup-self with the sink token failed: {e!r}{daemon.report()}")
        assert set(data["policies"]) == {"default", self.policy}, data
        assert data["path"] == f"auth/{self.mount}/login", data
        assert data["meta"] == {"role_name": "web"}, data
        return data


def vault_block(server) -> str:
    return f'vault {{\n  address = "{server.addr}"\n}}\n'


def mount_name(server, tag: str) -> str:
    # module-scoped servers are shared by the tests: a mount per test and parameter
    return f"{tag}-{'t' if 'tresor' in server.name else 'b'}"


# --------------------------------------------------------------------------------------
# Agent
# --------------------------------------------------------------------------------------


@BOTH
def test_agent_approle_sink_and_template(server, daemons, tmp_path):
    role = AppRole(server, mount_name(server, "ag"), "app", tmp_path / "creds")
    # `secret/data/app`: the agent tests that use it run one after the other
    put_secret(server, "app", "first-password")
    role.write_secret_id()
    sink, rendered = tmp_path / "token-sink", tmp_path / "rendered.txt"
    agent = daemons("agent", vault_block(server) + role.auto_auth(sink) + (
        "template_config {\n"
        '  static_secret_render_interval = "1s"\n'
        "}\n"
        "template {\n"
        '  contents = "{{ with secret \\"secret/data/app\\" }}{{ .Data.data.password }}{{ end }}"\n'
        f'  destination = "{rendered}"\n'
        "}\n"
    ))

    token = wait_for(lambda: (read_text(sink) or "").strip(), "token written to the sink", agent)
    role.assert_token(token, agent)
    assert role.secret_id_file.exists(), "remove_secret_id_file_after_reading = false kept the file"

    wait_for(lambda: read_text(rendered) == "first-password", "template rendered the secret", agent)

    put_secret(server, "app", "second-password")
    wait_for(lambda: read_text(rendered) == "second-password",
             "template rendered again after the secret changed", agent, timeout=15.0)
    assert agent.alive, agent.report()


@BOTH
def test_agent_exit_after_auth(server, daemons, tmp_path):
    role = AppRole(server, mount_name(server, "ex"), "app-exit", tmp_path / "creds")
    role.write_secret_id()
    sink = tmp_path / "token-sink"
    agent = daemons("agent", "exit_after_auth = true\n" + vault_block(server)
                    + role.auto_auth(sink, remove_after_reading=None))
    rc = agent.wait_exit(timeout=WAIT)
    assert rc == 0, f"agent exit status {rc}{agent.report()}"
    token = (read_text(sink) or "").strip()
    assert token, f"nothing in the sink{agent.report()}"
    role.assert_token(token, agent)
    # remove_secret_id_file_after_reading defaults to true
    assert not role.secret_id_file.exists(), agent.report()


@BOTH
def test_agent_unwraps_a_wrapped_secret_id(server, daemons, tmp_path):
    role = AppRole(server, mount_name(server, "wr"), "app-wrap", tmp_path / "creds")
    creation_path = f"auth/{role.mount}/role/web/secret-id"
    doc = role.write_secret_id(wrapped=True)
    assert doc["wrap_info"]["creation_path"] == creation_path, doc
    wrapping_token = doc["wrap_info"]["token"]
    sink = tmp_path / "token-sink"
    agent = daemons("agent", "exit_after_auth = true\n" + vault_block(server)
                    + role.auto_auth(sink, wrapping_path=creation_path))
    # the agent retries a failed authentication for ever: its first error ends the test
    wait_for(lambda: not agent.alive or auth_errors(agent), "the agent exited", agent, need_alive=False)
    assert not auth_errors(agent), f"the agent could not authenticate{agent.report()}"
    rc = agent.wait_exit(timeout=WAIT)
    assert rc == 0, f"agent exit status {rc}{agent.report()}"
    token = (read_text(sink) or "").strip()
    assert token, f"nothing in the sink{agent.report()}"
    role.assert_token(token, agent)
    # the agent unwrapped it: the wrapping token is spent
    status, answer = call(server, "POST", "sys/wrapping/lookup", {"token": wrapping_token}, token=None)
    assert status == 400, (status, answer)


@BOTH
def test_agent_refuses_a_wrapped_secret_id_from_another_path(server, daemons, tmp_path):
    """A wrapping token whose creation path is not the configured one is not unwrapped."""
    role = AppRole(server, mount_name(server, "wx"), "app-wrapx", tmp_path / "creds")
    # a wrapping token holding a secret ID, but created by sys/wrapping/wrap
    secret_id = role.new_secret_id()
    doc = ok(*call(server, "POST", "sys/wrapping/wrap", {"secret_id": secret_id},
                   headers={"X-Vault-Wrap-TTL": "60s"}), "wrap")
    assert doc["wrap_info"]["creation_path"] == "sys/wrapping/wrap", doc
    role.secret_id_file.write_text(doc["wrap_info"]["token"])
    sink = tmp_path / "token-sink"
    agent = daemons("agent", vault_block(server)
                    + role.auto_auth(sink, wrapping_path=f"auth/{role.mount}/role/web/secret-id"))
    refused = "unable to validate wrapping token creation path"
    errors = wait_for(lambda: auth_errors(agent), "the agent refused the wrapping token", agent)
    assert refused in errors[0], f"the agent failed otherwise{agent.report()}"
    assert not (read_text(sink) or "").strip(), agent.report()
    # the agent only looked it up: the wrapping token is still good
    status, answer = call(server, "POST", "sys/wrapping/lookup", {"token": doc["wrap_info"]["token"]}, token=None)
    assert status == 200, (status, answer)


# --------------------------------------------------------------------------------------
# Proxy
# --------------------------------------------------------------------------------------


@BOTH
def test_proxy_adds_the_auto_auth_token(server, daemons, tmp_path):
    role = AppRole(server, mount_name(server, "px"), "app-proxy", tmp_path / "creds")
    put_secret(server, "app-proxy", "proxied-password")
    role.write_secret_id()
    port = free_port()
    proxy_addr = f"http://{LOOPBACK}:{port}"
    sink = tmp_path / "token-sink"
    proxy = daemons("proxy", vault_block(server) + role.auto_auth(sink) + (
        "api_proxy {\n  use_auto_auth_token = true\n}\n"
        f'listener "tcp" {{\n  address = "{LOOPBACK}:{port}"\n  tls_disable = true\n}}\n'
    ))
    wait_for(lambda: (read_text(sink) or "").strip(), "proxy authenticated", proxy)

    def read_through_proxy():
        try:
            r = http_request(proxy_addr, "GET", "/v1/secret/data/app-proxy", timeout=5)
        except OSError:
            return None  # listener not up yet
        return r if r.status == 200 else None

    r = wait_for(read_through_proxy, "a token-less read through the proxy answered 200", proxy)
    assert r.json()["data"]["data"] == {"password": "proxied-password"}, r

    # the token added is the AppRole token: another secret is refused
    put_secret(server, "app-proxy-other", "nope")
    r = http_request(proxy_addr, "GET", "/v1/secret/data/app-proxy-other", timeout=5)
    assert r.status == 403, f"{r}{proxy.report()}"
    # a request's own token is passed through as it is
    r = http_request(proxy_addr, "GET", "/v1/secret/data/app-proxy-other", token="root", timeout=5)
    assert r.status == 200 and r.json()["data"]["data"] == {"password": "nope"}, f"{r}{proxy.report()}"
    # lookup-self through the proxy describes the auto-auth token (the proxy strips its
    # id and accessor from the answer)
    r = http_request(proxy_addr, "GET", "/v1/auth/token/lookup-self", timeout=5)
    assert r.status == 200, f"{r}{proxy.report()}"
    data = r.json()["data"]
    assert "id" not in data and "accessor" not in data, f"{r}{proxy.report()}"
    assert set(data["policies"]) == {"default", role.policy}, f"{r}{proxy.report()}"
    assert data["path"] == f"auth/{role.mount}/login" and data["meta"] == {"role_name": "web"}, data
