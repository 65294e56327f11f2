//! The official Azure SDK for Rust (`azure_security_keyvault_certificates`)
//! drives the server over HTTPS, unmodified: a certificate's whole life.
//! Its client verifies the challenge's resource against the vault's domain
//! unless told not to (`verify_challenge_resource: Some(false)`, the option
//! the SDK has for vaults on other domains), and trusts the server's
//! certificate through its own `reqwest` transport.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::sync::Arc;

use azure_core::credentials::{AccessToken, Secret, TokenCredential, TokenRequestOptions};
use azure_core::http::{ClientOptions, Transport};
use azure_security_keyvault_certificates::models::{
    CertificateAttributes, CertificateClientListCertificatePropertiesOptions,
    CertificateClientListCertificatePropertiesVersionsOptions,
    CertificateClientListDeletedCertificatePropertiesOptions, CertificatePolicy, Contact, Contacts,
    CreateCertificateParameters, IssuerParameters, MergeCertificateParameters, RestoreCertificateParameters,
    SecretProperties, SetIssuerParameters, UpdateCertificatePropertiesParameters, X509CertificateProperties,
};
use azure_security_keyvault_certificates::{CertificateClient, CertificateClientOptions, ResourceExt};
use azure_security_keyvault_secrets::{SecretClient, SecretClientOptions};
use common::Server;
use futures::TryStreamExt;
use pending_certificate::memory::MemoryKeyHolder;

#[derive(Debug)]
struct StaticCredential;

#[async_trait::async_trait]
impl TokenCredential for StaticCredential {
    async fn get_token(&self, _: &[&str], _: Option<TokenRequestOptions<'_>>) -> azure_core::Result<AccessToken> {
        Ok(AccessToken::new(Secret::new("e2e-token"), time::OffsetDateTime::now_utc() + time::Duration::hours(1)))
    }
}

/// A transport that trusts the server's certificate.
fn transport(server: &Server) -> Transport {
    let pem = std::fs::read(server.certificate.as_ref().unwrap()).unwrap();
    let http =
        reqwest::Client::builder().add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap()).build().unwrap();
    Transport::new(Arc::new(http))
}

fn client(server: &Server) -> CertificateClient {
    let options = CertificateClientOptions {
        client_options: ClientOptions { transport: Some(transport(server)), ..Default::default() },
        verify_challenge_resource: Some(false),
        ..Default::default()
    };
    CertificateClient::new(&server.url, Arc::new(StaticCredential), Some(options)).unwrap()
}

fn secrets(server: &Server) -> SecretClient {
    let options = SecretClientOptions {
        client_options: ClientOptions { transport: Some(transport(server)), ..Default::default() },
        verify_challenge_resource: Some(false),
        ..Default::default()
    };
    SecretClient::new(&server.url, Arc::new(StaticCredential), Some(options)).unwrap()
}

/// The `SubjectPublicKeyInfo` (DER) of a certificate.
fn spki_of(cer: &[u8]) -> Vec<u8> {
    use x509_cert::der::{Decode as _, Encode as _};
    let certificate = x509_cert::Certificate::from_der(cer).unwrap();
    certificate.tbs_certificate().subject_public_key_info().to_der().unwrap()
}

fn policy(subject: &str, issuer: &str) -> CertificatePolicy {
    CertificatePolicy {
        x509_certificate_properties: Some(X509CertificateProperties {
            subject: Some(subject.into()),
            ..Default::default()
        }),
        issuer_parameters: Some(IssuerParameters { name: Some(issuer.into()), ..Default::default() }),
        ..Default::default()
    }
}

fn create(policy: CertificatePolicy) -> CreateCertificateParameters {
    CreateCertificateParameters { certificate_policy: Some(policy), ..Default::default() }
}

