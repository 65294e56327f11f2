//! # pending-certificate
//!
//! The transport-free core of Key Vault-style certificate creation, a
//! long-running operation. A *pending object* goes
//!
//! ```text
//!                 merge (manual) / issued (provider, Self)
//!            ┌────────────────────────────────────────────► completed
//!  create ──►│ inProgress ── failed (provider) ───────────► failed ────┐
//!            └── cancel (manual) / cancelled (provider) ──► cancelled ─┤
//!                                                                      │
//!            create / import overwrite, delete removes ◄───────────────┘
//!              (failed and cancelled also accept an out-of-band merge)
//! ```
//!
//! Everything is deterministic: time (`now`) and ids ([`IdGenerator`]) are
//! inputs; there is no clock, randomness or I/O in this crate. The
//! [`Certificate`] aggregate holds one name; [`Vault`] holds many; [`wire`] has
//! the JSON bodies, [`x5c`] the chain validator. Every refusal is an
//! [`OperationError`] with its HTTP status and service error code.
//!
//! See `docs/state-machine.md` for every (state, operation) pair and
//! `docs/ARCHITECTURE.md` for the code map.
//!
//! ```
//! use pending_certificate::{
//!     CertificateName, CertificatePolicy, CreateRequest, Csr, SequentialIds, StatusKind, Vault,
//!     VaultUrl,
//! };
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let key = rcgen::KeyPair::generate()?;
//! # let csr_der = rcgen::CertificateParams::new(vec![])?.serialize_request(&key)?.der().to_vec();
//! let mut vault = Vault::new(VaultUrl::new("https://myvault.vault.azure.net")?);
//! let mut ids = SequentialIds::default();
//! let now = time::OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000);
//! let name = CertificateName::new("mycert1")?;
//!
//! // A manual request (no issuer): waits for a merge.
//! let request = CreateRequest::new(Csr::from_der(&csr_der)?, CertificatePolicy::default());
//! assert_eq!(vault.create(&name, request.clone(), now, &mut ids)?, None);
//! assert_eq!(vault.pending(&name, None)?.status().kind(), StatusKind::InProgress);
//!
//! // A second create while in progress is the service's 409 Forbidden.
//! let refused = vault.create(&name, request, now, &mut ids).unwrap_err();
//! assert_eq!((refused.status(), refused.code()), (409, "Forbidden"));
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

pub mod backup;
mod certificate;
pub mod command;
#[cfg(feature = "conformance")]
pub mod conformance;
mod csr;
pub mod dn;
mod error;
mod ids;
pub mod jwk;
mod keys;
pub mod limits;
#[cfg(feature = "memory-keys")]
pub mod memory;
mod name;
mod pending;
pub mod policy;
mod recovery;
pub mod rest;
mod schema;
mod vault;
mod vault_url;
pub mod wire;
pub mod x5c;

pub use certificate::{
    Certificate, CertificateVersion, ChainOptions, CreateRequest, Deletion, Effect, FORMAT_VERSION, Issued,
    PLACEHOLDER_NBF_LEAD_SECONDS, VersionUpdate,
};
pub use command::{Applied, Command, Context, NoKeys, Outcome};
pub use csr::{Csr, CsrError, MAX_CSR_LEN};
pub use error::{OperationError, StaleReason};
pub use ids::{IdGenerator, InvalidId, RequestId, SequentialIds, VersionId};
pub use keys::{
    Curve, ImportContent, ImportFormat, ImportedKey, InvalidKeyRequest, KeyHolder, KeyHolderError, KeyRequest, KeyType,
    PemBundle, parse_pem_bundle, pem_block, pem_certificates,
};
pub use name::{CertificateName, InvalidName, IssuerMode, IssuerName, MAX_NAME_LEN};
pub use pending::{
    Failure, ISSUER_STATUS_DETAILS, IssuerRef, MANUAL_STATUS_DETAILS, PendingCertificate, Status, StatusKind,
};
pub use policy::CertificatePolicy;
pub use recovery::{Recovery, RecoveryLevel};
pub use vault::{Issuer, Revision, Vault, VaultSettings};
pub use vault_url::{InvalidVaultUrl, VaultUrl};

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
