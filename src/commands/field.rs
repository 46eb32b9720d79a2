//! Field operations from the command line: `sample`, `invitations`, `user`.

use super::{Failure, open_campaign};
use crate::cli::{SlipFormat, UserCommand};
use sipas_shared::StoreError;
use sipas_shared::field::sampling;
use sipas_shared::model::auth::{self, AccountChange, MIN_PASSWORD, Role};
use sipas_shared::ops;
use sipas_shared::store;
use std::io::{BufRead, Write};
use std::path::Path;

/// Who the audit log names for what is done from the command line.
pub(super) const CLI_ACTOR: &str = "dòng lệnh";

pub async fn sample(db: &str, id: &str, seed: Option<u64>, reserve: u32) -> Result<(), Failure> {
    if reserve > 500 {
        return Err(Failure::BadInput(format!("--reserve {reserve}: tỷ lệ dự phòng phải từ 0 đến 500 (%)")));
    }
    let (store, campaign) = open_campaign(db, id).await?;
    // Without a seed, a fresh one, printed so the draw can be repeated.
    let seed = seed.unwrap_or_else(sampling::fresh_seed);
    let rows = ops::sampling::run(&*store, &campaign, seed, reserve, CLI_ACTOR).await?;
    println!("Chọn mẫu đợt {} (seed {seed}, dự phòng {reserve} %):", campaign.id);
    println!(
        "{:<24} {:<12} {:>7} {:>9} {:>8} {:>8} {:>9}",
        "đơn vị", "nhóm", "chỉ tiêu", "khung mẫu", "cỡ nên có", "rút thêm", "dự phòng"
    );
    use sipas_shared::model::text::ellipsis;
    let (mut drawn, mut reserves) = (0, 0);
    for r in &rows {
        let recommended = if r.frame > 0 { r.recommended.to_string() } else { "–".to_owned() };
        let unit = campaign.unit(&r.unit).map_or(r.unit.as_str(), |u| u.name.as_str());
        let group = campaign.group(&r.group).map_or(r.group.as_str(), |g| g.name.as_str());
        print!(
            "{:<24} {:<12} {:>7} {:>9} {:>8} {:>8} {:>9}",
            ellipsis(unit, 24),
            ellipsis(group, 12),
            r.quota,
            r.frame,
            recommended,
            r.drawn,
            r.reserves
        );
        if r.short > 0 {
            if campaign.group(&r.group).is_some_and(|g| g.households.is_some()) {
                print!("  thiếu {} (thôn chưa chọn hoặc chưa có danh sách hộ)", r.short);
            } else {
                print!("  thiếu {} (khung mẫu quá ít)", r.short);
            }
        }
        println!();
        drawn += r.drawn;
        reserves += r.reserves;
    }
    println!("Đã phát {drawn} phiếu mời và {reserves} người dự phòng. Người đã được mời trước đó không bị rút lại.");
    if drawn == 0 && reserves == 0 {
        println!(
            "Không rút thêm ai: chỉ tiêu và dự phòng đã đủ theo tỷ lệ {reserve} % (kể cả dự phòng đã dùng). \
             Nếu một ô đã hết người dự phòng, bấm «Rút thêm dự phòng» trên trang đơn vị, \
             hoặc chạy lại với tỷ lệ lớn hơn, vd. --reserve {}.",
            reserve + 50
        );
    }
    Ok(())
}

/// What `sipas invitations` prints.
#[derive(Debug, Clone, Copy)]
pub enum Printout {
    Slips(SlipFormat),
    /// One A4 poster per unit's counter.
    Posters,
}

pub async fn invitations(
    db: &str,
    id: &str,
    unit: Option<&str>,
    what: Printout,
    public_url: &str,
    out: Option<&Path>,
) -> Result<(), Failure> {
    if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
        return Err(Failure::BadInput(format!(
            "--public-url «{public_url}»: cần địa chỉ đầy đủ người trả lời mở được, vd. https://khaosat.example.gov.vn"
        )));
    }
    let (store, campaign) = open_campaign(db, id).await?;
    if let Some(u) = unit
        && campaign.unit(u).is_none()
    {
        return Err(Failure::BadInput(format!("đợt {id} không có đơn vị «{u}»")));
    }
    let (body, count, what) = match what {
        Printout::Posters => {
            if !campaign.counter_poster {
                return Err(Failure::BadInput(format!("đợt {id}: {}", sipas_collector::slips::NO_POSTERS)));
            }
            let units = sipas_collector::slips::counter_units(&campaign, unit);
            let html = sipas_collector::slips::counter_posters_html(&campaign, &units, public_url);
            (html.into_string().into_bytes(), units.len(), "áp phích")
        }
        Printout::Slips(format) => {
            let all = store.slips(&campaign.id, unit).await?;
            let open = sipas_collector::slips::printable(&all);
            let body = match format {
                SlipFormat::Html => {
                    sipas_collector::slips::slips_html(&campaign, &open, public_url).into_string().into_bytes()
                }
                SlipFormat::Csv => sipas_collector::slips::slips_csv(&campaign, &open, public_url)
                    .map_err(|e| Failure::Other(e.to_string()))?,
                SlipFormat::Zalo => {
                    let (body, missing) = sipas_collector::slips::zalo_csv(&campaign, &open)
                        .map_err(|e| Failure::Other(e.to_string()))?;
                    if missing > 0 {
                        eprintln!(
                            "{missing} phiếu mời không có số điện thoại: không có trong tệp Zalo (in phiếu giấy cho họ)"
                        );
                    }
                    body
                }
            };
            (body, open.len(), "phiếu mời")
        }
    };
    match out {
        Some(path) => {
            std::fs::write(path, &body).map_err(|e| Failure::Other(format!("{}: {e}", path.display())))?;
            eprintln!("Đã ghi {count} {what} vào {}", path.display());
        }
        None => std::io::stdout().write_all(&body)?,
    }
    Ok(())
}

