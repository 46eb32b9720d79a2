//! Counter mode (SPEC §6): `GET /c/{counter}` is a standing QR at a one-stop
//! counter. The person says which field they just used and gets a fresh,
//! single-use questionnaire, until the unit's citizen quota is full.
//!
//! A counter code is `{campaign}~{unit}`; neither part may contain `~`.

use crate::views::text::Key;
use crate::views::{Lang, closed, counter_page, message};
use crate::{AppError, AppState};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;
use sipas_shared::Campaign;
use sipas_shared::campaign::Group;

pub fn router() -> Router<AppState> {
    Router::new().route("/c/{counter}", get(show_counter).post(issue_from_counter))
}

/// The code printed under a unit's standing QR.
pub fn counter_code(campaign: &str, unit: &str) -> String {
    format!("{campaign}~{unit}")
}

#[derive(Deserialize)]
struct LangQuery {
    lang: Option<String>,
}

#[derive(Deserialize)]
struct FieldChoice {
    #[serde(default)]
    field: String,
}

/// The citizens' group: drawn from counters' transaction lists.
fn citizens(campaign: &Campaign) -> Option<&Group> {
    campaign.groups.iter().find(|g| g.frame)
}

enum Counter {
    Open { campaign: Box<Campaign>, unit: String, unit_name: String, group: String },
    Page(StatusCode, maud::Markup),
}

async fn resolve(state: &AppState, lang: Lang, code: &str) -> Result<Counter, AppError> {
    let not_found =
        || Counter::Page(StatusCode::NOT_FOUND, message(lang, lang.t(Key::NotFound), &[lang.t(Key::NotFoundBody)]));
    let Some((campaign_id, unit)) = code.split_once('~') else { return Ok(not_found()) };
    let Some(campaign) = state.store.campaign(campaign_id).await? else { return Ok(not_found()) };
    let (Some(u), Some(group)) = (campaign.unit(unit), citizens(&campaign)) else { return Ok(not_found()) };
    if !campaign.is_open_on(chrono::Local::now().date_naive()) {
        return Ok(Counter::Page(StatusCode::OK, closed(lang, &campaign)));
    }
    let (unit, unit_name, group) = (u.code.to_string(), u.name.clone(), group.code.clone());
    Ok(Counter::Open { campaign: Box::new(campaign), unit, unit_name, group })
}

fn full(lang: Lang) -> Response {
    message(lang, lang.t(Key::QuotaFull), &[lang.t(Key::QuotaFullBody)]).into_response()
}

async fn show_counter(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<LangQuery>,
) -> Result<Response, AppError> {
    let lang = Lang::from_query(q.lang.as_deref());
    match resolve(&state, lang, &code).await? {
        Counter::Page(status, page) => Ok((status, page).into_response()),
        Counter::Open { campaign, unit, unit_name, group } => {
            // "Full" before the person is asked anything.
            if !state.store.counter_open(&campaign.id, &unit, &group).await? {
                return Ok(full(lang));
            }
            let title = campaign.questionnaire_of(&group).map_or(campaign.name.as_str(), |q| match lang {
                Lang::En => q.title_en.as_deref().unwrap_or(&q.title),
                Lang::Vi => &q.title,
            });
            let action = format!("/c/{code}{}", lang.query());
            Ok(counter_page(lang, title, &unit_name, &campaign.fields, &action).into_response())
        }
    }
}

async fn issue_from_counter(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<LangQuery>,
    Form(choice): Form<FieldChoice>,
) -> Result<Response, AppError> {
    let lang = Lang::from_query(q.lang.as_deref());
    let (campaign, unit, group) = match resolve(&state, lang, &code).await? {
        Counter::Page(status, page) => return Ok((status, page).into_response()),
        Counter::Open { campaign, unit, group, .. } => (campaign, unit, group),
    };
    let field = choice.field.trim();
    let field = if field.is_empty() {
        None
    } else if campaign.fields.iter().any(|f| f == field) {
        Some(field)
    } else {
        return Err(AppError::BadInput {
            code: "unknown_field",
            message: format!("lĩnh vực «{field}» không có trong danh mục"),
            field: Some("field".into()),
        });
    };
    match state.store.issue_counter_invitation(&campaign.id, &unit, &group, field).await? {
        Some(token) => Ok(Redirect::to(&format!("/s/{token}{}", lang.query())).into_response()),
        None => Ok(full(lang)),
    }
}
