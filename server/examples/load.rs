//! The server's load tool: starts a server binary itself (plain HTTP, in
//! memory or on redb), drives it over keep-alive connections, and prints
//! Markdown rows of requests per second and p50/p99 latency.
//!
//! ```text
//! cargo build --release -p pending-certificate-server --examples
//! target/release/examples/load --server target/release/pending-certificate-server all
//! ```
//!
//! Scenarios: `get` (GET pending), `health`, `create` (EC P-256 and
//! RSA-2048), each at 1, 8 and 64 connections on memory, redb and
//! PostgreSQL with one and two replicas (a throwaway cluster the tool
//! starts, as the tests do; connections alternate between replicas); `mixed`
//! (GET pending at 8 connections alone, beside a one-core CPU burner, and
//! while two clients create RSA-2048 or RSA-4096 certificates); `rss` (the
//! server's resident memory over create + delete cycles on 10 names);
//! `restart` (time to the first answered request after a restart at N names
//! on redb, graceful and after `kill -9`).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};

#[path = "../tests/common/pg.rs"]
mod pg;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Scenario {
    All,
    Get,
    Health,
    Create,
    Mixed,
    Rss,
    Restart,
}

/// Load figures for pending-certificate-server.
#[derive(Debug, Parser)]
struct Args {
    /// The server binary to start.
    #[arg(long, default_value = "target/release/pending-certificate-server")]
    server: PathBuf,
    /// Seconds each measurement runs.
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
    /// Names for `restart`.
    #[arg(long, default_value_t = 100_000)]
    names: usize,
    /// Create + delete cycles for `rss`.
    #[arg(long, default_value_t = 20_000)]
    cycles: usize,
    /// Stores for `get`, `health`, `create` and `rss`: `memory`, `redb`,
    /// `postgres` (one replica), `postgres2` (two replicas on one database).
    #[arg(long, value_delimiter = ',', default_value = "memory,redb,postgres,postgres2")]
    stores: Vec<String>,
    /// Connection counts for `get`, `health` and `create`.
    #[arg(long, value_delimiter = ',', default_value = "1,8,64")]
    connections: Vec<usize>,
    /// An extra argument for the server (repeat for more), e.g.
    /// `--server-arg=--cpu-threads=1`.
    #[arg(long = "server-arg", allow_hyphen_values = true)]
    server_args: Vec<String>,
    /// What to measure.
    #[arg(value_enum, default_value = "all")]
    scenarios: Vec<Scenario>,
}

const API: &str = "api-version=7.5";

// ------------------------------------------------------------- the server

struct Server {
    child: Child,
    address: String,
    /// Every replica's address (the first is `address`).
    addresses: Vec<String>,
    /// Replicas besides the first.
    others: Vec<Child>,
    _dir: Option<Scratch>,
}

/// Where the servers keep their state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Memory,
    Redb,
    Postgres { replicas: usize },
}

impl Backend {
    fn parse(text: &str) -> Result<Self, String> {
        match text {
            "memory" => Ok(Backend::Memory),
            "redb" => Ok(Backend::Redb),
            "postgres" => Ok(Backend::Postgres { replicas: 1 }),
            "postgres2" => Ok(Backend::Postgres { replicas: 2 }),
            other => Err(format!("unknown store {other:?}: memory, redb, postgres or postgres2")),
        }
    }

    fn label(self) -> &'static str {
        match self {
            Backend::Memory => "memory",
            Backend::Redb => "redb",
            Backend::Postgres { replicas: 1 } => "postgres",
            Backend::Postgres { .. } => "postgres ×2",
        }
    }
}

/// The PostgreSQL cluster's port and the replicas' KEK, once started.
static POSTGRES: std::sync::OnceLock<(u16, PathBuf)> = std::sync::OnceLock::new();
static DATABASES: AtomicU64 = AtomicU64::new(0);

struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn scratch(label: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("pc-load-{label}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    Scratch(dir)
}

fn spawn(args: &Args, data_dir: Option<&PathBuf>) -> Result<(Child, String), String> {
    spawn_with(args, data_dir, &[])
}

fn spawn_with(args: &Args, data_dir: Option<&PathBuf>, extra: &[String]) -> Result<(Child, String), String> {
    let mut command = Command::new(&args.server);
    command.args(["--listen", "127.0.0.1:0", "--insecure-http"]).args(&args.server_args).args(extra);
    if let Some(dir) = data_dir {
        command.arg("--data-dir").arg(dir);
    }
    command.stdout(Stdio::piped()).stderr(Stdio::null());
    let mut child = command.spawn().map_err(|e| format!("{}: {e}", args.server.display()))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).map_err(|e| e.to_string())?;
    let address = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .ok_or_else(|| format!("the server said {line:?}"))?
        .to_owned();
    Ok((child, address))
}

