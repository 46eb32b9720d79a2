//! Reports narrowed to the answers that came one way (online, offline at
//! the household, paper) or in some months, counted from the answers kept
//! column by column, where each answer carries its source and the day its
//! batch was stored under.
//!
//! Disclosure (SPEC §10). A filter is a differencing machine: the report of
//! every answer less the report of all but one is that one answer. So the
//! answers of each cell (unit × group × field, the finest cell any report
//! shows) are split into parts by (source, month), and the parts grouped
//! once, the same way for every filter, by [`merge_small`]: each group holds
//! at least k answers. A cell counts in a filtered report only when the
//! filter takes whole groups of it, or the whole cell; otherwise it is left
//! out (and counted as withheld). A question's counted answers, and apart
//! from them its «không biết», are grouped the same way in each cell (a
//! question shown after another answer, or optional, is answered by some
//! only); where in any cell the filter would split them below k, or leave
//! fewer than k of them out with a cell it does not count, the question is
//! left out of the whole filtered report. Any two reports, filtered or not,
//! then differ in each cell, and in each question both show, by whole
//! groups of at least k; no filter, nor any pair of filters, sets one
//! answer apart. (A cell that exclusions left below k may differ by its
//! number of households: a count, never an answer.)
//!
//! Release batches hold at least k answers of one cell, one day and one
//! source (or «mixed»), so the parts are whole batches and little is left
//! out, until a reviewer excludes answers or a ballot is withdrawn.
//!
//! The design-weighted figures are not made for a filtered report (a part
//! of a village's households does not stand for the village), nor is last
//! year's comparison, nor a breakdown by a question's answer (it splits a
//! cell a second way).

use crate::answers::TextAnswer;
use crate::crosstab::{by_cell, decode_cell};
use crate::disclosure::{merge_small, threshold};
use crate::tally::{Aggregate, Cell, CellKey};
use chrono::Datelike;
use serde::Serialize;
use sipas_shared::model::campaign::Campaign;
use sipas_shared::model::questionnaire::QuestionKind;
use sipas_shared::store::AnswerChunk;
use sipas_shared::store::columns::{self, ChunkError, Decoded};

/// The ways an answer comes, as stored, with the name a reader sees.
/// Answers at a counter's device are online answers. A batch released with
/// answers of more than one source keeps «mixed» for all of them (one
/// ballot among online answers would otherwise be set apart): those answers
/// are in no source's figures.
pub const SOURCES: [(&str, &str); 3] =
    [("online", "Trực tuyến (kể cả tại quầy)"), ("offline", "Điều tra viên tại hộ"), ("paper", "Phiếu giấy")];

/// A month as (year, month 1–12).
pub type Month = (i32, u32);

/// What a reader narrowed the report to. Empty: every answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// One of [`SOURCES`]' codes.
    pub source: Option<String>,
    /// First and last month taken, inclusive.
    pub from: Option<Month>,
    pub to: Option<Month>,
}

/// What a filtered report was narrowed to, and what it left out.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FilterNote {
    /// In words: «nguồn Phiếu giấy · tháng 11/2026 – 12/2026».
    pub label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// `YYYY-MM`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Cells (unit × group × field) whose answers the filter would split
    /// below k, left out whole. How many of their answers the filter would
    /// have taken is not told: it could be fewer than k.
    pub cells_withheld: usize,
    /// Questions (codes) left out of the whole filtered report: in some
    /// cell the filter would split their answers, or their «không biết»,
    /// below k (a question shown after another answer, or optional, is
    /// answered by some only), or leave out fewer than k of them with a cell.
    pub questions_withheld: Vec<String>,
    /// The answers the filtered figures rest on.
    pub answers: u64,
}

impl FilterNote {
    /// What a reader should know of the filtered figures beyond the filter
    /// itself: what was left out and why, what «mixed» and a month mean.
    /// `k`: the campaign's threshold.
    pub fn sentences(&self, k: i64) -> Vec<String> {
        let count = |n: usize| crate::numbers::vn_count(n as u64);
        let mut out = Vec::new();
        if self.answers == 0 && self.cells_withheld == 0 {
            out.push("Không có phiếu nào như vậy.".to_owned());
        }
        if self.cells_withheld > 0 {
            out.push(format!(
                "{} ô (đơn vị × nhóm × lĩnh vực) không được tính: bộ lọc sẽ tách phiếu của ô thành các phần dưới {k} phiếu, có thể lộ người trả lời.",
                count(self.cells_withheld)
            ));
        }
        if !self.questions_withheld.is_empty() {
            out.push(format!(
                "Không tính các câu {} khi lọc: ở một số ô, bộ lọc sẽ tách hoặc bỏ ra dưới {k} câu trả lời của câu đó.",
                self.questions_withheld.join(", ")
            ));
        }
        if self.source.is_some() {
            out.push(
                "Phiếu công bố cùng đợt với phiếu của nguồn khác được ghi là «hỗn hợp» và không thuộc nguồn nào."
                    .to_owned(),
            );
        }
        if self.from.is_some() || self.to.is_some() {
            out.push(
                "Tháng của một phiếu là ngày nó được đưa vào số liệu: ngày của phiếu cuối trong đợt công bố, theo giờ của đợt."
                    .to_owned(),
            );
        }
        out.push("Không có số liệu có trọng số và so sánh năm trước khi lọc.".to_owned());
        out
    }
}

