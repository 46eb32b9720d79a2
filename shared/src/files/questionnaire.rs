//! A questionnaire file (TOML): read, checked, and its faults placed at the
//! line and key they are on.

use crate::files::source::{SourceError, line_of};
use crate::model::questionnaire::Questionnaire;
use std::path::Path;

impl Questionnaire {
    /// Parses and checks a questionnaire file.
    ///
    /// # Errors
    /// A [`SourceError`] naming the file, the line and the key at fault.
    pub fn from_toml(path: &Path, text: &str) -> Result<Self, SourceError> {
        let q: Questionnaire = toml::from_str(text).map_err(|e| SourceError::from_toml(path, text, &e))?;
        q.check().map_err(|(code, key, message)| {
            let mut err = SourceError::new(path, message).key(key);
            if let Some(line) = code.and_then(|(c, nth)| find_code_line(text, &c, nth)) {
                err = err.at_line(line);
            }
            err
        })?;
        Ok(q)
    }
}

fn find_code_line(text: &str, code: &str, nth: usize) -> Option<usize> {
    let mut offset = 0;
    let mut found = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        if let Some(rest) = t.strip_prefix("code") {
            let rest = rest.trim_start();
            if let Some(v) = rest.strip_prefix('=') {
                let v = v.trim().trim_matches(|c| c == '"' || c == '\'');
                if v == code {
                    found += 1;
                    if found == nth {
                        return Some(line_of(text, offset));
                    }
                }
            }
        }
        offset += line.len();
    }
    None
}
