//! Counter mode (SPEC §6, §10): `GET /c/{counter}` is the QR at a one-stop
//! counter. The person says which field they just used and gets a fresh,
//! single-use questionnaire, until the unit's citizen quota is full.
//!
//! A counter code is `{campaign}~{unit}`; neither part may contain `~`. Unless
//! the campaign allows printed posters, the code must carry a pass (`?p=`)
//! from a screen enrolled at that counter (`GET /d/screen`), which shows a
//! new one every two minutes: a photographed QR stops working within minutes.
//!
//! A screen or tablet is a device, not an address: its enrolment link
//! (`/d/{code}`, shown once, valid a day) is opened on it once and traded for
//! a secret kept only in an HttpOnly cookie; the link then opens nothing, and
//! no page's address carries the secret.

use crate::views::text::Key;
use crate::views::{Lang, closed, counter_page, message};
use crate::{AppError, AppState};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use sipas_shared::Campaign;
use sipas_shared::model::campaign::Group;
use sipas_shared::store::field::Device;
use sipas_shared::store::key::ServiceKey;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/c/{counter}", get(show_counter).post(issue_from_counter))
        .route(SCREEN_PATH, get(show_device))
        .route(KIOSK_PATH, get(show_kiosk).post(start_on_kiosk))
        .route("/d/{code}", get(confirm_screen).post(claim_screen))
        .route("/d/{code}/kiosk", get(confirm_kiosk).post(claim_kiosk))
}

/// The counter screen's page, for the device its cookie names.
pub const SCREEN_PATH: &str = "/d/screen";
/// The counter tablet's page, for the device its cookie names.
pub const KIOSK_PATH: &str = "/d/kiosk";
/// The cookie that holds an enrolled device's secret.
const DEVICE_COOKIE: &str = "sipas_counter";

/// An enrolment link opened: a button that claims this device. The claim is
/// a POST, so a chat app's link preview or a mail scanner that fetches the
/// link does not use it up; a browser that is the device already goes on.
async fn confirm_screen(
    State(state): State<AppState>,
    jar: CookieJar,
    Path(code): Path<String>,
    Query(q): Query<DeviceQuery>,
) -> Result<Response, AppError> {
    confirm(&state, &jar, &format!("/d/{}", percent(&code)), SCREEN_PATH, Lang::from_query(q.lang.as_deref())).await
}

/// The same for a tablet that takes the questionnaire itself.
async fn confirm_kiosk(
    State(state): State<AppState>,
    jar: CookieJar,
    Path(code): Path<String>,
    Query(q): Query<DeviceQuery>,
) -> Result<Response, AppError> {
    let action = format!("/d/{}/kiosk", percent(&code));
    confirm(&state, &jar, &action, KIOSK_PATH, Lang::from_query(q.lang.as_deref())).await
}

async fn confirm(state: &AppState, jar: &CookieJar, action: &str, to: &str, lang: Lang) -> Result<Response, AppError> {
    if device_of(state, jar).await?.is_some() {
        return Ok(Redirect::to(&format!("{to}{}", lang.query())).into_response());
    }
    let kiosk = to == KIOSK_PATH;
    let (title, body, button) = match (lang, kiosk) {
        (Lang::Vi, false) => (
            "Dùng thiết bị này làm màn hình tại quầy",
            "Bấm nút trên chính màn hình đặt tại Bộ phận một cửa: thiết bị giữ khoá riêng của nó, đường dẫn này sau đó không dùng được nữa.",
            "Dùng thiết bị này",
        ),
        (Lang::Vi, true) => (
            "Dùng máy tính bảng này để người dân tự trả lời",
            "Bấm nút trên chính máy tính bảng đặt tại Bộ phận một cửa: máy giữ khoá riêng của nó, đường dẫn này sau đó không dùng được nữa.",
            "Dùng máy tính bảng này",
        ),
        (Lang::En, false) => (
            "Use this device as the counter's screen",
            "Press the button on the screen at the counter itself: it keeps its own key, and this link then opens nothing.",
            "Use this device",
        ),
        (Lang::En, true) => (
            "Use this tablet for people to answer on",
            "Press the button on the tablet at the counter itself: it keeps its own key, and this link then opens nothing.",
            "Use this tablet",
        ),
    };
    let page = crate::views::layout_on(
        lang,
        title,
        None,
        maud::html! {
            div.box { p { (body) } }
            form method="post" action=(format!("{action}{}", lang.query())) {
                button.go type="submit" { (button) }
            }
        },
        None,
    );
    Ok(([(header::CACHE_CONTROL, "no-store")], page).into_response())
}

