"""Helpers shared by the auth-method tests (kubernetes, jwt, cert, ldap): keys,
certificates and CRLs made with `cryptography`, JWTs signed with PyJWT, small HTTP(S)
servers on loopback answering from a Python function, servers with a TLS listener
(tresor or OpenBao, initialised and unsealed through the API), and side-by-side
comparison of answers.
"""
from __future__ import annotations

import base64
import datetime as dt
import http.server
import ipaddress
import json
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import hvac
import jwt as pyjwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from conftest import (
    BAO_BIN, LOOPBACK, START_TIMEOUT, TRESOR_BIN, Server, ServerPool, clean_env, free_port, shape,
)

UTC = dt.timezone.utc


# --------------------------------------------------------------------------------------
# Keys and certificates
# --------------------------------------------------------------------------------------


def rsa_key(bits: int = 2048):
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def ec_key(curve=None):
    return ec.generate_private_key(curve or ec.SECP256R1())


def public_pem(key) -> str:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def private_pem(key) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@dataclass
class Issued:
    """A certificate and its private key."""

    cert: x509.Certificate
    key: object

    @property
    def pem(self) -> str:
        return self.cert.public_bytes(serialization.Encoding.PEM).decode()

    @property
    def key_pem(self) -> str:
        return private_pem(self.key)

    @property
    def serial(self) -> int:
        return self.cert.serial_number

    def serial_colons(self) -> str:
        """The serial as Vault's metadata shows it (hex pairs joined by colons)."""
        h = format(self.serial, "x")
        h = "0" * (len(h) % 2) + h
        return ":".join(h[i : i + 2] for i in range(0, len(h), 2))

    def write(self, directory: Path, name: str) -> tuple[Path, Path]:
        directory.mkdir(parents=True, exist_ok=True)
        cert, key = directory / f"{name}.pem", directory / f"{name}.key"
        cert.write_text(self.pem)
        key.write_text(self.key_pem)
        key.chmod(0o600)
        return cert, key


def _name(cn: str, ou: str | None = None, org: str | None = None) -> x509.Name:
    attrs = []
    if org:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    if ou:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attrs)


def _validity(builder, days: float, not_before: dt.datetime | None):
    start = not_before or (dt.datetime.now(UTC) - dt.timedelta(minutes=5))
    return builder.not_valid_before(start).not_valid_after(start + dt.timedelta(days=days))


def make_ca(cn: str, issuer: Issued | None = None, key=None, days: float = 2) -> Issued:
    """A CA certificate: self-signed, or an intermediate signed by `issuer`."""
    key = key or ec_key()
    subject = _name(cn)
    b = x509.CertificateBuilder().subject_name(subject)
    b = b.issuer_name(issuer.cert.subject if issuer else subject)
    b = _validity(b.public_key(key.public_key()).serial_number(x509.random_serial_number()), days, None)
    b = b.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    b = b.add_extension(
        x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                      data_encipherment=False, key_agreement=False, key_cert_sign=True,
                      crl_sign=True, encipher_only=False, decipher_only=False),
        critical=True,
    )
    b = b.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    if issuer:
        b = b.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False
        )
    cert = b.sign(issuer.key if issuer else key, hashes.SHA256())
    return Issued(cert, key)


def make_leaf(
    issuer: Issued | None,
    cn: str,
    *,
    dns: tuple[str, ...] = (),
    ips: tuple[str, ...] = (),
    emails: tuple[str, ...] = (),
    uris: tuple[str, ...] = (),
    ou: str | None = None,
    client: bool = True,
    server: bool = False,
    days: float = 1,
    not_before: dt.datetime | None = None,
    key=None,
) -> Issued:
    """A leaf certificate signed by `issuer` (self-signed when None)."""
    key = key or ec_key()
    subject = _name(cn, ou=ou)
    b = x509.CertificateBuilder().subject_name(subject)
    b = b.issuer_name(issuer.cert.subject if issuer else subject)
    b = _validity(b.public_key(key.public_key()).serial_number(x509.random_serial_number()), days, not_before)
    b = b.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
    sans: list[x509.GeneralName] = [x509.DNSName(d) for d in dns]
    sans += [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    sans += [x509.RFC822Name(e) for e in emails]
    sans += [x509.UniformResourceIdentifier(u) for u in uris]
    if sans:
        b = b.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    usages = ([ExtendedKeyUsageOID.CLIENT_AUTH] if client else []) + (
        [ExtendedKeyUsageOID.SERVER_AUTH] if server else []
    )
    b = b.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
    b = b.add_extension(
        x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                      data_encipherment=False, key_agreement=False, key_cert_sign=False,
                      crl_sign=False, encipher_only=False, decipher_only=False),
        critical=True,
    )
    b = b.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    signer = issuer.key if issuer else key
    b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), critical=False)
    return Issued(b.sign(signer, hashes.SHA256()), key)


