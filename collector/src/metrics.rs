//! `/metrics` (SPEC §6): what an operator's Prometheus scrapes — requests by
//! route and status, answers submitted, open connections, requests in
//! flight, the database pool and the submission writer's queue. Open from
//! this machine (loopback) or to signed-in staff; never a token, a path with
//! a token in it, an address or a phone: routes are counted by their pattern
//! (`/s/{token}`), never by the path asked.

use crate::AppState;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::net::SocketAddr;
use std::sync::Arc;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

/// The service's counters and gauges, shared by every request.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    in_flight: Gauge,
    /// Connections the listener holds open (set by the serving loop).
    connections: Gauge,
    submissions: Counter,
    pool_connections: Gauge,
    pool_idle: Gauge,
    writer_queue: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("sipas");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register("http_requests", "HTTP requests answered, by route pattern and status", requests.clone());
        let in_flight = Gauge::default();
        registry.register("http_requests_in_flight", "HTTP requests being answered", in_flight.clone());
        let connections = Gauge::default();
        registry.register("http_connections", "Client connections held open", connections.clone());
        let submissions = Counter::default();
        registry.register("submissions", "Questionnaires submitted by respondents", submissions.clone());
        let pool_connections = Gauge::default();
        registry.register("db_pool_connections", "Database connections open", pool_connections.clone());
        let pool_idle = Gauge::default();
        registry.register("db_pool_idle", "Database connections idle", pool_idle.clone());
        let writer_queue = Gauge::default();
        registry.register("submission_queue", "Submissions waiting for the group-commit writer", writer_queue.clone());
        Metrics { registry, requests, in_flight, connections, submissions, pool_connections, pool_idle, writer_queue }
    }
}

impl Metrics {
    /// Counts one submitted questionnaire.
    pub fn submitted(&self) {
        self.submissions.inc();
    }

    /// The serving loop opened a client connection.
    pub fn connection_opened(&self) {
        self.connections.inc();
    }

    pub fn connection_closed(&self) {
        self.connections.dec();
    }
}

/// The route pattern a request matched, passed from the inner layer to the
/// counting one.
#[derive(Clone)]
struct Route(String);

/// Inner layer (on the routes): notes the pattern the request matched.
pub async fn note_route(request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned());
    let mut response = next.run(request).await;
    if let Some(route) = route {
        response.extensions_mut().insert(Route(route));
    }
    response
}

/// Outer layer: counts every request by method, route pattern and status.
pub async fn count(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let method = request.method().as_str().to_owned();
    metrics.in_flight.inc();
    let response = next.run(request).await;
    metrics.in_flight.dec();
    let route = response.extensions().get::<Route>().map_or_else(|| "(none)".to_owned(), |r| r.0.clone());
    metrics.requests.get_or_create(&RequestLabels { method, route, status: response.status().as_u16() }).inc();
    response
}

pub fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(show_metrics))
}

/// Headers some proxy adds to what it forwards: any of them means the request
/// came from elsewhere, whatever the connection's address.
const PROXY_HEADERS: [&str; 8] = [
    "x-forwarded-for",
    "forwarded",
    "x-real-ip",
    "via",
    "x-forwarded-host",
    "x-forwarded-proto",
    "true-client-ip",
    "cf-connecting-ip",
];

async fn show_metrics(
    State(state): State<AppState>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    request: Request,
) -> Response {
    let peer = connect.map(|Extension(ConnectInfo(a))| a);
    let client = state.limits.as_ref().map_or(peer.map(|p| p.ip()), |l| l.client_of(request.headers(), peer));
    // A request a proxy forwarded is never "this machine", even when the
    // service was not told to trust the proxy's header.
    let forwarded = PROXY_HEADERS.iter().any(|h| request.headers().contains_key(*h));
    // Behind a proxy every request comes from the proxy's machine, often
    // this one: a proxy that forwards without adding a header would make
    // every outsider "local". There, only staff see the metrics.
    let behind_proxy = state.limits.as_ref().is_some_and(|l| l.behind_proxy());
    let local = !behind_proxy && !forwarded && client.is_some_and(|ip| ip.is_loopback());
    if !local {
        match crate::auth::authenticate(&state, request.headers(), "/metrics").await {
            Ok(Some(_)) => {}
            Ok(None) => {
                return (StatusCode::FORBIDDEN, "chỉ mở cho máy chủ này hoặc cán bộ đã đăng nhập\n").into_response();
            }
            Err(e) => return e.into_response(),
        }
    }
    let m = &state.metrics;
    let pool = state.store.health();
    m.pool_connections.set(i64::from(pool.connections));
    m.pool_idle.set(i64::try_from(pool.idle).unwrap_or(i64::MAX));
    m.writer_queue.set(i64::try_from(pool.writer_queue).unwrap_or(i64::MAX));
    let mut body = String::new();
    if prometheus_client::encoding::text::encode(&mut body, &m.registry).is_err() {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], body).into_response()
}
