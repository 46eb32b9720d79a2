//! The respondent flow (SPEC §6): `GET /s/{token}` shows the questionnaire,
//! `POST /s/{token}` saves partial answers or submits them.

use crate::views::form::{FormPage, Notice, Resume, form_page};
use crate::views::{Lang, closed, message};
use crate::{AppError, AppState};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use maud::Markup;
use serde::Deserialize;
use sipas_shared::model::InvitationStatus;
use sipas_shared::store::key::ServiceKey;
use sipas_shared::store::{Flag, InvitationView, Submission};
use sipas_shared::{Answer, Campaign, Token};
use std::collections::BTreeMap;

/// A whole questionnaire posts well under this; anything larger is refused.
pub const BODY_LIMIT: usize = 64 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/s/{token}", get(show_questionnaire).post(submit_answers))
        .route("/s/{token}/ngung-nhan-thu", get(confirm_opt_out).post(opt_out))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
}

#[derive(Deserialize)]
struct LangQuery {
    lang: Option<String>,
    /// `1` when the questionnaire runs on a counter tablet (which the
    /// tablet's cookie, never the address, identifies).
    kiosk: Option<String>,
    /// How that tablet starts a questionnaire, to go back to the same screen.
    kmode: Option<String>,
}

impl LangQuery {
    /// The kiosk's start page, if this questionnaire runs on a counter tablet.
    fn kiosk_start(&self) -> Option<String> {
        let mode =
            crate::counter::KioskMode::parse(self.kmode.as_deref()).query(Lang::from_query(self.lang.as_deref()));
        (self.kiosk.as_deref() == Some("1")).then(|| format!("{}{mode}", crate::counter::KIOSK_PATH))
    }

    /// The query a form posts back with.
    fn echo(&self, lang: Lang) -> String {
        if self.kiosk_start().is_some() {
            let mode = crate::counter::KioskMode::parse(self.kmode.as_deref()).query(lang).replace('?', "&");
            format!("?kiosk=1{mode}")
        } else {
            lang.query().to_owned()
        }
    }
}

/// What a token leads to, once checked.
enum Target {
    Open { token: Token, invitation: InvitationView, campaign: std::sync::Arc<Campaign> },
    Page(StatusCode, Markup),
}

async fn resolve(state: &AppState, lang: Lang, raw: &str) -> Result<Target, AppError> {
    use crate::views::text::Key;
    let not_found = || Target::Page(StatusCode::NOT_FOUND, crate::views::not_found_page(lang));
    let Some(token) = Token::parse(raw) else { return Ok(not_found()) };
    let Some((invitation, campaign)) = state.store.open_invitation(&token).await? else { return Ok(not_found()) };
    match invitation.status {
        InvitationStatus::Answered => {
            let page = message(lang, lang.t(Key::Already), &[lang.t(Key::AlreadyBody)]);
            return Ok(Target::Page(StatusCode::OK, page));
        }
        InvitationStatus::Issued if invitation.expired => {
            let (title, body) = match lang {
                Lang::Vi => (
                    "Phiếu này đã hết hạn",
                    "Phiếu lấy tại Bộ phận một cửa chỉ dùng được trong 2 giờ. Xin quét lại mã QR tại quầy để nhận phiếu mới.",
                ),
                Lang::En => (
                    "This questionnaire has expired",
                    "A questionnaire taken at the counter stays open for 2 hours. Please scan the QR code at the counter again.",
                ),
            };
            return Ok(Target::Page(StatusCode::GONE, message(lang, title, &[body])));
        }
        InvitationStatus::Issued => {}
        // A reserve not yet released, or a slip an enumerator closed
        // (refused, wrong number, answered on paper): not a live link.
        InvitationStatus::Reserve
        | InvitationStatus::Paper
        | InvitationStatus::Refused
        | InvitationStatus::Unreachable
        | InvitationStatus::WrongNumber => return Ok(not_found()),
    }
    if !campaign.is_open_now() {
        return Ok(Target::Page(StatusCode::OK, closed(lang, &campaign)));
    }
    Ok(Target::Open { token, invitation, campaign })
}

/// The page an e-mail's «no more e-mail» link opens: it asks to confirm, so a
/// mail scanner following every link changes nothing.
async fn confirm_opt_out(State(state): State<AppState>, Path(raw): Path<String>) -> Result<Response, AppError> {
    let lang = Lang::Vi;
    let Some(token) = Token::parse(&raw) else {
        return Ok((StatusCode::NOT_FOUND, crate::views::not_found_page(lang)).into_response());
    };
    if state.store.invitation(&token).await?.is_none() {
        return Ok((StatusCode::NOT_FOUND, crate::views::not_found_page(lang)).into_response());
    }
    let page = crate::views::layout(
        lang,
        "Ngừng nhận thư về khảo sát",
        None,
        maud::html! {
            div.box {
                p { "Ông/Bà sẽ không nhận thêm thư mời hay thư nhắc nào về đợt khảo sát này." }
                p { "Đường dẫn trả lời phiếu vẫn dùng được đến hết hạn, nếu Ông/Bà đổi ý." }
                form method="post" {
                    button type="submit" { "Ngừng nhận thư" }
                }
            }
        },
    );
    Ok(page.into_response())
}

