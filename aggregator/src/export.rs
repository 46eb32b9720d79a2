//! Anonymous response-level data (SPEC §7 columns), read from the answers kept
//! column by column: one row per response, never a name, phone, address or
//! token, free text masked.

use serde::Serialize;
use sipas_shared::Campaign;
use sipas_shared::store::{Store, StoreError};
use std::io::Write;

/// Failures while exporting.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("không ghi được: {0}")]
    Io(#[from] std::io::Error),
    #[error("không ghi được CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("không ghi được JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("không tạo được XLSX: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("XLSX chứa tối đa 1.048.575 phiếu; hãy xuất CSV")]
    TooManyRowsForXlsx,
}

/// The question columns: every question of every questionnaire, in campaign order.
pub fn question_columns(campaign: &Campaign) -> Vec<String> {
    let mut cols: Vec<String> = Vec::new();
    for q in campaign.questionnaires.iter().flat_map(|q| q.questions()) {
        if !cols.contains(&q.code) {
            cols.push(q.code.clone());
        }
    }
    cols
}

/// One exported response: its cell, its day, and its answers in the order of
/// [`question_columns`] (`""` where it has none), free text masked.
pub struct Row<'a> {
    pub unit: &'a str,
    pub group: &'a str,
    pub field: Option<&'a str>,
    pub day: &'a str,
    pub cells: &'a [&'a str],
}

/// What the export shows in place of a quasi-identifier it generalised.
pub const WITHHELD: &str = "không công bố";

/// The quasi-identifiers of an exported row (SPEC §10): field, day and the
/// answers to the questions marked `identifying`, in the order they are
/// given up (identifying answers first, then the day, then the field). The
/// unit and group stay: every released batch shares them with k − 1 others.
fn quasi_identifiers(campaign: &Campaign, cols: &[String]) -> Vec<usize> {
    cols.iter()
        .enumerate()
        .filter(|(_, c)| campaign.questionnaires.iter().filter_map(|q| q.question(c)).any(|q| q.identifying))
        .map(|(i, _)| i)
        .collect()
}

/// How the export generalises rows so each is shared by at least k rows on
/// its quasi-identifiers (k-anonymity): for each combination seen, which of
/// its values to withhold. Counted over the rows before they are written.
#[derive(Debug, Default)]
pub struct Plan {
    /// Question columns that identify, by index into the question columns.
    identifying: Vec<usize>,
    /// (unit, group, field, day, identifying answers) → values to withhold,
    /// by position in that key (2 = field, 3 = day, 4.. = answers).
    withhold: std::collections::HashMap<Vec<String>, Vec<usize>>,
    /// Values withheld, over all rows.
    pub generalised: u64,
    /// Rows left out: their unit × group holds fewer than k rows in all.
    pub unique_after: u64,
    /// Combinations whose unit × group holds fewer than k rows in all: not
    /// exported ([`Plan::unique_after`] counts their rows).
    left_out: std::collections::HashSet<Vec<String>>,
}

impl Plan {
    fn key(&self, r: &Row<'_>) -> Vec<String> {
        let mut key =
            vec![r.unit.to_owned(), r.group.to_owned(), r.field.unwrap_or_default().to_owned(), r.day.to_owned()];
        key.extend(self.identifying.iter().map(|&c| r.cells[c].to_owned()));
        key
    }

    /// Positions of the key given up in order: rarest identifying answer
    /// first (by `freq`), then the day, then the field.
    fn order(&self, key: &[String], freq: &std::collections::HashMap<(usize, String), u64>) -> Vec<usize> {
        let mut answers: Vec<usize> = (4..key.len()).filter(|&p| !key[p].is_empty()).collect();
        answers.sort_by_key(|&p| (freq.get(&(p, key[p].clone())).copied().unwrap_or(0), p));
        answers.extend([3, 2]);
        answers
    }

