//! The service's own key, kept outside the database (SPEC §10). It seals the
//! answers held before their release and the drafts respondents save, and names
//! a draft without its token, so that someone holding the database files, a
//! backup or a replica can read neither, nor tie a draft to an invitation.

use super::StoreError;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use std::io::Write;
use std::path::{Path, PathBuf};

pub use crate::model::response::HELD_SIZE;
const PAD: usize = HELD_SIZE;
const NONCE: usize = 24;

/// Where the key comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// A file holding the key in base64; created (mode 0600) when the database
    /// has never been sealed with a key.
    File(PathBuf),
    /// The key itself, base64 (`SIPAS_KEY`), for containers.
    Inline(String),
    /// A key that lives as long as the process: for in-memory databases.
    Ephemeral,
}

impl KeySource {
    /// The key a database URL uses unless told otherwise: `SIPAS_KEY`, then
    /// `SIPAS_KEY_FILE`, then beside an SQLite file (`sipas.db.key`), or
    /// `sipas.key` in the working directory for PostgreSQL.
    pub fn for_url(url: &str) -> KeySource {
        if let Ok(key) = std::env::var("SIPAS_KEY")
            && !key.trim().is_empty()
        {
            return KeySource::Inline(key);
        }
        if let Ok(file) = std::env::var("SIPAS_KEY_FILE")
            && !file.trim().is_empty()
        {
            return KeySource::File(PathBuf::from(file));
        }
        if let Some(rest) = url.strip_prefix("sqlite:") {
            let path = rest.trim_start_matches("//");
            let path = path.split('?').next().unwrap_or_default();
            if path.is_empty() || path.contains(":memory:") {
                return KeySource::Ephemeral;
            }
            return KeySource::File(PathBuf::from(format!("{path}.key")));
        }
        KeySource::File(PathBuf::from("sipas.key"))
    }
}

/// The key and what is derived from it.
pub struct ServiceKey {
    cipher: XChaCha20Poly1305,
    names: [u8; 32],
    tags: [u8; 32],
    check: String,
}

impl std::fmt::Debug for ServiceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServiceKey(…)")
    }
}

fn derive(master: &[u8; 32], label: &str) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(master).expect("HMAC takes a key of any length");
    mac.update(label.as_bytes());
    mac.finalize().into_bytes().into()
}

impl ServiceKey {
    pub fn from_master(master: &[u8; 32]) -> Self {
        let seal = derive(master, "sipas seal v1");
        let names = derive(master, "sipas draft name v1");
        let check = derive(master, "sipas key check v1");
        ServiceKey {
            cipher: XChaCha20Poly1305::new(&seal.into()),
            names,
            tags: derive(master, "sipas tag v1"),
            check: check[..12].iter().map(|b| format!("{b:02x}")).collect(),
        }
    }

    fn random_master() -> [u8; 32] {
        let mut master = [0u8; 32];
        rand::rng().fill_bytes(&mut master);
        master
    }