/// A filter's value that does not parse, with the query field it came in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadFilter {
    pub message: String,
    pub field: &'static str,
}

fn month(text: &str, field: &'static str) -> Result<Month, BadFilter> {
    let bad = || BadFilter {
        message: format!("«{text}» không phải một tháng: viết năm-tháng, ví dụ 2026-11"), field
    };
    let (y, m) = text.split_once('-').ok_or_else(bad)?;
    let (y, m) = (y.parse::<i32>().map_err(|_| bad())?, m.parse::<u32>().map_err(|_| bad())?);
    if !(1..=12).contains(&m) || !(2000..=2100).contains(&y) {
        return Err(bad());
    }
    Ok((y, m))
}

fn nonempty(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

/// «11/2026».
pub fn month_label((y, m): Month) -> String {
    format!("{m:02}/{y}")
}

/// «2026-11», as a query writes a month.
pub fn month_value((y, m): Month) -> String {
    format!("{y}-{m:02}")
}

/// The months a campaign's answers can carry, first to last.
pub fn campaign_months(campaign: &Campaign) -> Vec<Month> {
    let mut out = Vec::new();
    let (mut y, mut m) = (campaign.opens.year(), campaign.opens.month());
    let last = (campaign.closes.year(), campaign.closes.month());
    while (y, m) <= last && out.len() < 36 {
        out.push((y, m));
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    }
    out
}

impl Filter {
    /// From a page's or the API's query: `source`, `from`, `to` (`YYYY-MM`);
    /// empty values are no filter.
    ///
    /// # Errors
    /// An unknown source, a month that does not parse, or `from` after `to`.
    pub fn parse(source: Option<&str>, from: Option<&str>, to: Option<&str>) -> Result<Self, BadFilter> {
        let source = match nonempty(source) {
            None => None,
            Some(s) if SOURCES.iter().any(|(c, _)| *c == s) => Some(s.to_owned()),
            Some(s) => {
                return Err(BadFilter {
                    message: format!("«{s}» không phải nguồn phiếu: dùng online, offline hoặc paper"),
                    field: "source",
                });
            }
        };
        let from = nonempty(from).map(|f| month(f, "from")).transpose()?;
        let to = nonempty(to).map(|t| month(t, "to")).transpose()?;
        if let (Some(a), Some(b)) = (from, to)
            && a > b
        {
            return Err(BadFilter {
                message: format!("tháng bắt đầu {} sau tháng kết thúc {}", month_label(a), month_label(b)),
                field: "from",
            });
        }
        Ok(Filter { source, from, to })
    }

    pub fn is_empty(&self) -> bool {
        self.source.is_none() && self.from.is_none() && self.to.is_none()
    }

    /// Whether this filter may narrow a report broken down by a question's
    /// answer, or compared with last year: neither, see the module. Empty
    /// filters allow everything.
    ///
    /// # Errors
    /// The first clash, named for the query field it came in.
    pub fn allows(&self, by_question: bool, compare: bool) -> Result<(), BadFilter> {
        if self.is_empty() {
            return Ok(());
        }
        let clash = [(by_question, "by", "phân tổ theo câu trả lời"), (compare, "compare", "so sánh với năm trước")]
            .into_iter()
            .find(|(on, _, _)| *on);
        match clash {
            Some((_, field, what)) => Err(BadFilter {
                message: format!("không lọc theo nguồn phiếu hay theo tháng khi xem {what}: bỏ bộ lọc hoặc bỏ {what}"),
                field,
            }),
            None => Ok(()),
        }
    }

    /// In words, for titles and notes.
    pub fn label(&self) -> String {
        let mut parts = Vec::new();
        if let Some(s) = &self.source {
            parts.push(format!("nguồn {}", source_name(s)));
        }
        match (self.from, self.to) {
            (Some(a), Some(b)) if a == b => parts.push(format!("tháng {}", month_label(a))),
            (Some(a), Some(b)) => parts.push(format!("tháng {} – {}", month_label(a), month_label(b))),
            (Some(a), None) => parts.push(format!("từ tháng {}", month_label(a))),
            (None, Some(b)) => parts.push(format!("đến tháng {}", month_label(b))),
            (None, None) => {}
        }
        parts.join(" · ")
    }

    fn takes(&self, source: &str, month: Option<Month>) -> bool {
        self.source.as_deref().is_none_or(|s| s == source)
            && self.from.is_none_or(|f| month.is_some_and(|m| m >= f))
            && self.to.is_none_or(|t| month.is_some_and(|m| m <= t))
    }
}

/// A source's name as a reader sees it.
pub fn source_name(code: &str) -> &str {
    SOURCES.iter().find(|(c, _)| *c == code).map_or(code, |(_, n)| n)
}

/// A filtered report's counts and free-text answers.
pub struct Filtered<'c> {
    pub agg: Aggregate<'c>,
    pub texts: Vec<TextAnswer>,
    pub note: FilterNote,
}