    /// Counts the rows' combinations and decides what each withholds.
    fn new(campaign: &Campaign, cols: &[String], count: std::collections::HashMap<Vec<String>, u64>) -> Plan {
        use std::collections::HashMap;
        let k = u64::from(campaign.anonymity_k.max(1));
        let mut plan = Plan { identifying: quasi_identifiers(campaign, cols), ..Plan::default() };
        let mut freq: HashMap<(usize, String), u64> = HashMap::new();
        for (key, n) in &count {
            for (p, value) in key.iter().enumerate().skip(4) {
                *freq.entry((p, value.clone())).or_default() += n;
            }
        }
        // Each original combination and what it has given up so far.
        let mut state: HashMap<Vec<String>, (Vec<String>, Vec<usize>)> =
            count.keys().map(|key| (key.clone(), (key.clone(), Vec::new()))).collect();
        for _ in 0..plan.identifying.len() + 2 {
            let mut current: HashMap<&Vec<String>, u64> = HashMap::new();
            for (original, (now, _)) in &state {
                *current.entry(now).or_default() += count[original];
            }
            let small: Vec<Vec<String>> =
                state.iter().filter(|(_, (now, _))| current[now] < k).map(|(original, _)| original.clone()).collect();
            if small.is_empty() {
                break;
            }
            for original in small {
                let order = plan.order(&original, &freq);
                if let Some(entry) = state.get_mut(&original)
                    && let Some(&next) = order.iter().find(|p| !entry.1.contains(p) && !entry.0[**p].is_empty())
                {
                    entry.0[next] = WITHHELD.to_owned();
                    entry.1.push(next);
                }
            }
        }
        // What is still under k has given up everything it can and still
        // stands out beside its neighbours: it joins one class of its unit ×
        // group with every value withheld, which takes in the smallest other
        // classes there until it holds k. A unit × group under k as a whole
        // is left out of the export.
        let width = state.keys().next().map_or(0, Vec::len);
        let mut by_cell: HashMap<(String, String), Vec<Vec<String>>> = HashMap::new();
        for original in state.keys() {
            by_cell.entry((original[0].clone(), original[1].clone())).or_default().push(original.clone());
        }
        for ((unit, group), originals) in by_cell {
            let mut full = vec![unit, group];
            full.extend(std::iter::repeat_n(WITHHELD.to_owned(), width.saturating_sub(2)));
            let class_sizes = |state: &HashMap<Vec<String>, (Vec<String>, Vec<usize>)>| {
                let mut sizes: HashMap<Vec<String>, u64> = HashMap::new();
                for o in &originals {
                    *sizes.entry(state[o].0.clone()).or_default() += count[o];
                }
                sizes
            };
            let sizes = class_sizes(&state);
            if sizes.values().all(|n| *n >= k) {
                continue;
            }
            let into_full = |state: &mut HashMap<Vec<String>, (Vec<String>, Vec<usize>)>, o: &Vec<String>| {
                if let Some(entry) = state.get_mut(o) {
                    entry.0.clone_from(&full);
                    entry.1 = (2..width).collect();
                }
            };
            for o in &originals {
                if sizes[&state[o].0] < k {
                    into_full(&mut state, o);
                }
            }
            loop {
                let sizes = class_sizes(&state);
                if sizes.get(&full).copied().unwrap_or(0) >= k {
                    break;
                }
                let Some((smallest, _)) =
                    sizes.iter().filter(|(c, _)| **c != full).min_by_key(|(c, n)| (**n, (*c).clone()))
                else {
                    break;
                };
                let smallest = smallest.clone();
                for o in &originals {
                    if state[o].0 == smallest {
                        into_full(&mut state, o);
                    }
                }
            }
        }
        let mut current: HashMap<&Vec<String>, u64> = HashMap::new();
        for (original, (now, _)) in &state {
            *current.entry(now).or_default() += count[original];
        }
        for (original, (now, given)) in &state {
            let n = count[original];
            if current[now] < k {
                plan.unique_after += n;
                plan.left_out.insert(original.clone());
            } else {
                plan.generalised += n * u64::try_from(given.len()).unwrap_or(0);
            }
        }
        plan.withhold = state.into_iter().filter(|(_, (_, g))| !g.is_empty()).map(|(o, (_, g))| (o, g)).collect();
        plan
    }
}

/// The export's plan: every released row counted once on its
/// quasi-identifiers. Only the combinations are held, never the answers.
///
/// # Errors
/// Storage failures or a damaged chunk.
pub async fn plan(store: &dyn Store, campaign: &Campaign) -> Result<Plan, ExportError> {
    let chunks = store.answer_chunks(&campaign.id).await?;
    plan_of(campaign, &chunks)
}

/// The plan over chunks already read.
fn plan_of(campaign: &Campaign, chunks: &[sipas_shared::store::AnswerChunk]) -> Result<Plan, ExportError> {
    let cols = question_columns(campaign);
    let probe = Plan { identifying: quasi_identifiers(campaign, &cols), ..Plan::default() };
    let mut count: std::collections::HashMap<Vec<String>, u64> = std::collections::HashMap::new();
    each_raw_row(chunks, campaign, |r| {
        *count.entry(probe.key(r)).or_default() += 1;
        Ok(())
    })?;
    Ok(Plan::new(campaign, &cols, count))
}

