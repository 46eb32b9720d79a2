//! Staff accounts: roles, password hashes (argon2id) and the random secrets
//! behind session cookies and API tokens, of which only a hash is stored.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

/// What a staff member may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything: campaigns, frames, sampling, invitations, users, reports.
    Admin,
    /// The quota board, outcomes and paper ballots of the assigned units.
    Enumerator,
    /// Reports and exports: aggregates and anonymous answers, never a person.
    Analyst,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Enumerator => "enumerator",
            Role::Analyst => "analyst",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "admin" => Some(Role::Admin),
            "enumerator" => Some(Role::Enumerator),
            "analyst" => Some(Role::Analyst),
            _ => None,
        }
    }

    /// The Vietnamese name shown on staff pages.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "quản trị",
            Role::Enumerator => "điều tra viên",
            Role::Analyst => "phân tích",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A staff account as stored (the password hash stays in the store).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub role: Role,
    /// Units an enumerator may work on; empty for other roles.
    pub units: Vec<String>,
}

impl User {
    /// Whether this person may see and change a unit's invitations.
    pub fn may_work_on(&self, unit: &str) -> bool {
        match self.role {
            Role::Admin => true,
            Role::Enumerator => self.units.iter().any(|u| u == unit),
            Role::Analyst => false,
        }
    }
}

/// The shortest password accepted.
pub const MIN_PASSWORD: usize = 10;

/// An argon2id hash in PHC form, with a fresh salt.
///
/// # Errors
/// Only if the hasher rejects its parameters, which the defaults never do.
pub fn hash_password(password: &str) -> Result<String, String> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| e.to_string())
}

/// Whether a password matches a stored hash; a malformed hash never matches.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// A fresh random secret (256 bits, URL-safe): session cookies, API tokens, CSRF tokens.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A readable random password for a new account.
pub fn new_password() -> String {
    const WORDS: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 14];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| char::from(WORDS[usize::from(*b) % WORDS.len()])).collect()
}

/// What the store keeps of a secret: its SHA-256, so a leaked table opens nothing.
pub fn secret_hash(secret: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_own_hash() {
        let h = hash_password("mật khẩu dài 123").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("mật khẩu dài 123", &h));
        assert!(!verify_password("mật khẩu dài 124", &h));
        assert!(!verify_password("x", "not a hash"));
        assert_ne!(h, hash_password("mật khẩu dài 123").expect("hash"), "a fresh salt each time");
    }

    #[test]
    fn secrets_are_random_and_hashed() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(secret_hash(&a), secret_hash(&a));
        assert_ne!(secret_hash(&a), secret_hash(&b));
        assert_eq!(new_password().len(), 14);
    }

    #[test]
    fn enumerators_work_only_on_their_units() {
        let u = User { id: 1, name: "a".into(), role: Role::Enumerator, units: vec!["QB01".into()] };
        assert!(u.may_work_on("QB01"));
        assert!(!u.may_work_on("QB02"));
        let analyst = User { role: Role::Analyst, ..u.clone() };
        assert!(!analyst.may_work_on("QB01"));
        assert!(User { role: Role::Admin, ..u }.may_work_on("QB09"));
    }
}
