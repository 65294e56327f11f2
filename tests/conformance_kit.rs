//! The conformance kit used the way an embedder uses it (the example of
//! `docs/conformance.md`): a surface of its own, run against the model.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use pending_certificate::conformance::{Conformance, ProviderOutcome, Surface, SurfaceResponse, steps};
use pending_certificate::memory::MemoryKeyHolder;
use pending_certificate::rest::{Request, handle};
use pending_certificate::wire::ErrorBody;
use pending_certificate::{CertificateName, Failure, RequestId, SequentialIds, Vault, VaultUrl};
use proptest_state_machine::prop_state_machine;
use time::OffsetDateTime;

/// An embedder's endpoint: here the core's `rest` behind the embedder's own
/// plumbing; over real HTTP, `call` would send the request to the server.
struct MyEndpoint {
    vault: Vault,
    keys: MemoryKeyHolder,
    ids: SequentialIds,
}

impl Surface for MyEndpoint {
    fn start() -> Self {
        let vault = Vault::new(VaultUrl::new("https://my-endpoint.example").unwrap());
        Self { vault, keys: MemoryKeyHolder::new(), ids: SequentialIds::default() }
    }

    fn call(&mut self, method: &str, target: &str, body: &[u8]) -> SurfaceResponse {
        let now = OffsetDateTime::now_utc();
        let handled = handle(&mut self.vault, &mut self.keys, &mut self.ids, now, Request { method, target, body });
        SurfaceResponse { status: handled.response.status, body: handled.response.body }
    }

    fn provider_outcome(&mut self, name: &str, request_id: &str, outcome: &ProviderOutcome) -> SurfaceResponse {
        let (name, id) = (CertificateName::new(name).unwrap(), RequestId::parse(request_id).unwrap());
        let now = OffsetDateTime::now_utc();
        let result = match outcome {
            ProviderOutcome::Issued { x5c } => self.vault.issued(&name, id, x5c, now, &mut self.ids).map(|_| ()),
            ProviderOutcome::Failed { code, message } => {
                self.vault.failed(&name, id, Failure::new(code.clone(), message.clone()), now)
            }
            ProviderOutcome::Cancelled => self.vault.cancelled(&name, id, now),
            // A `Self` request: the key holder signs it now.
            ProviderOutcome::SelfSigned => {
                self.vault.sign_self(&name, id, &mut self.keys, now, &mut self.ids).map(|_| ())
            }
        };
        match result {
            Ok(()) => SurfaceResponse { status: 200, body: Vec::new() },
            // A refusal carries its error body, as every refusal does.
            Err(e) => SurfaceResponse { status: e.status(), body: serde_json::to_vec(&ErrorBody::from(&e)).unwrap() },
        }
    }
}

prop_state_machine! {
    #![proptest_config(proptest::test_runner::Config::with_cases(16))]

    #[test]
    fn my_endpoint_conforms(sequential 1..=steps() => Conformance<MyEndpoint>);
}
