// A certificate's whole life through the official Azure SDK for JavaScript
// (@azure/keyvault-certificates, -secrets), unmodified. Run by
// server/tests/sdk.rs with NODE_EXTRA_CA_CERTS set to the server's
// certificate:
//
//     node lifecycle.mjs VAULT_URL
import assert from "node:assert/strict";
import { X509Certificate, createPrivateKey, createPublicKey } from "node:crypto";
import { CertificateClient, DefaultCertificatePolicy } from "@azure/keyvault-certificates";
import { SecretClient } from "@azure/keyvault-secrets";

const vaultUrl = process.argv[2];
const credential = { getToken: async () => ({ token: "e2e-token", expiresOnTimestamp: Date.now() + 3600_000 }) };
const options = { disableChallengeResourceVerification: true };
const client = new CertificateClient(vaultUrl, credential, options);
const secrets = new SecretClient(vaultUrl, credential, options);
const fast = { intervalInMs: 200 };
const calls = [];

async function status(promise) {
  try {
    await promise;
    return 200;
  } catch (e) {
    return e.statusCode;
  }
}

async function collect(iterator) {
  const out = [];
  for await (const item of iterator) out.push(item);
  return out;
}

// The SDK's `byPage({ maxPageSize })` does not reach the request; the
// operations take the REST parameter `maxresults` in their options.
async function pages(iterable) {
  let count = 0;
  const items = [];
  for await (const page of iterable.byPage()) {
    count += 1;
    items.push(...page);
  }
  return { count, items };
}

// Create: Self, a registered issuer, and Unknown + merge.
await client.createIssuer("js-issuer", "Test");
calls.push("createIssuer");
for (const name of ["js-a", "js-b", "js-c"]) {
  const poller = await client.beginCreateCertificate(name, DefaultCertificatePolicy, { ...fast, tags: { suite: "js" } });
  const done = await poller.pollUntilDone();
  assert.ok(done.cer && done.cer.length > 0, `${name} has no cer`);
}
calls.push("beginCreateCertificate(Self)");
const issued = await (await client.beginCreateCertificate("js-issued", { issuerName: "js-issuer", subject: "CN=js-issued" }, fast)).pollUntilDone();
assert.ok(issued.cer.length > 0);
calls.push("beginCreateCertificate(issuer)");
await client.beginCreateCertificate("js-manual", { issuerName: "Unknown", subject: "CN=js-manual" }, fast);
const operation = await client.getCertificateOperation("js-manual");
assert.equal(operation.getOperationState().certificateOperation.status, "inProgress");
calls.push("getCertificateOperation");
const second = await (await client.beginCreateCertificate("js-a", DefaultCertificatePolicy, fast)).pollUntilDone();

// Listings, past one page.
const listed = await pages(client.listPropertiesOfCertificates({ maxresults: 2 }));
const ours = listed.items.map((p) => p.name).filter((n) => n.startsWith("js-"));
assert.deepEqual(ours, ["js-a", "js-b", "js-c", "js-issued"]);
assert.ok(listed.count >= 3, `${listed.count} pages`);
assert.deepEqual(listed.items.find((p) => p.name === "js-b").tags, { suite: "js" });
calls.push("listPropertiesOfCertificates");
const versions = await pages(client.listPropertiesOfCertificateVersions("js-a", { maxresults: 1 }));
assert.equal(versions.items.length, 2);
assert.equal(versions.count, 2);
assert.ok(versions.items.some((v) => v.version === second.properties.version));
calls.push("listPropertiesOfCertificateVersions");

// Policy and properties.
const policy = await client.getCertificatePolicy("js-a");
assert.equal(policy.issuerName, "Self");
calls.push("getCertificatePolicy");
// This SDK version answers its own empty policy here whatever the service
// sends (it never reads the response), so the update is read back.
await client.updateCertificatePolicy("js-a", { issuerName: "Self", subject: "CN=renamed", validityInMonths: 6 });
const updated = await client.getCertificatePolicy("js-a");
assert.equal(updated.subject, "CN=renamed");
assert.equal(updated.validityInMonths, 6);
calls.push("updateCertificatePolicy");
const props = await client.updateCertificateProperties("js-b", "", { tags: { env: "test" } });
assert.deepEqual(props.properties.tags, { env: "test" });
const disabled = await client.updateCertificateProperties("js-c", "", { enabled: false });
assert.equal(disabled.properties.enabled, false);
assert.equal(await status(secrets.getSecret("js-c")), 403);
calls.push("updateCertificateProperties");

