//! Invitations and reminders by e-mail, for the officials and delegates of a
//! roster (issue: e-mail and Zalo). One personal single-use link a message,
//! Vietnamese plain text and HTML, sent over SMTP (`lettre`) at a bounded rate.
//!
//! Exactly once: each person's round (0 the invitation, then reminders) is
//! claimed in the store before the message leaves, so two runs — the CLI and
//! the admin button — never send the same round twice. A message the server
//! refuses for now is tried again a few times, then recorded as failed and
//! sent by the next run; one it refuses for good records a bounce, and the
//! person is not written to again. Nobody who answered, opted out or bounced
//! is written to, checked again at the claim.
//!
//! The address is personal data: it goes to the SMTP server and nowhere
//! else — not into logs (a person is named by roster line), not into answers.

use crate::qr::link;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::ClientId;
use lettre::{Address, Message};
use maud::html;
use sipas_shared::Campaign;
use sipas_shared::model::MailStatus;
use sipas_shared::store::Store;
use sipas_shared::store::mail::{MailOutcome, MailPlan, Recipient};
use std::time::Duration;

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Plain connection upgraded with STARTTLS (port 587), refused if the server cannot.
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only to a relay on this machine (127.0.0.1, ::1, localhost).
    None,
}

/// Where and how to send, from the environment (README «Thư điện tử»).
#[derive(Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub user: Option<String>,
    password: Option<String>,
    pub from: Mailbox,
    /// Seconds to wait for the server at each step.
    pub timeout: Duration,
    /// Messages a minute at most, the provider's limit (`SIPAS_MAIL_PER_MINUTE`, 60 by default).
    pub per_minute: u32,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "…"))
            .finish_non_exhaustive()
    }
}

fn loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl SmtpSettings {
    /// From the process's environment: `SIPAS_SMTP_HOST`, `SIPAS_SMTP_PORT`,
    /// `SIPAS_SMTP_SECURITY` (`starttls`, `tls`, `none`), `SIPAS_SMTP_USER`,
    /// `SIPAS_SMTP_PASSWORD_FILE`, `SIPAS_MAIL_FROM`. `None` when no host is set.
    ///
    /// # Errors
    /// A Vietnamese message naming the setting that is wrong.
    pub fn from_env() -> Result<Option<Self>, String> {
        Self::from_vars(&|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
    }

    /// As [`from_env`](Self::from_env), the variables read through `var`.
    ///
    /// # Errors
    /// As [`from_env`](Self::from_env).
    pub fn from_vars(var: &dyn Fn(&str) -> Option<String>) -> Result<Option<Self>, String> {
        let Some(host) = var("SIPAS_SMTP_HOST") else { return Ok(None) };
        let host = host.trim().to_owned();
        let security = match var("SIPAS_SMTP_SECURITY").as_deref().map(str::trim) {
            None | Some("starttls") => Security::StartTls,
            Some("tls") => Security::Tls,
            Some("none") => Security::None,
            Some(other) => {
                return Err(format!("SIPAS_SMTP_SECURITY = «{other}»: chỉ nhận starttls, tls hoặc none"));
            }
        };
        if security == Security::None && !loopback(&host) {
            return Err(format!(
                "SIPAS_SMTP_SECURITY = none chỉ dùng với máy chủ thư trên chính máy này; «{host}» phải dùng starttls hoặc tls \
                 (đường dẫn phiếu và mật khẩu không được gửi không mã hoá)"
            ));
        }
        let port = match var("SIPAS_SMTP_PORT") {
            None => match security {
                Security::StartTls => 587,
                Security::Tls => 465,
                Security::None => 25,
            },
            Some(p) => p.trim().parse().map_err(|_| format!("SIPAS_SMTP_PORT = «{p}» không phải số cổng"))?,
        };
        let password = match var("SIPAS_SMTP_PASSWORD_FILE") {
            None => None,
            Some(path) => Some(
                std::fs::read_to_string(path.trim())
                    .map_err(|e| format!("không đọc được SIPAS_SMTP_PASSWORD_FILE «{path}»: {e}"))?
                    .trim_end_matches(['\r', '\n'])
                    .to_owned(),
            ),
        };
        let user = var("SIPAS_SMTP_USER");
        if user.is_some() != password.is_some() {
            return Err("SIPAS_SMTP_USER và SIPAS_SMTP_PASSWORD_FILE phải có cả hai, hoặc không có cả hai".into());
        }
        let from = var("SIPAS_MAIL_FROM").ok_or("thiếu SIPAS_MAIL_FROM (vd. «Sở Nội vụ <khaosat@snv.gov.vn>»)")?;
        let from: Mailbox =
            from.trim().parse().map_err(|_| format!("SIPAS_MAIL_FROM = «{from}» không phải địa chỉ thư"))?;
        let timeout = var("SIPAS_SMTP_TIMEOUT")
            .and_then(|t| t.trim().parse().ok())
            .map_or(Duration::from_secs(30), Duration::from_secs);
        let per_minute = match var("SIPAS_MAIL_PER_MINUTE") {
            None => 60,
            Some(n) => n
                .trim()
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("SIPAS_MAIL_PER_MINUTE = «{n}»: cần số thư mỗi phút, lớn hơn 0"))?,
        };
        Ok(Some(Self { host, port, security, user, password, from, timeout, per_minute }))
    }

    fn tls(&self) -> Result<TlsParameters, Tried> {
        TlsParameters::new(self.host.clone()).map_err(|e| Tried::Stop(format!("TLS với «{}»: {e}", self.host)))
    }
}