def server_cert(issuer: Issued) -> Issued:
    """A TLS server certificate for 127.0.0.1 and localhost."""
    return make_leaf(issuer, "localhost", dns=("localhost",), ips=(LOOPBACK,), client=False, server=True)


def make_crl(issuer: Issued, serials: list[int]) -> str:
    """A PEM CRL signed by `issuer` revoking `serials`."""
    now = dt.datetime.now(UTC)
    b = x509.CertificateRevocationListBuilder().issuer_name(issuer.cert.subject)
    b = b.last_update(now - dt.timedelta(minutes=5)).next_update(now + dt.timedelta(days=1))
    for s in serials:
        b = b.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(s).revocation_date(now - dt.timedelta(minutes=1)).build()
        )
    b = b.add_extension(x509.CRLNumber(1), critical=False)
    return b.sign(issuer.key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()


# --------------------------------------------------------------------------------------
# JWTs
# --------------------------------------------------------------------------------------


def sign_jwt(key, claims: dict, alg: str, kid: str | None = None, headers: dict | None = None) -> str:
    hdrs = dict(headers or {})
    if kid is not None:
        hdrs["kid"] = kid
    return pyjwt.encode(claims, key, algorithm=alg, headers=hdrs or None)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned_jwt(claims: dict, alg: str = "none", signature: bytes = b"") -> str:
    """A token with header `{"alg": alg}` and the given (fake) signature."""
    header = _b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    return f"{header}.{_b64(json.dumps(claims).encode())}.{_b64(signature)}"


def tamper(token: str) -> str:
    """The token with one claim changed and the original signature kept."""
    h, p, s = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
    claims["tampered"] = True
    return f"{h}.{_b64(json.dumps(claims).encode())}.{s}"


def jwk(key, kid: str, alg: str) -> dict:
    """The public JWK of a private key."""
    pub = key.public_key()
    if isinstance(pub, rsa.RSAPublicKey):
        d = pyjwt.algorithms.RSAAlgorithm.to_jwk(pub, as_dict=True)
    else:
        d = pyjwt.algorithms.ECAlgorithm.to_jwk(pub, as_dict=True)
    d.update({"kid": kid, "alg": alg, "use": "sig"})
    return d


def now() -> int:
    return int(time.time())


# --------------------------------------------------------------------------------------
# A loopback HTTP(S) server answering from a function
# --------------------------------------------------------------------------------------


@dataclass
class Seen:
    method: str
    path: str
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body) if self.body else None


Handler = Callable[[Seen], "tuple[int, object]"]


class LoopbackServer:
    """An HTTP server on 127.0.0.1 (TLS with `tls=(cert_path, key_path)`) whose answers
    come from `handler(seen) -> (status, body)`, the body a dict (sent as JSON) or bytes.
    Every request is recorded in `seen`."""

    def __init__(self, handler: Handler, tls: tuple[Path, Path] | None = None):
        self.handler = handler
        self.seen: list[Seen] = []
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                seen = Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                outer.seen.append(seen)
                try:
                    status, answer = outer.handler(seen)
                except Exception as e:  # pragma: no cover - diagnostic
                    status, answer = 500, {"error": repr(e)}
                data = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = _serve

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer((LOOPBACK, 0), H)
        self.httpd.daemon_threads = True
        scheme = "http"
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(str(tls[0]), str(tls[1]))
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
            scheme = "https"
        self.port = self.httpd.server_address[1]
        self.url = f"{scheme}://{LOOPBACK}:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def requests_to(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path.split("?")[0] == path]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# --------------------------------------------------------------------------------------
# Servers with a TLS listener
# --------------------------------------------------------------------------------------


