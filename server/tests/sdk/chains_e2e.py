"""Chains as real tools make them, merged through the official Azure SDK for
Python. Run by server/tests/python_sdk.rs:

    python chains_e2e.py roots DIR
        makes the roots (openssl's default EC root, an RSA root self-signed
        with SHA-1 as old public roots are, and a root made with the
        `cryptography` package with basicConstraints only) and DIR/anchors.pem;
    python chains_e2e.py merge VAULT_URL TLS_CERT DIR LEVEL
        creates one Unknown-issuer certificate per chain, makes the chain for
        its CSR with the tool, merges it, and checks the answer: at the
        `service` level every chain for the request's key is accepted, as the
        live service accepts it; at the `verified` level each is accepted
        exactly when `openssl verify -CAfile DIR/anchors.pem` accepts it. A
        leaf for another key is refused at every level.
"""
import datetime
import os
import subprocess
import sys
import tempfile
import time

from azure.core.credentials import AccessToken
from azure.core.exceptions import HttpResponseError
from azure.keyvault.certificates import CertificateClient, CertificatePolicy, WellKnownIssuerNames
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


class StaticCredential:
    def get_token(self, *scopes, **kwargs):
        return AccessToken("chains-token", int(time.time()) + 3600)


def openssl(*args):
    return subprocess.run(["openssl", *args], check=True, capture_output=True, text=True)


def make_roots(directory):
    os.makedirs(directory, exist_ok=True)
    path = lambda name: os.path.join(directory, name)
    # openssl's defaults: an EC root with the config's v3_ca extensions.
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-keyout", path("openssl.key"),
            "-out", path("openssl.pem"), "-subj", "/CN=OpenSSL Root", "-nodes", "-days", "3650")
    # An RSA root whose own signature is SHA-1.
    openssl("req", "-x509", "-sha1", "-newkey", "rsa:2048", "-keyout", path("sha1.key"), "-out", path("sha1.pem"),
            "-subj", "/CN=Old SHA-1 Root", "-nodes", "-days", "3650")
    # The `cryptography` package's plain way: basicConstraints and nothing else.
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Cryptography Root")])
    now = datetime.datetime.now(datetime.timezone.utc)
    root = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    with open(path("cryptography.pem"), "wb") as f:
        f.write(root.public_bytes(serialization.Encoding.PEM))
    with open(path("cryptography.key"), "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    with open(path("anchors.pem"), "wb") as out:
        for root_name in ("openssl.pem", "sha1.pem", "cryptography.pem"):
            with open(path(root_name), "rb") as f:
                out.write(f.read())


def read(path):
    with open(path, "rb") as f:
        return f.read()


def der_of(pem):
    return x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)


def openssl_leaf(directory, csr_der, root, work):
    """`openssl x509 -req` with its defaults: a version 1 certificate."""
    csr_path, leaf_path = os.path.join(work, "req.der"), os.path.join(work, "leaf.pem")
    with open(csr_path, "wb") as f:
        f.write(csr_der)
    openssl("x509", "-req", "-inform", "DER", "-in", csr_path, "-CA", os.path.join(directory, root + ".pem"),
            "-CAkey", os.path.join(directory, root + ".key"), "-CAcreateserial", "-CAserial",
            os.path.join(work, "serial"), "-sha256", "-days", "30", "-out", leaf_path)
    return read(leaf_path)


