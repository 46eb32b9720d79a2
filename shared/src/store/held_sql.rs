//! Held answers and their release (SPEC §10), for both backends: answers wait
//! sealed until their unit × group × field holds k, then come out together,
//! shuffled, into `responses` with their tallies; a campaign that closes
//! releases its remainders; drafts expire; deleted bytes are scrubbed.

macro_rules! held_store {
    ($store:ident, $db:ty, $backend:expr) => {
        impl $store {
            /// Loads the service key and checks it is the one this database was
            /// sealed with; a database never sealed adopts it (and may create it).
            async fn adopt_key(
                pool: &sqlx::Pool<$db>,
                source: &$crate::store::key::KeySource,
            ) -> Result<$crate::store::key::ServiceKey, StoreError> {
                let stored: Option<(String,)> =
                    sqlx::query_as("SELECT value FROM service_settings WHERE name = 'key_check'").fetch_optional(pool).await?;
                let key = $crate::store::key::ServiceKey::load(source, stored.is_none())?;
                if stored.is_none() {
                    sqlx::query("INSERT INTO service_settings (name, value) VALUES ('key_check', $1) ON CONFLICT (name) DO NOTHING")
                        .bind(key.check())
                        .execute(pool)
                        .await?;
                }
                let (check,): (String,) =
                    sqlx::query_as("SELECT value FROM service_settings WHERE name = 'key_check'").fetch_one(pool).await?;
                if check != key.check() {
                    return Err(StoreError::Key(
                        "khoá này không phải khoá đã niêm phong cơ sở dữ liệu; dùng đúng tệp khoá (SIPAS_KEY_FILE) \
                         mà các tiến trình khác của cơ sở dữ liệu này dùng"
                            .into(),
                    ));
                }
                Ok(key)
            }

            /// Once per database: numbers keyed before keyed tags had their
            /// own prefix carried the tag their released row carries; they get
            /// the keyed tag, so the two tables no longer join (SPEC §10).
            async fn retag_keyed_ballots(
                pool: &sqlx::Pool<$db>,
                key: &$crate::store::key::ServiceKey,
            ) -> Result<(), StoreError> {
                let done: Option<(String,)> =
                    sqlx::query_as("SELECT value FROM service_settings WHERE name = 'keyed_tags'").fetch_optional(pool).await?;
                if done.is_some() {
                    return Ok(());
                }
                let mut tx = pool.begin().await?;
                sqlx::query("INSERT INTO service_settings (name, value) VALUES ('keyed_tags', 'keyed') ON CONFLICT (name) DO NOTHING")
                    .execute(&mut *tx)
                    .await?;
                let keyed: Vec<(String, String)> =
                    sqlx::query_as("SELECT campaign_id, tag FROM keyed_ballots").fetch_all(&mut *tx).await?;
                if !keyed.is_empty() {
                    let numbers: Vec<(String, String)> =
                        sqlx::query_as("SELECT campaign_id, number FROM ballot_numbers").fetch_all(&mut *tx).await?;
                    let old: std::collections::HashMap<(String, String), String> = numbers
                        .iter()
                        .map(|(c, n)| ((c.clone(), key.ballot_tag(c, n)), key.keyed_tag(c, n)))
                        .collect();
                    for (campaign, tag) in keyed {
                        if let Some(new) = old.get(&(campaign.clone(), tag.clone())) {
                            sqlx::query("UPDATE keyed_ballots SET tag = $3 WHERE campaign_id = $1 AND tag = $2")
                                .bind(&campaign)
                                .bind(&tag)
                                .bind(new)
                                .execute(&mut *tx)
                                .await?;
                        }
                    }
                }
                tx.commit().await?;
                Ok(())
            }

            /// Takes the campaign's release lock until the transaction ends
            /// (PostgreSQL; SQLite has one writer at a time). Taken again in
            /// the same transaction it is already held.
            async fn lock_releases(tx: &mut sqlx::Transaction<'_, $db>, campaign: &str) -> Result<(), StoreError> {
                if matches!($backend, $crate::store::Backend::Postgres) {
                    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
                        .bind(format!("sipas release|{campaign}"))
                        .execute(&mut **tx)
                        .await?;
                }
                Ok(())
            }

            /// The campaign's k and time zone, in one read, with the
            /// campaign's release lock taken (see [`lock_releases`](Self::lock_releases)).
            async fn release_settings(
                tx: &mut sqlx::Transaction<'_, $db>,
                campaign: &str,
            ) -> Result<(i64, String), StoreError> {
                let sql = if matches!($backend, $crate::store::Backend::Postgres) {
                    // One round trip: the lock is taken as the row is read.
                    "SELECT CAST(c.anonymity_k AS BIGINT), c.timezone FROM campaigns c,
                            (SELECT pg_advisory_xact_lock(hashtextextended($2, 0))) AS l WHERE c.id = $1"
                } else {
                    // SQLite has one writer at a time; the name is unused.
                    "SELECT CAST(anonymity_k AS BIGINT), timezone FROM campaigns WHERE id = $1 AND $2 IS NOT NULL"
                };
                let row: Option<(i64, String)> = sqlx::query_as(sql)
                    .bind(campaign)
                    .bind(format!("sipas release|{campaign}"))
                    .fetch_optional(&mut **tx)
                    .await?;
                if row.is_none() {
                    Self::lock_releases(tx, campaign).await?;
                }
                Ok(row.unwrap_or_else(|| {
                    (
                        i64::from($crate::model::campaign::DEFAULT_ANONYMITY_K),
                        $crate::model::campaign::DEFAULT_TIMEZONE.to_owned(),
                    )
                }))
            }

            /// The held rows of `cells` (unit, group, field; '' for none), by
            /// cell; with `full_at`, only of the cells holding that many.
            async fn read_held(
                tx: &mut sqlx::Transaction<'_, $db>,
                campaign: &str,
                cells: &[&(String, String, String)],
                full_at: Option<i64>,
            ) -> Result<$crate::store::release::HeldRows, StoreError> {
                let mut held = $crate::store::release::HeldRows::new();
                for part in cells.chunks(300) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(
                        "SELECT id, unit, group_code, field, sealed FROM held_answers WHERE campaign_id = ",
                    );
                    q.push_bind(campaign.to_owned());
                    q.push(" AND (unit, group_code, field) IN (");
                    if full_at.is_some() {
                        q.push("SELECT unit, group_code, field FROM held_answers WHERE campaign_id = ");
                        q.push_bind(campaign.to_owned());
                        q.push(" AND (unit, group_code, field) IN (");
                    }
                    q.push_values(part, |mut b, (unit, group, field)| {
                        b.push_bind(unit.clone()).push_bind(group.clone()).push_bind(field.clone());
                    });
                    q.push(")");
                    if let Some(k) = full_at {
                        q.push(" GROUP BY unit, group_code, field HAVING COUNT(*) >= ");
                        q.push_bind(k);
                        q.push(")");
                    }
                    let rows: Vec<(i64, String, String, String, Vec<u8>)> = q.build_query_as().fetch_all(&mut **tx).await?;
                    for (id, unit, group, field, sealed) in rows {
                        held.entry((unit, group, field)).or_default().push((id, sealed));
                    }
                }
                Ok(held)
            }

            /// Releases each of `cells` (unit, group, field; '' for none) that
            /// holds at least the campaign's k answers. The held rows of the
            /// full cells are read in the same statement that finds them: on
            /// the submission path every statement is a wait.
            async fn release_full_cells(
                tx: &mut sqlx::Transaction<'_, $db>,
                key: &$crate::store::key::ServiceKey,
                campaign: &str,
                cells: &std::collections::BTreeSet<(String, String, String)>,
            ) -> Result<u64, StoreError> {
                // The campaign's release lock before counting: two writers
                // that each counted k − 1 would both wait for more. On
                // PostgreSQL it is taken in the read of the settings.
                let (k, zone) = Self::release_settings(tx, campaign).await?;
                let cells: Vec<&(String, String, String)> = cells.iter().collect();
                let held = Self::read_held(tx, campaign, &cells, Some(k)).await?;
                let batches: Vec<$crate::store::release::Batch> =
                    held.keys().cloned().map($crate::store::release::Batch::cell).collect();
                Self::release_held(tx, key, campaign, (k, &zone), &batches, held).await
            }

            /// Moves the held answers of each batch into `responses`, shuffled,
            /// as the cell the batch is released as, with their tallies, and
            /// logs each batch. A batch that holds fewer than `k` answers is
            /// left waiting: no batch is ever smaller than k (SPEC §10). The
            /// caller holds [`lock_releases`](Self::lock_releases).
            async fn release_batches(
                tx: &mut sqlx::Transaction<'_, $db>,
                key: &$crate::store::key::ServiceKey,
                campaign: &str,
                k: i64,
                batches: &[$crate::store::release::Batch],
            ) -> Result<u64, StoreError> {
                if batches.is_empty() {
                    return Ok(0);
                }
                // The caller holds the campaign's release lock: another process
                // releasing the same campaign has waited, and the read below
                // sees the rows it took gone, so no short batch is released.
                // Every member cell's held rows in one read.
                let cells: std::collections::BTreeSet<&(String, String, String)> =
                    batches.iter().flat_map(|b| b.members.iter()).collect();
                let cells: Vec<&(String, String, String)> = cells.into_iter().collect();
                let held_rows = Self::read_held(tx, campaign, &cells, None).await?;
                let (_, zone) = Self::release_settings(tx, campaign).await?;
                Self::release_held(tx, key, campaign, (k, &zone), batches, held_rows).await
            }

            /// Releases `batches` from their members' held rows, read by the
            /// caller under the release lock; the campaign's k and zone come
            /// with them.
            async fn release_held(
                tx: &mut sqlx::Transaction<'_, $db>,
                key: &$crate::store::key::ServiceKey,
                campaign: &str,
                (k, zone): (i64, &str),
                batches: &[$crate::store::release::Batch],
                mut held_rows: $crate::store::release::HeldRows,
            ) -> Result<u64, StoreError> {
                use rand::seq::SliceRandom;
                use std::collections::BTreeMap;
                let mut gone: Vec<i64> = Vec::new();
                let mut released: Vec<$crate::store::release::Released> = Vec::new();
                let mut tallies = BTreeMap::new();
                let mut cell_counts = BTreeMap::new();
                let mut chunk_rows = $crate::store::columns::ChunkRows::new();
                let mut log: Vec<$crate::store::release::LogLine> = Vec::new();
                for batch in batches {
                    let members: Vec<(&(String, String, String), Vec<(i64, Vec<u8>)>)> =
                        batch.members.iter().map(|m| (m, held_rows.remove(m).unwrap_or_default())).collect();
                    let n: usize = members.iter().map(|(_, rows)| rows.len()).sum();
                    let n = i64::try_from(n).unwrap_or(i64::MAX);
                    if n == 0 || n < k {
                        continue;
                    }
                    let mut opened = Vec::new();
                    for ((unit, group, field), rows) in &members {
                        let context = $crate::store::held_context(campaign, unit, group, field);
                        for (id, blob) in rows {
                            let held: $crate::store::HeldAnswer = serde_json::from_slice(&key.open(&context, blob)?)?;
                            opened.push((unit.clone(), held));
                            gone.push(*id);
                        }
                    }
                    // Every answer of a batch carries the same day, the batch's
                    // last: a day of its own would tell answers apart.
                    let Some(day) = opened.iter().map(|(_, h)| h.on).max() else { continue };
                    // And one source, or «mixed» where they differ (below):
                    // a paper ballot among online answers would otherwise be
                    // a crowd of one in the chunks.
                    let source_of = |h: &$crate::store::HeldAnswer| h.source.clone().unwrap_or_else(|| "online".to_owned());
                    let batch_source = match opened.first().map(|(_, h)| source_of(h)) {
                        Some(first) if opened.iter().all(|(_, h)| source_of(h) == first) => first,
                        _ => "mixed".to_owned(),
                    };
                    let (unit, group, field) = (&batch.unit, &batch.group, batch.field.clone());
                    let mut burst = 0i64;
                    let mut from_units: BTreeMap<String, i64> = BTreeMap::new();
                    let first = released.len();
                    for (source_unit, held) in opened {
                        *from_units.entry(source_unit).or_default() += 1;
                        // Every answer goes to the chunks (free text too, for
                        // the comments); the tallies count what `counted` says.
                        let all: std::collections::BTreeMap<String, String> = serde_json::from_str(&held.answers)?;
                        let counted: std::collections::BTreeSet<&str> = held.counted.iter().map(|(q, _)| q.as_str()).collect();
                        $crate::store::count_cells(
                            unit,
                            group,
                            field.as_deref(),
                            all.iter(),
                            &|code| counted.contains(code),
                            &mut tallies,
                            &mut cell_counts,
                            &mut chunk_rows,
                            day,
                            &batch_source,
                        );
                        // A burst tells when an answer came: the batch keeps
                        // how many did, the answer does not.
                        burst += i64::from(held.flags.contains(&$crate::store::Flag::Burst));
                        let kept: Vec<&str> =
                            held.flags.iter().filter(|f| f.on_response()).map(|f| f.code()).collect();
                        let flags = (!kept.is_empty()).then(|| kept.join(","));
                        released.push($crate::store::release::Released {
                            unit: unit.clone(),
                            group: group.clone(),
                            field: field.clone(),
                            day,
                            source: held.source.unwrap_or_else(|| "online".to_owned()),
                            // Every row carries a keyed tag in place of a
                            // number: a ballot's tag finds it to withdraw it,
                            // an online answer's is random, and without the
                            // key no row tells which is which.
                            ballot: Some(match &held.ballot {
                                Some(number) => key.ballot_tag(campaign, number),
                                None => key.tag(&format!("online|{}", rand::random::<u64>())),
                            }),
                            number: held.ballot,
                            answers: held.answers,
                            flags,
                        });
                    }
                    // One source for the whole batch: a paper ballot among
                    // online answers would otherwise be a crowd of one.
                    let batch_rows = &mut released[first..];
                    let mut fast = 0;
                    if batch_rows.iter().any(|r| r.source != batch_rows[0].source) {
                        for r in batch_rows.iter_mut() {
                            r.source = "mixed".to_owned();
                        }
                        fast = $crate::store::release::fast_off_mixed(batch_rows);
                    }
                    let flags = $crate::store::release::BatchFlags { burst, fast };
                    log.extend($crate::store::release::log_lines(batch, n, flags, &from_units));
                }
                if released.is_empty() {
                    return Ok(0);
                }
                for part in gone.chunks(1000) {
                    let mut q = sqlx::QueryBuilder::<$db>::new("DELETE FROM held_answers WHERE id IN (");
                    let mut list = q.separated(", ");
                    for id in part {
                        list.push_bind(*id);
                    }
                    q.push(")");
                    q.build().execute(&mut **tx).await?;
                }
                released.shuffle(&mut rand::rng());
                if batches.iter().any(|b| b.kind == $crate::store::release::ReleaseKind::AboveUnit) {
                    // Responses name a unit row; answers above the units get
                    // one of their own, which no campaign file lists.
                    sqlx::query(
                        "INSERT INTO units (campaign_id, code, name, kind, parent) VALUES ($1, $2, $3, 'above', NULL)
                         ON CONFLICT (campaign_id, code) DO NOTHING",
                    )
                    .bind(campaign)
                    .bind($crate::store::release::ABOVE_UNITS)
                    .bind($crate::store::release::ABOVE_UNITS_NAME)
                    .execute(&mut **tx)
                    .await?;
                }
                for chunk in released.chunks(1000) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO responses (campaign_id, unit, group_code, field, submitted_on, source, answers, shuffle, flags, ballot) ",
                    );
                    q.push_values(chunk, |mut b, r| {
                        b.push_bind(campaign.to_owned())
                            .push_bind(r.unit.clone())
                            .push_bind(r.group.clone())
                            .push_bind(r.field.clone())
                            .push_bind(r.day)
                            .push_bind(r.source.clone())
                            .push_bind(r.answers.clone())
                            .push_bind(rand::random::<i64>())
                            .push_bind(r.flags.clone())
                            .push_bind(r.ballot.clone());
                    });
                    q.build().execute(&mut **tx).await?;
                }
                // A keyed ballot's number is marked used with its batch, all
                // at the release's time: never in the order they were keyed.
                let numbers: Vec<&str> = released.iter().filter_map(|r| r.number.as_deref()).collect();
                for chunk in numbers.chunks(500) {
                    let mut q = sqlx::QueryBuilder::<$db>::new("UPDATE ballot_numbers SET used_at = ");
                    q.push_bind($crate::model::clock::now());
                    q.push(" WHERE campaign_id = ");
                    q.push_bind(campaign.to_owned());
                    q.push(" AND used_at IS NULL AND number IN (");
                    let mut list = q.separated(", ");
                    for n in chunk {
                        list.push_bind((*n).to_owned());
                    }
                    q.push(")");
                    q.build().execute(&mut **tx).await?;
                }
                Self::write_tallies(tx, campaign, &tallies, &cell_counts, &chunk_rows, 1).await?;
                // The release is dated in the campaign's own time zone.
                let today = $crate::model::clock::day_in(zone, $crate::model::clock::now());
                for part in log.chunks(500) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO releases (campaign_id, unit, group_code, field, n, below_k, released_on, kind, burst, fast) ",
                    );
                    q.push_values(part, |mut b, line| {
                        b.push_bind(campaign.to_owned())
                            .push_bind(line.unit.clone())
                            .push_bind(line.group.clone())
                            .push_bind(line.field.clone())
                            .push_bind(line.n)
                            .push_bind(false)
                            .push_bind(today)
                            .push_bind(line.kind.code())
                            .push_bind(line.burst)
                            .push_bind(line.fast);
                    });
                    q.build().execute(&mut **tx).await?;
                }
                Ok(u64::try_from(released.len()).unwrap_or(u64::MAX))
            }

            async fn sweep_due(&self, now: chrono::DateTime<chrono::Utc>) -> Result<$crate::store::Sweep, StoreError> {
                let mut out = $crate::store::Sweep::default();
                let closed = Self::closed_campaigns(&self.pool, now).await?;
                for (campaign, k) in closed.iter().cloned() {
                    let mut tx = self.pool.begin().await?;
                    // A write first, so SQLite takes its write lock before reading.
                    sqlx::query("UPDATE service_settings SET value = value WHERE name = 'key_check'").execute(&mut *tx).await?;
                    Self::lock_releases(&mut tx, &campaign).await?;
                    let cells: Vec<(String, String, String, i64)> = sqlx::query_as(
                        "SELECT unit, group_code, field, COUNT(*) FROM held_answers WHERE campaign_id = $1
                         GROUP BY unit, group_code, field ORDER BY unit, group_code, field",
                    )
                    .bind(&campaign)
                    .fetch_all(&mut *tx)
                    .await?;
                    let batches = $crate::store::release::plan_at_close(&cells, k);
                    out.released_at_close += Self::release_batches(&mut tx, &self.key, &campaign, k, &batches).await?;
                    tx.commit().await?;
                }
                let stale = $crate::model::clock::now() - chrono::Duration::days($crate::store::DRAFT_DAYS);
                let mut gone = sqlx::query("DELETE FROM drafts WHERE updated_at < $1").bind(stale).execute(&self.pool).await?.rows_affected();
                for (campaign, _) in &closed {
                    gone += sqlx::query("DELETE FROM drafts WHERE campaign_id = $1").bind(campaign).execute(&self.pool).await?.rows_affected();
                }
                out.drafts_expired = gone;
                // Keep each cell's answers in few chunks, for fast breakdowns.
                $crate::store::Store::compact_chunks(self, 16).await?;
                self.scrub().await?;
                Ok(out)
            }

            /// The campaigns whose closing day has passed in their own time
            /// zone, with their k, by id.
            async fn closed_campaigns(
                pool: &sqlx::Pool<$db>,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<Vec<(String, i64)>, StoreError> {
                // No zone is a day ahead of UTC: a campaign that closes on or
                // after tomorrow's UTC date is still open everywhere.
                let horizon = now.date_naive() + chrono::Duration::days(1);
                let rows: Vec<(String, i64, chrono::NaiveDate, String)> = sqlx::query_as(
                    "SELECT id, CAST(anonymity_k AS BIGINT), closes, timezone FROM campaigns WHERE closes < $1 ORDER BY id",
                )
                .bind(horizon)
                .fetch_all(pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .filter(|(_, _, closes, zone)| $crate::model::clock::has_closed(*closes, zone, now))
                    .map(|(id, k, _, _)| (id, k))
                    .collect())
            }

            /// Leaves no copy of deleted held answers or drafts where someone
            /// holding the files could find it: SQLite deletes with
            /// `secure_delete` and here truncates the WAL; PostgreSQL vacuums the
            /// two tables so no dead tuple keeps them.
            async fn scrub(&self) -> Result<(), StoreError> {
                if matches!($backend, $crate::store::Backend::Postgres) {
                    sqlx::query("VACUUM held_answers, drafts").execute(&self.pool).await?;
                } else {
                    // A checkpoint a reader holds back answers `busy` rather
                    // than failing: say so, the next sweep tries again.
                    let (busy, _, _): (i64, i64, i64) =
                        sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)").fetch_one(&self.pool).await?;
                    if busy != 0 {
                        tracing::warn!("nhật ký WAL chưa được xoá sạch (đang có người đọc): lần quét sau sẽ thử lại");
                    }
                }
                Ok(())
            }

            async fn anonymity_of(&self, campaign: &str) -> Result<$crate::store::Anonymity, StoreError> {
                let k: Option<(i64,)> =
                    sqlx::query_as("SELECT CAST(anonymity_k AS BIGINT) FROM campaigns WHERE id = $1").bind(campaign).fetch_optional(&self.pool).await?;
                let (held,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM held_answers WHERE campaign_id = $1")
                    .bind(campaign)
                    .fetch_one(&self.pool)
                    .await?;
                let by_kind: Vec<(String, bool, i64)> = sqlx::query_as(
                    "SELECT kind, CAST(below_k AS INTEGER) <> 0, CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM releases WHERE campaign_id = $1
                     GROUP BY kind, CAST(below_k AS INTEGER) <> 0",
                )
                .bind(campaign)
                .fetch_all(&self.pool)
                .await?;
                let sum = |f: &dyn Fn(&str, bool) -> bool| by_kind.iter().filter(|(kind, below, _)| f(kind, *below)).map(|r| r.2).sum::<i64>();
                let below = sum(&|_, below| below);
                let generalised = sum(&|kind, _| kind == "generalised");
                let above_unit = sum(&|kind, _| kind == "above_unit");
                let closed: Option<(bool,)> =
                    sqlx::query_as::<_, (chrono::NaiveDate, String)>("SELECT closes, timezone FROM campaigns WHERE id = $1")
                        .bind(campaign)
                        .fetch_optional(&self.pool)
                        .await?
                        .map(|(closes, zone)| ($crate::model::clock::has_closed(closes, &zone, $crate::model::clock::now()),));
                let (excluded,): (i64,) =
                    sqlx::query_as("SELECT COUNT(*) FROM responses WHERE campaign_id = $1 AND excluded IS NOT NULL")
                        .bind(campaign)
                        .fetch_one(&self.pool)
                        .await?;
                Ok($crate::store::Anonymity {
                    k: k.map_or(i64::from($crate::model::campaign::DEFAULT_ANONYMITY_K), |(k,)| k),
                    held,
                    released_below_k: below,
                    generalised,
                    above_unit,
                    closed: closed.is_some_and(|(c,)| c),
                    excluded,
                })
            }
        }
    };
}

pub(crate) use held_store;