/// A cell the filter counts: its answers, decoded, with each row's part.
struct CellRows {
    key: CellKey,
    decoded: Vec<Decoded>,
    /// Per decoded chunk, per row: the row's part.
    part_of: Vec<Vec<usize>>,
    /// Per part: whether the filter takes it.
    taken: Vec<bool>,
}

/// Whether a filter that takes the parts `taken` of a cell's or a
/// question's answers (`sizes` a part) leaves the reports it differs from
/// nothing to subtract below k: what it takes and what it leaves are each
/// whole groups of at least k, or it takes them all. `counted`: whether the
/// filter counts the cell at all (if not, it leaves every part).
fn splits_safely(sizes: &[u64], taken: &[bool], counted: bool, k: u64) -> bool {
    let total: u64 = sizes.iter().sum();
    if total == 0 {
        return true;
    }
    if !counted {
        // Left out whole: fine when the whole holds k.
        return total >= k;
    }
    if sizes.iter().zip(taken).all(|(n, t)| *t || *n == 0) {
        return true;
    }
    merge_small(sizes, k)
        .is_some_and(|groups| groups.iter().all(|g| g.iter().all(|i| taken[*i]) || g.iter().all(|i| !taken[*i])))
}

/// The answers of `chunks` that `filter` takes (of `group` only, if given),
/// as the module says: a cell the filter would split below k is left out
/// whole, and a question whose answers (or «không biết») the filter would
/// split below k in any cell, or leave out below k with a cell, is left out
/// of the whole filtered report.
///
/// # Errors
/// A damaged chunk.
pub fn filtered<'c>(
    campaign: &'c Campaign,
    chunks: &[AnswerChunk],
    filter: &Filter,
    group: Option<&str>,
) -> Result<Filtered<'c>, ChunkError> {
    let k = threshold(campaign);
    let mut cells: Vec<CellRows> = Vec::new();
    // Per group, the questions some cell would split below k.
    let mut unsafe_questions: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
        std::collections::BTreeMap::new();
    let mut withheld = 0usize;
    for ((unit, g, field), parts) in by_cell(chunks) {
        if group.is_some_and(|x| x != g) {
            continue;
        }
        let decoded = decode_cell(&parts, &|_| true)?;
        // Each row's part: (source, month), numbered in the order met.
        let mut keys: Vec<(String, Option<Month>)> = Vec::new();
        let mut sizes: Vec<u64> = Vec::new();
        let mut part_of: Vec<Vec<usize>> = Vec::with_capacity(decoded.len());
        for d in &decoded {
            let day_at = d.questions.iter().position(|q| q == columns::DAY);
            let source_at = d.questions.iter().position(|q| q == columns::SOURCE);
            let value = |at: Option<usize>, r: usize| {
                at.map(|c| d.get(r, c)).filter(|v| *v > 0).map_or("", |v| d.answers[usize::from(v - 1)].as_str())
            };
            // A chunk holds a few distinct (day, source) pairs: each found once.
            let mut seen: std::collections::HashMap<(u16, u16), usize> = std::collections::HashMap::new();
            let mut rows = Vec::with_capacity(d.rows);
            for r in 0..d.rows {
                let pair = (day_at.map_or(0, |c| d.get(r, c)), source_at.map_or(0, |c| d.get(r, c)));
                let at = *seen.entry(pair).or_insert_with(|| {
                    let day = chrono::NaiveDate::parse_from_str(value(day_at, r), "%Y-%m-%d").ok();
                    let key = (value(source_at, r), day.map(|d| (d.year(), d.month())));
                    keys.iter().position(|(s, m)| s == key.0 && *m == key.1).unwrap_or_else(|| {
                        keys.push((key.0.to_owned(), key.1));
                        sizes.push(0);
                        keys.len() - 1
                    })
                });
                sizes[at] += 1;
                rows.push(at);
            }
            part_of.push(rows);
        }
        let taken: Vec<bool> = keys.iter().map(|(s, m)| filter.takes(s, *m)).collect();
        let touched = taken.iter().zip(&sizes).any(|(t, n)| *t && *n > 0);
        let counted = touched && splits_safely(&sizes, &taken, true, k);
        withheld += usize::from(touched && !counted);
        // Per question, its answers and its «không biết» by part: each
        // split its own way (a question shown after another answer, or
        // optional, is answered by some only).
        let questionnaire = campaign.questionnaire_of(g);
        let mut answered: std::collections::BTreeMap<&str, [Vec<u64>; 2]> = std::collections::BTreeMap::new();
        for (d, rows) in decoded.iter().zip(&part_of) {
            let (nq, na) = (d.questions.len(), d.answers.len() + 1);
            let questions: Vec<Option<&sipas_shared::model::questionnaire::Question>> = d
                .questions
                .iter()
                .map(|code| if code.starts_with('@') { None } else { questionnaire.and_then(|q| q.question(code)) })
                .collect();
            // Each distinct answer of each question read once: 0 counted,
            // 1 «không biết», 2 counted nowhere (blank, or no longer fits the
            // questionnaire); u8::MAX not yet read.
            let mut kind = vec![u8::MAX; nq * na];
            let mut local = vec![[vec![0u64; keys.len()], vec![0u64; keys.len()]]; nq];
            for (r, part) in rows.iter().enumerate() {
                for (c, v) in d.values[r * nq..(r + 1) * nq].iter().enumerate() {
                    let v = usize::from(*v);
                    if v == 0 || d.questions[c].starts_with('@') {
                        continue;
                    }
                    let at = &mut kind[c * na + v];
                    if *at == u8::MAX {
                        let raw = &d.answers[v - 1];
                        *at = match questions[c].map(|q| sipas_shared::Answer::parse(q, raw)) {
                            Some(Ok(Some(sipas_shared::Answer::DontKnow))) => 1,
                            Some(Ok(Some(sipas_shared::Answer::Text(t)))) if t.trim().is_empty() => 2,
                            Some(Ok(Some(_))) => 0,
                            _ => 2,
                        };
                    }
                    if let Some(by_part) = local[c].get_mut(usize::from(*at)) {
                        by_part[*part] += 1;
                    }
                }
            }
            for (c, code) in d.questions.iter().enumerate().filter(|(_, q)| !q.starts_with('@')) {
                let counts =
                    answered.entry(code.as_str()).or_insert_with(|| [vec![0; keys.len()], vec![0; keys.len()]]);
                for (sum, add) in counts.iter_mut().zip(&local[c]) {
                    for (a, b) in sum.iter_mut().zip(add) {
                        *a += b;
                    }
                }
            }
        }
        for (code, [counted_answers, dont_know]) in &answered {
            if !(splits_safely(counted_answers, &taken, counted, k) && splits_safely(dont_know, &taken, counted, k)) {
                unsafe_questions.entry(g.to_owned()).or_default().insert((*code).to_owned());
            }
        }
        let key = CellKey { unit: unit.to_owned(), group: g.to_owned(), field: field.map(str::to_owned) };
        if counted {
            cells.push(CellRows { key, decoded, part_of, taken });
        }
    }
    let mut agg = Aggregate::new(campaign);
    let mut texts = Vec::new();
    let mut answers = 0u64;
    for cell in &cells {
        let held = unsafe_questions.get(&cell.key.group);
        let counts_question = |code: &str| held.is_none_or(|h| !h.contains(code));
        for (d, rows) in cell.decoded.iter().zip(&cell.part_of) {
            let keep: Vec<bool> = rows.iter().map(|p| cell.taken[*p]).collect();
            answers += count_rows(&mut agg, &cell.key, d, &keep, &counts_question);
            texts.extend(
                crate::crosstab::texts_of(campaign, &cell.key, d, &keep).into_iter().filter(|t| counts_question(&t.3)),
            );
        }
    }
    let mut questions_withheld: Vec<String> = unsafe_questions.into_values().flatten().collect();
    questions_withheld.sort();
    questions_withheld.dedup();
    Ok(Filtered {
        agg,
        texts,
        note: FilterNote {
            label: filter.label(),
            source: filter.source.clone(),
            from: filter.from.map(month_value),
            to: filter.to.map(month_value),
            cells_withheld: withheld,
            questions_withheld,
            answers,
        },
    })
}

