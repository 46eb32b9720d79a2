//! Importing a sampling frame or a roster: read the file, check it reads as
//! the chosen unit's, and keep its people in the store with an audit line.

use crate::files::frame::{other_unit, read_frame, read_roster};
use crate::model::{Campaign, RowError};
use std::collections::BTreeMap;

/// What an import stored and what it left out.
#[derive(Debug, Clone, Default)]
pub struct Imported {
    pub added: u64,
    /// People of the list it replaced, not yet invited, removed.
    pub removed: u64,
    /// Already in the unit's frame from an earlier import.
    pub already: u64,
    pub skipped: Vec<RowError>,
    pub duplicates: Vec<(usize, usize, String)>,
    pub unknown_procedures: BTreeMap<String, usize>,
}

/// Who imports which file, for the audit line written with the people.
#[derive(Debug, Clone, Copy)]
pub struct Provenance<'a> {
    pub actor: &'a str,
    pub file_name: &'a str,
}

/// Why an import stored nothing.
#[derive(Debug)]
pub enum ImportError {
    /// Bad rows (or no header); nothing stored unless bad rows may be skipped.
    Rows(Vec<RowError>),
    /// The unit takes no frame: no quota of a group drawn from counters' lists.
    NoFrameGroup(String),
    /// The file reads as another unit's list (its title, or most addresses,
    /// name that unit and not this one); stored only when forced.
    OtherUnit {
        named: String,
        evidence: String,
    },
    Store(crate::store::StoreError),
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImportError::Rows(rows) => {
                write!(f, "{} dòng lỗi, chưa nhập dòng nào", rows.len())
            }
            ImportError::NoFrameGroup(unit) => write!(
                f,
                "đơn vị {unit} không có chỉ tiêu người dân, tổ chức (nhóm chọn từ danh sách giao dịch): \
                 hãy nhập danh sách vào từng xã, phường, thị trấn; danh sách đại biểu, công chức thì chọn nhóm"
            ),
            ImportError::OtherUnit { named, evidence } => write!(
                f,
                "tệp này có vẻ là danh sách của «{named}» ({evidence}), không phải của đơn vị đã chọn: \
                 chọn đúng đơn vị, hoặc nếu đúng là của đơn vị này thì nhập lại với --force \
                 (trên trang: đánh dấu «Vẫn nhập vào đơn vị đã chọn»)"
            ),
            ImportError::Store(e) => write!(f, "{e}"),
        }
    }
}

/// What an import may let through.
#[derive(Debug, Clone, Copy, Default)]
pub struct Allow {
    /// Store the good rows of a file that has bad ones.
    pub bad_rows: bool,
    /// Store a file that reads as another unit's list.
    pub other_unit: bool,
    /// Replace the unit's list: its people not yet invited are removed in
    /// the transaction that adds the file's (the invited stay, and are counted).
    pub replace: bool,
}

/// Reads a frame (or, with `roster_of`, a group's roster) and stores its
/// people in a unit's list: all of them, or —
/// when the file has bad rows — none, unless `skip_bad`.
///
/// # Errors
/// [`ImportError::Rows`] naming every bad row; store failures.
pub async fn import(
    store: &dyn crate::store::Store,
    campaign: &Campaign,
    unit: &crate::model::UnitCode,
    roster_of: Option<&str>,
    rows: &[(usize, Vec<String>)],
    allow: Allow,
    from: Provenance<'_>,
) -> Result<Imported, ImportError> {
    let Provenance { actor, file_name } = from;
    if roster_of.is_none() {
        let takes_frame = campaign
            .quotas()
            .iter()
            .any(|q| q.unit == *unit && q.quota > 0 && campaign.group(&q.group).is_some_and(|g| g.frame));
        if !takes_frame {
            return Err(ImportError::NoFrameGroup(unit.to_string()));
        }
    }
    let frame = match roster_of {
        Some(_) => read_roster(rows, campaign),
        None => read_frame(rows, campaign),
    }
    .map_err(|e| ImportError::Rows(vec![e]))?;
    if !frame.errors.is_empty() && !allow.bad_rows {
        return Err(ImportError::Rows(frame.errors));
    }
    if !allow.other_unit
        && let Some((named, evidence)) = other_unit(&frame, campaign, unit)
    {
        return Err(ImportError::OtherUnit { named, evidence });
    }
    let people: Vec<crate::store::NewPerson> = frame
        .people
        .iter()
        .map(|p| crate::store::NewPerson {
            unit: unit.clone(),
            roster_of: roster_of.map(str::to_owned),
            full_name: p.full_name.clone(),
            procedure: p.procedure.clone(),
            field: p.field.clone(),
            address: p.address.clone(),
            phone: p.phone.clone(),
            email: p.email.clone(),
            household: false,
            source_line: i64::try_from(p.line).ok(),
        })
        .collect();
    let detail =
        format!("{file_name}: bỏ qua {} dòng lỗi, gộp {} dòng trùng", frame.errors.len(), frame.duplicates.len());
    let subject = unit.to_string();
    let audit = crate::store::field::Audit {
        actor,
        campaign: &campaign.id,
        action: crate::model::AuditAction::FrameImport,
        subject: &subject,
        detail: &detail,
    };
    let scope = crate::store::FrameScope { unit: unit.as_str(), roster_of };
    let replacing = allow.replace.then_some(scope);
    let (added, removed) =
        store.add_people(&campaign.id, &people, replacing, Some(audit)).await.map_err(ImportError::Store)?;
    Ok(Imported {
        added,
        removed,
        already: people.len() as u64 - added,
        skipped: frame.errors,
        duplicates: frame.duplicates,
        unknown_procedures: frame.unknown_procedures,
    })
}
