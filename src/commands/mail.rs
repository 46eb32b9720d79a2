//! `sipas invitations send | remind | bounced | status`: invitations and
//! reminders by e-mail. Progress names a person by unit, group and roster
//! line, never by name or address (the terminal's scrollback is a log too).

use super::{Failure, open_campaign};
use crate::cli::{MailCommand, MailRun};
use sipas_collector::mail::{self, Progress, RunOptions, SmtpSettings, Step};
use sipas_shared::model::{AuditAction, Email};
use sipas_shared::store::field::Audit;
use sipas_shared::store::mail::MailPlan;
use std::time::Duration;

pub async fn run(db: &str, command: MailCommand) -> Result<(), Failure> {
    match command {
        MailCommand::Send { run } => send(db, &run, MailPlan::Invitation).await,
        MailCommand::Remind { run, after_days, at_most } => {
            let quiet_since = sipas_shared::model::clock::now() - chrono::Duration::days(i64::from(after_days));
            send(db, &run, MailPlan::Reminder { quiet_since, at_most: i64::from(at_most) }).await
        }
        MailCommand::Bounced { campaign, file } => bounced(db, &campaign, &file).await,
        MailCommand::Status { campaign } => status(db, &campaign).await,
    }
}

async fn send(db: &str, run: &MailRun, plan: MailPlan) -> Result<(), Failure> {
    let smtp = SmtpSettings::from_env().map_err(Failure::BadInput)?.ok_or_else(|| {
        Failure::BadInput(
            "chưa cấu hình máy chủ thư: đặt SIPAS_SMTP_HOST, SIPAS_MAIL_FROM (và SIPAS_SMTP_USER, \
             SIPAS_SMTP_PASSWORD_FILE nếu máy chủ cần); xem README, mục «Thư điện tử»"
                .into(),
        )
    })?;
    let (store, campaign) = open_campaign(db, &run.campaign).await?;
    if let Some(g) = &run.group
        && campaign.group(g).is_none()
    {
        let known: Vec<&str> = campaign.groups.iter().map(|g| g.code.as_str()).collect();
        return Err(Failure::BadInput(format!(
            "đợt {} không có nhóm «{g}»; các nhóm: {}",
            campaign.id,
            known.join(", ")
        )));
    }
    let options = RunOptions {
        group: run.group.clone(),
        per_minute: run.per_minute,
        retry_pause: Duration::from_secs(run.retry_pause),
        ..RunOptions::new(plan)
    };
    let what = match plan {
        MailPlan::Invitation => "thư mời",
        MailPlan::Reminder { .. } => "thư nhắc",
    };
    let unit_name = |code: &str| campaign.unit(code).map_or_else(|| code.to_owned(), |u| u.name.clone());
    let group_name = |code: &str| campaign.group(code).map_or_else(|| code.to_owned(), |g| g.name.clone());
    let mut on_step = |p: &Progress, step: Option<Step<'_>>| {
        if let Some(s) = step {
            let r = s.recipient;
            let line = r.line.map(|l| format!(", dòng {l}")).unwrap_or_default();
            eprintln!("[{}/{}] {} · {}{line}: {}", p.done(), p.due, unit_name(&r.unit), group_name(&r.group), s.status);
        }
    };
    let progress =
        mail::run(&*store, &campaign, &smtp, &run.public_url, &options, &mut on_step).await.map_err(Failure::Other)?;
    let summary = progress.summary(what);
    let subject = run.group.clone().unwrap_or_else(|| "mọi nhóm".into());
    store
        .audit(Audit {
            actor: super::field::CLI_ACTOR,
            campaign: &campaign.id,
            action: AuditAction::MailSend,
            subject: &subject,
            detail: &summary,
        })
        .await?;
    println!("{summary}");
    if let Some(why) = progress.stopped {
        return Err(Failure::Other(why));
    }
    Ok(())
}

