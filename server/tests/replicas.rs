//! Several server processes on one PostgreSQL database (a throwaway cluster
//! this test starts): read-your-writes on any replica, exactly one 202 in a
//! three-way race to create one name, nothing answered lost when a replica is
//! killed under load, its provider jobs finished by the others, and a
//! replica with another key-encryption key refused.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use common::pg::Postgres;
use common::{Server, http, try_http};
use serde_json::{Value, json};

const API: &str = "api-version=7.5";

struct Cluster {
    _postgres: Postgres,
    url: String,
    kek: PathBuf,
}

impl Cluster {
    fn start(label: &str) -> Self {
        let postgres = Postgres::start();
        postgres.create_database(label);
        let kek = postgres.dir().join(format!("{label}.kek"));
        std::fs::write(&kek, "11".repeat(32)).unwrap();
        Self { url: postgres.url(label), kek, _postgres: postgres }
    }

    fn replica(&self, extra: &[&str]) -> Server {
        let mut command = Server::command(&["--insecure-http", "--admin"], None);
        command.args(["--database-url", &self.url, "--key-encryption-key"]).arg(&self.kek).args(extra);
        Server::spawn(command)
    }
}

fn call(server: &Server, method: &str, target: &str, body: &Value) -> common::Answer {
    let bytes = if body.is_null() { Vec::new() } else { serde_json::to_vec(body).unwrap() };
    http(&server.address, method, target, &bytes, Some("t"))
}

fn policy(issuer: &str) -> Value {
    json!({"policy": {"key_props": {"kty": "EC", "crv": "P-256"}, "x509_props": {"subject": "CN=r"}, "issuer": {"name": issuer}}})
}

#[test]
fn every_replica_reads_what_any_replica_wrote() {
    let cluster = Cluster::start("ryw");
    let replicas: Vec<Server> = (0..3).map(|_| cluster.replica(&[])).collect();
    assert_eq!(
        call(&replicas[1], "PUT", &format!("/certificates/issuers/ca?{API}"), &json!({"provider": "Test"})).status,
        200
    );
    for (i, writer) in replicas.iter().enumerate() {
        let name = format!("ryw{i}");
        let created = call(writer, "POST", &format!("/certificates/{name}/create?{API}"), &policy("Unknown"));
        assert_eq!(created.status, 202);
        for reader in &replicas {
            let got = call(reader, "GET", &format!("/certificates/{name}/pending?{API}"), &Value::Null);
            assert_eq!((got.status, &got.json()["request_id"]), (200, &created.json()["request_id"]));
            assert_eq!(call(reader, "GET", &format!("/certificates/issuers/ca?{API}"), &Value::Null).status, 200);
        }
        // A cancel on another replica is seen by the writer.
        let next = &replicas[(i + 1) % replicas.len()];
        let body = json!({"cancellation_requested": true});
        assert_eq!(call(next, "PATCH", &format!("/certificates/{name}/pending?{API}"), &body).status, 200);
        let seen = call(writer, "GET", &format!("/certificates/{name}/pending?{API}"), &Value::Null).json();
        assert_eq!(seen["cancellation_requested"], true);
    }
    // The simulated CA is one CA for all of them.
    let signed: Vec<Value> = replicas
        .iter()
        .enumerate()
        .map(|(i, replica)| {
            let name = format!("ca{i}");
            let created = call(replica, "POST", &format!("/certificates/{name}/create?{API}"), &policy("Unknown"));
            call(replica, "POST", "/admin/sign", &json!({"csr": created.json()["csr"]})).json()["x5c"][1].clone()
        })
        .collect();
    assert!(signed.windows(2).all(|w| w[0] == w[1]), "the replicas' CAs differ");
}

