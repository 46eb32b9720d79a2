//! The embedded default store: one SQLite file in WAL mode.

use super::{StoreError, Submission, SubmitJob};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// A store on an SQLite file, created when missing.
pub struct SqliteStore {
    pool: SqlitePool,
    definitions: super::Definitions,
    /// Submissions go to one writer that commits them in groups.
    submissions: mpsc::Sender<(SubmitJob, oneshot::Sender<Result<Submission, StoreError>>)>,
}

/// Submissions committed together at most: one fsync for all of them.
const GROUP: usize = 256;

impl SqliteStore {
    /// # Errors
    /// When the file cannot be opened or migrated.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // A response is acknowledged only once it is on disk.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30));
        let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options).await?;
        sqlx::migrate!("../migrations/sqlite").run(&pool).await?;
        let (submissions, queue) = mpsc::channel(4 * GROUP);
        tokio::spawn(group_commit(pool.clone(), queue));
        Ok(Self { pool, definitions: super::Definitions::default(), submissions })
    }

    /// Hands a submission to the writer and waits until it is committed.
    async fn submit_job(&self, job: SubmitJob) -> Result<Submission, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.submissions.send((job, reply)).await.map_err(|_| StoreError::Corrupt("bộ ghi phiếu đã dừng".into()))?;
        answer.await.map_err(|_| StoreError::Corrupt("bộ ghi phiếu đã dừng".into()))?
    }
}

type Job = (SubmitJob, oneshot::Sender<Result<Submission, StoreError>>);

/// The SQLite writer: takes every submission waiting (up to [`GROUP`]), runs
/// them in one transaction and answers each once the commit is on disk. With
/// `synchronous = FULL` a commit costs an fsync; grouping shares it. If the
/// group fails as a whole, each submission is retried alone so one bad
/// submission cannot fail the others.
async fn group_commit(pool: SqlitePool, mut queue: mpsc::Receiver<Job>) {
    let mut batch: Vec<Job> = Vec::with_capacity(GROUP);
    while queue.recv_many(&mut batch, GROUP).await > 0 {
        let jobs: Vec<&SubmitJob> = batch.iter().map(|(job, _)| job).collect();
        match run_group(&pool, &jobs).await {
            Ok(outcomes) => {
                for ((_, reply), outcome) in batch.drain(..).zip(outcomes) {
                    let _ = reply.send(Ok(outcome));
                }
            }
            Err(_) => {
                for (job, reply) in batch.drain(..) {
                    let alone = run_group(&pool, &[&job]).await.map(|mut o| o.remove(0));
                    let _ = reply.send(alone);
                }
            }
        }
    }
}

async fn run_group(pool: &SqlitePool, jobs: &[&SubmitJob]) -> Result<Vec<Submission>, StoreError> {
    let mut tx = pool.begin().await?;
    let outcomes = SqliteStore::submit_group(&mut tx, jobs).await?;
    tx.commit().await?;
    Ok(outcomes)
}

super::sql::sql_store!(SqliteStore, sqlx::Sqlite, super::Backend::Sqlite);
super::field_sql::field_store!(SqliteStore, sqlx::Sqlite);
