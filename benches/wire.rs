//! The wire: encode and decode of a pending object and of a certificate
//! bundle, and a whole `GET …/pending` through `rest`, bytes in and bytes out.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use pending_certificate::memory::MemoryKeyHolder;
use pending_certificate::rest::{self, Request};
use pending_certificate::wire::{BundleView, CertificateBundle, CertificateOperation};
use pending_certificate::{CertificatePolicy, CreateRequest, Vault, VaultUrl};

fn wire(c: &mut Criterion) {
    let name = support::name("mycert1");
    let now = support::now();
    let mut ids = support::ids();
    let mut vault = Vault::new(VaultUrl::new("https://myvault.vault.azure.net").unwrap());
    let holder = support::Holder::p256();
    let ca = support::Ca::p256("Bench CA");
    vault
        .create(&name, CreateRequest::new(holder.csr("CN=mycert1"), CertificatePolicy::default()), now, &mut ids)
        .unwrap();
    let leaf = ca.sign_csr(vault.pending(&name, None).unwrap().csr(), "mycert1");
    let version = vault.merge(&name, &[leaf, ca.der.clone()], now, &mut ids).unwrap();

    let pending = CertificateOperation::from_pending(vault.url(), &name, vault.pending(&name, None).unwrap());
    let pending_json = serde_json::to_vec(&pending).unwrap();
    let found = vault.certificate(&name, Some(version)).unwrap();
    let (_, certificate) = vault.load(&name).unwrap();
    let bundle = CertificateBundle::render(vault.url(), certificate, found, BundleView::Latest, vault.recovery());
    let bundle_json = serde_json::to_vec(&bundle).unwrap();

    c.bench_function("wire/pending_encode", |b| b.iter(|| serde_json::to_vec(black_box(&pending)).unwrap()));
    c.bench_function("wire/pending_decode", |b| {
        b.iter(|| serde_json::from_slice::<CertificateOperation>(black_box(&pending_json)).unwrap())
    });
    c.bench_function("wire/bundle_encode", |b| b.iter(|| serde_json::to_vec(black_box(&bundle)).unwrap()));
    c.bench_function("wire/bundle_decode", |b| {
        b.iter(|| serde_json::from_slice::<CertificateBundle>(black_box(&bundle_json)).unwrap())
    });

    // A pending object in progress, polled through the REST surface.
    let other = support::name("polled");
    vault
        .create(&other, CreateRequest::new(holder.csr("CN=polled"), CertificatePolicy::default()), now, &mut ids)
        .unwrap();
    let mut keys = MemoryKeyHolder::new();
    let request = Request { method: "GET", target: "/certificates/polled/pending?api-version=7.5", body: b"" };
    assert_eq!(rest::handle(&mut vault, &mut keys, &mut ids, now, request).response.status, 200);
    c.bench_function("wire/rest_get_pending", |b| {
        b.iter(|| rest::handle(&mut vault, &mut keys, &mut ids, now, black_box(request)).response.body)
    });

    // What an embedder with its own store pays per poll: parse, the loaded
    // aggregate (a copy of it, or decoded from its stored JSON), decide.
    let (revision, polled) = vault.load(&other).map(|(r, c)| (r, c.clone())).unwrap();
    let stored = serde_json::to_vec(&polled).unwrap();
    c.bench_function("store/aggregate_clone", |b| b.iter(|| black_box(&polled).clone()));
    c.bench_function("store/aggregate_json_decode", |b| {
        b.iter(|| serde_json::from_slice::<pending_certificate::Certificate>(black_box(&stored)).unwrap())
    });
    // A create through `rest` with the in-memory key holder: the key and its
    // CSR are made in the decision.
    for (label, kty) in
        [("ec_p256", r#"{"kty": "EC", "crv": "P-256"}"#), ("rsa2048", r#"{"kty": "RSA", "key_size": 2048}"#)]
    {
        let body = format!(
            r#"{{"policy": {{"key_props": {kty}, "x509_props": {{"subject": "CN=c"}}, "issuer": {{"name": "Unknown"}}}}}}"#
        );
        let create =
            Request { method: "POST", target: "/certificates/made/create?api-version=7.5", body: body.as_bytes() };
        let mut group = c.benchmark_group("store/rest_create_over_loaded");
        if label == "rsa2048" {
            group.sample_size(10);
        }
        group.bench_function(label, |b| {
            b.iter(|| {
                let operation = rest::Operation::parse(black_box(create)).unwrap();
                let mut keys = MemoryKeyHolder::new();
                operation.decide(vault.settings(), rest::Loaded::default(), &mut keys, &mut ids, now).response.status
            })
        });
        group.finish();
    }
    c.bench_function("store/rest_get_pending_over_loaded", |b| {
        b.iter(|| {
            let operation = rest::Operation::parse(black_box(request)).unwrap();
            let loaded = rest::Loaded { certificate: Some((revision, polled.clone())), ..rest::Loaded::default() };
            operation.decide(vault.settings(), loaded, &mut keys, &mut ids, now).response.body
        })
    });
}

criterion_group!(benches, wire);
criterion_main!(benches);
