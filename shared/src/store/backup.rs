//! A consistent copy of the SQLite database while the service runs
//! (`sipas backup`), and putting one back (`sipas restore`). PostgreSQL has
//! its own tools (`pg_dump`, the README says how).
//!
//! A copy holds answers still waiting sealed, never the key that opens
//! them: the key stays in its own file (or `SIPAS_KEY`), kept apart from the
//! copies, and a restored database opens only with the key it was sealed with.

use super::StoreError;
use super::key::{KeySource, ServiceKey};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use std::path::{Path, PathBuf};

/// The file behind an `sqlite://` URL.
///
/// # Errors
/// [`StoreError::UnsupportedUrl`] for PostgreSQL, with what to use instead.
pub fn sqlite_file(url: &str) -> Result<PathBuf, StoreError> {
    let Some(rest) = url.strip_prefix("sqlite:") else {
        return Err(StoreError::UnsupportedUrl(format!(
            "{}: với PostgreSQL hãy dùng pg_dump / pg_restore (xem README, mục Sao lưu)",
            url.split('@').next_back().unwrap_or(url)
        )));
    };
    let path = rest.trim_start_matches("//").split('?').next().unwrap_or_default();
    if path.is_empty() || path.contains(":memory:") {
        return Err(StoreError::UnsupportedUrl(format!("{url}: cơ sở dữ liệu trong bộ nhớ không sao lưu được")));
    }
    Ok(PathBuf::from(path))
}

async fn open(file: &Path, read_only: bool) -> Result<sqlx::SqlitePool, StoreError> {
    let options = SqliteConnectOptions::new().filename(file).read_only(read_only).create_if_missing(false);
    Ok(SqlitePoolOptions::new().max_connections(1).connect_with(options).await?)
}

/// Writes a consistent copy of the database at `url` to `out`, from one
/// read transaction (`VACUUM INTO`): the service keeps answering meanwhile,
/// and the copy is compact. Returns the copy's size in bytes.
///
/// # Errors
/// When `out` exists, the database cannot be read, or the URL is not SQLite.
pub async fn backup(url: &str, out: &Path) -> Result<u64, StoreError> {
    let file = sqlite_file(url)?;
    if out.exists() {
        return Err(StoreError::Duplicate(format!("{} đã có: chọn tên tệp khác cho bản sao", out.display())));
    }
    if !file.exists() {
        return Err(StoreError::NotFound(format!("cơ sở dữ liệu {}", file.display())));
    }
    let pool = open(&file, true).await?;
    let target = out.to_string_lossy().into_owned();
    sqlx::query("VACUUM INTO $1").bind(&target).execute(&pool).await?;
    pool.close().await;
    Ok(std::fs::metadata(out).map(|m| m.len()).unwrap_or(0))
}

/// Puts the copy `from` in place of the database at `url`, after checking it
/// is a sipas database sealed with the key that `url` uses. An existing
/// database is replaced only with `replace` (stop the service first).
///
/// # Errors
/// When the copy is not a sipas database, its key is not the one `url`
/// uses, or a database is there and `replace` was not given.
pub async fn restore(from: &Path, url: &str, replace: bool) -> Result<(), StoreError> {
    let file = sqlite_file(url)?;
    if file.exists() && !replace {
        return Err(StoreError::Duplicate(format!(
            "đã có cơ sở dữ liệu {}: dừng dịch vụ rồi chạy lại với --replace để thay bằng bản sao",
            file.display()
        )));
    }
    let staging = file.with_extension("restoring");
    let _ = std::fs::remove_file(&staging);
    std::fs::copy(from, &staging).map_err(|e| StoreError::NotFound(format!("bản sao {}: {e}", from.display())))?;
    if let Err(e) = check_copy(&staging, &KeySource::for_url(url)).await {
        let _ = std::fs::remove_file(&staging);
        return Err(e);
    }
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
    std::fs::rename(&staging, &file)
        .map_err(|e| StoreError::Corrupt(format!("không thay được {}: {e}", file.display())))?;
    Ok(())
}

/// A copy is a sipas database, and `key` is the key it was sealed with.
async fn check_copy(copy: &Path, key: &KeySource) -> Result<(), StoreError> {
    let not_ours = || StoreError::Corrupt(format!("{} không phải bản sao cơ sở dữ liệu sipas", copy.display()));
    let pool = open(copy, true).await.map_err(|_| not_ours())?;
    let check: Result<Option<(String,)>, _> =
        sqlx::query_as("SELECT value FROM service_settings WHERE name = 'key_check'").fetch_optional(&pool).await;
    pool.close().await;
    let Some((check,)) = check.map_err(|_| not_ours())? else { return Ok(()) };
    let key = ServiceKey::load(key, false)?;
    if key.check() != check {
        return Err(StoreError::Key(
            "bản sao được niêm phong bằng khoá khác khoá của cơ sở dữ liệu này; đặt đúng tệp khoá \
             (SIPAS_KEY_FILE hoặc tệp .key bên cạnh) rồi khôi phục lại"
                .into(),
        ));
    }
    Ok(())
}
