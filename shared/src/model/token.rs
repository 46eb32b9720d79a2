//! Single-use invitation tokens: 128 random bits, URL-safe.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A 128-bit random token written as 22 URL-safe base64 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Token(String);

impl Token {
    /// A fresh token from the operating system's random source.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 16];
        rand::rng().fill_bytes(&mut bytes);
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// A token as it arrives in a URL; `None` unless it is exactly 22 URL-safe
    /// characters that decode to 16 bytes.
    pub fn parse(s: &str) -> Option<Self> {
        if s.len() != 22 {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(s).ok()?;
        (bytes.len() == 16).then(|| Self(s.to_owned()))
    }

    /// The token text as used in links.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Token {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Token::parse(&s).ok_or_else(|| "mã phiếu không hợp lệ".to_owned())
    }
}

impl From<Token> for String {
    fn from(t: Token) -> String {
        t.0
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_round_trip_and_differ() {
        let a = Token::generate();
        let b = Token::generate();
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 22);
        assert_eq!(Token::parse(a.as_str()), Some(a.clone()));
        assert!(a.as_str().chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    }

    #[test]
    fn refuses_bad_tokens() {
        assert!(Token::parse("").is_none());
        assert!(Token::parse("short").is_none());
        assert!(Token::parse("!!!!!!!!!!!!!!!!!!!!!!").is_none());
        assert!(Token::parse("AAAAAAAAAAAAAAAAAAAAAAA").is_none());
    }
}
