//! The serving loop: HTTP/1 and HTTP/2 on one listener, with the limits a
//! public service needs against slow or hoarding clients — a deadline to
//! send the request head, counted from the accept; a connection with nothing
//! in flight closed after the same time idle (HTTP/2 PINGs do not count as
//! work); a bounded number of open connections, and fewer per client address
//! (IPv4, or IPv6 by its /64); a deadline for each answer — and a graceful
//! stop that lets answers in flight finish.

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// What one process lets its clients hold.
#[derive(Debug, Clone, Copy)]
pub struct ServerLimits {
    /// Time a client has to send a request's head (slowloris: a connection
    /// that trickles a header is closed after this).
    pub header_read: Duration,
    /// Time the service has to start answering a request (408 after it).
    pub request: Duration,
    /// Connections held open at once; more wait in the kernel's queue.
    pub max_connections: usize,
    /// Connections one client address (IPv4, or an IPv6 /64) may hold; one
    /// more is closed at once. A busy office behind one address is about 30
    /// phones with up to 6 connections each: 256 leaves room for that.
    pub per_client: usize,
    /// Time answers in flight get to finish once a stop is asked for.
    pub drain: Duration,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            header_read: Duration::from_secs(10),
            request: Duration::from_secs(120),
            max_connections: 1024,
            per_client: 256,
            drain: Duration::from_secs(20),
        }
    }
}

/// The service's router with the per-request deadline.
pub fn with_deadline(app: Router, limits: &ServerLimits) -> Router {
    app.layer(tower_http::timeout::TimeoutLayer::with_status_code(
        axum::http::StatusCode::REQUEST_TIMEOUT,
        limits.request,
    ))
}

/// Serves `app` on `listener` until `stop` resolves, then lets open
/// answers finish for [`ServerLimits::drain`].
///
/// # Errors
/// Never for a client's fault; only if the listener itself fails for good.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ServerLimits,
    metrics: Arc<sipas_collector::metrics::Metrics>,
    stop: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    let mut builder = Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(limits.header_read).keep_alive(true);
    builder.http2().timer(TokioTimer::new()).keep_alive_interval(Some(Duration::from_secs(30)));
    let builder = Arc::new(builder);
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let holding = Arc::new(std::sync::Mutex::new(std::collections::HashMap::new()));
    tokio::pin!(stop);
    loop {
        let permit = tokio::select! {
            permit = slots.clone().acquire_owned() => match permit { Ok(p) => p, Err(_) => break },
            () = &mut stop => break,
        };
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and the like: wait, then go on.
                    tracing::warn!("accept: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let _ = stream.set_nodelay(true);
        let Some(client) = Holding::take(&holding, remote.ip(), limits.per_client) else {
            // One address holding its share: closed at once, so it cannot
            // crowd out the clients of other addresses.
            continue;
        };
        let app = app.clone();
        let activity = Arc::new(Activity::new());
        let seen = activity.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(remote));
            let work = seen.start();
            let answer = app.clone().oneshot(request);
            async move {
                let response = answer.await?;
                // In flight until the body has gone out (or was dropped).
                Ok::<_, std::convert::Infallible>(
                    response.map(|body| axum::body::Body::new(Tracked { inner: body, _work: work })),
                )
            }
        });
        let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service).into_owned();
        let connection = graceful.watch(connection);
        let open = metrics.clone();
        let idle = limits.header_read;
        open.connection_opened();
        tokio::spawn(async move {
            // A client that goes away midway is no error of the service's;
            // one that holds the connection with nothing in flight for the
            // header deadline (from the accept, or since its last answer)
            // is dropped, whether it speaks HTTP/1, HTTP/2 or nothing.
            tokio::select! {
                _ = connection => {}
                () = activity.idle_for(idle) => {}
            }
            open.connection_closed();
            drop(client);
            drop(permit);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(limits.drain) => tracing::warn!("stopped with answers still open after {:?}", limits.drain),
    }
    Ok(())
}

/// Requests in flight on one connection and when it last had one.
struct Activity {
    in_flight: std::sync::atomic::AtomicUsize,
    since: std::sync::Mutex<tokio::time::Instant>,
}

/// One request in flight; dropping it marks the connection active now.
struct Work(Arc<Activity>);

impl Drop for Work {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Activity {
    fn new() -> Self {
        Activity { in_flight: 0.into(), since: std::sync::Mutex::new(tokio::time::Instant::now()) }
    }

    fn touch(&self) {
        if let Ok(mut since) = self.since.lock() {
            *since = tokio::time::Instant::now();
        }
    }

    fn start(self: &Arc<Self>) -> Work {
        self.in_flight.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.touch();
        Work(self.clone())
    }

    /// Resolves once the connection has had nothing in flight for `idle`.
    async fn idle_for(&self, idle: Duration) {
        loop {
            let since = self.since.lock().map_or_else(|_| tokio::time::Instant::now(), |s| *s);
            let busy = self.in_flight.load(std::sync::atomic::Ordering::SeqCst) > 0;
            if !busy && since.elapsed() >= idle {
                return;
            }
            let wait = if busy { idle } else { idle.saturating_sub(since.elapsed()) };
            tokio::time::sleep(wait.max(Duration::from_millis(200))).await;
        }
    }
}

/// A response body that keeps its request in flight until it has been sent
/// or dropped; its size and end are the inner body's, so a response keeps its
/// `Content-Length`.
struct Tracked {
    inner: axum::body::Body,
    _work: Work,
}

impl hyper::body::Body for Tracked {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        std::pin::Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}

/// Connections held per client address (IPv6 by its /64).
type Holdings = std::sync::Mutex<std::collections::HashMap<[u16; 8], usize>>;

/// One connection counted against its address; dropping it frees the place.
struct Holding(Arc<Holdings>, [u16; 8]);

impl Holding {
    fn key(ip: std::net::IpAddr) -> [u16; 8] {
        match ip {
            std::net::IpAddr::V4(v4) => {
                let o = v4.octets();
                [0, 0, 0, 0, 0, 0xffff, u16::from_be_bytes([o[0], o[1]]), u16::from_be_bytes([o[2], o[3]])]
            }
            std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Self::key(std::net::IpAddr::V4(v4)),
                None => {
                    let s = v6.segments();
                    [s[0], s[1], s[2], s[3], 0, 0, 0, 0]
                }
            },
        }
    }

    fn take(all: &Arc<Holdings>, ip: std::net::IpAddr, cap: usize) -> Option<Holding> {
        let key = Self::key(ip);
        let mut map = all.lock().ok()?;
        let held = map.entry(key).or_default();
        if *held >= cap {
            return None;
        }
        *held += 1;
        Some(Holding(all.clone(), key))
    }
}

impl Drop for Holding {
    fn drop(&mut self) {
        if let Ok(mut map) = self.0.lock()
            && let Some(n) = map.get_mut(&self.1)
        {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.1);
            }
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM (what `docker stop` and systemd send).
pub async fn stop_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("stopping: finishing the answers in flight");
}
