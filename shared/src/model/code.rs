//! Short codes printed on invitation slips, for people who type rather than scan.

use rand::Rng;
use std::fmt;

/// Crockford's base32: no I, L, O or U, so nothing reads two ways.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const LEN: usize = 8;

/// Eight characters of Crockford base32 (40 random bits), shown `ABCD-EFGH`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ShortCode(String);

impl ShortCode {
    pub fn generate() -> Self {
        let mut rng = rand::rng();
        Self((0..LEN).map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())])).collect())
    }

    /// A code as a person typed it: any case, with or without the dash or
    /// spaces; O is read as 0 and I or L as 1.
    pub fn parse(typed: &str) -> Option<Self> {
        let mut out = String::with_capacity(LEN);
        for c in typed.chars() {
            let c = match c.to_ascii_uppercase() {
                '-' | ' ' | '.' => continue,
                'O' => '0',
                'I' | 'L' => '1',
                c => c,
            };
            if !c.is_ascii() || !ALPHABET.contains(&(c as u8)) {
                return None;
            }
            out.push(c);
        }
        (out.len() == LEN).then_some(Self(out))
    }

    /// The stored form, without the dash.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ShortCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", &self.0[..4], &self.0[4..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_codes_are_forgiven() {
        let c = ShortCode::generate();
        assert_eq!(ShortCode::parse(&c.to_string()), Some(c.clone()));
        assert_eq!(ShortCode::parse(&c.as_str().to_lowercase()), Some(c));
        assert_eq!(ShortCode::parse("abcd efgo").map(|c| c.to_string()), Some("ABCD-EFG0".to_owned()));
        assert_eq!(ShortCode::parse("il23-4567").map(|c| c.to_string()), Some("1123-4567".to_owned()));
        assert_eq!(ShortCode::parse("ABCD-EFG"), None, "too short");
        assert_eq!(ShortCode::parse("ABCD-EFGHJ"), None, "too long");
        assert_eq!(ShortCode::parse("ABCD-EFGU"), None, "U is not in the alphabet");
        assert_eq!(ShortCode::parse("ABCD-ÉFGH"), None);
    }
}
