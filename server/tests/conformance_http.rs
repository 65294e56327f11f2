//! The conformance kit against the server over real HTTP: the same model and
//! invariants the core's own tests use. Each case starts a fresh server, in
//! memory or on redb in a fresh data directory.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use base64::Engine as _;
use common::{Server, http};
use pending_certificate::conformance::{Conformance, ProviderOutcome, Surface, SurfaceResponse, steps};
use proptest_state_machine::prop_state_machine;

/// The server under the kit; `REDB`: with `--data-dir`.
struct RemoteSurface<const REDB: bool> {
    server: Server,
    dir: Option<std::path::PathBuf>,
}

impl<const REDB: bool> Drop for RemoteSurface<REDB> {
    fn drop(&mut self) {
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

impl<const REDB: bool> Surface for RemoteSurface<REDB> {
    fn start() -> Self {
        static CASE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let dir = REDB.then(|| {
            let case = CASE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
                .join(format!("conformance-{}-{case}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            dir
        });
        // The provider's own timer never fires during a case: the kit reports
        // every outcome through the admin route.
        let server = Server::start(
            &["--insecure-http", "--admin", "--provider-delay", "86400", "--self-signed-delay", "86400"],
            dir.as_deref(),
        );
        Self { server, dir }
    }

    fn call(&mut self, method: &str, target: &str, body: &[u8]) -> SurfaceResponse {
        let answer = http(&self.server.address, method, target, body, Some("conformance"));
        SurfaceResponse { status: answer.status, body: answer.body }
    }

    fn provider_outcome(&mut self, name: &str, request_id: &str, outcome: &ProviderOutcome) -> SurfaceResponse {
        let engine = base64::engine::general_purpose::STANDARD;
        let body = match outcome {
            ProviderOutcome::Issued { x5c } => {
                serde_json::json!({"name": name, "request_id": request_id, "outcome": "issued",
                "x5c": x5c.iter().map(|c| engine.encode(c)).collect::<Vec<_>>()})
            }
            ProviderOutcome::Failed { code, message } => serde_json::json!({"name": name, "request_id": request_id,
                "outcome": "failed", "code": code, "message": message}),
            ProviderOutcome::Cancelled => {
                serde_json::json!({"name": name, "request_id": request_id, "outcome": "cancelled"})
            }
            // Without a chain, the server's provider answers: its key holder for `Self`.
            ProviderOutcome::SelfSigned => {
                serde_json::json!({"name": name, "request_id": request_id, "outcome": "issued"})
            }
        };
        let answer = http(&self.server.address, "POST", "/admin/outcome", &serde_json::to_vec(&body).unwrap(), None);
        SurfaceResponse { status: answer.status, body: answer.body }
    }
}

type InMemory = RemoteSurface<false>;
type OnRedb = RemoteSurface<true>;

prop_state_machine! {
    #![proptest_config(proptest::test_runner::Config::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(12)
    ))]

    #[test]
    fn the_server_conforms_over_http_in_memory(sequential 1..=steps() => Conformance<InMemory>);

    #[test]
    fn the_server_conforms_over_http_on_redb(sequential 1..=steps() => Conformance<OnRedb>);
}
