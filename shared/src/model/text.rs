//! Text as offices type it, made comparable: tidied cells, folded headers and
//! procedure names, Vietnamese letters without diacritics.

/// `s` cut to `n` characters for a narrow place (a chart label, a terminal
/// column), its last one «…» where it was cut.
pub fn ellipsis(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        format!("{}…", s.chars().take(n.saturating_sub(1)).collect::<String>())
    }
}

/// A cell as typed, made comparable: Unicode NFC (Unikey's «Unicode tổ hợp»
/// writes «ế» as e + two combining marks, which would never match the
/// catalogue's «ế»), every run of spaces, tabs or no-break spaces one space,
/// no space at either end.
pub fn tidy(cell: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let composed: String = cell.nfc().collect();
    composed.split(|c: char| c.is_whitespace() || c == '\u{a0}').filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
}

/// A procedure name as it is compared: tidied (NFC, single spaces), lower case.
pub fn procedure_key(name: &str) -> String {
    tidy(name).to_lowercase()
}

/// Folds a header cell for loose matching: lower case, no diacritics, no punctuation.
pub fn fold_header(s: &str) -> String {
    tidy(s.trim_start_matches('\u{feff}'))
        .chars()
        .filter_map(|c| {
            let base = fold_vietnamese(c.to_lowercase().next().unwrap_or(c));
            base.is_alphanumeric().then_some(base)
        })
        .collect()
}

/// Percent-encodes all but unreserved characters and those in `keep`.
pub fn percent_encode(s: &str, keep: &[u8]) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => char::from(b).to_string(),
            b if keep.contains(&b) => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Strips a Vietnamese letter of its diacritics (đ → d).
pub fn fold_vietnamese(c: char) -> char {
    const GROUPS: [(&str, char); 14] = [
        ("àáảãạăằắẳẵặâầấẩẫậ", 'a'),
        ("èéẻẽẹêềếểễệ", 'e'),
        ("ìíỉĩị", 'i'),
        ("òóỏõọôồốổỗộơờớởỡợ", 'o'),
        ("ùúủũụưừứửữự", 'u'),
        ("ỳýỷỹỵ", 'y'),
        ("đ", 'd'),
        ("ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬ", 'A'),
        ("ÈÉẺẼẸÊỀẾỂỄỆ", 'E'),
        ("ÌÍỈĨỊ", 'I'),
        ("ỲÝỶỸỴ", 'Y'),
        ("ÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢ", 'O'),
        ("ÙÚỦŨỤƯỪỨỬỮỰ", 'U'),
        ("Đ", 'D'),
    ];
    GROUPS.iter().find(|(set, _)| set.contains(c)).map_or(c, |(_, base)| *base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_fold_loosely() {
        assert_eq!(fold_header("\u{feff}Họ và tên"), "hovaten");
        assert_eq!(fold_header("Số điện thoại (bắt buộc phải có)"), "sodienthoaibatbuocphaico");
        assert_eq!(fold_header("Đơn vị cấp trên"), "donvicaptren");
    }

    #[test]
    fn decomposed_letters_and_doubled_spaces_compare_equal() {
        // «Đăng ký kết hôn» as Unikey's decomposed Unicode writes it, spaced loosely.
        let nfd = "D\u{335}a\u{306}ng ky\u{301}  ke\u{302}\u{301}t\u{a0}ho\u{302}n ";
        let nfd = nfd.replacen("D\u{335}", "Đ", 1);
        assert_ne!(nfd.trim(), "Đăng ký kết hôn");
        assert_eq!(tidy(&nfd), "Đăng ký kết hôn");
        assert_eq!(tidy("Đăng ký  kết hôn"), "Đăng ký kết hôn");
    }
}