def _wait_tls(server: Server, ca: Path, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    ctx = ssl.create_default_context(cafile=str(ca))
    while True:
        if not server.alive:
            raise RuntimeError(f"{server.name} exited:\n{server.stderr()[-4000:]}")
        try:
            with socket.create_connection((LOOPBACK, server.port), timeout=1) as s:
                with ctx.wrap_socket(s, server_hostname=LOOPBACK):
                    return
        except (OSError, ssl.SSLError):
            if time.monotonic() > deadline:
                server.stop()
                raise RuntimeError(f"{server.name} has no TLS listener:\n{server.stderr()[-4000:]}")
            time.sleep(0.05)


def start_tls_server(pool: ServerPool, kind: str, cert: Path, key: Path, ca: Path) -> Server:
    """A tresor (`kind="tresor"`) or OpenBao (`"bao"`) server with inmem storage and a
    TLS listener, initialised (one key share) and unsealed; `server.root_token` is its
    root token, `server.addr` its https address, `server.ca` the CA of its certificate."""
    port = free_port()
    d = pool._dir(f"{kind}-tls")
    listener = (
        f'listener "tcp" {{\n  address = "{LOOPBACK}:{port}"\n'
        f'  tls_cert_file = "{cert}"\n  tls_key_file = "{key}"\n'
    )
    if kind == "bao":
        cluster = free_port()
        listener += f'  cluster_address = "{LOOPBACK}:{cluster}"\n'
    listener += "}\n"
    cfg = d / f"{kind}.hcl"
    text = 'storage "inmem" {}\n' + listener + "disable_mlock = true\n"
    if kind == "bao":
        text += f'api_addr = "https://{LOOPBACK}:{port}"\ncluster_addr = "https://{LOOPBACK}:{cluster}"\n'
    cfg.write_text(text)
    binary = TRESOR_BIN if kind == "tresor" else BAO_BIN
    server = pool._start(kind + "-tls", [binary, "server", f"-config={cfg}"], d, port,
                         clean_env(d / "home"), wait=False)
    server.addr = f"https://{LOOPBACK}:{port}"
    server.ca = ca
    _wait_tls(server, ca)
    client = hvac.Client(url=server.addr, verify=str(ca))
    init = client.sys.initialize(1, 1)
    client.sys.submit_unseal_keys(init["keys"])
    deadline = time.monotonic() + START_TIMEOUT
    while not _active(client):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{kind} did not become active:\n{server.stderr()[-4000:]}")
        time.sleep(0.05)
    server.root_token = init["root_token"]
    return server


def _active(client: hvac.Client) -> bool:
    try:
        return client.sys.read_health_status(method="GET").get("sealed") is False
    except Exception:
        return False


# --------------------------------------------------------------------------------------
# Comparing answers
# --------------------------------------------------------------------------------------


def comparable(doc, drop: tuple[str, ...] = ("request_id", "warnings")):
    """The JSON shape of an answer without its request id and warnings."""
    if not isinstance(doc, dict):
        return doc
    return shape({k: v for k, v in doc.items() if k not in drop})


_HVAC_STATUS = {
    hvac.exceptions.InvalidRequest: 400, hvac.exceptions.Unauthorized: 401,
    hvac.exceptions.Forbidden: 403, hvac.exceptions.InvalidPath: 404,
    hvac.exceptions.InternalServerError: 500,
}


def hvac_error(exc: Exception) -> tuple[int, list]:
    """The status (from hvac's exception class) and `errors` of an hvac exception."""
    return _HVAC_STATUS.get(type(exc), 0), list(getattr(exc, "errors", None) or [])


def tls_call(server: Server, method: str, path: str, body=None, token: str | None = None,
             cert: tuple[Path, Path] | None = None) -> tuple[int, object]:
    """One request to a TLS server (optionally presenting a client certificate):
    status and JSON body (None when empty)."""
    import requests

    headers = {"X-Vault-Token": token} if token else {}
    with requests.Session() as s:
        r = s.request(method, f"{server.addr}/v1/{path}", json=body, headers=headers,
                      verify=str(server.ca), cert=tuple(str(p) for p in cert) if cert else None,
                      timeout=15)
    return r.status_code, (r.json() if r.content.strip() else None)
