//! A fault at one row of an input, named for the person who fixes it.

use std::fmt;

/// One fault at a row of an input file (a ballot, frame or appraisal CSV).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: usize,
    /// The column at fault, if one.
    pub column: Option<String>,
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "dòng {}", self.line)?;
        if let Some(c) = &self.column {
            write!(f, ", cột «{c}»")?;
        }
        write!(f, ": {}", self.message)
    }
}
