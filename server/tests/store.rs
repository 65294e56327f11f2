//! The one suite every [`Store`] backend passes: the revision check inside
//! the write, keys and jobs in the same write, leases, issuers, the values
//! replicas agree on, racing writers; and for a durable backend, everything
//! read back after it is reopened.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::path::PathBuf;
use std::sync::Arc;

use common::pg::Postgres;
use pending_certificate::memory::MemoryKeyHolder;
use pending_certificate::rest::{self, Request};
use pending_certificate::{
    Certificate, CertificateName, Command, Issuer, IssuerName, NoKeys, Revision, SequentialIds, Vault, VaultUrl,
};
use pending_certificate_server::store::memory::MemoryStore;
use pending_certificate_server::store::postgres::PostgresStore;
use pending_certificate_server::store::redb::RedbStore;
use pending_certificate_server::store::{Job, JobChange, JobKind, NameWrite, Store, WriteError, Writer};
use time::OffsetDateTime;

fn name(text: &str) -> CertificateName {
    CertificateName::new(text).unwrap()
}

/// A real aggregate: `name` with a manual request in progress, its subject
/// naming `label` so that two are told apart.
fn aggregate(text: &str, label: &str) -> Certificate {
    let mut vault = Vault::new(VaultUrl::new("https://vault.test").unwrap());
    let body = serde_json::json!({"policy": {"key_props": {"kty": "EC", "crv": "P-256"},
        "x509_props": {"subject": format!("CN={label}")}, "issuer": {"name": "Unknown"}}});
    let body = serde_json::to_vec(&body).unwrap();
    let target = format!("/certificates/{text}/create?api-version=7.5");
    let handled = rest::handle(
        &mut vault,
        &mut MemoryKeyHolder::new(),
        &mut SequentialIds::default(),
        OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000),
        Request { method: "POST", target: &target, body: &body },
    );
    assert_eq!(handled.response.status, 202);
    vault.load(&name(text)).unwrap().1.clone()
}

fn write(certificate: Certificate, expected: Option<Revision>) -> NameWrite {
    NameWrite {
        certificate,
        expected,
        keys_added: Vec::new(),
        keys_removed: Vec::new(),
        job: JobChange::Keep,
        writer: Writer::Client,
    }
}

fn job(certificate: &Certificate, due_ms: i64) -> Job {
    Job {
        name: certificate.name().clone(),
        request_id: certificate.current_pending().unwrap().request_id(),
        kind: JobKind::Issue,
        due_ms,
    }
}

async fn the_revision_is_checked_inside_the_write(store: &impl Store) {
    let n = name("rev");
    assert!(store.load(&n).await.unwrap().is_none());
    let first = aggregate("rev", "first");
    let r1 = store.write(write(first.clone(), None)).await.unwrap();
    assert_eq!(store.load(&n).await.unwrap(), Some((r1, first.clone())));
    // A second "create" of a name that now holds something is a conflict.
    assert!(matches!(store.write(write(aggregate("rev", "again"), None)).await, Err(WriteError::Conflict { .. })));
    let second = aggregate("rev", "second");
    let r2 = store.write(write(second.clone(), Some(r1))).await.unwrap();
    assert_ne!(r1, r2);
    // A write decided against the old revision changes nothing.
    let stale = NameWrite {
        keys_added: vec![(b"spki".to_vec(), b"sealed".to_vec())],
        job: JobChange::Set(job(&first, 0)),
        ..write(aggregate("rev", "stale"), Some(r1))
    };
    assert!(matches!(store.write(stale).await, Err(WriteError::Conflict { .. })));
    assert_eq!(store.load(&n).await.unwrap(), Some((r2, second)));
    assert_eq!(store.key(&n, b"spki").await.unwrap(), None);
    assert!(store.take_due_jobs(i64::MAX / 2, 1000, 10).await.unwrap().is_empty());
}

