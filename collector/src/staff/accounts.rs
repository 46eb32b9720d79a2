//! `/admin/users`: staff accounts and their lifecycle (SPEC §5) — add,
//! disable and enable, reset a password, change an enumerator's units, lift a
//! sign-in lock, revoke API tokens — each audited in its own transaction.

use super::guard::{Admin, Posted};
use super::{Flash, FlashId, csrf_field, flash, page};
use crate::auth::Staff;
use crate::{AppError, AppState};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use serde::Deserialize;
use sipas_shared::StoreError;
use sipas_shared::model::auth::{self, AccountChange, MIN_PASSWORD, Role, User};

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/users", get(users).post(add_user)).route("/admin/users/{name}", post(change_account))
}

async fn users(
    State(state): State<AppState>,
    Admin(staff): Admin,
    Query(flash): Query<FlashId>,
) -> Result<Response, AppError> {
    let flash = flash.take(&state, &staff).await?;
    users_page(&state, &staff, &flash).await
}

async fn users_page(state: &AppState, staff: &Staff, flash: &Flash) -> Result<Response, AppError> {
    let list = state.store.users().await?;
    let campaigns = state.store.campaigns().await?;
    Ok(page(
        "Tài khoản",
        Some(staff),
        html! {
            (flash.render())
            div.wrap tabindex="0" role="region" aria-label="Tài khoản" { table.cards {
                thead { tr { th { "Tên đăng nhập" } th { "Vai trò" } th { "Trạng thái" } th { "Đơn vị được giao" } th { "Thao tác" } } }
                tbody { @for u in &list { tr {
                    td { strong { (u.name) } }
                    td data-label="Vai trò" { (u.role.label()) }
                    td data-label="Trạng thái" { @if u.disabled { span.tag { "tạm ngừng" } } @else { "hoạt động" } }
                    td data-label="Đơn vị" { (u.units.join(", ")) }
                    td { (account_actions(staff, u)) }
                } } }
            } }
            h2 { "Thêm tài khoản" }
            form.box method="post" action="/admin/users" {
                (csrf_field(staff))
                p { label for="name" { "Tên đăng nhập " } input #name type="text" name="name" required autocomplete="off"; }
                p { label for="role" { "Vai trò " } select #role name="role" {
                    option value="enumerator" { "điều tra viên (chỉ các đơn vị được giao)" }
                    option value="analyst" { "phân tích (chỉ báo cáo, không thấy thông tin cá nhân)" }
                    option value="admin" { "quản trị" }
                } }
                p { label for="campaign" { "Đợt khảo sát của các đơn vị được giao " } select #campaign name="campaign" {
                    @for c in &campaigns { option value=(c.id) { (c.name) " (" (c.id) ")" } }
                } }
                p { label for="units" { "Mã đơn vị được giao (cách nhau bởi dấu phẩy, cho điều tra viên) " } input #units type="text" name="units"; }
                p { label for="password" { "Mật khẩu (ít nhất " (MIN_PASSWORD) " ký tự; bỏ trống = tạo ngẫu nhiên) " } input #password type="password" name="password" autocomplete="new-password"; }
                button.go type="submit" { "Thêm" }
            }
        },
    )
    .into_response())
}

#[derive(Deserialize)]
struct UserForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    units: String,
    #[serde(default)]
    campaign: String,
    #[serde(default)]
    password: String,
}

async fn add_user(
    State(state): State<AppState>,
    Admin(staff): Admin,
    Posted(f): Posted<UserForm>,
) -> Result<Response, AppError> {
    let back = "/admin/users";
    let bad = async |m: &str| flash(&state, &staff, back, false, m).await;
    let name = f.name.trim();
    if name.is_empty() || name.chars().any(char::is_whitespace) || name.len() > 64 {
        return bad("tên đăng nhập: không để trống, không có dấu cách").await;
    }
    let Some(role) = Role::parse(&f.role) else { return bad("vai trò không hợp lệ").await };
    let given = [f.units.clone()];
    let campaigns = all_campaigns(&state).await?;
    let chosen = Some(f.campaign.trim()).filter(|c| !c.is_empty());
    let units = match auth::resolve_units(&campaigns, chosen, &given) {
        Ok(u) => u,
        Err(e) => return bad(&format!("đơn vị được giao: {e}")).await,
    };
    if role == Role::Enumerator && units.is_empty() {
        return bad("điều tra viên cần ít nhất một mã đơn vị").await;
    }
    let (password, generated) =
        if f.password.is_empty() { (auth::new_password(), true) } else { (f.password.clone(), false) };
    if password.chars().count() < MIN_PASSWORD {
        return bad(&format!("mật khẩu phải có ít nhất {MIN_PASSWORD} ký tự")).await;
    }
    let hash = auth::hash_password(&password).map_err(AppError::Internal)?;
    let units = if role == Role::Enumerator { units } else { Vec::new() };
    match state.store.add_user(name, role, &units, &hash).await {
        Ok(_) => {}
        Err(StoreError::Duplicate(m)) => return bad(&m).await,
        Err(e) => return Err(e.into()),
    }
    tracing::info!(by = %staff.user.name, user = name, role = %role, "staff account added");
    let mut m = format!("Đã thêm tài khoản {name} ({}).", role.label());
    if generated {
        // Shown on this page only, never carried in a URL.
        m.push_str(&format!(" Mật khẩu (chỉ hiện lần này): {password}"));
        return users_page(&state, &staff, &Flash { ok: Some(m), err: None }).await;
    }
    flash(&state, &staff, back, true, &m).await
}