// The secret's private key is the certificate's (PEM once the policy says so).
await client.updateCertificatePolicy("js-b", { issuerName: "Self", subject: "CN=js-b", contentType: "application/x-pem-file" });
const certificate = await client.getCertificate("js-b");
const secret = await secrets.getSecret("js-b");
assert.equal(secret.properties.contentType, "application/x-pem-file");
const fromSecret = createPublicKey(createPrivateKey(secret.value)).export({ type: "spki", format: "der" });
const fromCert = new X509Certificate(Buffer.from(certificate.cer)).publicKey.export({ type: "spki", format: "der" });
assert.ok(fromSecret.equals(fromCert), "the secret's key is not the certificate's");
calls.push("SecretClient.getSecret");

// Delete (poller), get deleted, list deleted, recover (poller), delete, purge.
const deleted = await (await client.beginDeleteCertificate("js-a", fast)).pollUntilDone();
assert.ok(deleted.recoveryId.endsWith("/deletedcertificates/js-a"), deleted.recoveryId);
assert.ok(deleted.deletedOn instanceof Date && deleted.scheduledPurgeDate instanceof Date);
calls.push("beginDeleteCertificate");
assert.equal(await status(client.getCertificate("js-a")), 404);
assert.equal(await status(client.beginCreateCertificate("js-a", DefaultCertificatePolicy, fast)), 409);
assert.equal((await client.getDeletedCertificate("js-a")).name, "js-a");
calls.push("getDeletedCertificate");
const deletedList = await pages(client.listDeletedCertificates({ maxresults: 1 }));
assert.ok(deletedList.items.some((d) => d.name === "js-a"));
calls.push("listDeletedCertificates");
const recovered = await (await client.beginRecoverDeletedCertificate("js-a", fast)).pollUntilDone();
assert.equal(recovered.properties.version, second.properties.version);
calls.push("beginRecoverDeletedCertificate");
await (await client.beginDeleteCertificate("js-a", fast)).pollUntilDone();
await client.purgeDeletedCertificate("js-a");
assert.equal(await status(client.getDeletedCertificate("js-a")), 404);
calls.push("purgeDeletedCertificate");

// Backup and restore: the same certificate back, with its key.
const backup = await client.backupCertificate("js-b");
assert.ok(backup instanceof Uint8Array && backup.length > 0);
calls.push("backupCertificate");
assert.equal(await status(client.restoreCertificateBackup(backup)), 409);
await (await client.beginDeleteCertificate("js-b", fast)).pollUntilDone();
await client.purgeDeletedCertificate("js-b");
const restored = await client.restoreCertificateBackup(backup);
assert.ok(Buffer.from(restored.cer).equals(Buffer.from(certificate.cer)));
const again = createPublicKey(createPrivateKey((await secrets.getSecret("js-b")).value)).export({ type: "spki", format: "der" });
assert.ok(again.equals(fromCert), "the restored key is not the certificate's");
calls.push("restoreCertificateBackup");

// Contacts.
const contacts = await client.setContacts([{ email: "admin@example.com", name: "Admin", phone: "555" }]);
assert.equal(contacts[0].email, "admin@example.com");
calls.push("setContacts");
assert.equal((await client.getContacts())[0].name, "Admin");
calls.push("getContacts");
await client.deleteContacts();
assert.equal(await status(client.getContacts()), 404);
calls.push("deleteContacts");

// Issuers.
await client.createIssuer("js-issuer2", "Test");
const issuers = await collect(client.listPropertiesOfIssuers());
// Items come as the service sends them: an id and a provider, no name.
const issuerNames = issuers.map((i) => i.id.split("/").pop());
assert.deepEqual(issuerNames.filter((n) => n.startsWith("js-")), ["js-issuer", "js-issuer2"]);
assert.ok(issuers.every((i) => i.provider === "Test"));
calls.push("listPropertiesOfIssuers");
// This SDK version sends `enabled` only when it is true; the provider is sent.
assert.equal((await client.updateIssuer("js-issuer2", { provider: "Other" })).provider, "Other");
assert.equal((await client.getIssuer("js-issuer2")).provider, "Other");
calls.push("updateIssuer");

console.log(`JavaScript SDK calls exercised: ${calls.join(", ")}`);
