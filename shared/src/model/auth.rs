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
    /// Units an enumerator may work on, each within its campaign
    /// (`CAMPAIGN/UNIT`, see [`scoped_unit`]); empty for other roles.
    pub units: Vec<String>,
    /// Disabled by an admin: no sign-in, no session, no token works.
    pub disabled: bool,
}

/// An enumerator's assignment: a unit within one campaign. Unit codes repeat
/// from one year's campaign to the next, so a bare code would open the same
/// commune in every campaign.
pub fn scoped_unit(campaign: &str, unit: &str) -> String {
    format!("{campaign}/{unit}")
}

impl User {
    /// Whether this person may see and change a unit's invitations in a campaign.
    pub fn may_work_on(&self, campaign: &str, unit: &str) -> bool {
        match self.role {
            Role::Admin => true,
            Role::Enumerator => {
                self.units.iter().any(|u| u.split_once('/').is_some_and(|(c, code)| c == campaign && code == unit))
            }
            Role::Analyst => false,
        }
    }
}

/// The assignment of an enumerator, each entry `CAMPAIGN/UNIT`: entries
/// given that way are checked, bare unit codes are taken in `campaign` when
/// one is named, else in the only campaign that has that code.
///
/// # Errors
/// A Vietnamese message naming the code that no campaign (or more than one)
/// has.
pub fn resolve_units(
    campaigns: &[crate::Campaign],
    campaign: Option<&str>,
    given: &[String],
) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for entry in given.iter().flat_map(|g| g.split([',', ' ', ';'])).map(str::trim).filter(|e| !e.is_empty()) {
        let (named, code) = match entry.split_once('/') {
            Some((c, u)) => (Some(c), u),
            None => (campaign, entry),
        };
        let having: Vec<&crate::Campaign> =
            campaigns.iter().filter(|c| named.is_none_or(|n| c.id == n)).filter(|c| c.unit(code).is_some()).collect();
        let scoped = match (having.as_slice(), named) {
            ([one], _) => scoped_unit(&one.id, code),
            ([], Some(n)) if !campaigns.iter().any(|c| c.id == n) => {
                return Err(format!("không có đợt khảo sát «{n}»"));
            }
            ([], Some(n)) => return Err(format!("đợt {n} không có đơn vị «{code}»")),
            ([], None) => return Err(format!("không đợt khảo sát nào có đơn vị «{code}»")),
            (many, _) => {
                let ids: Vec<&str> = many.iter().map(|c| c.id.as_str()).collect();
                return Err(format!(
                    "đơn vị «{code}» có trong nhiều đợt ({}): ghi rõ đợt, vd. {}/{code}",
                    ids.join(", "),
                    ids[0]
                ));
            }
        };
        if !out.contains(&scoped) {
            out.push(scoped);
        }
    }
    Ok(out)
}

/// A change to a staff account (SPEC §5, `sipas user …`), audited with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountChange {
    /// Signs out every session and stops every token until enabled again.
    Disable,
    Enable,
    /// A new password hash; signs out every session.
    Password(String),
    /// A new assignment (`CAMPAIGN/UNIT` entries).
    Units(Vec<String>),
    /// Forgets failed sign-ins, lifting any lockout.
    Unlock,
    /// Revokes every API token of the account.
    RevokeTokens,
}

impl AccountChange {
    /// The audit log's action code.
    pub fn action(&self) -> crate::model::AuditAction {
        use crate::model::AuditAction as A;
        match self {
            AccountChange::Disable => A::UserDisable,
            AccountChange::Enable => A::UserEnable,
            AccountChange::Password(_) => A::UserPassword,
            AccountChange::Units(_) => A::UserUnits,
            AccountChange::Unlock => A::UserUnlock,
            AccountChange::RevokeTokens => A::UserRevokeTokens,
        }
    }
}

/// How long an API token lasts unless its issuer says otherwise.
pub const TOKEN_DAYS: i64 = 90;

/// The key a failed sign-in is counted under: a fixed-size hash of what was
/// typed (at most 64 characters, case folded), so whatever an outsider types
/// costs the same few bytes.
pub fn login_key(typed: &str) -> String {
    let folded: String = typed.trim().chars().take(64).flat_map(char::to_lowercase).collect();
    secret_hash(&format!("login:{folded}"))
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

/// Spends the time a real check takes, for a name that has no account, so
/// the answer's timing does not tell which names exist.
pub fn verify_nobody(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let hash = DUMMY.get_or_init(|| hash_password("không-có-tài-khoản-này").unwrap_or_default());
    let _ = verify_password(password, hash);
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
        let u = User {
            id: 1,
            name: "a".into(),
            role: Role::Enumerator,
            units: vec![scoped_unit("qb-2026", "QB01")],
            disabled: false,
        };
        assert!(u.may_work_on("qb-2026", "QB01"));
        assert!(!u.may_work_on("qb-2026", "QB02"));
        assert!(!u.may_work_on("qb-2025", "QB01"), "the same code in another campaign");
        let analyst = User { role: Role::Analyst, ..u.clone() };
        assert!(!analyst.may_work_on("qb-2026", "QB01"));
        assert!(User { role: Role::Admin, ..u }.may_work_on("qb-2025", "QB09"));
    }

    #[test]
    fn failed_sign_ins_cost_the_same_whatever_is_typed() {
        assert_eq!(login_key("Lan"), login_key(" lan "));
        assert_eq!(login_key(&"x".repeat(100_000)).len(), login_key("a").len());
        assert_ne!(login_key("lan"), login_key("hoa"));
    }
}