/// The enrolment link's button pressed on the screen: the device is claimed,
/// its secret set in its cookie, and the screen shown at an address without it.
async fn claim_screen(
    State(state): State<AppState>,
    jar: CookieJar,
    Path(code): Path<String>,
    Query(q): Query<DeviceQuery>,
) -> Result<Response, AppError> {
    claim(&state, jar, &code, SCREEN_PATH, Lang::from_query(q.lang.as_deref())).await
}

/// The same, opened on a tablet that takes the questionnaire itself.
async fn claim_kiosk(
    State(state): State<AppState>,
    jar: CookieJar,
    Path(code): Path<String>,
    Query(q): Query<DeviceQuery>,
) -> Result<Response, AppError> {
    claim(&state, jar, &code, KIOSK_PATH, Lang::from_query(q.lang.as_deref())).await
}

async fn claim(state: &AppState, jar: CookieJar, code: &str, to: &str, lang: Lang) -> Result<Response, AppError> {
    use sipas_shared::model::auth::{new_secret, secret_hash};
    let secret = new_secret();
    if state.store.claim_device(&secret_hash(code), &secret_hash(&secret)).await?.is_some() {
        let mut cookie = state.cookie(DEVICE_COOKIE, secret);
        cookie.set_max_age(time::Duration::days(400));
        let to = format!("{to}{}", lang.query());
        return Ok((jar.add(cookie), [(header::CACHE_CONTROL, "no-store")], Redirect::to(&to)).into_response());
    }
    // The link pressed again on the device it enrolled: nothing to trade.
    if device_of(state, &jar).await?.is_some() {
        return Ok(Redirect::to(&format!("{to}{}", lang.query())).into_response());
    }
    let (title, body) = match lang {
        Lang::Vi => (
            "Đường dẫn đăng ký thiết bị không dùng được",
            "Đường dẫn này đã được mở trên một thiết bị, đã quá một ngày, hoặc thiết bị đã bị thu hồi. \
             Xin quản trị viên đăng ký lại màn hình (sipas counter enrol hoặc trang Quản trị).",
        ),
        Lang::En => (
            "This enrolment link cannot be used",
            "It was opened on a device already, is over a day old, or the device was revoked. Ask an admin to enrol the screen again.",
        ),
    };
    Ok((StatusCode::NOT_FOUND, message(lang, title, &[body])).into_response())
}

/// The enrolled device whose secret this browser's cookie holds.
async fn device_of(state: &AppState, jar: &CookieJar) -> Result<Option<Device>, AppError> {
    let Some(secret) = jar.get(DEVICE_COOKIE).map(|c| c.value().to_owned()) else { return Ok(None) };
    Ok(state.store.device_by_secret(&sipas_shared::model::auth::secret_hash(&secret)).await?)
}

/// A pass is good for the two-minute slot it was made in and the two before
/// it, so a QR scanned just before it changed still works: 4 to 6 minutes.
const SLOT_SECS: i64 = 120;
const SLOTS_VALID: i64 = 3;

fn current_slot() -> i64 {
    sipas_shared::model::clock::now().timestamp() / SLOT_SECS
}

fn signed_text(device: &Device, slot: i64) -> String {
    format!("counter|{}|{}|{}|{slot}", device.id, device.campaign, device.unit)
}

/// The pass an enrolled device shows in `slot`: `{device}.{slot}.{tag}`.
pub fn pass_for(key: &ServiceKey, device: &Device, slot: i64) -> String {
    format!("{}.{slot}.{}", device.id, key.tag(&signed_text(device, slot)))
}

