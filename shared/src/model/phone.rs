//! Vietnamese phone numbers as counters write them in their transaction lists.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A Vietnamese phone number in national form: ten-digit mobile (`0912345678`)
/// or eleven-digit landline starting `02`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

/// Why a phone number was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("thiếu số điện thoại")]
    Missing,
    #[error("số điện thoại «{0}» có ký tự không hợp lệ")]
    BadCharacter(String),
    #[error("số điện thoại «{0}» không đúng độ dài hoặc đầu số của số di động (10 số) hay cố định (11 số, đầu 02)")]
    Impossible(String),
}

impl Phone {
    /// Accepts `0912345678`, `+84912345678`, `84912345678`, `0912.345.678`,
    /// `0912 345 678`, `0912-345-678`, `(024) 3825 1234`, and a mobile number whose
    /// leading zero a spreadsheet dropped (`912345678`).
    ///
    /// # Errors
    /// [`PhoneError`] when the text is empty, has letters, or cannot be a Vietnamese number.
    pub fn parse(raw: &str) -> Result<Self, PhoneError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(PhoneError::Missing);
        }
        let mut digits = String::with_capacity(trimmed.len());
        for (i, c) in trimmed.chars().enumerate() {
            match c {
                '0'..='9' => digits.push(c),
                '+' if i == 0 => {}
                ' ' | '.' | '-' | '(' | ')' | '\u{a0}' => {}
                _ => return Err(PhoneError::BadCharacter(trimmed.to_owned())),
            }
        }
        let national = if let Some(rest) = digits.strip_prefix("84").filter(|r| r.len() >= 9) {
            format!("0{rest}")
        } else if digits.len() == 9 && !digits.starts_with('0') {
            format!("0{digits}")
        } else {
            digits
        };
        let bytes = national.as_bytes();
        let mobile = bytes.len() == 10 && bytes[0] == b'0' && matches!(bytes[1], b'3' | b'5' | b'7' | b'8' | b'9');
        let landline = bytes.len() == 11 && national.starts_with("02");
        if mobile || landline { Ok(Self(national)) } else { Err(PhoneError::Impossible(trimmed.to_owned())) }
    }

    /// The national form, digits only.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// International form for SMS gateways: `+84912345678`.
    pub fn international(&self) -> String {
        format!("+84{}", &self.0[1..])
    }

    /// `0912 *** 678`: enough for an enumerator to recognise, not to copy.
    pub fn masked(&self) -> String {
        let n = self.0.len();
        format!("{} *** {}", &self.0[..4], &self.0[n - 3..])
    }
}

impl TryFrom<String> for Phone {
    type Error = PhoneError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Phone::parse(&s)
    }
}

impl From<Phone> for String {
    fn from(p: Phone) -> String {
        p.0
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_ways_counters_write_numbers() {
        for raw in
            ["0912345678", "+84912345678", "84912345678", "0912.345.678", "0912 345 678", " 0912-345-678 ", "912345678"]
        {
            assert_eq!(Phone::parse(raw).map(String::from), Ok("0912345678".to_owned()), "{raw}");
        }
        assert_eq!(Phone::parse("(024) 3825 1234").map(String::from), Ok("02438251234".to_owned()));
        assert_eq!(Phone::parse("+84 24 3825 1234").map(String::from), Ok("02438251234".to_owned()));
    }

    #[test]
    fn refuses_impossible_numbers() {
        assert_eq!(Phone::parse(""), Err(PhoneError::Missing));
        assert!(matches!(Phone::parse("12345"), Err(PhoneError::Impossible(_))));
        assert!(matches!(Phone::parse("0112345678"), Err(PhoneError::Impossible(_))));
        assert!(matches!(Phone::parse("09123456789"), Err(PhoneError::Impossible(_))));
        assert!(matches!(Phone::parse("0912abc678"), Err(PhoneError::BadCharacter(_))));
        assert!(matches!(Phone::parse("09+12345678"), Err(PhoneError::BadCharacter(_))));
    }

    #[test]
    fn masks_and_internationalises() {
        let p = Phone::parse("0912.345.678").expect("valid");
        assert_eq!(p.international(), "+84912345678");
        assert_eq!(p.masked(), "0912 *** 678");
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// However a counter writes a mobile number, it parses to one national form.
        #[test]
        fn every_way_of_writing_a_mobile_number_parses_alike(
            prefix in prop::sample::select(vec!['3', '5', '7', '8', '9']),
            rest in "[0-9]{8}",
            style in 0usize..5,
        ) {
            let national = format!("0{prefix}{rest}");
            let written = match style {
                0 => national.clone(),
                1 => format!("+84{prefix}{rest}"),
                2 => format!("{}.{}.{}", &national[..4], &national[4..7], &national[7..]),
                3 => format!("{} {} {}", &national[..4], &national[4..7], &national[7..]),
                _ => format!("{prefix}{rest}"),
            };
            prop_assert_eq!(Phone::parse(&written).map(String::from), Ok(national));
        }

        /// Nothing a person types makes the parser panic, and what it accepts is well formed.
        #[test]
        fn any_text_is_refused_or_well_formed(raw in "\\PC{0,20}") {
            if let Ok(p) = Phone::parse(&raw) {
                let s = p.as_str();
                prop_assert!(s.starts_with('0') && (s.len() == 10 || (s.len() == 11 && s.starts_with("02"))));
                prop_assert!(s.bytes().all(|b| b.is_ascii_digit()));
            }
        }
    }
}