/// Calls `each` for every response in the indices, generalised so that no
/// row is unique on its quasi-identifiers ([`Plan`]), free text masked.
///
/// # Errors
/// Storage failures, a damaged chunk, or what `each` returns.
pub async fn each_row(
    store: &dyn Store,
    campaign: &Campaign,
    mut each: impl FnMut(&Row<'_>) -> Result<(), ExportError>,
) -> Result<u64, ExportError> {
    // One reading of the answers serves both passes: what is counted is
    // exactly what is written.
    let chunks = store.answer_chunks(&campaign.id).await?;
    let plan = plan_of(campaign, &chunks)?;
    each_raw_row(&chunks, campaign, |r| {
        let key = plan.key(r);
        if plan.left_out.contains(&key) {
            return Ok(());
        }
        let given: Vec<usize> = plan.withhold.get(&key).cloned().unwrap_or_default();
        if given.is_empty() {
            return each(r);
        }
        let mut cells: Vec<&str> = r.cells.to_vec();
        let mut field = r.field;
        let mut day = r.day;
        for p in given {
            match p {
                2 => field = Some(WITHHELD),
                3 => day = WITHHELD,
                p => {
                    if let Some(&c) = plan.identifying.get(p - 4) {
                        cells[c] = WITHHELD;
                    }
                }
            }
        }
        each(&Row { unit: r.unit, group: r.group, field, day, cells: &cells })
    })
}

/// Calls `each` for every response in the indices, read from the answers
/// kept column by column: no per-response JSON to parse, each free-text
/// answer masked once. Ordered by unit, group and field, and within a cell
/// by the answers themselves, so the order says nothing of arrival.
///
/// # Errors
/// Storage failures, a damaged chunk, or what `each` returns.
fn each_raw_row(
    chunks: &[sipas_shared::store::AnswerChunk],
    campaign: &Campaign,
    mut each: impl FnMut(&Row<'_>) -> Result<(), ExportError>,
) -> Result<u64, ExportError> {
    use sipas_shared::store::columns;
    let cols = question_columns(campaign);
    let corrupt = |e: columns::ChunkError| ExportError::Store(StoreError::Corrupt(e.to_string()));
    let mut n = 0u64;
    let mut i = 0;
    while i < chunks.len() {
        let (unit, group, field, _, _) = &chunks[i];
        let mut j = i;
        while j < chunks.len() && (&chunks[j].0, &chunks[j].1, &chunks[j].2) == (unit, group, field) {
            j += 1;
        }
        let cell = &chunks[i..j];
        i = j;
        // One chunk per cell once folded; several (or an exclusion) are
        // merged first, so rows of different batches are sorted together.
        let decoded = if cell.len() == 1 && cell[0].3 > 0 {
            columns::decode(&cell[0].4).map_err(corrupt)?
        } else if cell.iter().all(|c| c.3 > 0) {
            let parts: Vec<&[u8]> = cell.iter().map(|c| c.4.as_slice()).collect();
            columns::concat(&parts).map_err(corrupt)?
        } else {
            let parts: Vec<(i64, &[u8])> = cell.iter().map(|c| (c.3, c.4.as_slice())).collect();
            let rows = columns::merge(&parts).map_err(corrupt)?;
            columns::concat(&columns::encode_split(&rows).iter().map(Vec::as_slice).collect::<Vec<_>>())
                .map_err(corrupt)?
        };
        let questionnaire = campaign.questionnaire_of(group);
        let is_text = |code: &str| {
            questionnaire.and_then(|q| q.question(code)).is_some_and(|q| q.kind == sipas_shared::QuestionKind::Text)
        };
        // Where each export column sits in the chunk, and the day.
        let at: Vec<Option<usize>> = cols.iter().map(|c| decoded.questions.iter().position(|q| q == c)).collect();
        let day_at = decoded.questions.iter().position(|q| q == columns::DAY);
        let text_col: Vec<bool> = at.iter().map(|a| a.is_some_and(|q| is_text(&decoded.questions[q]))).collect();
        // Each free-text answer of the chunk masked once.
        let mut masked: Vec<Option<String>> = vec![None; decoded.answers.len()];
        for (c, pos) in at.iter().enumerate() {
            let Some(q) = pos.filter(|_| text_col[c]) else { continue };
            for r in 0..decoded.rows {
                let v = usize::from(decoded.get(r, q));
                if v > 0 && masked[v - 1].is_none() {
                    masked[v - 1] = Some(crate::answers::mask(&decoded.answers[v - 1]));
                }
            }
        }
        let mut cells: Vec<&str> = vec![""; cols.len()];
        for r in 0..decoded.rows {
            for (c, pos) in at.iter().enumerate() {
                cells[c] = match pos.map(|q| usize::from(decoded.get(r, q))) {
                    Some(v) if v > 0 && text_col[c] => masked[v - 1].as_deref().unwrap_or_default(),
                    Some(v) if v > 0 => decoded.answers[v - 1].as_str(),
                    _ => "",
                };
            }
            let day = day_at.map(|q| usize::from(decoded.get(r, q))).filter(|v| *v > 0);
            let row = Row {
                unit,
                group,
                field: field.as_deref(),
                day: day.map_or("", |v| decoded.answers[v - 1].as_str()),
                cells: &cells,
            };
            each(&row)?;
            n += 1;
        }
    }
    Ok(n)
}

/// Writes the ballot CSV; `progress` is called every 10,000 rows.
///
/// # Errors
/// Storage or write failures.
pub async fn csv(
    store: &dyn Store,
    campaign: &Campaign,
    out: impl Write,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<u64, ExportError> {
    let cols = question_columns(campaign);
    let mut out = out;
    // A BOM, so Excel opens the Vietnamese as UTF-8 (importers accept it, SPEC §7).
    out.write_all("\u{feff}".as_bytes())?;
    let mut w = csv::Writer::from_writer(out);
    let mut header = vec!["unit".to_owned(), "group".into(), "field".into(), "submitted_at".into()];
    header.extend(cols.iter().cloned());
    w.write_record(&header)?;
    let mut n = 0u64;
    let mut record = csv::ByteRecord::new();
    each_row(store, campaign, |r| {
        record.clear();
        for c in [r.unit, r.group, r.field.unwrap_or_default(), r.day].iter().chain(r.cells) {
            record.push_field(sipas_shared::files::spreadsheet::defuse(c).as_bytes());
        }
        w.write_byte_record(&record)?;
        n += 1;
        if n.is_multiple_of(10_000) {
            progress(n);
        }
        Ok(())
    })
    .await?;
    w.flush()?;
    progress(n);
    Ok(n)
}

#[derive(Serialize)]
struct JsonRow<'a> {
    unit: &'a str,
    group: &'a str,
    field: Option<&'a str>,
    submitted_at: &'a str,
    answers: std::collections::BTreeMap<&'a str, &'a str>,
}

/// Writes a JSON array of responses, one object a line.
///
/// # Errors
/// Storage or write failures.
pub async fn json(
    store: &dyn Store,
    campaign: &Campaign,
    mut out: impl Write,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<u64, ExportError> {
    let cols = question_columns(campaign);
    out.write_all(b"[")?;
    let mut n = 0u64;
    each_row(store, campaign, |r| {
        out.write_all(if n == 0 { b"\n" } else { b",\n" })?;
        let answers = cols.iter().zip(r.cells).filter(|(_, v)| !v.is_empty()).map(|(c, v)| (c.as_str(), *v)).collect();
        let row = JsonRow { unit: r.unit, group: r.group, field: r.field, submitted_at: r.day, answers };
        serde_json::to_writer(&mut out, &row)?;
        n += 1;
        if n.is_multiple_of(10_000) {
            progress(n);
        }
        Ok(())
    })
    .await?;
    out.write_all(b"\n]\n")?;
    out.flush()?;
    progress(n);
    Ok(n)
}

/// Builds an XLSX workbook of the responses, its rows spooled to temporary
/// files (rust_xlsxwriter's constant-memory sheets); a sheet holds at most
/// 1,048,575 rows. Save it with `Workbook::save`.
///
/// # Errors
/// Storage failures, or more rows than a sheet holds.
pub async fn xlsx(
    store: &dyn Store,
    campaign: &Campaign,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<rust_xlsxwriter::Workbook, ExportError> {
    let cols = question_columns(campaign);
    let mut book = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let sheet = book.add_worksheet_with_constant_memory()?;
    sheet.set_name("Phiếu")?;
    let mut header = vec!["unit".to_owned(), "group".into(), "field".into(), "submitted_at".into()];
    header.extend(cols.iter().cloned());
    for (c, h) in header.iter().enumerate() {
        sheet.write_string_with_format(0, u16::try_from(c).unwrap_or(u16::MAX), h, &bold)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    let mut n = 0u32;
    each_row(store, campaign, |r| {
        n = n.checked_add(1).filter(|n| *n < 1_048_576).ok_or(ExportError::TooManyRowsForXlsx)?;
        let head = [r.unit, r.group, r.field.unwrap_or_default(), r.day];
        for (c, v) in head.iter().chain(r.cells).enumerate() {
            if v.is_empty() {
                continue;
            }
            let c = u16::try_from(c).unwrap_or(u16::MAX);
            // Likert levels and numbers as numbers, so Excel can sum them.
            match v.parse::<f64>() {
                Ok(x) if c >= 4 => sheet.write_number(n, c, x)?,
                _ => sheet.write_string(n, c, *v)?,
            };
        }
        if n.is_multiple_of(10_000) {
            progress(u64::from(n));
        }
        Ok(())
    })
    .await?;
    progress(u64::from(n));
    Ok(book)
}
