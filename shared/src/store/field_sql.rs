//! The SQL of [`FieldOps`](super::FieldOps), shared by both backends like `sql.rs`.

macro_rules! field_store {
    ($store:ident, $db:ty) => {
        impl $store {
            fn user_from_row(
                (id, name, role, units, disabled): (i64, String, String, String, bool),
            ) -> Result<$crate::model::auth::User, StoreError> {
                let role = $crate::model::auth::Role::parse(&role)
                    .ok_or_else(|| StoreError::Corrupt(format!("vai trò «{role}» của tài khoản {name}")))?;
                let units = units.split(',').filter(|u| !u.is_empty()).map(str::to_owned).collect();
                Ok($crate::model::auth::User { id, name, role, units, disabled })
            }

            /// The account of a live token of `scope`: not expired, not revoked, account enabled.
            async fn token_user(
                pool: &sqlx::Pool<$db>,
                token_hash: &str,
                scope: &str,
            ) -> Result<Option<$crate::model::auth::User>, StoreError> {
                let row: Option<(i64, String, String, String, bool)> = sqlx::query_as(
                    "SELECT u.id, u.name, u.role, u.units, FALSE FROM api_tokens t JOIN users u ON u.id = t.user_id
                     WHERE t.token_hash = $1 AND t.scope = $3 AND t.revoked_at IS NULL AND t.expires_at > $2
                       AND u.disabled_at IS NULL",
                )
                .bind(token_hash)
                .bind($crate::model::clock::now())
                .bind(scope)
                .fetch_optional(pool)
                .await?;
                row.map(Self::user_from_row).transpose()
            }

            /// Adds a token of `scope`: `api` opens the report API, `offline` syncs interviews.
            async fn add_token(
                pool: &sqlx::Pool<$db>,
                token_hash: &str,
                user: i64,
                label: &str,
                expires: chrono::DateTime<chrono::Utc>,
                scope: &str,
            ) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO api_tokens (token_hash, user_id, label, created_at, expires_at, scope)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(token_hash)
                .bind(user)
                .bind(label)
                .bind($crate::model::clock::now())
                .bind(expires)
                .bind(scope)
                .execute(pool)
                .await?;
                Ok(())
            }

            /// Revokes an account's offline apps' keys: a phone signed in
            /// before a password reset, or before the account was disabled,
            /// syncs no more even once the account is enabled again.
            async fn revoke_sync_keys(
                tx: &mut sqlx::Transaction<'_, $db>,
                user: i64,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), StoreError> {
                sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND scope = 'offline' AND revoked_at IS NULL")
                    .bind(now)
                    .bind(user)
                    .execute(&mut **tx)
                    .await?;
                Ok(())
            }

            /// Removes the people of one list who have no invitation; returns how many.
            async fn remove_uninvited(
                tx: &mut sqlx::Transaction<'_, $db>,
                campaign: &str,
                scope: $crate::store::FrameScope<'_>,
            ) -> Result<u64, StoreError> {
                let done = sqlx::query(
                    "DELETE FROM frame_people WHERE campaign_id = $1 AND unit = $2
                       AND (roster_of = $3 OR ($3 IS NULL AND roster_of IS NULL))
                       AND id NOT IN (SELECT person_id FROM invitations WHERE campaign_id = $1 AND person_id IS NOT NULL)",
                )
                .bind(campaign)
                .bind(scope.unit)
                .bind(scope.roster_of)
                .execute(&mut **tx)
                .await?;
                Ok(done.rows_affected())
            }

            async fn log_in_tx(
                tx: &mut sqlx::Transaction<'_, $db>,
                e: $crate::store::field::Audit<'_>,
            ) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO audit_log (at, actor, campaign_id, action, subject, detail) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind($crate::model::clock::now())
                .bind(e.actor)
                .bind(e.campaign)
                .bind(e.action.code())
                .bind(e.subject)
                .bind(e.detail)
                .execute(&mut **tx)
                .await?;
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::field::FieldOps for $store {
            async fn frame_rows(&self, campaign: &str) -> Result<Vec<$crate::store::field::FrameRow>, StoreError> {
                let rows: Vec<(i64, String, Option<String>, String, i64, Option<String>)> = sqlx::query_as(
                    "SELECT p.id, p.unit, p.field, p.phone,
                            CAST(CASE WHEN EXISTS (SELECT 1 FROM invitations i WHERE i.person_id = p.id) THEN 1 ELSE 0 END AS BIGINT), p.roster_of
                     FROM frame_people p WHERE p.campaign_id = $1 ORDER BY p.unit, p.phone",
                )
                .bind(campaign)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(person, unit, field, phone, invited, roster_of)| $crate::store::field::FrameRow {
                        person,
                        unit,
                        field,
                        phone,
                        invited: invited != 0,
                        roster_of,
                    })
                    .collect())
            }

            async fn drawn_counts(&self, campaign: &str) -> Result<Vec<$crate::store::field::DrawnCount>, StoreError> {
                let rows: Vec<(String, String, Option<String>, i64, i64, i64)> = sqlx::query_as(
                    "SELECT unit, group_code, field, CAST(CASE WHEN reserve_rank IS NULL THEN 0 ELSE 1 END AS BIGINT),
                            CAST(CASE WHEN person_id IS NULL THEN 0 ELSE 1 END AS BIGINT), COUNT(*)
                     FROM invitations WHERE campaign_id = $1
                     GROUP BY unit, group_code, field, CASE WHEN reserve_rank IS NULL THEN 0 ELSE 1 END,
                              CASE WHEN person_id IS NULL THEN 0 ELSE 1 END",
                )
                .bind(campaign)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(unit, group, field, reserve, from_frame, n)| $crate::store::field::DrawnCount {
                        unit,
                        group,
                        field,
                        reserve: reserve != 0,
                        from_frame: from_frame != 0,
                        n,
                    })
                    .collect())
            }

            async fn save_villages(
                &self,
                campaign: &str,
                villages: &[$crate::store::field::Village],
                audit: $crate::store::field::Audit<'_>,
            ) -> Result<u64, StoreError> {
                let mut tx = self.pool.begin().await?;
                let mut written = 0;
                for chunk in villages.chunks(500) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO villages (campaign_id, unit, code, name, households) ",
                    );
                    q.push_values(chunk, |mut b, v| {
                        b.push_bind(campaign.to_owned())
                            .push_bind(v.unit.clone())
                            .push_bind(v.code.clone())
                            .push_bind(v.name.clone())
                            .push_bind(v.households);
                    });
                    q.push(
                        " ON CONFLICT (campaign_id, code) DO UPDATE SET name = excluded.name, households = excluded.households
                          WHERE villages.chance_num IS NULL AND villages.unit = excluded.unit",
                    );
                    written += q.build().execute(&mut *tx).await?.rows_affected();
                }
                let detail = format!("{} (ghi {written} thôn, tổ dân phố)", audit.detail);
                Self::log_in_tx(&mut tx, $crate::store::field::Audit { detail: &detail, ..audit }).await?;
                tx.commit().await?;
                Ok(written)
            }

            async fn villages(&self, campaign: &str) -> Result<Vec<$crate::store::field::Village>, StoreError> {
                let rows: Vec<(String, String, String, i64, Option<i64>, Option<i64>)> = sqlx::query_as(
                    "SELECT unit, code, name, households, chance_num, chance_den FROM villages
                     WHERE campaign_id = $1 ORDER BY unit, code",
                )
                .bind(campaign)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(unit, code, name, households, num, den)| $crate::store::field::Village {
                        unit,
                        code,
                        name,
                        households,
                        chance: num.zip(den),
                    })
                    .collect())
            }

            async fn mark_villages_drawn(
                &self,
                campaign: &str,
                drawn: &[(String, i64, i64)],
                audit: $crate::store::field::Audit<'_>,
            ) -> Result<(), StoreError> {
                let mut tx = self.pool.begin().await?;
                for (code, num, den) in drawn {
                    sqlx::query(
                        "UPDATE villages SET chance_num = $1, chance_den = $2
                         WHERE campaign_id = $3 AND code = $4 AND chance_num IS NULL",
                    )
                    .bind(num)
                    .bind(den)
                    .bind(campaign)
                    .bind(code)
                    .execute(&mut *tx)
                    .await?;
                }
                Self::log_in_tx(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn save_design_cells(
                &self,
                campaign: &str,
                cells: &[$crate::store::field::DesignCell],
            ) -> Result<(), StoreError> {
                for chunk in cells.chunks(500) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO design_cells (campaign_id, unit, group_code, field, chance_num, chance_den, listed, take) ",
                    );
                    q.push_values(chunk, |mut b, c| {
                        b.push_bind(campaign.to_owned())
                            .push_bind(c.unit.clone())
                            .push_bind(c.group.clone())
                            .push_bind(c.field.clone())
                            .push_bind(c.chance_num)
                            .push_bind(c.chance_den)
                            .push_bind(c.listed)
                            .push_bind(c.take);
                    });
                    q.push(" ON CONFLICT (campaign_id, unit, group_code, field) DO NOTHING");
                    q.build().execute(&self.pool).await?;
                }
                Ok(())
            }

            async fn design_cells(&self, campaign: &str) -> Result<Vec<$crate::store::field::DesignCell>, StoreError> {
                let rows: Vec<(String, String, String, i64, i64, i64, i64)> = sqlx::query_as(
                    "SELECT unit, group_code, field, chance_num, chance_den, listed, take FROM design_cells
                     WHERE campaign_id = $1 ORDER BY unit, group_code, field",
                )
                .bind(campaign)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(unit, group, field, chance_num, chance_den, listed, take)| $crate::store::field::DesignCell {
                        unit,
                        group,
                        field,
                        chance_num,
                        chance_den,
                        listed,
                        take,
                    })
                    .collect())
            }

            async fn issue_slips(
                &self,
                campaign: &str,
                slips: &[$crate::store::field::NewSlip],
                audit: $crate::store::field::Audit<'_>,
            ) -> Result<u64, StoreError> {
                let now = $crate::model::clock::now();
                let mut tx = self.pool.begin().await?;
                let mut issued = 0;
                for s in slips {
                    // A fresh code on the rare clash with an existing one.
                    for _ in 0..8 {
                        let done = sqlx::query(
                            "INSERT INTO invitations (token, code, campaign_id, unit, group_code, field, person_id, status,
                                                      reserve_rank, created_at, updated_at)
                             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10
                             WHERE $7 IS NULL OR NOT EXISTS (SELECT 1 FROM invitations WHERE person_id = $7)
                             ON CONFLICT DO NOTHING",
                        )
                        .bind($crate::model::Token::generate().as_str().to_owned())
                        .bind($crate::model::ShortCode::generate().as_str().to_owned())
                        .bind(campaign)
                        .bind(&s.unit)
                        .bind(&s.group)
                        .bind(&s.field)
                        .bind(s.person)
                        .bind(if s.reserve_rank.is_some() { "reserve" } else { "issued" })
                        .bind(s.reserve_rank.map(i64::from))
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                        if done.rows_affected() == 1 {
                            issued += 1;
                            break;
                        }
                        if let Some(p) = s.person {
                            let taken: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM invitations WHERE person_id = $1")
                                .bind(p)
                                .fetch_optional(&mut *tx)
                                .await?;
                            if taken.is_some() {
                                break;
                            }
                        }
                    }
                }
                Self::log_in_tx(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(issued)
            }

            async fn slips(
                &self,
                campaign: &str,
                unit: Option<&str>,
            ) -> Result<Vec<$crate::store::field::Slip>, StoreError> {
                let rows: Vec<$crate::store::field_sql::SlipRow> = sqlx::query_as(
                    "SELECT i.code, i.token, i.unit, i.group_code, i.field, i.status, i.reserve_rank, i.attempts, i.replaced_by,
                            p.full_name, p.phone, p.address
                     FROM invitations i LEFT JOIN frame_people p ON p.id = i.person_id
                     WHERE i.campaign_id = $1 AND ($2 IS NULL OR i.unit = $2) AND i.code IS NOT NULL
                     ORDER BY i.unit, i.group_code, CASE WHEN i.reserve_rank IS NULL THEN 0 ELSE 1 END, i.field,
                              i.reserve_rank, p.full_name, i.code",
                )
                .bind(campaign)
                .bind(unit)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map($crate::store::field_sql::slip_from_row).collect()
            }

            async fn claim_offline(
                &self,
                token: &$crate::model::Token,
                client: &str,
            ) -> Result<$crate::store::field::OfflineClaim, StoreError> {
                use $crate::store::field::OfflineClaim;
                let issued = $crate::model::InvitationStatus::Issued;
                let fresh = sqlx::query(
                    "UPDATE invitations SET offline_client = $2 WHERE token = $1 AND offline_client IS NULL AND status = $3",
                )
                .bind(token.as_str())
                .bind(client)
                .bind(issued.code())
                .execute(&self.pool)
                .await?
                .rows_affected();
                if fresh == 1 {
                    return Ok(OfflineClaim::Fresh);
                }
                let row: Option<(String, Option<String>)> =
                    sqlx::query_as("SELECT status, offline_client FROM invitations WHERE token = $1")
                        .bind(token.as_str())
                        .fetch_optional(&self.pool)
                        .await?;
                let Some((status, holder)) = row else { return Ok(OfflineClaim::Unknown) };
                let status = $crate::store::status_of(&status)?;
                let answered = $crate::model::InvitationStatus::Answered;
                Ok(match holder {
                    Some(h) if h == client && status == issued => OfflineClaim::Same { answered: false },
                    Some(h) if h == client && status == answered => OfflineClaim::Same { answered: true },
                    Some(h) if h == client => OfflineClaim::Closed(status),
                    Some(_) => OfflineClaim::Other,
                    None => OfflineClaim::Closed(status),
                })
            }

            async fn release_offline(&self, token: &$crate::model::Token, client: &str) -> Result<(), StoreError> {
                sqlx::query("UPDATE invitations SET offline_client = NULL WHERE token = $1 AND offline_client = $2")
                    .bind(token.as_str())
                    .bind(client)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn slip(&self, campaign: &str, code: &str) -> Result<Option<$crate::store::field::Slip>, StoreError> {
                let row: Option<$crate::store::field_sql::SlipRow> = sqlx::query_as(
                    "SELECT i.code, i.token, i.unit, i.group_code, i.field, i.status, i.reserve_rank, i.attempts, i.replaced_by,
                            p.full_name, p.phone, p.address
                     FROM invitations i LEFT JOIN frame_people p ON p.id = i.person_id
                     WHERE i.campaign_id = $1 AND i.code = $2",
                )
                .bind(campaign)
                .bind(code)
                .fetch_optional(&self.pool)
                .await?;
                row.map($crate::store::field_sql::slip_from_row).transpose()
            }

            async fn code_of(&self, token: &$crate::model::Token) -> Result<Option<String>, StoreError> {
                let row: Option<(Option<String>,)> = sqlx::query_as("SELECT code FROM invitations WHERE token = $1")
                    .bind(token.as_str())
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.and_then(|(c,)| c))
            }

            async fn token_by_code(&self, code: &str) -> Result<Option<$crate::model::Token>, StoreError> {
                // Only a live slip: a guessed code of an answered, closed or
                // expired one leads nowhere.
                let row: Option<(String,)> = sqlx::query_as(
                    "SELECT token FROM invitations WHERE code = $1 AND status = 'issued'
                       AND (expires_at IS NULL OR expires_at > $2)",
                )
                .bind(code)
                .bind($crate::model::clock::now())
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.and_then(|(t,)| $crate::model::Token::parse(&t)))
            }

            async fn record_outcome(
                &self,
                campaign: &str,
                code: &str,
                outcome: $crate::store::field::Outcome,
                actor: &str,
            ) -> Result<Result<$crate::model::InvitationStatus, $crate::store::field::FieldError>, StoreError> {
                use $crate::store::field::FieldError;
                let mut tx = self.pool.begin().await?;
                let row: Option<(String, i64, Option<String>)> = sqlx::query_as(
                    "SELECT status, attempts, replaced_by FROM invitations WHERE campaign_id = $1 AND code = $2",
                )
                .bind(campaign)
                .bind(code)
                .fetch_optional(&mut *tx)
                .await?;
                let Some((status, attempts, replaced_by)) = row else {
                    return Ok(Err(FieldError::NoSuchSlip(code.to_owned())));
                };
                let status = $crate::store::status_of(&status)?;
                if replaced_by.is_some() {
                    return Ok(Err(FieldError::AlreadyReplaced(code.to_owned())));
                }
                let Some(next) = outcome.next(status, attempts) else {
                    return Ok(Err(FieldError::NotAllowed { code: code.to_owned(), status }));
                };
                let attempts_after = match outcome {
                    $crate::store::field::Outcome::CallFailed => attempts + 1,
                    $crate::store::field::Outcome::Reopen => 0,
                    _ => attempts,
                };
                // Only if nobody changed it meanwhile (an online answer, another enumerator).
                let done = sqlx::query(
                    "UPDATE invitations SET status = $1, attempts = $2, updated_at = $3
                     WHERE campaign_id = $4 AND code = $5 AND status = $6 AND attempts = $7",
                )
                .bind(next.code())
                .bind(attempts_after)
                .bind($crate::model::clock::now())
                .bind(campaign)
                .bind(code)
                .bind(status.code())
                .bind(attempts)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    return Ok(Err(FieldError::NotAllowed { code: code.to_owned(), status }));
                }
                let detail = if outcome == $crate::store::field::Outcome::CallFailed {
                    format!("{} → {} (gọi không được lần {attempts_after})", status.label(), next.label())
                } else {
                    format!("{} → {}", status.label(), next.label())
                };
                let e = $crate::store::field::Audit { actor, campaign, action: outcome.action(), subject: code, detail: &detail };
                Self::log_in_tx(&mut tx, e).await?;
                tx.commit().await?;
                Ok(Ok(next))
            }

            async fn release_reserve(
                &self,
                campaign: &str,
                code: &str,
                actor: &str,
            ) -> Result<Result<String, $crate::store::field::FieldError>, StoreError> {
                use $crate::store::field::FieldError;
                let mut tx = self.pool.begin().await?;
                // Claim the replaced invitation first: a second click finds it taken.
                let claimed: Option<(String, String, Option<String>, String)> = sqlx::query_as(
                    "UPDATE invitations SET replaced_by = '…', updated_at = $3
                     WHERE campaign_id = $1 AND code = $2 AND replaced_by IS NULL
                       AND status IN ('refused', 'unreachable', 'wrong_number')
                     RETURNING unit, group_code, field, status",
                )
                .bind(campaign)
                .bind(code)
                .bind($crate::model::clock::now())
                .fetch_optional(&mut *tx)
                .await?;
                let Some((unit, group, field, status)) = claimed else {
                    let row: Option<(String, Option<String>)> =
                        sqlx::query_as("SELECT status, replaced_by FROM invitations WHERE campaign_id = $1 AND code = $2")
                            .bind(campaign)
                            .bind(code)
                            .fetch_optional(&mut *tx)
                            .await?;
                    return Ok(Err(match row {
                        None => FieldError::NoSuchSlip(code.to_owned()),
                        Some((_, Some(_))) => FieldError::AlreadyReplaced(code.to_owned()),
                        Some((status, None)) => FieldError::NotAllowed { code: code.to_owned(), status: $crate::store::status_of(&status)? },
                    }));
                };
                let next: Option<(String,)> = sqlx::query_as(
                    "SELECT code FROM invitations
                     WHERE campaign_id = $1 AND unit = $2 AND group_code = $3 AND status = 'reserve'
                       AND (field = $4 OR (field IS NULL AND $4 IS NULL))
                     ORDER BY reserve_rank, code LIMIT 1",
                )
                .bind(campaign)
                .bind(&unit)
                .bind(&group)
                .bind(&field)
                .fetch_optional(&mut *tx)
                .await?;
                let Some((reserve,)) = next else {
                    tx.rollback().await?;
                    return Ok(Err(FieldError::NoReserve(code.to_owned())));
                };
                let now = $crate::model::clock::now();
                let released = sqlx::query(
                    "UPDATE invitations SET status = 'issued', updated_at = $1 WHERE code = $2 AND status = 'reserve'",
                )
                .bind(now)
                .bind(&reserve)
                .execute(&mut *tx)
                .await?;
                if released.rows_affected() == 0 {
                    tx.rollback().await?;
                    return Ok(Err(FieldError::NoReserve(code.to_owned())));
                }
                sqlx::query("UPDATE invitations SET replaced_by = $1 WHERE code = $2")
                    .bind(&reserve)
                    .bind(code)
                    .execute(&mut *tx)
                    .await?;
                let detail = format!("thay phiếu {status} bằng dự phòng {reserve}");
                let e = $crate::store::field::Audit { actor, campaign, action: $crate::model::AuditAction::ReleaseReserve, subject: code, detail: &detail };
                Self::log_in_tx(&mut tx, e).await?;
                tx.commit().await?;
                Ok(Ok(reserve))
            }

            async fn take_lease(&self, name: &str, holder: &str, until: chrono::DateTime<chrono::Utc>) -> Result<bool, StoreError> {
                let done = sqlx::query(
                    "INSERT INTO leases (name, holder, until) VALUES ($1, $2, $3)
                     ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until WHERE leases.until < $4",
                )
                .bind(name)
                .bind(holder)
                .bind(until)
                .bind($crate::model::clock::now())
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn enrol_device(
                &self,
                campaign: &str,
                unit: &str,
                label: &str,
                mode: &str,
                code_hash: &str,
                actor: &str,
            ) -> Result<i64, StoreError> {
                let mut tx = self.pool.begin().await?;
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO counter_devices (campaign_id, unit, label, secret_hash, created_at, mode, claim_until)
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                )
                .bind(campaign)
                .bind(unit)
                .bind(label)
                .bind(code_hash)
                .bind($crate::model::clock::now())
                .bind(mode)
                .bind($crate::model::clock::now() + chrono::Duration::hours($crate::store::field::DEVICE_CLAIM_HOURS))
                .fetch_one(&mut *tx)
                .await?;
                let detail = format!("thiết bị số {id}: «{label}», chế độ {mode}");
                let audit = $crate::store::field::Audit { actor, campaign, action: $crate::model::AuditAction::DeviceEnrol, subject: unit, detail: &detail };
                Self::log_in_tx(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(id)
            }

            async fn revoke_device(&self, campaign: &str, id: i64, actor: &str) -> Result<bool, StoreError> {
                let mut tx = self.pool.begin().await?;
                let row: Option<(String, String)> = sqlx::query_as(
                    "UPDATE counter_devices SET revoked_at = $3 WHERE campaign_id = $1 AND id = $2 AND revoked_at IS NULL
                     RETURNING unit, label",
                )
                .bind(campaign)
                .bind(id)
                .bind($crate::model::clock::now())
                .fetch_optional(&mut *tx)
                .await?;
                let Some((unit, label)) = row else {
                    tx.rollback().await?;
                    return Ok(false);
                };
                let detail = format!("thiết bị số {id}: «{label}»");
                let audit = $crate::store::field::Audit { actor, campaign, action: $crate::model::AuditAction::DeviceRevoke, subject: &unit, detail: &detail };
                Self::log_in_tx(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn device_by_secret(&self, secret_hash: &str) -> Result<Option<$crate::store::field::Device>, StoreError> {
                let row: Option<(i64, String, String, String, bool, String)> = sqlx::query_as(
                    "SELECT id, campaign_id, unit, label, revoked_at IS NOT NULL, mode FROM counter_devices
                     WHERE secret_hash = $1 AND revoked_at IS NULL AND claim_until IS NULL",
                )
                .bind(secret_hash)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(|(id, campaign, unit, label, revoked, mode)| $crate::store::field::Device { id, campaign, unit, label, revoked, mode }))
            }

            async fn claim_device(&self, code_hash: &str, secret_hash: &str) -> Result<Option<$crate::store::field::Device>, StoreError> {
                let now = $crate::model::clock::now();
                let claimed: Option<(i64,)> = sqlx::query_as(
                    "UPDATE counter_devices SET secret_hash = $1, claim_until = NULL
                     WHERE secret_hash = $2 AND revoked_at IS NULL AND claim_until IS NOT NULL AND claim_until > $3
                     RETURNING id",
                )
                .bind(secret_hash)
                .bind(code_hash)
                .bind(now)
                .fetch_optional(&self.pool)
                .await?;
                match claimed {
                    Some((id,)) => $crate::store::field::FieldOps::device(self, id).await,
                    None => Ok(None),
                }
            }

            async fn device(&self, id: i64) -> Result<Option<$crate::store::field::Device>, StoreError> {
                let row: Option<(i64, String, String, String, bool, String)> = sqlx::query_as(
                    "SELECT id, campaign_id, unit, label, revoked_at IS NOT NULL, mode FROM counter_devices WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(|(id, campaign, unit, label, revoked, mode)| $crate::store::field::Device { id, campaign, unit, label, revoked, mode }))
            }

            async fn devices(&self, campaign: &str) -> Result<Vec<$crate::store::field::Device>, StoreError> {
                let rows: Vec<(i64, String, String, String, bool, String)> = sqlx::query_as(
                    "SELECT id, campaign_id, unit, label, revoked_at IS NOT NULL, mode FROM counter_devices
                     WHERE campaign_id = $1 ORDER BY unit, id",
                )
                .bind(campaign)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(id, campaign, unit, label, revoked, mode)| $crate::store::field::Device { id, campaign, unit, label, revoked, mode })
                    .collect())
            }

            async fn key_paper_ballots(
                &self,
                campaign: &str,
                batch: $crate::store::field::PaperBatch<'_>,
            ) -> Result<(), StoreError> {
                use std::collections::BTreeMap;
                let definition = $crate::store::Store::campaign(self, campaign).await?;
                let mut tx = self.pool.begin().await?;
                let now = $crate::model::clock::now();
                if let Some(fp) = batch.fingerprint {
                    // The write first: it takes SQLite's lock and settles a race on PostgreSQL.
                    let fresh = sqlx::query(
                        "INSERT INTO paper_imports (campaign_id, fingerprint, at, ballots) VALUES ($1, $2, $3, $4)
                         ON CONFLICT (campaign_id, fingerprint) DO NOTHING",
                    )
                    .bind(campaign)
                    .bind(fp)
                    .bind(now)
                    .bind(i64::try_from(batch.ballots.len()).unwrap_or(i64::MAX))
                    .execute(&mut *tx)
                    .await?;
                    if fresh.rows_affected() == 0 {
                        let (at,): (chrono::DateTime<chrono::Utc>,) =
                            sqlx::query_as("SELECT at FROM paper_imports WHERE campaign_id = $1 AND fingerprint = $2")
                                .bind(campaign)
                                .bind(fp)
                                .fetch_one(&mut *tx)
                                .await?;
                        let local = definition.as_ref().map_or_else(|| $crate::model::clock::day_in("Asia/Ho_Chi_Minh", at).format("%d/%m/%Y").to_string(), |c| c.local_time(at));
                        return Err(StoreError::Duplicate(format!("tệp này đã được nhập lúc {local}: không nhập lại phiếu nào")));
                    }
                }
                let mut refused = Vec::new();
                let mut unnumbered: BTreeMap<(&str, &str), (i64, usize)> = BTreeMap::new();
                for (line, r) in batch.ballots {
                    let Some(number) = &r.ballot else {
                        let e = unnumbered.entry((r.unit.as_str(), r.group.as_str())).or_insert((0, *line));
                        e.0 += 1;
                        continue;
                    };
                    // Checked, not marked: the number is marked used when its
                    // batch is released, so nothing written now ties it to
                    // this moment (SPEC §10). A keyed tag stops a second keying.
                    let known: Option<(String, String, bool)> = sqlx::query_as(
                        "SELECT unit, group_code, used_at IS NOT NULL FROM ballot_numbers WHERE campaign_id = $1 AND number = $2",
                    )
                    .bind(campaign)
                    .bind(number)
                    .fetch_optional(&mut *tx)
                    .await?;
                    let fresh = match &known {
                        Some((u, g, false)) if *u == r.unit && *g == r.group => {
                            sqlx::query("INSERT INTO keyed_ballots (campaign_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                                .bind(campaign)
                                .bind(self.key.keyed_tag(campaign, number))
                                .execute(&mut *tx)
                                .await?
                                .rows_affected()
                                == 1
                        }
                        _ => false,
                    };
                    if !fresh {
                        // Names and the number as printed, never codes (a keyer reads it).
                        let printed = $crate::model::ShortCode::parse(number).map_or_else(|| number.clone(), |c| c.to_string());
                        let unit_name = |u: &str| definition.as_ref().and_then(|c| c.unit(u)).map_or_else(|| u.to_owned(), |x| x.name.clone());
                        let group_name = |g: &str| definition.as_ref().and_then(|c| c.group(g)).map_or_else(|| g.to_owned(), |x| x.name.clone());
                        let message = match known {
                            None => format!("số phiếu «{printed}» không được phát cho đợt khảo sát này"),
                            Some((u, g, false)) if u != r.unit || g != r.group => format!(
                                "số phiếu «{printed}» được phát cho {}, nhóm {}, không phải {}, nhóm {}",
                                unit_name(&u),
                                group_name(&g),
                                unit_name(&r.unit),
                                group_name(&r.group)
                            ),
                            Some(_) => format!("phiếu số «{printed}» đã được nhập rồi"),
                        };
                        refused.push($crate::model::RowError { line: *line, column: Some("ballot".into()), message });
                    }
                }
                if !batch.allow_over_quota {
                    for ((unit, group), (n, first_line)) in &unnumbered {
                        let row: Option<(i64, i64)> = sqlx::query_as(
                            "SELECT CAST(quota AS BIGINT), CAST(answered AS BIGINT) FROM quotas
                             WHERE campaign_id = $1 AND unit = $2 AND group_code = $3",
                        )
                        .bind(campaign)
                        .bind(*unit)
                        .bind(*group)
                        .fetch_optional(&mut *tx)
                        .await?;
                        let (quota, answered) = row.unwrap_or((0, 0));
                        if answered + n > quota {
                            refused.push($crate::model::RowError {
                                line: *first_line,
                                column: Some("ballot".into()),
                                message: format!(
                                    "{n} phiếu không số của {unit}, nhóm {group} vượt chỉ tiêu ({answered} đã có / {quota}): \
                                     hãy nhập số in trên phiếu, hoặc để quản trị viên cho phép vượt chỉ tiêu"
                                ),
                            });
                        }
                    }
                }
                if !refused.is_empty() {
                    tx.rollback().await?;
                    return Err(StoreError::Rows(refused));
                }
                // Keyed ballots, one at a time on the enumerator's page or a
                // whole file, wait sealed like online answers and come out in
                // the same shuffled batches of k (SPEC §10): neither their
                // ids, nor their order, nor the numbers' time of use tell when
                // each was keyed against the «answered on paper» marks, and a
                // file of two ballots is not a batch of two.
                let mut answered: BTreeMap<(&str, &str), i64> = BTreeMap::new();
                let mut touched = std::collections::BTreeSet::new();
                for (_, r) in batch.ballots {
                    let questionnaire = definition.as_ref().and_then(|c| c.questionnaire_of(&r.group));
                    let counted = r
                        .cells
                        .iter()
                        .filter(|(code, _)| {
                            !questionnaire.and_then(|q| q.question(code)).is_some_and(|q| {
                                matches!(q.kind, $crate::model::questionnaire::QuestionKind::Text)
                            })
                        })
                        .map(|(c, v)| (c.clone(), v.clone()))
                        .collect();
                    let held = $crate::store::HeldAnswer {
                        on: r.submitted_on,
                        answers: serde_json::to_string(&r.cells)?,
                        counted,
                        // Straight-lining shows in the answers themselves: a
                        // ballot gets the flag an online answer would, or the
                        // flag's absence would tell paper apart (SPEC §10).
                        flags: questionnaire
                            .filter(|q| q.read_cells(&r.cells).straight_lined())
                            .map(|_| vec![$crate::store::Flag::Straight])
                            .unwrap_or_default(),
                        source: Some(r.source.clone()),
                        ballot: r.ballot.clone(),
                    };
                    let field = r.field.clone().unwrap_or_default();
                    let context = $crate::store::held_context(campaign, &r.unit, &r.group, &field);
                    let sealed = self.key.seal(&context, &serde_json::to_vec(&held)?);
                    sqlx::query("INSERT INTO held_answers (campaign_id, unit, group_code, field, sealed) VALUES ($1, $2, $3, $4, $5)")
                        .bind(campaign)
                        .bind(&r.unit)
                        .bind(&r.group)
                        .bind(&field)
                        .bind(sealed)
                        .execute(&mut *tx)
                        .await?;
                    *answered.entry((r.unit.as_str(), r.group.as_str())).or_default() += 1;
                    touched.insert((r.unit.clone(), r.group.clone(), field));
                }
                for ((unit, group), n) in answered {
                    Self::count_answered(&mut tx, campaign, unit, group, n).await?;
                }
                Self::release_full_cells(&mut tx, &self.key, campaign, &touched).await?;
                let detail = format!("{} (nhập {} phiếu giấy)", batch.audit.detail, batch.ballots.len());
                Self::log_in_tx(&mut tx, $crate::store::field::Audit { detail: &detail, ..batch.audit }).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn issue_ballot_numbers(
                &self,
                campaign: &str,
                wanted: &[(String, String, u64)],
                actor: &str,
            ) -> Result<u64, StoreError> {
                let mut tx = self.pool.begin().await?;
                let now = $crate::model::clock::now();
                let mut issued = 0u64;
                for (unit, group, total) in wanted {
                    let (have,): (i64,) = sqlx::query_as(
                        "SELECT COUNT(*) FROM ballot_numbers WHERE campaign_id = $1 AND unit = $2 AND group_code = $3",
                    )
                    .bind(campaign)
                    .bind(unit)
                    .bind(group)
                    .fetch_one(&mut *tx)
                    .await?;
                    let mut missing = total.saturating_sub(u64::try_from(have).unwrap_or(0));
                    let mut tries = 0;
                    while missing > 0 && tries < 1000 {
                        tries += 1;
                        let done = sqlx::query(
                            "INSERT INTO ballot_numbers (campaign_id, number, unit, group_code, issued_at) VALUES ($1, $2, $3, $4, $5)
                             ON CONFLICT DO NOTHING",
                        )
                        .bind(campaign)
                        .bind($crate::model::ShortCode::generate().as_str().to_owned())
                        .bind(unit)
                        .bind(group)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                        if done.rows_affected() == 1 {
                            missing -= 1;
                            issued += 1;
                        }
                    }
                }
                if issued > 0 {
                    let detail = format!("phát {issued} số phiếu giấy");
                    let audit = $crate::store::field::Audit { actor, campaign, action: $crate::model::AuditAction::BallotNumbers, subject: "-", detail: &detail };
                    Self::log_in_tx(&mut tx, audit).await?;
                }
                tx.commit().await?;
                Ok(issued)
            }

            async fn ballot_numbers(
                &self,
                campaign: &str,
                unit: Option<&str>,
            ) -> Result<Vec<$crate::store::field::BallotNumber>, StoreError> {
                let rows: Vec<(String, String, String, bool)> = sqlx::query_as(
                    "SELECT unit, group_code, number, used_at IS NOT NULL FROM ballot_numbers
                     WHERE campaign_id = $1 AND ($2 IS NULL OR unit = $2) ORDER BY unit, group_code, number",
                )
                .bind(campaign)
                .bind(unit)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(unit, group, number, used)| $crate::store::field::BallotNumber { unit, group, number, used })
                    .collect())
            }

            async fn review_list(&self, campaign: &str) -> Result<Vec<$crate::store::field::Flagged>, StoreError> {
                type Row = (i64, String, String, Option<String>, chrono::NaiveDate, String, Option<String>, Option<String>, String);
                let rows: Vec<Row> = sqlx::query_as(
                    "SELECT id, unit, group_code, field, submitted_on, source, flags, excluded, answers FROM responses
                     WHERE campaign_id = $1 AND (flags IS NOT NULL OR excluded IS NOT NULL)
                     ORDER BY unit, group_code, shuffle",
                )
                .bind(campaign)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|(id, unit, group, field, submitted_on, source, flags, excluded, answers)| {
                        Ok($crate::store::field::Flagged {
                            id,
                            unit,
                            group,
                            field,
                            submitted_on,
                            source,
                            flags: flags.unwrap_or_default().split(',').filter_map($crate::store::Flag::parse).collect(),
                            excluded,
                            cells: serde_json::from_str(&answers)?,
                        })
                    })
                    .collect()
            }

            async fn review_response(
                &self,
                campaign: &str,
                id: i64,
                decision: $crate::store::field::Review<'_>,
                actor: &str,
            ) -> Result<(), StoreError> {
                use $crate::store::field::Review;
                let definition = $crate::store::Store::campaign(self, campaign).await?;
                let mut tx = self.pool.begin().await?;
                let subject = format!("phiếu #{id}");
                if decision == Review::Keep {
                    let done = sqlx::query("UPDATE responses SET flags = NULL WHERE campaign_id = $1 AND id = $2 AND flags IS NOT NULL")
                        .bind(campaign)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::NotFound(format!("{subject} đang chờ xem xét")));
                    }
                    let audit = $crate::store::field::Audit { actor, campaign, action: $crate::model::AuditAction::ReviewKeep, subject: &subject, detail: "giữ lại" };
                    Self::log_in_tx(&mut tx, audit).await?;
                    tx.commit().await?;
                    return Ok(());
                }
                let (sql, action, detail, sign) = match decision {
                    Review::Exclude(reason) => (
                        "UPDATE responses SET excluded = $3, flags = NULL WHERE campaign_id = $1 AND id = $2 AND excluded IS NULL
                         RETURNING unit, group_code, field, answers, ballot, submitted_on, source",
                        $crate::model::AuditAction::ExcludeResponse,
                        reason.to_owned(),
                        -1i64,
                    ),
                    _ => (
                        "UPDATE responses SET excluded = NULL WHERE campaign_id = $1 AND id = $2 AND excluded IS NOT NULL AND $3 = $3
                         RETURNING unit, group_code, field, answers, ballot, submitted_on, source",
                        $crate::model::AuditAction::RestoreResponse,
                        "đưa lại vào chỉ số".to_owned(),
                        1i64,
                    ),
                };
                let row: Option<(String, String, Option<String>, String, Option<String>, chrono::NaiveDate, String)> =
                    sqlx::query_as(sql).bind(campaign).bind(id).bind(&detail).fetch_optional(&mut *tx).await?;
                let Some((unit, group, field, answers, ballot, day, source)) = row else {
                    return Err(StoreError::NotFound(format!("{subject} (hoặc phiếu đã ở trạng thái này)")));
                };
                let cells: std::collections::BTreeMap<String, String> = serde_json::from_str(&answers)?;
                let (mut tallies, mut counts) = (std::collections::BTreeMap::new(), std::collections::BTreeMap::new());
                let mut chunk_rows = $crate::store::columns::ChunkRows::new();
                let questionnaire = definition.as_ref().and_then(|c| c.questionnaire_of(&group));
                let counted = |code: &str| {
                    !questionnaire.and_then(|q| q.question(code)).is_some_and(|q| {
                        matches!(q.kind, $crate::model::questionnaire::QuestionKind::Text)
                    })
                };
                $crate::store::count_cells(&unit, &group, field.as_deref(), cells.iter(), &counted, &mut tallies, &mut counts, &mut chunk_rows, day, &source);
                tallies.values_mut().for_each(|n| *n *= sign);
                counts.values_mut().for_each(|n| *n *= sign);
                Self::write_tallies(&mut tx, campaign, &tallies, &counts, &chunk_rows, sign).await?;
                for table in ["DELETE FROM tallies WHERE campaign_id = $1 AND n <= 0", "DELETE FROM cell_counts WHERE campaign_id = $1 AND n <= 0"] {
                    sqlx::query(table).bind(campaign).execute(&mut *tx).await?;
                }
                Self::count_answered(&mut tx, campaign, &unit, &group, sign).await?;
                // The row keeps a ballot's number (a file import, or stored
                // before keyed tags) or a keyed tag of it; an online answer's
                // tag is random and names no number.
                let ballot = match ballot {
                    Some(b) => {
                        let numbers: Vec<(String,)> =
                            sqlx::query_as("SELECT number FROM ballot_numbers WHERE campaign_id = $1")
                                .bind(campaign)
                                .fetch_all(&mut *tx)
                                .await?;
                        numbers.into_iter().map(|(n,)| n).find(|n| {
                            *n == b || self.key.ballot_tag(campaign, n) == b
                        })
                    }
                    None => None,
                };
                if let Some(number) = &ballot {
                    let freed = sqlx::query(if sign < 0 {
                        "UPDATE ballot_numbers SET used_at = NULL WHERE campaign_id = $1 AND number = $2 AND used_at IS NOT NULL AND $3 = $3"
                    } else {
                        "UPDATE ballot_numbers SET used_at = $3 WHERE campaign_id = $1 AND number = $2 AND used_at IS NULL"
                    })
                    .bind(campaign)
                    .bind(number)
                    .bind($crate::model::clock::now())
                    .execute(&mut *tx)
                    .await?;
                    if sign > 0 && freed.rows_affected() == 0 {
                        return Err(StoreError::Duplicate(format!(
                            "số phiếu «{number}» đã được dùng cho phiếu nhập lại: không khôi phục phiếu cũ"
                        )));
                    }
                    // The keyed tag follows the number: withdrawn, it may be keyed again.
                    let tag = self.key.keyed_tag(campaign, number);
                    let sql = if sign < 0 {
                        "DELETE FROM keyed_ballots WHERE campaign_id = $1 AND tag = $2"
                    } else {
                        "INSERT INTO keyed_ballots (campaign_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING"
                    };
                    sqlx::query(sql).bind(campaign).bind(tag).execute(&mut *tx).await?;
                }
                // The number is not written beside the response: with the
                // number's unit it would undo a release above the units.
                let subject = match &ballot {
                    Some(_) => format!("{subject} (phiếu giấy)"),
                    None => subject,
                };
                let audit = $crate::store::field::Audit { actor, campaign, action, subject: &subject, detail: &detail };
                Self::log_in_tx(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn withdraw_ballot(
                &self,
                campaign: &str,
                unit: &str,
                number: &str,
                reason: &str,
                actor: &str,
            ) -> Result<(), StoreError> {
                // A ballot keyed on the page comes out under its keyed tag (and
                // maybe above the units): its number says which unit it is.
                let own: Option<(String,)> =
                    sqlx::query_as("SELECT unit FROM ballot_numbers WHERE campaign_id = $1 AND number = $2")
                        .bind(campaign)
                        .bind(number)
                        .fetch_optional(&self.pool)
                        .await?;
                let tag = self.key.ballot_tag(campaign, number);
                let row: Option<(i64,)> = if own.as_ref().is_some_and(|(u,)| u == unit) {
                    sqlx::query_as(
                        "SELECT id FROM responses WHERE campaign_id = $1 AND ballot IN ($2, $3) AND excluded IS NULL",
                    )
                    .bind(campaign)
                    .bind(number)
                    .bind(&tag)
                    .fetch_optional(&self.pool)
                    .await?
                } else {
                    sqlx::query_as(
                        "SELECT id FROM responses WHERE campaign_id = $1 AND unit = $2 AND ballot = $3 AND excluded IS NULL",
                    )
                    .bind(campaign)
                    .bind(unit)
                    .bind(number)
                    .fetch_optional(&self.pool)
                    .await?
                };
                let Some((id,)) = row else {
                    return Err(StoreError::NotFound(format!("phiếu giấy số «{number}» đã nhập của đơn vị {unit}")));
                };
                self.review_response(campaign, id, $crate::store::field::Review::Exclude(reason), actor).await
            }

            async fn end_lease(&self, name: &str, holder: &str) -> Result<(), StoreError> {
                sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2").bind(name).bind(holder).execute(&self.pool).await?;
                Ok(())
            }

            async fn audit(&self, entry: $crate::store::field::Audit<'_>) -> Result<(), StoreError> {
                let mut tx = self.pool.begin().await?;
                Self::log_in_tx(&mut tx, entry).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn audit_log(
                &self,
                campaign: &str,
                limit: i64,
                offset: i64,
            ) -> Result<Vec<$crate::store::field::AuditEntry>, StoreError> {
                let rows: Vec<(chrono::DateTime<chrono::Utc>, String, String, String, String)> = sqlx::query_as(
                    "SELECT at, actor, action, subject, detail FROM audit_log WHERE campaign_id = $1
                     ORDER BY id DESC LIMIT $2 OFFSET $3",
                )
                .bind(campaign)
                .bind(limit)
                .bind(offset)
                .fetch_all(&self.pool)
                .await?;
                rows
                    .into_iter()
                    .map(|(at, actor, action, subject, detail)| {
                        Ok($crate::store::field::AuditEntry { at, actor, action: $crate::store::action_of(&action)?, subject, detail })
                    })
                    .collect::<Result<_, StoreError>>()
            }

            async fn add_user(
                &self,
                name: &str,
                role: $crate::model::auth::Role,
                units: &[String],
                password_hash: &str,
            ) -> Result<i64, StoreError> {
                let row: Option<(i64,)> = sqlx::query_as(
                    "INSERT INTO users (name, role, units, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (name) DO NOTHING RETURNING id",
                )
                .bind(name)
                .bind(role.as_str())
                .bind(units.join(","))
                .bind(password_hash)
                .bind($crate::model::clock::now())
                .fetch_optional(&self.pool)
                .await?;
                row.map(|(id,)| id).ok_or_else(|| StoreError::Duplicate(format!("tài khoản «{name}» đã có")))
            }

            async fn user_by_name(&self, name: &str) -> Result<Option<($crate::model::auth::User, String)>, StoreError> {
                let row: Option<(i64, String, String, String, bool, String)> = sqlx::query_as(
                    "SELECT id, name, role, units, disabled_at IS NOT NULL, password_hash FROM users WHERE name = $1",
                )
                .bind(name)
                .fetch_optional(&self.pool)
                .await?;
                row.map(|(id, name, role, units, disabled, hash)| {
                    Ok((Self::user_from_row((id, name, role, units, disabled))?, hash))
                })
                .transpose()
            }

            async fn users(&self) -> Result<Vec<$crate::model::auth::User>, StoreError> {
                let rows: Vec<(i64, String, String, String, bool)> = sqlx::query_as(
                    "SELECT id, name, role, units, disabled_at IS NOT NULL FROM users ORDER BY name",
                )
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(Self::user_from_row).collect()
            }

            async fn create_session(
                &self,
                token_hash: &str,
                user: i64,
                csrf: &str,
                expires: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), StoreError> {
                let now = $crate::model::clock::now();
                sqlx::query("DELETE FROM sessions WHERE expires_at < $1").bind(now).execute(&self.pool).await?;
                // Messages nobody came back for.
                sqlx::query("DELETE FROM flash_messages WHERE created_at < $1")
                    .bind(now - chrono::Duration::hours(1))
                    .execute(&self.pool)
                    .await?;
                sqlx::query("INSERT INTO sessions (token_hash, user_id, csrf, expires_at) VALUES ($1, $2, $3, $4)")
                    .bind(token_hash)
                    .bind(user)
                    .bind(csrf)
                    .bind(expires)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn session(&self, token_hash: &str) -> Result<Option<($crate::model::auth::User, String)>, StoreError> {
                let row: Option<(i64, String, String, String, bool, String)> = sqlx::query_as(
                    "SELECT u.id, u.name, u.role, u.units, FALSE, s.csrf FROM sessions s JOIN users u ON u.id = s.user_id
                     WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.disabled_at IS NULL",
                )
                .bind(token_hash)
                .bind($crate::model::clock::now())
                .fetch_optional(&self.pool)
                .await?;
                row.map(|(id, name, role, units, disabled, csrf)| {
                    Ok((Self::user_from_row((id, name, role, units, disabled))?, csrf))
                })
                .transpose()
            }

            async fn end_session(&self, token_hash: &str) -> Result<(), StoreError> {
                sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&self.pool).await?;
                Ok(())
            }

            async fn add_api_token(
                &self,
                token_hash: &str,
                user: i64,
                label: &str,
                expires: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), StoreError> {
                Self::add_token(&self.pool, token_hash, user, label, expires, "api").await
            }

            async fn api_user(&self, token_hash: &str) -> Result<Option<$crate::model::auth::User>, StoreError> {
                Self::token_user(&self.pool, token_hash, "api").await
            }

            async fn add_sync_key(
                &self,
                token_hash: &str,
                user: i64,
                expires: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), StoreError> {
                Self::add_token(&self.pool, token_hash, user, "ứng dụng ngoại tuyến", expires, "offline").await
            }

            async fn sync_user(&self, token_hash: &str) -> Result<Option<$crate::model::auth::User>, StoreError> {
                Self::token_user(&self.pool, token_hash, "offline").await
            }

            async fn login_failed(
                &self,
                name_key: &str,
                client_key: &str,
                since: chrono::DateTime<chrono::Utc>,
            ) -> Result<i64, StoreError> {
                let mut tx = self.pool.begin().await?;
                sqlx::query("DELETE FROM login_failures WHERE at <= $1").bind(since).execute(&mut *tx).await?;
                sqlx::query("INSERT INTO login_failures (name_key, client_key, at) VALUES ($1, $2, $3)")
                    .bind(name_key)
                    .bind(client_key)
                    .bind($crate::model::clock::now())
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                self.login_failures(name_key, client_key, since).await
            }

            async fn login_failures(
                &self,
                name_key: &str,
                client_key: &str,
                since: chrono::DateTime<chrono::Utc>,
            ) -> Result<i64, StoreError> {
                let (n,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM login_failures WHERE name_key = $1 AND client_key = $2 AND at > $3",
                )
                .bind(name_key)
                .bind(client_key)
                .bind(since)
                .fetch_one(&self.pool)
                .await?;
                Ok(n)
            }

            async fn clear_login_failures(&self, name_key: &str, client_key: Option<&str>) -> Result<(), StoreError> {
                match client_key {
                    Some(client) => {
                        sqlx::query("DELETE FROM login_failures WHERE name_key = $1 AND client_key = $2")
                            .bind(name_key)
                            .bind(client)
                            .execute(&self.pool)
                            .await?
                    }
                    None => sqlx::query("DELETE FROM login_failures WHERE name_key = $1").bind(name_key).execute(&self.pool).await?,
                };
                Ok(())
            }

            async fn change_user(
                &self,
                name: &str,
                change: &$crate::model::auth::AccountChange,
                actor: &str,
            ) -> Result<Option<u64>, StoreError> {
                use $crate::model::auth::AccountChange;
                let mut tx = self.pool.begin().await?;
                let found: Option<(i64,)> =
                    sqlx::query_as("SELECT id FROM users WHERE name = $1").bind(name).fetch_optional(&mut *tx).await?;
                let Some((id,)) = found else { return Ok(None) };
                let now = $crate::model::clock::now();
                let (changed, detail) = match change {
                    AccountChange::Disable => {
                        sqlx::query("UPDATE users SET disabled_at = $1 WHERE id = $2 AND disabled_at IS NULL")
                            .bind(now)
                            .bind(id)
                            .execute(&mut *tx)
                            .await?;
                        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
                        Self::revoke_sync_keys(&mut tx, id, now).await?;
                        (1, String::new())
                    }
                    AccountChange::Enable => {
                        sqlx::query("UPDATE users SET disabled_at = NULL WHERE id = $1").bind(id).execute(&mut *tx).await?;
                        (1, String::new())
                    }
                    AccountChange::Password(hash) => {
                        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                            .bind(hash)
                            .bind(id)
                            .execute(&mut *tx)
                            .await?;
                        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
                        Self::revoke_sync_keys(&mut tx, id, now).await?;
                        (1, String::new())
                    }
                    AccountChange::Units(units) => {
                        sqlx::query("UPDATE users SET units = $1 WHERE id = $2")
                            .bind(units.join(","))
                            .bind(id)
                            .execute(&mut *tx)
                            .await?;
                        (1, units.join(", "))
                    }
                    AccountChange::Unlock => {
                        let done = sqlx::query("DELETE FROM login_failures WHERE name_key = $1")
                            .bind($crate::model::auth::login_key(name))
                            .execute(&mut *tx)
                            .await?;
                        (done.rows_affected(), String::new())
                    }
                    AccountChange::RevokeTokens => {
                        let done = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
                            .bind(now)
                            .bind(id)
                            .execute(&mut *tx)
                            .await?;
                        (done.rows_affected(), format!("{} khoá API", done.rows_affected()))
                    }
                };
                Self::log_in_tx(
                    &mut tx,
                    $crate::store::field::Audit { actor, campaign: "", action: change.action(), subject: name, detail: &detail },
                )
                .await?;
                tx.commit().await?;
                Ok(Some(changed))
            }

            async fn remove_people(
                &self,
                campaign: &str,
                scope: $crate::store::FrameScope<'_>,
                audit: $crate::store::field::Audit<'_>,
            ) -> Result<(u64, u64), StoreError> {
                let mut tx = self.pool.begin().await?;
                let removed = Self::remove_uninvited(&mut tx, campaign, scope).await?;
                let (kept,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM frame_people WHERE campaign_id = $1 AND unit = $2
                       AND (roster_of = $3 OR ($3 IS NULL AND roster_of IS NULL))",
                )
                .bind(campaign)
                .bind(scope.unit)
                .bind(scope.roster_of)
                .fetch_one(&mut *tx)
                .await?;
                let kept = u64::try_from(kept).unwrap_or_default();
                let detail = format!("{} (bỏ {removed}, giữ {kept} người đã được mời)", audit.detail);
                Self::log_in_tx(&mut tx, $crate::store::field::Audit { detail: &detail, ..audit }).await?;
                tx.commit().await?;
                Ok((removed, kept))
            }

            async fn put_flash(&self, user: i64, ok: bool, text: &str) -> Result<String, StoreError> {
                let id = $crate::model::auth::new_secret();
                sqlx::query("INSERT INTO flash_messages (id, user_id, ok, text, created_at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(&id)
                    .bind(user)
                    .bind(ok)
                    .bind(text)
                    .bind($crate::model::clock::now())
                    .execute(&self.pool)
                    .await?;
                Ok(id)
            }

            async fn take_flash(&self, id: &str, user: i64) -> Result<Option<(bool, String)>, StoreError> {
                let row: Option<(bool, String)> =
                    sqlx::query_as("DELETE FROM flash_messages WHERE id = $1 AND user_id = $2 RETURNING ok, text")
                        .bind(id)
                        .bind(user)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(row)
            }
        }
    };
}

pub(crate) use field_store;

pub(crate) type SlipRow = (
    Option<String>,
    String,
    String,
    String,
    Option<String>,
    String,
    Option<i64>,
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

pub(crate) fn slip_from_row(row: SlipRow) -> Result<super::field::Slip, super::StoreError> {
    let (code, token, unit, group, field, status, reserve_rank, attempts, replaced_by, name, phone, address) = row;
    let token = crate::model::Token::parse(&token)
        .ok_or_else(|| super::StoreError::Corrupt(format!("mã phiếu «{token}» không hợp lệ")))?;
    let contact = name.map(|name| super::field::Contact {
        name,
        phone: super::shown_phone(phone.unwrap_or_default()),
        address: address.unwrap_or_default(),
    });
    Ok(super::field::Slip {
        code: code.unwrap_or_default(),
        token,
        unit,
        group,
        field,
        status: super::status_of(&status)?,
        reserve_rank,
        attempts,
        replaced_by: replaced_by.filter(|r| r != "…"),
        contact,
    })
}
