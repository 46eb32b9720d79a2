//! Storage: one [`Store`] trait, a SQLite and a PostgreSQL implementation,
//! chosen from the URL scheme at start-up.
//!
//! Personal data of sampling frames lives in `frame_people`; submitted answers in
//! `responses`, which holds no token, no person and only the day of submission
//! (SPEC §3).

pub mod backup;
pub mod columns;
pub mod field;
mod field_sql;
mod held_sql;
pub mod key;
pub mod mail;
mod mail_sql;
mod postgres;
pub mod release;
mod sql;
mod sqlite;

use crate::model::{Answers, Campaign, Phone, Token, UnitCode};
use async_trait::async_trait;
use chrono::NaiveDate;
use futures::stream::BoxStream;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

pub use crate::model::response::{Flag, StoredResponse};
pub use field::FieldOps;
pub use mail::MailOps;
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

/// An invitation status as the store keeps it, parsed once at its edge.
pub(crate) fn status_of(code: &str) -> Result<crate::model::InvitationStatus, StoreError> {
    crate::model::InvitationStatus::parse(code)
        .ok_or_else(|| StoreError::Corrupt(format!("trạng thái phiếu mời «{code}» không có trong chương trình")))
}

/// An audit action as the store keeps it, parsed once at its edge.
pub(crate) fn action_of(code: &str) -> Result<crate::model::AuditAction, StoreError> {
    crate::model::AuditAction::parse(code)
        .ok_or_else(|| StoreError::Corrupt(format!("việc «{code}» trong nhật ký không có trong chương trình")))
}

/// The default database: an SQLite file beside the working directory.
pub const DEFAULT_URL: &str = "sqlite://sipas.db";

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("địa chỉ cơ sở dữ liệu «{0}» không được hỗ trợ: dùng sqlite://… hoặc postgres://…")]
    UnsupportedUrl(String),
    #[error("lỗi cơ sở dữ liệu: {0}")]
    Database(#[from] sqlx::Error),
    #[error("không áp dụng được migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("dữ liệu lưu trữ bị hỏng: {0}")]
    Corrupt(String),
    #[error("không tìm thấy {0}")]
    NotFound(String),
    #[error("{0}")]
    Duplicate(String),
    #[error("khoá dịch vụ: {0}")]
    Key(String),
    /// An answer longer than the sealed block every answer waits in.
    #[error("{0}")]
    TooLarge(String),
    /// Rows of an input the store refused, each named (paper ballots whose
    /// number is unknown or used, or past a quota).
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Rows(Vec<crate::model::RowError>),
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Corrupt(e.to_string())
    }
}

/// Which backend a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// One line of `sipas campaign list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CampaignSummary {
    pub id: String,
    pub name: String,
    pub year: i64,
    pub opens: NaiveDate,
    pub closes: NaiveDate,
}

/// Progress of one unit × group against its quota.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct QuotaStatus {
    pub unit: String,
    pub group: String,
    pub quota: i64,
    pub invited: i64,
    pub answered: i64,
    pub refused: i64,
    /// Unreachable after repeated calls, or a wrong number.
    pub unreachable: i64,
    /// Answered on paper, not yet keyed in.
    pub paper: i64,
    /// Reserves drawn and not yet released (not counted as invited).
    pub reserves: i64,
}

impl QuotaStatus {
    /// Answers still needed to fill the quota.
    pub fn remaining(&self) -> i64 {
        (self.quota - self.answered).max(0)
    }
}

/// A person from a counter's transaction list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPerson {
    pub unit: UnitCode,
    /// The group whose roster lists the person; `None` for a counter's list.
    pub roster_of: Option<String>,
    pub full_name: String,
    pub procedure: String,
    pub field: Option<String>,
    pub address: String,
    /// Every person of a counter's list has one; a household, or an official
    /// of a roster reached by e-mail, may have none.
    pub phone: Option<Phone>,
    /// Personal data, like the phone: used only to send the invitation.
    pub email: Option<crate::model::Email>,
    /// A household of a village list: known by its village, head and
    /// address, since members of two households may share one phone.
    pub household: bool,
    /// Line of the source file, for messages.
    pub source_line: Option<i64>,
}