/// Counts the rows of `d` that `keep` marks into the cell `key`, each
/// distinct answer parsed once, the questions `counts_question` takes;
/// returns how many rows.
fn count_rows(
    agg: &mut Aggregate<'_>,
    key: &CellKey,
    d: &Decoded,
    keep: &[bool],
    counts_question: &dyn Fn(&str) -> bool,
) -> u64 {
    let (nq, na) = (d.questions.len(), d.answers.len() + 1);
    let mut counts = vec![0u64; nq * na];
    let mut responses = 0u64;
    for r in (0..d.rows).filter(|r| keep[*r]) {
        responses += 1;
        for (q, v) in d.values[r * nq..(r + 1) * nq].iter().enumerate() {
            counts[q * na + usize::from(*v)] += 1;
        }
    }
    if responses == 0 {
        return 0;
    }
    let Some(_) = agg.questionnaire_of(&key.group) else {
        agg.ignored_responses += responses;
        return responses;
    };
    let questions: Vec<_> = d.questions.iter().map(|q| agg.question_of(&key.group, q)).collect();
    let len = agg.questions_len(&key.group);
    let mut ignored = 0u64;
    let cell = agg.cells.entry(key.clone()).or_insert_with(|| Cell::sized(len));
    cell.responses += responses;
    for (q, code) in d.questions.iter().enumerate().filter(|(_, code)| counts_question(code)) {
        for a in 1..na {
            let n = counts[q * na + a];
            if n == 0 {
                continue;
            }
            match questions[q] {
                // Free text is kept for the comments, not tallied.
                Some((_, question)) if question.kind == QuestionKind::Text => {}
                Some((i, question)) => {
                    if !cell.questions[i].add_cell(question, &d.answers[a - 1], n) {
                        ignored += n;
                    }
                }
                // The day and the source; any other code the questionnaire
                // no longer asks.
                None if code.starts_with('@') => {}
                None => ignored += n,
            }
        }
    }
    agg.ignored_answers += ignored;
    responses
}

