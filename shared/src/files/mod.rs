//! Files as offices produce them, read into the model: campaign and
//! questionnaire TOML, unit and procedure CSVs, spreadsheets, sampling frames
//! and rosters, keyed ballots, appraisals, the embedded example — each fault
//! named by file, line and column, in Vietnamese.
//!
//! Imports only the model; never the store (what is read is kept by the
//! caller, in `ops` or a command).

pub mod appraisal;
pub mod ballots;
pub mod campaign;
pub mod csv;
pub mod examples;
pub mod frame;
pub mod lineage;
pub mod questionnaire;
pub mod source;
pub mod spreadsheet;
pub mod villages;
