//! The reference model, written from the specification
//! (`certificate-operations.md`), not from the implementation: what each
//! operation answers and what becomes visible.

use proptest::prelude::*;
use proptest::sample::Index;
use proptest_state_machine::ReferenceStateMachine;

/// The certificate names every run uses (several at once).
pub const NAMES: [&str; 3] = ["alpha", "beta", "gamma"];

/// The registered issuer the model uses.
pub const ISSUER: &str = "mydigicert";

/// How a request is fulfilled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `Unknown`: waits for a merge.
    Manual,
    /// A registered issuer: waits for the provider.
    Provider,
    /// `Self`: waits for the key holder to sign (or to confirm a cancellation).
    SelfSigned,
}

/// A pending object's status as the model sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelStatus {
    /// `inProgress`
    InProgress,
    /// `completed`
    Completed,
    /// `failed`, with its error code.
    Failed(String),
    /// `cancelled`
    Cancelled,
}

impl ModelStatus {
    /// The wire spelling.
    pub fn as_str(&self) -> &'static str {
        match self {
            ModelStatus::InProgress => "inProgress",
            ModelStatus::Completed => "completed",
            ModelStatus::Failed(_) => "failed",
            ModelStatus::Cancelled => "cancelled",
        }
    }
}

/// The model's pending object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelPending {
    /// How it is fulfilled.
    pub mode: Mode,
    /// Its status.
    pub status: ModelStatus,
    /// Whether cancellation was requested.
    pub cancellation_requested: bool,
}

/// One name in the model.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelName {
    /// The pending object, if any. Its request is always the last one issued.
    pub pending: Option<ModelPending>,
    /// How many issued certificate versions exist.
    pub versions: usize,
    /// Whether the name holds the disabled placeholder version of a request
    /// that did not complete: made by every create, replaced by the version a
    /// request completes into (or an import), kept when the pending object is
    /// deleted, cancelled or failed.
    pub placeholder: bool,
    /// How many requests were ever created for the name.
    pub requests: usize,
    /// Whether the certificate is soft-deleted: it keeps its versions and
    /// its pending object, answers none of the live routes, and refuses
    /// every write but recover and purge.
    pub deleted: bool,
}

impl ModelName {
    /// Whether the name has a certificate (a version, or a placeholder).
    pub fn exists(&self) -> bool {
        self.placeholder || self.versions > 0
    }

    /// What a purge (or its date passing) leaves: nothing but the count of
    /// requests, whose ids stay used.
    fn purged(&mut self) {
        *self = ModelName { requests: self.requests, ..ModelName::default() };
    }
}

/// Days a deleted certificate is kept (the vault's default recovery).
pub const RETENTION_DAYS: u32 = 90;

/// What the model expects an operation to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expect {
    /// HTTP status.
    pub status: u16,
    /// Service error code, for a refusal.
    pub code: Option<&'static str>,
}

impl Expect {
    const fn ok(status: u16) -> Self {
        Self { status, code: None }
    }

    const fn refused(status: u16, code: &'static str) -> Self {
        Self { status, code: Some(code) }
    }

    /// Whether the operation is refused (and so must change nothing).
    pub fn is_refusal(&self) -> bool {
        self.status >= 400
    }
}

/// The model's whole state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelState {
    /// One entry per name of [`NAMES`].
    pub names: Vec<ModelName>,
    /// What the last transition answered.
    pub last: Expect,
    /// The last backup taken of each name: its issued versions and whether
    /// it held a placeholder. A backup outlives its name's purge.
    pub backups: Vec<Option<(usize, bool)>>,
    /// Whether the vault's certificate contacts are set.
    pub contacts: bool,
}

/// Which `request_id` an operation names.
#[derive(Debug, Clone, Copy)]
pub enum RequestRef {
    /// None given: the pending object, whatever its request.
    Unspecified,
    /// The pending object's own.
    Current,
    /// One issued earlier for the name (resolved by index), never the current.
    Stale(Index),
    /// A well-formed id never issued.
    Random,
}

