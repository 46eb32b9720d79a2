//! What field operations and staff accounts keep: the drawn sample and its
//! reserves, outcomes enumerators record, staff, sessions and the audit log.
//!
//! Contacts (name, phone, address) leave the store only through [`Slip`], which
//! the admin and enumerator pages and `sipas invitations` use; nothing an
//! analyst reaches reads it.

use super::StoreError;
use crate::model::auth::{Role, User};
use crate::model::{AuditAction, InvitationStatus, Token};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// Failed calls after which a person counts as unreachable.
pub const CALLS_BEFORE_UNREACHABLE: i64 = 3;

/// An invitation to issue: of the sample proper, a reserve, or open (no person).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSlip {
    pub unit: String,
    pub group: String,
    pub field: Option<String>,
    pub person: Option<i64>,
    /// `None` for the sample proper; the release order of a reserve.
    pub reserve_rank: Option<u32>,
}

/// Who an invitation is for, for those who hand it out or call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contact {
    pub name: String,
    pub phone: String,
    pub address: String,
}

/// An invitation as staff see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Slip {
    pub code: String,
    pub token: Token,
    pub unit: String,
    pub group: String,
    pub field: Option<String>,
    pub status: InvitationStatus,
    pub reserve_rank: Option<i64>,
    pub attempts: i64,
    /// The reserve released in this one's place.
    pub replaced_by: Option<String>,
    pub contact: Option<Contact>,
}

impl Slip {
    /// Whether a reserve may be released in this one's place.
    pub fn replaceable(&self) -> bool {
        self.replaced_by.is_none() && self.status.replaceable()
    }
}

/// What an offline interview's id found on its invitation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OfflineClaim {
    /// No interview was sent for it: now this one's.
    Fresh,
    /// This very interview was sent before; `answered` if it was stored.
    Same { answered: bool },
    /// Another phone's interview holds it.
    Other,
    /// Answered, or closed, without an offline interview: its status.
    Closed(crate::model::InvitationStatus),
    /// No invitation has that token.
    Unknown,
}

/// What an enumerator records about an invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The ballot was answered on paper; it counts once keyed in.
    Paper,
    Refused,
    /// A call that reached nobody; after [`CALLS_BEFORE_UNREACHABLE`] the person is unreachable.
    CallFailed,
    WrongNumber,
    /// Back to open, e.g. a refusal recorded by mistake (not once replaced).
    Reopen,
}

impl Outcome {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "paper" => Outcome::Paper,
            "refused" => Outcome::Refused,
            "call_failed" => Outcome::CallFailed,
            "wrong_number" => Outcome::WrongNumber,
            "reopen" => Outcome::Reopen,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Paper => "paper",
            Outcome::Refused => "refused",
            Outcome::CallFailed => "call_failed",
            Outcome::WrongNumber => "wrong_number",
            Outcome::Reopen => "reopen",
        }
    }

    /// The audit action recording it.
    pub fn action(self) -> AuditAction {
        match self {
            Outcome::Paper => AuditAction::Paper,
            Outcome::Refused => AuditAction::Refused,
            Outcome::CallFailed => AuditAction::CallFailed,
            Outcome::WrongNumber => AuditAction::WrongNumber,
            Outcome::Reopen => AuditAction::Reopen,
        }
    }

    /// The status that follows from `status` after `attempts` failed calls, if allowed.
    pub fn next(self, status: InvitationStatus, attempts: i64) -> Option<InvitationStatus> {
        use InvitationStatus as S;
        match (self, status) {
            (Outcome::Paper, S::Issued) => Some(S::Paper),
            (Outcome::Refused, S::Issued) => Some(S::Refused),
            (Outcome::WrongNumber, S::Issued) => Some(S::WrongNumber),
            (Outcome::CallFailed, S::Issued) if attempts + 1 >= CALLS_BEFORE_UNREACHABLE => Some(S::Unreachable),
            (Outcome::CallFailed, S::Issued) => Some(S::Issued),
            (Outcome::Reopen, s) if s.reopenable() => Some(S::Issued),
            _ => None,
        }
    }
}

/// Why an outcome or a release was not recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    #[error("không có phiếu mã {0}")]
    NoSuchSlip(String),
    #[error("phiếu {code} đang ở trạng thái «{status}»: không ghi được kết quả này")]
    NotAllowed { code: String, status: InvitationStatus },
    #[error("phiếu {0} đã được thay bằng người dự phòng")]
    AlreadyReplaced(String),
    #[error("hết người dự phòng cùng lĩnh vực cho phiếu {0}: bấm «Rút thêm dự phòng» của ô này ở đầu trang đơn vị")]
    NoReserve(String),
}

/// One line of the audit log: who changed what, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: AuditAction,
    /// An invitation code or `unit/group`; never a name or phone.
    pub subject: String,
    pub detail: String,
}

