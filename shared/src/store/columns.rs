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

/// The pseudo-question under which each row keeps how its response came
/// (`online`, `offline`, `paper`), as `responses` has it.
pub const SOURCE: &str = "@source";

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

    /// Encodes again (as [`encode`] would the same rows, already sorted).
    pub fn to_bytes(&self) -> Vec<u8> {
        let wide = self.answers.len() > 255;
        let mut out = Vec::with_capacity(16 + self.values.len() * if wide { 2 } else { 1 });
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&u32::try_from(self.rows).unwrap_or(u32::MAX).to_le_bytes());
        for list in [&self.questions, &self.answers] {
            out.extend_from_slice(&u32::try_from(list.len()).unwrap_or(u32::MAX).to_le_bytes());
            for s in list {
                out.extend_from_slice(&u32::try_from(s.len()).unwrap_or(u32::MAX).to_le_bytes());
                out.extend_from_slice(s.as_bytes());
            }
        }
        out.push(if wide { 2 } else { 1 });
        for v in &self.values {
            if wide {
                out.extend_from_slice(&v.to_le_bytes());
            } else {
                out.push(u8::try_from(*v).unwrap_or(u8::MAX));
            }
        }
        out
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
    use std::collections::HashMap;
    // Dictionaries in first-seen order, one pass; sorted afterwards.
    let mut q_seen: HashMap<&str, usize> = HashMap::new();
    let mut a_seen: HashMap<&str, usize> = HashMap::new();
    let mut pairs: Vec<(usize, usize)> = Vec::with_capacity(rows.iter().map(Vec::len).sum());
    let mut ends: Vec<usize> = Vec::with_capacity(rows.len());
    for row in rows {
        for (q, a) in row {
            let nq = q_seen.len();
            let qi = *q_seen.entry(q.as_str()).or_insert(nq);
            let na = a_seen.len();
            let ai = *a_seen.entry(a.as_str()).or_insert(na);
            pairs.push((qi, ai));
        }
        ends.push(pairs.len());
    }
    fn sorted(seen: HashMap<&str, usize>) -> (Vec<&str>, Vec<usize>) {
        let mut list: Vec<(&str, usize)> = seen.into_iter().collect();
        list.sort_unstable();
        let mut remap = vec![0; list.len()];
        for (new, (_, old)) in list.iter().enumerate() {
            remap[*old] = new;
        }
        (list.into_iter().map(|(s, _)| s).collect(), remap)
    }
    let (questions, q_remap) = sorted(q_seen);
    let (answers, a_remap) = sorted(a_seen);
    let width = questions.len();
    let mut values = vec![0u16; rows.len() * width];
    let mut start = 0;
    for (r, end) in ends.iter().enumerate() {
        for (qi, ai) in &pairs[start..*end] {
            values[r * width + q_remap[*qi]] = u16::try_from(a_remap[*ai] + 1).unwrap_or(u16::MAX);
        }
        start = *end;
    }
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_unstable_by(|x, y| values[x * width..(x + 1) * width].cmp(&values[y * width..(y + 1) * width]));
    let wide = answers.len() > 255;
    let mut out = Vec::with_capacity(16 + values.len() * if wide { 2 } else { 1 });
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
    for r in order {
        for v in &values[r * width..(r + 1) * width] {
            if wide {
                out.extend_from_slice(&v.to_le_bytes());
            } else {
                out.push(u8::try_from(*v).unwrap_or(u8::MAX));
            }
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

/// Several chunks of one cell as one, their rows sorted together, without
/// turning answers back into text: the dictionaries are joined and each
/// chunk's values mapped into them.
///
/// # Errors
/// A damaged chunk, or more distinct answers than one chunk holds.
pub fn concat(parts: &[&[u8]]) -> Result<Decoded, ChunkError> {
    let decoded: Vec<Decoded> = parts.iter().map(|b| decode(b)).collect::<Result<_, _>>()?;
    let mut questions: Vec<String> = decoded.iter().flat_map(|d| d.questions.iter().cloned()).collect();
    questions.sort_unstable();
    questions.dedup();
    let mut answers: Vec<String> = decoded.iter().flat_map(|d| d.answers.iter().cloned()).collect();
    answers.sort_unstable();
    answers.dedup();
    if answers.len() >= usize::from(u16::MAX) {
        return Err(ChunkError("quá nhiều đáp án khác nhau trong một ô"));
    }
    let width = questions.len();
    let rows: usize = decoded.iter().map(|d| d.rows).sum();
    let mut values = vec![0u16; rows * width];
    let mut r0 = 0;
    for d in &decoded {
        let q_map: Vec<usize> = d.questions.iter().map(|q| questions.binary_search(q).unwrap_or(0)).collect();
        let a_map: Vec<u16> = d
            .answers
            .iter()
            .map(|a| u16::try_from(answers.binary_search(a).unwrap_or(0) + 1).unwrap_or(u16::MAX))
            .collect();
        for r in 0..d.rows {
            for (q, to) in q_map.iter().enumerate() {
                let v = d.get(r, q);
                if v > 0 {
                    values[(r0 + r) * width + to] = a_map[usize::from(v - 1)];
                }
            }
        }
        r0 += d.rows;
    }
    let mut order: Vec<usize> = (0..rows).collect();
    order.sort_unstable_by(|x, y| values[x * width..(x + 1) * width].cmp(&values[y * width..(y + 1) * width]));
    let values = order.iter().flat_map(|r| values[r * width..(r + 1) * width].iter().copied()).collect();
    Ok(Decoded { questions, answers, rows, values })
}

/// [`encode_split`], each chunk with its number of rows.
pub fn encode_counted(rows: &[Row]) -> Vec<(i64, Vec<u8>)> {
    encode_split(rows)
        .into_iter()
        .map(|body| {
            let n = decode_only(&body, &|_| false).map(|d| d.rows).unwrap_or(0);
            (i64::try_from(n).unwrap_or(i64::MAX), body)
        })
        .collect()
}

/// Encodes rows as chunks of at most 60,000 distinct answers each (a chunk
/// indexes its answers with 16 bits).
pub fn encode_split(rows: &[Row]) -> Vec<Vec<u8>> {
    let distinct: std::collections::HashSet<&str> = rows.iter().flatten().map(|(_, a)| a.as_str()).collect();
    if distinct.len() <= 60_000 || rows.len() < 2 {
        return vec![encode(rows)];
    }
    let (a, b) = rows.split_at(rows.len() / 2);
    let mut out = encode_split(a);
    out.extend(encode_split(b));
    out
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