#[cfg(test)]
mod tests {
    use super::*;
    use sipas_shared::model::StoredResponse;
    use sipas_shared::store::columns::{Row, encode};

    use crate::examples::province;

    /// The first five-level question the households are asked.
    fn likert(c: &Campaign) -> String {
        let q = c.questionnaire_of("households").expect("questionnaire");
        q.questions().find(|x| x.kind == QuestionKind::Likert5).expect("a five-level question").code.clone()
    }

    /// One household's row: its level on `question`, its day and its source.
    fn row(question: &str, level: u8, day: &str, source: &str) -> Row {
        let mut r: Row = vec![
            (question.to_owned(), level.to_string()),
            (columns::DAY.to_owned(), day.to_owned()),
            (columns::SOURCE.to_owned(), source.to_owned()),
        ];
        r.sort();
        r
    }

    fn chunk(unit: &str, village: &str, rows: &[Row]) -> AnswerChunk {
        (unit.into(), "households".into(), Some(village.into()), 1, encode(rows))
    }

    /// Answers (level, day, source), `n` times each.
    fn rows(question: &str, spec: &[(u8, &str, &str, usize)]) -> Vec<Row> {
        spec.iter().flat_map(|(l, d, s, n)| vec![row(question, *l, d, s); *n]).collect()
    }

    fn taken(f: &Filtered<'_>, unit: &str) -> u64 {
        f.agg.responses(|k| k.unit == unit)
    }

    fn filter(source: Option<&str>, from: Option<&str>, to: Option<&str>) -> Filter {
        Filter::parse(source, from, to).expect("a filter")
    }

    /// k = 5. HS001's village: 15 online answers and one on paper. Paper
    /// alone is one household; online alone is the village less that one.
    /// Either filter would set the paper answer apart, so the village is
    /// left out of both, and counted as withheld. HS002's village: 10 online
    /// and 6 on paper, each at least k: both filters take it.
    #[test]
    fn a_source_filter_never_sets_one_answer_apart() {
        let c = province();
        let q = likert(&c);
        let chunks = [
            chunk("HS001", "A1", &rows(&q, &[(5, "2026-11-03", "online", 15), (1, "2026-11-03", "paper", 1)])),
            chunk("HS002", "B1", &rows(&q, &[(4, "2026-11-03", "online", 10), (2, "2026-11-04", "paper", 6)])),
        ];
        let everything = filtered(&c, &chunks, &Filter::default(), None).expect("chunks");
        assert_eq!((taken(&everything, "HS001"), taken(&everything, "HS002")), (16, 16));
        assert_eq!(everything.note.cells_withheld, 0);
        for (source, hs002) in [("paper", 6), ("online", 10)] {
            let f = filtered(&c, &chunks, &filter(Some(source), None, None), None).expect("chunks");
            assert_eq!(taken(&f, "HS001"), 0, "{source}: HS001's village would be split 15 + 1");
            assert_eq!(taken(&f, "HS002"), hs002, "{source}");
            assert_eq!((f.note.cells_withheld, f.note.answers), (1, hs002), "{source}");
            // What the filtered figures say of HS002's answers.
            let (_, question) = f.agg.question_of("households", &q).expect("question");
            let cell = f.agg.pooled(|k| k.unit == "HS002");
            let levels = cell.values().next().expect("a cell").questions
                [f.agg.question_of("households", &question.code).expect("at").0]
                .levels;
            assert_eq!(levels, if source == "paper" { [0, 6, 0, 0, 0] } else { [0, 0, 0, 10, 0] });
        }
        // The household's source alone: no filter takes it from anywhere.
        let offline = filtered(&c, &chunks, &filter(Some("offline"), None, None), None).expect("chunks");
        assert_eq!((offline.note.answers, offline.note.cells_withheld), (0, 0));
    }