/// A new entry for the audit log.
#[derive(Debug, Clone, Copy)]
pub struct Audit<'a> {
    pub actor: &'a str,
    pub campaign: &'a str,
    pub action: AuditAction,
    pub subject: &'a str,
    pub detail: &'a str,
}

/// Sizes of the sample already drawn, per unit × group × field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrawnCount {
    pub unit: String,
    pub group: String,
    pub field: Option<String>,
    pub reserve: bool,
    /// Drawn from the frame, rather than open (counter QR, handed out in full).
    pub from_frame: bool,
    pub n: i64,
}

/// A village or residential group of a commune, with its households.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Village {
    pub unit: String,
    pub code: String,
    pub name: String,
    pub households: i64,
    /// Its chance of being drawn (num, den), once drawn.
    pub chance: Option<(i64, i64)>,
}

/// A drawn village's cell: each of its households had the chance
/// `chance_num ÷ chance_den` of being in the sample (design weight: the inverse).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DesignCell {
    pub unit: String,
    pub group: String,
    /// The village's code (the cell's field).
    pub field: String,
    pub chance_num: i64,
    pub chance_den: i64,
    /// Households on the village's list, and how many the draw took.
    pub listed: i64,
    pub take: i64,
}

impl DesignCell {
    /// 1 ÷ the household's chance of selection.
    pub fn weight(&self) -> f64 {
        if self.chance_num <= 0 { 0.0 } else { self.chance_den as f64 / self.chance_num as f64 }
    }
}

/// A frame row not yet invited, for the draw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameRow {
    pub person: i64,
    pub unit: String,
    pub field: Option<String>,
    pub phone: String,
    pub invited: bool,
    /// The group whose roster lists the person; `None` for a counter's list.
    pub roster_of: Option<String>,
}

/// A screen or tablet enrolled at a unit's one-stop counter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Device {
    pub id: i64,
    pub campaign: String,
    pub unit: String,
    pub label: String,
    pub revoked: bool,
    /// How its tablet takes answers: `open`, `staff` or `1inN` (set at
    /// enrolment; the tablet's address cannot change it).
    pub mode: String,
}

/// A paper ballot number as the office prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BallotNumber {
    pub unit: String,
    pub group: String,
    pub number: String,
    pub used: bool,
}

/// Keyed paper ballots to store together.
pub struct PaperBatch<'a> {
    /// Each ballot with the line (or position) it came from, for messages.
    pub ballots: &'a [(usize, crate::store::StoredResponse)],
    /// Ballots without a number may go past their unit × group quota: an
    /// admin's decision, never an enumerator's.
    pub allow_over_quota: bool,
    /// A fingerprint of the file: the same file is imported once.
    pub fingerprint: Option<&'a str>,
    pub audit: Audit<'a>,
}

/// A response up for review (flagged or excluded), as the admin's page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Flagged {
    pub id: i64,
    pub unit: String,
    pub group: String,
    pub field: Option<String>,
    pub submitted_on: chrono::NaiveDate,
    pub source: String,
    pub flags: Vec<crate::store::Flag>,
    /// Why it was taken out of the indices, if it was.
    pub excluded: Option<String>,
    pub cells: std::collections::BTreeMap<String, String>,
}

/// What an admin decides about a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Review<'a> {
    /// Looked at and kept: its flags are dropped.
    Keep,
    /// Out of the indices, for this reason; never deleted.
    Exclude(&'a str),
    /// Back into the indices.
    Restore,
}

/// How long an enrolment link may wait to be opened on its device.
pub const DEVICE_CLAIM_HOURS: i64 = 24;

/// Sampling, invitations, outcomes, staff accounts and the audit log.
#[async_trait]
pub trait FieldOps: Send + Sync {
    /// Takes the lease `name` for `holder` until `until`, unless another holder
    /// has it and it has not expired; returns whether it was taken. Works
    /// across processes on one database.
    async fn take_lease(&self, name: &str, holder: &str, until: DateTime<Utc>) -> Result<bool, StoreError>;