/// What the `phone` column holds for a household: a key from its village,
/// head, address and line in the list (and its phone, if listed), which no
/// phone starts with, so the same list imported again adds no household
/// twice, while two households sharing a phone, or a head's name and a
/// village-only address, stay two (a corrected list is imported with
/// `--replace`).
pub const NO_PHONE: char = '#';

impl NewPerson {
    /// The person's key in their unit's list: the phone, or for a household
    /// [`NO_PHONE`], its village, head, address and line, then its phone if any.
    pub fn phone_column(&self) -> String {
        match (&self.phone, &self.email) {
            (Some(p), _) if !self.household => p.as_str().to_owned(),
            // An official reached by e-mail only: the address is the key, so
            // the same roster imported again adds nobody twice; the part after
            // the last `|` (the phone shown) is empty.
            (None, Some(e)) if !self.household => format!("{NO_PHONE}@{}|", e.as_str().to_lowercase()),
            (phone, _) => format!(
                "{NO_PHONE}{}|{}|{}|{}|{}",
                self.field.as_deref().unwrap_or_default(),
                crate::model::text::fold_header(&self.full_name),
                crate::model::text::fold_header(&self.address),
                self.source_line.unwrap_or_default(),
                phone.as_ref().map(Phone::as_str).unwrap_or_default()
            ),
        }
    }
}

/// A phone as stored, for people to read: nothing for a household listed without one.
pub fn shown_phone(column: String) -> String {
    if column.starts_with(NO_PHONE) { column.rsplit('|').next().unwrap_or_default().to_owned() } else { column }
}

/// An invitation to be issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInvitation {
    pub campaign: String,
    pub unit: UnitCode,
    pub group: String,
    pub field: Option<String>,
    pub person: Option<i64>,
}

/// What a respondent's link points at; never the person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvitationView {
    pub campaign: String,
    pub unit: String,
    pub group: String,
    pub field: Option<String>,
    pub status: crate::model::InvitationStatus,
    /// A counter link left unanswered past its life.
    pub expired: bool,
}

/// The outcome of submitting answers against a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submission {
    Stored,
    AlreadyAnswered,
    UnknownToken,
}

/// Parsed campaign definitions by id and version (`updated_at`), shared: a
/// respondent's request borrows the definition rather than copying it.
#[derive(Default)]
pub(crate) struct Definitions(std::sync::Mutex<std::collections::HashMap<String, Definition>>);

/// A parsed definition and the version it was parsed at.
type Definition = (chrono::DateTime<chrono::Utc>, std::sync::Arc<Campaign>);

impl Definitions {
    pub(crate) fn get(&self, id: &str, version: chrono::DateTime<chrono::Utc>) -> Option<std::sync::Arc<Campaign>> {
        let map = self.0.lock().ok()?;
        map.get(id).filter(|(v, _)| *v == version).map(|(_, c)| c.clone())
    }

    pub(crate) fn put(&self, id: &str, version: chrono::DateTime<chrono::Utc>, campaign: &Campaign) {
        if let Ok(mut map) = self.0.lock() {
            map.insert(id.to_owned(), (version, std::sync::Arc::new(campaign.clone())));
        }
    }
}

/// A submission waiting for the writer, and where to send its outcome.
pub(crate) type Job = (SubmitJob, tokio::sync::oneshot::Sender<Result<Submission, StoreError>>);
/// The queue to a store's submission writer.
pub(crate) type Writer = tokio::sync::mpsc::Sender<Job>;
/// Submissions committed together at most.
pub(crate) const GROUP: usize = 256;