/// Records the opt-out: from the confirmation page's button, or a mail
/// client's one-click request (RFC 8058, `List-Unsubscribe=One-Click`).
async fn opt_out(State(state): State<AppState>, Path(raw): Path<String>) -> Result<Response, AppError> {
    let lang = Lang::Vi;
    let found = match Token::parse(&raw) {
        Some(token) => state.store.opt_out(&token).await?,
        None => None,
    };
    if found.is_none() {
        return Ok((StatusCode::NOT_FOUND, crate::views::not_found_page(lang)).into_response());
    }
    let page = message(
        lang,
        "Đã ghi nhận",
        &[
            "Ông/Bà sẽ không nhận thêm thư nào về đợt khảo sát này.",
            "Đường dẫn trả lời phiếu vẫn dùng được nếu Ông/Bà đổi ý.",
        ],
    );
    Ok(page.into_response())
}

/// The signed time a questionnaire page was made: `{unix}.{tag}`.
fn page_stamp(key: &ServiceKey, token: &str, at: i64) -> String {
    format!("{at}.{}", key.tag(&format!("page|{token}|{at}")))
}

/// Seconds since the page was made, if the stamp is the service's own.
fn seconds_on_page(key: &ServiceKey, token: &str, stamp: &str) -> Option<i64> {
    let (at, _) = stamp.split_once('.')?;
    let at: i64 = at.parse().ok()?;
    (page_stamp(key, token, at) == stamp).then(|| sipas_shared::model::clock::now().timestamp() - at)
}

/// Fewer seconds than this per question answered is faster than reading.
const SECONDS_PER_ANSWER: i64 = 2;

/// The coarse signals kept with an answer for review (SPEC §10): answered
/// implausibly fast (or posted without the page), one of a burst from one
/// address. Nothing that leads back to the address is kept.
fn review_flags(
    state: &AppState,
    token: &str,
    fields: &[(String, String)],
    answered: usize,
    client: Option<std::net::IpAddr>,
) -> Vec<Flag> {
    let mut flags = Vec::new();
    let stamp = fields.iter().find(|(k, _)| k == "t").map(|(_, v)| v.as_str()).unwrap_or_default();
    let least = i64::try_from(answered).unwrap_or(i64::MAX).saturating_mul(SECONDS_PER_ANSWER);
    if seconds_on_page(state.store.service_key(), token, stamp).is_none_or(|s| s < least) {
        flags.push(Flag::Fast);
    }
    if let (Some(limits), Some(ip)) = (&state.limits, client)
        && limits.burst(ip)
    {
        flags.push(Flag::Burst);
    }
    flags
}

/// An open questionnaire: the token as it came, its invitation and campaign.
struct Opened<'a> {
    raw_token: &'a str,
    campaign: &'a Campaign,
    invitation: &'a InvitationView,
}

fn render(
    q: &LangQuery,
    key: &ServiceKey,
    Opened { raw_token, campaign, invitation }: Opened<'_>,
    cells: &BTreeMap<String, String>,
    errors: &BTreeMap<String, String>,
    notice: Option<Notice>,
) -> Result<Markup, AppError> {
    let lang = Lang::from_query(q.lang.as_deref());
    let questionnaire = campaign
        .questionnaire_of(&invitation.group)
        .ok_or_else(|| AppError::NotFound(format!("phiếu của nhóm «{}»", invitation.group)))?;
    let unit = campaign.unit(&invitation.unit).map_or(invitation.unit.as_str(), |u| u.name.as_str());
    let action = format!("/s/{raw_token}{}", q.echo(lang));
    let kiosk = q.kiosk_start();
    let stamp = page_stamp(key, raw_token, sipas_shared::model::clock::now().timestamp());
    Ok(form_page(&FormPage {
        lang,
        title_unit: unit,
        questionnaire,
        cells,
        errors,
        notice,
        action: &action,
        keying: None,
        kiosk: kiosk.as_deref(),
        stamp: Some(&stamp),
    }))
}

async fn show_questionnaire(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    Query(q): Query<LangQuery>,
) -> Result<Response, AppError> {
    let lang = Lang::from_query(q.lang.as_deref());
    match resolve(&state, lang, &raw).await? {
        Target::Open { token, invitation, campaign } => {
            let cells = state.store.draft(&token).await?.unwrap_or_default();
            Ok(render(
                &q,
                state.store.service_key(),
                Opened { raw_token: &raw, campaign: &campaign, invitation: &invitation },
                &cells,
                &BTreeMap::new(),
                None,
            )?
            .into_response())
        }
        Target::Page(status, page) => Ok((status, page).into_response()),
    }
}