async fn an_emptied_name_leaves_nothing_and_its_revisions_are_never_reused(store: &impl Store) {
    // Writing nothing to a name that holds nothing is taken and stores
    // nothing; the name still takes a first write.
    let nothing = name("nothing");
    store.write(write(Certificate::new(nothing.clone()), None)).await.unwrap();
    assert_eq!(store.load(&nothing).await.unwrap(), None);
    let first = aggregate("nothing", "n");
    let r = store.write(write(first.clone(), None)).await.unwrap();
    assert_eq!(store.load(&nothing).await.unwrap(), Some((r, first)));

    let n = name("emptied");
    let held = aggregate("emptied", "e");
    let w = NameWrite { keys_added: vec![(b"k".to_vec(), b"s".to_vec())], ..write(held.clone(), None) };
    let r1 = store.write(w).await.unwrap();
    let emptied = NameWrite {
        keys_removed: vec![b"k".to_vec()],
        job: JobChange::Clear,
        ..write(Certificate::new(n.clone()), Some(r1))
    };
    store.write(emptied).await.unwrap();
    assert_eq!(store.load(&n).await.unwrap(), None);
    assert_eq!(store.key(&n, b"k").await.unwrap(), None);
    // A write decided while the name held `r1` is refused...
    assert!(matches!(store.write(write(held.clone(), Some(r1))).await, Err(WriteError::Conflict { .. })));
    // ...also once the name holds something again: its revision is new.
    let r3 = store.write(write(aggregate("emptied", "again"), None)).await.unwrap();
    assert_ne!(r3, r1);
    assert!(matches!(store.write(write(held, Some(r1))).await, Err(WriteError::Conflict { .. })));
}

async fn keys_come_and_go_with_the_write(store: &impl Store) {
    let (a, b) = (name("keys-a"), name("keys-b"));
    let w = NameWrite {
        keys_added: vec![(b"k1".to_vec(), b"sealed-1".to_vec()), (b"k2".to_vec(), b"sealed-2".to_vec())],
        ..write(aggregate("keys-a", "a"), None)
    };
    let r = store.write(w).await.unwrap();
    assert_eq!(store.key(&a, b"k1").await.unwrap().as_deref(), Some(&b"sealed-1"[..]));
    assert_eq!(store.key(&a, b"k2").await.unwrap().as_deref(), Some(&b"sealed-2"[..]));
    // Keys belong to their name.
    assert_eq!(store.key(&b, b"k1").await.unwrap(), None);
    let w = NameWrite {
        keys_added: vec![(b"k3".to_vec(), b"sealed-3".to_vec())],
        keys_removed: vec![b"k1".to_vec()],
        ..write(aggregate("keys-a", "a2"), Some(r))
    };
    store.write(w).await.unwrap();
    assert_eq!(store.key(&a, b"k1").await.unwrap(), None);
    assert_eq!(store.key(&a, b"k2").await.unwrap().as_deref(), Some(&b"sealed-2"[..]));
    assert_eq!(store.key(&a, b"k3").await.unwrap().as_deref(), Some(&b"sealed-3"[..]));
}