/// A submission ready for the store: the token and what will be sealed while
/// the answer waits for its release.
#[derive(Debug, Clone)]
pub struct SubmitJob {
    pub token: String,
    /// A [`HeldAnswer`] as JSON, sealed by the writer once the cell is known.
    pub held: Vec<u8>,
}

impl SubmitJob {
    /// # Errors
    /// Only if the answers cannot be written as JSON.
    pub fn new(token: &Token, answers: &Answers, on: NaiveDate, flags: Vec<Flag>) -> Result<Self, StoreError> {
        Self::from_source(token, answers, on, flags, None)
    }

    /// A submission from a source other than the online form (`offline`,
    /// the enumerators' app): its batch says so, and a batch that mixes
    /// sources loses what would tell one source's answers from the other's
    /// (the `fast` flag), as it does for paper among online answers.
    ///
    /// # Errors
    /// As [`new`](Self::new).
    pub fn from_source(
        token: &Token,
        answers: &Answers,
        on: NaiveDate,
        mut flags: Vec<Flag>,
        source: Option<&str>,
    ) -> Result<Self, StoreError> {
        let counted = answers
            .iter()
            .filter(|(_, a)| !matches!(a, crate::model::Answer::Text(_)))
            .map(|(k, a)| (k.clone(), a.to_cell()))
            .collect();
        if answers.straight_lined() {
            flags.push(Flag::Straight);
        }
        flags.sort();
        flags.dedup();
        let held = HeldAnswer {
            on,
            answers: serde_json::to_string(answers)?,
            counted,
            flags,
            source: source.map(str::to_owned),
            ballot: None,
        };
        let held = serde_json::to_vec(&held)?;
        if held.len() + 4 > key::HELD_SIZE {
            return Err(StoreError::TooLarge(
                "câu trả lời quá dài để lưu kín cùng cỡ với các phiếu khác: xin rút gọn phần góp ý".into(),
            ));
        }
        Ok(SubmitJob { token: token.as_str().to_owned(), held })
    }
}

/// An answer waiting, sealed, for its cell to hold k: the day it came, the
/// answers as `responses` stores them, and the cells the tallies count.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct HeldAnswer {
    pub on: NaiveDate,
    /// The answers as `responses` stores them (JSON), kept as JSON inside
    /// the held answer rather than as a string of it: escaped once, not twice.
    #[serde(with = "raw_json")]
    pub answers: String,
    pub counted: Vec<(String, String)>,
    #[serde(default)]
    pub flags: Vec<Flag>,
    /// `paper` for a keyed ballot; online otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// A keyed ballot's printed number, marked used when its batch is released.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ballot: Option<String>,
}

/// A JSON text written into its container as JSON, and read back as text
/// (or, from a held answer sealed before, as the string it was).
mod raw_json {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use serde_json::value::RawValue;

    pub fn serialize<S: Serializer>(json: &str, s: S) -> Result<S::Ok, S::Error> {
        let raw = RawValue::from_string(json.to_owned()).map_err(serde::ser::Error::custom)?;
        raw.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        let raw: Box<RawValue> = Deserialize::deserialize(d)?;
        if raw.get().starts_with('"') {
            return serde_json::from_str(raw.get()).map_err(serde::de::Error::custom);
        }
        Ok(raw.get().to_owned())
    }
}

/// Where a campaign's answers stand against its anonymity threshold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Anonymity {
    /// Answers are released in batches of at least this many per unit × group × field.
    pub k: i64,
    /// Answers submitted and counted against quotas, waiting for their cell to hold k.
    pub held: i64,
    /// Answers released in batches smaller than k by an earlier version of
    /// the service (none are now: SPEC §10).
    pub released_below_k: i64,
    /// Answers released at close with their field suppressed: the small
    /// cells of a unit × group pooled into one batch of at least k.
    pub generalised: i64,
    /// Answers released at close above the units: their unit × group held
    /// fewer than k, so they count only in the campaign's figures.
    pub above_unit: i64,
    /// Whether the campaign has closed (its remainders were planned).
    pub closed: bool,
    /// Responses an admin excluded from the indices (or a keyer withdrew), with a reason; kept.
    pub excluded: i64,
}

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Sweep {
    /// Answers released because their campaign had closed.
    pub released_at_close: u64,
    /// Drafts removed (campaign closed, or untouched for 30 days).
    pub drafts_expired: u64,
}

