//! Numbers as Vietnamese pages and papers write them: a decimal comma and
//! `.` between thousands (85,71 %; 1.234 phiếu). A leaf of the crate, so
//! the report's own sentences and every renderer write them alike.

use rust_decimal::Decimal;

/// A percentage as Vietnamese reports write it: rounded half-up to 2
/// places, a decimal comma, no trailing zeros (71,43; 50; 0).
pub fn vn_pct(d: Decimal) -> String {
    crate::stats::round2(d).normalize().to_string().replace('.', ",")
}

/// A figure in a table column: two places and a decimal comma (71,40).
pub fn vn_figure(d: Decimal) -> String {
    format!("{:.2}", crate::stats::round2(d)).replace('.', ",")
}

/// A measured figure (an estimate, an interval's end, a design effect)
/// with two places and a decimal comma (84,19).
pub fn vn_decimal(x: f64) -> String {
    format!("{x:.2}").replace('.', ",")
}

/// A count with `.` between thousands (1.234).
pub fn vn_count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}