    /// Months split a village's answers the same way: 12 in November and 3
    /// in December (under k) are one group of 15, taken only whole.
    #[test]
    fn a_month_filter_takes_a_village_whole_or_not_at_all() {
        let c = province();
        let q = likert(&c);
        let chunks = [
            chunk("HS001", "A1", &rows(&q, &[(5, "2026-11-03", "online", 12), (3, "2026-12-01", "online", 3)])),
            chunk("HS002", "B1", &rows(&q, &[(4, "2026-11-20", "online", 7), (2, "2026-12-02", "online", 8)])),
        ];
        let nov = filtered(&c, &chunks, &filter(None, Some("2026-11"), Some("2026-11")), None).expect("chunks");
        assert_eq!((taken(&nov, "HS001"), taken(&nov, "HS002")), (0, 7));
        let dec = filtered(&c, &chunks, &filter(None, Some("2026-12"), None), None).expect("chunks");
        assert_eq!((taken(&dec, "HS001"), taken(&dec, "HS002")), (0, 8));
        let both = filtered(&c, &chunks, &filter(None, Some("2026-11"), Some("2026-12")), None).expect("chunks");
        assert_eq!((taken(&both, "HS001"), taken(&both, "HS002")), (15, 15));
        assert_eq!(both.note.label, "tháng 11/2026 – 12/2026");
    }

    /// The second five-level question the households are asked.
    fn second_likert(c: &Campaign) -> String {
        let q = c.questionnaire_of("households").expect("questionnaire");
        q.questions().filter(|x| x.kind == QuestionKind::Likert5).nth(1).expect("two such questions").code.clone()
    }

    /// `row` with `question` also answered at `level`.
    fn also(mut r: Row, question: &str, level: u8) -> Row {
        r.push((question.to_owned(), level.to_string()));
        r.sort();
        r
    }

    /// Answers to `question` in a cell: how many gave a level.
    fn answered(f: &Filtered<'_>, key: &CellKey, question: &str) -> u64 {
        let Some(cell) = f.agg.cells.get(key) else { return 0 };
        let (i, _) = f.agg.question_of(&key.group, question).expect("question");
        cell.questions[i].likert_n()
    }

    /// A question shown only after another answer: ten online households,
    /// five of whom answered it (all at 5), and five on paper, one of whom
    /// answered it (at 1). Both sources hold k households, so each filter
    /// takes them; but «online» would count the question 5 times against
    /// the whole's 6, and the difference is the paper household's answer.
    /// So the question's answerers are grouped like the households, and the
    /// question is left out of either filtered report.
    #[test]
    fn a_question_few_answered_is_not_set_apart_by_a_filter() {
        let c = province();
        let (q, q2) = (likert(&c), second_likert(&c));
        let mut all = Vec::new();
        for i in 0..10 {
            let r = row(&q, 4, "2026-11-03", "online");
            all.push(if i < 5 { also(r, &q2, 5) } else { r });
        }
        for i in 0..5 {
            let r = row(&q, 3, "2026-11-04", "paper");
            all.push(if i == 0 { also(r, &q2, 1) } else { r });
        }
        let chunks = [chunk("HS001", "A1", &all)];
        let key = CellKey { unit: "HS001".into(), group: "households".into(), field: Some("A1".into()) };
        let whole = filtered(&c, &chunks, &Filter::default(), None).expect("chunks");
        assert_eq!((answered(&whole, &key, &q), answered(&whole, &key, &q2)), (15, 6));
        for (source, households) in [("online", 10), ("paper", 5)] {
            let f = filtered(&c, &chunks, &filter(Some(source), None, None), None).expect("chunks");
            assert_eq!(taken(&f, "HS001"), households, "{source}");
            assert_eq!(answered(&f, &key, &q), households, "{source}: every household answered it");
            assert_eq!(answered(&f, &key, &q2), 0, "{source}: 5 + 1 answerers would be split");
            assert_eq!((f.note.cells_withheld, f.note.questions_withheld.clone()), (0, vec![q2.clone()]), "{source}");
        }
    }