/// What a held answer is sealed to: its cell, so a blob moved to another
/// cell does not open.
pub(crate) fn held_context(campaign: &str, unit: &str, group: &str, field: &str) -> String {
    format!("held|{campaign}|{unit}|{group}|{field}")
}

/// How long a questionnaire taken from a counter stays open unanswered once
/// its page has been opened.
pub const COUNTER_LINK_LIFE: chrono::TimeDelta = chrono::TimeDelta::hours(2);

/// How long a questionnaire taken from a counter waits to be opened: links
/// hoarded and never opened free their place within minutes, not hours.
pub const COUNTER_LINK_UNOPENED: chrono::TimeDelta = chrono::TimeDelta::minutes(10);

/// Whether a counter may hand out one more questionnaire: answers plus live
/// links below the quota (a link taken and never opened lives
/// [`COUNTER_LINK_UNOPENED`], so a hoard frees the counter within minutes).
pub(crate) fn counter_has_room(quota: i64, answered: i64, live: i64) -> bool {
    answered + live < quota
}

/// Days a saved draft is kept without being touched.
pub const DRAFT_DAYS: i64 = 30;

/// Answer counts of one cell (unit × group × field), question by question,
/// as kept while answers arrive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TallyCell {
    pub unit: String,
    pub group: String,
    pub field: Option<String>,
    /// (question, answer cell in SPEC §7 text form, how many gave it).
    pub rows: Vec<(String, String, i64)>,
}

/// What the report reads instead of every response.
#[derive(Debug, Clone, Default)]
pub struct Tallies {
    /// Responses per unit × group × field.
    pub cells: Vec<(String, String, Option<String>, i64)>,
    /// The answers counted, one entry a unit × group × field.
    pub answers: Vec<TallyCell>,
}

impl TallyCell {
    /// The rows of a cell as the store aggregates them in one text: each
    /// row's question, answer and count joined by [`TALLY_UNIT`], rows by
    /// [`TALLY_ROW`]. `None` when the text does not hold `rows` rows (a
    /// separator inside a code), and the cell is read row by row.
    pub(crate) fn parse(unit: String, group: String, field: Option<String>, rows: i64, text: &str) -> Option<Self> {
        let mut out = Vec::with_capacity(usize::try_from(rows).ok()?);
        for row in text.split(TALLY_ROW) {
            let mut parts = row.split(TALLY_UNIT);
            let (Some(question), Some(answer), Some(n), None) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                return None;
            };
            out.push((question.to_owned(), answer.to_owned(), n.parse().ok()?));
        }
        (i64::try_from(out.len()).ok()? == rows).then_some(TallyCell { unit, group, field, rows: out })
    }
}

/// Separators of the tallies read one cell a row (see [`TallyCell::parse`]).
pub(crate) const TALLY_UNIT: char = '\u{1f}';
pub(crate) const TALLY_ROW: char = '\u{1e}';

/// Tally rows keyed in lock order: campaign rows are always updated in this
/// order, so concurrent writers on PostgreSQL never deadlock.
pub(crate) type TallyKey = (String, String, String, String, String);
pub(crate) type CellCountKey = (String, String, String);

