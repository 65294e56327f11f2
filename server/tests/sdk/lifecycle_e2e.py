"""A certificate's whole life through the official Azure SDKs for Python
(azure-keyvault-certificates, -secrets, -keys), unmodified. Run by
server/tests/python_sdk.rs:

    python lifecycle_e2e.py VAULT_URL TLS_CERT_PATH
"""
import base64
import sys
import time

from azure.core.credentials import AccessToken
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.keyvault.certificates import (
    CertificateClient,
    CertificateContact,
    CertificateContentType,
    CertificatePolicy,
)
from azure.keyvault.keys import KeyClient
from azure.keyvault.secrets import SecretClient
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12


class StaticCredential:
    """Any bearer token is accepted by default."""

    def get_token(self, *scopes, **kwargs):
        return AccessToken("e2e-token", int(time.time()) + 3600)


def public_der(key):
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def main():
    vault_url, cert_path = sys.argv[1], sys.argv[2]
    options = dict(verify_challenge_resource=False, connection_verify=cert_path)
    client = CertificateClient(vault_url, StaticCredential(), **options)
    secrets = SecretClient(vault_url, StaticCredential(), **options)
    keys = KeyClient(vault_url, StaticCredential(), **options)
    calls = []

    # Three names, two versions of one.
    names = ["life-a", "life-b", "life-c"]
    for name in names:
        client.begin_create_certificate(name, CertificatePolicy.get_default(), tags={"suite": "life"}).result()
    second = client.begin_create_certificate("life-a", CertificatePolicy.get_default()).result()
    calls.append("begin_create_certificate")

    # list_properties_of_certificates, past one page.
    listed = [p.name for p in client.list_properties_of_certificates(max_page_size=2)]
    assert [n for n in listed if n.startswith("life-")] == names, listed
    tagged = [p for p in client.list_properties_of_certificates() if p.name == "life-b"]
    assert tagged and tagged[0].tags == {"suite": "life"}, tagged
    calls.append("list_properties_of_certificates")

    versions = list(client.list_properties_of_certificate_versions("life-a", max_page_size=1))
    assert len(versions) == 2, versions
    assert second.properties.version in [v.version for v in versions]
    calls.append("list_properties_of_certificate_versions")

    # get_certificate_policy / update_certificate_policy: a section replaced whole.
    policy = client.get_certificate_policy("life-a")
    assert policy.issuer_name == "Self", policy.issuer_name
    calls.append("get_certificate_policy")
    updated = client.update_certificate_policy(
        "life-a", CertificatePolicy(issuer_name="Self", subject="CN=renamed", validity_in_months=6)
    )
    assert updated.subject == "CN=renamed" and updated.validity_in_months == 6, (updated.subject, updated.validity_in_months)
    calls.append("update_certificate_policy")

    # update_certificate_properties: tags and enabled; a disabled secret is refused.
    props = client.update_certificate_properties("life-b", tags={"env": "test"})
    assert props.properties.tags == {"env": "test"}, props.properties.tags
    disabled = client.update_certificate_properties("life-c", enabled=False)
    assert disabled.properties.enabled is False
    try:
        secrets.get_secret("life-c")
        raise AssertionError("a disabled secret was given out")
    except HttpResponseError as e:
        assert e.status_code == 403, e.status_code
    calls.append("update_certificate_properties")

    # The secret holds the certificate's private key (PKCS#12, no password).
    certificate = client.get_certificate("life-b")
    secret = secrets.get_secret("life-b")
    assert secret.properties.content_type == "application/x-pkcs12", secret.properties.content_type
    assert secret.properties.managed is True
    key, leaf, _ = pkcs12.load_key_and_certificates(base64.b64decode(secret.value), None)
    cer = x509.load_der_x509_certificate(bytes(certificate.cer))
    assert leaf.public_bytes(serialization.Encoding.DER) == bytes(certificate.cer)
    assert public_der(key.public_key()) == public_der(cer.public_key()), "the key is not the certificate's"
    calls.append("SecretClient.get_secret")

    # The key is the certificate's public key.
    jwk = keys.get_key("life-b")
    assert jwk.id == certificate.key_id, (jwk.id, certificate.key_id)
    assert jwk.properties.managed is True
    numbers = cer.public_key().public_numbers()
    assert int.from_bytes(jwk.key.n, "big") == numbers.n, "the JWK is not the certificate's key"
    calls.append("KeyClient.get_key")

    # PEM once the policy says so.
    client.update_certificate_policy(
        "life-b", CertificatePolicy(issuer_name="Self", subject="CN=life-b", content_type=CertificateContentType.pem)
    )
    pem = secrets.get_secret("life-b").value
    assert pem.startswith("-----BEGIN PRIVATE KEY-----"), pem[:40]
    private = serialization.load_pem_private_key(pem.encode(), None)
    assert public_der(private.public_key()) == public_der(cer.public_key())
    calls.append("SecretClient.get_secret(pem)")

    # begin_delete_certificate: the poller waits for the deleted certificate.
    deleted = client.begin_delete_certificate("life-a").result()
    assert deleted.recovery_id.endswith("/deletedcertificates/life-a"), deleted.recovery_id
    assert deleted.deleted_on and deleted.scheduled_purge_date, deleted
    calls.append("begin_delete_certificate")
    try:
        client.get_certificate("life-a")
        raise AssertionError("a deleted certificate was found")
    except ResourceNotFoundError:
        pass
    try:
        client.begin_create_certificate("life-a", CertificatePolicy.get_default())
        raise AssertionError("a deleted name was reused")
    except (ResourceExistsError, HttpResponseError) as e:
        assert e.status_code == 409, e.status_code

    assert client.get_deleted_certificate("life-a").name == "life-a"
    calls.append("get_deleted_certificate")
    assert "life-a" in [d.name for d in client.list_deleted_certificates(max_page_size=1)]
    calls.append("list_deleted_certificates")

    recovered = client.begin_recover_deleted_certificate("life-a").result()
    assert recovered.name == "life-a" and recovered.properties.version == second.properties.version
    calls.append("begin_recover_deleted_certificate")

    client.begin_delete_certificate("life-a").result()
    client.purge_deleted_certificate("life-a")
    calls.append("purge_deleted_certificate")
    try:
        client.get_deleted_certificate("life-a")
        raise AssertionError("a purged certificate was found")
    except ResourceNotFoundError:
        pass
    client.begin_create_certificate("life-a", CertificatePolicy.get_default()).result()

    # backup_certificate / restore_certificate_backup: the same certificate,
    # its key with it; onto an occupied name, refused.
    blob = client.backup_certificate("life-b")
    calls.append("backup_certificate")
    try:
        client.restore_certificate_backup(blob)
        raise AssertionError("a restore onto a live name was taken")
    except (ResourceExistsError, HttpResponseError) as e:
        assert e.status_code == 409, e.status_code
    client.begin_delete_certificate("life-b").result()
    client.purge_deleted_certificate("life-b")
    restored = client.restore_certificate_backup(blob)
    assert restored.name == "life-b" and bytes(restored.cer) == bytes(certificate.cer), restored
    private = serialization.load_pem_private_key(secrets.get_secret("life-b").value.encode(), None)
    assert public_der(private.public_key()) == public_der(cer.public_key()), "the restored key is not the certificate's"
    calls.append("restore_certificate_backup")
    try:
        client.restore_certificate_backup(b"not a backup")
        raise AssertionError("a garbage backup was taken")
    except HttpResponseError as e:
        assert e.status_code == 400, e.status_code

    # Contacts.
    contact = CertificateContact(email="admin@example.com", name="Admin", phone="555")
    assert [c.email for c in client.set_contacts([contact])] == ["admin@example.com"]
    calls.append("set_contacts")
    assert [c.name for c in client.get_contacts()] == ["Admin"]
    calls.append("get_contacts")
    client.delete_contacts()
    calls.append("delete_contacts")
    try:
        client.get_contacts()
        raise AssertionError("contacts were found after their delete")
    except ResourceNotFoundError:
        pass

    # Issuers: listed, updated.
    for name in ["life-i1", "life-i2", "life-i3"]:
        client.create_issuer(name, provider="Test")
    listed = [i.name for i in client.list_properties_of_issuers(max_page_size=2)]
    assert [n for n in listed if n.startswith("life-i")] == ["life-i1", "life-i2", "life-i3"], listed
    calls.append("list_properties_of_issuers")
    assert client.update_issuer("life-i2", enabled=False).enabled is False
    calls.append("update_issuer")

    print("lifecycle calls exercised: " + ", ".join(calls))


if __name__ == "__main__":
    main()
