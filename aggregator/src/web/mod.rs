//! Report pages for analysts (`/reports`) and the report API
//! (`/api/v1/campaigns/{id}/report`), served by `sipas serve`.

pub mod api;
mod units;
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
        .route("/reports/{campaign}/units", get(unit_list))
        .route("/reports/{campaign}/units/{unit}", get(unit_sheet))
        .route("/reports/{campaign}/compare", get(compare))
        .route("/api/v1/openapi.json", get(api::openapi))
        .route("/api/v1/campaigns", get(api::list_campaigns))
        .route("/api/v1/campaigns/{campaign}/report", get(api::report))
        .route("/api/v1/campaigns/{campaign}/quotas", get(api::quotas))
        .route("/api/v1/campaigns/{campaign}/export/{file}", get(api::export))
        .with_state(ReportState { store })
}

#[derive(Deserialize, Default)]
struct ReportQuery {
    by: Option<String>,
    /// The unit whose detail tables a province-scale page shows.
    unit: Option<String>,
    /// Words to find among the comments.
    tim: Option<String>,
    /// Which page of the comments.
    trang: Option<usize>,
    /// One respondent group's figures only (its code).
    group: Option<String>,
    /// The campaign to compare with (last year's, by id).
    compare: Option<String>,
    /// Only the answers that came this way: `online`, `offline`, `paper`.
    source: Option<String>,
    /// Only the answers of these months (`YYYY-MM`, inclusive).
    from: Option<String>,
    to: Option<String>,
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

/// A file name's letters without their marks (đ as d), for the
/// Content-Disposition header: "câu-hỏi" → "cau-hoi".
fn ascii_name(s: &str) -> String {
    s.chars()
        .map(sipas_shared::model::text::fold_vietnamese)
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect::<String>()
        .to_lowercase()
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
    let group = q.group.as_deref().filter(|g| !g.is_empty());
    if let Some(g) = group
        && campaign.group(g).is_none()
    {
        return Err(WebError::BadInput {
            message: format!("đợt không có nhóm đối tượng «{g}»"), field: "group"
        });
    }
    let filter = crate::filter::Filter::parse(q.source.as_deref(), q.from.as_deref(), q.to.as_deref())
        .map_err(|e| WebError::BadInput { message: e.message, field: e.field })?;
    let compare = q.compare.as_deref().filter(|c| !c.is_empty());
    filter
        .allows(question.is_some(), compare.is_some())
        .map_err(|e| WebError::BadInput { message: e.message, field: e.field })?;
    let mut report =
        load::report_of_group(&*state.store, &campaign, by, question.as_deref(), group, &filter, &|_| {}).await?;
    if let Some(previous) = compare {
        load::compare_with(&*state.store, &campaign, &mut report, previous).await.map_err(|e| match e {
            sipas_shared::StoreError::NotFound(what) => {
                WebError::BadInput { message: format!("không có {what} để so sánh"), field: "compare" }
            }
            other => WebError::from(other),
        })?;
    }
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
            let comments = views::CommentQuery { find: q.tim.clone(), page: q.trang.unwrap_or(1) };
            views::report_page(&campaign, &report, unit, &comments).into_response()
        }
        Err(e) => e.page(),
    }
}

async fn unit_list(State(state): State<ReportState>, Path(id): Path<String>) -> Response {
    match build(&state, &id, &ReportQuery::default()).await {
        Ok((campaign, report)) => units::unit_list(&campaign, &report).into_response(),
        Err(e) => e.page(),
    }
}

async fn unit_sheet(State(state): State<ReportState>, Path((id, unit)): Path<(String, String)>) -> Response {
    match build(&state, &id, &ReportQuery::default()).await {
        Ok((campaign, report)) => match report.units.iter().find(|u| u.unit == unit) {
            Some(u) => units::unit_sheet(&campaign, &report, u).into_response(),
            None => WebError::NotFound(format!("đơn vị «{unit}»")).page(),
        },
        Err(e) => e.page(),
    }
}

#[derive(Deserialize, Default)]
struct CompareQuery {
    a: Option<String>,
    b: Option<String>,
}

async fn compare(State(state): State<ReportState>, Path(id): Path<String>, Query(q): Query<CompareQuery>) -> Response {
    match build(&state, &id, &ReportQuery::default()).await {
        Ok((campaign, report)) => {
            let find = |code: &Option<String>| code.as_deref().and_then(|c| report.units.iter().find(|u| u.unit == c));
            units::compare(&campaign, &report, find(&q.a), find(&q.b)).into_response()
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
        let mut tables = render::tables(&report);
        // One table of the page, as CSV: `table-N.csv`, N its place on the page
        // (a province's detail tables for the unit the page shows).
        if let Some(n) =
            file.strip_prefix("table-").and_then(|f| f.strip_suffix(".csv")).and_then(|n| n.parse::<usize>().ok())
        {
            if render::too_many_units(&report) {
                let unit = q.unit.as_deref().filter(|u| !u.is_empty());
                let chosen = unit.and_then(|code| report.units.iter().find(|u| u.unit == code));
                render::one_unit_at_a_time(&mut tables, chosen.map(|u| (u.unit.as_str(), u.name.as_str())));
            }
            let t = tables.get(n).ok_or_else(|| WebError::NotFound(format!("bảng số {n}")))?;
            let mut v = Vec::new();
            render::write_csv(t, &mut v).map_err(|e| WebError::Render(e.to_string()))?;
            let name = sipas_shared::model::text::procedure_key(&t.name).replace(' ', "-");
            let disposition = format!("attachment; filename=\"{}-{}.csv\"", campaign.id, ascii_name(&name));
            return Ok((
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                    (header::CONTENT_DISPOSITION, disposition),
                ],
                v,
            )
                .into_response());
        }
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
                render::xlsx::report_workbook(&report, tables, campaign.organiser.as_deref())
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