impl Server {
    fn start(args: &Args, backend: Backend) -> Result<Self, String> {
        match backend {
            Backend::Memory | Backend::Redb => {
                let dir = (backend == Backend::Redb).then(|| scratch("redb"));
                let (child, address) = spawn(args, dir.as_ref().map(|d| &d.0))?;
                Ok(Self { child, addresses: vec![address.clone()], address, others: Vec::new(), _dir: dir })
            }
            Backend::Postgres { replicas } => {
                let (port, kek) = POSTGRES.get().ok_or("the PostgreSQL cluster is not running")?;
                let database = format!("load{}", DATABASES.fetch_add(1, Ordering::Relaxed));
                create_database(*port, &database)?;
                let extra = [
                    "--database-url".to_owned(),
                    format!("postgres://postgres@127.0.0.1:{port}/{database}"),
                    "--key-encryption-key".to_owned(),
                    kek.display().to_string(),
                ];
                let mut children = Vec::new();
                for _ in 0..replicas.max(1) {
                    children.push(spawn_with(args, None, &extra)?);
                }
                let addresses: Vec<String> = children.iter().map(|(_, a)| a.clone()).collect();
                let mut children = children.into_iter().map(|(c, _)| c);
                let child = children.next().ok_or("no replica")?;
                let address = addresses.first().cloned().unwrap_or_default();
                Ok(Self { child, address, addresses, others: children.collect(), _dir: None })
            }
        }
    }

    /// CPU time the server's replicas have used, in microseconds (user +
    /// system; not the database's).
    fn cpu_us(&self) -> u64 {
        cpu_us(self.child.id()) + self.others.iter().map(|c| cpu_us(c.id())).sum::<u64>()
    }

    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        for child in std::iter::once(&mut self.child).chain(self.others.iter_mut()) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn create_database(port: u16, name: &str) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
        let (client, connection) =
            tokio_postgres::connect(&url, tokio_postgres::NoTls).await.map_err(|e| e.to_string())?;
        let task = tokio::spawn(connection);
        client.batch_execute(&format!("CREATE DATABASE \"{name}\"")).await.map_err(|e| e.to_string())?;
        drop(client);
        let _ = task.await;
        Ok(())
    })
}

/// CPU time process `pid` has used, in microseconds (Linux, 100 ticks/s).
fn cpu_us(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name, which is in parentheses.
    let fields: Vec<&str> =
        stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    // utime and stime are fields 14 and 15 of stat: 12 and 13 after the name.
    (ticks(11) + ticks(12)) * 10_000
}

// ------------------------------------------------------------- the client

/// One keep-alive HTTP/1.1 connection.
struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    host: String,
}

impl Client {
    fn connect(address: &str) -> std::io::Result<Self> {
        let stream = TcpStream::connect(address)?;
        stream.set_nodelay(true)?;
        Ok(Self { reader: BufReader::new(stream.try_clone()?), writer: stream, host: address.to_owned() })
    }