async fn jobs_are_leased_kept_and_cleared(store: &impl Store) {
    let certificate = aggregate("jobs", "j");
    let scheduled = job(&certificate, 1_000);
    let w = NameWrite { job: JobChange::Set(scheduled.clone()), ..write(certificate.clone(), None) };
    let r1 = store.write(w).await.unwrap();
    // Not yet due.
    assert!(store.take_due_jobs(999, 100, 10).await.unwrap().is_empty());
    assert_eq!(store.take_due_jobs(1_000, 100, 10).await.unwrap(), vec![scheduled.clone()]);
    // Held: no one else takes it until the lease ends.
    assert!(store.take_due_jobs(1_050, 100, 10).await.unwrap().is_empty());
    assert_eq!(store.take_due_jobs(1_101, 100, 10).await.unwrap(), vec![scheduled.clone()]);
    // `Keep` leaves it (and its lease).
    let r2 = store.write(write(certificate.clone(), Some(r1))).await.unwrap();
    assert_eq!(store.take_due_jobs(1_300, 100, 10).await.unwrap(), vec![scheduled.clone()]);
    // Dropping another request's job leaves this one.
    let other = Job { request_id: pending_certificate::RequestId::from_u128(7), ..scheduled.clone() };
    store.drop_job(&other).await.unwrap();
    assert_eq!(store.take_due_jobs(1_500, 100, 10).await.unwrap(), vec![scheduled.clone()]);
    store.drop_job(&scheduled).await.unwrap();
    assert!(store.take_due_jobs(10_000, 100, 10).await.unwrap().is_empty());
    // `Clear` removes a job a write had set.
    let r3 = store
        .write(NameWrite { job: JobChange::Set(scheduled.clone()), ..write(certificate.clone(), Some(r2)) })
        .await
        .unwrap();
    store.write(NameWrite { job: JobChange::Clear, ..write(certificate.clone(), Some(r3)) }).await.unwrap();
    assert!(store.take_due_jobs(20_000, 100, 10).await.unwrap().is_empty());
    // A job set in place of a held one is not held by the old one's lease.
    let (current, _) = store.load(certificate.name()).await.unwrap().unwrap();
    let r5 = store
        .write(NameWrite { job: JobChange::Set(scheduled.clone()), ..write(certificate.clone(), Some(current)) })
        .await
        .unwrap();
    assert_eq!(store.take_due_jobs(30_000, 10_000, 10).await.unwrap(), vec![scheduled.clone()]);
    let replacement = Job { request_id: pending_certificate::RequestId::from_u128(9), ..scheduled.clone() };
    store.write(NameWrite { job: JobChange::Set(replacement.clone()), ..write(certificate, Some(r5)) }).await.unwrap();
    assert_eq!(store.take_due_jobs(30_001, 10_000, 10).await.unwrap(), vec![replacement]);
}

async fn due_jobs_come_at_most_limit_at_a_time(store: &impl Store) {
    for i in 0..5 {
        let certificate = aggregate(&format!("many-{i}"), "m");
        let w = NameWrite { job: JobChange::Set(job(&certificate, 10)), ..write(certificate, None) };
        store.write(w).await.unwrap();
    }
    let first = store.take_due_jobs(100, 1_000, 3).await.unwrap();
    let rest = store.take_due_jobs(100, 1_000, 3).await.unwrap();
    assert_eq!((first.len(), rest.len()), (3, 2));
    let mut names: Vec<String> = first.iter().chain(&rest).map(|j| j.name.to_string()).collect();
    names.sort();
    assert_eq!(names, ["many-0", "many-1", "many-2", "many-3", "many-4"]);
}

async fn issuers_are_set_and_removed(store: &impl Store) {
    let n = IssuerName::new("digi").unwrap();
    assert_eq!(store.issuer(&n).await.unwrap(), None);
    let issuer = Issuer::new("DigiCert");
    store.put_issuer(&n, Some(&issuer)).await.unwrap();
    assert_eq!(store.issuer(&n).await.unwrap(), Some(issuer));
    store.put_issuer(&n, None).await.unwrap();
    assert_eq!(store.issuer(&n).await.unwrap(), None);
}

async fn the_first_meta_value_wins(store: &impl Store) {
    assert_eq!(store.meta_or_insert("m", b"one".to_vec()).await.unwrap(), b"one");
    assert_eq!(store.meta_or_insert("m", b"two".to_vec()).await.unwrap(), b"one");
}

