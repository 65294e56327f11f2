//! The conformance kit (feature `conformance`): a reference model written
//! from the specification, strategies for runs of operations over several
//! names, the invariants, and a [`Surface`] trait so any embedder — a server
//! over real HTTP, a test double — can run the same property tests against
//! itself. See `docs/conformance.md`.
//!
//! This is test code shipped for embedders: a failed check panics, which is
//! how proptest reports and shrinks.
#![allow(clippy::panic, clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

pub mod assertions;
pub mod model;
pub mod surface;

pub use model::{Expect, Model, ModelState, NAMES, Transition};
pub use surface::{
    Conformance, Harness, Pool, ProviderOutcome, RestSurface, Surface, SurfaceResponse, UNISSUED_REQUEST_ID,
};

/// Steps per case: `CONFORMANCE_STEPS` if set, else 24.
pub fn steps() -> usize {
    std::env::var("CONFORMANCE_STEPS").ok().and_then(|s| s.parse().ok()).unwrap_or(24)
}

static STEPS_RUN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Counts one applied step; with `CONFORMANCE_REPORT` set, prints the total
/// at every 100 000 steps (for soak runs).
pub fn count_step() {
    let n = STEPS_RUN.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
    if n.is_multiple_of(100_000) && std::env::var_os("CONFORMANCE_REPORT").is_some() {
        eprintln!("conformance: {n} steps applied");
    }
}

/// Steps applied so far in this process, by every run of the kit.
pub fn steps_run() -> usize {
    STEPS_RUN.load(std::sync::atomic::Ordering::Relaxed)
}
