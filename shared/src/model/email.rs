//! An e-mail address as a roster gives it: checked for shape only (one `@`,
//! a domain with a dot, no spaces), its domain lowercased. Whether it
//! reaches anyone only the mail server can tell; a refusal is recorded as a
//! bounce (`mail_sends`).

use std::fmt;

/// The longest address SMTP carries (RFC 5321 §4.5.3.1.3).
const MAX_LEN: usize = 254;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Email(String);

impl Email {
    /// # Errors
    /// A Vietnamese message naming what is wrong with the address.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let s = raw.trim().trim_start_matches("mailto:");
        if s.is_empty() {
            return Err("thiếu địa chỉ thư điện tử".into());
        }
        if s.len() > MAX_LEN {
            return Err(format!("địa chỉ thư điện tử dài {} ký tự, quá {MAX_LEN}", s.len()));
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, ',' | ';' | '<' | '>' | '"')) {
            return Err(format!(
                "«{s}» không phải một địa chỉ thư điện tử (có dấu cách hoặc nhiều địa chỉ trong một ô)"
            ));
        }
        let Some((local, domain)) = s.rsplit_once('@') else {
            return Err(format!("«{s}» thiếu dấu @"));
        };
        let labels_ok = domain.split('.').all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
        if local.is_empty() || local.contains('@') || local.len() > 64 || !domain.contains('.') || !labels_ok {
            return Err(format!("«{s}» không phải một địa chỉ thư điện tử hợp lệ"));
        }
        Ok(Self(format!("{local}@{}", domain.to_ascii_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::Email;

    #[test]
    fn addresses_as_rosters_write_them() {
        assert_eq!(
            Email::parse(" Tran.B@QuangBinh.GOV.vn ").map(|e| e.to_string()),
            Ok("Tran.B@quangbinh.gov.vn".into())
        );
        assert_eq!(Email::parse("mailto:a@b.vn").map(|e| e.to_string()), Ok("a@b.vn".into()));
        for bad in ["", "a.b.vn", "a@b", "a@@b.vn", "a b@c.vn", "a@b.vn; c@d.vn", "a@-b.vn", "@b.vn"] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
    }
}
