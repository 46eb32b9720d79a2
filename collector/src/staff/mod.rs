//! Staff pages: `/admin` for the home-affairs office, `/enumerator` for those
//! who chase quotas and key in paper ballots. Plain HTML forms, each with a
//! CSRF token; they work on a phone and without JavaScript.

pub mod accounts;
pub mod admin;
pub mod enumerator;
pub mod guard;
pub mod login;
pub mod mailing;

use crate::auth::Staff;
use crate::{AppError, AppState};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use sipas_shared::model::auth::Role;

const STYLE: &str = "\
*{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,-apple-system,Roboto,'Segoe UI',sans-serif;color:#1a1a1a;background:#f6f7f9}\
header{background:#1f3a5f;color:#fff;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:.5rem 1.25rem;align-items:center}\
header a,header button{color:#fff}header h1{font-size:1.1rem;margin:0;flex:1 1 100%}nav{display:flex;gap:1rem;flex-wrap:wrap;align-items:center}\
main{max-width:72rem;margin:0 auto;padding:1rem}h2{font-size:1.1rem;margin:1.25rem 0 .5rem;color:#1f3a5f}\
table{border-collapse:collapse;width:100%;background:#fff;font-size:.92rem}th,td{padding:.35rem .5rem;border-bottom:1px solid #e1e4e8;text-align:left;vertical-align:top}\
th{background:#eef1f5}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}.wrap{overflow-x:auto}.wrap:focus-visible{outline:2px solid #1f3a5f;outline-offset:2px}\
.bar{background:#e1e4e8;border-radius:3px;height:.7rem;min-width:6rem}.bar span{display:block;height:100%;background:#1e7b34;border-radius:3px}\
.bar.low span{background:#b00020}.bar.mid span{background:#c77700}\
form.inline{display:inline}button,input,select{font:inherit}button{padding:.35rem .7rem;border-radius:5px;border:1px solid #1f3a5f;background:#fff;color:#1f3a5f;min-height:36px;cursor:pointer}\
button.go{background:#1f3a5f;color:#fff}header button{background:none;border:1px solid #fff8}\
input[type=text],input[type=password],input[type=number],input[type=file],select{padding:.4rem;border:1px solid #8a929c;border-radius:5px;max-width:100%}\
.box{background:#fff;border-radius:8px;padding:1rem;box-shadow:0 1px 2px #0002;margin:0 0 1rem}\
.alert{background:#fdecea;border-left:4px solid #b00020;padding:.6rem 1rem;margin:0 0 1rem}.ok{background:#e7f4ea;border-left:4px solid #1e7b34;padding:.6rem 1rem;margin:0 0 1rem}\
.note{color:#555;font-size:.9rem}.tag{display:inline-block;padding:0 .4rem;border-radius:3px;background:#eef1f5;font-size:.85rem}\
.code{font-family:monospace;font-weight:600}.narrow{display:none}\
@media (max-width:40rem){.more{display:none}.narrow{display:block}main{padding:.6rem}header{padding:.5rem .75rem}\
table.cards thead{display:none}table.cards tr{display:block;border-bottom:2px solid #e1e4e8;padding:.35rem 0}\
table.cards td{display:block;border:0;padding:.15rem .5rem}table.cards td[data-label]::before{content:attr(data-label) \": \";font-weight:600}\
table.cards form.inline{display:inline-block;margin:.15rem 0}table.cards td.n{text-align:left}}\
details.confirm{display:inline-block}details.confirm summary{display:inline-block;padding:.35rem .7rem;border-radius:5px;\
border:1px solid #b00020;color:#b00020;background:#fff;min-height:36px;cursor:pointer;list-style:none}\
details.confirm[open]{display:block;padding:.3rem 0}form.search{margin:0 0 .5rem}form.search input{max-width:100%}\
fieldset{border:0;background:#fff;border-radius:8px;margin:0 0 1rem;padding:.75rem 1rem;box-shadow:0 1px 2px #0002}legend{font-weight:600;float:left;width:100%;margin-bottom:.5rem}legend+*{clear:both}\
.opt{display:flex;align-items:center;gap:.6rem;min-height:40px;padding:.3rem .6rem;margin:.2rem 0;border:1px solid #c7ccd3;border-radius:6px;background:#fff}\
dl.answers{margin:.3rem 0;font-size:.9rem}dl.answers dt{font-weight:600;margin-top:.3rem}dl.answers dd{margin:0 0 0 .75rem}\
.err{color:#b00020;font-weight:600}.sec{font-size:1.05rem;color:#1f3a5f}.req{color:#b00020}textarea{width:100%;font:inherit}";

