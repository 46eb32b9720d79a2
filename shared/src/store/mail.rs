//! E-mail to the people of a roster (officials, delegates): who is due a
//! message, the claim that keeps a round from going out twice, what became
//! of each message, opt-outs and bounces. Everything here is personal data
//! and lives beside the frame (`frame_people`, `mail_sends`), never with an
//! answer.

use super::StoreError;
use crate::model::{Email, MailStatus, Token};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// Which message a run sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailPlan {
    /// The invitation (round 0), to those not yet sent it (or whose sending failed).
    Invitation,
    /// A reminder, to those sent the invitation who have not answered, whose
    /// last message left before `quiet_since`, and who had fewer than
    /// `at_most` reminders.
    Reminder { quiet_since: DateTime<Utc>, at_most: i64 },
}

/// One person due one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub person_id: i64,
    /// 0 for the invitation, then 1, 2, … for reminders.
    pub round: i64,
    pub name: String,
    pub email: Email,
    pub token: Token,
    pub code: String,
    pub unit: String,
    pub group: String,
    /// The person's line in the roster file, to name them without their address.
    pub line: Option<i64>,
}

/// How a message ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailOutcome {
    pub status: MailStatus,
    /// The server's words when it refused.
    pub reason: Option<String>,
}

/// What e-mail has done for one group of a campaign.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct MailCount {
    pub group: String,
    /// Drawn people (not in reserve) with an address.
    pub with_email: i64,
    pub invited: i64,
    pub reminders: i64,
    /// Messages whose last try failed (sent again by the next run).
    pub failed: i64,
    pub bounced: i64,
    pub opted_out: i64,
    /// Stopped mid-send: may or may not have arrived; never resent by itself.
    pub uncertain: i64,
    /// Invited by e-mail and answered.
    pub answered: i64,
}

#[async_trait]
pub trait MailOps: Send + Sync {
    /// Who `plan` would write to now, in the campaign or one of its groups.
    async fn mail_due(&self, campaign: &str, group: Option<&str>, plan: MailPlan)
    -> Result<Vec<Recipient>, StoreError>;

    /// Claims a person's round before the message leaves: `None` when the
    /// round is already sent, being sent, or the person is no longer due
    /// (answered, opted out, bounced) — the message must then not leave.
    async fn claim_mail(&self, campaign: &str, person: i64, round: i64) -> Result<Option<i64>, StoreError>;

    /// Records how a claimed message ended; a bounce stops all mail to the person.
    async fn finish_mail(&self, send: i64, outcome: &MailOutcome) -> Result<(), StoreError>;

    /// The person an invitation's link belongs to asks for no more e-mail.
    /// `None` when no invitation has that token.
    async fn opt_out(&self, token: &Token) -> Result<Option<()>, StoreError>;

    /// Addresses that bounced after the server took the message (the
    /// postmaster's replies): no more mail to them. Returns how many people.
    async fn mark_bounced(&self, campaign: &str, emails: &[Email]) -> Result<u64, StoreError>;

    /// Per group, what e-mail has done.
    async fn mail_counts(&self, campaign: &str) -> Result<Vec<MailCount>, StoreError>;
}