#[test]
fn a_three_way_race_to_create_one_name_gets_exactly_one_202() {
    let cluster = Cluster::start("race");
    let replicas: Vec<Arc<Server>> = (0..3).map(|_| Arc::new(cluster.replica(&[]))).collect();
    let rounds = 40;
    let (mut accepted, mut refused, mut lost_at_write) = (0, 0, 0);
    for round in 0..rounds {
        let name = format!("race{round}");
        let barrier = Arc::new(Barrier::new(replicas.len()));
        let answers: Vec<(u16, Value)> = replicas
            .iter()
            .map(|replica| {
                let (replica, barrier, name) = (Arc::clone(replica), Arc::clone(&barrier), name.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    let answer =
                        call(&replica, "POST", &format!("/certificates/{name}/create?{API}"), &policy("Unknown"));
                    (answer.status, answer.json())
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| t.join().unwrap())
            .collect();
        let won: Vec<&(u16, Value)> = answers.iter().filter(|(s, _)| *s == 202).collect();
        assert_eq!(won.len(), 1, "round {round}: {answers:?}");
        for (status, body) in answers.iter().filter(|(s, _)| *s != 202) {
            // A replica that loaded after the winner wrote sees its request
            // in progress; one that lost the race at the write gets Conflict.
            let code = body["error"]["code"].as_str();
            assert!(*status == 409 && matches!(code, Some("Forbidden" | "Conflict")), "round {round}: {status} {body}");
        }
        lost_at_write += answers.iter().filter(|(_, b)| b["error"]["code"] == "Conflict").count();
        accepted += won.len();
        refused += answers.len() - won.len();
        // Every replica now sees the winner's request.
        for replica in &replicas {
            let got = call(replica, "GET", &format!("/certificates/{name}/pending?{API}"), &Value::Null).json();
            assert_eq!(got["request_id"], won[0].1["request_id"]);
        }
    }
    assert_eq!((accepted, refused), (rounds, rounds * 2));
    eprintln!(
        "race: {rounds} rounds, {accepted} answered 202, {refused} answered 409 ({lost_at_write} of them Conflict)"
    );
}

#[test]
fn nothing_answered_is_lost_when_a_replica_is_killed_under_load() {
    let cluster = Cluster::start("kill");
    let doomed = cluster.replica(&[]);
    let survivor = Arc::new(cluster.replica(&[]));
    let doomed_address = doomed.address.clone();
    let acknowledged = Arc::new(Mutex::new(Vec::<(String, String)>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    // Four clients, two per replica, each creating fresh names until told
    // to stop; a create counts only once it was answered 202.
    let clients: Vec<_> = (0..4)
        .map(|client| {
            let address = if client % 2 == 0 { doomed_address.clone() } else { survivor.address.clone() };
            let (acknowledged, stop) = (Arc::clone(&acknowledged), Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    let name = format!("k{client}n{n}");
                    n += 1;
                    let body = serde_json::to_vec(&policy("Unknown")).unwrap();
                    let target = format!("/certificates/{name}/create?{API}");
                    match try_http(&address, "POST", &target, &body, Some("t")) {
                        Ok(answer) if answer.status == 202 => {
                            let id = answer.json()["request_id"].as_str().unwrap().to_owned();
                            acknowledged.lock().unwrap().push((name, id));
                        }
                        // The killed replica's clients see refused connections.
                        _ => std::thread::sleep(Duration::from_millis(20)),
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    let before_kill = acknowledged.lock().unwrap().len();
    doomed.kill();
    std::thread::sleep(Duration::from_millis(1000));
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.join().unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(before_kill > 20, "too few writes before the kill: {before_kill}");
    let mut read_back = 0;
    for (name, id) in &acknowledged {
        let got = call(&survivor, "GET", &format!("/certificates/{name}/pending?{API}"), &Value::Null);
        assert_eq!((got.status, got.json()["request_id"].as_str()), (200, Some(id.as_str())), "{name}");
        read_back += 1;
    }
    eprintln!(
        "kill -9: {} writes acknowledged ({before_kill} before the kill), {read_back} read back from the survivor",
        acknowledged.len()
    );
}

#[test]
fn a_killed_replicas_provider_jobs_are_finished_by_the_others() {
    let cluster = Cluster::start("jobs");
    let args = ["--provider-delay", "2", "--self-signed-delay", "2", "--job-lease", "2"];
    let doomed = cluster.replica(&args);
    let survivor = cluster.replica(&args);
    assert_eq!(
        call(&doomed, "PUT", &format!("/certificates/issuers/ca?{API}"), &json!({"provider": "Test"})).status,
        200
    );
    let mut names = Vec::new();
    for i in 0..6 {
        let (name, issuer) = (format!("job{i}"), if i % 2 == 0 { "ca" } else { "Self" });
        assert_eq!(call(&doomed, "POST", &format!("/certificates/{name}/create?{API}"), &policy(issuer)).status, 202);
        names.push(name);
    }
    // A cancellation asked on the doomed replica is honoured by the other.
    let body = json!({"cancellation_requested": true});
    assert_eq!(call(&doomed, "PATCH", &format!("/certificates/job0/pending?{API}"), &body).status, 200);
    doomed.kill();
    let deadline = Instant::now() + Duration::from_secs(60);
    for name in &names {
        loop {
            let got = call(&survivor, "GET", &format!("/certificates/{name}/pending?{API}"), &Value::Null).json();
            if got["status"] != "inProgress" {
                let expected = if name == "job0" { "cancelled" } else { "completed" };
                assert_eq!(got["status"], expected, "{name}: {got}");
                break;
            }
            assert!(Instant::now() < deadline, "{name} was never finished");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

#[test]
fn a_replica_with_another_key_encryption_key_refuses_to_start() {
    let cluster = Cluster::start("kek");
    let first = cluster.replica(&[]);
    let other = cluster.kek.with_file_name("other.kek");
    std::fs::write(&other, "22".repeat(32)).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_pending-certificate-server"))
        .args(["--listen", "127.0.0.1:0", "--insecure-http", "--database-url", &cluster.url, "--key-encryption-key"])
        .arg(&other)
        .stdout(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("does not open the store's keys") && stderr.contains("other.kek"), "{stderr}");
    // And a database without a key-encryption key is refused by the command line.
    let output = Command::new(env!("CARGO_BIN_EXE_pending-certificate-server"))
        .args(["--insecure-http", "--database-url", &cluster.url])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--key-encryption-key"));
    drop(first);
}
