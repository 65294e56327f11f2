//! The state machine's hot paths: create → get → cancel → delete on one name,
//! CSR parsing on its own, and the get-pending poll.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use pending_certificate::{CertificatePolicy, CreateRequest, Csr, Vault, VaultUrl};

fn lifecycle(c: &mut Criterion) {
    let holder = support::Holder::p256();
    let csr_der = holder.csr_der("MyCertSubject1");
    let csr = Csr::from_der(&csr_der).unwrap();
    let name = support::name("mycert1");
    let now = support::now();
    let mut ids = support::ids();
    let mut vault = Vault::new(VaultUrl::new("https://myvault.vault.azure.net").unwrap());

    c.bench_function("csr/parse_p256", |b| b.iter(|| Csr::from_der(black_box(&csr_der)).unwrap()));

    c.bench_function("lifecycle/create_get_cancel_delete", |b| {
        b.iter(|| {
            let request = CreateRequest::new(csr.clone(), CertificatePolicy::default());
            vault.create(&name, request, now, &mut ids).unwrap();
            black_box(vault.pending(&name, None).unwrap());
            vault.request_cancellation(&name, None, now).unwrap();
            black_box(vault.delete_pending(&name, None, now).unwrap());
        })
    });

    vault.create(&name, CreateRequest::new(csr.clone(), CertificatePolicy::default()), now, &mut ids).unwrap();
    let id = vault.pending(&name, None).unwrap().request_id();
    c.bench_function("lifecycle/get_pending", |b| b.iter(|| black_box(vault.pending(black_box(&name), Some(id)))));

    // Lookup cost from 1 to 1 000 000 names.
    let mut group = c.benchmark_group("lifecycle/get_pending_among");
    for size in [1usize, 1_000, 1_000_000] {
        let mut vault = Vault::new(VaultUrl::new("https://myvault.vault.azure.net").unwrap());
        let names: Vec<_> = (0..size).map(|i| support::name(&format!("cert-{i}"))).collect();
        for n in &names {
            vault.create(n, CreateRequest::new(csr.clone(), CertificatePolicy::default()), now, &mut ids).unwrap();
        }
        let probe = names[size / 2].clone();
        group
            .bench_function(size.to_string(), |b| b.iter(|| black_box(vault.pending(black_box(&probe), None)).is_ok()));
    }
    group.finish();
}

criterion_group!(benches, lifecycle);
criterion_main!(benches);