async fn bounced(db: &str, id: &str, file: &std::path::Path) -> Result<(), Failure> {
    let (store, campaign) = open_campaign(db, id).await?;
    let text = std::fs::read_to_string(file).map_err(|e| Failure::BadInput(format!("{}: {e}", file.display())))?;
    // Any address in the file: a list, a CSV, or the postmaster's replies pasted in.
    let emails: Vec<Email> = text
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '<' | '>' | '"' | '\'' | '(' | ')'))
        .filter(|w| w.contains('@'))
        .filter_map(|w| Email::parse(w.trim_matches(['.', ':'])).ok())
        .collect();
    if emails.is_empty() {
        return Err(Failure::BadInput(format!("{}: không có địa chỉ thư nào", file.display())));
    }
    let marked = store.mark_bounced(&campaign.id, &emails).await?;
    let detail = format!("{}: {} địa chỉ, {marked} người không được gửi thêm", file.display(), emails.len());
    store
        .audit(Audit {
            actor: super::field::CLI_ACTOR,
            campaign: &campaign.id,
            action: AuditAction::MailBounced,
            subject: &campaign.id,
            detail: &detail,
        })
        .await?;
    println!(
        "Đã ghi {marked} người có địa chỉ bị trả lại (trong {} địa chỉ của tệp): không gửi thêm thư cho họ.",
        emails.len()
    );
    Ok(())
}

async fn status(db: &str, id: &str) -> Result<(), Failure> {
    let (store, campaign) = open_campaign(db, id).await?;
    let counts = store.mail_counts(&campaign.id).await?;
    if counts.is_empty() {
        println!("Đợt {} chưa có ai có địa chỉ thư trong danh sách đã chọn mẫu.", campaign.id);
        return Ok(());
    }
    println!(
        "{:<24} {:>8} {:>8} {:>8} {:>6} {:>9} {:>9} {:>7} {:>10}",
        "nhóm", "có thư", "đã mời", "đã nhắc", "lỗi", "trả lại", "ngừng", "chưa rõ", "đã trả lời"
    );
    for c in counts {
        let name = campaign.group(&c.group).map_or(c.group.as_str(), |g| g.name.as_str());
        println!(
            "{:<24} {:>8} {:>8} {:>8} {:>6} {:>9} {:>9} {:>7} {:>10}",
            sipas_shared::model::text::ellipsis(name, 24),
            c.with_email,
            c.invited,
            c.reminders,
            c.failed,
            c.bounced,
            c.opted_out,
            c.uncertain,
            c.answered
        );
    }
    Ok(())
}

/// `sipas responses import-queue`: an offline app's queue saved to a file,
/// stored under the same exactly-once rule as its sync (an interview already
/// stored is said so, one another phone sent is refused with the reason).
pub async fn import_queue(db: &str, id: &str, file: &std::path::Path) -> Result<(), Failure> {
    let (store, campaign) = open_campaign(db, id).await?;
    let text = std::fs::read_to_string(file).map_err(|e| Failure::BadInput(format!("{}: {e}", file.display())))?;
    let queue: sipas_collector::offline::SavedQueue = serde_json::from_str(&text)
        .map_err(|e| Failure::BadInput(format!("{}: không phải tệp hàng đợi của ứng dụng ({e})", file.display())))?;
    if queue.campaign != campaign.id {
        return Err(Failure::BadInput(format!(
            "{}: tệp là của đợt «{}», không phải «{}»",
            file.display(),
            queue.campaign,
            campaign.id
        )));
    }
    let may = |c: &str, _: &str| c == campaign.id;
    let (mut stored, mut already, mut refused) = (0, 0, 0);
    for (i, item) in queue.interviews.iter().enumerate() {
        match sipas_collector::offline::apply(&*store, item, &may).await? {
            sipas_collector::offline::Synced::Stored => stored += 1,
            sipas_collector::offline::Synced::AlreadyStored => already += 1,
            sipas_collector::offline::Synced::Refused(why) => {
                refused += 1;
                eprintln!("{}: phiếu thứ {} ({}): {why}", file.display(), i + 1, item.client_id);
            }
        }
    }
    println!("Đã lưu {stored} phiếu; {already} phiếu đã có từ trước (không lưu lại); {refused} phiếu bị từ chối.");
    Ok(())
}
