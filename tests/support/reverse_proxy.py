"""A reverse proxy in front of a local service, standing in for what sits there in a cluster.

OpenShift puts routes (TLS, often with a certificate signed by the cluster's own authority)
and an auth proxy (401 for a token it does not know, 403 for one without access) in front of
S3 and the Model Registry. `ReverseProxy` does the same on 127.0.0.1, so tests can meet
those answers with the real clients. `certificate_authority` makes the certificates.
"""

from __future__ import annotations

import datetime
import http.client
import ipaddress
import ssl
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

# Headers that describe one connection, not the message: never forwarded.
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "expect", "upgrade", "te"}


@dataclass(frozen=True)
class Certificates:
    ca: Path  # what a client must trust: the CA bundle
    server: Path  # the server's certificate, signed by the CA
    key: Path  # the server's private key


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def certificate_authority(folder: Path) -> Certificates:
    """A self-signed CA, and a certificate for 127.0.0.1 and localhost signed by it."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key, server_key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    ca_name = _name("Jukebox test cluster CA")
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    server = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    files = Certificates(folder / "ca.pem", folder / "server.pem", folder / "server-key.pem")
    files.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files.server.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    files.key.write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


class ReverseProxy:
    """Forwards every request to `upstream` (http://host:port), on a free port of 127.0.0.1.

    certificates: serve HTTPS with them (else plain HTTP).
    tokens: act as the cluster's auth proxy: a request whose bearer token maps to True is
    forwarded, one mapping to False gets 403, any other (or none) 401. None: no check.
    upstream_host: send the upstream's own address as the Host header, as the cluster's auth
    proxy does (the local registry accepts only its own names); S3 needs the client's Host,
    which its signature covers.
    drop: headers recorded in `seen` but not forwarded (ones the local server does not know).
    Use as a context manager; `url` is its address; `seen` holds each request's headers.
    """

    def __init__(
        self,
        upstream: str,
        *,
        certificates: Certificates | None = None,
        tokens: dict[str, bool] | None = None,
        upstream_host: bool = False,
        drop: tuple[str, ...] = (),
    ) -> None:
        self.upstream = urlsplit(upstream)
        self.upstream_host = upstream_host
        self.tokens = tokens
        self.seen: list[dict[str, str]] = []
        self.drop = {name.lower() for name in (*HOP_BY_HOP, *drop)}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        scheme = "http"
        if certificates:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(certificates.server, certificates.key)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.server.server_port}"

    def __enter__(self) -> ReverseProxy:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def refusal(self, authorization: str | None) -> int | None:
        """The status the auth proxy answers instead of forwarding, or None to forward."""
        if self.tokens is None:
            return None
        scheme, _, token = (authorization or "").partition(" ")
        granted = self.tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        return None if granted else 403 if granted is False else 401

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Forward(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self) -> None:
                proxy.seen.append(dict(self.headers.items()))
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                refused = proxy.refusal(self.headers.get("Authorization"))
                if refused:
                    self._answer(refused, [("Content-Type", "text/plain")], b"Forbidden\n")
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() not in proxy.drop}
                if proxy.upstream_host:
                    headers = {k: v for k, v in headers.items() if k.lower() != "host"}
                    headers["Host"] = proxy.upstream.netloc
                upstream = http.client.HTTPConnection(
                    proxy.upstream.hostname, proxy.upstream.port, timeout=30
                )
                try:
                    upstream.request(self.command, self.path, body=body, headers=headers)
                    response = upstream.getresponse()
                    content = response.read()
                    kept = [
                        (k, v)
                        for k, v in response.getheaders()
                        if k.lower() not in HOP_BY_HOP | {"content-length"}
                    ]
                    length_header = response.getheader("Content-Length")
                    if self.command == "HEAD" and length_header is not None:
                        kept.append(("Content-Length", length_header))
                    self._answer(response.status, kept, content)
                finally:
                    upstream.close()

            def _answer(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                if self.command != "HEAD":
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = do_HEAD = _forward  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        return Forward