/// What a merge sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainKind {
    /// A chain a CA issued for the CSR's key, leaf first or shuffled.
    ForCsrKey {
        /// Whether the order is shuffled (root first).
        shuffled: bool,
    },
    /// A valid chain for another key.
    OtherKey,
    /// Bytes that are not a certificate.
    Garbage,
}

/// What a provider reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutcomeKind {
    /// Issued with a chain for the CSR's key.
    Issued,
    /// Issued with a chain for another key: fails validation.
    IssuedBadChain,
    /// Failed (`Request rejected`).
    Failed,
    /// Cancelled.
    Cancelled,
}

/// One step of a run.
#[derive(Debug, Clone)]
pub enum Transition {
    /// `POST …/create`.
    Create {
        /// Which name.
        name: Index,
        /// Which issuer.
        mode: Mode,
        /// `preserveCertOrder`.
        preserve: bool,
    },
    /// `POST …/import` (PEM chain and key).
    Import {
        /// Which name.
        name: Index,
    },
    /// `GET …/pending`.
    GetPending {
        /// Which name.
        name: Index,
        /// Which `request_id`.
        request: RequestRef,
    },
    /// `PATCH …/pending`.
    Cancel {
        /// Which name.
        name: Index,
        /// Which `request_id`.
        request: RequestRef,
        /// `cancellation_requested`.
        requested: bool,
    },
    /// `DELETE …/pending`.
    Delete {
        /// Which name.
        name: Index,
        /// Which `request_id`.
        request: RequestRef,
    },
    /// `POST …/pending/merge`.
    Merge {
        /// Which name.
        name: Index,
        /// What chain.
        chain: ChainKind,
    },
    /// A provider outcome.
    Outcome {
        /// Which name.
        name: Index,
        /// Which request it answers.
        request: RequestRef,
        /// What it says.
        kind: OutcomeKind,
    },
    /// `GET /certificates/{name}`.
    GetCertificate {
        /// Which name.
        name: Index,
    },
    /// Time passes.
    Tick {
        /// Seconds.
        seconds: u32,
    },
    /// `DELETE /certificates/{name}`.
    DeleteCertificate {
        /// Which name.
        name: Index,
    },
    /// `GET /deletedcertificates/{name}`.
    GetDeleted {
        /// Which name.
        name: Index,
    },
    /// `POST /deletedcertificates/{name}/recover`.
    Recover {
        /// Which name.
        name: Index,
    },
    /// `DELETE /deletedcertificates/{name}`.
    Purge {
        /// Which name.
        name: Index,
    },
    /// `POST /certificates/{name}/backup`.
    Backup {
        /// Which name.
        name: Index,
    },
    /// `POST /certificates/restore` with the name's last backup (bytes that
    /// are not a backup when there is none).
    Restore {
        /// Which name.
        name: Index,
    },
    /// `PATCH /certificates/{name}/` (tags).
    UpdateProperties {
        /// Which name.
        name: Index,
    },
    /// `GET /certificates/{name}/policy`.
    GetPolicy {
        /// Which name.
        name: Index,
    },
    /// `PATCH /certificates/{name}/policy` (the subject).
    UpdatePolicy {
        /// Which name.
        name: Index,
    },
    /// `GET /secrets/{name}`.
    GetSecret {
        /// Which name.
        name: Index,
    },
    /// `PUT /certificates/contacts`.
    SetContacts,
    /// `GET /certificates/contacts`.
    GetContacts,
    /// `DELETE /certificates/contacts`.
    DeleteContacts,
    /// More than [`RETENTION_DAYS`] pass: every deleted certificate's purge
    /// date comes. (The [`Tick`](Transition::Tick)s of one run add up to less
    /// than the retention: at most 100 000 s each, fewer than 77 per run.)
    PastPurgeDate,
}