pub async fn user(db: &str, cmd: UserCommand) -> Result<(), Failure> {
    let store = store::connect(db).await?;
    match cmd {
        UserCommand::Add { role, units, campaign, password_stdin, name } => {
            let role = Role::from(role);
            let name = name.trim().to_owned();
            if name.is_empty() || name.chars().any(char::is_whitespace) || name.chars().count() > 64 {
                return Err(Failure::BadInput(format!(
                    "tên đăng nhập «{name}»: không để trống, không có dấu cách, tối đa 64 ký tự"
                )));
            }
            if role == Role::Enumerator && units.is_empty() {
                return Err(Failure::BadInput("điều tra viên cần ít nhất một --unit MÃ_ĐƠN_VỊ".into()));
            }
            if role != Role::Enumerator && !units.is_empty() {
                return Err(Failure::BadInput("--unit chỉ dùng cho vai trò enumerator".into()));
            }
            let units = assigned_units(&*store, campaign.as_deref(), &units).await?;
            let (password, generated) = read_password(password_stdin)?;
            let hash = auth::hash_password(&password).map_err(Failure::Other)?;
            match store.add_user(&name, role, &units, &hash).await {
                Ok(_) => {}
                Err(StoreError::Duplicate(m)) => return Err(Failure::BadInput(m)),
                Err(e) => return Err(e.into()),
            }
            let scope = if units.is_empty() { String::new() } else { format!(" (đơn vị {})", units.join(", ")) };
            println!("Đã thêm tài khoản {name}, vai trò {}{scope}.", role.label());
            if generated {
                println!("Mật khẩu (chỉ hiện một lần): {password}");
            }
            Ok(())
        }
        UserCommand::Token { label, days, name } => {
            if !(1..=3650).contains(&days) {
                return Err(Failure::BadInput(format!("--days {days}: từ 1 đến 3650 ngày")));
            }
            let (user, _) = store
                .user_by_name(&name)
                .await?
                .ok_or_else(|| Failure::BadInput(format!("không có tài khoản «{name}»")))?;
            if user.disabled {
                return Err(Failure::BadInput(format!("tài khoản «{name}» đang tạm ngừng (sipas user enable {name})")));
            }
            let secret = auth::new_secret();
            let expires = sipas_shared::model::clock::now() + chrono::Duration::days(days);
            store.add_api_token(&auth::secret_hash(&secret), user.id, &label, expires).await?;
            eprintln!(
                "Khoá API của {name} ({}), chỉ hiện một lần, dùng được cho /api/v1 đến {}; gửi trong tiêu đề «Authorization: Bearer …»:",
                user.role.label(),
                expires.with_timezone(&sipas_shared::model::clock::zone("Asia/Ho_Chi_Minh")).format("%d/%m/%Y")
            );
            println!("{secret}");
            Ok(())
        }
        UserCommand::List => {
            for u in store.users().await? {
                let state = if u.disabled { "tạm ngừng" } else { "hoạt động" };
                println!("{}\t{}\t{state}\t{}", u.name, u.role, u.units.join(","));
            }
            Ok(())
        }
        UserCommand::Disable { name } => change(&*store, &name, AccountChange::Disable, "Đã tạm ngừng").await,
        UserCommand::Enable { name } => change(&*store, &name, AccountChange::Enable, "Đã mở lại").await,
        UserCommand::Unlock { name } => change(&*store, &name, AccountChange::Unlock, "Đã gỡ khoá đăng nhập của").await,
        UserCommand::Revoke { name } => {
            change(&*store, &name, AccountChange::RevokeTokens, "Đã thu hồi khoá API của").await
        }
        UserCommand::Passwd { password_stdin, name } => {
            let (password, generated) = read_password(password_stdin)?;
            let hash = auth::hash_password(&password).map_err(Failure::Other)?;
            change(&*store, &name, AccountChange::Password(hash), "Đã đặt lại mật khẩu của").await?;
            if generated {
                println!("Mật khẩu mới (chỉ hiện một lần): {password}");
            }
            Ok(())
        }
        UserCommand::Units { units, campaign, name } => {
            let (user, _) = store
                .user_by_name(&name)
                .await?
                .ok_or_else(|| Failure::BadInput(format!("không có tài khoản «{name}»")))?;
            if user.role != Role::Enumerator {
                return Err(Failure::BadInput(format!(
                    "«{name}» không phải điều tra viên: chỉ điều tra viên được giao đơn vị"
                )));
            }
            let units = assigned_units(&*store, campaign.as_deref(), &units).await?;
            let done = format!("Đã giao {} cho", units.join(", "));
            change(&*store, &name, AccountChange::Units(units), &done).await
        }
    }
}

