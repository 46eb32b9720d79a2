//! Answers kept column by column, for breakdowns by the answer to any question.
//!
//! The tallies count each question within a unit × group × field; they
//! cannot say how those who answered «Nữ» to the gender question rated the
//! service. A *chunk* keeps the counted answers (every answer but free text)
//! of a batch of responses of one cell, dictionary-encoded: the question
//! codes and the distinct answer cells once, then one small integer per
//! response and question. A million responses of 35 questions take about
//! 35 MB and are counted by any question in one pass over bytes, without
//! parsing an answer more than once per chunk.
//!
//! Chunks are written in the same transaction as the tallies, with the same
//! sign: +1 when responses enter the indices, −1 when one is excluded or
//! withdrawn. Rows inside a chunk are sorted by their answers, so a chunk
//! says nothing of the order responses came in. [`merge`] folds a cell's
//! chunks into one (the sweep does it), so a cell's chunk count stays small.

use std::collections::BTreeMap;

/// One response's answers: (question code, answer cell).
pub type Row = Vec<(String, String)>;

/// A cell's answers as written (responses of one unit × group × field).
pub type ChunkRows = BTreeMap<super::CellCountKey, Vec<Row>>;

const MAGIC: &[u8; 4] = b"SIC1";

/// The pseudo-question under which each row keeps the day its response is
/// stored under (a batch's day, as `responses` has it): no question code
/// starts with `@`.
pub const DAY: &str = "@day";

/// A decoded chunk: the dictionaries and, per response, one index per
/// question (`0` = not answered, `i + 1` = `answers[i]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub questions: Vec<String>,
    pub answers: Vec<String>,
    pub rows: usize,
    /// Row-major: `values[r * questions.len() + q]`.
    pub values: Vec<u16>,
}

impl Decoded {
    pub fn get(&self, row: usize, question: usize) -> u16 {
        self.values[row * self.questions.len() + question]
    }

    /// The rows again as (code, cell) pairs.
    pub fn rows(&self) -> Vec<Row> {
        (0..self.rows)
            .map(|r| {
                (0..self.questions.len())
                    .filter_map(|q| {
                        let v = self.get(r, q);
                        (v > 0).then(|| (self.questions[q].clone(), self.answers[usize::from(v - 1)].clone()))
                    })
                    .collect()
            })
            .collect()
    }
}

/// Encodes rows (sorted first, so their order is not kept).
pub fn encode(rows: &[Row]) -> Vec<u8> {
    let mut questions: Vec<&str> = rows.iter().flatten().map(|(q, _)| q.as_str()).collect();
    questions.sort_unstable();
    questions.dedup();
    let mut answers: Vec<&str> = rows.iter().flatten().map(|(_, a)| a.as_str()).collect();
    answers.sort_unstable();
    answers.dedup();
    let qi: BTreeMap<&str, usize> = questions.iter().enumerate().map(|(i, q)| (*q, i)).collect();
    let ai: BTreeMap<&str, u16> =
        answers.iter().enumerate().map(|(i, a)| (*a, u16::try_from(i + 1).unwrap_or(u16::MAX))).collect();
    let mut encoded: Vec<Vec<u16>> = rows
        .iter()
        .map(|row| {
            let mut v = vec![0u16; questions.len()];
            for (q, a) in row {
                v[qi[q.as_str()]] = ai[a.as_str()];
            }
            v
        })
        .collect();
    encoded.sort_unstable();
    let wide = answers.len() > 255;
    let mut out = Vec::with_capacity(16 + rows.len() * questions.len() * if wide { 2 } else { 1 });
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&u32::try_from(rows.len()).unwrap_or(u32::MAX).to_le_bytes());
    let strings = |out: &mut Vec<u8>, list: &[&str]| {
        out.extend_from_slice(&u32::try_from(list.len()).unwrap_or(u32::MAX).to_le_bytes());
        for s in list {
            out.extend_from_slice(&u32::try_from(s.len()).unwrap_or(u32::MAX).to_le_bytes());
            out.extend_from_slice(s.as_bytes());
        }
    };
    strings(&mut out, &questions);
    strings(&mut out, &answers);
    out.push(if wide { 2 } else { 1 });
    for v in encoded.iter().flatten() {
        if wide {
            out.extend_from_slice(&v.to_le_bytes());
        } else {
            out.push(u8::try_from(*v).unwrap_or(u8::MAX));
        }
    }
    out
}

