//! The aggregator's edge to storage. Reports read the counts the store keeps
//! as answers arrive ([`aggregate`]); [`aggregate_streamed`] recounts every
//! response, the reference the tests hold the counts to. Memory stays flat
//! however many responses there are.

use crate::filter::Filter;
use crate::report::{self, By, Context, Report};
use crate::tally::Aggregate;
use futures::TryStreamExt;
use sipas_shared::Campaign;
use sipas_shared::store::{Store, StoreError};

/// The campaign's counts, from the tallies kept as answers arrived.
///
/// # Errors
/// Storage failures.
pub async fn aggregate<'c>(
    store: &dyn Store,
    campaign: &'c Campaign,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Aggregate<'c>, StoreError> {
    let tallies = store.tallies(&campaign.id).await?;
    let mut agg = Aggregate::new(campaign);
    agg.add_tallies(&tallies);
    progress(agg.responses(|_| true));
    Ok(agg)
}

/// Counts every response of the campaign; `progress` is called every 10,000.
///
/// # Errors
/// Storage failures.
pub async fn aggregate_streamed<'c>(
    store: &dyn Store,
    campaign: &'c Campaign,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Aggregate<'c>, StoreError> {
    let mut agg = Aggregate::new(campaign);
    let mut stream = store.responses(&campaign.id);
    let mut seen = 0u64;
    while let Some(r) = stream.try_next().await? {
        agg.add(&r);
        seen += 1;
        if seen.is_multiple_of(10_000) {
            progress(seen);
        }
    }
    progress(seen);
    Ok(agg)
}

