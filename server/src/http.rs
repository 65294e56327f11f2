//! HTTP/1.1 over TCP, with or without TLS: the accept loop, the connection
//! registry, and each request from its head to the answer's headers.
//!
//! Invariant: no number of idle or slow connections stops a new request.
//! Each connection is reading a head (or its TLS handshake), busy with a
//! request, or idle between requests; one reading a head longer than the
//! header-read timeout, or idle longer than the idle timeout, is closed; a
//! body must arrive within the body-read timeout and the body limit. At most
//! `max_connections` are open (below the open-file limit): a new one past it
//! closes the longest-waiting connection that is not busy.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt as _, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderName, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use pending_certificate::rest::{self, MAX_BODY_LEN, Response};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};

use crate::app::{RandomIds, Shared};
use crate::store::Store;
use crate::{auth, routes};

/// Descriptors kept free besides connections: the store's files, the log,
/// the listener, the runtime's own.
const RESERVED_DESCRIPTORS: usize = 64;

/// How long in-flight requests have to finish after a stop signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// What a connection is doing.
const READING_HEAD: u64 = 0;
const BUSY: u64 = 1;
const IDLE: u64 = 2;
/// Sending a request's body: busy, but closable to make room at the cap.
const UPLOADING: u64 = 3;

/// One open connection, as the registry and its sweeper see it.
struct Connection {
    /// What it is doing (low 2 bits) and since when (the rest: milliseconds
    /// since the server started), in one word so that both are read at once.
    state: AtomicU64,
    close: Notify,
}

impl Connection {
    fn new(state: u64, now: u64) -> Self {
        Self { state: AtomicU64::new(now << 2 | state), close: Notify::new() }
    }

    fn set(&self, state: u64, now: u64) {
        self.state.store(now << 2 | state, Ordering::Release);
    }

    /// What it is doing.
    fn doing(&self) -> u64 {
        self.state.load(Ordering::Acquire) & 3
    }

    /// Closes it if it is still doing what it was seen doing in `seen` (its
    /// whole state word), and marks it so: a connection that moved on
    /// meanwhile is kept.
    fn close_if_still(&self, seen: u64) -> bool {
        // Marked busy at a time no one sets, so neither the sweeper nor the
        // cap picks it again.
        let closing =
            self.state.compare_exchange(seen, u64::MAX << 2 | BUSY, Ordering::AcqRel, Ordering::Acquire).is_ok();
        if closing {
            self.close.notify_one();
        }
        closing
    }
}

/// Every open connection.
struct Registry {
    started: Instant,
    open: Mutex<HashMap<u64, Arc<Connection>>>,
    /// Woken when a connection closes.
    freed: Notify,
    next: AtomicU64,
    cap: usize,
}