/// How a run sends.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub plan: MailPlan,
    /// One group of the campaign, or all its roster groups.
    pub group: Option<String>,
    /// Messages a minute at most; `None`: the settings' (`SIPAS_MAIL_PER_MINUTE`).
    pub per_minute: Option<u32>,
    /// Tries of one message before it is recorded as failed.
    pub tries: u32,
    /// The wait before the first retry; doubled at each.
    pub retry_pause: Duration,
}

impl RunOptions {
    pub fn new(plan: MailPlan) -> Self {
        Self { plan, group: None, per_minute: None, tries: 3, retry_pause: Duration::from_secs(5) }
    }
}

/// Where a run stands.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Progress {
    /// People due a message when the run began.
    pub due: usize,
    pub sent: usize,
    /// Refused for now or unreachable after every try: the next run sends them.
    pub failed: usize,
    pub bounced: usize,
    /// No longer due when their turn came (answered, opted out, or another run sent it).
    pub skipped: usize,
    /// No reply after the message's end: may have arrived; not resent by itself.
    pub uncertain: usize,
    /// Why the run stopped early, if it did.
    pub stopped: Option<String>,
}

impl Progress {
    /// A run's outcome in words, for the terminal and the audit log.
    pub fn summary(&self, what: &str) -> String {
        format!(
            "{what}: {} người cần gửi; đã gửi {}, lỗi {} (lần chạy sau gửi lại), bị trả lại {}, chưa rõ {} (không gửi lại), \
             bỏ qua {} (đã trả lời, ngừng nhận hoặc đã gửi)",
            self.due, self.sent, self.failed, self.bounced, self.uncertain, self.skipped
        )
    }

    pub fn done(&self) -> usize {
        self.sent + self.failed + self.bounced + self.skipped + self.uncertain
    }
}

/// One step of a run, for progress lines that name a person by roster line only.
#[derive(Debug, Clone, Copy)]
pub struct Step<'a> {
    pub recipient: &'a Recipient,
    pub status: MailStatus,
}

/// After this many messages in a row are not sent (refused, failed or
/// bounced), the server is the problem: the run stops rather than go on.
const FAILURES_IN_A_ROW: usize = 3;