    fn decode(text: &str, whence: &str) -> Result<[u8; 32], StoreError> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|_| StoreError::Key(format!("{whence}: khoá phải là 32 byte viết bằng base64")))?;
        <[u8; 32]>::try_from(bytes.as_slice())
            .map_err(|_| StoreError::Key(format!("{whence}: khoá phải là 32 byte viết bằng base64")))
    }

    /// Reads the key; `create` allows making a new one where the source is an
    /// absent file (only a database never sealed may get a new key).
    ///
    /// # Errors
    /// [`StoreError::Key`] when the key is missing (and may not be created),
    /// unreadable or malformed.
    pub fn load(source: &KeySource, create: bool) -> Result<Self, StoreError> {
        match source {
            KeySource::Inline(text) => Ok(Self::from_master(&Self::decode(text, "SIPAS_KEY")?)),
            KeySource::Ephemeral => Ok(Self::from_master(&Self::random_master())),
            KeySource::File(path) => match std::fs::read_to_string(path) {
                Ok(text) => Ok(Self::from_master(&Self::decode(&text, &path.display().to_string())?)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => Self::create(path),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(StoreError::Key(format!(
                    "không tìm thấy tệp khoá {}: cơ sở dữ liệu này đã được niêm phong bằng một khoá, hãy đặt lại tệp khoá \
                     (hoặc SIPAS_KEY_FILE / SIPAS_KEY)",
                    path.display()
                ))),
                Err(e) => Err(StoreError::Key(format!("không đọc được tệp khoá {}: {e}", path.display()))),
            },
        }
    }

    /// Writes a new key file without ever replacing one: if another process
    /// made it first, its key is the one used.
    fn create(path: &Path) -> Result<Self, StoreError> {
        let master = Self::random_master();
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let failed =
            |e: &dyn std::fmt::Display| StoreError::Key(format!("không tạo được tệp khoá {}: {e}", path.display()));
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| failed(&e))?;
        writeln!(tmp, "{}", STANDARD.encode(master)).map_err(|e| failed(&e))?;
        tmp.as_file().sync_all().map_err(|e| failed(&e))?;
        match tmp.persist_noclobber(path) {
            Ok(_) => Ok(Self::from_master(&master)),
            Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => {
                Self::load(&KeySource::File(path.to_owned()), false)
            }
            Err(e) => Err(failed(&e.error)),
        }
    }

    /// A short value the database keeps to recognise its key (never the key).
    pub fn check(&self) -> &str {
        &self.check
    }

    /// The name a draft is kept under: a keyed hash of its token.
    pub fn draft_name(&self, token: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.names).expect("HMAC takes a key of any length");
        mac.update(token.as_bytes());
        STANDARD.encode(mac.finalize().into_bytes())
    }

    /// A short tag proving the service made `text` (a counter's rotating
    /// code), 16 URL-safe characters.
    pub fn tag(&self, text: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.tags).expect("HMAC takes a key of any length");
        mac.update(text.as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&mac.finalize().into_bytes()[..12])
    }

    /// The tag a released paper ballot carries in its `ballot` column, which
    /// finds it by its number to withdraw it.
    pub fn ballot_tag(&self, campaign: &str, number: &str) -> String {
        self.tag(&format!("ballot|{campaign}|{number}"))
    }

    /// The tag that marks a number keyed while its ballot waits sealed
    /// (`keyed_ballots`). Unlike [`ballot_tag`](Self::ballot_tag): were they
    /// the same, joining the two tables would pick the paper ballots out of
    /// a batch that mixes them with online answers.
    pub fn keyed_tag(&self, campaign: &str, number: &str) -> String {
        self.tag(&format!("keyed|{campaign}|{number}"))
    }

    /// Seals `plain` bound to `context` (which the holder must name again to
    /// open it), padded to a multiple of [`HELD_SIZE`].
    pub fn seal(&self, context: &str, plain: &[u8]) -> Vec<u8> {
        let len = u32::try_from(plain.len()).unwrap_or(u32::MAX);
        let total = (4 + plain.len()).div_ceil(PAD) * PAD;
        let mut padded = Vec::with_capacity(total);
        padded.extend_from_slice(&len.to_le_bytes());
        padded.extend_from_slice(plain);
        padded.resize(total, 0);
        let mut nonce = [0u8; NONCE];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(&XNonce::from(nonce), Payload { msg: &padded, aad: context.as_bytes() })
            .expect("XChaCha20-Poly1305 seals any message under 256 GiB");
        let mut out = Vec::with_capacity(NONCE + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// Opens what [`seal`](Self::seal) made for the same `context`.
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] when the blob was altered, moved to another
    /// context or sealed with another key.
    pub fn open(&self, context: &str, blob: &[u8]) -> Result<Vec<u8>, StoreError> {
        let bad = || StoreError::Corrupt(format!("một phiếu niêm phong ({context}) không mở được bằng khoá dịch vụ"));
        if blob.len() < NONCE {
            return Err(bad());
        }
        let (nonce, sealed) = blob.split_at(NONCE);
        let nonce = XNonce::from(<[u8; NONCE]>::try_from(nonce).map_err(|_| bad())?);
        let padded =
            self.cipher.decrypt(&nonce, Payload { msg: sealed, aad: context.as_bytes() }).map_err(|_| bad())?;
        let len = padded.get(..4).and_then(|b| <[u8; 4]>::try_from(b).ok()).map(u32::from_le_bytes).ok_or_else(bad)?;
        let len = usize::try_from(len).map_err(|_| bad())?;
        padded.get(4..4 + len).map(<[u8]>::to_vec).ok_or_else(bad)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_blobs_open_only_in_their_context_and_hide_length() {
        let key = ServiceKey::from_master(&[7; 32]);
        let short = key.seal("c|u|g|f", b"{}");
        let long = key.seal("c|u|g|f", "một góp ý dài hơn nhiều".repeat(40).as_bytes());
        assert_eq!(short.len(), long.len(), "padding hides the length of free text");
        assert_eq!(key.open("c|u|g|f", &short).expect("open"), b"{}");
        assert!(key.open("c|u|g|other", &short).is_err(), "a blob moved to another cell does not open");
        let other = ServiceKey::from_master(&[8; 32]);
        assert!(other.open("c|u|g|f", &short).is_err(), "another key does not open it");
        assert_ne!(key.check(), other.check());
        assert_ne!(key.draft_name("tok"), other.draft_name("tok"));
        assert_eq!(key.draft_name("tok"), key.draft_name("tok"));
    }

    #[test]
    fn a_key_file_is_made_once_and_read_back() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("k.key");
        let source = KeySource::File(path.clone());
        assert!(ServiceKey::load(&source, false).is_err(), "no file and no right to create one");
        let made = ServiceKey::load(&source, true).expect("create");
        let again = ServiceKey::load(&source, true).expect("read");
        assert_eq!(made.check(), again.check(), "an existing key is never replaced");
        std::fs::write(&path, "not base64!").expect("write");
        assert!(matches!(ServiceKey::load(&source, false), Err(StoreError::Key(_))));
    }
}
