//! The staff API (`/api/v1`, SPEC §6): campaigns, quotas, the report
//! document and the anonymous export, described by an OpenAPI 3 document
//! generated from these handlers and the report's own types (`utoipa`), so
//! the description cannot drift from what is served without a test noticing.

use super::{ReportQuery, ReportState, WebError, build, find_campaign};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sipas_shared::store::CampaignSummary;
use std::collections::BTreeMap;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

/// The campaigns in the store.
#[derive(Serialize, ToSchema)]
pub struct CampaignList {
    pub campaigns: Vec<CampaignSummary>,
}

/// Progress of one unit × group against its quota: counts only, never a person.
#[derive(Serialize, ToSchema)]
pub struct QuotaProgress {
    pub unit: String,
    pub group: String,
    pub quota: i64,
    pub invited: i64,
    pub answered: i64,
    pub paper: i64,
    pub refused: i64,
    pub unreachable: i64,
    pub reserves: i64,
    pub remaining: i64,
}

#[derive(Serialize, ToSchema)]
pub struct QuotaList {
    pub campaign: String,
    pub quotas: Vec<QuotaProgress>,
}

/// One anonymous response of `export.json` (the array's items).
#[derive(Serialize, ToSchema)]
pub struct ExportRow {
    pub unit: String,
    pub group: String,
    pub field: Option<String>,
    /// The day of the batch the answer was released in (`YYYY-MM-DD`).
    pub submitted_at: String,
    /// Answer cells by question code, as in the ballot CSV (SPEC §7).
    pub answers: BTreeMap<String, String>,
}

/// Every refusal of the API: `{ "error": { code, message, field } }`.
#[derive(Serialize, ToSchema)]
pub struct ApiError {
    pub error: ApiErrorBody,
}

#[derive(Serialize, ToSchema)]
pub struct ApiErrorBody {
    /// `unauthorized`, `forbidden`, `not_found`, `bad_input`, `unavailable`, `internal`.
    pub code: String,
    /// In Vietnamese, for a person.
    pub message: String,
    /// The parameter at fault, if one is.
    pub field: Option<String>,
}

/// The description served at `/api/v1/openapi.json`.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "sipas API",
        version = "1",
        description = "Khảo sát SIPAS và PAR INDEX: đợt khảo sát, tiến độ chỉ tiêu, báo cáo và dữ liệu phiếu ẩn danh. \
                       Gửi khoá API trong tiêu đề «Authorization: Bearer …» (sipas user token); \
                       chỉ quản trị viên và cán bộ phân tích."
    ),
    paths(list_campaigns, report, quotas, export),
    components(schemas(ApiError, ApiErrorBody, ExportRow)),
    modifiers(&BearerToken),
    security(("bearer" = []))
)]
pub struct ApiDoc;

struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub(super) async fn openapi() -> Response {
    Json(ApiDoc::openapi()).into_response()
}

/// The campaigns in the store, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/campaigns",
    responses(
        (status = 200, description = "Đợt khảo sát", body = CampaignList),
        (status = 401, description = "Thiếu khoá API hoặc khoá hết hạn", body = ApiError),
        (status = 403, description = "Vai trò không xem được", body = ApiError),
    )
)]
pub(super) async fn list_campaigns(State(state): State<ReportState>) -> Response {
    match state.store.campaigns().await {
        Ok(campaigns) => Json(CampaignList { campaigns }).into_response(),
        Err(e) => WebError::from(e).json(),
    }
}

/// The report document, as `sipas report --format json` prints it.
#[utoipa::path(
    get,
    path = "/api/v1/campaigns/{campaign}/report",
    params(
        ("campaign" = String, Path, description = "Mã đợt khảo sát"),
        ("by" = Option<String>, Query, description = "Phân tổ: unit, group, field hoặc unit,field"),
        ("group" = Option<String>, Query, description = "Chỉ một nhóm đối tượng (mã nhóm)"),
        ("source" = Option<String>, Query, description = "Chỉ phiếu đến theo nguồn: online, offline hoặc paper"),
        ("from" = Option<String>, Query, description = "Từ tháng (YYYY-MM)"),
        ("to" = Option<String>, Query, description = "Đến tháng (YYYY-MM)"),
    ),
    responses(
        (status = 200, description = "Báo cáo", body = crate::report::Report),
        (status = 401, description = "Thiếu khoá API hoặc khoá hết hạn", body = ApiError),
        (status = 403, description = "Vai trò không xem được", body = ApiError),
        (status = 404, description = "Không có đợt khảo sát này", body = ApiError),
        (status = 422, description = "Cách phân tổ hoặc bộ lọc không hợp lệ", body = ApiError),
    )
)]
pub(super) async fn report(
    State(state): State<ReportState>,
    Path(id): Path<String>,
    Query(q): Query<ReportQuery>,
) -> Response {
    match build(&state, &id, &q).await {
        Ok((_, report)) => Json(report).into_response(),
        Err(e) => e.json(),
    }
}