    /// Stores keyed paper ballots, all or none, with their audit line: a
    /// numbered ballot needs a number issued for its unit × group and not yet
    /// used (and uses it); ballots without one count against the quota and are
    /// refused past it unless allowed; a file already imported imports nothing.
    ///
    /// # Errors
    /// [`StoreError::Rows`] naming each refused ballot; [`StoreError::Duplicate`]
    /// for a file imported before.
    async fn key_paper_ballots(&self, campaign: &str, batch: PaperBatch<'_>) -> Result<(), StoreError>;

    /// Tops up each (unit, group) to `total` printed ballot numbers; returns
    /// how many were issued. Audited in the same transaction.
    async fn issue_ballot_numbers(
        &self,
        campaign: &str,
        wanted: &[(String, String, u64)],
        actor: &str,
    ) -> Result<u64, StoreError>;

    /// The ballot numbers of a campaign (of one unit), by unit, group, number.
    async fn ballot_numbers(&self, campaign: &str, unit: Option<&str>) -> Result<Vec<BallotNumber>, StoreError>;

    /// Flagged responses not yet reviewed, and excluded ones, by unit.
    async fn review_list(&self, campaign: &str) -> Result<Vec<Flagged>, StoreError>;

    /// Applies an admin's decision about response `id`, with its tallies,
    /// quota count and audit line in one transaction. An excluded paper
    /// ballot's number becomes free again, for the ballot keyed right.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when there is no such response in that state;
    /// [`StoreError::Duplicate`] restoring a ballot whose number was keyed again.
    async fn review_response(
        &self,
        campaign: &str,
        id: i64,
        decision: Review<'_>,
        actor: &str,
    ) -> Result<(), StoreError>;

    /// Withdraws the paper ballot keyed under `number` in `unit` (keyed wrongly),
    /// as [`Review::Exclude`]: the keyer finds it by the number on the paper,
    /// which leads to no person.
    async fn withdraw_ballot(
        &self,
        campaign: &str,
        unit: &str,
        number: &str,
        reason: &str,
        actor: &str,
    ) -> Result<(), StoreError>;

    /// Gives the lease back, if `holder` still has it.
    async fn end_lease(&self, name: &str, holder: &str) -> Result<(), StoreError>;

    /// Enrols a counter device for a unit, audited in the same transaction;
    /// only the hash of its one-time enrolment code is kept, which the device
    /// trades for its own secret within [`DEVICE_CLAIM_HOURS`]
    /// ([`FieldOps::claim_device`]).
    async fn enrol_device(
        &self,
        campaign: &str,
        unit: &str,
        label: &str,
        mode: &str,
        code_hash: &str,
        actor: &str,
    ) -> Result<i64, StoreError>;

    /// Revokes a campaign's counter device, audited in the same transaction:
    /// its screen and kiosk stop at once, and its passes with them. False
    /// when there is no such device or it was revoked already.
    async fn revoke_device(&self, campaign: &str, id: i64, actor: &str) -> Result<bool, StoreError>;

    /// The device a secret (by its hash) belongs to, unless revoked or not
    /// yet claimed on the device.
    async fn device_by_secret(&self, secret_hash: &str) -> Result<Option<Device>, StoreError>;

    /// Trades a device's enrolment code for its secret, once: the code then
    /// opens nothing, and a claimed device's secret is no code. `None` for an
    /// unknown, used, expired or revoked code.
    async fn claim_device(&self, code_hash: &str, secret_hash: &str) -> Result<Option<Device>, StoreError>;

    async fn device(&self, id: i64) -> Result<Option<Device>, StoreError>;

    async fn devices(&self, campaign: &str) -> Result<Vec<Device>, StoreError>;

    /// Every frame row of a campaign (id, unit, field, phone, whether invited):
    /// what the draw needs, nothing more.
    async fn frame_rows(&self, campaign: &str) -> Result<Vec<FrameRow>, StoreError>;

    /// Invitations issued, per unit × group × field, reserve or not, from the frame or open.
    async fn drawn_counts(&self, campaign: &str) -> Result<Vec<DrawnCount>, StoreError>;

    /// Stores village lists: a village not yet drawn takes the new name and
    /// households; a drawn one keeps what it was drawn with. Returns how
    /// many villages were written.
    async fn save_villages(&self, campaign: &str, villages: &[Village], audit: Audit<'_>) -> Result<u64, StoreError>;

    /// The campaign's villages, by unit and code.
    async fn villages(&self, campaign: &str) -> Result<Vec<Village>, StoreError>;

    /// Records the villages a draw took, with their chances (code, num, den).
    async fn mark_villages_drawn(
        &self,
        campaign: &str,
        drawn: &[(String, i64, i64)],
        audit: Audit<'_>,
    ) -> Result<(), StoreError>;

    /// Records the design of drawn villages' cells; a cell already recorded keeps its first.
    async fn save_design_cells(&self, campaign: &str, cells: &[DesignCell]) -> Result<(), StoreError>;

    /// The design cells of a campaign with a household sample.
    async fn design_cells(&self, campaign: &str) -> Result<Vec<DesignCell>, StoreError>;

    /// Issues invitations in one transaction, each with a token and a short code,
    /// and logs the draw. A person who already has an invitation is skipped.
    /// Returns how many were issued.
    async fn issue_slips(&self, campaign: &str, slips: &[NewSlip], audit: Audit<'_>) -> Result<u64, StoreError>;

    /// Invitations with their contacts, for printing and chasing; `unit` narrows them.
    async fn slips(&self, campaign: &str, unit: Option<&str>) -> Result<Vec<Slip>, StoreError>;

    /// Holds an open invitation for an offline interview's id (`client`),
    /// or says who holds it: the first id sent wins, once and for all.
    async fn claim_offline(&self, token: &Token, client: &str) -> Result<OfflineClaim, StoreError>;

    /// Lets go of an invitation an offline interview held but was not
    /// stored under (answered online first): a resend is then told so.
    async fn release_offline(&self, token: &Token, client: &str) -> Result<(), StoreError>;

    async fn slip(&self, campaign: &str, code: &str) -> Result<Option<Slip>, StoreError>;

    /// The token behind a typed short code, while it is open.
    async fn token_by_code(&self, code: &str) -> Result<Option<Token>, StoreError>;

    /// The short code printed for a token's invitation, if it has one (a
    /// counter's link has none).
    async fn code_of(&self, token: &Token) -> Result<Option<String>, StoreError>;

    /// Records an outcome and logs it; returns the new status.
    async fn record_outcome(
        &self,
        campaign: &str,
        code: &str,
        outcome: Outcome,
        actor: &str,
    ) -> Result<Result<InvitationStatus, FieldError>, StoreError>;

    /// Releases the next reserve of the same unit, group and field in place of
    /// a refused, unreachable or wrong-number invitation; returns its code.
    async fn release_reserve(
        &self,
        campaign: &str,
        code: &str,
        actor: &str,
    ) -> Result<Result<String, FieldError>, StoreError>;

    async fn audit(&self, entry: Audit<'_>) -> Result<(), StoreError>;

    /// The latest entries first, `limit` of them after skipping `offset`.
    async fn audit_log(&self, campaign: &str, limit: i64, offset: i64) -> Result<Vec<AuditEntry>, StoreError>;

    /// Adds a staff account; [`StoreError::Duplicate`] when the name is taken.
    async fn add_user(&self, name: &str, role: Role, units: &[String], password_hash: &str) -> Result<i64, StoreError>;

    /// A staff account and its password hash.
    async fn user_by_name(&self, name: &str) -> Result<Option<(User, String)>, StoreError>;

    async fn users(&self) -> Result<Vec<User>, StoreError>;

    async fn create_session(
        &self,
        token_hash: &str,
        user: i64,
        csrf: &str,
        expires: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// The user and CSRF token of a live session.
    async fn session(&self, token_hash: &str) -> Result<Option<(User, String)>, StoreError>;

    async fn end_session(&self, token_hash: &str) -> Result<(), StoreError>;

    /// Adds an API token that works until `expires`.
    async fn add_api_token(
        &self,
        token_hash: &str,
        user: i64,
        label: &str,
        expires: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// The account of a live token: not expired, not revoked, account enabled.
    async fn api_user(&self, token_hash: &str) -> Result<Option<User>, StoreError>;

    /// Adds the key an offline app syncs with until `expires`: it syncs
    /// interviews and opens nothing else (not the report API).
    async fn add_sync_key(&self, token_hash: &str, user: i64, expires: DateTime<Utc>) -> Result<(), StoreError>;

    /// The account of a live sync key, as [`api_user`](Self::api_user) for API tokens.
    async fn sync_user(&self, token_hash: &str) -> Result<Option<User>, StoreError>;

    /// Records a failed sign-in under a typed name's key from one client,
    /// forgets failures older than `since`, and returns that pair's
    /// failures since then.
    async fn login_failed(&self, name_key: &str, client_key: &str, since: DateTime<Utc>) -> Result<i64, StoreError>;

    /// A typed name's failures from one client since `since`.
    async fn login_failures(&self, name_key: &str, client_key: &str, since: DateTime<Utc>) -> Result<i64, StoreError>;

    /// Forgets a name's failures from every client.
    async fn clear_login_failures(&self, name_key: &str, client_key: Option<&str>) -> Result<(), StoreError>;

    /// Changes an account, audited in the same transaction; `None` when no
    /// account has that name, else how many rows changed (tokens revoked,
    /// failures forgotten, 1 for the account itself).
    async fn change_user(
        &self,
        name: &str,
        change: &crate::model::auth::AccountChange,
        actor: &str,
    ) -> Result<Option<u64>, StoreError>;

    /// Removes a unit's list (its people without an invitation), audited;
    /// returns (removed, kept because invited).
    async fn remove_people(
        &self,
        campaign: &str,
        scope: crate::store::FrameScope<'_>,
        audit: Audit<'_>,
    ) -> Result<(u64, u64), StoreError>;

    /// Keeps a message for one staff member's next page; returns its id.
    async fn put_flash(&self, user: i64, ok: bool, text: &str) -> Result<String, StoreError>;

    /// The message, once, and only for the staff member it was kept for.
    async fn take_flash(&self, id: &str, user: i64) -> Result<Option<(bool, String)>, StoreError>;
}
