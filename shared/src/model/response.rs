//! A response as it is kept: its answers and where they belong, never the
//! person; the coarse review flags it may carry; the size every answer is
//! sealed to while it waits.

use chrono::NaiveDate;
use serde::Serialize;
use std::collections::BTreeMap;

/// Sealed plaintexts are padded to a multiple of this, so the size of a held
/// answer does not tell how long its free text was (and so which released
/// response it became). A questionnaire whose longest answer would not fit
/// one block is refused when it is loaded, and so is a submission that would
/// not (a questionnaire changed under it).
///
/// 7.5 KiB: sealed (nonce and tag added) with its cell, a held row fits one
/// PostgreSQL page and is written in place, not cut into four TOAST chunks
/// each with an index entry (at 8 KiB the held rows' writes and reads took a
/// third of every submission group's time).
pub const HELD_SIZE: usize = 7680;

/// A stored response: answers and where they belong, nothing about the person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredResponse {
    pub unit: String,
    pub group: String,
    pub field: Option<String>,
    pub submitted_on: NaiveDate,
    /// How it arrived: `online`, `offline` (the enumerators' app), `paper`, or
    /// `mixed` for a batch released with answers of more than one.
    pub source: String,
    /// A paper ballot's own printed number (linked to no person).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ballot: Option<String>,
    /// Answer cells by question code (SPEC §7 text form).
    pub cells: BTreeMap<String, String>,
}

/// A coarse reason to look at a response again (SPEC §10): nothing in it
/// points to a person or an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Flag {
    /// Every rating the same.
    Straight,
    /// Answered faster than anyone reads the questions.
    Fast,
    /// One of many answers from one address within minutes.
    Burst,
}

impl Flag {
    pub fn code(self) -> &'static str {
        match self {
            Flag::Straight => "straight",
            Flag::Fast => "fast",
            Flag::Burst => "burst",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [Flag::Straight, Flag::Fast, Flag::Burst].into_iter().find(|f| f.code() == code)
    }

    /// Whether the flag is kept on the released response. A burst says when
    /// an answer came, which the answered list can match to a person, so it
    /// is kept only as a count per released batch (SPEC §10).
    pub fn on_response(self) -> bool {
        !matches!(self, Flag::Burst)
    }

    /// What the review page says.
    pub fn label(self) -> &'static str {
        match self {
            Flag::Straight => "mọi câu đánh giá cùng một mức",
            Flag::Fast => "trả lời nhanh bất thường",
            Flag::Burst => "một trong nhiều phiếu gửi từ cùng một địa chỉ trong vài phút",
        }
    }
}