/// Progress against quotas per unit × group: counts only, never a person.
#[utoipa::path(
    get,
    path = "/api/v1/campaigns/{campaign}/quotas",
    params(("campaign" = String, Path, description = "Mã đợt khảo sát")),
    responses(
        (status = 200, description = "Tiến độ chỉ tiêu", body = QuotaList),
        (status = 401, description = "Thiếu khoá API hoặc khoá hết hạn", body = ApiError),
        (status = 403, description = "Vai trò không xem được", body = ApiError),
        (status = 404, description = "Không có đợt khảo sát này", body = ApiError),
    )
)]
pub(super) async fn quotas(State(state): State<ReportState>, Path(id): Path<String>) -> Response {
    let result = async {
        let campaign = find_campaign(&state, &id).await?;
        let board = state.store.quota_board(&campaign.id).await?;
        let quotas = board
            .iter()
            .map(|r| QuotaProgress {
                unit: r.unit.clone(),
                group: r.group.clone(),
                quota: r.quota,
                invited: r.invited,
                answered: r.answered,
                paper: r.paper,
                refused: r.refused,
                unreachable: r.unreachable,
                reserves: r.reserves,
                remaining: r.remaining(),
            })
            .collect();
        Ok::<_, WebError>(Json(QuotaList { campaign: campaign.id, quotas }).into_response())
    }
    .await;
    result.unwrap_or_else(WebError::json)
}

/// The anonymous response-level data of `sipas export`: `export.csv`
/// (SPEC §7 columns) or `export.json` (an array of [`ExportRow`]).
#[utoipa::path(
    get,
    path = "/api/v1/campaigns/{campaign}/export/{file}",
    params(
        ("campaign" = String, Path, description = "Mã đợt khảo sát"),
        ("file" = String, Path, description = "export.csv hoặc export.json"),
    ),
    responses(
        (status = 200, description = "Phiếu ẩn danh, thứ tự ngẫu nhiên trong mỗi ô", content(
            (Vec<ExportRow> = "application/json"),
            (String = "text/csv"),
        )),
        (status = 401, description = "Thiếu khoá API hoặc khoá hết hạn", body = ApiError),
        (status = 403, description = "Vai trò không xem được", body = ApiError),
        (status = 404, description = "Không có đợt khảo sát hoặc tệp này", body = ApiError),
    )
)]
pub(super) async fn export(State(state): State<ReportState>, Path((id, file)): Path<(String, String)>) -> Response {
    let result = async {
        let campaign = find_campaign(&state, &id).await?;
        let mut body = Vec::new();
        let none = |_: u64| {};
        let (mime, ext) = match file.as_str() {
            "export.csv" => {
                crate::export::csv(&*state.store, &campaign, &mut body, &none)
                    .await
                    .map_err(|e| WebError::Render(e.to_string()))?;
                ("text/csv; charset=utf-8", "csv")
            }
            "export.json" => {
                crate::export::json(&*state.store, &campaign, &mut body, &none)
                    .await
                    .map_err(|e| WebError::Render(e.to_string()))?;
                ("application/json", "json")
            }
            other => return Err(WebError::NotFound(format!("tệp «{other}»"))),
        };
        let disposition = format!("attachment; filename=\"{}-phieu.{ext}\"", campaign.id);
        Ok(([(header::CONTENT_TYPE, mime.to_owned()), (header::CONTENT_DISPOSITION, disposition)], body)
            .into_response())
    }
    .await;
    result.unwrap_or_else(WebError::json)
}