/// A chunk that does not decode (a damaged file).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("khối đáp án hỏng: {0}")]
pub struct ChunkError(&'static str);

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ChunkError> {
        let end = self.at.checked_add(n).filter(|e| *e <= self.bytes.len()).ok_or(ChunkError("cụt"))?;
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }

    fn u32(&mut self) -> Result<usize, ChunkError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    }

    fn strings(&mut self) -> Result<Vec<String>, ChunkError> {
        let n = self.u32()?;
        let mut out = Vec::with_capacity(n.min(1 << 16));
        for _ in 0..n {
            let len = self.u32()?;
            out.push(String::from_utf8(self.take(len)?.to_vec()).map_err(|_| ChunkError("chữ không phải UTF-8"))?);
        }
        Ok(out)
    }
}

/// Decodes a chunk written by [`encode`].
///
/// # Errors
/// A damaged chunk.
pub fn decode(bytes: &[u8]) -> Result<Decoded, ChunkError> {
    decode_only(bytes, &|_| true)
}

/// Decodes only the questions `keep` takes (the comments read a few columns
/// of every chunk, not all of them).
///
/// # Errors
/// A damaged chunk.
pub fn decode_only(bytes: &[u8], keep: &dyn Fn(&str) -> bool) -> Result<Decoded, ChunkError> {
    let mut r = Reader { bytes, at: 0 };
    if r.take(4)? != MAGIC {
        return Err(ChunkError("sai định dạng"));
    }
    let rows = r.u32()?;
    let questions = r.strings()?;
    let answers = r.strings()?;
    let width = r.take(1)?[0];
    let cells = rows.checked_mul(questions.len()).ok_or(ChunkError("quá lớn"))?;
    let body = r.take(cells.checked_mul(usize::from(width)).ok_or(ChunkError("quá lớn"))?)?;
    let at = |i: usize| -> u16 {
        match width {
            1 => u16::from(body[i]),
            _ => u16::from_le_bytes([body[2 * i], body[2 * i + 1]]),
        }
    };
    if !matches!(width, 1 | 2) {
        return Err(ChunkError("sai độ rộng"));
    }
    let kept: Vec<usize> = (0..questions.len()).filter(|q| keep(&questions[*q])).collect();
    let nq = questions.len();
    let values: Vec<u16> = if kept.len() == nq {
        (0..cells).map(at).collect()
    } else {
        (0..rows).flat_map(|r| kept.iter().map(move |q| r * nq + q)).map(at).collect()
    };
    if values.iter().any(|v| usize::from(*v) > answers.len()) {
        return Err(ChunkError("chỉ số ngoài từ điển"));
    }
    let questions = kept.into_iter().map(|q| questions[q].clone()).collect();
    Ok(Decoded { questions, answers, rows, values })
}

/// Folds chunks of one cell, each with its sign, into the rows they leave:
/// a −1 chunk takes out one equal row per row it holds.
///
/// # Errors
/// A damaged chunk.
pub fn merge(chunks: &[(i64, &[u8])]) -> Result<Vec<Row>, ChunkError> {
    let mut count: BTreeMap<Row, i64> = BTreeMap::new();
    for (sign, bytes) in chunks {
        for row in decode(bytes)?.rows() {
            *count.entry(row).or_default() += sign;
        }
    }
    Ok(count.into_iter().flat_map(|(row, n)| std::iter::repeat_n(row, usize::try_from(n).unwrap_or(0))).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(pairs: &[(&str, &str)]) -> Row {
        pairs.iter().map(|(q, a)| ((*q).to_owned(), (*a).to_owned())).collect()
    }

    #[test]
    fn rows_round_trip_sorted_and_merge_subtracts() {
        let rows = vec![row(&[("HL", "5"), ("GT", "nu")]), row(&[("HL", "3")]), row(&[("GT", "nam"), ("HL", "5")])];
        let bytes = encode(&rows);
        let d = decode(&bytes).expect("decode");
        assert_eq!((d.rows, d.questions.clone()), (3, vec!["GT".to_owned(), "HL".to_owned()]));
        let mut back = d.rows();
        back.iter_mut().for_each(|r| r.sort());
        let mut want = rows.clone();
        want.iter_mut().for_each(|r| r.sort());
        want.sort();
        back.sort();
        assert_eq!(back, want);
        let out = encode(&[row(&[("HL", "3")])]);
        let left = merge(&[(1, &bytes), (-1, &out)]).expect("merge");
        assert_eq!(left.len(), 2);
        assert!(!left.iter().any(|r| r == &row(&[("HL", "3")])));
    }

    #[test]
    fn many_distinct_answers_take_two_bytes_and_damage_is_refused() {
        let rows: Vec<Row> = (0..300).map(|i| row(&[("DL", &i.to_string())])).collect();
        let bytes = encode(&rows);
        assert_eq!(decode(&bytes).expect("wide").rows().len(), 300);
        assert!(decode(&bytes[..bytes.len() - 1]).is_err());
        assert!(decode(b"SIC1").is_err());
    }
}
