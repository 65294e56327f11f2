//! Prints the medians of the last `cargo bench` run, and the ratios the
//! targets are judged by (x5c: ours / aws-lc-rs limit, ours / rustls-webpki).
//!
//! ```text
//! cargo bench && cargo run --release --example bench_report
//! ```

#![allow(clippy::indexing_slicing)] // serde_json's Value indexing answers Null, never panics

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

fn read(path: &Path) -> Option<Value> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

fn collect(dir: &Path, out: &mut BTreeMap<String, f64>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "new") {
                let id = read(&path.join("benchmark.json")).and_then(|b| b["full_id"].as_str().map(str::to_owned));
                let median = read(&path.join("estimates.json")).and_then(|e| e["median"]["point_estimate"].as_f64());
                if let (Some(id), Some(median)) = (id, median) {
                    out.insert(id, median);
                }
            } else {
                collect(&path, out);
            }
        }
    }
}

fn human(ns: f64) -> String {
    if ns >= 1_000_000.0 {
        format!("{:.2} ms", ns / 1_000_000.0)
    } else if ns >= 1_000.0 {
        format!("{:.2} µs", ns / 1_000.0)
    } else {
        format!("{ns:.0} ns")
    }
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/criterion");
    let mut medians = BTreeMap::new();
    collect(&root, &mut medians);
    if medians.is_empty() {
        eprintln!("no criterion results under {}; run `cargo bench` first", root.display());
        std::process::exit(1);
    }

    println!(
        "| x5c chain | strict (ours) | verified | aws-lc-rs limit | rustls-webpki | strict / limit | verified / limit | strict / webpki |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let chains: Vec<String> = medians
        .keys()
        .filter_map(|k| k.strip_prefix("x5c/").and_then(|k| k.strip_suffix("/ours")).map(str::to_owned))
        .collect();
    for chain in chains {
        let get = |who: &str| medians.get(&format!("x5c/{chain}/{who}")).copied();
        if let (Some(ours), Some(verified), Some(limit), Some(webpki)) =
            (get("ours"), get("verified"), get("limit"), get("webpki"))
        {
            println!(
                "| {chain} | {} | {} | {} | {} | {:.2} | {:.2} | {:.2} |",
                human(ours),
                human(verified),
                human(limit),
                human(webpki),
                ours / limit,
                verified / limit,
                ours / webpki
            );
        }
    }

    println!();
    println!("| merge x5c (certificates) | service | verified | verified / service |");
    println!("|---|---|---|---|");
    for n in ["1", "2", "3"] {
        let get = |level: &str| medians.get(&format!("merge/{n}/{level}")).copied();
        if let (Some(service), Some(verified)) = (get("service"), get("verified")) {
            println!("| {n} | {} | {} | {:.1} |", human(service), human(verified), verified / service);
        }
    }

    println!();
    println!("| benchmark | median |");
    println!("|---|---|");
    for (id, median) in medians.iter().filter(|(k, _)| !k.starts_with("x5c/") && !k.starts_with("merge/")) {
        println!("| {id} | {} |", human(*median));
    }

    if let Some(memory) = read(&root.join("memory.json")) {
        println!();
        println!("| memory | bytes |");
        println!("|---|---|");
        for key in ["per_pending", "csr_heap", "beyond_csr", "vault_1m"] {
            println!("| {key} | {} |", memory[key]);
        }
    }
}