/// The buttons of one account's row.
fn account_actions(staff: &Staff, u: &User) -> Markup {
    let to = format!("/admin/users/{}", sipas_shared::model::text::percent_encode(&u.name, b""));
    let button = |action: &str, label: &str| {
        html! {
            form.inline method="post" action=(to) {
                (csrf_field(staff))
                input type="hidden" name="action" value=(action);
                button type="submit" { (label) }
            }
        }
    };
    html! {
        @if u.disabled { (button("enable", "Mở lại")) } @else if u.name != staff.user.name { (button("disable", "Tạm ngừng")) }
        " " (button("passwd", "Đặt lại mật khẩu"))
        " " (button("unlock", "Gỡ khoá đăng nhập"))
        " " (button("revoke", "Thu hồi khoá API"))
        @if u.role == Role::Enumerator {
            form.inline method="post" action=(to) {
                (csrf_field(staff))
                input type="hidden" name="action" value="units";
                " " label { "Đơn vị " input type="text" name="units" value=(u.units.join(", ")) size="24" aria-label={ "Đơn vị được giao của " (u.name) }; }
                " " button type="submit" { "Giao lại" }
            }
        }
    }
}

#[derive(Deserialize)]
struct AccountForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    units: String,
}

/// One change to an account, from its row of `/admin/users`.
async fn change_account(
    State(state): State<AppState>,
    Admin(staff): Admin,
    Path(name): Path<String>,
    Posted(f): Posted<AccountForm>,
) -> Result<Response, AppError> {
    let back = "/admin/users";
    let Some((user, _)) = state.store.user_by_name(&name).await? else {
        return flash(&state, &staff, back, false, &format!("không có tài khoản «{name}»")).await;
    };
    let mut generated = None;
    let change = match f.action.as_str() {
        "disable" if user.name == staff.user.name => {
            return flash(&state, &staff, back, false, "không tự tạm ngừng tài khoản đang dùng").await;
        }
        "disable" => AccountChange::Disable,
        "enable" => AccountChange::Enable,
        "unlock" => AccountChange::Unlock,
        "revoke" => AccountChange::RevokeTokens,
        "passwd" => {
            let password = auth::new_password();
            let hash = auth::hash_password(&password).map_err(AppError::Internal)?;
            generated = Some(password);
            AccountChange::Password(hash)
        }
        "units" if user.role != Role::Enumerator => {
            return flash(&state, &staff, back, false, "chỉ điều tra viên được giao đơn vị").await;
        }
        "units" => {
            let campaigns = all_campaigns(&state).await?;
            match auth::resolve_units(&campaigns, None, std::slice::from_ref(&f.units)) {
                Ok(units) if !units.is_empty() => AccountChange::Units(units),
                Ok(_) => return flash(&state, &staff, back, false, "điều tra viên cần ít nhất một mã đơn vị").await,
                Err(e) => return flash(&state, &staff, back, false, &format!("đơn vị được giao: {e}")).await,
            }
        }
        other => return flash(&state, &staff, back, false, &format!("thao tác «{other}» không hợp lệ")).await,
    };
    let done = match state.store.change_user(&name, &change, &staff.user.name).await? {
        None => return flash(&state, &staff, back, false, &format!("không có tài khoản «{name}»")).await,
        Some(n) => n,
    };
    tracing::info!(by = %staff.user.name, user = %name, action = change.action().code(), "staff account changed");
    let m = match &change {
        AccountChange::Disable => {
            format!("Đã tạm ngừng {name}: mọi phiên đăng nhập đã kết thúc, khoá API ngừng hoạt động.")
        }
        AccountChange::Enable => format!("Đã mở lại tài khoản {name}."),
        AccountChange::Unlock => format!("Đã gỡ khoá đăng nhập của {name}."),
        AccountChange::RevokeTokens => format!("Đã thu hồi {done} khoá API của {name}."),
        AccountChange::Units(u) => format!("Đã giao cho {name}: {}.", u.join(", ")),
        AccountChange::Password(_) => {
            // Shown on this page only, never carried in a URL or kept.
            let m = format!(
                "Đã đặt lại mật khẩu của {name} (mọi phiên đã kết thúc). Mật khẩu mới (chỉ hiện lần này): {}",
                generated.unwrap_or_default()
            );
            return users_page(&state, &staff, &Flash { ok: Some(m), err: None }).await;
        }
    };
    flash(&state, &staff, back, true, &m).await
}

/// Every campaign in full, to check unit codes against.
async fn all_campaigns(state: &AppState) -> Result<Vec<sipas_shared::Campaign>, AppError> {
    let mut campaigns = Vec::new();
    for c in state.store.campaigns().await? {
        campaigns.extend(state.store.campaign(&c.id).await?);
    }
    Ok(campaigns)
}

super::guard::csrf_field!(UserForm, AccountForm);
