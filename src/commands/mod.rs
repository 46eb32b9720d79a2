//! What each subcommand does, and how failures map to exit codes.

mod data;
mod field;
mod households;
mod listen;
mod mail;
mod serve;

use crate::cli::{CampaignCommand, Cli, Command, DemoCommand, FrameCommand, ParCommand, ResponsesCommand};
use indicatif::{ProgressBar, ProgressStyle};
use sipas_shared::store::{self, Store};
use sipas_shared::{Campaign, SourceError, StoreError};
use std::fmt;
use std::process::ExitCode;
use std::sync::Arc;

/// Why a command failed; decides the exit code.
#[derive(Debug)]
pub enum Failure {
    /// The user's input is wrong (exit 2).
    BadInput(String),
    /// Anything else (exit 1).
    Other(String),
}

impl Failure {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Failure::BadInput(_) => ExitCode::from(2),
            Failure::Other(_) => ExitCode::FAILURE,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::BadInput(m) | Failure::Other(m) => f.write_str(m),
        }
    }
}

impl From<SourceError> for Failure {
    fn from(e: SourceError) -> Self {
        Failure::BadInput(e.to_string())
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::UnsupportedUrl(_) => Failure::BadInput(e.to_string()),
            other => Failure::Other(other.to_string()),
        }
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::Other(e.to_string())
    }
}

