"""The official Azure SDK for Python (azure-keyvault-certificates) against the
server, unmodified. Run by server/tests/python_sdk.rs:

    python sdk_e2e.py VAULT_URL TLS_CERT_PATH
"""
import base64
import json
import ssl
import sys
import time
import urllib.request

from azure.core.credentials import AccessToken
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.keyvault.certificates import (
    CertificateClient,
    CertificatePolicy,
    CertificateIssuer,
    WellKnownIssuerNames,
)


class StaticCredential:
    """Any bearer token is accepted by default."""

    def get_token(self, *scopes, **kwargs):
        return AccessToken("e2e-token", int(time.time()) + 3600)


def admin(vault_url, cert_path, path, body):
    context = ssl.create_default_context(cafile=cert_path)
    request = urllib.request.Request(
        vault_url + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, context=context) as response:
        return json.loads(response.read())


def main():
    vault_url, cert_path = sys.argv[1], sys.argv[2]
    client = CertificateClient(
        vault_url, StaticCredential(), verify_challenge_resource=False, connection_verify=cert_path
    )
    calls = []

    # create_issuer
    issuer = client.create_issuer("mydigicert", provider="Test")
    assert issuer.name == "mydigicert", issuer.name
    assert issuer.provider == "Test", issuer.provider
    calls.append("create_issuer")

    # begin_create_certificate with a registered issuer: the poller ends with the certificate.
    policy = CertificatePolicy(issuer_name="mydigicert", subject="CN=issued.example")
    certificate = client.begin_create_certificate("issued", policy).result()
    assert certificate.name == "issued", certificate.name
    assert certificate.cer, "no cer"
    calls.append("begin_create_certificate(mydigicert)")

    # begin_create_certificate with Self (the default policy): the poller sees
    # the request in progress until the key holder signs, as the service's.
    poller = client.begin_create_certificate("selfsigned", CertificatePolicy.get_default())
    assert client.get_certificate_operation("selfsigned").status.lower() == "inprogress"
    certificate = poller.result()
    assert certificate.cer, "no cer"
    calls.append("begin_create_certificate(Self)")

    # cancel_certificate_operation on a Self request in progress: still in
    # progress, then cancelled; the certificate stays a disabled placeholder.
    client.begin_create_certificate("selfcancel", CertificatePolicy.get_default())
    cancelling = client.cancel_certificate_operation("selfcancel")
    assert cancelling.cancellation_requested and cancelling.status.lower() == "inprogress", cancelling.status
    deadline = time.time() + 30
    while client.get_certificate_operation("selfcancel").status.lower() != "cancelled":
        assert time.time() < deadline, "the Self request was never cancelled"
        time.sleep(0.2)
    placeholder = client.get_certificate("selfcancel")
    assert placeholder.properties.enabled is False and not placeholder.cer, placeholder
    calls.append("cancel_certificate_operation(Self)")

    # get_certificate
    got = client.get_certificate("issued")
    assert got.cer and got.properties.x509_thumbprint, got
    calls.append("get_certificate")

    # begin_create_certificate with Unknown: the poller ends with the operation in progress.
    manual = CertificatePolicy(issuer_name=WellKnownIssuerNames.unknown, subject="CN=manual.example")
    operation = client.begin_create_certificate("manual", manual).result()
    assert operation.status.lower() == "inprogress", operation.status
    calls.append("begin_create_certificate(Unknown)")

    # get_certificate_operation
    operation = client.get_certificate_operation("manual")
    assert operation.status.lower() == "inprogress", operation.status
    assert operation.csr, "no csr"
    calls.append("get_certificate_operation")

    # merge_certificate with a chain issued for the CSR's key
    chain = admin(vault_url, cert_path, "/admin/sign", {"csr": base64.b64encode(operation.csr).decode()})["x5c"]
    merged = client.merge_certificate("manual", [base64.b64decode(c) for c in chain])
    assert merged.cer == base64.b64decode(chain[0]), "merged leaf differs"
    calls.append("merge_certificate")

    # cancel_certificate_operation on a manual request: requested, and still
    # in progress, as the service answers.
    client.begin_create_certificate("tocancel", CertificatePolicy(issuer_name="Unknown", subject="CN=c")).result()
    cancelled = client.cancel_certificate_operation("tocancel")
    assert cancelled.cancellation_requested, cancelled
    assert cancelled.status.lower() == "inprogress", cancelled.status
    calls.append("cancel_certificate_operation(Unknown)")

    # delete_certificate_operation, then a 404.
    deleted = client.delete_certificate_operation("tocancel")
    assert deleted.status.lower() == "inprogress" and deleted.cancellation_requested, deleted.status
    try:
        client.get_certificate_operation("tocancel")
        raise AssertionError("the deleted operation is still there")
    except ResourceNotFoundError:
        pass
    calls.append("delete_certificate_operation")

    # A create while a request is in progress is refused with 409.
    client.begin_create_certificate("busy", manual).result()
    try:
        client.begin_create_certificate("busy", manual).result()
        raise AssertionError("a second create was accepted")
    except HttpResponseError as error:
        assert error.status_code == 409, error.status_code
    calls.append("begin_create_certificate(409)")

    print("SDK calls exercised: " + ", ".join(calls))


if __name__ == "__main__":
    main()
