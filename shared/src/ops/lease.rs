//! One draw of a campaign at a time, across processes: the lease every
//! draw (the sample, more reserves, the villages) takes on its campaign.

use crate::model::Campaign;
use crate::store::{Store, StoreError};

/// One draw of a campaign at a time, across processes: a second waits for
/// the first and then only tops up what is still missing (nothing, mostly).
pub(crate) async fn take_lease(
    store: &dyn Store,
    campaign: &Campaign,
    actor: &str,
) -> Result<(String, String), StoreError> {
    let lease = format!("sample:{}", campaign.id);
    let holder = format!("{actor}:{}", uuid_like());
    let gave_up = std::time::Instant::now() + LEASE_WAIT;
    loop {
        let until = crate::model::clock::now() + chrono::Duration::from_std(LEASE_TTL).unwrap_or_default();
        if store.take_lease(&lease, &holder, until).await? {
            return Ok((lease, holder));
        }
        if std::time::Instant::now() > gave_up {
            return Err(StoreError::Duplicate(
                "một lượt chọn mẫu khác của đợt này đang chạy; hãy thử lại sau ít phút".into(),
            ));
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// How long a draw may hold its campaign before another may take over (a
/// process killed mid-draw), and how long a second draw waits.
const LEASE_TTL: std::time::Duration = std::time::Duration::from_secs(600);
const LEASE_WAIT: std::time::Duration = std::time::Duration::from_secs(120);

fn uuid_like() -> String {
    use rand::RngCore;
    format!("{:016x}", rand::rng().next_u64())
}