impl Registry {
    fn now(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Connection>>> {
        // The map holds plain handles; a panic elsewhere leaves it usable.
        self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Waits until a connection just accepted fits: at the cap, the
    /// longest-waiting connection that is not busy is closed for it; when
    /// every one is busy, this waits until one is idle or closed. (Only the
    /// accept loop adds connections, so the room stays until
    /// [`Registry::register`].)
    async fn room(&self) {
        loop {
            let freed = self.freed.notified();
            {
                let mut open = self.lock();
                if open.len() >= self.cap {
                    let victim = open
                        .iter()
                        .map(|(id, c)| (*id, c.state.load(Ordering::Acquire)))
                        .filter(|(_, word)| word & 3 != BUSY)
                        .min_by_key(|(_, word)| word >> 2);
                    if let Some((id, seen)) = victim
                        && open.get(&id).is_some_and(|c| c.close_if_still(seen))
                    {
                        open.remove(&id);
                    }
                }
                if open.len() < self.cap {
                    return;
                }
            }
            freed.await;
        }
    }

    /// Registers a connection just accepted: reading its first head.
    fn register(&self) -> (u64, Arc<Connection>) {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let connection = Arc::new(Connection::new(READING_HEAD, self.now()));
        self.lock().insert(id, Arc::clone(&connection));
        (id, connection)
    }

    fn release(&self, id: u64) {
        self.lock().remove(&id);
        self.freed.notify_one();
    }

    /// Closes connections past their timeouts.
    fn sweep(&self, limits: &Limits) {
        let now = self.now();
        let head = u64::try_from(limits.header_read_timeout.as_millis()).unwrap_or(u64::MAX);
        let idle = u64::try_from(limits.idle_timeout.as_millis()).unwrap_or(u64::MAX);
        let mut open = self.lock();
        open.retain(|_, connection| {
            let seen = connection.state.load(Ordering::Acquire);
            let waited = now.saturating_sub(seen >> 2);
            let expired = match seen & 3 {
                READING_HEAD => waited > head,
                IDLE => waited > idle,
                _ => false,
            };
            !(expired && connection.close_if_still(seen))
        });
    }
}

/// The connection limits, from the command line.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Time to send a request's head (and finish the TLS handshake).
    pub header_read_timeout: Duration,
    /// Time an idle keep-alive connection is kept.
    pub idle_timeout: Duration,
    /// Time to send a request's body once its head is in.
    pub body_read_timeout: Duration,
    /// Most connections open at once.
    pub max_connections: usize,
}

/// The open-file limit of this process (Linux), if it can be read.
fn open_file_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    let soft = line.trim_start_matches("Max open files").split_whitespace().next()?;
    soft.parse().ok()
}

/// The connection cap: as given, or below the open-file limit.
pub fn connection_cap(configured: usize) -> usize {
    if configured > 0 {
        return configured;
    }
    let limit = open_file_limit().unwrap_or(1024).min(1 << 20);
    limit.saturating_sub(RESERVED_DESCRIPTORS).max(16)
}

/// An I/O stream that tells its connection when a new request starts
/// arriving on an idle connection.
struct Tracked<T> {
    inner: T,
    connection: Arc<Connection>,
    registry: Arc<Registry>,
}

impl<T: AsyncRead + Unpin> AsyncRead for Tracked<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before && self.connection.doing() == IDLE {
            self.connection.set(READING_HEAD, self.registry.now());
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Tracked<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// Serves `listener` until a stop signal, then lets in-flight requests finish.
pub async fn serve<S: Store>(
    app: Shared<S>,
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    limits: Limits,
) {
    let registry = Arc::new(Registry {
        started: Instant::now(),
        open: Mutex::new(HashMap::new()),
        freed: Notify::new(),
        next: AtomicU64::new(0),
        cap: limits.max_connections.max(1),
    });
    let (stop_sender, stop) = watch::channel(false);
    let sweeper = {
        let registry = Arc::clone(&registry);
        let period = limits
            .header_read_timeout
            .min(limits.idle_timeout)
            .div_f64(4.0)
            .clamp(Duration::from_millis(50), Duration::from_secs(1));
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                registry.sweep(&limits);
            }
        })
    };
    let mut builder = http1::Builder::new();
    builder.keep_alive(true).header_read_timeout(None).max_buf_size(64 * 1024);
    let builder = Arc::new(builder);
    let signal = stopped();
    tokio::pin!(signal);
    let mut last_error: Option<Instant> = None;
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut signal => break,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of descriptors, most often: wait a moment, say so once a second.
                if last_error.is_none_or(|at| at.elapsed() > Duration::from_secs(1)) {
                    tracing::warn!(%error, "accept failed");
                    last_error = Some(Instant::now());
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        // At the cap, the new connection waits here (and the loop accepts no
        // other) until one that is not busy is closed for it.
        tokio::select! {
            () = registry.room() => {},
            () = &mut signal => break,
        };
        let (id, connection) = registry.register();
        let task = ConnectionTask {
            app: app.clone(),
            registry: Arc::clone(&registry),
            id,
            connection,
            peer,
            builder: Arc::clone(&builder),
            limits,
            stop: stop.clone(),
        };
        tokio::spawn(task.run(stream, tls.clone()));
    }
    let _ = stop_sender.send(true);
    sweeper.abort();
    let deadline = Instant::now() + SHUTDOWN_GRACE;
    while !registry.lock().is_empty() && Instant::now() < deadline {
        let freed = registry.freed.notified();
        let _ = tokio::time::timeout(Duration::from_millis(100), freed).await;
    }
}

