"""Throwaway TLS material for the fake: a CA, a server certificate for 127.0.0.1 and localhost,
and RSA client certificates for apps that authenticate with a certificate.

Why a CA rather than one self-signed leaf: clients are pointed at `ca_bundle` through
REQUESTS_CA_BUNDLE / SSL_CERT_FILE exactly as they would trust a corporate proxy CA, and the
server certificate is an ordinary leaf with subjectAltName entries, which is what `requests`,
`httpx` and `ssl` verify. EC P-256 keys keep generation to a few milliseconds; everything is
made once per process (per test session) and cached, because nothing in it is secret.

Client certificates must be RSA: the identity platform accepts RS256 and PS256 assertions only,
and msal signs with PS256 when it knows the certificate (SHA-256 thumbprint) and RS256 when it is
given a SHA-1 thumbprint.
"""

from __future__ import annotations

import datetime
import functools
import ipaddress
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class TlsMaterial:
    """Paths of the CA bundle (what clients trust) and of the server's certificate and key."""

    ca_bundle: Path
    server_cert: Path
    server_key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(self.server_cert), str(self.server_key))
        return context


@dataclass(frozen=True)
class ClientCertificate:
    """An app credential: the PEM private key and certificate, and the thumbprints msal sends."""

    private_key_pem: str
    certificate_pem: str
    sha1_thumbprint: str
    sha256_thumbprint: str


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _validity(builder: x509.CertificateBuilder) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return builder.not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(
        now + datetime.timedelta(days=30)
    )


@functools.cache
def tls_material() -> TlsMaterial:
    """The CA and server certificate of this process, written once into a temporary folder."""
    folder = Path(tempfile.mkdtemp(prefix="fake-graph-tls-"))
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("Fake Graph Test CA")
    ca_cert = (
        _validity(x509.CertificateBuilder())
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = (
        _validity(x509.CertificateBuilder())
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.DNSName("localhost"),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_bundle = folder / "ca.pem"
    ca_bundle.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert_path = folder / "server.pem"
    cert_path.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    key_path = folder / "server-key.pem"
    key_path.write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return TlsMaterial(ca_bundle=ca_bundle, server_cert=cert_path, server_key=key_path)


@functools.cache
def _rsa_key(slot: int) -> rsa.RSAPrivateKey:
    """RSA generation costs tens of milliseconds: a few keys per process are plenty."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def client_certificate(subject: str = "tandem-test-app", slot: int = 0) -> ClientCertificate:
    """A self-signed RSA certificate an app registration can hold, as the Entra portal accepts."""
    key = _rsa_key(slot)
    cert = (
        _validity(x509.CertificateBuilder())
        .subject_name(_name(subject))
        .issuer_name(_name(subject))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .sign(key, hashes.SHA256())
    )
    return ClientCertificate(
        private_key_pem=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode(),
        certificate_pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
        sha1_thumbprint=cert.fingerprint(hashes.SHA1()).hex().upper(),
        sha256_thumbprint=cert.fingerprint(hashes.SHA256()).hex().upper(),
    )
