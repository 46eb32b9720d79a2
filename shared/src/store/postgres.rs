//! The scale-out store: PostgreSQL shared by several collector processes.

use super::StoreError;
use sqlx::postgres::{PgPool, PgPoolOptions};
use std::time::Duration;

/// A store on a PostgreSQL database.
pub struct PostgresStore {
    pool: PgPool,
    definitions: super::Definitions,
}

impl PostgresStore {
    /// # Errors
    /// When the server cannot be reached or the schema migrated.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let pool =
            PgPoolOptions::new().max_connections(16).acquire_timeout(Duration::from_secs(10)).connect(url).await?;
        sqlx::migrate!("../migrations/postgres").run(&pool).await?;
        Ok(Self { pool, definitions: super::Definitions::default() })
    }
}

impl PostgresStore {
    /// Each submission its own transaction: PostgreSQL groups concurrent commits itself.
    async fn submit_job(&self, job: super::SubmitJob) -> Result<super::Submission, StoreError> {
        let mut tx = self.pool.begin().await?;
        let outcome = Self::submit_group(&mut tx, &[&job]).await?.remove(0);
        tx.commit().await?;
        Ok(outcome)
    }
}

super::sql::sql_store!(PostgresStore, sqlx::Postgres, super::Backend::Postgres);
super::field_sql::field_store!(PostgresStore, sqlx::Postgres);