/// The screen that made `pass`, if a device enrolled at this unit made it
/// recently.
async fn screen_of_pass(state: &AppState, campaign: &str, unit: &str, pass: &str) -> Result<Option<i64>, AppError> {
    let mut parts = pass.splitn(3, '.');
    let (Some(id), Some(slot), Some(tag)) = (parts.next(), parts.next(), parts.next()) else { return Ok(None) };
    let (Ok(id), Ok(slot)) = (id.parse::<i64>(), slot.parse::<i64>()) else { return Ok(None) };
    let now = current_slot();
    if slot > now || slot <= now - SLOTS_VALID {
        return Ok(None);
    }
    let Some(device) = state.store.device(id).await? else { return Ok(None) };
    let good = !device.revoked
        && device.campaign == campaign
        && device.unit == unit
        && state.store.service_key().tag(&signed_text(&device, slot)) == tag;
    Ok(good.then_some(device.id))
}

/// The code printed under a unit's standing QR.
pub fn counter_code(campaign: &str, unit: &str) -> String {
    format!("{campaign}~{unit}")
}

#[derive(Deserialize)]
struct CounterQuery {
    lang: Option<String>,
    /// The rotating pass of an enrolled device.
    p: Option<String>,
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
    /// `screen`: the enrolled screen whose good pass came with the request.
    Open {
        campaign: Box<Campaign>,
        unit: String,
        unit_name: String,
        group: String,
        screen: Option<i64>,
    },
    Page(StatusCode, maud::Markup),
}

async fn resolve(state: &AppState, lang: Lang, code: &str, pass: Option<&str>) -> Result<Counter, AppError> {
    let not_found = || Counter::Page(StatusCode::NOT_FOUND, crate::views::not_found_page(lang));
    let Some((campaign_id, unit)) = code.split_once('~') else { return Ok(not_found()) };
    let Some(campaign) = state.store.campaign(campaign_id).await? else { return Ok(not_found()) };
    let (Some(u), Some(group)) = (campaign.unit(unit), citizens(&campaign)) else { return Ok(not_found()) };
    if !campaign.is_open_now() {
        return Ok(Counter::Page(StatusCode::OK, closed(lang, &campaign)));
    }
    let (unit, unit_name, group) = (u.code.to_string(), u.name.clone(), group.code.clone());
    let screen = match pass {
        Some(p) => screen_of_pass(state, &campaign.id, &unit, p).await?,
        None => None,
    };
    if !campaign.counter_poster && screen.is_none() {
        let (title, body) = match lang {
            Lang::Vi => (
                "Mã QR này đã hết hiệu lực",
                "Xin quét mã QR đang hiển thị trên màn hình tại Bộ phận một cửa: mã đổi vài phút một lần.",
            ),
            Lang::En => (
                "This QR code is no longer valid",
                "Please scan the code on the screen at the counter: it changes every few minutes.",
            ),
        };
        return Ok(Counter::Page(StatusCode::FORBIDDEN, message(lang, title, &[body])));
    }
    Ok(Counter::Open { campaign: Box::new(campaign), unit, unit_name, group, screen })
}

fn full(lang: Lang) -> Response {
    message(lang, lang.t(Key::QuotaFull), &[lang.t(Key::QuotaFullBody)]).into_response()
}

async fn show_counter(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<CounterQuery>,
    jar: axum_extra::extract::cookie::CookieJar,
) -> Result<Response, AppError> {
    let page = show_counter_page(&state, &code, &q).await?;
    // A phone that scanned a screen's pass keeps a cookie of its own.
    if q.p.is_some() && page.status().is_success() && phone_of(&state, &jar).is_none() {
        return Ok((jar.add(phone_cookie(&state)), page).into_response());
    }
    Ok(page)
}

