"""kill -9 of the server during init and during key rotation never leaves a store that
fails to open or to unseal; every acknowledged rotation survives."""
import json
import os
import random
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request

import pytest

TRESOR = os.environ.get("TRESOR_BIN", os.path.join(os.path.dirname(__file__), "../../target/debug/tresor"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(addr, method, path, body=None, token=None, timeout=10):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"{addr}/v1/{path}", data=data, method=method)
    if token:
        req.add_header("X-Vault-Token", token)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw = r.read()
            return r.status, (json.loads(raw) if raw.strip() else None)
    except urllib.error.HTTPError as e:
        raw = e.read()
        return e.code, (json.loads(raw) if raw.strip() else None)


class Server:
    def __init__(self, tmp_path, data_dir):
        self.port = free_port()
        self.addr = f"http://127.0.0.1:{self.port}"
        cfg = tmp_path / f"server-{self.port}.hcl"
        cfg.write_text(
            f'storage "file" {{ path = "{data_dir}" }}\n'
            f'listener "tcp" {{ address = "127.0.0.1:{self.port}" tls_disable = true }}\n'
            "disable_mlock = true\n"
        )
        self.log = open(tmp_path / f"server-{self.port}.log", "wb")
        self.proc = subprocess.Popen(
            [TRESOR, "server", f"-config={cfg}"], stdout=self.log, stderr=subprocess.STDOUT,
            env={**os.environ, "HOME": str(tmp_path)},
        )
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                call(self.addr, "GET", "sys/seal-status", timeout=1)
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"server exited with {self.proc.returncode}")
                time.sleep(0.02)
        raise RuntimeError("server did not start")

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self.log.close()


def unseal(addr, keys):
    status = None
    for k in keys:
        code, status = call(addr, "PUT", "sys/unseal", {"key": k})
        assert code == 200, status
    return status


def test_kill9_during_init_leaves_an_openable_store(tmp_path):
    rng = random.Random(7)
    for i in range(8):
        data = tmp_path / f"init-{i}"
        srv = Server(tmp_path, data)
        result = {}

        def do_init():
            try:
                result["answer"] = call(srv.addr, "PUT", "sys/init", {"secret_shares": 3, "secret_threshold": 2})
            except OSError:
                pass

        t = threading.Thread(target=do_init)
        t.start()
        time.sleep(rng.uniform(0, 0.03))
        srv.kill9()
        t.join(15)

        srv = Server(tmp_path, data)
        try:
            code, status = call(srv.addr, "GET", "sys/seal-status")
            assert code == 200 and status["sealed"] is True
            acked = result.get("answer")
            if acked and acked[0] == 200:
                assert status["initialized"] is True, "an acknowledged init survives"
                assert unseal(srv.addr, acked[1]["keys"][:2])["sealed"] is False
                code, _ = call(srv.addr, "GET", "auth/token/lookup-self", token=acked[1]["root_token"])
                assert code == 200
            elif not status["initialized"]:
                code, body = call(srv.addr, "PUT", "sys/init", {"secret_shares": 3, "secret_threshold": 2})
                assert code == 200
                assert unseal(srv.addr, body["keys"][1:])["sealed"] is False
        finally:
            srv.kill9()


def test_kill9_during_rotation_keeps_every_acknowledged_term(tmp_path):
    rng = random.Random(11)
    data = tmp_path / "rotate"
    srv = Server(tmp_path, data)
    code, init = call(srv.addr, "PUT", "sys/init", {"secret_shares": 3, "secret_threshold": 2})
    assert code == 200
    keys, root = init["keys"], init["root_token"]
    acked_term = 1
    for i in range(8):
        unseal(srv.addr, keys[i % 2: i % 2 + 2])
        stop = threading.Event()
        acked = []

        def rotate_loop():
            while not stop.is_set():
                try:
                    code, _ = call(srv.addr, "PUT", "sys/rotate", token=root, timeout=2)
                    if code == 204:
                        acked.append(1)
                except OSError:
                    return

        t = threading.Thread(target=rotate_loop)
        t.start()
        time.sleep(rng.uniform(0.01, 0.15))
        srv.kill9()
        stop.set()
        t.join(15)
        acked_term += len(acked)

        srv = Server(tmp_path, data)
        status = unseal(srv.addr, keys[:2])
        assert status["sealed"] is False, "the store unseals after a kill -9 during rotation"
        code, ks = call(srv.addr, "GET", "sys/key-status", token=root)
        assert code == 200
        assert ks["data"]["term"] >= acked_term, "no acknowledged rotation is lost"
        acked_term = ks["data"]["term"]
        code, _ = call(srv.addr, "GET", "auth/token/lookup-self", token=root)
        assert code == 200
    srv.kill9()
