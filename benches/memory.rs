//! Memory: bytes per pending object beyond its CSR, and the bytes a vault of
//! 1 000 000 names with one pending object each holds, counted by a counting
//! allocator. Prints the figures and writes them to
//! `target/criterion/memory.json` for the report.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::alloc::System;

use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};

use pending_certificate::{CertificateName, CertificatePolicy, CreateRequest, SequentialIds, Vault, VaultUrl};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn live() -> isize {
    let stats = GLOBAL.stats();
    stats.bytes_allocated as isize - stats.bytes_deallocated as isize + stats.bytes_reallocated
}

/// Live bytes a vault of `n` names, one pending object each, holds.
fn vault_bytes(n: usize, csr: &pending_certificate::Csr) -> (isize, Vault) {
    let names: Vec<CertificateName> = (0..n).map(|i| CertificateName::new(&format!("cert-{i}")).unwrap()).collect();
    let before = live();
    let mut vault = Vault::new(VaultUrl::new("https://myvault.vault.azure.net").unwrap());
    let mut ids = SequentialIds::default();
    for name in &names {
        vault
            .create(name, CreateRequest::new(csr.clone(), CertificatePolicy::default()), support::now(), &mut ids)
            .unwrap();
    }
    (live() - before, vault)
}

fn main() {
    // `cargo bench` passes --bench; anything else (e.g. `cargo test --benches`) only checks it runs.
    let full = std::env::args().any(|a| a == "--bench");
    let holder = support::Holder::p256();
    let csr = holder.csr("CN=memory");
    let csr_heap = csr.heap_size() as isize;

    let sample = 10_000;
    let (bytes, vault) = vault_bytes(sample, &csr);
    let per_pending = bytes / sample as isize;
    // The name, as the vault's key, is the caller's and counted here too.
    let beyond_csr = per_pending - csr_heap;
    drop(vault);
    println!(
        "memory/pending_object: {per_pending} bytes per name with a pending object; CSR heap {csr_heap} bytes; {beyond_csr} bytes beyond the CSR"
    );

    let million = if full { 1_000_000 } else { 10_000 };
    let (bytes, vault) = vault_bytes(million, &csr);
    println!("memory/vault_{million}: {bytes} bytes ({:.1} MiB) for {million} names", bytes as f64 / 1_048_576.0);
    assert_eq!(vault.len(), million);

    if full {
        let out = format!(
            "{{\"per_pending\":{per_pending},\"csr_heap\":{csr_heap},\"beyond_csr\":{beyond_csr},\"vault_1m\":{bytes}}}"
        );
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/criterion");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("memory.json"), out).unwrap();
    }
}
