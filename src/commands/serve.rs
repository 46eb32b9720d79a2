//! `sipas serve`: the collector over the chosen store.

use super::Failure;
use sipas_shared::store::{self, Store};
use std::sync::Arc;

/// Synthetic responses loaded by `serve --demo`.
const DEMO_RESPONSES: u64 = 600;

pub async fn serve(db: &str, addr: std::net::SocketAddr, demo: bool) -> Result<(), Failure> {
    let store: Arc<dyn Store> = store::connect(db).await?;
    if demo {
        if store.is_empty().await? {
            let campaign = sipas_shared::examples::quang_binh()?;
            store.save_campaign(&campaign).await?;
            // Most of the 690 ballots answered, so the report pages have something to show.
            let n = super::data::insert_demo(&*store, &campaign, DEMO_RESPONSES, 2026, false).await?;
            println!(
                "Đã nạp đợt khảo sát mẫu «{}» ({} đơn vị) với {n} phiếu giả lập.",
                campaign.id,
                campaign.units.len()
            );
        } else {
            println!("Cơ sở dữ liệu đã có dữ liệu: không nạp đợt khảo sát mẫu.");
        }
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| Failure::BadInput(format!("không mở được cổng {addr}: {e}")))?;
    let local = listener.local_addr()?;
    println!("sipas đang phục vụ tại http://{local} ({:?}, {db_kind})", store.backend(), db_kind = redact(db));
    let app =
        sipas_collector::app(sipas_collector::AppState::new(store.clone())).merge(sipas_aggregator::web::router(store));
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
