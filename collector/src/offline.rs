//! The enumerators' offline app (issue: offline questionnaire): the pack an
//! enumerator downloads once online (the questionnaires as data, the open
//! invitations of their units, a key to sync with for 14 days), and the sync
//! that stores each interview finished offline exactly once.
//!
//! Exactly once: each interview carries an id its phone made. The first id
//! sent for an invitation holds it (kept with the invitation, never with the
//! answer); the same id sent again is told it is stored; another phone's id
//! is refused with the reason. Every answer is checked again here, as online.

use crate::{AppError, AppState};
use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use sipas_shared::Token;
use sipas_shared::model::auth::{self, Role, User};
use sipas_shared::store::field::OfflineClaim;
use sipas_shared::store::{Store, Submission};
use std::collections::BTreeMap;

/// How long a downloaded pack may sync: then the enumerator signs in again.
pub const PACK_DAYS: i64 = 14;

fn units_of(invitations: &[PackedInvitation]) -> usize {
    invitations.iter().map(|i| i.unit.as_str()).collect::<std::collections::BTreeSet<_>>().len()
}

/// One interview as the phone queued it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Queued {
    /// Made by the phone when the interview was finished (8–64 of `A–Z a–z 0–9 - _`).
    pub client_id: String,
    pub token: String,
    /// Question code → the cell as the online form posts it.
    pub answers: BTreeMap<String, String>,
}

/// A queue the app saved to a file («Lưu hàng đợi ra tệp»), for
/// `sipas responses import-queue`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedQueue {
    pub campaign: String,
    pub interviews: Vec<Queued>,
}

/// What became of one queued interview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", content = "reason", rename_all = "snake_case")]
pub enum Synced {
    Stored,
    /// Sent before and stored then: nothing more to do.
    AlreadyStored,
    /// Not stored, and why, in words the enumerator reads.
    Refused(String),
}

