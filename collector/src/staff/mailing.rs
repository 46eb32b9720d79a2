//! The e-mail section of a campaign's admin page: what has been sent to
//! whom (counts by group, never an address), and the button that sends the
//! invitations or a reminder in the background, its progress on the page.
//! The same run as `sipas invitations send | remind` (`crate::mail::run`).

use super::guard::{Admin, CampaignPath, Posted};
use super::{csrf_field, flash};
use crate::auth::Staff;
use crate::mail::{Progress, RunOptions, SmtpSettings};
use crate::{AppError, AppState};
use axum::Router;
use axum::response::Response;
use axum::routing::post;
use maud::{Markup, html};
use serde::Deserialize;
use sipas_shared::Campaign;
use sipas_shared::model::AuditAction;
use sipas_shared::store::field::Audit;
use sipas_shared::store::mail::MailPlan;
use std::collections::HashMap;
use std::sync::Mutex;

/// The SMTP server, if configured, and each campaign's run: the one going
/// on, or the last one finished.
#[derive(Default)]
pub struct Mailing {
    pub smtp: Option<SmtpSettings>,
    runs: Mutex<HashMap<String, Run>>,
}

#[derive(Clone)]
struct Run {
    what: &'static str,
    group: String,
    progress: Progress,
    finished: bool,
}

impl Mailing {
    pub fn new(smtp: Option<SmtpSettings>) -> Self {
        Self { smtp, runs: Mutex::default() }
    }

    fn run_of(&self, campaign: &str) -> Option<Run> {
        self.runs.lock().ok()?.get(campaign).cloned()
    }

    fn set(&self, campaign: &str, run: Run) {
        if let Ok(mut runs) = self.runs.lock() {
            runs.insert(campaign.to_owned(), run);
        }
    }

    /// Starts a run unless one is going on for the campaign.
    fn start(&self, campaign: &str, run: Run) -> bool {
        let Ok(mut runs) = self.runs.lock() else { return false };
        if runs.get(campaign).is_some_and(|r| !r.finished) {
            return false;
        }
        runs.insert(campaign.to_owned(), run);
        true
    }
}

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/campaigns/{campaign}/mail", post(send))
}

/// The section of the campaign page.
pub async fn section(state: &AppState, campaign: &Campaign, staff: &Staff) -> Result<Markup, AppError> {
    let id = campaign.id.as_str();
    let counts = state.store.mail_counts(id).await?;
    let run = state.mailing.run_of(id);
    let group_name = |code: &str| campaign.group(code).map_or_else(|| code.to_owned(), |g| g.name.clone());
    // Groups surveyed from a list rather than at the counter: rosters.
    let groups: Vec<&sipas_shared::model::campaign::Group> = campaign.groups.iter().filter(|g| !g.frame).collect();
    Ok(html! {
        h2 #thu-dien-tu { "Thư mời qua thư điện tử" }
        p.note {
            "Người trong danh sách đại biểu, công chức có cột «Thư điện tử» nhận một thư mời với đường dẫn riêng, dùng một lần. "
            "Thư nhắc chỉ gửi cho người chưa trả lời, chưa ngừng nhận thư và địa chỉ không bị trả lại."
        }
        @if let Some(r) = &run {
            @let p = &r.progress;
            div class=(if r.finished { "ok" } else { "alert" }) {
                @if r.finished { "Đã gửi xong " } @else { "Đang gửi " }
                (r.what) " (" (r.group) "): " (p.done()) "/" (p.due) " người — đã gửi " (p.sent) ", lỗi " (p.failed)
                ", bị trả lại " (p.bounced) ", chưa rõ " (p.uncertain) ", bỏ qua " (p.skipped) "."
                @if let Some(why) = &p.stopped { " Dừng: " (why) "." }
                @if !r.finished { " " a href=(format!("/admin/campaigns/{id}#thu-dien-tu")) { "Xem tiến độ mới nhất" } }
            }
        }
        @if !counts.is_empty() {
            div.wrap tabindex="0" role="region" aria-label="Thư mời qua thư điện tử" {
                table.cards {
                    thead { tr {
                        th { "Nhóm" } th.n { "Có địa chỉ" } th.n { "Đã mời" } th.n { "Thư nhắc" } th.n { "Lỗi" }
                        th.n { "Bị trả lại" } th.n { "Ngừng nhận" } th.n { "Chưa rõ" } th.n { "Đã trả lời" }
                    } }
                    tbody { @for c in &counts { tr {
                        td data-label="Nhóm" { (group_name(&c.group)) }
                        td.n data-label="Có địa chỉ" { (c.with_email) }
                        td.n data-label="Đã mời" { (c.invited) }
                        td.n data-label="Thư nhắc" { (c.reminders) }
                        td.n data-label="Lỗi" { (c.failed) }
                        td.n data-label="Bị trả lại" { (c.bounced) }
                        td.n data-label="Ngừng nhận" { (c.opted_out) }
                        td.n data-label="Chưa rõ" { (c.uncertain) }
                        td.n data-label="Đã trả lời" { (c.answered) }
                    } } }
                }
            }
            p.note { "«Chưa rõ»: đang gửi thì dừng, có thể đã tới; không tự gửi lại." }
        }
        @if state.mailing.smtp.is_none() {
            p.note { "Chưa cấu hình máy chủ thư (SIPAS_SMTP_HOST, SIPAS_MAIL_FROM, …): xem README, mục «Thư điện tử»." }
        } @else {
            form.box method="post" action=(format!("/admin/campaigns/{id}/mail")) {
                (csrf_field(staff))
                label for="mail-group" { "Nhóm " }
                select #mail-group name="group" {
                    @for g in &groups { option value=(g.code) { (g.name) } }
                }
                " " label for="mail-what" { "Gửi " }
                select #mail-what name="what" {
                    option value="invitation" { "thư mời (người chưa được gửi)" }
                    option value="reminder" { "thư nhắc (người chưa trả lời)" }
                }
                " " label for="mail-after" { "Nhắc sau (ngày) " }
                input #mail-after type="number" name="after_days" value="5" min="0" max="60";
                " " label for="mail-most" { "Nhắc tối đa (lần) " }
                input #mail-most type="number" name="at_most" value="2" min="1" max="5";
                " " button.go type="submit" { "Gửi" }
            }
        }
    })
}