/// Sends `options.plan` to everyone due it, reporting each step.
///
/// # Errors
/// The store failing, or settings that make no transport.
pub async fn run(
    store: &dyn Store,
    campaign: &Campaign,
    smtp: &SmtpSettings,
    public_url: &str,
    options: &RunOptions,
    on_step: &mut (dyn FnMut(&Progress, Option<Step<'_>>) + Send),
) -> Result<Progress, String> {
    let due = store
        .mail_due(&campaign.id, options.group.as_deref(), options.plan)
        .await
        .map_err(|e| format!("cơ sở dữ liệu: {e}"))?;
    let mut courier = Courier { smtp, conn: None };
    let mut progress = Progress { due: due.len(), ..Progress::default() };
    on_step(&progress, None);
    let gap = Duration::from_secs(60) / options.per_minute.unwrap_or(smtp.per_minute).max(1);
    let mut next = tokio::time::Instant::now();
    let mut failures_in_a_row = 0;
    for r in &due {
        let Some(send) =
            store.claim_mail(&campaign.id, r.person_id, r.round).await.map_err(|e| format!("cơ sở dữ liệu: {e}"))?
        else {
            progress.skipped += 1;
            on_step(&progress, None);
            continue;
        };
        tokio::time::sleep_until(next).await;
        next = tokio::time::Instant::now() + gap;
        let tried = match message(campaign, r, public_url, &smtp.from) {
            Ok(m) => deliver(&mut courier, &m, options).await,
            Err(reason) => Tried::Refused(reason),
        };
        let (status, reason, stop) = match tried {
            Tried::Sent => (MailStatus::Sent, None, None),
            Tried::Bounced(why) => (MailStatus::Bounced, Some(why), None),
            Tried::Retry(why) | Tried::Refused(why) => (MailStatus::Failed, Some(why), None),
            Tried::Uncertain(why) => (MailStatus::Sending, Some(why), None),
            // Nothing reached the server: the claim is let go, to be sent next run.
            Tried::Stop(why) => (MailStatus::Failed, Some(why.clone()), Some(why)),
        };
        let outcome = MailOutcome { status, reason };
        store.finish_mail(send, &outcome).await.map_err(|e| format!("cơ sở dữ liệu: {e}"))?;
        match outcome.status {
            MailStatus::Sent => progress.sent += 1,
            MailStatus::Bounced => progress.bounced += 1,
            MailStatus::Sending => progress.uncertain += 1,
            MailStatus::Failed => progress.failed += 1,
        }
        // A server that refuses several in a row, whatever it says, is
        // refusing the run: stop rather than mark a whole roster.
        failures_in_a_row = if outcome.status == MailStatus::Sent { 0 } else { failures_in_a_row + 1 };
        on_step(&progress, Some(Step { recipient: r, status: outcome.status }));
        if let Some(why) = stop {
            progress.stopped = Some(why);
            break;
        }
        if failures_in_a_row >= FAILURES_IN_A_ROW {
            progress.stopped = Some(format!(
                "dừng sau {FAILURES_IN_A_ROW} thư liên tiếp không gửi được; lỗi cuối: {}",
                outcome.reason.as_deref().unwrap_or("không rõ")
            ));
            break;
        }
    }
    on_step(&progress, None);
    Ok(progress)
}

/// How one try of one message ended, by where it stopped: what may follow
/// depends on whether the server can have taken the message.
#[derive(Debug)]
enum Tried {
    Sent,
    /// The server refused the recipient for good, at RCPT TO: a bounce.
    Bounced(String),
    /// Nothing was taken, certainly (a failure before the end of the
    /// message, or a 4xx reply to it): may be tried again.
    Retry(String),
    /// Refused for good for a reason that is not the address (the message,
    /// a policy): not tried again in this run; the next run does.
    Refused(String),
    /// No reply after the message's end: the server may have taken it. It
    /// stays «chưa rõ» and is never sent again by itself.
    Uncertain(String),
    /// The server refuses the run itself (the sign-in, the sender): stop.
    Stop(String),
}

/// An SMTP reply as it may be kept and shown: the addresses it names
/// (servers echo the recipient) replaced, so none reaches a log or the audit log.
pub fn redact(text: &str) -> String {
    text.split_inclusive(char::is_whitespace)
        .map(|w| if w.contains('@') { "<địa chỉ>".to_owned() + &w[w.trim_end().len()..] } else { w.to_owned() })
        .collect()
}

/// Whether a refusal at RCPT TO is about the address itself: an enhanced
/// code 5.1.x (no such mailbox or domain) or 5.2.x (mailbox disabled or
/// full) at the start of the reply, or a 550/551/553 with no enhanced code.
/// A policy refusal (5.7.x: a blocked host) is not a bounce.
fn about_the_address(e: &lettre::transport::smtp::Error) -> bool {
    if !e.is_permanent() {
        return false;
    }
    let text = e.to_string();
    let detail = text.split_once("): ").map_or(text.as_str(), |(_, d)| d).trim_start();
    let first = detail.split_whitespace().next().unwrap_or_default();
    if first.starts_with("5.1.") || first.starts_with("5.2.") {
        return true;
    }
    let enhanced = first.split('.').count() == 3 && first.split('.').all(|p| p.parse::<u16>().is_ok());
    let code = e.status().map(|c| c.to_string()).unwrap_or_default();
    !enhanced && ["550", "551", "553"].contains(&code.as_str())
}

/// One connection to the SMTP server, opened when needed, dropped after
/// any failure; every step bounded by the settings' timeout.
struct Courier<'a> {
    smtp: &'a SmtpSettings,
    conn: Option<AsyncSmtpConnection>,
}

impl Courier<'_> {
    async fn step<T>(
        &self,
        f: impl std::future::Future<Output = Result<T, lettre::transport::smtp::Error>>,
    ) -> Result<T, Result<lettre::transport::smtp::Error, ()>> {
        match tokio::time::timeout(self.smtp.timeout, f).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(Ok(e)),
            Err(_) => Err(Err(())),
        }
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, Tried> {
        let s = self.smtp;
        let hello = ClientId::default();
        let tls = match s.security {
            Security::Tls => Some(s.tls()?),
            Security::StartTls | Security::None => None,
        };
        let reach = |e: Result<lettre::transport::smtp::Error, ()>| {
            let why = e.map_or_else(|()| "máy chủ không trả lời".to_owned(), |e| redact(&e.to_string()));
            Tried::Retry(format!("không kết nối được máy chủ thư {}:{}: {why}", s.host, s.port))
        };
        let mut conn = self
            .step(AsyncSmtpConnection::connect_tokio1((s.host.as_str(), s.port), Some(s.timeout), &hello, tls, None))
            .await
            .map_err(reach)?;
        if s.security == Security::StartTls {
            if !conn.can_starttls() {
                return Err(Tried::Stop(format!(
                    "máy chủ thư {} không nhận STARTTLS: không gửi thư không mã hoá",
                    s.host
                )));
            }
            let tls = s.tls()?;
            self.step(conn.starttls(tls, &hello)).await.map_err(reach)?;
        }
        if let (Some(user), Some(password)) = (&s.user, &s.password) {
            let credentials = Credentials::new(user.clone(), password.clone());
            match self.step(conn.auth(&[Mechanism::Plain, Mechanism::Login], &credentials)).await {
                Ok(_) => {}
                Err(Ok(e)) if e.is_transient() => return Err(Tried::Retry(redact(&e.to_string()))),
                Err(Ok(e)) => {
                    return Err(Tried::Stop(format!("máy chủ thư không nhận đăng nhập: {}", redact(&e.to_string()))));
                }
                Err(Err(())) => return Err(Tried::Retry("máy chủ thư không trả lời khi đăng nhập".into())),
            }
        }
        Ok(conn)
    }

    /// One try on a connection kept from the last message, or a new one;
    /// it is kept again only after a message sent.
    async fn send(&mut self, from: &Address, to: &Address, body: &[u8]) -> Tried {
        let mut conn = match self.conn.take() {
            Some(c) if !c.has_broken() => c,
            _ => match self.connect().await {
                Ok(c) => c,
                Err(t) => return t,
            },
        };
        let tried = self.exchange(&mut conn, from, to, body).await;
        if matches!(tried, Tried::Sent) {
            self.conn = Some(conn);
        } else {
            conn.abort().await;
        }
        tried
    }

    /// MAIL, RCPT, DATA, the message; each failure placed.
    async fn exchange(&self, conn: &mut AsyncSmtpConnection, from: &Address, to: &Address, body: &[u8]) -> Tried {
        let before_end = |e: Result<lettre::transport::smtp::Error, ()>| match e {
            Ok(e) if e.is_permanent() => Err(redact(&e.to_string())),
            Ok(e) => Ok(redact(&e.to_string())),
            Err(()) => Ok("máy chủ thư không trả lời".to_owned()),
        };
        if let Err(e) = self.step(conn.command(Mail::new(Some(from.clone()), vec![]))).await {
            return match before_end(e) {
                Ok(why) => Tried::Retry(why),
                Err(why) => Tried::Stop(format!("máy chủ thư không nhận địa chỉ gửi: {why}")),
            };
        }
        if let Err(e) = self.step(conn.command(Rcpt::new(to.clone(), vec![]))).await {
            return match e {
                Ok(e) if about_the_address(&e) => Tried::Bounced(redact(&e.to_string())),
                e => match before_end(e) {
                    Ok(why) => Tried::Retry(why),
                    Err(why) => Tried::Refused(why),
                },
            };
        }
        if let Err(e) = self.step(conn.command(Data)).await {
            return match before_end(e) {
                Ok(why) => Tried::Retry(why),
                Err(why) => Tried::Refused(why),
            };
        }
        match self.step(conn.message(body)).await {
            Ok(_) => Tried::Sent,
            // A reply that refuses: the message was not taken.
            Err(Ok(e)) if e.is_transient() => Tried::Retry(redact(&e.to_string())),
            Err(Ok(e)) if e.is_permanent() => Tried::Refused(redact(&e.to_string())),
            // No reply, or not one to read: the server may have taken it.
            Err(e) => {
                let why = e.map_or_else(|()| "không có trả lời".to_owned(), |e| redact(&e.to_string()));
                Tried::Uncertain(format!("không rõ máy chủ đã nhận thư chưa ({why}); không tự gửi lại"))
            }
        }
    }
}