impl Transition {
    /// The name index the transition concerns, if any.
    pub fn name_index(&self) -> Option<usize> {
        match self {
            Transition::Create { name, .. }
            | Transition::Import { name }
            | Transition::GetPending { name, .. }
            | Transition::Cancel { name, .. }
            | Transition::Delete { name, .. }
            | Transition::Merge { name, .. }
            | Transition::Outcome { name, .. }
            | Transition::GetCertificate { name }
            | Transition::DeleteCertificate { name }
            | Transition::GetDeleted { name }
            | Transition::Recover { name }
            | Transition::Purge { name }
            | Transition::Backup { name }
            | Transition::Restore { name }
            | Transition::UpdateProperties { name }
            | Transition::GetPolicy { name }
            | Transition::UpdatePolicy { name }
            | Transition::GetSecret { name } => Some(name.index(NAMES.len())),
            Transition::Tick { .. }
            | Transition::PastPurgeDate
            | Transition::SetContacts
            | Transition::GetContacts
            | Transition::DeleteContacts => None,
        }
    }
}

fn request_ref() -> impl Strategy<Value = RequestRef> {
    prop_oneof![
        3 => Just(RequestRef::Unspecified),
        3 => Just(RequestRef::Current),
        1 => any::<Index>().prop_map(RequestRef::Stale),
        1 => Just(RequestRef::Random),
    ]
}

/// The strategy for one transition, weighted toward what moves the machine.
pub fn transition() -> BoxedStrategy<Transition> {
    let mode = prop_oneof![2 => Just(Mode::Manual), 2 => Just(Mode::Provider), 1 => Just(Mode::SelfSigned)];
    let chain = prop_oneof![
        4 => any::<bool>().prop_map(|shuffled| ChainKind::ForCsrKey { shuffled }),
        1 => Just(ChainKind::OtherKey),
        1 => Just(ChainKind::Garbage),
    ];
    let outcome = prop_oneof![
        3 => Just(OutcomeKind::Issued),
        1 => Just(OutcomeKind::IssuedBadChain),
        2 => Just(OutcomeKind::Failed),
        2 => Just(OutcomeKind::Cancelled),
    ];
    let outcome_ref = prop_oneof![4 => Just(RequestRef::Current), 1 => any::<Index>().prop_map(RequestRef::Stale)];
    prop_oneof![
        5 => (any::<Index>(), mode, any::<bool>()).prop_map(|(name, mode, preserve)| Transition::Create { name, mode, preserve }),
        1 => any::<Index>().prop_map(|name| Transition::Import { name }),
        3 => (any::<Index>(), request_ref()).prop_map(|(name, request)| Transition::GetPending { name, request }),
        3 => (any::<Index>(), request_ref(), prop::bool::weighted(0.8))
            .prop_map(|(name, request, requested)| Transition::Cancel { name, request, requested }),
        2 => (any::<Index>(), request_ref()).prop_map(|(name, request)| Transition::Delete { name, request }),
        3 => (any::<Index>(), chain).prop_map(|(name, chain)| Transition::Merge { name, chain }),
        4 => (any::<Index>(), outcome_ref, outcome).prop_map(|(name, request, kind)| Transition::Outcome { name, request, kind }),
        1 => any::<Index>().prop_map(|name| Transition::GetCertificate { name }),
        1 => (1u32..100_000).prop_map(|seconds| Transition::Tick { seconds }),
        2 => any::<Index>().prop_map(|name| Transition::DeleteCertificate { name }),
        1 => any::<Index>().prop_map(|name| Transition::GetDeleted { name }),
        1 => any::<Index>().prop_map(|name| Transition::Recover { name }),
        1 => any::<Index>().prop_map(|name| Transition::Purge { name }),
        1 => Just(Transition::PastPurgeDate),
        1 => any::<Index>().prop_map(|name| Transition::Backup { name }),
        1 => any::<Index>().prop_map(|name| Transition::Restore { name }),
        1 => any::<Index>().prop_map(|name| Transition::UpdateProperties { name }),
        1 => any::<Index>().prop_map(|name| Transition::GetPolicy { name }),
        1 => any::<Index>().prop_map(|name| Transition::UpdatePolicy { name }),
        1 => any::<Index>().prop_map(|name| Transition::GetSecret { name }),
        1 => Just(Transition::SetContacts),
        1 => Just(Transition::GetContacts),
        1 => Just(Transition::DeleteContacts),
    ]
    .boxed()
}

/// The reference state machine.
#[derive(Debug, Clone, Copy)]
pub struct Model;

