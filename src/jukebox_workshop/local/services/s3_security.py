"""SeaweedFS with its side doors shut: only the S3 API, with the generated keys, reads or writes.

`weed server` opens more than the S3 port. Left as they are, its master hands out tokens
to read or overwrite any stored chunk, its filer lists, serves, accepts and deletes files
without a key, its volume server serves chunks by id, and its gRPC ports take any client;
the filer also answers `Access-Control-Allow-Origin: *`. So, at every start:

- `-disableHttp` turns off the master's and the filer's HTTP APIs (the master keeps a
  read-only status page, `/healthz` and `/readyz`);
- `security.toml` sets JWT keys, so the volume server reads and writes only with a token the
  master signs (it hands them out over gRPC only), and the filer's API, IAM included, wants
  one too;
- every gRPC port requires a client certificate signed by a CA made for this start (mutual
  TLS), which only weed itself holds;
- cross-origin requests are allowed from the S3 endpoint's own origin only, never `*`.

Keys and certificates are new at each start and live in `<state>/s3/config/` (mode 0600).

SeaweedFS has no check of the Host header. The S3 API does not need one: a request must be
signed, Host included, with the keys, which a page that points a name at 127.0.0.1 does not
have. What still answers without a key holds no data: the master's status page and the
health checks, and the volume server's `/status` (disk use and volume ids); the volume
server also always answers `Access-Control-Allow-Origin: *`, with nothing to read behind it.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import secrets
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from jukebox_workshop.local.service import write_private
from jukebox_workshop.settings import LOOPBACK

# The components of `weed server`, and `client` for the calls they make to each other.
GRPC_COMPONENTS = ("master", "volume", "filer", "s3", "client")
# The certificates are made anew at each start; this only has to outlast a running server.
VALIDITY = datetime.timedelta(days=3650)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(
    subject: str, issuer: str, public_key, signing_key, *, authority: bool
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=authority, path_length=None), critical=True)
    )
    if not authority:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(LOOPBACK))]
            ),
            critical=False,
        ).add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
    return builder.sign(signing_key, hashes.SHA256())


def _pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def write_certificates(folder: Path) -> dict[str, Path]:
    """A CA (its key is not kept) and one certificate for every component: their files."""
    authority_key = ec.generate_private_key(ec.SECP256R1())
    authority = _certificate(
        "jukebox local CA",
        "jukebox local CA",
        authority_key.public_key(),
        authority_key,
        authority=True,
    )
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = _certificate(
        "jukebox weed", "jukebox local CA", key.public_key(), authority_key, authority=False
    )
    files = {"ca": folder / "ca.crt", "cert": folder / "weed.crt", "key": folder / "weed.key"}
    write_private(files["ca"], _pem(authority))
    write_private(files["cert"], _pem(certificate))
    write_private(
        files["key"],
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode(),
    )
    return files


def security_toml(origin: str, files: dict[str, Path]) -> str:
    """weed's security.toml: JWT keys, no volume UI, one allowed origin, mutual TLS."""

    def quoted(value: str | Path) -> str:
        return json.dumps(str(value))

    lines = []
    for section in (
        "jwt.signing",
        "jwt.signing.read",
        "jwt.filer_signing",
        "jwt.filer_signing.read",
    ):
        lines += [f"[{section}]", f"key = {quoted(secrets.token_urlsafe(32))}", ""]
    lines += ["[access]", "ui = false", ""]
    lines += ["[cors.allowed_origins]", f"values = {quoted(origin)}", ""]
    lines += ["[grpc]", f"ca = {quoted(files['ca'])}", ""]
    for component in GRPC_COMPONENTS:
        lines += [f"[grpc.{component}]", f"cert = {quoted(files['cert'])}"]
        lines += [f"key = {quoted(files['key'])}", ""]
    return "\n".join(lines)


def write_security(config: Path, origin: str) -> Path:
    """New keys and certificates in weed's configuration folder; return its security.toml."""
    files = write_certificates(config / "tls")
    path = config / "security.toml"
    write_private(path, security_toml(origin, files))
    return path


def flags(origin: str) -> list[str]:
    """The `weed server` flags that go with security.toml."""
    return ["-disableHttp", f"-s3.allowedOrigins={origin}", f"-filer.allowedOrigins={origin}"]