/// Applies an account change and says what was done.
async fn change(store: &dyn store::Store, name: &str, what: AccountChange, done: &str) -> Result<(), Failure> {
    let revoking = what == AccountChange::RevokeTokens;
    let Some(n) = store.change_user(name, &what, CLI_ACTOR).await? else {
        return Err(Failure::BadInput(format!("không có tài khoản «{name}»; xem `sipas user list`")));
    };
    if revoking {
        println!("{done} {name}: {n} khoá.");
    } else {
        println!("{done} tài khoản {name}.");
    }
    Ok(())
}

/// An enumerator's units, each checked against the campaigns in the store.
async fn assigned_units(
    store: &dyn store::Store,
    campaign: Option<&str>,
    given: &[String],
) -> Result<Vec<String>, Failure> {
    if given.is_empty() {
        return Ok(Vec::new());
    }
    let mut campaigns = Vec::new();
    for c in store.campaigns().await? {
        if let Some(full) = store.campaign(&c.id).await? {
            campaigns.push(full);
        }
    }
    auth::resolve_units(&campaigns, campaign, given).map_err(|e| Failure::BadInput(format!("--unit: {e}")))
}

/// A password from the first line of standard input, or a fresh one.
fn read_password(from_stdin: bool) -> Result<(String, bool), Failure> {
    let (password, generated) = if from_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        (line.trim_end_matches(['\r', '\n']).to_owned(), false)
    } else {
        (auth::new_password(), true)
    };
    if password.chars().count() < MIN_PASSWORD {
        return Err(Failure::BadInput(format!("mật khẩu phải có ít nhất {MIN_PASSWORD} ký tự")));
    }
    Ok((password, generated))
}

/// `sipas counter enrol`: a screen for a unit's counter; its address is shown
/// once (only a hash of the secret in it is kept).
pub async fn enrol_device(
    db: &str,
    id: &str,
    unit: &str,
    label: &str,
    mode: &str,
    public_url: Option<&str>,
) -> Result<(), Failure> {
    let Some(mode) = sipas_collector::KioskMode::parse_stored(mode) else {
        return Err(Failure::BadInput(format!(
            "--mode «{mode}»: dùng open (ai cũng bắt đầu), staff (cán bộ bấm sau mỗi giao dịch) hoặc 1in5 (cán bộ bấm, máy chọn 1 trong 5 người)"
        )));
    };
    let Some(public_url) = public_url.filter(|u| u.starts_with("http://") || u.starts_with("https://")) else {
        return Err(Failure::BadInput(
            "--public-url: cần địa chỉ đầy đủ mà màn hình mở được, vd. https://khaosat.example.gov.vn".into(),
        ));
    };
    let (store, campaign) = open_campaign(db, id).await?;
    if campaign.unit(unit).is_none() {
        return Err(Failure::BadInput(format!("đợt {id} không có đơn vị «{unit}»")));
    }
    let link = enrol(&*store, &campaign.id, unit, label, &mode.code(), "dòng lệnh", public_url).await?;
    println!("{link}");
    eprintln!(
        "Mở đường dẫn này một lần trên màn hình tại Bộ phận một cửa (trên máy tính bảng cho người dân tự trả lời: thêm /kiosk), \
         trong vòng {} giờ: thiết bị giữ khoá riêng trong cookie, đường dẫn sau đó không dùng được nữa.",
        sipas_shared::store::field::DEVICE_CLAIM_HOURS
    );
    Ok(())
}

/// Enrols a device and returns its one-time enrolment link.
pub async fn enrol(
    store: &dyn store::Store,
    campaign: &str,
    unit: &str,
    label: &str,
    mode: &str,
    actor: &str,
    public_url: &str,
) -> Result<String, Failure> {
    let secret = sipas_shared::model::auth::new_secret();
    store.enrol_device(campaign, unit, label, mode, &sipas_shared::model::auth::secret_hash(&secret), actor).await?;
    Ok(format!("{}/d/{secret}", public_url.trim_end_matches('/')))
}