def cryptography_leaf(directory, public_key, not_before=None):
    """A leaf with no extensions at all, as the plain `cryptography` sample makes one."""
    root = x509.load_pem_x509_certificate(read(os.path.join(directory, "cryptography.pem")))
    key = serialization.load_pem_private_key(read(os.path.join(directory, "cryptography.key")), password=None)
    now = datetime.datetime.now(datetime.timezone.utc)
    start = not_before or now - datetime.timedelta(minutes=5)
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cryptography leaf")]))
        .issuer_name(root.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return leaf.public_bytes(serialization.Encoding.PEM)


def openssl_verifies(directory, chain_pems, work):
    leaf_path, rest_path = os.path.join(work, "verify-leaf.pem"), os.path.join(work, "verify-rest.pem")
    with open(leaf_path, "wb") as f:
        f.write(chain_pems[0])
    args = ["verify", "-CAfile", os.path.join(directory, "anchors.pem")]
    if len(chain_pems) > 1:
        with open(rest_path, "wb") as f:
            f.write(b"".join(chain_pems[1:]))
        args += ["-untrusted", rest_path]
    result = subprocess.run(["openssl", *args, leaf_path], capture_output=True, text=True)
    return result.returncode == 0


def merge_chains(vault_url, cert_path, directory, level):
    client = CertificateClient(vault_url, StaticCredential(), verify_challenge_resource=False,
                               connection_verify=cert_path)
    work = tempfile.mkdtemp()
    policy = CertificatePolicy(issuer_name=WellKnownIssuerNames.unknown, subject="CN=chain.example")
    root = lambda name: read(os.path.join(directory, name + ".pem"))
    later = datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc)
    # (name, chain builder from the CSR, as PEM texts; whether to send the
    # PEM text itself as each element; what openssl verify must say).
    cases = [
        ("openssl-v1", lambda csr: [openssl_leaf(directory, csr.public_bytes(serialization.Encoding.DER), "openssl", work), root("openssl")], False, True),
        ("cryptography-plain", lambda csr: [cryptography_leaf(directory, csr.public_key()), root("cryptography")], False, True),
        ("sha1-root", lambda csr: [openssl_leaf(directory, csr.public_bytes(serialization.Encoding.DER), "sha1", work), root("sha1")], False, True),
        ("leaf-only", lambda csr: [openssl_leaf(directory, csr.public_bytes(serialization.Encoding.DER), "openssl", work)], False, True),
        ("not-yet-valid", lambda csr: [cryptography_leaf(directory, csr.public_key(), later), root("cryptography")], False, False),
        ("pem-text-elements", lambda csr: [openssl_leaf(directory, csr.public_bytes(serialization.Encoding.DER), "openssl", work), root("openssl")], True, True),
    ]
    results = []
    for index, (label, build, as_text, openssl_expected) in enumerate(cases):
        name = f"{level}-{label}"
        operation = client.begin_create_certificate(name, policy).result()
        csr = x509.load_der_x509_csr(operation.csr)
        pems = build(csr)
        verdict = openssl_verifies(directory, pems, work)
        assert verdict == openssl_expected, f"{label}: openssl verify says {verdict}"
        elements = pems if as_text else [der_of(p) for p in pems]
        try:
            merged = client.merge_certificate(name, elements)
            accepted = True
            assert merged.cer == der_of(pems[0]), f"{label}: cer is not the leaf's DER"
        except HttpResponseError as error:
            assert error.status_code == 400, f"{label}: {error.status_code} {error.message}"
            accepted = False
        expected = True if level == "service" else verdict
        assert accepted == expected, f"{label} at {level}: merged {accepted}, expected {expected}"
        results.append(f"{label}={'201' if accepted else '400'}(openssl {'ok' if verdict else 'refuses'})")

    # A leaf for another key is refused at every level, with the service's words.
    name = f"{level}-other-key"
    client.begin_create_certificate(name, policy).result()
    stranger = ec.generate_private_key(ec.SECP256R1()).public_key()
    pems = [cryptography_leaf(directory, stranger), root("cryptography")]
    try:
        client.merge_certificate(name, [der_of(p) for p in pems])
        raise AssertionError("a leaf for another key was merged")
    except HttpResponseError as error:
        assert error.status_code == 400, error.status_code
        assert "Unable to parse X5c certificate chain and locate leaf certificate" in str(error.message), error.message
    results.append("other-key=400")
    print(f"chains merged at {level}: " + ", ".join(results))


if __name__ == "__main__":
    if sys.argv[1] == "roots":
        make_roots(sys.argv[2])
    else:
        merge_chains(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5])