    /// Sends a request and reads its answer: the status.
    fn call(&mut self, method: &str, target: &str, body: &[u8]) -> std::io::Result<u16> {
        let head = format!(
            "{method} {target} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer load\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            self.host,
            body.len()
        );
        let mut request = head.into_bytes();
        request.extend_from_slice(body);
        self.writer.write_all(&request)?;
        let mut line = String::new();
        self.reader.read_line(&mut line)?;
        let status = line.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        let mut length = 0usize;
        loop {
            line.clear();
            if self.reader.read_line(&mut line)? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            if line == "\r\n" {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body)?;
        Ok(status)
    }
}

fn create_body(kind: &str) -> Vec<u8> {
    let key = match kind {
        "rsa2048" => r#"{"kty": "RSA", "key_size": 2048}"#,
        "rsa4096" => r#"{"kty": "RSA", "key_size": 4096}"#,
        _ => r#"{"kty": "EC", "crv": "P-256"}"#,
    };
    format!(r#"{{"policy": {{"key_props": {key}, "x509_props": {{"subject": "CN=load"}}, "issuer": {{"name": "Unknown"}}}}}}"#)
        .into_bytes()
}

/// What one measurement found.
struct Figures {
    requests: u64,
    errors: u64,
    seconds: f64,
    latencies_us: Vec<u64>,
    server_cpu_us: u64,
}

impl Figures {
    fn rate(&self) -> f64 {
        self.requests as f64 / self.seconds
    }

    fn percentile(&self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return 0.0;
        }
        let index = ((self.latencies_us.len() - 1) as f64 * p).round() as usize;
        self.latencies_us.get(index).copied().unwrap_or(0) as f64 / 1000.0
    }
}

/// What each connection asks, given its index and a counter.
type Step = Arc<dyn Fn(usize, u64) -> (String, String, Vec<u8>) + Send + Sync>;

/// Drives `connections` connections for `seconds`, each sending `step`
/// requests back to back.
fn drive(addresses: &[String], connections: usize, seconds: f64, step: Step) -> Figures {
    let stop = Arc::new(AtomicBool::new(false));
    let threads: Vec<_> = (0..connections)
        .map(|index| {
            let address = addresses.get(index % addresses.len().max(1)).cloned().unwrap_or_default();
            let (stop, step) = (Arc::clone(&stop), Arc::clone(&step));
            std::thread::spawn(move || {
                let mut latencies = Vec::new();
                let mut errors = 0u64;
                let mut client = Client::connect(&address).ok();
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let Some(c) = client.as_mut() else {
                        errors += 1;
                        std::thread::sleep(Duration::from_millis(10));
                        client = Client::connect(&address).ok();
                        continue;
                    };
                    let (method, target, body) = step(index, n);
                    n += 1;
                    let started = Instant::now();
                    match c.call(&method, &target, &body) {
                        Ok(status) if status < 400 => latencies.push(started.elapsed().as_micros() as u64),
                        Ok(_) => errors += 1,
                        Err(_) => {
                            errors += 1;
                            client = Client::connect(&address).ok();
                        }
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let started = Instant::now();
    std::thread::sleep(Duration::from_secs_f64(seconds));
    stop.store(true, Ordering::Relaxed);
    let mut figures = Figures { requests: 0, errors: 0, seconds: 0.0, latencies_us: Vec::new(), server_cpu_us: 0 };
    for thread in threads {
        if let Ok((latencies, errors)) = thread.join() {
            figures.requests += latencies.len() as u64;
            figures.errors += errors;
            figures.latencies_us.extend(latencies);
        }
    }
    figures.seconds = started.elapsed().as_secs_f64();
    figures.latencies_us.sort_unstable();
    figures
}

fn row(what: &str, store: &str, connections: usize, figures: &Figures) {
    let cpu = if figures.requests > 0 && figures.server_cpu_us > 0 {
        format!("{:.1}", figures.server_cpu_us as f64 / figures.requests as f64)
    } else {
        String::new()
    };
    println!(
        "| {what} | {store} | {connections} | {:.0} | {:.2} | {:.2} | {cpu} | {} |",
        figures.rate(),
        figures.percentile(0.5),
        figures.percentile(0.99),
        figures.errors
    );
}

fn header() {
    println!("| what | store | connections | req/s | p50 ms | p99 ms | server CPU µs/req | errors |");
    println!("|---|---|---|---|---|---|---|---|");
}

/// [`drive`], with the server's CPU time per request.
fn measure(server: &Server, connections: usize, seconds: f64, step: Step) -> Figures {
    let before = server.cpu_us();
    let mut figures = drive(&server.addresses, connections, seconds, step);
    figures.server_cpu_us = server.cpu_us().saturating_sub(before);
    figures
}

/// A name with a manual request in progress, for GET pending.
fn pending_name(address: &str) -> Result<(), String> {
    let mut client = Client::connect(address).map_err(|e| e.to_string())?;
    let status = client
        .call("POST", &format!("/certificates/load/create?{API}"), &create_body("ec"))
        .map_err(|e| e.to_string())?;
    if status == 202 { Ok(()) } else { Err(format!("setup create answered {status}")) }
}

fn get_pending() -> Step {
    Arc::new(|_, _| ("GET".into(), format!("/certificates/load/pending?{API}"), Vec::new()))
}

/// The stores asked for (each known: checked in `main`).
fn stores(args: &Args) -> Vec<Backend> {
    args.stores.iter().filter_map(|s| Backend::parse(s).ok()).collect()
}

fn run_get(args: &Args, health: bool) -> Result<(), String> {
    for backend in stores(args) {
        let server = Server::start(args, backend)?;
        pending_name(&server.address)?;
        for &connections in &args.connections {
            let step = if health {
                Arc::new(|_, _| ("GET".into(), "/health".into(), Vec::new())) as Step
            } else {
                get_pending()
            };
            let figures = measure(&server, connections, args.seconds, step);
            row(if health { "GET /health" } else { "GET pending" }, backend.label(), connections, &figures);
        }
    }
    Ok(())
}

fn run_create(args: &Args) -> Result<(), String> {
    static RUN: AtomicU64 = AtomicU64::new(0);
    for kind in ["ec", "rsa2048"] {
        for backend in stores(args) {
            let server = Server::start(args, backend)?;
            for &connections in &args.connections {
                let run = RUN.fetch_add(1, Ordering::Relaxed);
                let body = create_body(kind);
                let step: Step = Arc::new(move |index, n| {
                    ("POST".into(), format!("/certificates/r{run}c{index}n{n}/create?{API}"), body.clone())
                });
                let figures = measure(&server, connections, args.seconds, step);
                let what = if kind == "ec" { "create EC P-256" } else { "create RSA-2048" };
                row(what, backend.label(), connections, &figures);
            }
        }
    }
    Ok(())
}

/// A busy loop on one core until `stop`.
fn burner(stop: Arc<AtomicBool>) -> std::thread::JoinHandle<u64> {
    std::thread::spawn(move || {
        let mut x = 0u64;
        while !stop.load(Ordering::Relaxed) {
            for _ in 0..10_000 {
                x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
            }
        }
        x
    })
}

fn run_mixed(args: &Args) -> Result<(), String> {
    let server = Server::start(args, Backend::Memory)?;
    pending_name(&server.address)?;
    let alone = measure(&server, 8, args.seconds, get_pending());
    row("GET pending alone", "memory", 8, &alone);
    let stop = Arc::new(AtomicBool::new(false));
    let burn = burner(Arc::clone(&stop));
    let burned = measure(&server, 8, args.seconds, get_pending());
    stop.store(true, Ordering::Relaxed);
    let _ = burn.join();
    row("GET pending beside a 1-core CPU burner", "memory", 8, &burned);
    for kind in ["rsa2048", "rsa4096"] {
        let stop = Arc::new(AtomicBool::new(false));
        let creators: Vec<_> = (0..2)
            .map(|index| {
                let (address, stop, body) = (server.address.clone(), Arc::clone(&stop), create_body(kind));
                std::thread::spawn(move || {
                    let mut created = 0u64;
                    let Ok(mut client) = Client::connect(&address) else { return 0 };
                    while !stop.load(Ordering::Relaxed) {
                        let target = format!("/certificates/{kind}c{index}n{created}/create?{API}");
                        if client.call("POST", &target, &body).is_ok_and(|s| s == 202) {
                            created += 1;
                        } else {
                            break;
                        }
                    }
                    created
                })
            })
            .collect();
        // Let both creators be busy before measuring.
        std::thread::sleep(Duration::from_millis(500));
        let started = Instant::now();
        let mixed = measure(&server, 8, args.seconds, get_pending());
        stop.store(true, Ordering::Relaxed);
        let created: u64 = creators.into_iter().map(|t| t.join().unwrap_or(0)).sum();
        let label = if kind == "rsa2048" { "RSA-2048" } else { "RSA-4096" };
        row(&format!("GET pending while 2 clients create {label}"), "memory", 8, &mixed);
        println!(
            "|  ↳ {label} creates meanwhile | memory | 2 | {:.1} | | | | |",
            created as f64 / started.elapsed().as_secs_f64()
        );
        println!("|  ↳ ratio to beside-the-burner | | | {:.2} | | | | |", mixed.rate() / burned.rate().max(1.0));
    }
    Ok(())
}

fn run_rss(args: &Args) -> Result<(), String> {
    for backend in stores(args) {
        let server = Server::start(args, backend)?;
        let mut client = Client::connect(&server.address).map_err(|e| e.to_string())?;
        let body = create_body("ec");
        let mut cycle = |i: usize| -> Result<(), String> {
            let name = format!("rss{}", i % 10);
            let created = client.call("POST", &format!("/certificates/{name}/create?{API}"), &body);
            let deleted = client.call("DELETE", &format!("/certificates/{name}/pending?{API}"), &[]);
            match (created, deleted) {
                (Ok(202), Ok(200)) => Ok(()),
                other => Err(format!("cycle {i}: {other:?}")),
            }
        };
        // Warm up: every name used once, the allocator and caches settled.
        for i in 0..1000 {
            cycle(i)?;
        }
        let start = server.rss_kib();
        let mut samples = Vec::new();
        for i in 0..args.cycles {
            cycle(i)?;
            if (i + 1) % (args.cycles / 4).max(1) == 0 {
                samples.push(server.rss_kib());
            }
        }
        let end = server.rss_kib();
        println!(
            "| RSS over {} create + delete cycles on 10 names | {} | start {start} KiB, then {:?} KiB; end/start {:.3} |",
            args.cycles,
            backend.label(),
            samples,
            end as f64 / start.max(1) as f64
        );
    }
    Ok(())
}

/// Time from starting the server to its first answered request.
fn first_answer(args: &Args, dir: &PathBuf, name: &str) -> Result<Duration, String> {
    let started = Instant::now();
    let (child, address) = spawn(args, Some(dir))?;
    let mut server = Server { child, addresses: vec![address.clone()], address, others: Vec::new(), _dir: None };
    let mut client = Client::connect(&server.address).map_err(|e| e.to_string())?;
    let status = client.call("GET", &format!("/certificates/{name}/pending?{API}"), &[]).map_err(|e| e.to_string())?;
    let elapsed = started.elapsed();
    if status != 200 {
        return Err(format!("after the restart, {name} answered {status}"));
    }
    let _ = server.child.kill();
    let _ = server.child.wait();
    Ok(elapsed)
}

fn run_restart(args: &Args) -> Result<(), String> {
    let dir = scratch("restart");
    let (child, address) = spawn(args, Some(&dir.0))?;
    let mut server = Server { child, addresses: vec![address.clone()], address, others: Vec::new(), _dir: None };
    let per = args.names.div_ceil(8);
    let names = args.names;
    let address = server.address.clone();
    let started = Instant::now();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let address = address.clone();
            std::thread::spawn(move || -> Result<(), String> {
                let mut client = Client::connect(&address).map_err(|e| e.to_string())?;
                let body = create_body("ec");
                for i in (t * per)..((t + 1) * per).min(names) {
                    let status = client
                        .call("POST", &format!("/certificates/n{i}/create?{API}"), &body)
                        .map_err(|e| e.to_string())?;
                    if status != 202 {
                        return Err(format!("n{i}: {status}"));
                    }
                }
                Ok(())
            })
        })
        .collect();
    for thread in threads {
        thread.join().map_err(|_| "a filler panicked")??;
    }
    let filled = started.elapsed();
    let _ = Command::new("kill").args(["-TERM", &server.child.id().to_string()]).status();
    let _ = server.child.wait();
    let graceful = first_answer(args, &dir.0, "n0")?;
    // Once more, killed with -9 while idle.
    let (child, address) = spawn(args, Some(&dir.0))?;
    server = Server { child, addresses: vec![address.clone()], address, others: Vec::new(), _dir: None };
    let mut client = Client::connect(&server.address).map_err(|e| e.to_string())?;
    let _ = client.call("GET", &format!("/certificates/n1/pending?{API}"), &[]);
    let _ = server.child.kill();
    let _ = server.child.wait();
    let killed = first_answer(args, &dir.0, "n1")?;
    println!(
        "| first answer after a restart at {names} names (redb, filled in {:.0} s) | graceful {:.0} ms | after kill -9 {:.0} ms |",
        filled.as_secs_f64(),
        graceful.as_secs_f64() * 1000.0,
        killed.as_secs_f64() * 1000.0
    );
    Ok(())
}

fn main() {
    let args = Args::parse();
    let all = args.scenarios.contains(&Scenario::All);
    let wants = |s: Scenario| all || args.scenarios.contains(&s);
    if let Some(error) = args.stores.iter().find_map(|s| Backend::parse(s).err()) {
        eprintln!("load: {error}");
        std::process::exit(2);
    }
    // A throwaway PostgreSQL cluster for the scenarios that use one; it is
    // stopped when `_cluster` goes.
    let uses_stores = [Scenario::Get, Scenario::Health, Scenario::Create, Scenario::Rss].into_iter().any(wants);
    let _cluster = (uses_stores && stores(&args).iter().any(|b| matches!(b, Backend::Postgres { .. }))).then(|| {
        let cluster = pg::Postgres::start();
        let kek = cluster.dir().join("load.kek");
        if let Err(error) = std::fs::write(&kek, "33".repeat(32)) {
            eprintln!("load: {}: {error}", kek.display());
            std::process::exit(1);
        }
        let _ = POSTGRES.set((cluster.port, kek));
        cluster
    });
    header();
    let mut failed = false;
    let mut report = |result: Result<(), String>| {
        if let Err(error) = result {
            eprintln!("load: {error}");
            failed = true;
        }
    };
    if wants(Scenario::Get) {
        report(run_get(&args, false));
    }
    if wants(Scenario::Health) {
        report(run_get(&args, true));
    }
    if wants(Scenario::Create) {
        report(run_create(&args));
    }
    if wants(Scenario::Mixed) {
        report(run_mixed(&args));
    }
    if wants(Scenario::Rss) {
        report(run_rss(&args));
    }
    if wants(Scenario::Restart) {
        report(run_restart(&args));
    }
    if failed {
        std::process::exit(1);
    }
}
