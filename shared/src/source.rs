//! Errors in campaign, questionnaire and unit files that name the file, line and key.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// A fault in an input file, located so a person can open the file and fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct SourceError {
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// The key or column at fault, e.g. `groups[2].quota`.
    pub key: Option<String>,
    pub message: String,
}

impl SourceError {
    pub fn new(file: &Path, message: impl Into<String>) -> Self {
        Self { file: file.to_owned(), line: None, key: None, message: message.into() }
    }

    pub fn at_line(mut self, line: usize) -> Self {
        self.line = Some(line);
        self
    }

    /// Locates the error at the start of a byte span of `text`.
    pub fn at_span(self, text: &str, span: &Range<usize>) -> Self {
        self.at_line(line_of(text, span.start))
    }

    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// The error toml gives for text that is not valid TOML or not the expected shape.
    pub fn from_toml(file: &Path, text: &str, err: &toml::de::Error) -> Self {
        let mut e = Self::new(file, translate_toml_message(err.message()));
        if let Some(span) = err.span() {
            e = e.at_span(text, &span);
        }
        e
    }
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ", dòng {line}")?;
        }
        if let Some(key) = &self.key {
            write!(f, ", mục «{key}»")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// 1-based line number of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count() + 1
}

/// The lines CSV records start on, from the byte offsets the csv crate gives,
/// counted once over the text as records come in order (counting from the
/// start for each record made a 40,000-row file take a minute).
pub struct RecordLines<'a> {
    bytes: &'a [u8],
    at: usize,
    line: usize,
}

impl<'a> RecordLines<'a> {
    pub fn new(text: &'a str) -> Self {
        RecordLines { bytes: text.as_bytes(), at: 0, line: 1 }
    }

    /// The line of the record at `byte`. The csv crate counts lines wrongly
    /// after `\r\n` (Excel's line ending) and may point at the `\n` that ends
    /// the previous line, so terminators are skipped first.
    pub fn line(&mut self, byte: u64) -> usize {
        let bytes = self.bytes;
        let mut to = usize::try_from(byte).unwrap_or(usize::MAX).min(bytes.len());
        while to < bytes.len() && matches!(bytes[to], b'\r' | b'\n') {
            to += 1;
        }
        if to < self.at {
            (self.at, self.line) = (0, 1);
        }
        self.line += bytes[self.at..to].iter().filter(|&&b| b == b'\n').count();
        self.at = to;
        self.line
    }
}

/// The line a CSV record starts on (see [`RecordLines`], for many records).
pub fn record_line(text: &str, byte: u64) -> usize {
    RecordLines::new(text).line(byte)
}

/// toml's messages are English; keep them, with a Vietnamese lead for the common ones.
fn translate_toml_message(msg: &str) -> String {
    let msg = msg.trim();
    if let Some(rest) = msg.strip_prefix("missing field ") {
        format!("thiếu mục bắt buộc {rest}")
    } else if let Some(rest) = msg.strip_prefix("unknown field ") {
        format!("mục không được hỗ trợ {rest}")
    } else if let Some(rest) = msg.strip_prefix("unknown variant ") {
        format!("giá trị không hợp lệ {rest}")
    } else if msg.starts_with("invalid type") {
        format!("sai kiểu dữ liệu ({msg})")
    } else {
        format!("lỗi cú pháp TOML: {msg}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_lines_counted_once_agree_with_counting_from_the_start() {
        let text = "a;b\r\n1;2\r\n\r\n3;4\n5;6\r\n";
        let offsets: Vec<u64> = (0..text.len() as u64).collect();
        let mut lines = RecordLines::new(text);
        for &o in &offsets {
            assert_eq!(lines.line(o), record_line(text, o), "offset {o}");
        }
        // Going back starts the count again rather than miscounting.
        assert_eq!(lines.line(0), 1);
    }

    #[test]
    fn lines_are_counted_from_one() {
        let t = "a\nb\nc";
        assert_eq!(line_of(t, 0), 1);
        assert_eq!(line_of(t, 2), 2);
        assert_eq!(line_of(t, 4), 3);
        assert_eq!(line_of(t, 100), 3);
    }

    #[test]
    fn display_names_file_line_and_key() {
        let e = SourceError::new(Path::new("c.toml"), "sai").at_line(3).key("groups[0].quota");
        assert_eq!(e.to_string(), "c.toml, dòng 3, mục «groups[0].quota»: sai");
    }
}
