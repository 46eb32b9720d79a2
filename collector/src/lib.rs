//! The collector: an axum service for respondents, enumerators and staff.
//!
//! [`app`] builds the whole router from an [`AppState`], so tests can drive it
//! in-process or on port 0.

mod error;
mod health;
mod respond;
pub mod views;

use axum::Router;
use sipas_shared::Store;
use std::sync::Arc;

pub use error::AppError;

/// What every handler can reach. Nothing here is authoritative state: several
/// processes may share one PostgreSQL.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }
}

/// The whole service.
pub fn app(state: AppState) -> Router {
    Router::new().merge(health::router()).merge(respond::router()).with_state(state)
}