/// Answer cells from a posted form: `q.CODE` fields, repeated ones (checkboxes)
/// joined with `;`; other fields are controls.
pub(crate) fn cells_from_form(fields: &[(String, String)]) -> (BTreeMap<String, String>, Option<String>) {
    let mut cells: BTreeMap<String, String> = BTreeMap::new();
    let mut action = None;
    for (k, v) in fields {
        if let Some(code) = k.strip_prefix("q.") {
            let v = v.trim();
            if v.is_empty() {
                continue;
            }
            cells
                .entry(code.to_owned())
                .and_modify(|c| {
                    c.push(';');
                    c.push_str(v);
                })
                .or_insert_with(|| v.to_owned());
        } else if k == "action" {
            action = Some(v.clone());
        }
    }
    (cells, action)
}

async fn submit_answers(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    Query(q): Query<LangQuery>,
    headers: axum::http::HeaderMap,
    connect: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    use crate::views::text::Key;
    let lang = Lang::from_query(q.lang.as_deref());
    let (token, invitation, campaign) = match resolve(&state, lang, &raw).await? {
        Target::Open { token, invitation, campaign } => (token, invitation, campaign),
        Target::Page(status, page) => return Ok((status, page).into_response()),
    };
    let questionnaire = campaign
        .questionnaire_of(&invitation.group)
        .ok_or_else(|| AppError::NotFound(format!("phiếu của nhóm «{}»", invitation.group)))?;
    let (cells, action) = cells_from_form(&fields);
    let saving = action.as_deref() == Some("save");

    let issues = match questionnaire.check_answers(&cells) {
        Ok(answers) if !saving => {
            let client = state.limits.as_ref().map(|l| l.client_of(&headers, connect.map(|c| c.0.0)));
            let flags = review_flags(&state, &raw, &fields, answers.len(), client.flatten());
            let outcome = state.store.submit_flagged(&token, &answers, campaign.today(), flags).await?;
            if outcome == Submission::Stored {
                state.metrics.submitted();
            }
            return match outcome {
                Submission::Stored => match q.kiosk_start() {
                    // The tablet goes back to its start for the next person.
                    Some(start) => Ok(crate::views::layout_on(
                        lang,
                        lang.t(Key::Thanks),
                        None,
                        maud::html! { div.box { p { (lang.t(Key::ThanksBody)) } } },
                        Some(crate::views::Kiosk { back_to: &start, after: 6 }),
                    )
                    .into_response()),
                    None => Ok(message(lang, lang.t(Key::Thanks), &[lang.t(Key::ThanksBody)]).into_response()),
                },
                Submission::AlreadyAnswered => {
                    Ok(message(lang, lang.t(Key::Already), &[lang.t(Key::AlreadyBody)]).into_response())
                }
                Submission::UnknownToken => {
                    Ok((StatusCode::NOT_FOUND, crate::views::not_found_page(lang)).into_response())
                }
            };
        }
        Ok(_) => Vec::new(),
        Err(issues) => issues,
    };
    // Keep what is valid, so nothing the respondent typed well is lost; a
    // missing answer is no fault while only saving.
    let errors: BTreeMap<String, String> = issues
        .into_iter()
        .filter(|i| !(saving && i.error == sipas_shared::AnswerError::Required))
        .map(|i| (i.question, crate::views::text::answer_error(lang, &i.error)))
        .collect();
    let valid: BTreeMap<String, String> = cells
        .iter()
        .filter(|(code, raw)| {
            questionnaire.question(code).is_some_and(|q| matches!(Answer::parse(q, raw), Ok(Some(_))))
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    // A draft is kept only when the respondent asks for it (SPEC §10): a
    // submission that fails checks comes back on the page, not into storage.
    if saving {
        state.store.save_draft(&token, &valid).await?;
    }
    let notice = if !errors.is_empty() {
        Notice::Fix
    } else {
        match state.store.code_of(&token).await? {
            Some(code) => Resume::Code {
                code: crate::slips::display_code(&code),
                at: format!("{}/k", state.public_url.trim_end_matches('/')),
            },
            None => Resume::Link(format!("{}/s/{raw}", state.public_url.trim_end_matches('/'))),
        }
        .into()
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    // The page comes back with every answer as typed, faulty ones marked.
    let shown: BTreeMap<String, String> =
        cells.into_iter().filter(|(code, _)| questionnaire.question(code).is_some()).collect();
    Ok((
        status,
        render(
            &q,
            state.store.service_key(),
            Opened { raw_token: &raw, campaign: &campaign, invitation: &invitation },
            &shown,
            &errors,
            Some(notice),
        )?,
    )
        .into_response())
}
