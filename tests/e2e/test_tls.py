"""The TLS listener: rustls with a PEM certificate, clients verifying it through
VAULT_CACERT / hvac's verify, and tls_min_version enforced."""
import os
import socket
import ssl
import subprocess
import time

import hvac
import pytest

TRESOR = os.environ.get("TRESOR_BIN", os.path.join(os.path.dirname(__file__), "../../target/debug/tresor"))
BAO = os.environ.get("BAO_BIN", os.path.join(os.path.dirname(__file__), "../../.venv/bin/bao"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    d = tmp_path_factory.mktemp("tls")

    def run(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=d)

    # A CA and a server certificate it signs, as an operator would set up.
    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=tresor test CA")
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", "key.pem", "-out", "server.csr", "-subj", "/CN=localhost")
    (d / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "cert.pem", "-days", "2", "-extfile", "ext.cnf")
    return d


def start(tmp_path, certs, min_version):
    port = free_port()
    cfg = tmp_path / f"tls-{min_version}.hcl"
    cfg.write_text(
        'storage "inmem" {}\n'
        f'listener "tcp" {{\n  address = "127.0.0.1:{port}"\n'
        f'  tls_cert_file = "{certs / "cert.pem"}"\n  tls_key_file = "{certs / "key.pem"}"\n'
        f'  tls_min_version = "{min_version}"\n}}\n'
        "disable_mlock = true\n"
    )
    proc = subprocess.Popen([TRESOR, "server", f"-config={cfg}"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env={**os.environ, "HOME": str(tmp_path)})
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, f"https://127.0.0.1:{port}", port
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(proc.stderr.read().decode())
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("server did not start")


@pytest.fixture
def tls_server(tmp_path, certs):
    proc, addr, port = start(tmp_path, certs, "tls12")
    yield addr, port
    proc.terminate()
    proc.wait(10)


def test_clients_verify_the_certificate(tls_server, certs, tmp_path):
    addr, _ = tls_server
    client = hvac.Client(url=addr, verify=str(certs / "ca.pem"))
    assert client.sys.is_initialized() is False
    init = client.sys.initialize(1, 1)
    client.sys.submit_unseal_keys(init["keys"])
    env = {**os.environ, "HOME": str(tmp_path), "VAULT_ADDR": addr, "VAULT_CACERT": str(certs / "ca.pem")}
    env.pop("VAULT_SKIP_VERIFY", None)
    assert subprocess.run([BAO, "status"], env=env, capture_output=True).returncode == 0
    # Without the CA, verification fails: a local error, exit 1.
    env.pop("VAULT_CACERT")
    assert subprocess.run([BAO, "status"], env=env, capture_output=True).returncode == 1
    env["VAULT_SKIP_VERIFY"] = "true"
    assert subprocess.run([BAO, "status"], env=env, capture_output=True).returncode == 0
    env = {**env, "VAULT_CACERT": str(certs / "ca.pem")}
    env.pop("VAULT_SKIP_VERIFY")
    assert subprocess.run([TRESOR, "status"], env=env, capture_output=True).returncode == 0


def test_plain_http_to_a_tls_listener_gets_no_api(tls_server):
    _, port = tls_server
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"GET /v1/sys/health HTTP/1.1\r\nHost: x\r\n\r\n")
        s.settimeout(5)
        try:
            data = s.recv(100)
        except (ConnectionResetError, socket.timeout):
            data = b""
        assert b"200 OK" not in data


def test_tls_min_version_is_enforced(tmp_path, certs):
    proc, _, port = start(tmp_path, certs, "tls13")
    try:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(str(certs / "ca.pem"))
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        with pytest.raises(ssl.SSLError):
            with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                with ctx.wrap_socket(s, server_hostname="127.0.0.1"):
                    pass
        ctx13 = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx13.load_verify_locations(str(certs / "ca.pem"))
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            with ctx13.wrap_socket(s, server_hostname="127.0.0.1") as tls:
                assert tls.version() == "TLSv1.3"
    finally:
        proc.terminate()
        proc.wait(10)