async fn show_counter_page(state: &AppState, code: &str, q: &CounterQuery) -> Result<Response, AppError> {
    let lang = Lang::from_query(q.lang.as_deref());
    match resolve(state, lang, code, q.p.as_deref()).await? {
        Counter::Page(status, page) => Ok((status, page).into_response()),
        Counter::Open { campaign, unit, unit_name, group, .. } => {
            // "Full" before the person is asked anything.
            if !state.store.counter_open(&campaign.id, &unit, &group).await? {
                return Ok(full(lang));
            }
            let title = campaign.questionnaire_of(&group).map_or(campaign.name.as_str(), |q| match lang {
                Lang::En => q.title_en.as_deref().unwrap_or(&q.title),
                Lang::Vi => &q.title,
            });
            let action = match &q.p {
                Some(p) => format!("/c/{code}?p={}{}", percent(p), lang.query().replace('?', "&")),
                None => format!("/c/{code}{}", lang.query()),
            };
            Ok(counter_page(lang, title, &unit_name, &campaign.fields, &action, None).into_response())
        }
    }
}

/// The cookie a phone keeps from a screen's pass page: one questionnaire per
/// phone while a pass lasts (signed with the service key, so it cannot be
/// made up; a phone that clears it is charged by address like a poster's).
const PHONE_COOKIE: &str = "sipas_phone";

/// This phone's id, if its cookie is one the service made.
fn phone_of(state: &AppState, jar: &axum_extra::extract::cookie::CookieJar) -> Option<String> {
    let (id, tag) = jar.get(PHONE_COOKIE)?.value().split_once('.').map(|(a, b)| (a.to_owned(), b.to_owned()))?;
    (state.store.service_key().tag(&format!("phone|{id}")) == tag).then_some(id)
}

/// A new phone cookie.
fn phone_cookie(state: &AppState) -> axum_extra::extract::cookie::Cookie<'static> {
    let id = sipas_shared::model::auth::new_secret();
    let value = format!("{id}.{}", state.store.service_key().tag(&format!("phone|{id}")));
    let mut cookie = state.cookie(PHONE_COOKIE, value);
    cookie.set_path("/c/");
    cookie.set_max_age(time::Duration::minutes(30));
    cookie
}

/// Charges one questionnaire to what proves the person is at the counter:
/// the screen and the phone's cookie where there are, else the address.
fn charge(
    state: &AppState,
    lang: Lang,
    screen: Option<i64>,
    phone: Option<&str>,
    client: &crate::throttle::Client,
) -> Option<Response> {
    let limits = state.limits.as_ref()?;
    let refused = match (screen, phone) {
        (Some(screen), Some(phone)) => match limits.counter_by_screen(screen, phone) {
            Ok(()) => return None,
            Err(None) => {
                let (title, body) = match lang {
                    Lang::Vi => (
                        "Ông/Bà đã nhận phiếu",
                        "Máy này vừa nhận một phiếu khảo sát từ quầy. Nếu chưa trả lời xong, xin mở lại phiếu đó; người khác xin quét mã bằng điện thoại của mình.",
                    ),
                    Lang::En => (
                        "You already have a questionnaire",
                        "This phone just took a questionnaire from the counter; please go back to it. Someone else should scan with their own phone.",
                    ),
                };
                return Some((StatusCode::TOO_MANY_REQUESTS, message(lang, title, &[body])).into_response());
            }
            Err(Some(secs)) => secs,
        },
        _ => match limits.counter_by_address(client.0) {
            Ok(()) => return None,
            Err(secs) => secs,
        },
    };
    Some(crate::throttle::too_many(lang, refused, true))
}

async fn issue_from_counter(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<CounterQuery>,
    client: crate::throttle::Client,
    jar: axum_extra::extract::cookie::CookieJar,
    Form(choice): Form<FieldChoice>,
) -> Result<Response, AppError> {
    let lang = Lang::from_query(q.lang.as_deref());
    let (campaign, unit, group, screen) = match resolve(&state, lang, &code, q.p.as_deref()).await? {
        Counter::Page(status, page) => return Ok((status, page).into_response()),
        Counter::Open { campaign, unit, group, screen, .. } => (campaign, unit, group, screen),
    };
    let field = known_field(&campaign, &choice.field)?;
    if let Some(refused) = charge(&state, lang, screen, phone_of(&state, &jar).as_deref(), &client) {
        return Ok(refused);
    }
    match state.store.issue_counter_invitation(&campaign.id, &unit, &group, field).await? {
        Some(token) => Ok(Redirect::to(&format!("/s/{token}{}", lang.query())).into_response()),
        None => Ok(full(lang)),
    }
}