/// The frame of every staff page: title, the signed-in person's menu, a sign-out button.
pub fn page(title: &str, staff: Option<&Staff>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="vi" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width,initial-scale=1";
                meta name="referrer" content="same-origin";
                title { (title) " – sipas" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    h1 { (title) }
                    @if let Some(s) = staff {
                        nav {
                            @if s.user.role == Role::Admin { a href="/admin" { "Quản trị" } a href="/admin/users" { "Tài khoản" } }
                            @if matches!(s.user.role, Role::Admin | Role::Enumerator) { a href="/enumerator" { "Tiến độ chỉ tiêu" } }
                            @if matches!(s.user.role, Role::Admin | Role::Analyst) { a href="/reports" { "Báo cáo" } }
                            span { (s.user.name) " (" (s.user.role.label()) ")" }
                            form.inline method="post" action="/logout" {
                                input type="hidden" name="csrf" value=(s.csrf);
                                button type="submit" { "Đăng xuất" }
                            }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// The hidden CSRF field of every staff form.
pub fn csrf_field(staff: &Staff) -> Markup {
    html! { input type="hidden" name="csrf" value=(staff.csrf); }
}

/// A message shown once on the page a form redirects to.
#[derive(Debug, Default)]
pub struct Flash {
    pub ok: Option<String>,
    pub err: Option<String>,
}

impl Flash {
    pub fn render(&self) -> Markup {
        html! {
            @if let Some(m) = &self.ok { div.ok role="status" { (m) } }
            @if let Some(m) = &self.err { div.alert role="alert" { (m) } }
        }
    }
}

/// The `?m=` a redirect carries: only the id of a message kept in the
/// store for the staff member it was written for. The text itself (which
/// may quote a file's cells, phones included) never travels in a URL, and a
/// link with made-up text shows nothing.
#[derive(Debug, Default, serde::Deserialize)]
pub struct FlashId {
    m: Option<String>,
}

impl FlashId {
    /// The message, once; nothing for an unknown id or another staff member's.
    ///
    /// # Errors
    /// Store failures.
    pub async fn take(&self, state: &AppState, staff: &Staff) -> Result<Flash, AppError> {
        let Some(id) = self.m.as_deref().filter(|m| !m.is_empty() && m.len() <= 64) else {
            return Ok(Flash::default());
        };
        Ok(match state.store.take_flash(id, staff.user.id).await? {
            Some((true, text)) => Flash { ok: Some(text), err: None },
            Some((false, text)) => Flash { ok: None, err: Some(text) },
            None => Flash::default(),
        })
    }
}

/// The longest message kept for a page (a frame with thousands of bad rows
/// is summarised, not stored whole).
const FLASH_CHARS: usize = 4_000;

/// Redirects to `path` with a message for this staff member's next page.
///
/// # Errors
/// Store failures.
pub async fn flash(state: &AppState, staff: &Staff, path: &str, ok: bool, message: &str) -> Result<Response, AppError> {
    let text: String = if message.chars().count() > FLASH_CHARS {
        message.chars().take(FLASH_CHARS).chain("…".chars()).collect()
    } else {
        message.to_owned()
    };
    let id = state.store.put_flash(staff.user.id, ok, &text).await?;
    let sep = if path.contains('?') { '&' } else { '?' };
    Ok(Redirect::to(&format!("{path}{sep}m={id}")).into_response())
}
