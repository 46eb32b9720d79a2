//! Staff sign-in: login page, session cookies, CSRF tokens, login rate
//! limiting, API tokens, and the role checks every staff route makes.
//!
//! Sessions and tokens live in the store (as hashes), so any collector
//! process behind a load balancer recognises them.

use crate::staff::{page, percent_encode};
use crate::{AppError, AppState};
use axum::extract::{FromRequestParts, Query, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use maud::html;
use serde::Deserialize;
use serde_json::json;
use sipas_shared::auth::{self, Role, User};

pub const SESSION_COOKIE: &str = "sipas_session";
const LOGIN_CSRF_COOKIE: &str = "sipas_login";
/// A browser that signed in before: its failures are counted apart from
/// everyone else's on the same address, so nobody on an office's shared
/// address can lock it out (signed with the service key; a year long).
const DEVICE_COOKIE: &str = "sipas_device";
/// A session lasts a working day.
const SESSION_HOURS: i64 = 12;
/// Failed logins for one name within [`LOCK_MINUTES`] before it is locked.
pub const MAX_FAILURES: i64 = 5;
pub const LOCK_MINUTES: i64 = 15;

pub fn router() -> Router<AppState> {
    Router::new().route("/login", get(login_page).post(login)).route("/logout", post(logout))
}

/// A signed-in staff member, from a session cookie or an API token.
#[derive(Debug, Clone)]
pub struct Staff {
    pub user: User,
    /// The session's CSRF token; empty for API tokens, which post no forms.
    pub csrf: String,
}

impl Staff {
    /// Refuses anyone whose role is not among `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), AppError> {
        if roles.contains(&self.user.role) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "Tài khoản {} (vai trò {}) không được dùng trang này.",
                self.user.name,
                self.user.role.label()
            )))
        }
    }

    /// Refuses a unit outside an enumerator's assignment in that campaign.
    pub fn require_unit(&self, campaign: &str, unit: &str) -> Result<(), AppError> {
        if self.user.may_work_on(campaign, unit) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!("Tài khoản {} không được giao đơn vị {unit}.", self.user.name)))
        }
    }

    /// Checks the CSRF token a staff form posted.
    pub fn check_csrf(&self, posted: &str) -> Result<(), AppError> {
        if !self.csrf.is_empty() && constant_time_eq(self.csrf.as_bytes(), posted.as_bytes()) {
            Ok(())
        } else {
            Err(AppError::Forbidden("Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ; hãy tải lại trang.".into()))
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers.get(AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ").map(str::trim)
}

/// Where API tokens work: a token opens the API only, never a staff page
/// (whose downloads carry names and phones).
pub const API_PREFIX: &str = "/api/v1";

/// The API's OpenAPI 3 description.
pub const OPENAPI_PATH: &str = "/api/v1/openapi.json";

fn is_api(path: &str) -> bool {
    path == API_PREFIX || path.starts_with("/api/v1/")
}

/// Who is asking at `path`, if anyone: an API token on the API, a session
/// cookie elsewhere.
pub async fn authenticate(state: &AppState, headers: &HeaderMap, path: &str) -> Result<Option<Staff>, AppError> {
    if is_api(path) {
        let Some(token) = bearer(headers) else { return Ok(None) };
        let user = state.store.api_user(&auth::secret_hash(token)).await?;
        return Ok(user.map(|user| Staff { user, csrf: String::new() }));
    }
    let jar = CookieJar::from_headers(headers);
    let Some(cookie) = jar.get(SESSION_COOKIE) else { return Ok(None) };
    let found = state.store.session(&auth::secret_hash(cookie.value())).await?;
    Ok(found.map(|(user, csrf)| Staff { user, csrf }))
}

/// What a request without a valid sign-in gets: the login page for pages,
/// 401 with a JSON error for the API.
fn unauthenticated(path_and_query: &str) -> Response {
    if path_and_query.starts_with("/api/") {
        let body = json!({ "error": { "code": "unauthorized", "message": "cần khoá API hợp lệ, còn hạn (Authorization: Bearer …)", "field": null } });
        return (StatusCode::UNAUTHORIZED, Json(body)).into_response();
    }
    let next = percent_encode(path_and_query, b"/");
    Redirect::to(&format!("/login?next={next}")).into_response()
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
        match authenticate(state, &parts.headers, parts.uri.path()).await {
            Ok(Some(staff)) => Ok(staff),
            Ok(None) => Err(unauthenticated(&path)),
            Err(e) => Err(e.into_response()),
        }
    }
}

/// Guards the report pages and the API: admins and analysts only. Analysts
/// see aggregates and anonymous answers, never a person.
pub async fn reports_only(State(state): State<AppState>, request: Request, next: Next) -> Response {
    // The API's description is public: it names no campaign and no person.
    if request.uri().path() == OPENAPI_PATH {
        return next.run(request).await;
    }
    let path = request.uri().path_and_query().map_or("/", |p| p.as_str()).to_owned();
    let staff = match authenticate(&state, request.headers(), request.uri().path()).await {
        Ok(Some(s)) => s,
        Ok(None) => return unauthenticated(&path),
        Err(e) => return e.into_response(),
    };
    if matches!(staff.user.role, Role::Admin | Role::Analyst) {
        return next.run(request).await;
    }
    let message = format!("vai trò {} không xem được báo cáo", staff.user.role.label());
    if path.starts_with("/api/") {
        let body = json!({ "error": { "code": "forbidden", "message": message, "field": null } });
        (StatusCode::FORBIDDEN, Json(body)).into_response()
    } else {
        AppError::Forbidden(format!("Tài khoản {}: {message}.", staff.user.name)).into_response()
    }
}

/// Where each role starts.
pub fn home(role: Role) -> &'static str {
    match role {
        Role::Admin => "/admin",
        Role::Enumerator => "/enumerator",
        Role::Analyst => "/reports",
    }
}

