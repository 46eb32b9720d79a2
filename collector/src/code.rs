//! `GET /k`: for a person holding a printed slip who would rather type than
//! scan: the short code leads to the questionnaire.

use crate::views::text::Key;
use crate::views::{Lang, layout};
use crate::{AppError, AppState};
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::html;
use serde::Deserialize;
use sipas_shared::model::ShortCode;

pub fn router() -> Router<AppState> {
    Router::new().route("/k", get(enter_code))
}

#[derive(Deserialize)]
struct CodeQuery {
    code: Option<String>,
    lang: Option<String>,
}

async fn enter_code(State(state): State<AppState>, Query(q): Query<CodeQuery>) -> Result<Response, AppError> {
    let lang = Lang::from_query(q.lang.as_deref());
    let typed = q.code.as_deref().map(str::trim).filter(|c| !c.is_empty());
    let mut error = None;
    if let Some(typed) = typed {
        match ShortCode::parse(typed) {
            Some(code) => match state.store.token_by_code(code.as_str()).await? {
                Some(token) => return Ok(Redirect::to(&format!("/s/{token}{}", lang.query())).into_response()),
                None => error = Some(lang.t(Key::CodeUnknown)),
            },
            None => error = Some(lang.t(Key::CodeMalformed)),
        }
    }
    let status = if error.is_some() { StatusCode::NOT_FOUND } else { StatusCode::OK };
    let page = layout(
        lang,
        lang.t(Key::CodeTitle),
        None,
        html! {
            @if let Some(e) = error { div.alert role="alert" { (e) } }
            form method="get" action="/k" {
                @if lang == Lang::En { input type="hidden" name="lang" value="en"; }
                fieldset {
                    legend { label for="code" { (lang.t(Key::CodeAsk)) } }
                    input #code type="text" name="code" value=(typed.unwrap_or_default()) autocomplete="off" autocapitalize="characters"
                        inputmode="text" maxlength="12" placeholder="ABCD-1234" required style="font:1.4rem monospace;width:12ch;padding:.4rem";
                }
                button.go type="submit" { (lang.t(Key::Continue)) }
            }
        },
    );
    Ok((status, page).into_response())
}