/// Listings page in name order, the deleted apart from the others, after a
/// name and up to a limit; a purged (emptied) name is in neither.
async fn listings_page_in_name_order_with_the_deleted_apart(store: &impl Store) {
    let recovery = pending_certificate::Recovery::default();
    let at = OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000);
    let options = pending_certificate::ChainOptions::default();
    let cx = pending_certificate::Context { chain_options: &options, recovery: &recovery, now: at };
    let apply = |certificate: &mut Certificate, command: Command| {
        certificate.apply(command, &cx, &mut SequentialIds::default(), &mut NoKeys).unwrap();
    };
    for (text, deleted) in [("ls-c", false), ("ls-a", true), ("ls-e", false), ("ls-b", false), ("ls-d", true)] {
        let mut certificate = aggregate(text, text);
        if deleted {
            apply(&mut certificate, Command::Delete);
        }
        store.write(write(certificate, None)).await.unwrap();
    }
    let names = |page: Vec<(Revision, Certificate)>| -> Vec<String> {
        page.into_iter().map(|(_, c)| c.name().to_string()).collect()
    };
    assert_eq!(names(store.list_certificates(false, Some("ls-"), 2).await.unwrap()), ["ls-b", "ls-c"]);
    assert_eq!(names(store.list_certificates(false, Some("ls-c"), 1).await.unwrap()), ["ls-e"]);
    assert_eq!(names(store.list_certificates(true, Some("ls-"), 5).await.unwrap())[..2], ["ls-a", "ls-d"]);
    // A recovered name moves back; a purged one is gone from both.
    let (revision, mut recovered) = store.load(&name("ls-a")).await.unwrap().unwrap();
    apply(&mut recovered, Command::Recover);
    store.write(write(recovered, Some(revision))).await.unwrap();
    let (revision, mut purged) = store.load(&name("ls-d")).await.unwrap().unwrap();
    apply(&mut purged, Command::Purge);
    store.write(write(purged, Some(revision))).await.unwrap();
    assert_eq!(names(store.list_certificates(false, Some("ls-"), 2).await.unwrap()), ["ls-a", "ls-b"]);
    let deleted = names(store.list_certificates(true, None, 100).await.unwrap());
    assert!(!deleted.iter().any(|n| n.starts_with("ls-")), "{deleted:?}");
    let all = names(store.list_certificates(false, None, 1000).await.unwrap());
    assert!(!all.contains(&"ls-d".to_owned()) && all.windows(2).all(|w| w[0] < w[1]), "{all:?}");
}

async fn issuers_and_contacts_are_listed_and_kept(store: &impl Store) {
    for text in ["li-b", "li-a", "li-c"] {
        store.put_issuer(&IssuerName::new(text).unwrap(), Some(&Issuer::new(text))).await.unwrap();
    }
    let page = store.list_issuers(Some("li-a"), 1).await.unwrap();
    assert_eq!(page, [(IssuerName::new("li-b").unwrap(), Issuer::new("li-b"))]);
    assert_eq!(store.list_issuers(Some("li-"), 10).await.unwrap().len(), 3);
    assert_eq!(store.contacts().await.unwrap(), None);
    let contacts: pending_certificate::wire::Contacts =
        serde_json::from_value(serde_json::json!({"contacts": [{"email": "a@example.com"}]})).unwrap();
    store.put_contacts(Some(&contacts)).await.unwrap();
    assert_eq!(store.contacts().await.unwrap(), Some(contacts));
    store.put_contacts(None).await.unwrap();
    assert_eq!(store.contacts().await.unwrap(), None);
}

/// Many writers decided against the same revision: exactly one lands.
async fn exactly_one_racing_writer_wins<S: Store>(store: Arc<S>) {
    for round in 0..20 {
        let text = format!("race-{round}");
        let mut tasks = Vec::new();
        for i in 0..8 {
            let store = Arc::clone(&store);
            let certificate = aggregate(&text, &format!("w{i}"));
            tasks.push(tokio::spawn(async move { store.write(write(certificate, None)).await }));
        }
        let mut won = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => won += 1,
                Err(WriteError::Conflict { .. }) => {}
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(won, 1, "round {round}");
    }
}

/// A conflict says who wrote the revision found instead: a client, or the
/// server's own background work.
async fn a_conflict_names_the_writer_that_got_there_first(store: &impl Store) {
    let certificate = aggregate("who", "first");
    let r1 = store.write(write(certificate.clone(), None)).await.unwrap();
    let by_client = store.write(write(certificate.clone(), None)).await;
    assert!(matches!(by_client, Err(WriteError::Conflict { by: Writer::Client })), "{by_client:?}");
    let background = NameWrite { writer: Writer::Background, ..write(certificate.clone(), Some(r1)) };
    let r2 = store.write(background).await.unwrap();
    let lost = store.write(write(certificate.clone(), Some(r1))).await;
    assert!(matches!(lost, Err(WriteError::Conflict { by: Writer::Background })), "{lost:?}");
    store.write(write(certificate.clone(), Some(r2))).await.unwrap();
    let lost = store.write(write(certificate, Some(r1))).await;
    assert!(matches!(lost, Err(WriteError::Conflict { by: Writer::Client })), "{lost:?}");
}

