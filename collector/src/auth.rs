//! Staff sign-in: login page, session cookies, CSRF tokens, login rate
//! limiting, API tokens, and the role checks every staff route makes.
//!
//! Sessions and tokens live in the store (as hashes), so any collector
//! process behind a load balancer recognises them.

use crate::{AppError, AppState};
use axum::Json;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use serde_json::json;
use sipas_shared::model::auth::{self, Role, User};

pub const SESSION_COOKIE: &str = "sipas_session";
pub(crate) const LOGIN_CSRF_COOKIE: &str = "sipas_login";
/// A browser that signed in before: its failures are counted apart from
/// everyone else's on the same address, so nobody on an office's shared
/// address can lock it out (signed with the service key; a year long).
pub(crate) const DEVICE_COOKIE: &str = "sipas_device";
/// A session lasts a working day.
pub(crate) const SESSION_HOURS: i64 = 12;
/// Failed logins for one name within [`LOCK_MINUTES`] before it is locked.
pub const MAX_FAILURES: i64 = 5;
pub const LOCK_MINUTES: i64 = 15;

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

pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
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
    let next = sipas_shared::model::text::percent_encode(path_and_query, b"/");
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

#[cfg(test)]
mod tests {
    #[test]
    fn the_next_path_is_encoded_whole() {
        assert_eq!(sipas_shared::model::text::percent_encode("/reports?x=1&y=2", b"/"), "/reports%3Fx%3D1%26y%3D2");
    }
}
