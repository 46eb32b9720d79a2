//! The serving loop: HTTP/1 and HTTP/2 on one listener, with the limits a
//! public service needs against slow or hoarding clients — a deadline to
//! send the request head, a bounded number of open connections, a deadline
//! for each answer — and a graceful stop that lets answers in flight finish.

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
    /// Time answers in flight get to finish once a stop is asked for.
    pub drain: Duration,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            header_read: Duration::from_secs(10),
            request: Duration::from_secs(120),
            max_connections: 1024,
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
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(remote));
            app.clone().oneshot(request)
        });
        let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service).into_owned();
        let connection = graceful.watch(connection);
        let open = metrics.clone();
        open.connection_opened();
        tokio::spawn(async move {
            // A client that goes away midway is no error of the service's.
            let _ = connection.await;
            open.connection_closed();
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