/// The full report of a campaign, as `sipas report` and the API give it.
///
/// # Errors
/// Storage failures.
pub async fn report(
    store: &dyn Store,
    campaign: &Campaign,
    by: By,
    question: Option<&str>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Report, StoreError> {
    report_of_group(store, campaign, by, question, None, &Filter::default(), progress).await
}

/// [`report`] over one respondent group's answers only (`group`, its code),
/// or every group's, and over the answers `filter` takes ([`crate::filter`]:
/// counted from the chunks, not the tallies). A question's breakdown is not
/// made under a filter.
///
/// # Errors
/// Storage failures.
pub async fn report_of_group(
    store: &dyn Store,
    campaign: &Campaign,
    by: By,
    question: Option<&str>,
    group: Option<&str>,
    filter: &Filter,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Report, StoreError> {
    let started = std::time::Instant::now();
    let phase = |name: &str| tracing::debug!(phase = name, ms = started.elapsed().as_secs_f64() * 1e3, "báo cáo");
    let households = campaign.groups.iter().any(|g| g.households.is_some());
    let comments = asks_text(campaign);
    // The design-weighted figures are the household group's: none for
    // another group's report (nor a filtered one, which reads no `columns`).
    let weighted =
        households && group.is_none_or(|g| campaign.groups.iter().any(|x| x.code == g && x.households.is_some()));
    // The three reads are independent: the counts, the answers kept column
    // by column, and the rest of the context. The design-weighted figures
    // start on a thread of their own as soon as the answers are read, while
    // the store still reads the counts: at a million answers the two take
    // about as long. The answers come back to be read for the comments and
    // freed here: a thread that ends holding memory keeps it from the system.
    let columns = async {
        let cells = if weighted { store.design_cells(&campaign.id).await? } else { Vec::new() };
        if !comments && cells.is_empty() {
            return Ok::<_, StoreError>((Vec::new(), None));
        }
        let chunks = store.answer_chunks(&campaign.id).await?;
        let (chunks, design) = if cells.is_empty() {
            (chunks, None)
        } else {
            let owned = campaign.clone();
            let (done, result) = futures::channel::oneshot::channel();
            let work = std::thread::spawn(move || {
                let design = crate::weighted::design_report(&owned, &chunks, &cells);
                drop(cells);
                let _ = done.send((chunks, design));
            });
            match result.await {
                Ok((chunks, design)) => (chunks, Some(design)),
                // The thread ended without an answer: it panicked.
                Err(_) => std::panic::resume_unwind(work.join().err().unwrap_or_else(|| Box::new("design thread"))),
            }
        };
        let corrupt = |e: sipas_shared::store::columns::ChunkError| StoreError::Corrupt(e.to_string());
        let texts = if comments { crate::crosstab::texts(campaign, &chunks).map_err(corrupt)? } else { Vec::new() };
        Ok((texts, design.transpose().map_err(corrupt)?))
    };
    let context = async {
        Ok::<_, StoreError>((
            store.quota_board(&campaign.id).await?,
            store.frame_field_counts(&campaign.id).await?,
            store.appraisals(&campaign.id).await?,
            store.anonymity(&campaign.id).await?,
            above_unit(store, campaign).await?,
        ))
    };
    let counts = async {
        if filter.is_empty() {
            let (agg, (texts, design)) = futures::try_join!(aggregate(store, campaign, progress), columns)?;
            return Ok((agg, texts, design, None));
        }
        let chunks = store.answer_chunks(&campaign.id).await?;
        let f = crate::filter::filtered(campaign, &chunks, filter, group)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        progress(f.note.answers);
        Ok::<_, StoreError>((f.agg, f.texts, None, Some(f.note)))
    };
    let ((mut agg, mut texts, design, note), (mut quotas, frame_fields, appraisals, anonymity, above_unit)) =
        futures::try_join!(counts, context)?;
    phase("read");
    if let Some(g) = group {
        agg.cells.retain(|k, _| k.group == g);
        quotas.retain(|q| q.group == g);
        texts.retain(|t| t.1 == g);
    }
    let ctx = Context {
        generated_at: sipas_shared::model::clock::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        quotas,
        frame_fields,
        appraisals,
        anonymity,
        texts,
        above_unit,
    };
    let mut report = report::build(&agg, &ctx, if question.is_some() { By::Unit } else { by });
    phase("build");
    if let Some(design) = design {
        report.design = design;
    }
    if let Some(code) = question.filter(|_| filter.is_empty()) {
        report.breakdown = Some(breakdown_by_question(store, campaign, by, code).await?);
    }
    if let Some(g) = group {
        let name = campaign.groups.iter().find(|x| x.code == g).map_or(g, |x| x.name.as_str());
        report.name = format!("{} — {name}", report.name);
        report.group = Some(g.to_owned());
    }
    if let Some(note) = note {
        report.name = format!("{} — {}", report.name, note.label);
        report.filter = Some(note);
    }
    Ok(report)
}

/// The breakdown by the answer to `code`, from the answers kept column by column.
///
/// # Errors
/// Storage failures, or a damaged chunk.
pub async fn breakdown_by_question(
    store: &dyn Store,
    campaign: &Campaign,
    by: By,
    code: &str,
) -> Result<report::Breakdown, StoreError> {
    let chunks = store.answer_chunks(&campaign.id).await?;
    let cross = crate::crosstab::by_answer(campaign, &chunks, code).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(report::question_breakdown(&cross, by, code))
}

/// The free-text answers of the campaign (unit, group, field, question,
/// text), from the answers kept column by column: a few chunks per cell,
/// not every response.
///
/// # Errors
/// Storage failures, or a damaged chunk.
pub async fn texts(store: &dyn Store, campaign: &Campaign) -> Result<Vec<crate::answers::TextAnswer>, StoreError> {
    if !asks_text(campaign) {
        return Ok(Vec::new());
    }
    let chunks = store.answer_chunks(&campaign.id).await?;
    crate::crosstab::texts(campaign, &chunks).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Whether any questionnaire of the campaign asks a free-text question.
fn asks_text(campaign: &Campaign) -> bool {
    campaign
        .questionnaires
        .iter()
        .flat_map(|q| q.questions())
        .any(|q| q.kind == sipas_shared::model::questionnaire::QuestionKind::Text)
}

/// Per unit, its answers released above the units at close.
///
/// # Errors
/// Storage failures.
pub async fn above_unit(
    store: &dyn Store,
    campaign: &Campaign,
) -> Result<std::collections::BTreeMap<String, u64>, StoreError> {
    let mut out = std::collections::BTreeMap::new();
    for line in store.releases(&campaign.id).await? {
        if line.kind == sipas_shared::store::release::ReleaseKind::AboveUnitShare {
            *out.entry(line.unit).or_default() += u64::try_from(line.n).unwrap_or(0);
        }
    }
    Ok(out)
}

/// Adds to `report` the comparison with the campaign `previous` (by id),
/// last year's figures pooled over each unit's predecessors.
///
/// # Errors
/// Storage failures; `StoreError::NotFound` when no such campaign is stored.
pub async fn compare_with(
    store: &dyn Store,
    campaign: &Campaign,
    report: &mut Report,
    previous: &str,
) -> Result<(), StoreError> {
    let Some(before) = store.campaign(previous).await? else {
        // Last year not run in the product: the figures it published, if loaded.
        if campaign.follows.as_deref() == Some(previous) && !campaign.previous_figures.is_empty() {
            report.comparison = Some(crate::trend::compare_published(report, campaign, previous));
            return Ok(());
        }
        return Err(StoreError::NotFound(format!("đợt khảo sát «{previous}»")));
    };
    let mut last = aggregate(store, &before, &|_| {}).await?;
    // One group's figures this year against the same group's last year.
    if let Some(g) = &report.group {
        last.cells.retain(|k, _| &k.group == g);
    }
    let appraisals = store.appraisals(&before.id).await?;
    report.comparison = Some(crate::trend::compare(report, campaign, &before, &last, &appraisals));
    Ok(())
}
