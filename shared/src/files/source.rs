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
            if let Some(key) = toml_key_at(text, span.start) {
                e = e.key(key);
            }
            e = e.at_span(text, &span);
        }
        e
    }
}

/// A file that could not be read, in words a person acts on.
pub fn io_message(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::NotFound => "không có tệp này (xem lại tên và thư mục)".into(),
        K::PermissionDenied => "không có quyền đọc tệp này".into(),
        K::IsADirectory => "đây là một thư mục, không phải tệp".into(),
        _ => match e.raw_os_error() {
            Some(code) => format!("không đọc được tệp (lỗi hệ thống số {code})"),
            None => "không đọc được tệp".into(),
        },
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

/// The message for a TOML fault, wholly in Vietnamese. The `toml` crate's
/// messages are English and come in two families: the parser's (a fixed list
/// of descriptions, then `, expected …`) and serde's (`missing field`,
/// `invalid type: …, expected …`). Names from the file (keys, values, tokens)
/// are kept as written, in «…».
fn translate_toml_message(msg: &str) -> String {
    let msg = msg.trim();
    if let Some(m) = translate_serde(msg) {
        return m;
    }
    // The project's own deserializers (unit kinds, codes) speak Vietnamese already.
    if !msg.is_ascii() {
        return msg.to_owned();
    }
    let (head, expected) = match msg.split_once(", expected ") {
        Some((h, e)) => (h, Some(e)),
        None => (msg, None),
    };
    let mut out = format!("lỗi cú pháp TOML: {}", parse_description(head));
    if let Some(e) = expected {
        out.push_str("; cần ");
        out.push_str(&expected_list(e));
    }
    out
}

/// serde's messages, as `toml` words them.
fn translate_serde(msg: &str) -> Option<String> {
    let (head, expected) = match msg.split_once(", expected ") {
        Some((h, e)) => (h, Some(e)),
        None => (msg, None),
    };
    let allowed = |e: Option<&str>| {
        e.map(|e| e.trim_start_matches("one of "))
            .map(|e| format!("; chỉ dùng được: {}", token_list(e)))
            .unwrap_or_default()
    };
    if let Some(name) = head.strip_prefix("missing field ") {
        return Some(format!("thiếu mục bắt buộc {}", quoted(name)));
    }
    if let Some(name) = head.strip_prefix("unknown field ") {
        return Some(format!("mục {} không có trong mẫu tệp{}", quoted(name), allowed(expected)));
    }
    if let Some(name) = head.strip_prefix("unknown variant ") {
        return Some(format!("giá trị {} không dùng được{}", quoted(name), allowed(expected)));
    }
    if let Some(name) = head.strip_prefix("duplicate field ") {
        return Some(format!("mục {} được ghi hai lần", quoted(name)));
    }
    if let Some(rest) = head.strip_prefix("unexpected keys in table: ") {
        let (keys, avail) = rest.split_once(", available keys: ").unwrap_or((rest, ""));
        let mut m = format!("mục không có trong mẫu tệp: {}", token_list(keys));
        if !avail.is_empty() {
            m.push_str(&format!("; các mục dùng được: {}", token_list(avail)));
        }
        return Some(m);
    }
    for (prefix, lead) in [("invalid type: ", "sai kiểu"), ("invalid value: ", "giá trị không hợp lệ")] {
        if let Some(found) = head.strip_prefix(prefix) {
            let mut m = format!("{lead}: ghi {}", unexpected_value(found));
            if let Some(e) = expected {
                m.push_str(&format!(" nhưng cần {}", expected_kind(e)));
            }
            return Some(m);
        }
    }
    if let Some(n) = head.strip_prefix("invalid length ") {
        let mut m = format!("số phần tử không đúng ({n})");
        if let Some(e) = expected {
            m.push_str(&format!("; cần {}", expected_kind(e)));
        }
        return Some(m);
    }
    if let Some(found) = head.strip_prefix("expected table, found ") {
        return Some(format!("cần một bảng nhưng ghi {}", unexpected_value(found)));
    }
    if head.starts_with("expected empty") || head.starts_with("expected table") || head.starts_with("expected tuple") {
        return Some("cấu trúc của mục này không đúng mẫu tệp".into());
    }
    None
}

/// A key or value named by serde (`` `quota` ``), shown in «…».
fn quoted(s: &str) -> String {
    format!("«{}»", s.trim().trim_matches('`'))
}

/// `` `a`, `b` or `c` `` → «a», «b», «c».
fn token_list(s: &str) -> String {
    s.split([',', ' '])
        .map(|t| t.trim().trim_matches('`'))
        .filter(|t| !t.is_empty() && *t != "or" && *t != "and")
        .map(|t| format!("«{t}»"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// serde's `Unexpected` as written: `string "26"`, ``integer `5` ``, ``boolean `true` ``…
fn unexpected_value(s: &str) -> String {
    let s = s.trim();
    let pairs = [
        ("string ", "chuỗi"),
        ("integer ", "số nguyên"),
        ("floating point ", "số thập phân"),
        ("boolean ", "giá trị đúng/sai"),
        ("character ", "ký tự"),
    ];
    for (p, vi) in pairs {
        if let Some(v) = s.strip_prefix(p) {
            return format!("{vi} {}", quoted(v.trim_matches('"')));
        }
    }
    match s {
        "sequence" | "array" => "một danh sách [...]".into(),
        "map" | "table" | "inline table" => "một bảng".into(),
        "unit value" | "none" => "giá trị trống".into(),
        "datetime" | "date-time" => "một ngày giờ".into(),
        _ => "giá trị khác kiểu".into(),
    }
}

/// What serde expected: a Rust type name or a phrase.
fn expected_kind(s: &str) -> String {
    let s = s.trim();
    match s {
        "u8" | "u16" | "u32" | "u64" | "usize" => "một số nguyên không âm, viết không có ngoặc kép (ví dụ 26)".into(),
        "i8" | "i16" | "i32" | "i64" | "isize" => "một số nguyên, viết không có ngoặc kép".into(),
        "f32" | "f64" => "một số, viết không có ngoặc kép (dấu chấm thập phân, ví dụ 0.8)".into(),
        "a string" | "string" | "a borrowed string" => "một chuỗi trong ngoặc kép".into(),
        "a boolean" | "bool" => "true hoặc false".into(),
        "a sequence" | "sequence" => "một danh sách [...]".into(),
        "a map" | "map" => "một bảng".into(),
        "a character" | "char" => "một ký tự".into(),
        "a TOML datetime" | "a datetime" => "một ngày dạng 2026-10-01".into(),
        _ if s.starts_with("struct ") || s.starts_with("a map") => "một bảng".into(),
        _ if ["a sequence", "an array", "array", "tuple"].iter().any(|p| s.starts_with(p)) => {
            "một danh sách [...]".into()
        }
        _ if s.starts_with("one of ") => format!("một trong: {}", token_list(&s[7..])),
        _ => "đúng kiểu của mục này".into(),
    }
}

/// The parser's descriptions (`toml_parser`), in Vietnamese.
fn parse_description(d: &str) -> String {
    const TABLE: &[(&str, &str)] = &[
        ("missing opening quote", "thiếu dấu ngoặc kép mở"),
        ("missing comma between array elements", "thiếu dấu phẩy giữa các phần tử của danh sách"),
        ("missing assignment between key-value pairs", "thiếu dấu «=» giữa tên mục và giá trị"),
        ("missing escaped value", "thiếu ký tự sau dấu «\\»"),
        ("unexpected leading zero", "số không được bắt đầu bằng chữ số 0"),
        ("unclosed array table", "tên bảng [[...]] chưa đóng ngoặc"),
        ("missing key for inline table element", "thiếu tên mục trong bảng { ... }"),
        ("missing inline table opening", "thiếu dấu «{» mở bảng"),
        ("missing array opening", "thiếu dấu «[» mở danh sách"),
        (
            "invalid unquoted key",
            "tên mục không hợp lệ (tên có dấu cách hay chữ có dấu phải đặt trong ngoặc kép; chuỗi giá trị cũng phải trong ngoặc kép)",
        ),
        ("invalid multi-line basic string", "chuỗi nhiều dòng trong ba ngoặc kép không hợp lệ"),
        ("invalid multi-line literal string", "chuỗi nhiều dòng trong ba ngoặc đơn không hợp lệ"),
        ("invalid key-value pair", "dòng «tên = giá trị» không hợp lệ"),
        ("invalid key", "tên mục không hợp lệ"),
        ("unquoted keys cannot be empty", "tên mục không được để trống"),
        ("invalid basic string", "chuỗi trong ngoặc kép không hợp lệ (thiếu ngoặc đóng hoặc có ký tự lạ)"),
        ("invalid literal string", "chuỗi trong ngoặc đơn không hợp lệ"),
        ("unexpected sign", "dấu «+»/«-» không đúng chỗ"),
        ("unexpected key or value", "tên mục hoặc giá trị không đúng chỗ"),
        ("unexpected content between comment and newline", "có nội dung lạ sau chú thích"),
        ("unexpected content", "có nội dung không đúng chỗ"),
        ("unexpected `=` in array", "dấu «=» không được nằm trong danh sách"),
        ("unclosed table", "tên bảng [...] chưa đóng ngoặc"),
        ("unclosed inline table", "bảng { ... } chưa đóng ngoặc"),
        ("unclosed array", "danh sách [...] chưa đóng ngoặc"),
        ("missing value for key", "tên mục chưa có giá trị"),
        ("missing value", "thiếu giá trị"),
        ("missing table open", "thiếu dấu «[» mở tên bảng"),
        ("missing comment start", "thiếu dấu «#» mở chú thích"),
        ("missing comma between key-value pairs", "thiếu dấu phẩy giữa các mục của bảng { ... }"),
        ("invalid value", "giá trị không hợp lệ (chuỗi phải đặt trong ngoặc kép)"),
        ("invalid table", "tên bảng không hợp lệ"),
        ("invalid table header", "tên bảng không hợp lệ"),
        ("invalid string", "chuỗi không hợp lệ"),
        ("invalid octal number", "số hệ tám không hợp lệ"),
        ("invalid hexadecimal number", "số hệ mười sáu không hợp lệ"),
        ("invalid binary number", "số hệ hai không hợp lệ"),
        ("invalid mantissa", "số không hợp lệ"),
        ("invalid integer number", "số nguyên không hợp lệ"),
        ("invalid fraction", "phần thập phân không hợp lệ (dùng dấu chấm, ví dụ 0.8)"),
        ("invalid float", "số thập phân không hợp lệ (dùng dấu chấm, ví dụ 0.8)"),
        ("invalid exponent", "số mũ không hợp lệ"),
        ("invalid date-time", "ngày giờ không hợp lệ (viết dạng 2026-10-01)"),
        ("invalid comment character", "chú thích có ký tự điều khiển"),
        ("invalid boolean", "giá trị đúng/sai phải là true hoặc false"),
        ("invalid inline table element", "mục trong bảng { ... } không hợp lệ"),
        ("extra comma in inline table", "thừa dấu phẩy trong bảng { ... }"),
        ("extra comma in array", "thừa dấu phẩy trong danh sách"),
        ("extra assignment between key-value pairs", "thừa dấu «=»"),
        ("extra `=`", "thừa dấu «=»"),
        ("duplicate key", "tên mục được ghi hai lần trong cùng một bảng"),
        ("invalid inline table", "bảng { ... } không hợp lệ"),
        ("invalid array", "danh sách không hợp lệ"),
    ];
    if let Some((_, vi)) = TABLE.iter().find(|(en, _)| *en == d) {
        return (*vi).to_owned();
    }
    if d.starts_with("unexpected") {
        return "có nội dung không đúng chỗ".into();
    }
    "tệp không đúng cú pháp TOML ở chỗ này (xem lại dấu ngoặc, dấu «=» và dấu ngoặc kép)".into()
}

/// The parser's `expected` list: literals in backticks, or descriptions.
fn expected_list(s: &str) -> String {
    s.split(", ")
        .map(|t| {
            let t = t.trim();
            if t.len() > 1 && t.starts_with(['`', '\'']) {
                return format!("«{}»", t.trim_matches(['`', '\'']));
            }
            match t {
                "newline" => "xuống dòng",
                "nothing" => "không gì thêm",
                "basic string" => "chuỗi trong ngoặc kép",
                "literal string" => "chuỗi trong ngoặc đơn",
                "multi-line basic string" => "chuỗi nhiều dòng",
                "characters"
                | "printable characters"
                | "non-double-quote visible characters"
                | "non-single-quote visible characters"
                | "non-single-quote characters" => "ký tự in được",
                "digits" | "numbers" => "chữ số",
                "letters" => "chữ cái",
                "key" => "tên mục",
                "value" => "giá trị",
                "unicode hexadecimal value" => "mã Unicode hệ mười sáu",
                _ => "ký hiệu khác",
            }
            .to_owned()
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The dotted key a byte offset of a TOML text falls on, with the array
/// index of its table (`groups[1].quota`), read from the text itself: the
/// `toml` crate keeps the path to itself when it has a span.
pub fn toml_key_at(text: &str, offset: usize) -> Option<String> {
    let line_no = line_of(text, offset);
    let lines: Vec<&str> = text.lines().collect();
    let line = lines.get(line_no.checked_sub(1)?)?.trim();
    let header = |l: &str| -> Option<(String, bool)> {
        let l = l.split('#').next()?.trim();
        if let Some(name) = l.strip_prefix("[[").and_then(|r| r.strip_suffix("]]")) {
            Some((name.trim().to_owned(), true))
        } else {
            l.strip_prefix('[')
                .and_then(|r| r.strip_suffix(']'))
                .filter(|n| !n.starts_with('[') && !n.ends_with(']'))
                .map(|n| (n.trim().to_owned(), false))
        }
    };
    // The table this line belongs to (or that it opens).
    let mut table: Option<String> = None;
    for i in (0..line_no).rev() {
        if let Some((name, is_array)) = header(lines[i]) {
            table = Some(if is_array {
                let index = lines[..i].iter().filter(|l| header(l).is_some_and(|(n, a)| a && n == name)).count();
                format!("{name}[{index}]")
            } else {
                name
            });
            break;
        }
    }
    if header(line).is_some() {
        return table;
    }
    if line.starts_with('[') {
        // A header the parser could not read: its name as written.
        let name =
            line.split('#').next().unwrap_or(line).trim_matches(|c: char| c == '[' || c == ']' || c.is_whitespace());
        return (!name.is_empty()).then(|| name.to_owned());
    }
    let key = line.split_once('=').map(|(k, _)| k.trim().trim_matches('"').to_owned()).filter(|k| !k.is_empty());
    match (table, key) {
        (Some(t), Some(k)) => Some(format!("{t}.{k}")),
        (None, Some(k)) => Some(k),
        (t, None) => t,
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
