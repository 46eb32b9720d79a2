//! The embedded default store: one SQLite file in WAL mode.

use super::StoreError;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr;
use std::time::Duration;

/// A store on an SQLite file, created when missing.
pub struct SqliteStore {
    pool: SqlitePool,
    definitions: super::Definitions,
    /// Seals held answers and drafts; kept outside the database.
    key: std::sync::Arc<super::key::ServiceKey>,
    /// Submissions go to one writer that commits them in groups.
    submissions: super::Writer,
}

impl SqliteStore {
    /// # Errors
    /// When the file cannot be opened or migrated.
    pub async fn connect(url: &str, key: &super::key::KeySource) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // A response is acknowledged only once it is on disk.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            // Deleted rows (drafts, held answers once released) are overwritten
            // with zeros, not left readable in free pages.
            .pragma("secure_delete", "ON")
            // Pages are read through a memory map and a larger cache rather
            // than a read call each (measured: the submission writer spent
            // more time copying pages in the kernel than running SQL).
            .pragma("mmap_size", "268435456")
            .pragma("cache_size", "-16384")
            // Held answers are written, zeroed and freed within seconds: a
            // longer log lets a checkpoint copy each page once, not each time
            // (the sweep still truncates the log every run).
            .pragma("wal_autocheckpoint", "8000")
            .busy_timeout(Duration::from_secs(30));
        // Each connection is a worker thread; on a small machine more of them
        // cost more in hand-offs than they gain (8 → 4 took submissions from
        // about 4,500/s to 5,250/s on 2 cores, BENCHMARKS.md).
        // The readers map no pages and cache 4 MB each: a report of a
        // million answers would otherwise leave up to 256 MB mapped and
        // 16 MB cached in each of them, resident in the service's memory
        // long after the download (the submission writer keeps its map and
        // cache, below; the reports' reads are one pass each).
        let readers = options.clone().pragma("mmap_size", "0").pragma("cache_size", "-4096");
        let pool = SqlitePoolOptions::new().max_connections(4).connect_with(readers).await?;
        sqlx::migrate!("../migrations/sqlite").run(&pool).await?;
        let key = std::sync::Arc::new(Self::adopt_key(&pool, key).await?);
        Self::retag_keyed_ballots(&pool, &key).await?;
        // The submission writer has a connection of its own, so it never
        // waits behind page reads for one; an in-memory database has only
        // the one pool (a second would be another database).
        let shared = url.contains(":memory:").then(|| pool.clone());
        let submissions = Self::spawn_writer(
            async move {
                match shared {
                    Some(pool) => Ok(pool),
                    // Its statements vary with a group's size (an IN list
                    // per size): a cache large enough prepares each once.
                    None => Ok(SqlitePoolOptions::new()
                        .max_connections(1)
                        .connect_with(options.statement_cache_capacity(2048))
                        .await?),
                }
            },
            key.clone(),
        )
        .await?;
        Ok(Self { pool, definitions: super::Definitions::default(), key, submissions })
    }
}

super::sql::sql_store!(SqliteStore, sqlx::Sqlite, super::Backend::Sqlite);
super::field_sql::field_store!(SqliteStore, sqlx::Sqlite);
super::mail_sql::mail_store!(SqliteStore, sqlx::Sqlite);
super::held_sql::held_store!(SqliteStore, sqlx::Sqlite, super::Backend::Sqlite);
