//! The scale-out store: PostgreSQL shared by several collector processes.

use super::StoreError;
use sqlx::postgres::{PgPool, PgPoolOptions};
use std::time::Duration;

/// A store on a PostgreSQL database.
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// # Errors
    /// When the server cannot be reached or the schema migrated.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let pool =
            PgPoolOptions::new().max_connections(16).acquire_timeout(Duration::from_secs(10)).connect(url).await?;
        sqlx::migrate!("../migrations/postgres").run(&pool).await?;
        Ok(Self { pool })
    }
}

super::sql::sql_store!(PostgresStore, sqlx::Postgres, super::Backend::Postgres);
super::field_sql::field_store!(PostgresStore, sqlx::Postgres);