struct ConnectionTask<S: Store> {
    app: Shared<S>,
    registry: Arc<Registry>,
    id: u64,
    connection: Arc<Connection>,
    peer: SocketAddr,
    builder: Arc<http1::Builder>,
    limits: Limits,
    stop: watch::Receiver<bool>,
}

impl<S: Store> ConnectionTask<S> {
    async fn run(self, stream: TcpStream, tls: Option<tokio_rustls::TlsAcceptor>) {
        let _release = Release(Arc::clone(&self.registry), self.id);
        let tracked =
            Tracked { inner: stream, connection: Arc::clone(&self.connection), registry: Arc::clone(&self.registry) };
        match tls {
            None => self.serve(tracked).await,
            Some(acceptor) => {
                let handshake = tokio::select! {
                    done = tokio::time::timeout(self.limits.header_read_timeout, acceptor.accept(tracked)) => done,
                    () = self.connection.close.notified() => return,
                };
                match handshake {
                    Ok(Ok(stream)) => self.serve(stream).await,
                    Ok(Err(error)) => tracing::debug!(peer = %self.peer, %error, "TLS handshake failed"),
                    Err(_) => {}
                }
            }
        }
    }

    async fn serve<T: AsyncRead + AsyncWrite + Unpin + Send + 'static>(self, io: T) {
        let app = self.app.clone();
        let registry = Arc::clone(&self.registry);
        let connection = Arc::clone(&self.connection);
        let (peer, limits) = (self.peer, self.limits);
        let service = service_fn(move |request| {
            let (app, registry, connection) = (app.clone(), Arc::clone(&registry), Arc::clone(&connection));
            async move {
                connection.set(BUSY, registry.now());
                let response = answer(&app, peer, &limits, &Uploads(&connection, &registry), request).await;
                connection.set(IDLE, registry.now());
                // An accept loop waiting at the cap may now close this one.
                registry.freed.notify_one();
                Ok::<_, Infallible>(response)
            }
        });
        let serving = self.builder.serve_connection(TokioIo::new(io), service);
        tokio::pin!(serving);
        tokio::select! {
            served = serving.as_mut() => {
                if let Err(error) = served {
                    tracing::debug!(peer = %self.peer, %error, "connection ended");
                }
            }
            () = self.connection.close.notified() => {}
            () = until_stopped(self.stop.clone()) => {
                serving.as_mut().graceful_shutdown();
                let _ = tokio::time::timeout(SHUTDOWN_GRACE, serving).await;
            }
        }
    }
}

/// Takes a connection out of the registry when its task ends, however it
/// ends (a panic in a handler included).
struct Release(Arc<Registry>, u64);

impl Drop for Release {
    fn drop(&mut self) {
        self.0.release(self.1);
    }
}

/// Marks a connection as sending its body, and busy again once it is in.
struct Uploads<'a>(&'a Connection, &'a Registry);

impl Uploads<'_> {
    fn start(&self) {
        self.0.set(UPLOADING, self.1.now());
    }
    fn end(&self) {
        self.0.set(BUSY, self.1.now());
    }
}

type HttpResponse = hyper::Response<Full<Bytes>>;