fn status(error: &azure_core::Error) -> Option<u16> {
    error.http_status().map(u16::from)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_rust_sdk_drives_a_certificates_whole_life() {
    let data_dir = std::env::temp_dir().join(format!("sdk-rust-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    let server = Server::start(
        &["--admin", "--provider-delay", "1", "--self-signed-delay", "1", "--retry-after", "1"],
        Some(&data_dir),
    );
    let client = client(&server);
    let mut calls = Vec::new();

    // Create: Self, a registered issuer, Unknown + merge.
    let issuer = SetIssuerParameters { provider: Some("Test".into()), ..Default::default() };
    client.set_issuer("rs-issuer", issuer.try_into().unwrap(), None).await.unwrap();
    calls.push("set_issuer");
    for name in ["rs-a", "rs-b"] {
        let certificate = client
            .begin_create_certificate(name, create(policy(&format!("CN={name}"), "Self")).try_into().unwrap(), None)
            .unwrap()
            .await
            .unwrap()
            .into_model()
            .unwrap();
        assert!(certificate.cer.is_some_and(|c| !c.is_empty()), "{name}");
    }
    calls.push("begin_create_certificate(Self)");
    let issued = client
        .begin_create_certificate("rs-issued", create(policy("CN=rs-issued", "rs-issuer")).try_into().unwrap(), None)
        .unwrap()
        .await
        .unwrap()
        .into_model()
        .unwrap();
    assert!(issued.cer.is_some_and(|c| !c.is_empty()));
    calls.push("begin_create_certificate(issuer)");
    let second = client
        .begin_create_certificate("rs-a", create(policy("CN=rs-a", "Self")).try_into().unwrap(), None)
        .unwrap()
        .await
        .unwrap();
    drop(second);
    let a = client.get_certificate("rs-a", None).await.unwrap().into_model().unwrap();
    assert!(a.cer.as_ref().is_some_and(|c| !c.is_empty()));
    calls.push("get_certificate");

    // Unknown: in progress until merged with a chain signed for its CSR.
    let mut poller = client
        .begin_create_certificate("rs-manual", create(policy("CN=rs-manual", "Unknown")).try_into().unwrap(), None)
        .unwrap();
    let first = poller.try_next().await.unwrap().unwrap().into_model().unwrap();
    assert_eq!(first.status.as_deref(), Some("inProgress"));
    drop(poller);
    let operation = client.get_certificate_operation("rs-manual", None).await.unwrap().into_model().unwrap();
    calls.push("get_certificate_operation");
    let csr = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, operation.csr.unwrap());
    let signed = common::https(
        &server.address,
        server.certificate.as_ref().unwrap(),
        "POST",
        "/admin/sign",
        serde_json::json!({"csr": csr}).to_string().as_bytes(),
        None,
    )
    .json();
    let x5c: Vec<Vec<u8>> = signed["x5c"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| base64::Engine::decode(&base64::engine::general_purpose::STANDARD, c.as_str().unwrap()).unwrap())
        .collect();
    let merge = MergeCertificateParameters { x509_certificates: Some(x5c), ..Default::default() };
    let merged =
        client.merge_certificate("rs-manual", merge.try_into().unwrap(), None).await.unwrap().into_model().unwrap();
    assert!(merged.cer.is_some());
    calls.push("merge_certificate");

    // Listings, past one page.
    let options = CertificateClientListCertificatePropertiesOptions { maxresults: Some(2), ..Default::default() };
    let mut pager = client.list_certificate_properties(Some(options)).unwrap();
    let mut names = Vec::new();
    while let Some(item) = pager.try_next().await.unwrap() {
        names.push(item.resource_id().unwrap().name);
    }
    assert_eq!(names, ["rs-a", "rs-b", "rs-issued", "rs-manual"]);
    calls.push("list_certificate_properties");
    let options =
        CertificateClientListCertificatePropertiesVersionsOptions { maxresults: Some(1), ..Default::default() };
    let versions: Vec<_> =
        client.list_certificate_properties_versions("rs-a", Some(options)).unwrap().try_collect().await.unwrap();
    assert_eq!(versions.len(), 2);
    calls.push("list_certificate_properties_versions");

    // Policy and properties.
    let got = client.get_certificate_policy("rs-a", None).await.unwrap().into_model().unwrap();
    assert_eq!(got.issuer_parameters.and_then(|i| i.name).as_deref(), Some("Self"));
    calls.push("get_certificate_policy");
    let updated = client
        .update_certificate_policy("rs-a", policy("CN=renamed", "Self").try_into().unwrap(), None)
        .await
        .unwrap()
        .into_model()
        .unwrap();
    assert_eq!(updated.x509_certificate_properties.and_then(|x| x.subject).as_deref(), Some("CN=renamed"));
    calls.push("update_certificate_policy");
    let update = UpdateCertificatePropertiesParameters {
        tags: Some([("env".to_owned(), "test".to_owned())].into_iter().collect()),
        certificate_attributes: Some(CertificateAttributes { enabled: Some(true), ..Default::default() }),
        ..Default::default()
    };
    let props = client.update_certificate_properties("rs-b", update.try_into().unwrap(), None).await.unwrap();
    let props = props.into_model().unwrap();
    assert_eq!(props.tags.and_then(|t| t.get("env").cloned()).as_deref(), Some("test"));
    calls.push("update_certificate_properties");

    // The secret holds the certificate's private key (PEM once the policy says so).
    let mut pem_policy = policy("CN=rs-b", "Self");
    pem_policy.secret_properties = Some(SecretProperties { content_type: Some("application/x-pem-file".into()) });
    client.update_certificate_policy("rs-b", pem_policy.try_into().unwrap(), None).await.unwrap();
    let secret = secrets(&server).get_secret("rs-b", None).await.unwrap().into_model().unwrap();
    assert_eq!(secret.content_type.as_deref(), Some("application/x-pem-file"));
    assert_eq!(secret.managed, Some(true));
    let held = pending_certificate::parse_pem_bundle(secret.value.as_deref().unwrap()).unwrap();
    let secret_key = MemoryKeyHolder::new().insert_private_key(&held.private_key).unwrap();
    let b = client.get_certificate("rs-b", None).await.unwrap().into_model().unwrap();
    assert_eq!(secret_key, spki_of(b.cer.as_deref().unwrap()), "the secret's key is not the certificate's");
    calls.push("SecretClient::get_secret");

    // Delete, get deleted, list deleted, recover, delete, purge.
    let deleted = client.delete_certificate("rs-a", None).await.unwrap().into_model().unwrap();
    assert!(deleted.recovery_id.as_deref().is_some_and(|r| r.ends_with("/deletedcertificates/rs-a")));
    calls.push("delete_certificate");
    let gone = client.get_certificate("rs-a", None).await.unwrap_err();
    assert_eq!(status(&gone), Some(404));
    let again = client.get_deleted_certificate("rs-a", None).await.unwrap().into_model().unwrap();
    assert_eq!(again.recovery_id, deleted.recovery_id);
    calls.push("get_deleted_certificate");
    let options =
        CertificateClientListDeletedCertificatePropertiesOptions { maxresults: Some(1), ..Default::default() };
    let listed: Vec<_> =
        client.list_deleted_certificate_properties(Some(options)).unwrap().try_collect().await.unwrap();
    assert_eq!(listed.len(), 1);
    calls.push("list_deleted_certificate_properties");
    let recovered = client.recover_deleted_certificate("rs-a", None).await.unwrap().into_model().unwrap();
    assert_eq!(recovered.id, a.id);
    calls.push("recover_deleted_certificate");
    client.delete_certificate("rs-a", None).await.unwrap();
    client.purge_deleted_certificate("rs-a", None).await.unwrap();
    calls.push("purge_deleted_certificate");
    assert_eq!(status(&client.get_deleted_certificate("rs-a", None).await.unwrap_err()), Some(404));

    // Backup and restore.
    let backup = client.backup_certificate("rs-b", None).await.unwrap().into_model().unwrap();
    calls.push("backup_certificate");
    let blob = backup.value.unwrap();
    let restore = || RestoreCertificateParameters { certificate_backup: Some(blob.clone()) };
    let occupied = client.restore_certificate(restore().try_into().unwrap(), None).await.unwrap_err();
    assert_eq!(status(&occupied), Some(409));
    client.delete_certificate("rs-b", None).await.unwrap();
    client.purge_deleted_certificate("rs-b", None).await.unwrap();
    let restored = client.restore_certificate(restore().try_into().unwrap(), None).await.unwrap().into_model().unwrap();
    assert_eq!(restored.cer, b.cer);
    calls.push("restore_certificate");

    // Contacts.
    let contacts = Contacts {
        contact_list: Some(vec![Contact {
            email: Some("admin@example.com".into()),
            name: Some("Admin".into()),
            phone: Some("555".into()),
        }]),
        ..Default::default()
    };
    let set = client.set_contacts(contacts.try_into().unwrap(), None).await.unwrap().into_model().unwrap();
    assert_eq!(set.contact_list.unwrap()[0].email.as_deref(), Some("admin@example.com"));
    calls.push("set_contacts");
    let got = client.get_contacts(None).await.unwrap().into_model().unwrap();
    assert_eq!(got.contact_list.unwrap()[0].name.as_deref(), Some("Admin"));
    calls.push("get_contacts");
    client.delete_contacts(None).await.unwrap();
    calls.push("delete_contacts");
    assert_eq!(status(&client.get_contacts(None).await.unwrap_err()), Some(404));

    // Issuers.
    let issuers: Vec<_> = client.list_issuer_properties(None).unwrap().try_collect().await.unwrap();
    assert_eq!(issuers.len(), 1);
    calls.push("list_issuer_properties");

    println!("Rust SDK calls exercised: {}", calls.join(", "));
    drop(server);
    let _ = std::fs::remove_dir_all(&data_dir);
}