/// The field a person chose, which must be in the catalogue: a counter link
/// without one would be a small cell of its own (SPEC §10). None only where
/// the campaign lists no fields.
fn known_field<'a>(campaign: &Campaign, chosen: &'a str) -> Result<Option<&'a str>, AppError> {
    let field = chosen.trim();
    if field.is_empty() && campaign.fields.is_empty() {
        Ok(None)
    } else if field.is_empty() {
        Err(AppError::BadInput {
            code: "missing_field",
            message: "Xin chọn lĩnh vực của thủ tục Ông/Bà vừa làm, rồi bấm nhận phiếu.".into(),
            field: Some("field".into()),
        })
    } else if campaign.fields.iter().any(|f| f == field) || field == sipas_shared::store::release::OTHER_FIELD {
        Ok(Some(field))
    } else {
        Err(AppError::BadInput {
            code: "unknown_field",
            message: format!("lĩnh vực «{field}» không có trong danh mục"),
            field: Some("field".into()),
        })
    }
}

/// A pass is digits, dots and URL-safe base64: nothing to escape but keep it so.
fn percent(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')).collect()
}

#[derive(Deserialize)]
struct DeviceQuery {
    lang: Option<String>,
    /// How a kiosk starts (see [`KioskMode`]).
    kmode: Option<String>,
    /// Staff pressed "done" on the waiting screen.
    go: Option<String>,
    /// The start the server gave for this transaction (staff and 1-in-n modes).
    start: Option<String>,
}

/// The starts staff gave on counter tablets, kept by the server: one live
/// start per device, given at a staff press, taken by the one questionnaire
/// it lets begin; and when each device was last pressed, so pressing again
/// at once neither draws again nor gives a second start.
#[derive(Default)]
pub struct KioskStarts {
    starts: std::sync::Mutex<std::collections::HashMap<i64, (String, std::time::Instant)>>,
    presses: std::sync::Mutex<std::collections::HashMap<i64, std::time::Instant>>,
}

/// A staff press counts once in this long: a transaction takes longer.
const PRESS_GAP: std::time::Duration = std::time::Duration::from_secs(20);
/// A start not used in this long lapses.
const START_LIFE: std::time::Duration = std::time::Duration::from_secs(600);

impl KioskStarts {
    /// A staff press on `device`: `false` if it pressed within [`PRESS_GAP`].
    fn press(&self, device: i64) -> bool {
        let Ok(mut presses) = self.presses.lock() else { return false };
        presses.retain(|_, at| at.elapsed() < PRESS_GAP);
        if presses.contains_key(&device) {
            return false;
        }
        presses.insert(device, std::time::Instant::now());
        true
    }

    /// A new start for `device`, replacing any it had.
    fn give(&self, device: i64) -> String {
        let start = sipas_shared::model::auth::new_secret();
        if let Ok(mut starts) = self.starts.lock() {
            starts.retain(|_, (_, at)| at.elapsed() < START_LIFE);
            starts.insert(device, (start.clone(), std::time::Instant::now()));
        }
        start
    }

    /// Takes `device`'s start if `given` is it.
    fn take(&self, device: i64, given: Option<&str>) -> bool {
        let Ok(mut starts) = self.starts.lock() else { return false };
        let live = starts.get(&device).is_some_and(|(s, at)| at.elapsed() < START_LIFE && Some(s.as_str()) == given);
        if live {
            starts.remove(&device);
        }
        live
    }
}

/// Who starts a questionnaire on a counter tablet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KioskMode {
    /// The person, whenever the start page is showing.
    Open,
    /// Staff, after each transaction (`kmode=staff`).
    Staff,
    /// Staff after each transaction, and then only one person in n, drawn at
    /// random (`kmode=1in5`): a sample the staff do not choose.
    OneIn(u32),
}

