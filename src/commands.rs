//! What each subcommand does, and how failures map to exit codes.

use crate::cli::{CampaignCommand, Cli, Command};
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
    /// The command is not part of this build yet (exit 1).
    NotYet(&'static str),
    /// Anything else (exit 1).
    Other(String),
}

impl Failure {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Failure::BadInput(_) => ExitCode::from(2),
            Failure::NotYet(_) | Failure::Other(_) => ExitCode::FAILURE,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::BadInput(m) | Failure::Other(m) => f.write_str(m),
            Failure::NotYet(cmd) => {
                write!(f, "lệnh «sipas {cmd}» chưa có trong phiên bản này; chưa có gì được thay đổi")
            }
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
        Command::Serve { addr, demo } => serve(&cli.db, addr, demo).await,
        Command::Campaign(CampaignCommand::Load { file }) => {
            let campaign = Campaign::load(&file)?;
            let store = store::connect(&cli.db).await?;
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
                println!("{}\t{}\t{}\t{} – {}", c.id, c.year, c.name, c.opens, c.closes);
            }
            Ok(())
        }
        Command::Frame(_) => Err(Failure::NotYet("frame import")),
        Command::Sample { .. } => Err(Failure::NotYet("sample")),
        Command::Invitations { .. } => Err(Failure::NotYet("invitations")),
        Command::Responses(_) => Err(Failure::NotYet("responses import")),
        Command::Report { .. } => Err(Failure::NotYet("report")),
        Command::Export { .. } => Err(Failure::NotYet("export")),
        Command::Par(_) => Err(Failure::NotYet("par import-appraisal")),
        Command::Demo(_) => Err(Failure::NotYet("demo generate")),
        Command::User(_) => Err(Failure::NotYet("user add")),
    }
}

async fn serve(db: &str, addr: std::net::SocketAddr, demo: bool) -> Result<(), Failure> {
    let store: Arc<dyn Store> = store::connect(db).await?;
    if demo {
        if store.is_empty().await? {
            let campaign = sipas_shared::examples::quang_binh()?;
            store.save_campaign(&campaign).await?;
            println!("Đã nạp đợt khảo sát mẫu «{}» ({} đơn vị).", campaign.id, campaign.units.len());
        } else {
            println!("Cơ sở dữ liệu đã có dữ liệu: không nạp đợt khảo sát mẫu.");
        }
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| Failure::BadInput(format!("không mở được cổng {addr}: {e}")))?;
    let local = listener.local_addr()?;
    println!("sipas đang phục vụ tại http://{local} ({:?}, {db_kind})", store.backend(), db_kind = redact(db));
    let app = sipas_collector::app(sipas_collector::AppState::new(store));
    axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).await?;
    Ok(())
}

/// The database URL without credentials, for logs.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => format!("{}://…@{}", &url[..scheme], &url[at + 1..]),
        _ => url.to_owned(),
    }
}

async fn shutdown_signal() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}
