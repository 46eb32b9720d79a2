//! `sipas serve`: the collector over the chosen store.

use super::Failure;
use sipas_shared::Campaign;
use sipas_shared::store::{self, NewInvitation, Store};
use std::io::Write;
use std::sync::Arc;

/// Synthetic responses loaded by `serve --demo`.
const DEMO_RESPONSES: u64 = 600;
/// … and by `serve --demo province` (of 6,960 ballots).
const DEMO_PROVINCE_RESPONSES: u64 = 6_000;

pub async fn serve(
    db: &str,
    addr: std::net::SocketAddr,
    demo: Option<crate::cli::DemoExample>,
    public_url: Option<&str>,
    limits: Option<Arc<sipas_collector::throttle::Limits>>,
    server_limits: super::listen::ServerLimits,
) -> Result<(), Failure> {
    let store: Arc<dyn Store> = store::connect(db).await?;
    if sipas_shared::model::clock::is_moved() {
        tracing::warn!(now = %sipas_shared::model::clock::now(), "{} đặt đồng hồ của dịch vụ: chỉ dùng để kiểm thử", sipas_shared::model::clock::NOW_VAR);
    }
    let mut fresh_demo = None;
    if let Some(example) = demo {
        if store.is_empty().await? {
            let province = example == crate::cli::DemoExample::Province;
            let campaign = if province {
                sipas_shared::files::examples::province()?
            } else {
                sipas_shared::files::examples::quang_binh()?
            };
            store.save_campaign(&campaign).await?;
            if province {
                // The villages drawn as a real draw would, so the report's
                // design-weighted figures have a design to rest on.
                let rows = sipas_shared::files::frame::csv_rows(sipas_shared::files::examples::province_villages());
                let from = sipas_shared::ops::frame::Provenance { actor: "demo", file_name: "villages.csv" };
                sipas_shared::ops::households::import_villages(&*store, &campaign, &rows, Default::default(), from)
                    .await
                    .map_err(|e| Failure::Other(e.to_string()))?;
                sipas_shared::ops::households::demo_design(&*store, &campaign, 2026).await?;
            }
            // Most ballots answered, so the report pages have something to show.
            let count = if province { DEMO_PROVINCE_RESPONSES } else { DEMO_RESPONSES };
            let n = super::data::insert_demo(&*store, &campaign, count, 2026, false).await?;
            println!(
                "Đã nạp đợt khảo sát mẫu «{}» ({} đơn vị) với {n} phiếu giả lập.",
                campaign.id,
                campaign.units.len()
            );
            let password = sipas_shared::model::auth::new_password();
            let hash = sipas_shared::model::auth::hash_password(&password).map_err(Failure::Other)?;
            store.add_user("admin", sipas_shared::model::auth::Role::Admin, &[], &hash).await?;
            println!("Tài khoản quản trị mẫu: admin / {password} (đăng nhập tại /login)");
            fresh_demo = Some(campaign);
        } else {
            println!("Cơ sở dữ liệu đã có dữ liệu: không nạp đợt khảo sát mẫu.");
        }
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| Failure::BadInput(format!("không mở được cổng {addr}: {e}")))?;
    let local = listener.local_addr()?;
    println!("sipas đang phục vụ tại http://{local} ({:?}, {db_kind})", store.backend(), db_kind = redact(db));
    let public_url = public_url.map_or_else(|| format!("http://{local}"), |u| u.trim_end_matches('/').to_owned());
    if let Some(campaign) = fresh_demo {
        print_demo_links(&*store, &campaign, &public_url).await?;
    }
    tokio::spawn(sweep_every(store.clone(), limits.clone(), SWEEP_EVERY));
    // A wrong mail setting stops the start, rather than the first send.
    let smtp = sipas_collector::mail::SmtpSettings::from_env().map_err(Failure::BadInput)?;
    let state = sipas_collector::AppState::new(store.clone(), public_url).with_limits(limits).with_smtp(smtp);
    let metrics = state.metrics.clone();
    let app = sipas_collector::app_with_reports(state, sipas_aggregator::web::router(store));
    let app = super::listen::with_deadline(app, &server_limits);
    // Each request carries its client's address, for the rate limits.
    super::listen::serve(listener, app, server_limits, metrics, super::listen::stop_signal()).await?;
    Ok(())
}

/// A few links a newcomer can open at once: one questionnaire per group, the
/// counter QR of the first commune, and the reports.
async fn print_demo_links(store: &dyn Store, campaign: &Campaign, base: &str) -> Result<(), Failure> {
    // The commune with the most citizen answers still to collect, so the counter link works.
    let board = store.quota_board(&campaign.id).await?;
    let citizens = campaign.groups.iter().find(|g| g.frame).map(|g| g.code.as_str());
    let best = board.iter().filter(|r| Some(r.group.as_str()) == citizens).max_by_key(|r| r.remaining());
    let Some(unit) = best.and_then(|r| campaign.unit(&r.unit)) else { return Ok(()) };
    // Informational only: a closed standard output must not stop the service.
    let mut out = std::io::stdout();
    let _ = writeln!(out, "Thử ngay (đơn vị {}):", unit.name);
    for g in &campaign.groups {
        let token = store
            .create_invitation(&NewInvitation {
                campaign: campaign.id.clone(),
                unit: unit.code.clone(),
                group: g.code.clone(),
                field: g.frame.then(|| campaign.fields.first().cloned()).flatten(),
                person: None,
            })
            .await?;
        let _ = writeln!(out, "  {}: {base}/s/{token}  (mã QR: {base}/qr/{token}.svg)", g.name);
    }
    let screen =
        super::field::enrol(store, &campaign.id, unit.code.as_str(), "Màn hình mẫu", "open", "demo", base).await?;
    println!("  Màn hình QR tại Bộ phận một cửa (mã đổi 2 phút một lần): {screen}");
    println!("  Báo cáo: {base}/reports/{}", campaign.id);
    Ok(())
}

/// How often the service releases what a closed campaign still holds, expires
/// drafts and scrubs deleted bytes from the database files.
const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

async fn sweep_every(
    store: Arc<dyn Store>,
    limits: Option<Arc<sipas_collector::throttle::Limits>>,
    every: std::time::Duration,
) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        if let Some(l) = &limits {
            l.forget_idle();
        }
        match store.sweep(sipas_shared::model::clock::now()).await {
            Ok(done) if done.released_at_close > 0 || done.drafts_expired > 0 => tracing::info!(
                released_at_close = done.released_at_close,
                drafts_expired = done.drafts_expired,
                "sweep"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!("sweep: {e}"),
        }
    }
}

/// The database URL without credentials, for logs.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => format!("{}://…@{}", &url[..scheme], &url[at + 1..]),
        _ => url.to_owned(),
    }
}
