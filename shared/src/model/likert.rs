//! The five-level satisfaction scale (METHOD §2).

use serde::{Deserialize, Serialize};
use std::fmt;

/// One answer on the five-level scale: 1 = rất không hài lòng … 5 = rất hài lòng.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Likert(u8);

impl Likert {
    /// All five levels, lowest first.
    pub const ALL: [Likert; 5] = [Likert(1), Likert(2), Likert(3), Likert(4), Likert(5)];

    /// A level from 1 to 5; `None` for anything else.
    pub fn new(level: u8) -> Option<Self> {
        (1..=5).contains(&level).then_some(Self(level))
    }

    /// The level, 1 to 5.
    pub fn get(self) -> u8 {
        self.0
    }

    /// Index 0..5 into a five-slot count table.
    pub fn index(self) -> usize {
        usize::from(self.0 - 1)
    }

    /// 4 (hài lòng) or 5 (rất hài lòng).
    pub fn is_satisfied(self) -> bool {
        self.0 >= 4
    }
}

impl TryFrom<u8> for Likert {
    type Error = String;
    fn try_from(v: u8) -> Result<Self, Self::Error> {
        Likert::new(v).ok_or_else(|| format!("mức {v} nằm ngoài thang 1–5"))
    }
}

impl From<Likert> for u8 {
    fn from(l: Likert) -> u8 {
        l.0
    }
}

impl fmt::Display for Likert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_one_to_five() {
        assert!(Likert::new(0).is_none());
        assert!(Likert::new(6).is_none());
        assert_eq!(Likert::new(4).map(Likert::is_satisfied), Some(true));
        assert_eq!(Likert::new(3).map(Likert::is_satisfied), Some(false));
        assert!(serde_json::from_str::<Likert>("7").is_err());
    }
}
