//! `GET /healthz`: the process is up and its store answers.

use crate::{AppError, AppState};
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(check_health))
}

async fn check_health(State(state): State<AppState>) -> Result<Json<Value>, AppError> {
    let campaigns = state.store.campaigns().await?.len();
    Ok(Json(json!({ "status": "ok", "backend": state.store.backend(), "campaigns": campaigns })))
}
