//! The sign-in pages: the login form and its post, and signing out. The
//! session, CSRF and role checks they set up live in [`crate::auth`].

use crate::auth::*;
use crate::staff::page;
use crate::{AppError, AppState};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_extra::extract::cookie::{Cookie, CookieJar};
use maud::html;
use serde::Deserialize;
use sipas_shared::model::auth;

pub fn router() -> Router<AppState> {
    Router::new().route("/login", get(login_page).post(login)).route("/logout", post(logout))
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
    let jar = jar.add(state.cookie(LOGIN_CSRF_COOKIE, csrf.clone()));
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
        let jar = jar.add(state.cookie(LOGIN_CSRF_COOKIE, csrf.clone()));
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
    let since = sipas_shared::model::clock::now() - chrono::Duration::minutes(LOCK_MINUTES);
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
    let expires = sipas_shared::model::clock::now() + chrono::Duration::hours(SESSION_HOURS);
    state.store.create_session(&auth::secret_hash(&secret), user.id, &auth::new_secret(), expires).await?;
    tracing::info!(user = %user.name, role = %user.role, "staff signed in");
    let mut jar = jar.remove(Cookie::from(LOGIN_CSRF_COOKIE)).add(state.cookie(SESSION_COOKIE, secret));
    if device.is_none() {
        let id = auth::new_secret();
        let value = format!("{id}.{}", key.tag(&format!("device|{id}")));
        let mut c = state.cookie(DEVICE_COOKIE, value);
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
    }
}