impl KioskMode {
    /// A device's stored mode (`open`, `staff`, `1inN` with N from 2 to 50).
    pub fn parse_stored(s: &str) -> Option<Self> {
        match s {
            "open" => Some(KioskMode::Open),
            other => match KioskMode::parse(Some(other)) {
                KioskMode::Open => None,
                mode => Some(mode),
            },
        }
    }

    /// The word the device row keeps.
    pub fn code(self) -> String {
        match self {
            KioskMode::Open => "open".into(),
            KioskMode::Staff => "staff".into(),
            KioskMode::OneIn(n) => format!("1in{n}"),
        }
    }

    /// How a person reads a device's stored mode (an unknown word as it is).
    pub fn describe(stored: &str) -> String {
        Self::parse_stored(stored).map_or_else(|| stored.to_owned(), Self::label)
    }

    /// How a person reads the mode (the admin page's words).
    pub fn label(self) -> String {
        match self {
            KioskMode::Open => "người dân tự bấm bắt đầu".into(),
            KioskMode::Staff => "cán bộ bấm «Giao dịch xong»".into(),
            KioskMode::OneIn(n) => format!("cán bộ bấm, máy chọn 1 trong {n} người"),
        }
    }

    /// A device's mode as enrolled (an unknown word reads as the strictest
    /// that needs staff: `staff`).
    fn of(device: &Device) -> Self {
        Self::parse_stored(&device.mode).unwrap_or(KioskMode::Staff)
    }

    pub fn parse(s: Option<&str>) -> Self {
        match s {
            Some("staff") => KioskMode::Staff,
            Some(m) => match m.strip_prefix("1in").and_then(|n| n.parse().ok()) {
                Some(n) if (2..=50).contains(&n) => KioskMode::OneIn(n),
                _ => KioskMode::Open,
            },
            None => KioskMode::Open,
        }
    }

    /// The mode as the query carries it, `&`-joined after `?lang…`.
    pub(crate) fn query(self, lang: Lang) -> String {
        let mode = match self {
            KioskMode::Open => String::new(),
            KioskMode::Staff => "kmode=staff".to_owned(),
            KioskMode::OneIn(n) => format!("kmode=1in{n}"),
        };
        let lang = lang.query().trim_start_matches('?').to_owned();
        let parts: Vec<&str> = [mode.as_str(), lang.as_str()].into_iter().filter(|p| !p.is_empty()).collect();
        if parts.is_empty() { String::new() } else { format!("?{}", parts.join("&")) }
    }
}

/// What a counter's screen or tablet shows outside the campaign's days
/// («chưa bắt đầu» with the opening day, «đã kết thúc»), looking again every
/// ten minutes so it starts by itself; `None` while the campaign is open.
fn not_open(lang: Lang, campaign: &Campaign, back_to: &str) -> Option<Response> {
    let today = campaign.today();
    let (title, body) = match (lang, today < campaign.opens, today > campaign.closes) {
        (Lang::Vi, true, _) => (
            "Đợt khảo sát chưa bắt đầu".to_owned(),
            format!("Mã QR sẽ hiện ở đây từ ngày {}.", campaign.opens.format("%d/%m/%Y")),
        ),
        (Lang::En, true, _) => (
            "The survey has not started".to_owned(),
            format!("The QR code appears here from {}.", campaign.opens.format("%d/%m/%Y")),
        ),
        (Lang::Vi, _, true) => (
            "Đợt khảo sát đã kết thúc".to_owned(),
            format!("Đợt khảo sát đã kết thúc ngày {}. Cảm ơn Ông/Bà.", campaign.closes.format("%d/%m/%Y")),
        ),
        (Lang::En, _, true) => (
            "The survey has ended".to_owned(),
            format!("The survey ended on {}. Thank you.", campaign.closes.format("%d/%m/%Y")),
        ),
        _ => return None,
    };
    let page = crate::views::layout_on(
        lang,
        &title,
        None,
        maud::html! { div.box { p { (body) } } },
        Some(crate::views::Kiosk { back_to, after: 600 }),
    );
    Some(page.into_response())
}