/// Counts one response: every answer but free text in the tallies (numbers
/// per value, for their mean and median), every answer in the chunks.
#[allow(clippy::too_many_arguments)] // the three counts are written together by `write_tallies`
pub(crate) fn count_cells<'a>(
    unit: &str,
    group: &str,
    field: Option<&str>,
    cells: impl Iterator<Item = (&'a String, &'a String)>,
    counted: &dyn Fn(&str) -> bool,
    tallies: &mut BTreeMap<TallyKey, i64>,
    responses: &mut BTreeMap<CellCountKey, i64>,
    rows: &mut columns::ChunkRows,
    day: NaiveDate,
    source: &str,
) {
    let field = field.unwrap_or_default();
    let cell = (unit.to_owned(), group.to_owned(), field.to_owned());
    *responses.entry(cell.clone()).or_default() += 1;
    let mut row = Vec::new();
    // One key reused for every answer: a count already there costs no allocation.
    let mut probe = (unit.to_owned(), group.to_owned(), field.to_owned(), String::new(), String::new());
    for (code, raw) in cells {
        if counted(code) {
            probe.3.clear();
            probe.3.push_str(code);
            probe.4.clear();
            probe.4.push_str(raw);
            match tallies.get_mut(&probe) {
                Some(n) => *n += 1,
                None => {
                    tallies.insert(probe.clone(), 1);
                }
            }
        }
        // The chunks keep every answer, free text too (the report's comments).
        row.push((code.clone(), raw.clone()));
    }
    stamp_row(&mut row, day, source);
    rows.entry(cell).or_default().push(row);
}

/// Adds to a chunk row the day its response is stored under, for exports
/// read from the chunks, and how it came (online, offline, paper, mixed),
/// for reports filtered by either.
pub(crate) fn stamp_row(row: &mut columns::Row, day: NaiveDate, source: &str) {
    row.push((columns::DAY.to_owned(), day.to_string()));
    row.push((columns::SOURCE.to_owned(), source.to_owned()));
}

/// One cell's batch of answers, column by column: (unit, group, field, sign, chunk).
pub type AnswerChunk = (String, String, Option<String>, i64, Vec<u8>);

/// One unit's list: its counter frame (`roster_of` none) or a group's roster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameScope<'a> {
    pub unit: &'a str,
    pub roster_of: Option<&'a str>,
}

/// How the store's connections and writer are doing, for `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreHealth {
    pub connections: u32,
    pub idle: usize,
    /// Submissions waiting for the group-commit writer.
    pub writer_queue: usize,
}

/// Everything the collector, aggregator and CLI read and write.
#[async_trait]
pub trait Store: FieldOps + MailOps + Send + Sync {
    fn backend(&self) -> Backend;

    fn health(&self) -> StoreHealth;

    /// The service key, for what the service signs (a counter's rotating code).
    fn service_key(&self) -> &key::ServiceKey;

    /// Whether no campaign has been loaded yet (for `serve --demo`).
    async fn is_empty(&self) -> Result<bool, StoreError>;

    /// Creates or updates a campaign, its units and quotas; idempotent.
    /// Returns `true` when the campaign was new.
    async fn save_campaign(&self, campaign: &Campaign) -> Result<bool, StoreError>;

    async fn campaign(&self, id: &str) -> Result<Option<Campaign>, StoreError>;

    async fn campaigns(&self) -> Result<Vec<CampaignSummary>, StoreError>;

    /// Quota, invitations by outcome and answers, per unit × group.
    async fn quota_board(&self, campaign: &str) -> Result<Vec<QuotaStatus>, StoreError>;

    /// Adds a person to a unit's sampling frame (unless the phone is already
    /// in it); returns the person's id.
    async fn add_person(&self, campaign: &str, person: &NewPerson) -> Result<i64, StoreError>;

    /// Adds people to sampling frames in one transaction; a phone already in
    /// the unit's frame is left as it is. Returns how many were added. The
    /// audit line, if any, is written in the same transaction, its detail
    /// followed by the counts.
    /// With `replacing`, the people of that unit's list who have no
    /// invitation are removed first, in the same transaction (the invited
    /// stay: their invitations point to them). Returns (added, removed).
    async fn add_people(
        &self,
        campaign: &str,
        people: &[NewPerson],
        replacing: Option<FrameScope<'_>>,
        audit: Option<field::Audit<'_>>,
    ) -> Result<(u64, u64), StoreError>;