fn matches(pending: Option<&ModelPending>, request: RequestRef) -> bool {
    pending.is_some() && matches!(request, RequestRef::Unspecified | RequestRef::Current)
}

/// Applies `transition` to one name, returning what it answers.
fn step(name: &mut ModelName, transition: &Transition) -> Expect {
    use ModelStatus::*;
    let in_progress = name.pending.as_ref().is_some_and(|p| p.status == InProgress);
    // A deleted name refuses every write but recover and purge, and answers
    // none of the live reads; a provider's outcome still reaches its request.
    if name.deleted {
        match transition {
            Transition::Create { .. } | Transition::Import { .. } | Transition::Merge { .. } => {
                return Expect::refused(409, "Conflict");
            }
            Transition::GetPending { .. } | Transition::Cancel { .. } | Transition::Delete { .. } => {
                return Expect::refused(404, "PendingCertificateNotFound");
            }
            Transition::GetCertificate { .. }
            | Transition::DeleteCertificate { .. }
            | Transition::Backup { .. }
            | Transition::UpdateProperties { .. }
            | Transition::GetPolicy { .. }
            | Transition::UpdatePolicy { .. } => {
                return Expect::refused(404, "CertificateNotFound");
            }
            Transition::GetSecret { .. } => return Expect::refused(404, "SecretNotFound"),
            Transition::GetDeleted { .. } => return Expect::ok(200),
            Transition::Recover { .. } => {
                name.deleted = false;
                return Expect::ok(200);
            }
            Transition::Purge { .. } => {
                name.purged();
                return Expect::ok(204);
            }
            Transition::Outcome { .. }
            | Transition::Tick { .. }
            | Transition::PastPurgeDate
            | Transition::Restore { .. }
            | Transition::SetContacts
            | Transition::GetContacts
            | Transition::DeleteContacts => {}
        }
    }
    match transition {
        Transition::Create { mode, .. } => {
            if in_progress {
                return Expect::refused(409, "Forbidden");
            }
            name.requests += 1;
            // Every request starts in progress, `Self` too: the service takes
            // its time, and so may a surface.
            name.pending = Some(ModelPending { mode: *mode, status: InProgress, cancellation_requested: false });
            name.placeholder = true;
            Expect::ok(202)
        }
        Transition::Import { .. } => {
            if in_progress {
                return Expect::refused(409, "Forbidden");
            }
            name.pending = None;
            name.versions += 1;
            name.placeholder = false;
            Expect::ok(200)
        }
        Transition::GetPending { request, .. } => {
            if matches(name.pending.as_ref(), *request) {
                Expect::ok(200)
            } else {
                Expect::refused(404, "PendingCertificateNotFound")
            }
        }
        Transition::Cancel { request, requested, .. } => {
            if !matches(name.pending.as_ref(), *request) {
                return Expect::refused(404, "PendingCertificateNotFound");
            }
            let Some(pending) = name.pending.as_mut() else {
                return Expect::refused(404, "PendingCertificateNotFound");
            };
            if pending.status != InProgress {
                return Expect::refused(400, "BadParameter");
            }
            // Asked for, and still in progress: only the provider (or a merge,
            // or a delete) ends the request.
            if *requested {
                pending.cancellation_requested = true;
            }
            Expect::ok(200)
        }
        Transition::Delete { request, .. } => {
            if !matches(name.pending.as_ref(), *request) {
                return Expect::refused(404, "PendingCertificateNotFound");
            }
            name.pending = None;
            Expect::ok(200)
        }
        Transition::Merge { chain, .. } => {
            let Some(pending) = name.pending.as_mut() else {
                return Expect::refused(404, "PendingCertificateNotFound");
            };
            match (&pending.status, pending.mode) {
                (Completed, _) => return Expect::refused(409, "Conflict"),
                (InProgress, Mode::Provider | Mode::SelfSigned) => return Expect::refused(403, "Forbidden"),
                _ => {}
            }
            match chain {
                ChainKind::ForCsrKey { .. } => {
                    pending.status = Completed;
                    name.versions += 1;
                    name.placeholder = false;
                    Expect::ok(201)
                }
                ChainKind::OtherKey | ChainKind::Garbage => Expect::refused(400, "BadParameter"),
            }
        }
        Transition::Outcome { request, kind, .. } => {
            let current = matches!(request, RequestRef::Current);
            let Some(pending) = name.pending.as_mut().filter(|p| current && p.status == InProgress) else {
                return Expect::refused(409, "Conflict");
            };
            pending.status = match kind {
                OutcomeKind::Issued => {
                    name.versions += 1;
                    name.placeholder = false;
                    Completed
                }
                OutcomeKind::IssuedBadChain => Failed("Certificate issuer error".into()),
                OutcomeKind::Failed => Failed("Request rejected".into()),
                OutcomeKind::Cancelled => Cancelled,
            };
            Expect::ok(200)
        }
        Transition::GetCertificate { .. } => {
            if name.placeholder || name.versions > 0 {
                Expect::ok(200)
            } else {
                Expect::refused(404, "CertificateNotFound")
            }
        }
        Transition::Tick { .. } | Transition::PastPurgeDate => Expect::ok(200),
        Transition::DeleteCertificate { .. } => {
            if !name.exists() {
                return Expect::refused(404, "CertificateNotFound");
            }
            name.deleted = true;
            Expect::ok(200)
        }
        Transition::GetDeleted { .. } | Transition::Recover { .. } | Transition::Purge { .. } => {
            Expect::refused(404, "CertificateNotFound")
        }
        Transition::Backup { .. }
        | Transition::UpdateProperties { .. }
        | Transition::GetPolicy { .. }
        | Transition::UpdatePolicy { .. } => {
            if name.exists() {
                Expect::ok(200)
            } else {
                Expect::refused(404, "CertificateNotFound")
            }
        }
        // The newest version is the placeholder while there is one: its
        // secret is a disabled one.
        Transition::GetSecret { .. } => match (name.placeholder, name.versions) {
            (true, _) => Expect::refused(403, "Forbidden"),
            (false, 0) => Expect::refused(404, "SecretNotFound"),
            (false, _) => Expect::ok(200),
        },
        // Decided over the whole state, in `apply`.
        Transition::Restore { .. } | Transition::SetContacts | Transition::GetContacts | Transition::DeleteContacts => {
            Expect::ok(200)
        }
    }
}