/// Cookies are `Secure` when respondents and staff reach the service over TLS.
fn secure(state: &AppState) -> bool {
    state.public_url.starts_with("https://")
}

fn cookie(state: &AppState, name: &'static str, value: String) -> Cookie<'static> {
    Cookie::build((name, value)).http_only(true).secure(secure(state)).same_site(SameSite::Lax).path("/").build()
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// Only a path on this site, never `//elsewhere`.
fn safe_next(next: Option<&str>) -> Option<String> {
    // A path of this site only: browsers drop tabs and newlines from a
    // location, so "/\t/evil.example" would become "//evil.example".
    next.filter(|n| {
        n.starts_with('/')
            && !n.starts_with("//")
            && !n.contains('\\')
            && !n.chars().any(|c| c.is_control() || c.is_whitespace())
    })
    .map(str::to_owned)
}

fn login_form(csrf: &str, next: Option<&str>, error: Option<&str>) -> maud::Markup {
    page(
        "Đăng nhập",
        None,
        html! {
            @if let Some(e) = error { div.alert role="alert" { (e) } }
            form.box method="post" action="/login" {
                input type="hidden" name="csrf" value=(csrf);
                @if let Some(n) = next { input type="hidden" name="next" value=(n); }
                p { label for="name" { "Tên đăng nhập" } br; input #name type="text" name="name" autocomplete="username" required autofocus; }
                p { label for="password" { "Mật khẩu" } br; input #password type="password" name="password" autocomplete="current-password" required; }
                button.go type="submit" { "Đăng nhập" }
            }
        },
    )
}

async fn login_page(State(state): State<AppState>, jar: CookieJar, Query(q): Query<NextQuery>) -> Response {
    let csrf = auth::new_secret();
    let next = safe_next(q.next.as_deref());
    let jar = jar.add(cookie(&state, LOGIN_CSRF_COOKIE, csrf.clone()));
    (jar, login_form(&csrf, next.as_deref(), None)).into_response()
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
    next: Option<String>,
}

async fn login(
    State(state): State<AppState>,
    client: crate::throttle::Client,
    jar: CookieJar,
    Form(f): Form<LoginForm>,
) -> Result<Response, AppError> {
    let next = safe_next(f.next.as_deref());
    let again = |jar: CookieJar, status: StatusCode, msg: &str| {
        let csrf = auth::new_secret();
        let jar = jar.add(cookie(&state, LOGIN_CSRF_COOKIE, csrf.clone()));
        (status, jar, login_form(&csrf, next.as_deref(), Some(msg))).into_response()
    };
    // Double-submit: the form's token must match the cookie set with the form.
    let expected = jar.get(LOGIN_CSRF_COOKIE).map(|c| c.value().to_owned()).unwrap_or_default();
    if expected.is_empty() || !constant_time_eq(expected.as_bytes(), f.csrf.as_bytes()) {
        return Ok(again(jar, StatusCode::FORBIDDEN, "Biểu mẫu đăng nhập đã hết hạn; hãy thử lại."));
    }
    let name = f.name.trim();
    // Failures count per typed name *and* client address: an outsider who
    // types a colleague's name wrongly locks only the outsider's own address
    // (which the per-address budget slows anyway), never the colleague.
    // A browser that signed in before counts its own failures: a colleague
    // behind the same office address cannot lock it out.
    let key = state.store.service_key();
    let device = jar
        .get(DEVICE_COOKIE)
        .and_then(|c| c.value().split_once('.').map(|(id, tag)| (id.to_owned(), tag.to_owned())))
        .filter(|(id, tag)| constant_time_eq(key.tag(&format!("device|{id}")).as_bytes(), tag.as_bytes()))
        .map(|(id, _)| id);
    let client_key = match &device {
        Some(id) => auth::secret_hash(&format!("{}|device|{id}", client.key())),
        None => client.key(),
    };
    let name_key = auth::login_key(name);
    let since = sipas_shared::clock::now() - chrono::Duration::minutes(LOCK_MINUTES);
    if state.store.login_failures(&name_key, &client_key, since).await? >= MAX_FAILURES {
        tracing::warn!("login refused: too many failures from one address for one name");
        let msg = format!("Đăng nhập sai quá {MAX_FAILURES} lần từ máy này: hãy thử lại sau {LOCK_MINUTES} phút.");
        return Ok(again(jar, StatusCode::TOO_MANY_REQUESTS, &msg));
    }
    let found = if name.chars().count() <= 64 { state.store.user_by_name(name).await? } else { None };
    let user = match found {
        Some((user, hash)) if auth::verify_password(&f.password, &hash) => user,
        found => {
            if found.is_none() {
                // As long as a wrong password for a real account takes.
                auth::verify_nobody(&f.password);
            }
            state.store.login_failed(&name_key, &client_key, since).await?;
            return Ok(again(jar, StatusCode::UNAUTHORIZED, "Tên đăng nhập hoặc mật khẩu không đúng."));
        }
    };
    if user.disabled {
        return Ok(again(jar, StatusCode::FORBIDDEN, "Tài khoản này đã bị quản trị viên tạm ngừng."));
    }
    // Only this browser's own failures: a guesser's lock stays in place.
    state.store.clear_login_failures(&name_key, Some(&client_key)).await?;
    let secret = auth::new_secret();
    let expires = sipas_shared::clock::now() + chrono::Duration::hours(SESSION_HOURS);
    state.store.create_session(&auth::secret_hash(&secret), user.id, &auth::new_secret(), expires).await?;
    tracing::info!(user = %user.name, role = %user.role, "staff signed in");
    let mut jar = jar.remove(Cookie::from(LOGIN_CSRF_COOKIE)).add(cookie(&state, SESSION_COOKIE, secret));
    if device.is_none() {
        let id = auth::new_secret();
        let value = format!("{id}.{}", key.tag(&format!("device|{id}")));
        let mut c = cookie(&state, DEVICE_COOKIE, value);
        c.set_path("/login");
        c.set_max_age(time::Duration::days(365));
        jar = jar.add(c);
    }
    let to = next.unwrap_or_else(|| home(user.role).to_owned());
    Ok((jar, Redirect::to(&to)).into_response())
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(
    State(state): State<AppState>,
    staff: Staff,
    jar: CookieJar,
    Form(f): Form<CsrfForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&f.csrf)?;
    if let Some(c) = jar.get(SESSION_COOKIE) {
        state.store.end_session(&auth::secret_hash(c.value())).await?;
    }
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
    Ok((jar, Redirect::to("/login")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_login() {
        assert_eq!(safe_next(Some("/enumerator/x")), Some("/enumerator/x".to_owned()));
        assert_eq!(safe_next(Some("//evil.example")), None);
        assert_eq!(safe_next(Some("https://evil.example")), None);
        assert_eq!(safe_next(Some("/\\evil.example")), None);
        assert_eq!(safe_next(Some("/\t/evil.example")), None, "a tab browsers drop");
        assert_eq!(safe_next(Some("/\n/evil.example")), None);
        assert_eq!(percent_encode("/reports?x=1&y=2", b"/"), "/reports%3Fx%3D1%26y%3D2");
    }
}
