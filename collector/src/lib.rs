//! The collector: an axum service for respondents, enumerators and staff.
//!
//! [`app`] builds the whole router from an [`AppState`], so tests can drive it
//! in-process or on port 0.

mod counter;
mod error;
mod health;
pub mod qr;
pub mod slips;
mod respond;
pub mod views;

use axum::Router;
use sipas_shared::Store;
use std::sync::Arc;

pub use counter::counter_code;
pub use error::AppError;

/// What every handler can reach. Nothing here is authoritative state: several
/// processes may share one PostgreSQL.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    /// The address respondents reach the service at, for links and QR codes
    /// (e.g. `https://khaosat.example.gov.vn`).
    pub public_url: String,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, public_url: impl Into<String>) -> Self {
        Self { store, public_url: public_url.into() }
    }
}

/// The whole service.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(health::router())
        .merge(respond::router())
        .merge(counter::router())
        .merge(qr::router())
        .with_state(state)
}
