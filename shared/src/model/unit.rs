//! Administrative units and their hierarchy.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// A unit code such as `QB01`: 1–32 ASCII letters, digits, `-`, `_` or `.`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UnitCode(String);

/// A refused unit code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("mã đơn vị «{0}» không hợp lệ: chỉ dùng chữ cái không dấu, chữ số, '-', '_' hoặc '.', tối đa 32 ký tự")]
pub struct UnitCodeError(pub String);

impl UnitCode {
    /// # Errors
    /// [`UnitCodeError`] for an empty, too long or non-ASCII code.
    pub fn parse(s: &str) -> Result<Self, UnitCodeError> {
        let s = s.trim();
        let ok = !s.is_empty()
            && s.len() <= 32
            && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if ok { Ok(Self(s.to_owned())) } else { Err(UnitCodeError(s.to_owned())) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for UnitCode {
    type Error = UnitCodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        UnitCode::parse(&s)
    }
}

impl From<UnitCode> for String {
    fn from(c: UnitCode) -> String {
        c.0
    }
}

impl fmt::Display for UnitCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The level of an administrative unit. Read from the English kebab-case
/// name or the Vietnamese word (`xã`, `phường`, `đặc khu`, …); written as the
/// English name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum UnitKind {
    Province,
    Department,
    District,
    Commune,
    Ward,
    /// *Đặc khu*: the island special zones of the 2025 reform, at commune level.
    SpecialZone,
    ResidentialGroup,
}

impl<'de> Deserialize<'de> for UnitKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        UnitKind::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "loại đơn vị «{text}» không hợp lệ: dùng tỉnh, sở, huyện, xã, phường, thị trấn, đặc khu, tổ dân phố \
                 (hoặc province, department, district, commune, ward, special-zone, residential-group)"
            ))
        })
    }
}

impl UnitKind {
    /// Parses the English kebab-case name or the Vietnamese word.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim().to_lowercase();
        Some(match s.as_str() {
            "province" | "tỉnh" | "thành phố trực thuộc trung ương" => Self::Province,
            "department" | "sở" | "sở, ngành" | "phòng" => Self::Department,
            "district" | "huyện" | "quận" | "thị xã" => Self::District,
            "commune" | "xã" | "thị trấn" => Self::Commune,
            "ward" | "phường" => Self::Ward,
            "special-zone" | "special_zone" | "đặc khu" => Self::SpecialZone,
            "residential-group" | "residential_group" | "tổ dân phố" | "thôn" | "bản" => Self::ResidentialGroup,
            _ => return None,
        })
    }

    /// The Vietnamese name of the level.
    pub fn label(self) -> &'static str {
        match self {
            Self::Province => "tỉnh",
            Self::Department => "sở, ngành",
            Self::District => "huyện",
            Self::Commune => "xã",
            Self::Ward => "phường",
            Self::SpecialZone => "đặc khu",
            Self::ResidentialGroup => "tổ dân phố, thôn",
        }
    }
}

/// One unit evaluated or organising a campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    pub code: UnitCode,
    pub name: String,
    pub kind: UnitKind,
    pub parent: Option<UnitCode>,
}

/// Checks a list of units: codes unique, parents known, no cycles.
///
/// Returns, for the first fault, the index of the unit at fault and the message.
pub fn check_hierarchy(units: &[Unit]) -> Result<(), (usize, String)> {
    let mut seen = BTreeMap::new();
    for (i, u) in units.iter().enumerate() {
        if seen.insert(u.code.clone(), i).is_some() {
            return Err((i, format!("mã đơn vị «{}» bị trùng", u.code)));
        }
    }
    for (i, u) in units.iter().enumerate() {
        let mut visited = BTreeSet::from([u.code.clone()]);
        let mut cursor = u.parent.clone();
        while let Some(p) = cursor {
            let Some(&pi) = seen.get(&p) else {
                return Err((i, format!("đơn vị «{}» có đơn vị cấp trên «{}» không có trong danh sách", u.code, p)));
            };
            if !visited.insert(p.clone()) {
                return Err((i, format!("đơn vị «{}» nằm trong một vòng lặp cấp trên – cấp dưới", u.code)));
            }
            cursor = units[pi].parent.clone();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(code: &str, parent: Option<&str>) -> Unit {
        Unit {
            code: UnitCode::parse(code).expect("code"),
            name: code.to_owned(),
            kind: UnitKind::Commune,
            parent: parent.map(|p| UnitCode::parse(p).expect("code")),
        }
    }

    #[test]
    fn codes_are_checked() {
        assert!(UnitCode::parse("QB01").is_ok());
        assert!(UnitCode::parse("").is_err());
        assert!(UnitCode::parse("Xã 1").is_err());
        assert!(UnitCode::parse(&"A".repeat(33)).is_err());
    }

    #[test]
    fn kinds_in_campaign_files_take_vietnamese_words_and_are_stored_in_english() {
        #[derive(serde::Deserialize)]
        struct Entry {
            kind: UnitKind,
        }
        let read = |t: &str| toml::from_str::<Entry>(t).map(|e| e.kind);
        assert_eq!(read("kind = \"đặc khu\"").ok(), Some(UnitKind::SpecialZone));
        assert_eq!(read("kind = \"Phường\"").ok(), Some(UnitKind::Ward));
        assert_eq!(read("kind = \"commune\"").ok(), Some(UnitKind::Commune));
        let err = read("kind = \"làng\"").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("loại đơn vị «làng» không hợp lệ") && err.contains("đặc khu"), "{err}");
        let stored = serde_json::to_string(&UnitKind::SpecialZone).unwrap_or_default();
        assert_eq!(stored, "\"special-zone\"");
        assert_eq!(serde_json::from_str::<UnitKind>(&stored).ok(), Some(UnitKind::SpecialZone));
    }

    #[test]
    fn kinds_in_both_languages() {
        assert_eq!(UnitKind::parse("Xã"), Some(UnitKind::Commune));
        assert_eq!(UnitKind::parse("residential-group"), Some(UnitKind::ResidentialGroup));
        assert_eq!(UnitKind::parse("planet"), None);
    }

    #[test]
    fn hierarchy_faults_are_found() {
        assert!(check_hierarchy(&[unit("QB", None), unit("QB01", Some("QB"))]).is_ok());
        assert_eq!(check_hierarchy(&[unit("QB", None), unit("QB", None)]).map_err(|e| e.0), Err(1));
        assert_eq!(check_hierarchy(&[unit("QB01", Some("XX"))]).map_err(|e| e.0), Err(0));
        assert!(check_hierarchy(&[unit("A", Some("B")), unit("B", Some("A"))]).is_err());
    }
}