    /// Issues an invitation and returns its token.
    async fn create_invitation(&self, invitation: &NewInvitation) -> Result<Token, StoreError>;

    /// Issues a fresh invitation from a counter, unless the unit is full:
    /// answers have reached the quota, or answers plus live links (issued,
    /// unanswered, not expired: they live [`COUNTER_LINK_LIFE`]) have reached
    /// half as many again. Concurrent requests queue on the quota row, so they
    /// never issue more.
    async fn issue_counter_invitation(
        &self,
        campaign: &str,
        unit: &str,
        group: &str,
        field: Option<&str>,
    ) -> Result<Option<Token>, StoreError>;

    /// Whether the counter of a unit × group would hand out a questionnaire
    /// now (the same rule as [`issue_counter_invitation`](Self::issue_counter_invitation)).
    async fn counter_open(&self, campaign: &str, unit: &str, group: &str) -> Result<bool, StoreError>;

    /// The invitation behind a token.
    async fn invitation(&self, token: &Token) -> Result<Option<InvitationView>, StoreError>;

    /// The invitation behind a token with its campaign, in one round trip
    /// when the campaign's definition is already parsed (every respondent request).
    async fn open_invitation(
        &self,
        token: &Token,
    ) -> Result<Option<(InvitationView, std::sync::Arc<Campaign>)>, StoreError>;

    /// Keeps partial answers, sealed and named by a keyed hash of the token,
    /// so the respondent can resume; does nothing once the token is used.
    async fn save_draft(&self, token: &Token, cells: &BTreeMap<String, String>) -> Result<(), StoreError>;

    async fn draft(&self, token: &Token) -> Result<Option<BTreeMap<String, String>>, StoreError>;

    /// Takes a response against a token in one transaction: the invitation's
    /// state, the quota count and the answers, sealed and held with no link to
    /// the invitation. The transaction also releases every cell it brings to k
    /// held answers, shuffled into `responses` with the tallies. A used token
    /// stores nothing.
    async fn submit(&self, token: &Token, answers: &Answers, on: NaiveDate) -> Result<Submission, StoreError> {
        self.submit_flagged(token, answers, on, Vec::new()).await
    }

    /// [`submit`](Self::submit), with the signals the service saw for review.
    async fn submit_flagged(
        &self,
        token: &Token,
        answers: &Answers,
        on: NaiveDate,
        flags: Vec<Flag>,
    ) -> Result<Submission, StoreError>;

    /// Stores an interview the enumerators' offline app finished: as
    /// [`submit_flagged`](Self::submit_flagged), its source `offline`.
    async fn submit_offline(&self, token: &Token, answers: &Answers, on: NaiveDate) -> Result<Submission, StoreError>;

    /// Stores responses that arrive in bulk (keyed-in paper ballots, demo data),
    /// all or none, counting each against its quota. Each keeps its `source`.
    async fn insert_responses(&self, campaign: &str, responses: &[StoredResponse]) -> Result<(), StoreError>;

    /// Sampling-frame size per unit and field (people without a field are left out).
    async fn frame_field_counts(&self, campaign: &str) -> Result<BTreeMap<String, BTreeMap<String, u64>>, StoreError>;

    async fn count_responses(&self, campaign: &str) -> Result<i64, StoreError>;

    /// Replaces the appraisal rows of every unit named in `rows`, in one transaction.
    async fn replace_appraisals(
        &self,
        campaign: &str,
        rows: &[crate::model::appraisal::Appraisal],
    ) -> Result<(), StoreError>;

    async fn appraisals(&self, campaign: &str) -> Result<Vec<crate::model::appraisal::Appraisal>, StoreError>;