#[derive(Deserialize)]
struct SendForm {
    #[serde(default)]
    csrf: String,
    group: String,
    what: String,
    #[serde(default)]
    after_days: String,
    #[serde(default)]
    at_most: String,
}
super::guard::csrf_field!(SendForm);

async fn send(
    axum::extract::State(state): axum::extract::State<AppState>,
    Admin(staff): Admin,
    CampaignPath(campaign): CampaignPath,
    Posted(f): Posted<SendForm>,
) -> Result<Response, AppError> {
    let back = format!("/admin/campaigns/{}", campaign.id);
    let Some(smtp) = state.mailing.smtp.clone() else {
        return flash(&state, &staff, &back, false, "Chưa cấu hình máy chủ thư: xem README, mục «Thư điện tử».").await;
    };
    let Some(group) = campaign.group(&f.group).map(|g| g.name.clone()) else {
        return flash(&state, &staff, &back, false, &format!("Đợt này không có nhóm «{}».", f.group)).await;
    };
    let number = |text: &str, default: i64, range: std::ops::RangeInclusive<i64>| match text.trim() {
        "" => Some(default),
        t => t.parse::<i64>().ok().filter(|n| range.contains(n)),
    };
    let (plan, what) = match f.what.as_str() {
        "reminder" => {
            let (Some(days), Some(at_most)) = (number(&f.after_days, 5, 0..=60), number(&f.at_most, 2, 1..=5)) else {
                return flash(&state, &staff, &back, false, "Số ngày (0–60) hoặc số lần nhắc (1–5) không hợp lệ.")
                    .await;
            };
            let quiet_since = sipas_shared::model::clock::now() - chrono::Duration::days(days);
            (MailPlan::Reminder { quiet_since, at_most }, "thư nhắc")
        }
        _ => (MailPlan::Invitation, "thư mời"),
    };
    let run = Run { what, group: group.clone(), progress: Progress::default(), finished: false };
    if !state.mailing.start(&campaign.id, run) {
        return flash(&state, &staff, &back, false, "Đang gửi thư cho đợt này; xin đợi lần gửi đó xong.").await;
    }
    let options = RunOptions { group: Some(f.group.clone()), ..RunOptions::new(plan) };
    let actor = staff.user.name.clone();
    let background = state.clone();
    tokio::spawn(async move {
        let id = campaign.id.clone();
        let mut on_step = |p: &Progress, _: Option<crate::mail::Step<'_>>| {
            background.mailing.set(&id, Run { what, group: group.clone(), progress: p.clone(), finished: false });
        };
        let public_url = background.public_url.clone();
        let result = crate::mail::run(&*background.store, &campaign, &smtp, &public_url, &options, &mut on_step).await;
        let progress = result.unwrap_or_else(|e| Progress { stopped: Some(e), ..Progress::default() });
        let mut detail = progress.summary(what);
        if let Some(why) = &progress.stopped {
            detail.push_str(&format!("; dừng: {why}"));
        }
        let audit = Audit {
            actor: &actor,
            campaign: &id,
            action: AuditAction::MailSend,
            subject: &options.group.clone().unwrap_or_default(),
            detail: &detail,
        };
        if let Err(e) = background.store.audit(audit).await {
            tracing::warn!(error = %e, "không ghi được nhật ký gửi thư");
        }
        background.mailing.set(&id, Run { what, group, progress, finished: true });
    });
    flash(&state, &staff, &back, true, &format!("Bắt đầu gửi {what} cho nhóm {}.", f.group)).await
}