/// The screen at the counter: the unit's QR with a pass that changes every two
/// minutes; the page reloads itself every minute. Reached by the device whose
/// cookie holds an enrolled secret.
async fn show_device(
    State(state): State<AppState>,
    jar: CookieJar,
    Query(q): Query<DeviceQuery>,
) -> Result<Response, AppError> {
    let lang = Lang::from_query(q.lang.as_deref());
    let not_found = || (StatusCode::NOT_FOUND, crate::views::not_found_page(lang));
    let Some(device) = device_of(&state, &jar).await? else {
        return Ok(not_found().into_response());
    };
    let Some(campaign) = state.store.campaign(&device.campaign).await? else { return Ok(not_found().into_response()) };
    // No live QR before the campaign opens or after it closes, in its own time zone.
    if let Some(page) = not_open(lang, &campaign, SCREEN_PATH) {
        return Ok(page);
    }
    let unit_name = campaign.unit(&device.unit).map_or(device.unit.as_str(), |u| u.name.as_str());
    let pass = pass_for(state.store.service_key(), &device, current_slot());
    let link =
        format!("{}/c/{}?p={pass}", state.public_url.trim_end_matches('/'), counter_code(&campaign.id, &device.unit));
    let svg = qrcode::QrCode::with_error_correction_level(link.as_bytes(), qrcode::EcLevel::M)
        .map(|c| c.render::<qrcode::render::svg::Color>().quiet_zone(true).min_dimensions(320, 320).build())
        .unwrap_or_default();
    Ok(crate::views::counter_screen(lang, &campaign.name, unit_name, &svg, 60).into_response())
}

/// The enrolled device this browser is, with its campaign.
async fn enrolled(state: &AppState, jar: &CookieJar) -> Result<Option<(Device, Campaign)>, AppError> {
    let Some(device) = device_of(state, jar).await? else {
        return Ok(None);
    };
    Ok(state.store.campaign(&device.campaign).await?.map(|c| (device, c)))
}

/// A kiosk that may take answers now: its device, campaign and the citizens'
/// group; or the page to show instead (unknown device, campaign closed).
async fn kiosk_of(
    state: &AppState,
    lang: Lang,
    jar: &CookieJar,
) -> Result<Result<(Device, Campaign, Group), Response>, AppError> {
    let Some((device, campaign)) = enrolled(state, jar).await? else {
        let page = crate::views::not_found_page(lang);
        return Ok(Err((StatusCode::NOT_FOUND, page).into_response()));
    };
    if let Some(page) = not_open(lang, &campaign, KIOSK_PATH) {
        return Ok(Err(page));
    }
    let Some(group) = citizens(&campaign).cloned() else { return Ok(Err(full(lang))) };
    Ok(Ok((device, campaign, group)))
}