/// A cancellation turns the request's job into a cancellation, due when it
/// was; one for another request changes nothing.
async fn a_cancellation_turns_the_requests_job_into_one(store: &impl Store) {
    let certificate = aggregate("cancel", "c");
    let scheduled = job(&certificate, 5);
    let w = NameWrite { job: JobChange::Set(scheduled.clone()), ..write(certificate.clone(), None) };
    let r1 = store.write(w).await.unwrap();
    let other = pending_certificate::RequestId::from_u128(42);
    let w = NameWrite { job: JobChange::Cancel(other), ..write(certificate.clone(), Some(r1)) };
    let r2 = store.write(w).await.unwrap();
    let taken = store.take_due_jobs(5, 0, 100).await.unwrap();
    assert_eq!(taken.iter().find(|j| j.name == scheduled.name), Some(&scheduled));
    let w = NameWrite { job: JobChange::Cancel(scheduled.request_id), ..write(certificate.clone(), Some(r2)) };
    store.write(w).await.unwrap();
    let taken = store.take_due_jobs(5, 0, 100).await.unwrap();
    let cancelled = Job { kind: JobKind::Cancel, ..scheduled.clone() };
    assert_eq!(taken.iter().find(|j| j.name == scheduled.name), Some(&cancelled));
    store.drop_job(&cancelled).await.unwrap();
}

async fn the_whole_suite<S: Store>(store: Arc<S>) {
    the_revision_is_checked_inside_the_write(&*store).await;
    a_conflict_names_the_writer_that_got_there_first(&*store).await;
    a_cancellation_turns_the_requests_job_into_one(&*store).await;
    keys_come_and_go_with_the_write(&*store).await;
    an_emptied_name_leaves_nothing_and_its_revisions_are_never_reused(&*store).await;
    jobs_are_leased_kept_and_cleared(&*store).await;
    due_jobs_come_at_most_limit_at_a_time(&*store).await;
    issuers_are_set_and_removed(&*store).await;
    the_first_meta_value_wins(&*store).await;
    listings_page_in_name_order_with_the_deleted_apart(&*store).await;
    issuers_and_contacts_are_listed_and_kept(&*store).await;
    exactly_one_racing_writer_wins(store).await;
}

