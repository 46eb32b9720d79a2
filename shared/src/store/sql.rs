//! The SQL both backends share. The statements are written once, in the dialect
//! SQLite and PostgreSQL have in common (`$n` parameters, `ON CONFLICT`,
//! `RETURNING`), and the macro instantiates them for each driver.

macro_rules! sql_store {
    ($store:ident, $db:ty, $backend:expr) => {
        impl $store {
            /// Starts the writer that commits submissions in groups, on a
            /// thread of its own with its own connection (which `connect`
            /// opens there): its statements follow each other without
            /// waiting in line behind the page requests' tasks, which on a
            /// small machine took more of a group's time than the work.
            async fn spawn_writer<F>(
                connect: F,
                key: std::sync::Arc<$crate::store::key::ServiceKey>,
            ) -> Result<$crate::store::Writer, StoreError>
            where
                F: std::future::Future<Output = Result<sqlx::Pool<$db>, StoreError>> + Send + 'static,
            {
                let (writer, queue) = tokio::sync::mpsc::channel($crate::store::GROUP * 4);
                let (ready, started) = tokio::sync::oneshot::channel();
                std::thread::Builder::new()
                    .name("sipas-writer".into())
                    .spawn(move || {
                        let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                            Ok(r) => r,
                            Err(e) => {
                                let _ = ready.send(Err(StoreError::Corrupt(format!("không khởi động được bộ ghi phiếu: {e}"))));
                                return;
                            }
                        };
                        runtime.block_on(async move {
                            match connect.await {
                                Ok(pool) => {
                                    let _ = ready.send(Ok(()));
                                    Self::group_commit(pool.clone(), key, queue).await;
                                    pool.close().await;
                                }
                                Err(e) => {
                                    let _ = ready.send(Err(e));
                                }
                            }
                        });
                    })
                    .map_err(|e| StoreError::Corrupt(format!("không khởi động được bộ ghi phiếu: {e}")))?;
                started.await.map_err(|_| StoreError::Corrupt("bộ ghi phiếu đã dừng".into()))??;
                Ok(writer)
            }

            /// Hands a submission to the writer and waits until it is committed.
            async fn submit_job(&self, job: $crate::store::SubmitJob) -> Result<$crate::store::Submission, StoreError> {
                let stopped = || StoreError::Corrupt("bộ ghi phiếu đã dừng".into());
                let (reply, answer) = tokio::sync::oneshot::channel();
                self.submissions.send((job, reply)).await.map_err(|_| stopped())?;
                answer.await.map_err(|_| stopped())?
            }

            /// The writer: takes every submission waiting (up to `GROUP`), runs
            /// them in one transaction and answers each once the commit is
            /// durable. One commit (one fsync on SQLite) serves the whole group.
            /// If a group fails as a whole, each submission is retried alone so
            /// one bad submission cannot fail the others.
            async fn group_commit(
                pool: sqlx::Pool<$db>,
                key: std::sync::Arc<$crate::store::key::ServiceKey>,
                mut queue: tokio::sync::mpsc::Receiver<$crate::store::Job>,
            ) {
                let mut batch: Vec<$crate::store::Job> = Vec::with_capacity($crate::store::GROUP);
                while queue.recv_many(&mut batch, $crate::store::GROUP).await > 0 {
                    let jobs: Vec<&$crate::store::SubmitJob> = batch.iter().map(|(job, _)| job).collect();
                    match Self::run_group(&pool, &key, &jobs).await {
                        Ok(outcomes) => {
                            for ((_, reply), outcome) in batch.drain(..).zip(outcomes) {
                                let _ = reply.send(Ok(outcome));
                            }
                        }
                        // The database out of reach: every submission of the
                        // group hears so at once, rather than each waiting its
                        // own turn for a connection that will not come.
                        Err(StoreError::Database(e))
                            if matches!(
                                e,
                                sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::WorkerCrashed
                            ) =>
                        {
                            tracing::error!("bộ ghi phiếu không ghi được: {e}");
                            for (_, reply) in batch.drain(..) {
                                let _ = reply.send(Err(StoreError::Corrupt(format!("cơ sở dữ liệu không trả lời: {e}"))));
                            }
                        }
                        Err(_) => {
                            for (job, reply) in batch.drain(..) {
                                let alone = Self::run_group(&pool, &key, &[&job]).await.map(|mut o| o.remove(0));
                                let _ = reply.send(alone);
                            }
                        }
                    }
                }
            }

            async fn run_group(
                pool: &sqlx::Pool<$db>,
                key: &$crate::store::key::ServiceKey,
                jobs: &[&$crate::store::SubmitJob],
            ) -> Result<Vec<$crate::store::Submission>, StoreError> {
                let mut tx = pool.begin().await?;
                let outcomes = Self::submit_group(&mut tx, key, jobs).await?;
                tx.commit().await?;
                Ok(outcomes)
            }

            /// Submissions inside a transaction the caller commits, a handful of
            /// statements for the whole group: the invitations are claimed, the
            /// answers sealed and held, quotas counted, drafts dropped, and every
            /// cell brought to k held answers released. A used token changes
            /// nothing; the same token twice in a group is stored once.
            async fn submit_group(
                tx: &mut sqlx::Transaction<'_, $db>,
                key: &$crate::store::key::ServiceKey,
                jobs: &[&$crate::store::SubmitJob],
            ) -> Result<Vec<$crate::store::Submission>, StoreError> {
                use $crate::store::Submission;
                use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
                // Claiming writes first, so SQLite takes its write lock at once and
                // two submissions of one token queue instead of both reading "issued".
                let mut q = sqlx::QueryBuilder::<$db>::new(
                    "UPDATE invitations SET status = 'answered' WHERE status = 'issued' AND (expires_at IS NULL OR expires_at > ",
                );
                q.push_bind($crate::model::clock::now());
                q.push(") AND token IN (");
                let mut list = q.separated(", ");
                for j in jobs {
                    list.push_bind(j.token.clone());
                }
                q.push(") RETURNING token, campaign_id, unit, group_code, field");
                let rows: Vec<(String, String, String, String, Option<String>)> = q.build_query_as().fetch_all(&mut **tx).await?;
                let mut claimed: HashMap<String, (String, String, String, Option<String>)> =
                    rows.into_iter().map(|(t, c, u, g, f)| (t, (c, u, g, f))).collect();
                let others: Vec<&str> = jobs.iter().map(|j| j.token.as_str()).filter(|t| !claimed.contains_key(*t)).collect();
                let mut known: HashSet<String> = HashSet::new();
                if !others.is_empty() {
                    let mut q = sqlx::QueryBuilder::<$db>::new("SELECT token FROM invitations WHERE token IN (");
                    let mut list = q.separated(", ");
                    for t in &others {
                        list.push_bind((*t).to_owned());
                    }
                    q.push(")");
                    let rows: Vec<(String,)> = q.build_query_as().fetch_all(&mut **tx).await?;
                    known.extend(rows.into_iter().map(|(t,)| t));
                }
                let mut outcomes = Vec::with_capacity(jobs.len());
                let mut stored = Vec::new();
                for j in jobs {
                    match claimed.remove(&j.token) {
                        Some(target) => {
                            outcomes.push(Submission::Stored);
                            stored.push((*j, target));
                        }
                        None if known.contains(&j.token) || stored.iter().any(|(s, _)| s.token == j.token) => {
                            outcomes.push(Submission::AlreadyAnswered);
                        }
                        None => outcomes.push(Submission::UnknownToken),
                    }
                }
                if stored.is_empty() {
                    return Ok(outcomes);
                }
                // The answers wait sealed, with their cell and nothing else.
                let mut q = sqlx::QueryBuilder::<$db>::new(
                    "INSERT INTO held_answers (campaign_id, unit, group_code, field, sealed) ",
                );
                q.push_values(&stored, |mut b, (j, (campaign, unit, group, field))| {
                    let field = field.clone().unwrap_or_default();
                    let sealed = key.seal(&$crate::store::held_context(campaign, unit, group, &field), &j.held);
                    b.push_bind(campaign.clone()).push_bind(unit.clone()).push_bind(group.clone()).push_bind(field).push_bind(sealed);
                });
                q.build().execute(&mut **tx).await?;
                let mut answered: BTreeMap<(&str, &str, &str), i64> = BTreeMap::new();
                let mut touched: BTreeMap<&str, BTreeSet<(String, String, String)>> = BTreeMap::new();
                for (_, (campaign, unit, group, field)) in &stored {
                    *answered.entry((campaign, unit, group)).or_default() += 1;
                    touched.entry(campaign.as_str()).or_default().insert((
                        unit.clone(),
                        group.clone(),
                        field.clone().unwrap_or_default(),
                    ));
                }
                // Every unit × group's count in one statement. PostgreSQL locks
                // the rows in key order first, as every other writer of quotas
                // does, so two writers never wait on each other in a circle.
                if matches!($backend, $crate::store::Backend::Postgres) && answered.len() > 1 {
                    let mut q = sqlx::QueryBuilder::<$db>::new("SELECT 1 FROM quotas WHERE (campaign_id, unit, group_code) IN (");
                    q.push_values(&answered, |mut b, ((campaign, unit, group), _)| {
                        b.push_bind((*campaign).to_owned()).push_bind((*unit).to_owned()).push_bind((*group).to_owned());
                    });
                    q.push(") ORDER BY campaign_id, unit, group_code FOR UPDATE");
                    q.build().execute(&mut **tx).await?;
                }
                let mut q = sqlx::QueryBuilder::<$db>::new("UPDATE quotas SET answered = answered + v.column4 FROM (");
                q.push_values(&answered, |mut b, ((campaign, unit, group), n)| {
                    b.push_bind((*campaign).to_owned()).push_bind((*unit).to_owned()).push_bind((*group).to_owned()).push_bind(*n);
                });
                q.push(
                    ") AS v WHERE quotas.campaign_id = v.column1 AND quotas.unit = v.column2 AND quotas.group_code = v.column3",
                );
                q.build().execute(&mut **tx).await?;
                let mut q = sqlx::QueryBuilder::<$db>::new("DELETE FROM drafts WHERE name IN (");
                let mut list = q.separated(", ");
                for (j, _) in &stored {
                    list.push_bind(key.draft_name(&j.token));
                }
                q.push(")");
                q.build().execute(&mut **tx).await?;
                for (campaign, cells) in touched {
                    Self::release_full_cells(tx, key, campaign, &cells).await?;
                }
                Ok(outcomes)
            }

            /// Counter links issued and neither answered nor expired.
            async fn live_counter_links(
                tx: &mut sqlx::Transaction<'_, $db>,
                campaign: &str,
                unit: &str,
                group: &str,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<i64, StoreError> {
                let (live,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM invitations WHERE campaign_id = $1 AND unit = $2 AND group_code = $3
                       AND status = 'issued' AND expires_at > $4",
                )
                .bind(campaign)
                .bind(unit)
                .bind(group)
                .bind(now)
                .fetch_one(&mut **tx)
                .await?;
                Ok(live)
            }

            /// Stores responses that arrive whole (paper, demo) in the caller's
            /// transaction: the rows, their tallies and their quota counts.
            async fn insert_in_tx(
                tx: &mut sqlx::Transaction<'_, $db>,
                definition: Option<&$crate::model::campaign::Campaign>,
                campaign: &str,
                responses: &[$crate::store::StoredResponse],
            ) -> Result<(), StoreError> {
                let mut answered: std::collections::BTreeMap<(&str, &str), i64> = std::collections::BTreeMap::new();
                // Which cells are counted depends on the question's kind.
                let kinds: std::collections::HashMap<(&str, &str), $crate::model::questionnaire::QuestionKind> = definition
                    .map(|c| {
                        c.groups
                            .iter()
                            .filter_map(|g| c.questionnaire(&g.questionnaire).map(|q| (g, q)))
                            .flat_map(|(g, q)| q.questions().map(move |x| ((g.code.as_str(), x.code.as_str()), x.kind)))
                            .collect()
                    })
                    .unwrap_or_default();
                let (mut tallies, mut cell_counts, mut chunk_rows) = Default::default();
                for r in responses {
                    let counted = |code: &str| {
                        !matches!(
                            kinds.get(&(r.group.as_str(), code)),
                            Some($crate::model::questionnaire::QuestionKind::Text)
                        )
                    };
                    $crate::store::count_cells(&r.unit, &r.group, r.field.as_deref(), r.cells.iter(), &counted, &mut tallies, &mut cell_counts, &mut chunk_rows, r.submitted_on, &r.source);
                }
                Self::write_tallies(tx, campaign, &tallies, &cell_counts, &chunk_rows, 1).await?;
                // Multi-row inserts: 9 parameters a row stays far below both
                // backends' parameter limits.
                for chunk in responses.chunks(1000) {
                    let mut cells = Vec::with_capacity(chunk.len());
                    for r in chunk {
                        cells.push(serde_json::to_string(&r.cells)?);
                        *answered.entry((r.unit.as_str(), r.group.as_str())).or_default() += 1;
                    }
                    let mut q = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO responses (campaign_id, unit, group_code, field, submitted_on, source, answers, shuffle, ballot) ",
                    );
                    q.push_values(chunk.iter().zip(cells), |mut b, (r, answers)| {
                        b.push_bind(campaign.to_owned())
                            .push_bind(r.unit.clone())
                            .push_bind(r.group.clone())
                            .push_bind(r.field.clone())
                            .push_bind(r.submitted_on)
                            .push_bind(r.source.clone())
                            .push_bind(answers)
                            .push_bind(rand::random::<i64>())
                            .push_bind(r.ballot.clone());
                    });
                    q.build().execute(&mut **tx).await?;
                }
                for ((unit, group), n) in answered {
                    Self::count_answered(tx, campaign, unit, group, n).await?;
                }
                Ok(())
            }

            /// Adds `n` (negative to take back) to a unit × group's answers.
            async fn count_answered(
                tx: &mut sqlx::Transaction<'_, $db>,
                campaign: &str,
                unit: &str,
                group: &str,
                n: i64,
            ) -> Result<(), StoreError> {
                sqlx::query("UPDATE quotas SET answered = answered + $1 WHERE campaign_id = $2 AND unit = $3 AND group_code = $4")
                    .bind(n)
                    .bind(campaign)
                    .bind(unit)
                    .bind(group)
                    .execute(&mut **tx)
                    .await?;
                Ok(())
            }

            /// Adds counts to the tallies, in key order, several rows a statement.
            /// Encodes a campaign's responses in the indices into chunks again,
            /// one per cell, replacing what was kept.
            async fn encode_chunks_again(&self, campaign: &str) -> Result<(), StoreError> {
                use futures::TryStreamExt;
                // The responses come cell by cell: each cell is encoded as
                // soon as it is whole, so no more than one cell's rows are
                // held (a province's million answers as rows would be
                // gigabytes; as chunks, tens of megabytes).
                let mut chunks: Vec<($crate::store::CellCountKey, i64, Vec<u8>)> = Vec::new();
                let mut cell: Option<($crate::store::CellCountKey, Vec<$crate::store::columns::Row>)> = None;
                {
                    let mut stream = $crate::store::Store::responses(self, campaign);
                    let mut flush = |cell: Option<($crate::store::CellCountKey, Vec<$crate::store::columns::Row>)>| {
                        if let Some((key, rows)) = cell {
                            chunks.extend($crate::store::columns::encode_counted(&rows).into_iter().map(|(n, body)| (key.clone(), n, body)));
                        }
                    };
                    while let Some(r) = stream.try_next().await? {
                        let key = (r.unit, r.group, r.field.unwrap_or_default());
                        let mut row: $crate::store::columns::Row = r.cells.into_iter().collect();
                        $crate::store::stamp_row(&mut row, r.submitted_on, &r.source);
                        match &mut cell {
                            Some((at, rows)) if *at == key => rows.push(row),
                            _ => flush(cell.replace((key, vec![row]))),
                        }
                    }
                    flush(cell.take());
                }
                let mut tx = self.pool.begin().await?;
                sqlx::query("UPDATE service_settings SET value = value WHERE name = 'key_check'").execute(&mut *tx).await?;
                sqlx::query("DELETE FROM answer_chunks WHERE campaign_id = $1").bind(campaign).execute(&mut *tx).await?;
                Self::insert_chunks(&mut tx, campaign, &chunks, 1).await?;
                tx.commit().await?;
                Ok(())
            }

            /// Stores encoded chunks (cell, rows, body) with `sign`, several a
            /// statement.
            async fn insert_chunks(
                tx: &mut sqlx::Transaction<'_, $db>,
                campaign: &str,
                chunks: &[($crate::store::CellCountKey, i64, Vec<u8>)],
                sign: i64,
            ) -> Result<(), StoreError> {
                for part in chunks.chunks(100) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO answer_chunks (campaign_id, unit, group_code, field, sign, n, body) ",
                    );
                    q.push_values(part, |mut b, ((unit, group, field), n, body)| {
                        b.push_bind(campaign.to_owned())
                            .push_bind(unit.clone())
                            .push_bind(group.clone())
                            .push_bind(field.clone())
                            .push_bind(sign)
                            .push_bind(*n)
                            .push_bind(body.clone());
                    });
                    q.build().execute(&mut **tx).await?;
                }
                Ok(())
            }

            async fn write_tallies(
                tx: &mut sqlx::Transaction<'_, $db>,
                campaign: &str,
                tallies: &std::collections::BTreeMap<$crate::store::TallyKey, i64>,
                responses: &std::collections::BTreeMap<$crate::store::CellCountKey, i64>,
                rows: &$crate::store::columns::ChunkRows,
                sign: i64,
            ) -> Result<(), StoreError> {
                // The same responses, column by column (see `columns`).
                let chunks: Vec<($crate::store::CellCountKey, i64, Vec<u8>)> = rows
                    .iter()
                    .flat_map(|(key, cell_rows)| {
                        $crate::store::columns::encode_counted(cell_rows).into_iter().map(move |(n, body)| (key.clone(), n, body))
                    })
                    .collect();
                Self::insert_chunks(tx, campaign, &chunks, sign).await?;
                let rows: Vec<_> = tallies.iter().collect();
                for chunk in rows.chunks(500) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO tallies (campaign_id, unit, group_code, field, question, answer, n) ",
                    );
                    q.push_values(chunk, |mut b, ((unit, group, field, question, answer), n)| {
                        b.push_bind(campaign.to_owned())
                            .push_bind(unit.clone())
                            .push_bind(group.clone())
                            .push_bind(field.clone())
                            .push_bind(question.clone())
                            .push_bind(answer.clone())
                            .push_bind(**n);
                    });
                    q.push(
                        " ON CONFLICT (campaign_id, unit, group_code, field, question, answer) DO UPDATE SET n = tallies.n + excluded.n",
                    );
                    q.build().execute(&mut **tx).await?;
                }
                let rows: Vec<_> = responses.iter().collect();
                for chunk in rows.chunks(500) {
                    let mut q = sqlx::QueryBuilder::<$db>::new("INSERT INTO cell_counts (campaign_id, unit, group_code, field, n) ");
                    q.push_values(chunk, |mut b, ((unit, group, field), n)| {
                        b.push_bind(campaign.to_owned())
                            .push_bind(unit.clone())
                            .push_bind(group.clone())
                            .push_bind(field.clone())
                            .push_bind(**n);
                    });
                    q.push(" ON CONFLICT (campaign_id, unit, group_code, field) DO UPDATE SET n = cell_counts.n + excluded.n");
                    q.build().execute(&mut **tx).await?;
                }
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::Store for $store {
            fn health(&self) -> $crate::store::StoreHealth {
                $crate::store::StoreHealth {
                    connections: self.pool.size(),
                    idle: self.pool.num_idle(),
                    writer_queue: self.submissions.max_capacity() - self.submissions.capacity(),
                }
            }

            fn backend(&self) -> $crate::store::Backend {
                $backend
            }

            fn service_key(&self) -> &$crate::store::key::ServiceKey {
                &self.key
            }

            async fn is_empty(&self) -> Result<bool, StoreError> {
                let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM campaigns").fetch_one(&self.pool).await?;
                Ok(n == 0)
            }

            async fn save_campaign(&self, c: &$crate::model::campaign::Campaign) -> Result<bool, StoreError> {
                let definition = serde_json::to_string(c)?;
                let existed: Option<(String,)> =
                    sqlx::query_as("SELECT id FROM campaigns WHERE id = $1").bind(&c.id).fetch_optional(&self.pool).await?;
                let now = $crate::model::clock::now();
                let mut tx = self.pool.begin().await?;
                sqlx::query(
                    "INSERT INTO campaigns (id, name, year, opens, closes, definition, updated_at, anonymity_k, timezone)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                     ON CONFLICT (id) DO UPDATE SET name = excluded.name, year = excluded.year, opens = excluded.opens,
                       closes = excluded.closes, definition = excluded.definition, updated_at = excluded.updated_at,
                       anonymity_k = excluded.anonymity_k, timezone = excluded.timezone",
                )
                .bind(&c.id)
                .bind(&c.name)
                .bind(i64::from(c.year))
                .bind(c.opens)
                .bind(c.closes)
                .bind(&definition)
                .bind(now)
                .bind(i64::from(c.anonymity_k))
                .bind(&c.timezone)
                .execute(&mut *tx)
                .await?;
                for u in &c.units {
                    let kind = serde_json::to_value(u.kind)?.as_str().unwrap_or_default().to_owned();
                    sqlx::query(
                        "INSERT INTO units (campaign_id, code, name, kind, parent) VALUES ($1, $2, $3, $4, $5)
                         ON CONFLICT (campaign_id, code) DO UPDATE SET name = excluded.name, kind = excluded.kind, parent = excluded.parent",
                    )
                    .bind(&c.id)
                    .bind(u.code.as_str())
                    .bind(&u.name)
                    .bind(kind)
                    .bind(u.parent.as_ref().map(|p| p.as_str().to_owned()))
                    .execute(&mut *tx)
                    .await?;
                }
                // Quotas dropped from the file fall to 0; their counts are kept.
                sqlx::query("UPDATE quotas SET quota = 0 WHERE campaign_id = $1").bind(&c.id).execute(&mut *tx).await?;
                for q in c.quotas() {
                    sqlx::query(
                        "INSERT INTO quotas (campaign_id, unit, group_code, quota) VALUES ($1, $2, $3, $4)
                         ON CONFLICT (campaign_id, unit, group_code) DO UPDATE SET quota = excluded.quota",
                    )
                    .bind(&c.id)
                    .bind(q.unit.as_str())
                    .bind(&q.group)
                    .bind(i64::from(q.quota))
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(existed.is_none())
            }

            async fn campaign(&self, id: &str) -> Result<Option<$crate::model::campaign::Campaign>, StoreError> {
                // Every respondent request needs the definition: parse it once per
                // version, and check the version (one indexed row) each time, so
                // an update by any process is seen at once.
                let version: Option<(chrono::DateTime<chrono::Utc>,)> =
                    sqlx::query_as("SELECT updated_at FROM campaigns WHERE id = $1").bind(id).fetch_optional(&self.pool).await?;
                let Some((version,)) = version else { return Ok(None) };
                if let Some(c) = self.definitions.get(id, version) {
                    return Ok(Some((*c).clone()));
                }
                let row: Option<(String, chrono::DateTime<chrono::Utc>)> =
                    sqlx::query_as("SELECT definition, updated_at FROM campaigns WHERE id = $1").bind(id).fetch_optional(&self.pool).await?;
                let Some((json, version)) = row else { return Ok(None) };
                let campaign: $crate::model::campaign::Campaign = serde_json::from_str(&json)?;
                self.definitions.put(id, version, &campaign);
                Ok(Some(campaign))
            }

            async fn campaigns(&self) -> Result<Vec<$crate::store::CampaignSummary>, StoreError> {
                let rows: Vec<(String, String, i64, chrono::NaiveDate, chrono::NaiveDate)> =
                    sqlx::query_as("SELECT id, name, year, opens, closes FROM campaigns ORDER BY year DESC, id")
                        .fetch_all(&self.pool)
                        .await?;
                Ok(rows
                    .into_iter()
                    .map(|(id, name, year, opens, closes)| $crate::store::CampaignSummary { id, name, year, opens, closes })
                    .collect())
            }

            async fn quota_board(&self, campaign: &str) -> Result<Vec<$crate::store::QuotaStatus>, StoreError> {
                let quotas: Vec<(String, String, i64, i64)> = sqlx::query_as(
                    "SELECT unit, group_code, quota, answered FROM quotas
                     WHERE campaign_id = $1 AND (quota > 0 OR answered > 0) ORDER BY unit, group_code",
                )
                .bind(campaign)
                .fetch_all(&self.pool)
                .await?;
                let outcomes: Vec<(String, String, String, i64)> = sqlx::query_as(
                    "SELECT unit, group_code, status, COUNT(*) FROM invitations WHERE campaign_id = $1
                     GROUP BY unit, group_code, status",
                )
                .bind(campaign)
                .fetch_all(&self.pool)
                .await?;
                let mut board: Vec<$crate::store::QuotaStatus> = quotas
                    .into_iter()
                    .map(|(unit, group, quota, answered)| $crate::store::QuotaStatus { unit, group, quota, answered, ..Default::default() })
                    .collect();
                for (unit, group, status, n) in outcomes {
                    if let Some(row) = board.iter_mut().find(|r| r.unit == unit && r.group == group) {
                        match status.as_str() {
                            "reserve" => {
                                row.reserves += n;
                                continue;
                            }
                            "refused" => row.refused += n,
                            "unreachable" | "wrong_number" => row.unreachable += n,
                            "paper" => row.paper += n,
                            _ => {}
                        }
                        row.invited += n;
                    }
                }
                Ok(board)
            }

            async fn add_person(&self, campaign: &str, p: &$crate::store::NewPerson) -> Result<i64, StoreError> {
                self.add_people(campaign, std::slice::from_ref(p), None, None).await?;
                let (id,): (i64,) = sqlx::query_as("SELECT id FROM frame_people WHERE campaign_id = $1 AND unit = $2 AND phone = $3")
                    .bind(campaign)
                    .bind(p.unit.as_str())
                    .bind(p.phone_column())
                    .fetch_one(&self.pool)
                    .await?;
                Ok(id)
            }

            async fn add_people(
                &self,
                campaign: &str,
                people: &[$crate::store::NewPerson],
                replacing: Option<$crate::store::FrameScope<'_>>,
                audit: Option<$crate::store::field::Audit<'_>>,
            ) -> Result<(u64, u64), StoreError> {
                let mut tx = self.pool.begin().await?;
                let removed = match replacing {
                    Some(scope) => Self::remove_uninvited(&mut tx, campaign, scope).await?,
                    None => 0,
                };
                let now = $crate::model::clock::now();
                let mut added = 0;
                // Several hundred people a statement: one statement each made a
                // 200,000-row list take about ten seconds (BENCHMARKS.md).
                for chunk in people.chunks(500) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO frame_people (campaign_id, unit, full_name, procedure, field, address, phone, source_line, created_at, roster_of, email) ",
                    );
                    q.push_values(chunk, |mut b, p| {
                        b.push_bind(campaign.to_owned())
                            .push_bind(p.unit.as_str().to_owned())
                            .push_bind(p.full_name.clone())
                            .push_bind(p.procedure.clone())
                            .push_bind(p.field.clone())
                            .push_bind(p.address.clone())
                            .push_bind(p.phone_column())
                            .push_bind(p.source_line)
                            .push_bind(now)
                            .push_bind(p.roster_of.clone())
                            .push_bind(p.email.as_ref().map(ToString::to_string));
                    });
                    q.push(" ON CONFLICT (campaign_id, unit, phone) DO NOTHING");
                    added += q.build().execute(&mut *tx).await?.rows_affected();
                }
                if let Some(a) = audit {
                    let already = people.len() as u64 - added;
                    let replaced = if replacing.is_some() { format!(", bỏ {removed} người cũ chưa được mời") } else { String::new() };
                    let detail = format!("{} (thêm {added}, đã có {already}{replaced})", a.detail);
                    Self::log_in_tx(&mut tx, $crate::store::field::Audit { detail: &detail, ..a }).await?;
                }
                tx.commit().await?;
                Ok((added, removed))
            }

            async fn create_invitation(&self, inv: &$crate::store::NewInvitation) -> Result<$crate::model::Token, StoreError> {
                let token = $crate::model::Token::generate();
                sqlx::query(
                    "INSERT INTO invitations (token, campaign_id, unit, group_code, field, person_id, status, created_at, code)
                     VALUES ($1, $2, $3, $4, $5, $6, 'issued', $7, $8)",
                )
                .bind(token.as_str())
                .bind(&inv.campaign)
                .bind(inv.unit.as_str())
                .bind(&inv.group)
                .bind(&inv.field)
                .bind(inv.person)
                .bind($crate::model::clock::now())
                .bind($crate::model::ShortCode::generate().as_str().to_owned())
                .execute(&self.pool)
                .await?;
                Ok(token)
            }

            async fn issue_counter_invitation(
                &self,
                campaign: &str,
                unit: &str,
                group: &str,
                field: Option<&str>,
            ) -> Result<Option<$crate::model::Token>, StoreError> {
                let mut tx = self.pool.begin().await?;
                // The quota row first: it is the lock that queues concurrent
                // requests (the writer's lock on SQLite), so the count of live
                // links below, a statement of its own, sees every earlier one.
                let claimed: Option<(i64, i64)> = sqlx::query_as(
                    "UPDATE quotas SET issued = issued + 1 WHERE campaign_id = $1 AND unit = $2 AND group_code = $3
                     RETURNING CAST(quota AS BIGINT), CAST(answered AS BIGINT)",
                )
                .bind(campaign)
                .bind(unit)
                .bind(group)
                .fetch_optional(&mut *tx)
                .await?;
                let Some((quota, answered)) = claimed else {
                    tx.rollback().await?;
                    return Ok(None);
                };
                let now = $crate::model::clock::now();
                let live = Self::live_counter_links(&mut tx, campaign, unit, group, now).await?;
                if !$crate::store::counter_has_room(quota, answered, live) {
                    tx.rollback().await?;
                    return Ok(None);
                }
                let token = $crate::model::Token::generate();
                sqlx::query(
                    "INSERT INTO invitations (token, campaign_id, unit, group_code, field, person_id, status, created_at, code, expires_at)
                     VALUES ($1, $2, $3, $4, $5, NULL, 'issued', $6, $7, $8)",
                )
                .bind(token.as_str())
                .bind(campaign)
                .bind(unit)
                .bind(group)
                .bind(field)
                .bind(now)
                .bind($crate::model::ShortCode::generate().as_str().to_owned())
                .bind(now + $crate::store::COUNTER_LINK_UNOPENED)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(Some(token))
            }

            async fn counter_open(&self, campaign: &str, unit: &str, group: &str) -> Result<bool, StoreError> {
                let mut tx = self.pool.begin().await?;
                let row: Option<(i64, i64)> = sqlx::query_as(
                    "SELECT CAST(quota AS BIGINT), CAST(answered AS BIGINT) FROM quotas
                     WHERE campaign_id = $1 AND unit = $2 AND group_code = $3",
                )
                .bind(campaign)
                .bind(unit)
                .bind(group)
                .fetch_optional(&mut *tx)
                .await?;
                let live = Self::live_counter_links(&mut tx, campaign, unit, group, $crate::model::clock::now()).await?;
                tx.rollback().await?;
                Ok(row.is_some_and(|(quota, answered)| $crate::store::counter_has_room(quota, answered, live)))
            }

            async fn invitation(
                &self,
                token: &$crate::model::Token,
            ) -> Result<Option<$crate::store::InvitationView>, StoreError> {
                let row: Option<(String, String, String, Option<String>, String, Option<chrono::DateTime<chrono::Utc>>)> =
                    sqlx::query_as(
                        "SELECT campaign_id, unit, group_code, field, status, expires_at FROM invitations WHERE token = $1",
                    )
                    .bind(token.as_str())
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|(campaign, unit, group, field, status, expires)| {
                    Ok($crate::store::InvitationView {
                        campaign,
                        unit,
                        group,
                        field,
                        status: $crate::store::status_of(&status)?,
                        expired: expires.is_some_and(|e| e <= $crate::model::clock::now()),
                    })
                })
                .transpose()
            }

            async fn open_invitation(
                &self,
                token: &$crate::model::Token,
            ) -> Result<Option<($crate::store::InvitationView, std::sync::Arc<$crate::model::campaign::Campaign>)>, StoreError> {
                type Row = (String, String, String, Option<String>, String, chrono::DateTime<chrono::Utc>, Option<chrono::DateTime<chrono::Utc>>, chrono::DateTime<chrono::Utc>, bool);
                let row: Option<Row> = sqlx::query_as(
                    "SELECT i.campaign_id, i.unit, i.group_code, i.field, i.status, c.updated_at, i.expires_at, i.created_at,
                            i.person_id IS NULL
                     FROM invitations i JOIN campaigns c ON c.id = i.campaign_id WHERE i.token = $1",
                )
                .bind(token.as_str())
                .fetch_optional(&self.pool)
                .await?;
                let Some((campaign, unit, group, field, status, version, expires, created, counter)) = row else { return Ok(None) };
                let now = $crate::model::clock::now();
                let expired = expires.is_some_and(|e| e <= now);
                // A counter link opened in time lives on while its person
                // answers, to two hours from its issue and never longer: opening
                // it again does not keep a hoard alive.
                let life = created + $crate::store::COUNTER_LINK_LIFE;
                if counter && status == "issued" && !expired && expires.is_some_and(|e| e < life) {
                    sqlx::query(
                        "UPDATE invitations SET expires_at = $2 WHERE token = $1 AND status = 'issued' AND person_id IS NULL AND expires_at > $3",
                    )
                    .bind(token.as_str())
                    .bind(life)
                    .bind(now)
                    .execute(&self.pool)
                    .await?;
                }
                let definition = match self.definitions.get(&campaign, version) {
                    Some(c) => c,
                    None => match self.campaign(&campaign).await? {
                        Some(c) => std::sync::Arc::new(c),
                        None => return Ok(None),
                    },
                };
                let status = $crate::store::status_of(&status)?;
                Ok(Some(($crate::store::InvitationView { campaign, unit, group, field, status, expired }, definition)))
            }

            async fn save_draft(
                &self,
                token: &$crate::model::Token,
                cells: &std::collections::BTreeMap<String, String>,
            ) -> Result<(), StoreError> {
                // Only while the invitation is open: a used token keeps no draft.
                let open: Option<(String,)> =
                    sqlx::query_as("SELECT campaign_id FROM invitations WHERE token = $1 AND status = 'issued'")
                        .bind(token.as_str())
                        .fetch_optional(&self.pool)
                        .await?;
                let Some((campaign,)) = open else { return Ok(()) };
                let name = self.key.draft_name(token.as_str());
                let sealed = self.key.seal(&name, &serde_json::to_vec(cells)?);
                sqlx::query(
                    "INSERT INTO drafts (name, campaign_id, sealed, updated_at) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (name) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at",
                )
                .bind(&name)
                .bind(campaign)
                .bind(sealed)
                .bind($crate::model::clock::now())
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn draft(
                &self,
                token: &$crate::model::Token,
            ) -> Result<Option<std::collections::BTreeMap<String, String>>, StoreError> {
                let name = self.key.draft_name(token.as_str());
                let row: Option<(Vec<u8>,)> =
                    sqlx::query_as("SELECT sealed FROM drafts WHERE name = $1").bind(&name).fetch_optional(&self.pool).await?;
                row.map(|(sealed,)| serde_json::from_slice(&self.key.open(&name, &sealed)?).map_err(StoreError::from))
                    .transpose()
            }

            async fn submit_flagged(
                &self,
                token: &$crate::model::Token,
                answers: &$crate::model::answer::Answers,
                on: chrono::NaiveDate,
                flags: Vec<$crate::store::Flag>,
            ) -> Result<$crate::store::Submission, StoreError> {
                let job = $crate::store::SubmitJob::new(token, answers, on, flags)?;
                self.submit_job(job).await
            }

            async fn submit_offline(
                &self,
                token: &$crate::model::Token,
                answers: &$crate::model::answer::Answers,
                on: chrono::NaiveDate,
            ) -> Result<$crate::store::Submission, StoreError> {
                let job = $crate::store::SubmitJob::from_source(token, answers, on, Vec::new(), Some("offline"))?;
                self.submit_job(job).await
            }

            async fn insert_responses(
                &self,
                campaign: &str,
                responses: &[$crate::store::StoredResponse],
            ) -> Result<(), StoreError> {
                let definition = self.campaign(campaign).await?;
                let mut tx = self.pool.begin().await?;
                Self::insert_in_tx(&mut tx, definition.as_ref(), campaign, responses).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn frame_field_counts(
                &self,
                campaign: &str,
            ) -> Result<std::collections::BTreeMap<String, std::collections::BTreeMap<String, u64>>, StoreError> {
                let rows: Vec<(String, String, i64)> = sqlx::query_as(
                    "SELECT unit, field, COUNT(*) FROM frame_people WHERE campaign_id = $1 AND field IS NOT NULL AND roster_of IS NULL
                     GROUP BY unit, field",
                )
                .bind(campaign)
                .fetch_all(&self.pool)
                .await?;
                let mut out: std::collections::BTreeMap<String, std::collections::BTreeMap<String, u64>> =
                    std::collections::BTreeMap::new();
                for (unit, field, n) in rows {
                    out.entry(unit).or_default().insert(field, u64::try_from(n).unwrap_or(0));
                }
                Ok(out)
            }

            async fn replace_appraisals(
                &self,
                campaign: &str,
                rows: &[$crate::model::appraisal::Appraisal],
            ) -> Result<(), StoreError> {
                let units: std::collections::BTreeSet<&str> = rows.iter().map(|r| r.unit.as_str()).collect();
                let mut tx = self.pool.begin().await?;
                for unit in units {
                    sqlx::query("DELETE FROM appraisals WHERE campaign_id = $1 AND unit = $2")
                        .bind(campaign)
                        .bind(unit)
                        .execute(&mut *tx)
                        .await?;
                }
                for r in rows {
                    sqlx::query(
                        "INSERT INTO appraisals (campaign_id, unit, area, criterion, max_points, self_points, appraised_points, source_line)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(campaign)
                    .bind(&r.unit)
                    .bind(&r.area)
                    .bind(&r.criterion)
                    .bind(r.max_points.to_string())
                    .bind(r.self_points.map(|d| d.to_string()))
                    .bind(r.appraised_points.to_string())
                    .bind(i64::try_from(r.line).unwrap_or_default())
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn appraisals(&self, campaign: &str) -> Result<Vec<$crate::model::appraisal::Appraisal>, StoreError> {
                let rows: Vec<(String, String, String, String, Option<String>, String, Option<i64>)> = sqlx::query_as(
                    "SELECT unit, area, criterion, max_points, self_points, appraised_points, source_line
                     FROM appraisals WHERE campaign_id = $1 ORDER BY unit, source_line, criterion",
                )
                .bind(campaign)
                .fetch_all(&self.pool)
                .await?;
                let dec = |s: &str| {
                    <rust_decimal::Decimal as std::str::FromStr>::from_str(s)
                        .map_err(|e| StoreError::Corrupt(format!("điểm «{s}»: {e}")))
                };
                rows.into_iter()
                    .map(|(unit, area, criterion, max, own, appraised, line)| {
                        Ok($crate::model::appraisal::Appraisal {
                            unit,
                            area,
                            criterion,
                            max_points: dec(&max)?,
                            self_points: own.as_deref().map(dec).transpose()?,
                            appraised_points: dec(&appraised)?,
                            line: usize::try_from(line.unwrap_or_default()).unwrap_or_default(),
                        })
                    })
                    .collect()
            }

            async fn count_responses(&self, campaign: &str) -> Result<i64, StoreError> {
                let (n,): (i64,) =
                    sqlx::query_as("SELECT COUNT(*) FROM responses WHERE campaign_id = $1").bind(campaign).fetch_one(&self.pool).await?;
                Ok(n)
            }

            async fn answer_chunks(&self, campaign: &str) -> Result<Vec<$crate::store::AnswerChunk>, StoreError> {
                let (kept,): (Option<i64>,) =
                    sqlx::query_as("SELECT CAST(SUM(sign * n) AS BIGINT) FROM answer_chunks WHERE campaign_id = $1")
                        .bind(campaign)
                        .fetch_one(&self.pool)
                        .await?;
                // The responses in the indices, as the tallies count them
                // (kept in the same transactions as the chunks).
                let (stored,): (Option<i64>,) =
                    sqlx::query_as("SELECT CAST(SUM(n) AS BIGINT) FROM cell_counts WHERE campaign_id = $1")
                        .bind(campaign)
                        .fetch_one(&self.pool)
                        .await?;
                let stored = stored.unwrap_or(0);
                if kept.unwrap_or(0) != stored {
                    self.encode_chunks_again(campaign).await?;
                }
                let rows: Vec<(String, String, String, i64, Vec<u8>)> = sqlx::query_as(
                    "SELECT unit, group_code, field, sign, body FROM answer_chunks WHERE campaign_id = $1
                     ORDER BY unit, group_code, field, id",
                )
                .bind(campaign)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(u, g, f, sign, body)| (u, g, (!f.is_empty()).then_some(f), sign, body))
                    .collect())
            }

            async fn compact_chunks(&self, over: i64) -> Result<u64, StoreError> {
                let cells: Vec<(String, String, String, String)> = sqlx::query_as(
                    "SELECT campaign_id, unit, group_code, field FROM answer_chunks
                     GROUP BY campaign_id, unit, group_code, field HAVING COUNT(*) > $1",
                )
                .bind(over)
                .fetch_all(&self.pool)
                .await?;
                let mut folded = 0;
                for (campaign, unit, group, field) in cells {
                    let mut tx = self.pool.begin().await?;
                    sqlx::query("UPDATE service_settings SET value = value WHERE name = 'key_check'").execute(&mut *tx).await?;
                    let chunks: Vec<(i64, Vec<u8>)> = sqlx::query_as(
                        "SELECT sign, body FROM answer_chunks
                         WHERE campaign_id = $1 AND unit = $2 AND group_code = $3 AND field = $4",
                    )
                    .bind(&campaign)
                    .bind(&unit)
                    .bind(&group)
                    .bind(&field)
                    .fetch_all(&mut *tx)
                    .await?;
                    let corrupt = |e: $crate::store::columns::ChunkError| StoreError::Corrupt(e.to_string());
                    // Only additions: joined as integers, no answer turned back into text.
                    let joined = if chunks.iter().all(|(s, _)| *s > 0) {
                        let parts: Vec<&[u8]> = chunks.iter().map(|(_, b)| b.as_slice()).collect();
                        $crate::store::columns::concat(&parts).ok()
                    } else {
                        None
                    };
                    sqlx::query(
                        "DELETE FROM answer_chunks WHERE campaign_id = $1 AND unit = $2 AND group_code = $3 AND field = $4",
                    )
                    .bind(&campaign)
                    .bind(&unit)
                    .bind(&group)
                    .bind(&field)
                    .execute(&mut *tx)
                    .await?;
                    if let Some(d) = joined {
                        sqlx::query(
                            "INSERT INTO answer_chunks (campaign_id, unit, group_code, field, sign, n, body)
                             VALUES ($1, $2, $3, $4, 1, $5, $6)",
                        )
                        .bind(&campaign)
                        .bind(&unit)
                        .bind(&group)
                        .bind(&field)
                        .bind(i64::try_from(d.rows).unwrap_or(i64::MAX))
                        .bind(d.to_bytes())
                        .execute(&mut *tx)
                        .await?;
                    } else {
                        let parts: Vec<(i64, &[u8])> = chunks.iter().map(|(s, b)| (*s, b.as_slice())).collect();
                        let rows = $crate::store::columns::merge(&parts).map_err(corrupt)?;
                        let mut cell = $crate::store::columns::ChunkRows::new();
                        cell.insert((unit, group, field), rows);
                        Self::write_tallies(&mut tx, &campaign, &Default::default(), &Default::default(), &cell, 1).await?;
                    }
                    tx.commit().await?;
                    folded += 1;
                }
                Ok(folded)
            }

            async fn tallies(&self, campaign: &str) -> Result<$crate::store::Tallies, StoreError> {
                let some = |f: String| if f.is_empty() { None } else { Some(f) };
                let cells: Vec<(String, String, String, i64)> =
                    sqlx::query_as("SELECT unit, group_code, field, n FROM cell_counts WHERE campaign_id = $1")
                        .bind(campaign)
                        .fetch_all(&self.pool)
                        .await?;
                // One row a cell, its answers joined in one text: at a
                // province's 200,000 tally rows, handing each row over from
                // the driver cost more than the report built from them.
                let joined: Vec<(String, String, String, i64, String)> = sqlx::query_as(
                    "SELECT unit, group_code, field, COUNT(*),
                            string_agg(question || $2 || answer || $2 || CAST(n AS TEXT), $3)
                       FROM tallies WHERE campaign_id = $1 GROUP BY unit, group_code, field",
                )
                .bind(campaign)
                .bind($crate::store::TALLY_UNIT.to_string())
                .bind($crate::store::TALLY_ROW.to_string())
                .fetch_all(&self.pool)
                .await?;
                let mut answers = Vec::with_capacity(joined.len());
                for (unit, group, field, rows, text) in joined {
                    let cell = match $crate::store::TallyCell::parse(unit.clone(), group.clone(), some(field.clone()), rows, &text) {
                        Some(cell) => cell,
                        // A code holding a separator: this cell row by row.
                        None => $crate::store::TallyCell {
                            rows: sqlx::query_as(
                                "SELECT question, answer, n FROM tallies
                                  WHERE campaign_id = $1 AND unit = $2 AND group_code = $3 AND field = $4",
                            )
                            .bind(campaign)
                            .bind(&unit)
                            .bind(&group)
                            .bind(&field)
                            .fetch_all(&self.pool)
                            .await?,
                            unit,
                            group,
                            field: some(field),
                        },
                    };
                    answers.push(cell);
                }
                Ok($crate::store::Tallies {
                    cells: cells.into_iter().map(|(u, g, f, n)| (u, g, some(f), n)).collect(),
                    answers,
                })
            }

            async fn sweep(&self, now: chrono::DateTime<chrono::Utc>) -> Result<$crate::store::Sweep, StoreError> {
                self.sweep_due(now).await
            }

            async fn anonymity(&self, campaign: &str) -> Result<$crate::store::Anonymity, StoreError> {
                self.anonymity_of(campaign).await
            }

            async fn held_counts(&self, campaign: &str) -> Result<Vec<(String, String, i64)>, StoreError> {
                Ok(sqlx::query_as(
                    "SELECT unit, group_code, COUNT(*) FROM held_answers WHERE campaign_id = $1
                     GROUP BY unit, group_code ORDER BY unit, group_code",
                )
                .bind(campaign)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn releases(&self, campaign: &str) -> Result<Vec<$crate::store::release::ReleasedBatch>, StoreError> {
                let rows: Vec<(String, String, String, i64, String, i64, i64, chrono::NaiveDate)> = sqlx::query_as(
                    "SELECT unit, group_code, field, n, kind, burst, fast, released_on FROM releases WHERE campaign_id = $1
                     ORDER BY unit, group_code, field, kind, n",
                )
                .bind(campaign)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(unit, group, field, n, kind, burst, fast, released_on)| $crate::store::release::ReleasedBatch {
                        unit,
                        group,
                        field,
                        n,
                        kind: $crate::store::release::ReleaseKind::parse(&kind).unwrap_or($crate::store::release::ReleaseKind::Cell),
                        burst,
                        fast,
                        released_on,
                    })
                    .collect())
            }

            fn responses<'a>(
                &'a self,
                campaign: &'a str,
            ) -> futures::stream::BoxStream<'a, Result<$crate::store::StoredResponse, StoreError>> {
                use futures::StreamExt;
                sqlx::query_as::<$db, (String, String, Option<String>, chrono::NaiveDate, String, String, Option<String>)>(
                    "SELECT unit, group_code, field, submitted_on, source, answers, ballot FROM responses
                     WHERE campaign_id = $1 AND excluded IS NULL
                     ORDER BY unit, group_code, field NULLS FIRST, shuffle",
                )
                .bind(campaign)
                .fetch(&self.pool)
                .map(|row| {
                    let (unit, group, field, submitted_on, source, answers, ballot) = row?;
                    let cells = serde_json::from_str(&answers)?;
                    Ok($crate::store::StoredResponse { unit, group, field, submitted_on, source, ballot, cells })
                })
                .boxed()
            }
        }
    };
}

pub(crate) use sql_store;
