//! The scale-out store: PostgreSQL shared by several collector processes.

use super::StoreError;
use sqlx::postgres::{PgPool, PgPoolOptions};
use std::time::Duration;

/// Prepared statements the submission writer keeps per connection.
const WRITER_STATEMENTS: usize = 2048;

/// A store on a PostgreSQL database.
pub struct PostgresStore {
    pool: PgPool,
    definitions: super::Definitions,
    /// Seals held answers and drafts; kept outside the database.
    key: std::sync::Arc<super::key::ServiceKey>,
    /// Submissions go to one writer per process that commits them in groups:
    /// fewer commits, and fewer waits on the tally rows every answer counts in.
    submissions: super::Writer,
}

impl PostgresStore {
    /// # Errors
    /// When the server cannot be reached or the schema migrated.
    pub async fn connect(url: &str, key: &super::key::KeySource) -> Result<Self, StoreError> {
        let pool =
            PgPoolOptions::new().max_connections(16).acquire_timeout(Duration::from_secs(10)).connect(url).await?;
        sqlx::migrate!("../migrations/postgres").run(&pool).await?;
        let key = std::sync::Arc::new(Self::adopt_key(&pool, key).await?);
        Self::retag_keyed_ballots(&pool, &key).await?;
        // The writer's own connections: it holds one at a time, and a second
        // lets it start the next group while the last one's is recycled.
        // Its statements vary with a group's size (an IN list per size):
        // a cache large enough keeps each prepared once, not again and again.
        // Every one of them finds rows by key. Held answers come and go by
        // the thousand between two autovacuums (a minute apart), and the
        // planner, counting a few live rows, walked every dead one's page:
        // on these connections an index is always taken.
        let options = pool
            .connect_options()
            .as_ref()
            .clone()
            .statement_cache_capacity(WRITER_STATEMENTS)
            .options([("enable_seqscan", "off")]);
        let submissions = Self::spawn_writer(
            async move {
                Ok(PgPoolOptions::new()
                    .max_connections(2)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await?)
            },
            key.clone(),
        )
        .await?;
        Ok(Self { pool, definitions: super::Definitions::default(), key, submissions })
    }
}

super::sql::sql_store!(PostgresStore, sqlx::Postgres, super::Backend::Postgres);
super::field_sql::field_store!(PostgresStore, sqlx::Postgres);
super::mail_sql::mail_store!(PostgresStore, sqlx::Postgres);
super::held_sql::held_store!(PostgresStore, sqlx::Postgres, super::Backend::Postgres);