fn valid_client_id(id: &str) -> bool {
    (8..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Stores one queued interview under the same rules as an online answer.
/// `may` says whether the sender may work on a unit of a campaign.
///
/// # Errors
/// The store failing (the phone keeps the interview and tries again).
pub async fn apply(
    store: &dyn Store,
    item: &Queued,
    may: &(dyn Fn(&str, &str) -> bool + Sync),
) -> Result<Synced, sipas_shared::StoreError> {
    let refused = |why: &str| Ok(Synced::Refused(why.to_owned()));
    if !valid_client_id(&item.client_id) {
        return refused("mã phỏng vấn trên máy không hợp lệ");
    }
    let Some(token) = Token::parse(&item.token) else { return refused("không có phiếu mời này") };
    let Some((invitation, campaign)) = store.open_invitation(&token).await? else {
        return refused("không có phiếu mời này");
    };
    if invitation.expired {
        return refused("phiếu lấy tại quầy đã hết hạn");
    }
    if !may(&invitation.campaign, &invitation.unit) {
        return refused("phiếu không thuộc đơn vị được giao cho tài khoản này");
    }
    let Some(questionnaire) = campaign.questionnaire_of(&invitation.group) else {
        return refused("nhóm của phiếu không có bảng hỏi");
    };
    let answers = match questionnaire.check_answers(&item.answers) {
        Ok(a) => a,
        Err(issues) => {
            let named: Vec<String> = issues
                .iter()
                .map(|i| {
                    let text = questionnaire.question(&i.question).map_or(i.question.as_str(), |q| q.text.as_str());
                    format!("câu {} «{}»: {}", i.question, sipas_shared::model::text::ellipsis(text, 60), i.error)
                })
                .collect();
            return Ok(Synced::Refused(format!("câu trả lời không hợp lệ — {}", named.join("; "))));
        }
    };
    match store.claim_offline(&token, &item.client_id).await? {
        OfflineClaim::Fresh | OfflineClaim::Same { answered: false } => {}
        OfflineClaim::Same { answered: true } => return Ok(Synced::AlreadyStored),
        OfflineClaim::Other => {
            return refused("phiếu mời này đã được gửi từ một máy khác; câu trả lời trên máy này không được lưu");
        }
        OfflineClaim::Closed(sipas_shared::model::InvitationStatus::Answered) => {
            return refused("người này đã trả lời trực tuyến; câu trả lời này không được lưu");
        }
        OfflineClaim::Closed(status) => {
            return Ok(Synced::Refused(format!("phiếu mời đã đóng ({status}); câu trả lời này không được lưu")));
        }
        OfflineClaim::Unknown => return refused("không có phiếu mời này"),
    }
    if !campaign.is_open_now() {
        return Ok(Synced::Refused(format!(
            "đợt khảo sát đã kết thúc ngày {}; không nhận thêm phiếu",
            campaign.closes.format("%d/%m/%Y")
        )));
    }
    // Stored as from its own source: a batch mixing offline and online
    // answers loses the flag that would tell them apart (SPEC §10).
    Ok(match store.submit_offline(&token, &answers, campaign.today()).await? {
        Submission::Stored => Synced::Stored,
        Submission::AlreadyAnswered => {
            store.release_offline(&token, &item.client_id).await?;
            Synced::Refused("người này đã trả lời trực tuyến; câu trả lời này không được lưu".into())
        }
        Submission::UnknownToken => Synced::Refused("không có phiếu mời này".into()),
    })
}

/// What the phone downloads: every text it shows, every rule it checks.
#[derive(Serialize)]
struct Pack<'a> {
    campaign: &'a str,
    name: &'a str,
    closes: String,
    /// Sign-in for sync, until `expires` (RFC 3339).
    key: String,
    expires: String,
    /// Group code → its questionnaire, the same definition the online form renders.
    questionnaires: BTreeMap<&'a str, &'a sipas_shared::Questionnaire>,
    groups: BTreeMap<&'a str, &'a str>,
    invitations: Vec<PackedInvitation>,
}

/// An open invitation of the enumerator's units, with whom to visit.
#[derive(Serialize)]
struct PackedInvitation {
    token: String,
    code: String,
    unit: String,
    unit_name: String,
    group: String,
    name: String,
    address: String,
}

/// The app's files: (path, content type, bytes). Small and hand-written; the
/// bench measures their gzipped size on the wire (≤ 100 KB in all).
pub const FILES: &[(&str, &str, &str)] = &[
    ("/app/", "text/html; charset=utf-8", include_str!("app/index.html")),
    ("/app/app.js", "text/javascript; charset=utf-8", include_str!("app/app.js")),
    ("/app/app.css", "text/css; charset=utf-8", include_str!("app/app.css")),
    ("/app/sw.js", "text/javascript; charset=utf-8", include_str!("app/sw.js")),
    ("/app/manifest.webmanifest", "application/manifest+json", include_str!("app/manifest.webmanifest")),
    ("/app/icon.svg", "image/svg+xml", include_str!("app/icon.svg")),
];

/// The worker names its cache after the files it keeps, so a new version
/// replaces the old one on the phone.
static WORKER: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    for (_, _, body) in FILES {
        h.update(body.as_bytes());
    }
    let version: String = h.finalize().iter().take(6).map(|b| format!("{b:02x}")).collect();
    include_str!("app/sw.js").replace("VERSION", &version)
});

async fn file(uri: axum::http::Uri) -> Response {
    let path = if uri.path() == "/app/index.html" { "/app/" } else { uri.path() };
    let Some((_, kind, body)) = FILES.iter().find(|(p, _, _)| *p == path) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let body = if path == "/app/sw.js" { WORKER.clone() } else { (*body).to_owned() };
    // Checked each time it is opened online (the worker keeps it for offline).
    ([(header::CONTENT_TYPE, *kind), (header::CACHE_CONTROL, "no-cache")], body).into_response()
}

pub fn router() -> Router<AppState> {
    let mut r = Router::new();
    for (path, _, _) in FILES {
        r = r.route(path, get(file));
    }
    r.route("/app/index.html", get(file))
        .route("/enumerator/{campaign}/offline/pack", post(pack))
        .route("/enumerator/offline/sync", post(sync))
        .route("/enumerator/offline/check", post(check))
}