async fn deliver(courier: &mut Courier<'_>, m: &Message, options: &RunOptions) -> Tried {
    let (Some(from), Some(to)) = (m.envelope().from(), m.envelope().to().first()) else {
        return Tried::Refused("thư thiếu người gửi hoặc người nhận".into());
    };
    let body = m.formatted();
    let mut pause = options.retry_pause;
    let mut last = Tried::Retry(String::new());
    for attempt in 1..=options.tries.max(1) {
        match courier.send(from, to, &body).await {
            Tried::Retry(why) => {
                tracing::warn!(attempt, error = %why, "máy chủ thư chưa nhận thư; thử lại");
                last = Tried::Retry(why);
                if attempt < options.tries {
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                }
            }
            done => return done,
        }
    }
    last
}

/// Where a person asks for no more e-mail: a page that asks them to confirm
/// (a link scanner's visit changes nothing), and the one-click POST of RFC 8058.
pub fn unsubscribe_link(public_url: &str, token: &sipas_shared::Token) -> String {
    format!("{}/ngung-nhan-thu", link(public_url, token))
}

/// The message to one person: plain text and HTML, in Vietnamese.
///
/// # Errors
/// An address or header the message cannot carry.
pub fn message(campaign: &Campaign, r: &Recipient, public_url: &str, from: &Mailbox) -> Result<Message, String> {
    let url = link(public_url, &r.token);
    let stop = unsubscribe_link(public_url, &r.token);
    let entry = format!("{}/k", public_url.trim_end_matches('/'));
    let unit = campaign.unit(&r.unit).map_or(r.unit.as_str(), |u| u.name.as_str());
    let group = campaign.group(&r.group).map_or(r.group.as_str(), |g| g.name.as_str());
    let organiser = campaign.organiser.as_deref().unwrap_or("Ban tổ chức khảo sát");
    let deadline = campaign.closes.format("%d/%m/%Y").to_string();
    let code = crate::slips::display_code(&r.code);
    let reminder = r.round > 0;
    let subject = if reminder {
        format!("Nhắc: xin Ông/Bà trả lời phiếu {}", campaign.name)
    } else {
        format!("Mời tham gia {}", campaign.name)
    };
    let opening = if reminder {
        format!(
            "{organiser} chưa nhận được phiếu trả lời của Ông/Bà cho {}. Nếu Ông/Bà đã trả lời trong mấy ngày qua, xin bỏ qua thư này.",
            campaign.name
        )
    } else {
        format!("{organiser} trân trọng mời Ông/Bà tham gia {} ({group}, {unit}).", campaign.name)
    };
    let anonymity = "Phiếu khảo sát ẩn danh: câu trả lời không gắn với tên hay địa chỉ thư của Ông/Bà. \
                     Đường dẫn dưới đây dành riêng cho Ông/Bà và chỉ dùng được một lần; xin đừng chuyển tiếp thư này.";
    let contact = campaign.contact.as_deref().map(|c| format!("Cần hỗ trợ: {c}."));
    let text = format!(
        "Kính gửi Ông/Bà {name},\n\n{opening}\n\n{anonymity}\n\nTrả lời phiếu: {url}\n\n\
         Nếu đường dẫn không mở được, vào {entry} và nhập mã: {code}\n\nXin trả lời trước ngày {deadline}.\n{contact}\n\n\
         {organiser}\n\n--\nKhông muốn nhận thêm thư về khảo sát này: {stop}\n",
        name = r.name,
        contact = contact.clone().unwrap_or_default(),
    );
    let body = html! {
        (maud::DOCTYPE)
        html lang="vi" {
            head { meta charset="utf-8"; title { (subject) } }
            body style="font:16px/1.5 Arial,sans-serif;color:#1a1a1a;max-width:560px;margin:0 auto;padding:16px" {
                p { "Kính gửi Ông/Bà " (r.name) "," }
                p { (opening) }
                p { (anonymity) }
                p style="margin:24px 0" {
                    a href=(url) style="background:#0b5cad;color:#fff;padding:12px 20px;border-radius:6px;text-decoration:none;display:inline-block;font-weight:bold" {
                        "Trả lời phiếu khảo sát"
                    }
                }
                p style="font-size:14px" { "Nếu nút trên không mở được, vào " a href=(entry) { (entry) } " và nhập mã " b style="font-family:monospace;font-size:16px" { (code) } "." }
                p { "Xin trả lời trước ngày " b { (deadline) } "." @if let Some(c) = &contact { " " (c) } }
                p { (organiser) }
                hr style="border:0;border-top:1px solid #ccc";
                p style="font-size:13px;color:#555" { "Không muốn nhận thêm thư về khảo sát này? " a href=(stop) { "Ngừng nhận thư" } }
            }
        }
    };
    let to: Mailbox =
        Mailbox::new(Some(r.name.clone()), r.email.as_str().parse().map_err(|e| format!("địa chỉ thư: {e}"))?);
    let mut m = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(subject)
        .message_id(None)
        .raw_header(HeaderValue::new(HeaderName::new_from_ascii_str("List-Unsubscribe"), format!("<{stop}>")))
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
            "List-Unsubscribe=One-Click".into(),
        ))
        .multipart(
            MultiPart::alternative()
                .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(text))
                .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(body.into_string())),
        )
        .map_err(|e| format!("thư: {e}"))?;
    // No «Bcc» or server-side trace of the roster: one recipient a message.
    m.headers_mut().remove::<lettre::message::header::Bcc>();
    Ok(m)
}