/// One request, from its head to its answer.
async fn answer<S: Store>(
    app: &Shared<S>,
    peer: SocketAddr,
    limits: &Limits,
    uploads: &Uploads<'_>,
    request: hyper::Request<Incoming>,
) -> HttpResponse {
    let started = Instant::now();
    let (head, body) = request.into_parts();
    let method = head.method.as_str();
    let target = head.uri.path_and_query().map_or_else(|| head.uri.path(), |p| p.as_str());
    let path = head.uri.path();
    let (response, close) = decide(app, &head, path, target, body, limits, uploads).await;
    let status = response.status;
    let out = into_http(app, peer, &head.headers, response, close);
    tracing::info!(
        method,
        target,
        status,
        elapsed_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        "request"
    );
    out
}

/// The answer, and whether the connection closes after it (a body left
/// unread, or one that did not arrive in time).
async fn decide<S: Store>(
    app: &Shared<S>,
    head: &hyper::http::request::Parts,
    path: &str,
    target: &str,
    body: Incoming,
    limits: &Limits,
    uploads: &Uploads<'_>,
) -> (Response, bool) {
    if path == "/health" {
        return (routes::health(), false);
    }
    if !auth::exempt(path) {
        let authorization = head.headers.get(hyper::header::AUTHORIZATION).map(HeaderValue::as_bytes);
        if !auth::accepted(authorization, &app.config) {
            return (auth::challenge(&app.config), false);
        }
    }
    let declared = head
        .headers
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if let Some(len) = declared.filter(|&len| len > MAX_BODY_LEN as u64) {
        // Answered at once; a body the client sends anyway is read and
        // dropped (up to a bound, within the body timeout) before the
        // connection closes, so that a client that writes its whole request
        // before reading still gets the answer rather than a reset.
        if len <= MAX_DRAINED_BODY {
            tokio::spawn(drain(body, limits.body_read_timeout));
        }
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        return (rest::RestError::BodyTooLarge { len }.response(), true);
    }
    uploads.start();
    let read = tokio::time::timeout(limits.body_read_timeout, read_body(body, limits.body_read_timeout)).await;
    uploads.end();
    let body = match read {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(BodyError::TooLarge)) => {
            let message = format!("The request body is over {MAX_BODY_LEN} bytes; at most {MAX_BODY_LEN} are allowed.");
            return (routes::error(413, "RequestEntityTooLarge", message), true);
        }
        Ok(Err(BodyError::Read(error))) => {
            return (routes::error(400, "BadParameter", format!("The request body could not be read: {error}")), true);
        }
        Err(_) => {
            let message = format!("The request body did not arrive within {:?}.", limits.body_read_timeout);
            return (routes::error(408, "RequestTimeout", message), true);
        }
    };
    let method = head.method.as_str();
    let response = if auth::exempt(path) {
        routes::admin(app, method, path, &body).await
    } else {
        routes::vault(app, method, target, &body).await
    };
    (response, false)
}

/// Why a body was not read.
enum BodyError {
    /// It passed [`MAX_BODY_LEN`]; the rest is being read and dropped.
    TooLarge,
    /// The connection failed mid-body.
    Read(hyper::Error),
}

/// Reads a body of at most [`MAX_BODY_LEN`] bytes. Past the limit, the rest
/// is read and dropped in the background (as [`drain`] does), so that the
/// client gets the 413 rather than a reset.
async fn read_body(mut body: Incoming, within: Duration) -> Result<Bytes, BodyError> {
    // Most requests have no body: nothing to wait for.
    if hyper::body::Body::is_end_stream(&body) {
        return Ok(Bytes::new());
    }
    let mut collected = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(BodyError::Read)?;
        if let Ok(data) = frame.into_data() {
            if collected.len().saturating_add(data.len()) > MAX_BODY_LEN {
                tokio::spawn(drain(body, within));
                return Err(BodyError::TooLarge);
            }
            collected.extend_from_slice(&data);
        }
    }
    Ok(Bytes::from(collected))
}

