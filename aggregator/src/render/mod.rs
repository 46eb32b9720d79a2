//! Report tables, and their text, CSV and XLSX forms. All three formats are
//! written from the same [`Table`]s, so they cannot disagree.

pub mod charts;
pub mod docx;
pub mod official;
mod tables;
pub mod text;
pub mod xlsx;

pub use tables::{
    PER_UNIT_DETAIL, UNITS_IN_FULL, codebook_table, is_campaign_row, one_unit_at_a_time, tables, too_many_units,
};

pub use crate::numbers::{vn_count, vn_decimal, vn_figure, vn_pct};
use rust_decimal::Decimal;

/// One cell of a report table.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Count(u64),
    /// A percentage or points, shown rounded half-up to 2 places; `None` = no data.
    Figure(Option<Decimal>),
}

impl Value {
    /// The cell as people read it on a page or on paper: a decimal comma
    /// and a dot between thousands (CSV and the terminal keep [`Value::display`]).
    pub fn display_vn(&self, missing: &str) -> String {
        match self {
            Value::Count(n) => vn_count(*n),
            Value::Figure(Some(d)) => vn_figure(*d),
            other => other.display(missing),
        }
    }

    /// The cell as text: figures with two decimals, missing figures as `–` (text) or empty (CSV).
    pub fn display(&self, missing: &str) -> String {
        match self {
            Value::Text(s) => s.clone(),
            Value::Count(n) => n.to_string(),
            Value::Figure(Some(d)) => format!("{:.2}", crate::stats::round2(*d)),
            Value::Figure(None) => missing.to_owned(),
        }
    }
}

/// A titled table: a sheet in XLSX, a block in text.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Sheet name (≤ 31 characters).
    pub name: String,
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

/// Writes a table as CSV (UTF-8 with BOM so Excel reads Vietnamese correctly).
///
/// # Errors
/// When the writer fails.
pub fn write_csv(table: &Table, out: impl std::io::Write) -> std::io::Result<()> {
    let mut out = out;
    out.write_all("\u{feff}".as_bytes())?;
    let mut w = csv::Writer::from_writer(out);
    w.write_record(&table.headers)?;
    for row in &table.rows {
        w.write_record(row.iter().map(|v| sipas_shared::files::spreadsheet::defuse(&v.display("")).into_owned()))?;
    }
    w.flush()
}