/// Kiosk mode: the enrolled tablet itself takes the questionnaire. Its start
/// page asks for the field; a full counter says so and looks again every two
/// minutes.
async fn show_kiosk(
    State(state): State<AppState>,
    jar: CookieJar,
    Query(q): Query<DeviceQuery>,
) -> Result<Response, AppError> {
    let lang = Lang::from_query(q.lang.as_deref());
    let (device, campaign, group) = match kiosk_of(&state, lang, &jar).await? {
        Ok(open) => open,
        Err(page) => return Ok(page),
    };
    // The device's own mode: the tablet's address cannot choose another.
    let mode = KioskMode::of(&device);
    let start = format!("{KIOSK_PATH}{}", mode.query(lang));
    if !state.store.counter_open(&campaign.id, &device.unit, &group.code).await? {
        let page = crate::views::layout_on(
            lang,
            lang.t(Key::QuotaFull),
            None,
            maud::html! { div.box { p { (lang.t(Key::QuotaFullBody)) } } },
            Some(crate::views::Kiosk { back_to: &start, after: 120 }),
        );
        return Ok(page.into_response());
    }
    // A press counts once per transaction: pressed again at once, the
    // waiting screen comes back, with no new draw.
    let pressed = q.go.as_deref() == Some("1") && (mode == KioskMode::Open || state.kiosk.press(device.id));
    if mode != KioskMode::Open && !pressed {
        // The waiting screen: staff press after each transaction.
        let (title, button) = match lang {
            Lang::Vi => ("Cán bộ bấm sau mỗi lượt giải quyết thủ tục", "Giao dịch xong"),
            Lang::En => ("Staff: press after each transaction", "Transaction done"),
        };
        let page = crate::views::layout_on(
            lang,
            title,
            None,
            maud::html! {
                form method="get" action=(KIOSK_PATH) {
                    @if let Some(m) = &q.kmode { input type="hidden" name="kmode" value=(m); }
                    @if lang == Lang::En { input type="hidden" name="lang" value="en"; }
                    input type="hidden" name="go" value="1";
                    button.go type="submit" { (button) }
                }
            },
            Some(crate::views::Kiosk { back_to: &start, after: 600 }),
        );
        return Ok(page.into_response());
    }
    if let KioskMode::OneIn(n) = mode
        && rand::random_range(0..n) != 0
    {
        let (title, body) = match lang {
            Lang::Vi => ("Cảm ơn Ông/Bà", "Lần này không cần đánh giá."),
            Lang::En => ("Thank you", "No questionnaire this time."),
        };
        let page = crate::views::layout_on(
            lang,
            title,
            None,
            maud::html! { div.box { p { (body) } } },
            Some(crate::views::Kiosk { back_to: &start, after: 4 }),
        );
        return Ok(page.into_response());
    }
    let title = campaign.questionnaire_of(&group.code).map_or(campaign.name.as_str(), |qn| match lang {
        Lang::En => qn.title_en.as_deref().unwrap_or(&qn.title),
        Lang::Vi => &qn.title,
    });
    let unit_name = campaign.unit(&device.unit).map_or(device.unit.as_str(), |u| u.name.as_str());
    let kiosk = crate::views::Kiosk { back_to: &start, after: crate::views::form::KIOSK_IDLE_SECS };
    // After a press (and the draw), this one person's start.
    let action = match mode {
        KioskMode::Open => start.clone(),
        _ => {
            let given = state.kiosk.give(device.id);
            let sep = if start.contains('?') { '&' } else { '?' };
            format!("{start}{sep}start={given}")
        }
    };
    Ok(counter_page(lang, title, unit_name, &campaign.fields, &action, Some(kiosk)).into_response())
}

/// A person starts on the tablet: a fresh counter questionnaire, opened there.
async fn start_on_kiosk(
    State(state): State<AppState>,
    jar: CookieJar,
    Query(q): Query<DeviceQuery>,
    Form(choice): Form<FieldChoice>,
) -> Result<Response, AppError> {
    let lang = Lang::from_query(q.lang.as_deref());
    let (device, campaign, group) = match kiosk_of(&state, lang, &jar).await? {
        Ok(open) => open,
        Err(page) => return Ok(page),
    };
    let field = known_field(&campaign, &choice.field)?;
    let mode = KioskMode::of(&device);
    // Staff and 1-in-n tablets begin only with the start the server gave
    // at the staff press, once: a direct post gets nothing.
    if mode != KioskMode::Open && !state.kiosk.take(device.id, q.start.as_deref()) {
        let (title, body) = match lang {
            Lang::Vi => {
                ("Xin chờ cán bộ", "Cán bộ bấm «Giao dịch xong» sau mỗi lượt giải quyết thủ tục, rồi Ông/Bà bắt đầu.")
            }
            Lang::En => (
                "Please wait for the staff",
                "The staff press «Transaction done» after each transaction; then you can start.",
            ),
        };
        return Ok((StatusCode::FORBIDDEN, message(lang, title, &[body])).into_response());
    }
    match state.store.issue_counter_invitation(&campaign.id, &device.unit, &group.code, field).await? {
        Some(token) => {
            let mode = mode.query(lang).replace('?', "&");
            Ok(Redirect::to(&format!("/s/{token}?kiosk=1{mode}")).into_response())
        }
        None => Ok(full(lang)),
    }
}