    /// The answer counts kept as responses arrive: what reports are built from.
    async fn tallies(&self, campaign: &str) -> Result<Tallies, StoreError>;

    /// The campaign's answers column by column ([`columns`]): (unit, group,
    /// field, sign, chunk). Responses stored before chunks were kept (or
    /// whose chunks do not add up to the responses in the indices) are
    /// encoded again first, once.
    async fn answer_chunks(&self, campaign: &str) -> Result<Vec<AnswerChunk>, StoreError>;

    /// The campaign's release log: one line per batch released (per unit it
    /// took answers from, for a batch above the units), in no order of time.
    async fn releases(&self, campaign: &str) -> Result<Vec<release::ReleasedBatch>, StoreError>;

    /// Folds every cell's chunks into one where a cell has more than
    /// `over`; returns how many cells were folded.
    async fn compact_chunks(&self, over: i64) -> Result<u64, StoreError>;

    /// Releases what is due: every held answer of a campaign that has closed
    /// (remainders under k included, and counted as such), and drops drafts of
    /// closed campaigns or untouched for [`DRAFT_DAYS`]. Then scrubs what was
    /// deleted from the files (SQLite: WAL truncated; PostgreSQL: vacuum).
    async fn sweep(&self, now: chrono::DateTime<chrono::Utc>) -> Result<Sweep, StoreError>;

    /// Answers held and released under k, for the report.
    async fn anonymity(&self, campaign: &str) -> Result<Anonymity, StoreError>;

    /// Answers still waiting, sealed, per unit × group (their review flags
    /// travel sealed with them and show only once their batch is out).
    async fn held_counts(&self, campaign: &str) -> Result<Vec<(String, String, i64)>, StoreError>;

    /// Every released response of a campaign, streamed by unit, group, field
    /// and a random key: never in order of arrival.
    fn responses<'a>(&'a self, campaign: &'a str) -> BoxStream<'a, Result<StoredResponse, StoreError>>;
}

/// Opens the store a URL names and applies its migrations.
///
/// # Errors
/// [`StoreError::UnsupportedUrl`] for another scheme; database and migration errors.
pub async fn connect(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    connect_with_key(url, &key::KeySource::for_url(url)).await
}

/// Opens the store with the service key from `key` (see [`key::KeySource`]).
///
/// # Errors
/// As [`connect`], and [`StoreError::Key`] when the key is missing or is not
/// the one the database was sealed with.
pub async fn connect_with_key(url: &str, key: &key::KeySource) -> Result<Arc<dyn Store>, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::connect(url, key).await?))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Arc::new(PostgresStore::connect(url, key).await?))
    } else {
        Err(StoreError::UnsupportedUrl(url.to_owned()))
    }
}

#[cfg(test)]
mod tally_text_tests {
    use super::*;

    #[test]
    fn a_cell_read_as_one_text_gives_its_rows_back() {
        let text = format!("Q1{TALLY_UNIT}4{TALLY_UNIT}12{TALLY_ROW}Q2{TALLY_UNIT}a;b{TALLY_UNIT}3");
        let cell = TallyCell::parse("U".into(), "g".into(), None, 2, &text).expect("two rows");
        assert_eq!(cell.rows, vec![("Q1".into(), "4".into(), 12), ("Q2".into(), "a;b".into(), 3)]);
    }

    #[test]
    fn a_separator_inside_a_code_sends_the_cell_back_to_be_read_row_by_row() {
        // An option code holding the row separator splits one row in two:
        // the count no longer matches and nothing is guessed.
        let text = format!("Q1{TALLY_UNIT}x{TALLY_ROW}y{TALLY_UNIT}2");
        assert_eq!(TallyCell::parse("U".into(), "g".into(), None, 1, &text), None);
        let text = format!("Q1{TALLY_UNIT}x{TALLY_UNIT}y{TALLY_UNIT}2");
        assert_eq!(TallyCell::parse("U".into(), "g".into(), None, 1, &text), None);
    }
}