/// The largest refused body that is still read (and dropped) before the
/// connection closes.
const MAX_DRAINED_BODY: u64 = 16 * 1024 * 1024;

/// Reads and drops a body: at most [`MAX_DRAINED_BODY`] bytes, for at most
/// `within`.
async fn drain(mut body: Incoming, within: Duration) {
    let _ = tokio::time::timeout(within, async {
        let mut dropped = 0u64;
        while let Some(Ok(frame)) = body.frame().await {
            let len = frame.data_ref().map_or(0, |d| d.len() as u64);
            dropped = dropped.saturating_add(len);
            if dropped > MAX_DRAINED_BODY {
                break;
            }
        }
    })
    .await;
}

/// A GUID's text form of 128 bits.
fn guid(bits: u128) -> String {
    let part = |shift: u32, mask: u128| (bits >> shift) & mask;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        part(96, 0xffff_ffff),
        part(80, 0xffff),
        part(64, 0xffff),
        part(48, 0xffff),
        part(0, 0xffff_ffff_ffff)
    )
}

/// Resolves once the server is stopping.
async fn until_stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopped| *stopped).await;
}

/// Resolves on `SIGINT` or `SIGTERM`.
async fn stopped() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        () = terminate => {},
    }
}

/// The core's answer on the wire, with what every answer of the service
/// carries: a fresh `x-ms-request-id`, the echo of `x-ms-client-request-id`
/// when asked for with `x-ms-return-client-request-id: true`, the region and
/// network information, and `Retry-After` as configured.
fn into_http<S: Store>(
    app: &Shared<S>,
    peer: SocketAddr,
    request: &hyper::HeaderMap,
    response: Response,
    close: bool,
) -> HttpResponse {
    let status = hyper::StatusCode::from_u16(response.status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    let mut out = hyper::Response::new(Full::new(Bytes::from(response.body)));
    *out.status_mut() = status;
    let headers = out.headers_mut();
    for (name, value) in response.headers {
        let value = if name.eq_ignore_ascii_case("Retry-After") { app.config.retry_after.to_string() } else { value };
        if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(&value)) {
            headers.insert(name, value);
        }
    }
    for (name, value) in rest::COMMON_HEADERS {
        if let Ok(name) = HeaderName::from_bytes(name.as_bytes())
            && !headers.contains_key(&name)
        {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    if let Ok(id) = HeaderValue::from_str(&guid(RandomIds::next())) {
        headers.insert("x-ms-request-id", id);
    }
    let echo = request
        .get("x-ms-return-client-request-id")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if let (true, Some(id)) = (echo, request.get("x-ms-client-request-id")) {
        headers.insert("x-ms-client-request-id", id.clone());
    }
    headers.insert("x-ms-keyvault-region", HeaderValue::from_static("local"));
    let ip = peer.ip().to_canonical();
    let (kind, family) = if ip.is_ipv4() { ("Ipv4", "InterNetwork") } else { ("Ipv6", "InterNetworkV6") };
    if let Ok(info) = HeaderValue::from_str(&format!("conn_type={kind};addr={ip};act_addr_fam={family};")) {
        headers.insert("x-ms-keyvault-network-info", info);
    }
    if close {
        headers.insert(hyper::header::CONNECTION, HeaderValue::from_static("close"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_have_the_five_groups() {
        assert_eq!(guid(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef), "01234567-89ab-cdef-0123-456789abcdef");
        assert_eq!(guid(0), "00000000-0000-0000-0000-000000000000");
    }

    #[test]
    fn the_cap_leaves_descriptors_for_the_server() {
        assert_eq!(connection_cap(10), 10);
        let auto = connection_cap(0);
        assert!(auto >= 16);
        if let Some(limit) = open_file_limit().filter(|&l| l > RESERVED_DESCRIPTORS + 16) {
            assert!(auto <= limit - RESERVED_DESCRIPTORS, "{auto} connections under a limit of {limit}");
        }
    }
}
