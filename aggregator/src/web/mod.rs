//! Report pages for analysts (`/reports`) and the report API
//! (`/api/v1/campaigns/{id}/report`), served by `sipas serve`.

pub mod api;
mod views;

use crate::load;
use crate::render;
use crate::report::By;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use sipas_shared::{Campaign, Store};
use std::sync::Arc;

#[derive(Clone)]
struct ReportState {
    store: Arc<dyn Store>,
}

/// The report routes.
pub fn router(store: Arc<dyn Store>) -> Router {
    Router::new()
        .route("/reports", get(list_campaigns))
        .route("/reports/{campaign}", get(show_report))
        .route("/reports/{campaign}/download/{file}", get(download_report))
        .route("/api/v1/openapi.json", get(api::openapi))
        .route("/api/v1/campaigns", get(api::list_campaigns))
        .route("/api/v1/campaigns/{campaign}/report", get(api::report))
        .route("/api/v1/campaigns/{campaign}/quotas", get(api::quotas))
        .route("/api/v1/campaigns/{campaign}/export/{file}", get(api::export))
        .with_state(ReportState { store })
}

#[derive(Deserialize)]
struct ReportQuery {
    by: Option<String>,
    /// The unit whose detail tables a province-scale page shows.
    unit: Option<String>,
}

/// A failure shown as a page (HTML routes) or as the API's JSON error body.
enum WebError {
    NotFound(String),
    BadInput { message: String, field: &'static str },
    Store(sipas_shared::StoreError),
    Render(String),
}

impl WebError {
    fn parts(&self) -> (StatusCode, &'static str, String, Option<&'static str>) {
        match self {
            WebError::NotFound(what) => (StatusCode::NOT_FOUND, "not_found", format!("Không tìm thấy {what}"), None),
            WebError::BadInput { message, field } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "bad_input", message.clone(), Some(*field))
            }
            WebError::Store(e) => {
                tracing::error!(error = %e, "report store failure");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "Hệ thống đang gặp sự cố, vui lòng thử lại sau".into(),
                    None,
                )
            }
            WebError::Render(e) => {
                tracing::error!(error = %e, "report rendering failure");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal", "Không tạo được tệp báo cáo".into(), None)
            }
        }
    }

    fn page(self) -> Response {
        let (status, _, message, _) = self.parts();
        (status, views::error_page(&message)).into_response()
    }

    fn json(self) -> Response {
        let (status, code, message, field) = self.parts();
        (status, Json(json!({ "error": { "code": code, "message": message, "field": field } }))).into_response()
    }
}

impl From<sipas_shared::StoreError> for WebError {
    fn from(e: sipas_shared::StoreError) -> Self {
        WebError::Store(e)
    }
}

fn parse_by(q: &ReportQuery) -> Result<(By, Option<String>), WebError> {
    match q.by.as_deref().filter(|s| !s.is_empty()) {
        None => Ok((By::Unit, None)),
        Some(s) => By::parse_spec(s).ok_or_else(|| WebError::BadInput {
            message: format!(
                "«{s}» không phải cách phân tổ: dùng unit, group, field, unit,field, question:MÃ_CÂU hoặc unit,question:MÃ_CÂU"
            ),
            field: "by",
        }),
    }
}

async fn find_campaign(state: &ReportState, id: &str) -> Result<Campaign, WebError> {
    state.store.campaign(id).await?.ok_or_else(|| WebError::NotFound(format!("đợt khảo sát «{id}»")))
}

async fn build(state: &ReportState, id: &str, q: &ReportQuery) -> Result<(Campaign, crate::report::Report), WebError> {
    let (by, question) = parse_by(q)?;
    let campaign = find_campaign(state, id).await?;
    if let Some(code) = &question {
        crate::report::check_question(&campaign, code)
            .map_err(|message| WebError::BadInput { message, field: "by" })?;
    }
    let report = load::report(&*state.store, &campaign, by, question.as_deref(), &|_| {}).await?;
    Ok((campaign, report))
}

async fn list_campaigns(State(state): State<ReportState>) -> Response {
    match state.store.campaigns().await {
        Ok(list) => views::campaign_list(&list).into_response(),
        Err(e) => WebError::from(e).page(),
    }
}

async fn show_report(
    State(state): State<ReportState>,
    Path(id): Path<String>,
    Query(q): Query<ReportQuery>,
) -> Response {
    match build(&state, &id, &q).await {
        Ok((campaign, report)) => {
            let unit = q.unit.as_deref().filter(|u| !u.is_empty());
            views::report_page(&campaign, &report, unit).into_response()
        }
        Err(e) => e.page(),
    }
}

async fn download_report(
    State(state): State<ReportState>,
    Path((id, file)): Path<(String, String)>,
    Query(q): Query<ReportQuery>,
) -> Response {
    let result = async {
        let (campaign, report) = build(&state, &id, &q).await?;
        let tables = render::tables(&report);
        let (body, mime, ext) = match file.as_str() {
            "report.json" => (
                serde_json::to_vec_pretty(&report).map_err(|e| WebError::Render(e.to_string()))?,
                "application/json",
                "json",
            ),
            "report.csv" => {
                let mut v = Vec::new();
                render::write_csv(&tables[0], &mut v).map_err(|e| WebError::Render(e.to_string()))?;
                (v, "text/csv; charset=utf-8", "csv")
            }
            "report.xlsx" => (
                render::xlsx::workbook(&tables, &render::xlsx::metadata(&report, campaign.organiser.as_deref()))
                    .map_err(|e| WebError::Render(e.to_string()))?,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "xlsx",
            ),
            "report.docx" => (
                render::docx::document(&report, &campaign, &tables).map_err(WebError::Render)?,
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "docx",
            ),
            other => return Err(WebError::NotFound(format!("tệp «{other}»"))),
        };
        let disposition = format!("attachment; filename=\"{}-bao-cao.{ext}\"", campaign.id);
        Ok(([(header::CONTENT_TYPE, mime.to_owned()), (header::CONTENT_DISPOSITION, disposition)], body)
            .into_response())
    }
    .await;
    result.unwrap_or_else(WebError::page)
}