    /// «Không biết» counts nowhere in the figures: ten online households
    /// rated the question 4; on paper four did not know and one rated it 1.
    /// Counted together the paper part would be five answerers, a whole
    /// group, and «online» against every answer would give the one paper
    /// rating. The ratings and the «không biết» are grouped apart, so the
    /// question is left out of either filtered report.
    #[test]
    fn not_knowing_does_not_hide_the_one_rating_beside_it() {
        let c = province();
        let q = likert(&c);
        let mut all = rows(&q, &[(4, "2026-11-03", "online", 10), (1, "2026-11-04", "paper", 1)]);
        let mut dont_know = row(&q, 1, "2026-11-04", "paper");
        dont_know.iter_mut().filter(|(code, _)| *code == q).for_each(|(_, v)| *v = "kb".into());
        all.extend(vec![dont_know; 4]);
        let chunks = [chunk("HS001", "A1", &all)];
        let key = CellKey { unit: "HS001".into(), group: "households".into(), field: Some("A1".into()) };
        let whole = filtered(&c, &chunks, &Filter::default(), None).expect("chunks");
        assert_eq!(answered(&whole, &key, &q), 11);
        for source in ["online", "paper"] {
            let f = filtered(&c, &chunks, &filter(Some(source), None, None), None).expect("chunks");
            assert_eq!(f.note.questions_withheld, vec![q.clone()], "{source}");
            assert_eq!(answered(&f, &key, &q), 0, "{source}");
        }
    }