async fn pack(
    State(state): State<AppState>,
    crate::staff::guard::FieldStaff(staff): crate::staff::guard::FieldStaff,
    crate::staff::guard::CampaignPath(campaign): crate::staff::guard::CampaignPath,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    // A pack holds names and addresses: only the app's own request. Another
    // site cannot add this header without a CORS preflight, which is refused.
    if headers.get("x-requested-with").and_then(|v| v.to_str().ok()) != Some("sipas-app") {
        return Err(AppError::Forbidden("chỉ ứng dụng phỏng vấn ngoại tuyến tải được phiếu".into()));
    }
    let id = campaign.id.as_str();
    let slips = state.store.slips(id, None).await?;
    let invitations: Vec<PackedInvitation> = crate::slips::printable(&slips)
        .into_iter()
        .filter(|s| staff.user.may_work_on(id, &s.unit))
        .map(|s| PackedInvitation {
            token: s.token.to_string(),
            code: crate::slips::display_code(&s.code),
            unit: s.unit.clone(),
            unit_name: campaign.unit(&s.unit).map_or_else(|| s.unit.clone(), |u| u.name.clone()),
            group: s.group.clone(),
            name: s.contact.as_ref().map(|c| c.name.clone()).unwrap_or_default(),
            address: s.contact.as_ref().map(|c| c.address.clone()).unwrap_or_default(),
        })
        .collect();
    let key = auth::new_secret();
    let expires = sipas_shared::model::clock::now() + chrono::Duration::days(PACK_DAYS);
    state.store.add_sync_key(&auth::secret_hash(&key), staff.user.id, expires).await?;
    let detail = format!(
        "{} phiếu mời của {} đơn vị, khoá dùng đến {}",
        invitations.len(),
        units_of(&invitations),
        expires.format("%d/%m/%Y")
    );
    state
        .store
        .audit(sipas_shared::store::field::Audit {
            actor: &staff.user.name,
            campaign: id,
            action: sipas_shared::model::AuditAction::OfflinePack,
            subject: &staff.user.name,
            detail: &detail,
        })
        .await?;
    let questionnaires = campaign
        .groups
        .iter()
        .filter_map(|g| campaign.questionnaire_of(&g.code).map(|q| (g.code.as_str(), q)))
        .collect();
    let body = Pack {
        campaign: id,
        name: &campaign.name,
        closes: campaign.closes.format("%d/%m/%Y").to_string(),
        key,
        expires: expires.to_rfc3339(),
        questionnaires,
        groups: campaign.groups.iter().map(|g| (g.code.as_str(), g.name.as_str())).collect(),
        invitations,
    };
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(body)).into_response())
}

/// The account behind a pack's key: live, enabled, and a field role.
async fn key_user(state: &AppState, headers: &HeaderMap) -> Result<Option<User>, AppError> {
    let Some(key) = crate::auth::bearer(headers) else { return Ok(None) };
    let user = state.store.sync_user(&auth::secret_hash(key)).await?;
    Ok(user.filter(|u| matches!(u.role, Role::Enumerator | Role::Admin)))
}

fn unauthorised() -> Response {
    let body = serde_json::json!({ "error": "Phiên tải về đã hết hạn hoặc tài khoản bị khoá: hãy đăng nhập lại khi có mạng. Các phiếu đang chờ vẫn được giữ trên máy." });
    (StatusCode::UNAUTHORIZED, Json(body)).into_response()
}

/// The interviews a phone sends, each answered by what became of it.
#[derive(Deserialize)]
struct SyncBody {
    interviews: Vec<Queued>,
}

/// At most this many interviews a request: a phone sends its queue in parts.
const SYNC_BATCH: usize = 200;

async fn sync(
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(body): Json<SyncBody>,
) -> Result<Response, AppError> {
    let Some(user) = key_user(&state, &headers).await? else { return Ok(unauthorised()) };
    if body.interviews.len() > SYNC_BATCH {
        return Err(AppError::BadInput {
            code: "too_many",
            message: format!("gửi nhiều nhất {SYNC_BATCH} phiếu một lần"),
            field: Some("interviews".into()),
        });
    }
    let may = |campaign: &str, unit: &str| user.may_work_on(campaign, unit);
    let mut results = Vec::with_capacity(body.interviews.len());
    for item in &body.interviews {
        let synced = apply(&*state.store, item, &may).await?;
        if synced == Synced::Stored {
            state.metrics.submitted();
        }
        results.push(serde_json::json!({ "client_id": item.client_id, "result": synced }));
    }
    Ok(Json(serde_json::json!({ "results": results })).into_response())
}

/// Whether the key still syncs (the app asks before it shows «ready»).
async fn check(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    match key_user(&state, &headers).await? {
        Some(u) => Ok(Json(serde_json::json!({ "user": u.name })).into_response()),
        None => Ok(unauthorised()),
    }
}
