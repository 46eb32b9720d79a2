//! One error type for every handler: logs internals, shows the user a clear
//! Vietnamese message, and answers the API with `{ "error": { code, message, field } }`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use sipas_shared::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("không tìm thấy {0}")]
    NotFound(String),
    #[error("{message}")]
    BadInput { code: &'static str, message: String, field: Option<String> },
    #[error("hệ thống đang gặp sự cố, vui lòng thử lại sau")]
    Store(#[from] StoreError),
    #[error("hệ thống đang gặp sự cố, vui lòng thử lại sau")]
    Internal(String),
    /// A signed-in staff member without the right to this page or unit.
    #[error("{0}")]
    Forbidden(String),
}

impl AppError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            AppError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            AppError::BadInput { code, .. } => (StatusCode::UNPROCESSABLE_ENTITY, code),
            AppError::Store(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
            AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        match &self {
            AppError::Store(e) => tracing::error!(error = %e, "store failure"),
            AppError::Internal(e) => tracing::error!(error = %e, "internal failure"),
            _ => {}
        }
        if let AppError::Forbidden(why) = &self {
            // Only staff pages raise it; they are read in a browser.
            let page = crate::views::message(crate::views::Lang::Vi, "Không có quyền truy cập", &[why]);
            return (status, page).into_response();
        }
        let field = match &self {
            AppError::BadInput { field, .. } => field.clone(),
            _ => None,
        };
        (status, Json(json!({ "error": { "code": code, "message": self.to_string(), "field": field } })))
            .into_response()
    }
}