impl ReferenceStateMachine for Model {
    type State = ModelState;
    type Transition = Transition;

    fn init_state() -> BoxedStrategy<ModelState> {
        Just(ModelState {
            names: vec![ModelName::default(); NAMES.len()],
            last: Expect::ok(200),
            backups: vec![None; NAMES.len()],
            contacts: false,
        })
        .boxed()
    }

    fn transitions(_state: &ModelState) -> BoxedStrategy<Transition> {
        transition()
    }

    fn apply(mut state: ModelState, transition: &Transition) -> ModelState {
        state.last = match transition.name_index().and_then(|i| state.names.get_mut(i)) {
            Some(name) => step(name, transition),
            None => Expect::ok(200),
        };
        let index = transition.name_index().unwrap_or(0);
        match transition {
            Transition::PastPurgeDate => {
                for name in state.names.iter_mut().filter(|n| n.deleted) {
                    name.purged();
                }
            }
            Transition::Backup { .. } if !state.last.is_refusal() => {
                let name = &state.names[index];
                state.backups[index] = Some((name.versions, name.placeholder));
            }
            Transition::Restore { .. } => {
                let name = &mut state.names[index];
                state.last = match state.backups[index] {
                    None => Expect::refused(400, "Malformed backup blob"),
                    Some(_) if name.exists() || name.deleted => Expect::refused(409, "Conflict"),
                    Some((versions, placeholder)) => {
                        *name = ModelName { versions, placeholder, requests: name.requests, ..ModelName::default() };
                        Expect::ok(200)
                    }
                };
            }
            Transition::SetContacts => state.contacts = true,
            Transition::GetContacts | Transition::DeleteContacts if !state.contacts => {
                state.last = Expect::refused(404, "ContactsNotFound");
            }
            Transition::DeleteContacts => state.contacts = false,
            _ => {}
        }
        state
    }
}
