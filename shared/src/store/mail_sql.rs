//! The SQL of [`MailOps`](super::MailOps), shared by both backends like `sql.rs`.

macro_rules! mail_store {
    ($store:ident, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::mail::MailOps for $store {
            async fn mail_due(
                &self,
                campaign: &str,
                group: Option<&str>,
                plan: $crate::store::mail::MailPlan,
            ) -> Result<Vec<$crate::store::mail::Recipient>, StoreError> {
                use $crate::model::MailStatus;
                use $crate::store::mail::MailPlan;
                // Only an open invitation is written about, to a person with an
                // address who neither opted out nor bounced.
                let base = "SELECT p.id, p.full_name, p.email, p.source_line, i.token, i.code, i.unit, i.group_code,
                        (SELECT COUNT(*) FROM mail_sends m WHERE m.person_id = p.id AND m.round > 0 AND m.status = $3)
                    FROM invitations i JOIN frame_people p ON p.id = i.person_id
                    WHERE i.campaign_id = $1 AND ($2 IS NULL OR i.group_code = $2) AND i.status = $4
                      AND p.email IS NOT NULL AND p.mail_opt_out_at IS NULL AND p.mail_bounced_at IS NULL";
                let (sql, quiet_since, at_most) = match plan {
                    // Not yet sent, nor being sent: none, or a failed try.
                    MailPlan::Invitation => (
                        format!(
                            "{base} AND NOT EXISTS (SELECT 1 FROM mail_sends m WHERE m.person_id = p.id AND m.round = 0 AND m.status <> $5)
                              AND $6 IS NOT NULL AND $7 IS NOT NULL"
                        ),
                        None,
                        0,
                    ),
                    // Invited, nothing in flight, nothing sent since `quiet_since`,
                    // fewer than `at_most` reminders.
                    MailPlan::Reminder { quiet_since, at_most } => (
                        format!(
                            "{base} AND EXISTS (SELECT 1 FROM mail_sends m WHERE m.person_id = p.id AND m.round = 0 AND m.status = $3)
                              AND NOT EXISTS (SELECT 1 FROM mail_sends m WHERE m.person_id = p.id
                                              AND (m.status = $5 OR (m.status = $3 AND m.updated_at > $6)))
                              AND (SELECT COUNT(*) FROM mail_sends m WHERE m.person_id = p.id AND m.round > 0 AND m.status = $3) < $7"
                        ),
                        Some(quiet_since),
                        at_most,
                    ),
                };
                let in_flight = match plan {
                    MailPlan::Invitation => MailStatus::Failed,
                    MailPlan::Reminder { .. } => MailStatus::Sending,
                };
                #[allow(clippy::type_complexity)]
                let rows: Vec<(i64, String, Option<String>, Option<i64>, String, Option<String>, String, String, i64)> =
                    // Built from the constants above only, never from input.
                    sqlx::query_as(sqlx::AssertSqlSafe(format!("{sql} ORDER BY i.unit, i.group_code, p.source_line, p.id")))
                        .bind(campaign)
                        .bind(group)
                        .bind(MailStatus::Sent.code())
                        .bind($crate::model::InvitationStatus::Issued.code())
                        .bind(in_flight.code())
                        .bind(quiet_since.unwrap_or_else($crate::model::clock::now))
                        .bind(at_most)
                        .fetch_all(&self.pool)
                        .await?;
                let reminder = matches!(plan, MailPlan::Reminder { .. });
                rows.into_iter()
                    .filter_map(|(person_id, name, email, line, token, code, unit, group, reminders)| {
                        let email = $crate::model::Email::parse(email.as_deref()?).ok()?;
                        Some((person_id, name, email, line, token, code, unit, group, reminders))
                    })
                    .map(|(person_id, name, email, line, token, code, unit, group, reminders)| {
                        let token = $crate::model::Token::parse(&token)
                            .ok_or_else(|| StoreError::Corrupt(format!("mã phiếu «{token}» không hợp lệ")))?;
                        Ok($crate::store::mail::Recipient {
                            person_id,
                            round: if reminder { reminders + 1 } else { 0 },
                            name,
                            email,
                            token,
                            code: code.unwrap_or_default(),
                            unit,
                            group,
                            line,
                        })
                    })
                    .collect()
            }

            async fn claim_mail(&self, campaign: &str, person: i64, round: i64) -> Result<Option<i64>, StoreError> {
                use $crate::model::MailStatus;
                // One row a round: a round already sent or in flight is not
                // claimed again; a failed one is taken back. The person must
                // still be due: their invitation open, no opt-out, no bounce.
                let now = $crate::model::clock::now();
                let claimed: Option<(i64,)> = sqlx::query_as(
                    "INSERT INTO mail_sends (campaign_id, person_id, round, status, attempts, created_at, updated_at)
                     SELECT $1, $2, $3, $4, 1, $5, $5
                     WHERE EXISTS (SELECT 1 FROM invitations i JOIN frame_people p ON p.id = i.person_id
                                   WHERE p.id = $2 AND i.campaign_id = $1 AND i.status = $6
                                     AND p.email IS NOT NULL AND p.mail_opt_out_at IS NULL AND p.mail_bounced_at IS NULL)
                     ON CONFLICT (person_id, round) DO UPDATE
                        SET status = excluded.status, attempts = mail_sends.attempts + 1, updated_at = excluded.updated_at,
                            reason = NULL
                        WHERE mail_sends.status = $7
                     RETURNING id",
                )
                .bind(campaign)
                .bind(person)
                .bind(round)
                .bind(MailStatus::Sending.code())
                .bind(now)
                .bind($crate::model::InvitationStatus::Issued.code())
                .bind(MailStatus::Failed.code())
                .fetch_optional(&self.pool)
                .await?;
                Ok(claimed.map(|(id,)| id))
            }

            async fn finish_mail(
                &self,
                send: i64,
                outcome: &$crate::store::mail::MailOutcome,
            ) -> Result<(), StoreError> {
                let now = $crate::model::clock::now();
                let mut tx = self.pool.begin().await?;
                sqlx::query("UPDATE mail_sends SET status = $2, reason = $3, updated_at = $4 WHERE id = $1")
                    .bind(send)
                    .bind(outcome.status.code())
                    .bind(outcome.reason.as_deref())
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                if outcome.status == $crate::model::MailStatus::Bounced {
                    sqlx::query(
                        "UPDATE frame_people SET mail_bounced_at = $2
                         WHERE id = (SELECT person_id FROM mail_sends WHERE id = $1) AND mail_bounced_at IS NULL",
                    )
                    .bind(send)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn opt_out(&self, token: &$crate::model::Token) -> Result<Option<()>, StoreError> {
                let person: Option<(Option<i64>,)> = sqlx::query_as("SELECT person_id FROM invitations WHERE token = $1")
                    .bind(token.as_str())
                    .fetch_optional(&self.pool)
                    .await?;
                let Some((person,)) = person else { return Ok(None) };
                if let Some(person) = person {
                    sqlx::query("UPDATE frame_people SET mail_opt_out_at = $2 WHERE id = $1 AND mail_opt_out_at IS NULL")
                        .bind(person)
                        .bind($crate::model::clock::now())
                        .execute(&self.pool)
                        .await?;
                }
                Ok(Some(()))
            }

            async fn mark_bounced(&self, campaign: &str, emails: &[$crate::model::Email]) -> Result<u64, StoreError> {
                let now = $crate::model::clock::now();
                let mut tx = self.pool.begin().await?;
                let mut marked = 0;
                for e in emails {
                    marked += sqlx::query(
                        "UPDATE frame_people SET mail_bounced_at = $3
                         WHERE campaign_id = $1 AND LOWER(email) = LOWER($2) AND mail_bounced_at IS NULL",
                    )
                    .bind(campaign)
                    .bind(e.as_str())
                    .bind(now)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                }
                tx.commit().await?;
                Ok(marked)
            }

            async fn mail_counts(&self, campaign: &str) -> Result<Vec<$crate::store::mail::MailCount>, StoreError> {
                use $crate::model::MailStatus;
                #[allow(clippy::type_complexity)]
                let rows: Vec<(String, String, bool, bool, Option<String>, i64, i64, i64)> = sqlx::query_as(
                    "SELECT i.group_code, i.status, p.mail_opt_out_at IS NOT NULL, p.mail_bounced_at IS NOT NULL,
                            (SELECT m.status FROM mail_sends m WHERE m.person_id = p.id AND m.round = 0),
                            (SELECT COUNT(*) FROM mail_sends m WHERE m.person_id = p.id AND m.round > 0 AND m.status = $2),
                            (SELECT COUNT(*) FROM mail_sends m WHERE m.person_id = p.id AND m.status = $3),
                            (SELECT COUNT(*) FROM mail_sends m WHERE m.person_id = p.id AND m.status = $4)
                     FROM invitations i JOIN frame_people p ON p.id = i.person_id
                     WHERE i.campaign_id = $1 AND p.email IS NOT NULL AND i.status <> $5
                     ORDER BY i.group_code",
                )
                .bind(campaign)
                .bind(MailStatus::Sent.code())
                .bind(MailStatus::Failed.code())
                .bind(MailStatus::Sending.code())
                .bind($crate::model::InvitationStatus::Reserve.code())
                .fetch_all(&self.pool)
                .await?;
                let mut out: Vec<$crate::store::mail::MailCount> = Vec::new();
                for (group, status, opted_out, bounced, first, reminders, failed, sending) in rows {
                    if out.last().is_none_or(|c| c.group != group) {
                        out.push($crate::store::mail::MailCount { group: group.clone(), ..Default::default() });
                    }
                    let Some(c) = out.last_mut() else { continue };
                    let invited = first.as_deref().and_then(MailStatus::parse) == Some(MailStatus::Sent);
                    c.with_email += 1;
                    c.invited += i64::from(invited);
                    c.reminders += reminders;
                    c.failed += failed;
                    c.uncertain += sending;
                    c.bounced += i64::from(bounced);
                    c.opted_out += i64::from(opted_out);
                    c.answered += i64::from(invited && $crate::store::status_of(&status)? == $crate::model::InvitationStatus::Answered);
                }
                Ok(out)
            }
        }
    };
}

pub(crate) use mail_store;