pub async fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Serve { addr, demo, public_url, trust_proxy, no_rate_limits, header_timeout, max_connections } => {
            let limits = (!no_rate_limits).then(|| Arc::new(sipas_collector::throttle::Limits::standard(trust_proxy)));
            let max_connections = max_connections.max(1);
            let server_limits = listen::ServerLimits {
                header_read: std::time::Duration::from_secs(header_timeout.max(1)),
                max_connections,
                // Behind a proxy every connection comes from the proxy: a cap
                // per address would cap the whole service. The proxy limits
                // its clients' connections itself (nginx `limit_conn`).
                per_client: if trust_proxy > 0 { max_connections } else { listen::ServerLimits::default().per_client },
                ..listen::ServerLimits::default()
            };
            serve::serve(&cli.db, addr, demo, public_url.as_deref(), limits, server_limits).await
        }
        Command::Backup { out } => {
            let bytes = store::backup::backup(&cli.db, &out).await.map_err(bad_input)?;
            println!("Đã sao lưu vào {} ({} KB).", out.display(), bytes.div_ceil(1024));
            eprintln!(
                "Bản sao không chứa khoá dịch vụ: giữ tệp khoá (hoặc SIPAS_KEY) ở nơi khác, an toàn như bản sao."
            );
            Ok(())
        }
        Command::Restore { file, replace } => {
            store::backup::restore(&file, &cli.db, replace).await.map_err(bad_input)?;
            println!("Đã khôi phục {} từ {}.", cli.db, file.display());
            Ok(())
        }
        Command::Campaign(CampaignCommand::Load { file }) => {
            let campaign = Campaign::load(&file)?;
            let store = store::connect(&cli.db).await?;
            // A campaign that follows another is checked against it when it
            // is here: every old unit the lineage names, none forgotten.
            if let Some(previous) = &campaign.follows {
                match store.campaign(previous).await? {
                    Some(previous) => {
                        let errors = sipas_shared::model::lineage::check_against(&campaign, &previous);
                        if !errors.is_empty() {
                            for e in &errors {
                                eprintln!("{e}");
                            }
                            return Err(Failure::BadInput(format!(
                                "tệp sắp xếp đơn vị không khớp với đợt khảo sát trước «{}»: {} lỗi",
                                previous.id,
                                errors.len()
                            )));
                        }
                    }
                    None => eprintln!(
                        "Đợt khảo sát trước «{previous}» chưa có trong cơ sở dữ liệu: chưa đối chiếu được các đơn vị cũ \
                         (nạp đợt đó rồi nạp lại đợt này, hoặc nhập số liệu đã công bố của năm trước)."
                    ),
                }
            }
            let created = store.save_campaign(&campaign).await?;
            let quotas = campaign.quotas();
            let ballots: u32 = quotas.iter().map(|q| q.quota).sum();
            println!(
                "{} đợt khảo sát {}: {} đơn vị, {} nhóm đối tượng, {} phiếu theo chỉ tiêu",
                if created { "Đã tạo" } else { "Đã cập nhật" },
                campaign.id,
                campaign.units.len(),
                campaign.groups.len(),
                ballots
            );
            Ok(())
        }
        Command::Campaign(CampaignCommand::List) => {
            let store = store::connect(&cli.db).await?;
            for c in store.campaigns().await? {
                println!(
                    "{}\t{}\t{}\t{} – {}",
                    c.id,
                    c.year,
                    c.name,
                    c.opens.format("%d/%m/%Y"),
                    c.closes.format("%d/%m/%Y")
                );
            }
            Ok(())
        }
        Command::Frame(FrameCommand::Import { campaign, unit, file, skip_bad, group, force, replace }) => {
            let allow = sipas_shared::ops::frame::Allow { bad_rows: skip_bad, other_unit: force, replace };
            data::import_frame(&cli.db, &campaign, &unit, &file, allow, group.as_deref()).await
        }
        Command::Frame(FrameCommand::List { campaign }) => data::list_frames(&cli.db, &campaign).await,
        Command::Frame(FrameCommand::Remove { campaign, unit, group }) => {
            data::remove_frame(&cli.db, &campaign, &unit, group.as_deref()).await
        }
        Command::Villages(crate::cli::VillageCommand::Import { campaign, file, skip_bad }) => {
            households::import_villages(&cli.db, &campaign, &file, skip_bad).await
        }
        Command::Villages(crate::cli::VillageCommand::Draw { campaign, seed }) => {
            households::draw_villages(&cli.db, &campaign, seed).await
        }
        Command::Villages(crate::cli::VillageCommand::List { campaign }) => {
            households::list_villages(&cli.db, &campaign).await
        }
        Command::Households(crate::cli::HouseholdCommand::Import { campaign, unit, file, skip_bad, replace }) => {
            households::import_households(&cli.db, &campaign, &unit, &file, skip_bad, replace).await
        }
        Command::Sample { campaign, seed, reserve } => field::sample(&cli.db, &campaign, seed, reserve).await,
        Command::Invitations { mail: Some(command), .. } => mail::run(&cli.db, command).await,
        Command::Invitations { mail: None, campaign, unit, format, counter_posters, public_url, out } => {
            let (Some(campaign), Some(public_url)) = (campaign, public_url) else {
                return Err(Failure::BadInput("cần --campaign và --public-url".into()));
            };
            let what = match format {
                _ if counter_posters => field::Printout::Posters,
                Some(f) => field::Printout::Slips(f),
                None => field::Printout::Slips(crate::cli::SlipFormat::Html),
            };
            field::invitations(&cli.db, &campaign, unit.as_deref(), what, &public_url, out.as_deref()).await
        }
        Command::Responses(ResponsesCommand::Import { campaign, file, verify, allow_over_quota }) => {
            data::import_responses(&cli.db, &campaign, &file, verify.as_deref(), allow_over_quota).await
        }
        Command::Responses(ResponsesCommand::ImportQueue { campaign, file }) => {
            mail::import_queue(&cli.db, &campaign, &file).await
        }
        Command::Responses(ResponsesCommand::Numbers { campaign, unit, spare }) => {
            data::ballot_numbers(&cli.db, &campaign, unit.as_deref(), spare).await
        }
        Command::Report { campaign, by, format, out, compare, source, from, to } => {
            let filter = sipas_aggregator::filter::Filter::parse(source.as_deref(), from.as_deref(), to.as_deref())
                .map_err(|e| Failure::BadInput(format!("--{}: {}", e.field, e.message)))?;
            data::report(&cli.db, &campaign, by.as_deref(), format, out.as_deref(), compare.as_deref(), &filter).await
        }
        Command::Export { campaign, format, out } => data::export(&cli.db, &campaign, format, out.as_deref()).await,
        Command::Par(ParCommand::ImportAppraisal { campaign, file }) => {
            data::import_appraisal(&cli.db, &campaign, &file).await
        }
        Command::Demo(DemoCommand::Generate(args)) => data::generate(&cli.db, &args).await,
        Command::User(cmd) => field::user(&cli.db, cmd).await,
        Command::Counter(crate::cli::CounterCommand::Enrol { campaign, unit, label, mode, public_url }) => {
            field::enrol_device(&cli.db, &campaign, &unit, &label, &mode, public_url.as_deref()).await
        }
        Command::Counter(crate::cli::CounterCommand::List { campaign }) => {
            let (store, campaign) = open_campaign(&cli.db, &campaign).await?;
            for d in store.devices(&campaign.id).await? {
                let unit = campaign.unit(&d.unit).map_or(d.unit.as_str(), |u| u.name.as_str());
                let state = if d.revoked { "đã thu hồi" } else { "đang dùng" };
                let mode = sipas_collector::KioskMode::describe(&d.mode);
                println!("{}\t{unit}\t{}\t{mode}\t{state}", d.id, d.label);
            }
            Ok(())
        }
        Command::Counter(crate::cli::CounterCommand::Revoke { campaign, device }) => {
            let (store, campaign) = open_campaign(&cli.db, &campaign).await?;
            if !store.revoke_device(&campaign.id, device, "dòng lệnh").await? {
                return Err(Failure::BadInput(format!(
                    "đợt {} không có màn hình số {device} đang dùng; xem `sipas counter list --campaign {}`",
                    campaign.id, campaign.id
                )));
            }
            println!("Đã thu hồi màn hình số {device}: màn hình và máy tính bảng đó dừng ngay.");
            Ok(())
        }
    }
}

/// A store error the user can fix (a wrong path, key or URL): exit code 2.
fn bad_input(e: StoreError) -> Failure {
    match e {
        StoreError::Database(_) | StoreError::Migrate(_) => Failure::Other(e.to_string()),
        other => Failure::BadInput(other.to_string()),
    }
}

/// Opens the store and finds a campaign, or says how to list them.
async fn open_campaign(db: &str, id: &str) -> Result<(Arc<dyn Store>, Campaign), Failure> {
    let store = store::connect(db).await?;
    let campaign = store.campaign(id).await?.ok_or_else(|| {
        Failure::BadInput(format!("không có đợt khảo sát «{id}»; xem danh sách bằng `sipas campaign list`"))
    })?;
    Ok((store, campaign))
}

/// A counter on standard error for long work; invisible when not a terminal.
fn progress(message: &'static str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg}: {pos} phiếu ({per_sec})") {
        bar.set_style(style);
    }
    bar.set_message(message);
    bar
}

/// A bar with a known length on standard error; invisible when not a terminal.
fn progress_bar(len: u64, message: &'static str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} ({per_sec}, còn {eta})") {
        bar.set_style(style);
    }
    bar.set_message(message);
    bar
}