fn scratch(label: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("store-{label}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_passes_the_suite() {
    the_whole_suite(Arc::new(MemoryStore::default())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redb_passes_the_suite() {
    let dir = scratch("suite");
    the_whole_suite(Arc::new(RedbStore::open(&dir).unwrap())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redb_keeps_everything_across_a_reopen() {
    let dir = scratch("reopen");
    let certificate = aggregate("kept", "k");
    let scheduled = job(&certificate, 5);
    let revision = {
        let store = RedbStore::open(&dir).unwrap();
        let w = NameWrite {
            keys_added: vec![(b"spki".to_vec(), b"sealed".to_vec())],
            job: JobChange::Set(scheduled.clone()),
            ..write(certificate.clone(), None)
        };
        let revision = store.write(w).await.unwrap();
        store.put_issuer(&IssuerName::new("digi").unwrap(), Some(&Issuer::new("DigiCert"))).await.unwrap();
        store.meta_or_insert("m", b"v".to_vec()).await.unwrap();
        // Taken, and the taker gone: the lease does not outlive the process.
        assert_eq!(store.take_due_jobs(10, 60_000, 10).await.unwrap().len(), 1);
        revision
    };
    let store = RedbStore::open(&dir).unwrap();
    let n = name("kept");
    assert_eq!(store.load(&n).await.unwrap(), Some((revision, certificate.clone())));
    assert_eq!(store.key(&n, b"spki").await.unwrap().as_deref(), Some(&b"sealed"[..]));
    assert_eq!(store.issuer(&IssuerName::new("digi").unwrap()).await.unwrap(), Some(Issuer::new("DigiCert")));
    assert_eq!(store.meta_or_insert("m", b"other".to_vec()).await.unwrap(), b"v");
    assert_eq!(store.take_due_jobs(20, 60_000, 10).await.unwrap(), vec![scheduled]);
    // The revision check holds across the reopen.
    assert!(matches!(store.write(write(certificate.clone(), None)).await, Err(WriteError::Conflict { .. })));
    store.write(write(certificate, Some(revision))).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_passes_the_suite() {
    let cluster = tokio::task::spawn_blocking(Postgres::start).await.unwrap();
    cluster.create_database("suite");
    let store = PostgresStore::connect(&cluster.url("suite"), 8).await.unwrap();
    the_whole_suite(Arc::new(store)).await;
}

/// Two replicas' stores on one database: one revision check, one lease, and
/// migrations that many replicas run at once apply once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_on_one_database_share_the_revision_check_and_the_leases() {
    let cluster = tokio::task::spawn_blocking(Postgres::start).await.unwrap();
    cluster.create_database("shared");
    let url = cluster.url("shared");
    // Four replicas migrate a fresh database at once.
    let connecting: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move { PostgresStore::connect(&url, 4).await })
        })
        .collect();
    let mut stores = Vec::new();
    for task in connecting {
        stores.push(Arc::new(task.await.unwrap().unwrap()));
    }
    let (a, b) = (Arc::clone(&stores[0]), Arc::clone(&stores[1]));
    // Racing writers on two replicas: exactly one lands.
    for round in 0..20 {
        let text = format!("shared-{round}");
        let tasks: Vec<_> = stores
            .iter()
            .enumerate()
            .map(|(i, store)| {
                let (store, certificate) = (Arc::clone(store), aggregate(&text, &format!("r{i}")));
                tokio::spawn(async move { store.write(write(certificate, None)).await })
            })
            .collect();
        let mut won = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => won += 1,
                Err(WriteError::Conflict { .. }) => {}
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(won, 1, "round {round}");
    }
    // What one replica wrote, another reads; a write decided on one against
    // a revision another moved on is refused.
    let certificate = aggregate("seen", "s");
    let r1 = a.write(write(certificate.clone(), None)).await.unwrap();
    assert_eq!(b.load(&name("seen")).await.unwrap(), Some((r1, certificate.clone())));
    b.write(write(aggregate("seen", "moved"), Some(r1))).await.unwrap();
    assert!(matches!(a.write(write(certificate.clone(), Some(r1))).await, Err(WriteError::Conflict { .. })));
    // A job one replica took is another's only once the lease ends (the
    // taker died without answering).
    let scheduled = job(&certificate, 100);
    let jobbed = aggregate("jobbed", "j");
    let scheduled =
        Job { name: jobbed.name().clone(), request_id: jobbed.current_pending().unwrap().request_id(), ..scheduled };
    a.write(NameWrite { job: JobChange::Set(scheduled.clone()), ..write(jobbed, None) }).await.unwrap();
    assert_eq!(a.take_due_jobs(1_000, 2_000, 10).await.unwrap(), vec![scheduled.clone()]);
    assert!(b.take_due_jobs(2_999, 2_000, 10).await.unwrap().is_empty());
    assert_eq!(b.take_due_jobs(3_001, 2_000, 10).await.unwrap(), vec![scheduled]);
    // One row per migration, however many replicas started.
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    let versions: Vec<i32> = client
        .query("SELECT version FROM schema_migrations ORDER BY version", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(versions, [1, 2, 3]);
    // A database whose schema is newer than this server's is refused.
    client.execute("INSERT INTO schema_migrations (version) VALUES (999)", &[]).await.unwrap();
    let refused = PostgresStore::connect(&url, 1).await.err().expect("a newer schema was accepted");
    assert!(refused.to_string().contains("version 999"), "{refused}");
}
