//! The collector: an axum service for respondents, enumerators and staff.
//!
//! [`app`] builds the whole router from an [`AppState`], so tests can drive it
//! in-process or on port 0.

pub mod auth;
mod code;
mod counter;
mod error;
mod headers;
mod health;
pub mod mail;
pub mod metrics;
pub mod offline;
pub mod qr;
mod respond;
pub mod slips;
pub mod staff;
pub mod throttle;
pub mod views;

use axum::Router;
use sipas_shared::Store;
use std::sync::Arc;

pub use counter::{KioskMode, KioskStarts, counter_code, pass_for};
pub use error::AppError;

/// What every handler can reach. Nothing here is authoritative state: several
/// processes may share one PostgreSQL.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    /// The address respondents reach the service at, for links and QR codes
    /// (e.g. `https://khaosat.example.gov.vn`).
    pub public_url: String,
    /// Per-address budgets of what outsiders can repeat; `None` turns them
    /// off (load tests on loopback).
    pub limits: Option<Arc<throttle::Limits>>,
    /// What `/metrics` shows.
    pub metrics: Arc<metrics::Metrics>,
    /// Starts staff gave on counter tablets.
    pub kiosk: Arc<counter::KioskStarts>,
    /// The SMTP server and the e-mail runs going on (`/admin`).
    pub mailing: Arc<staff::mailing::Mailing>,
}

impl AppState {
    /// The state with the standard rate limits, client addresses taken from
    /// the connection.
    pub fn new(store: Arc<dyn Store>, public_url: impl Into<String>) -> Self {
        Self {
            store,
            public_url: public_url.into(),
            limits: Some(Arc::new(throttle::Limits::standard(0))),
            metrics: Arc::default(),
            kiosk: Arc::default(),
            mailing: Arc::default(),
        }
    }

    /// The state sending e-mail through `smtp` from `/admin`.
    pub fn with_smtp(mut self, smtp: Option<mail::SmtpSettings>) -> Self {
        self.mailing = Arc::new(staff::mailing::Mailing::new(smtp));
        self
    }

    /// A cookie as the service sets them: HttpOnly, SameSite=Lax, path `/`,
    /// and `Secure` when respondents and staff reach the service over TLS.
    pub(crate) fn cookie(&self, name: &'static str, value: String) -> axum_extra::extract::cookie::Cookie<'static> {
        axum_extra::extract::cookie::Cookie::build((name, value))
            .http_only(true)
            .secure(self.public_url.starts_with("https://"))
            .same_site(axum_extra::extract::cookie::SameSite::Lax)
            .path("/")
            .build()
    }

    #[must_use]
    pub fn with_limits(mut self, limits: Option<Arc<throttle::Limits>>) -> Self {
        self.limits = limits;
        self
    }
}

/// The whole service with the report pages and API of the aggregator, which
/// only admins and analysts may open.
pub fn app_with_reports(state: AppState, reports: Router) -> Router {
    let guard = axum::middleware::from_fn_with_state(state.clone(), auth::reports_only);
    let metrics = state.metrics.clone();
    counted(metrics, routes(state).merge(reports.route_layer(guard)))
}

/// The collector alone: respondents, staff pages, QR codes.
pub fn app(state: AppState) -> Router {
    let metrics = state.metrics.clone();
    counted(metrics, routes(state))
}

/// Every route counted by its pattern, then the layers every response gets.
fn counted(metrics: Arc<metrics::Metrics>, router: Router) -> Router {
    let router = router
        .route_layer(axum::middleware::from_fn(metrics::note_route))
        .layer(axum::middleware::from_fn_with_state(metrics, metrics::count));
    headers::harden(router)
}

fn routes(state: AppState) -> Router {
    let limits = state.limits.clone();
    Router::new()
        .merge(health::router())
        .merge(metrics::router())
        .merge(respond::router())
        .merge(counter::router())
        .merge(qr::router())
        .merge(staff::login::router())
        .merge(staff::admin::router())
        .merge(staff::mailing::router())
        .merge(offline::router())
        .merge(staff::accounts::router())
        .merge(staff::enumerator::router())
        .merge(code::router())
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(limits, throttle::limit))
}