    /// Every filter against every filter it holds, on cells of parts of every
    /// size from 1 to 12 in three sources and two months, a second question
    /// answered by some of each part only. A difference is read between a
    /// filter and one that takes a part of what it takes (the filters'
    /// overlaps are filters too: a source in a month): in every cell the two
    /// differ, in households and in answers to each question, by none or by
    /// at least k, and no filter takes fewer than k of either but the whole.
    /// (Two filters' cells need not nest: a narrower filter may count a cell
    /// whole that a wider one would split; what a cell shows is compared.) That is the
    /// guarantee; the tests above are its cases.
    #[test]
    fn no_filter_and_a_narrower_one_differ_by_fewer_than_k_answers_in_any_cell() {
        let c = province();
        let (q, q2) = (likert(&c), second_likert(&c));
        let k = u64::from(c.anonymity_k);
        let mut seed = 7u64;
        let mut next = move |n: u64| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % n
        };
        let parts: Vec<(&str, &str)> =
            ["online", "offline", "paper"].iter().flat_map(|s| ["2026-11-10", "2026-12-10"].map(|d| (*s, d))).collect();
        let chunks: Vec<AnswerChunk> = (0..300)
            .map(|i| {
                let mut all = Vec::new();
                for (s, d) in &parts {
                    if next(3) == 0 {
                        continue;
                    }
                    // Parts are whole release batches of k or more; one in
                    // four (never a cell's first) has lost answers to a
                    // reviewer's exclusions.
                    let n = if !all.is_empty() && next(4) == 0 { 1 + next(4) } else { 5 + next(12) };
                    let level = 1 + u8::try_from(next(5)).expect("level");
                    let with_second = next(n + 1);
                    for r in 0..n {
                        let one = row(&q, level, d, s);
                        all.push(if r < with_second { also(one, &q2, level) } else { one });
                    }
                }
                chunk(&format!("HS{:03}", 1 + i % 100), &format!("V{i}"), &all)
            })
            .collect();
        let mut filters = Vec::new();
        for source in [None, Some("online"), Some("offline"), Some("paper")] {
            for (from, to) in [(None, None), (Some("2026-11"), Some("2026-11")), (Some("2026-12"), None)] {
                filters.push(filter(source, from, to));
            }
        }
        let month = |d: &str| Some((2026, if d.starts_with("2026-11") { 11 } else { 12 }));
        let holds = |a: &Filter, b: &Filter| parts.iter().all(|(s, d)| !b.takes(s, month(d)) || a.takes(s, month(d)));
        // Per filter: per cell, the households and the answers to each
        // question, `None` for a question the filtered report leaves out.
        type Counts = std::collections::BTreeMap<CellKey, [Option<u64>; 3]>;
        let mut nothing: Vec<[Option<u64>; 3]> = Vec::new();
        let per_cell: Vec<Counts> = filters
            .iter()
            .map(|f| {
                let got = filtered(&c, &chunks, f, None).expect("chunks");
                let shown = |code: &str| !got.note.questions_withheld.iter().any(|w| w == code);
                // A cell the filter leaves out: no households, and no
                // answers to a question it shows.
                nothing.push([Some(0), shown(&q).then_some(0), shown(&q2).then_some(0)]);
                got.agg
                    .cells
                    .iter()
                    .map(|(key, cell)| {
                        let of = |code: &str| shown(code).then(|| answered(&got, key, code));
                        (key.clone(), [Some(cell.responses), of(&q), of(&q2)])
                    })
                    .collect()
            })
            .collect();
        let whats = ["households", "answers", "second question's answers"];
        let mut compared = 0;
        for (i, a) in filters.iter().enumerate() {
            for (j, b) in filters.iter().enumerate() {
                if !holds(a, b) {
                    continue;
                }
                let keys: Vec<String> =
                    per_cell[i].keys().chain(per_cell[j].keys()).map(|k| format!("{k:?}")).collect();
                let cells_i: std::collections::BTreeMap<String, [Option<u64>; 3]> =
                    per_cell[i].iter().map(|(k, v)| (format!("{k:?}"), *v)).collect();
                let cells_j: std::collections::BTreeMap<String, [Option<u64>; 3]> =
                    per_cell[j].iter().map(|(k, v)| (format!("{k:?}"), *v)).collect();
                let all_cells: std::collections::BTreeMap<String, [Option<u64>; 3]> =
                    per_cell[0].iter().map(|(k, v)| (format!("{k:?}"), *v)).collect();
                let levels = [(&cells_i, &cells_j, &all_cells, keys)];
                for (x_of, y_of, all_of, keys) in levels {
                    for key in keys {
                        let (x, y) = (
                            x_of.get(&key).copied().unwrap_or(nothing[i]),
                            y_of.get(&key).copied().unwrap_or(nothing[j]),
                        );
                        let all = all_of.get(&key).copied().unwrap_or(nothing[0]);
                        for (what, ((x, y), all)) in whats.iter().zip(x.iter().zip(y).zip(all)) {
                            // A question either report leaves out gives nothing to subtract.
                            let (Some(x), Some(y), Some(all)) = (*x, y, all) else { continue };
                            // Fewer than k only where the filter takes the whole, as the
                            // report of every answer does.
                            assert!(x == 0 || x >= k || x == all, "{key}: {x} {what}");
                            // A cell that exclusions left below k differs by its
                            // households (a count, never an answer).
                            let small_cell = *what == "households" && all < k;
                            assert!(
                                x == y || x.abs_diff(y) >= k || small_cell,
                                "{key}: {} takes {x} {what}, {} takes {y}",
                                a.label(),
                                b.label()
                            );
                            compared += 1;
                        }
                    }
                }
            }
        }
        assert!(compared > 10_000, "{compared}");
        // Not every filter left every cell out, nor the first question:
        // the test compares figures.
        assert!(per_cell.iter().skip(1).filter(|m| m.len() > 100).count() >= 6);
        assert!(
            per_cell.iter().skip(1).filter(|m| m.values().filter(|c| c[1].is_some_and(|n| n > 0)).count() > 30).count()
                >= 6
        );
    }

    /// A filter that takes every month and source counts exactly what the
    /// stored answers count, response by response.
    #[test]
    fn a_filter_that_takes_everything_counts_what_the_responses_do() {
        let c = province();
        let q = likert(&c);
        let spec = [(5, "2026-11-03", "online", 9), (2, "2026-12-03", "paper", 7), (3, "2026-12-04", "offline", 5)];
        let all = rows(&q, &spec);
        let (one, two) = all.split_at(10);
        let chunks = [chunk("HS001", "A1", one), chunk("HS001", "A2", two)];
        let f = filtered(&c, &chunks, &filter(None, Some("2026-11"), Some("2026-12")), None).expect("chunks");
        let mut agg = Aggregate::new(&c);
        for (i, r) in all.iter().enumerate() {
            let get = |code: &str| r.iter().find(|(c, _)| c == code).map(|(_, v)| v.clone()).expect("cell");
            agg.add(&StoredResponse {
                unit: "HS001".into(),
                group: "households".into(),
                field: Some(if i < 10 { "A1" } else { "A2" }.into()),
                submitted_on: get(columns::DAY).parse().expect("day"),
                source: get(columns::SOURCE),
                ballot: None,
                cells: [(q.clone(), get(&q))].into(),
            });
        }
        assert_eq!(f.agg.cells, agg.cells);
        assert_eq!((f.agg.ignored_answers, f.note.answers), (0, 21));
    }

    #[test]
    fn filters_read_from_a_query_say_what_is_wrong_in_vietnamese() {
        assert!(filter(Some(""), Some(" "), None).is_empty());
        assert_eq!(filter(Some("paper"), Some("2026-11"), None).label(), "nguồn Phiếu giấy · từ tháng 11/2026");
        let bad = Filter::parse(Some("fax"), None, None).expect_err("no such source");
        assert_eq!(bad.field, "source");
        assert!(bad.message.contains("«fax»"), "{}", bad.message);
        let bad = Filter::parse(None, Some("11/2026"), None).expect_err("not YYYY-MM");
        assert_eq!((bad.field, bad.message.contains("2026-11")), ("from", true));
        let bad = Filter::parse(None, Some("2026-12"), Some("2026-11")).expect_err("backwards");
        assert!(bad.message.contains("12/2026"), "{}", bad.message);
        assert_eq!(campaign_months(&province()), [(2026, 11), (2026, 12)]);
    }
}
