//! Paper ballots in, reports and anonymous exports out.

use super::{Failure, open_campaign, progress, progress_bar};
use crate::cli::{ExportFormat, GenerateArgs, ReportFormat};
use indicatif::ProgressBar;
use sipas_aggregator::report::By;
use sipas_aggregator::{export, load, render};
use sipas_shared::field::demo::Generator;
use sipas_shared::files::appraisal::read_appraisals;
use sipas_shared::files::ballots::read_ballots;
use sipas_shared::model::RowError;
use sipas_shared::{Campaign, Store, StoreError};
use std::io::Write;
use std::path::{Path, PathBuf};

/// A file's bytes, or why it cannot be read.
pub(super) fn read_bytes(file: &Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(file).map_err(|e| {
        Failure::BadInput(format!(
            "{}: không đọc được tệp: {}",
            file.display(),
            sipas_shared::files::source::io_message(&e)
        ))
    })
}

/// Reads a UTF-8 CSV, or says how to save one from Excel.
fn read_csv_text(file: &Path) -> Result<String, Failure> {
    let bytes = read_bytes(file)?;
    String::from_utf8(bytes).map_err(|_| {
        Failure::BadInput(format!("{}: tệp không phải UTF-8 (trong Excel chọn «CSV UTF-8»)", file.display()))
    })
}

/// Every row error of a file, one a line, and that nothing was imported.
pub(super) fn row_errors(file: &Path, errors: &[RowError]) -> Failure {
    let mut msg = format!("{}: {} lỗi, không nhập dòng nào:", file.display(), errors.len());
    for e in errors {
        msg.push_str(&format!("\n  {}: {e}", file.display()));
    }
    Failure::BadInput(msg)
}

/// `sipas frame import`: a counter's transaction list into a unit's sampling frame.
pub async fn import_frame(
    db: &str,
    campaign_id: &str,
    unit: &str,
    file: &Path,
    allow: sipas_shared::ops::frame::Allow,
    roster_of: Option<&str>,
) -> Result<(), Failure> {
    use sipas_shared::files::frame;
    use sipas_shared::ops::frame::{self as import, ImportError};
    let (store, campaign) = open_campaign(db, campaign_id).await?;
    let unit_code = campaign
        .unit(unit)
        .map(|u| u.code.clone())
        .ok_or_else(|| Failure::BadInput(format!("đơn vị «{unit}» không có trong đợt khảo sát «{campaign_id}»")))?;
    if let Some(g) = roster_of {
        match campaign.group(g) {
            Some(group) if !group.frame => {}
            Some(_) => {
                return Err(Failure::BadInput(format!(
                    "--group {g}: nhóm này chọn từ danh sách giao dịch; nhập không có --group"
                )));
            }
            None => return Err(Failure::BadInput(format!("--group {g}: đợt «{campaign_id}» không có nhóm này"))),
        }
    }
    let bytes = read_bytes(file)?;
    let name = file.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let rows = frame::file_rows(name, &bytes).map_err(|e| Failure::BadInput(format!("{}: {e}", file.display())))?;
    let done = match import::import(
        &*store,
        &campaign,
        &unit_code,
        roster_of,
        &rows,
        allow,
        import::Provenance { actor: "dòng lệnh", file_name: name },
    )
    .await
    {
        Ok(done) => done,
        Err(ImportError::Store(e)) => return Err(e.into()),
        Err(ImportError::Rows(errors)) => {
            let mut failure = row_errors(file, &errors).to_string();
            // Advice that fits: a file without its header is not helped by skipping rows.
            if errors.iter().any(|e| e.column.is_some()) {
                failure.push_str("\n(dùng --skip-bad để nhập các dòng hợp lệ và bỏ qua dòng lỗi)");
            } else {
                failure.push_str(
                    "\n(dòng tiêu đề cần có các cột như mẫu: tt, Họ và tên, Tên thủ tục hành chính, Địa chỉ, Số điện thoại)",
                );
            }
            return Err(Failure::BadInput(failure));
        }
        Err(e) => return Err(Failure::BadInput(format!("{}: {e}", file.display()))),
    };
    for e in &done.skipped {
        eprintln!("{}: bỏ qua {e}", file.display());
    }
    for (line, first, key) in &done.duplicates {
        let what = if key.contains('@') { "thư điện tử" } else { "số điện thoại" };
        eprintln!("{}: dòng {line} trùng {what} {key} với dòng {first}: gộp làm một", file.display());
    }
    let list = roster_of.map_or_else(|| "khung chọn mẫu".to_owned(), |g| format!("danh sách nhóm {g}"));
    if allow.replace {
        println!("Đã bỏ {} người của danh sách cũ chưa được mời (người đã được mời giữ nguyên).", done.removed);
    }
    println!(
        "Đã nhập {} người vào {list} của {} ({} dòng lỗi bỏ qua, {} dòng trùng đã gộp, {} người đã có từ trước)",
        done.added,
        unit_code,
        done.skipped.len(),
        done.duplicates.len(),
        done.already
    );
    if !done.unknown_procedures.is_empty() {
        println!("Thủ tục chưa có trong danh mục lĩnh vực (thêm vào procedures_csv của đợt khảo sát):");
        for (p, n) in &done.unknown_procedures {
            println!("  {p} ({n} người)");
        }
    }
    Ok(())
}

/// `sipas frame list`: each unit's lists, with how many are invited.
pub async fn list_frames(db: &str, campaign_id: &str) -> Result<(), Failure> {
    let (store, campaign) = open_campaign(db, campaign_id).await?;
    let rows = store.frame_rows(&campaign.id).await?;
    let mut lists: std::collections::BTreeMap<(String, Option<String>), (u64, u64)> = Default::default();
    for r in &rows {
        let e = lists.entry((r.unit.clone(), r.roster_of.clone())).or_default();
        e.0 += 1;
        e.1 += u64::from(r.invited);
    }
    println!("{:<8} {:<28} {:<22} {:>8} {:>10}", "đơn vị", "tên", "danh sách", "số người", "đã chọn (kể cả dự phòng)");
    for u in &campaign.units {
        for ((unit, roster), (n, invited)) in lists.iter().filter(|((unit, _), _)| unit == u.code.as_str()) {
            let list =
                roster.as_deref().map_or("khung chọn mẫu", |g| campaign.group(g).map_or(g, |g| g.name.as_str()));
            println!("{unit:<8} {:<28} {list:<22} {n:>8} {invited:>10}", u.name);
        }
    }
    if lists.is_empty() {
        println!("Chưa có danh sách nào: sipas frame import --campaign {campaign_id} --unit MÃ TỆP");
    }
    Ok(())
}

/// `sipas frame remove`: a unit's list goes, its invited people stay.
pub async fn remove_frame(db: &str, campaign_id: &str, unit: &str, roster_of: Option<&str>) -> Result<(), Failure> {
    let (store, campaign) = open_campaign(db, campaign_id).await?;
    let Some(u) = campaign.unit(unit) else {
        return Err(Failure::BadInput(format!("đơn vị «{unit}» không có trong đợt khảo sát «{campaign_id}»")));
    };
    if let Some(g) = roster_of
        && campaign.group(g).is_none_or(|g| g.frame)
    {
        return Err(Failure::BadInput(format!("--group {g}: không phải nhóm có danh sách riêng")));
    }
    let scope = sipas_shared::store::FrameScope { unit: u.code.as_str(), roster_of };
    let what = roster_of.map_or_else(
        || "khung chọn mẫu".to_owned(),
        |g| format!("danh sách {}", campaign.group(g).map_or(g, |x| x.name.as_str())),
    );
    let audit = sipas_shared::store::field::Audit {
        actor: "dòng lệnh",
        campaign: &campaign.id,
        action: sipas_shared::model::AuditAction::FrameRemove,
        subject: u.code.as_str(),
        detail: &what,
    };
    let (removed, kept) = store.remove_people(&campaign.id, scope, audit).await?;
    println!("Đã bỏ {removed} người khỏi {what} của {}; giữ {kept} người đã được mời.", u.name);
    Ok(())
}

/// `sipas responses import`: all ballots of a file, or none.
/// With `verify`, a second keyer's file of the same ballots must match cell for cell.
pub async fn import_responses(
    db: &str,
    campaign_id: &str,
    file: &Path,
    verify: Option<&Path>,
    allow_over_quota: bool,
) -> Result<(), Failure> {
    let (store, campaign) = open_campaign(db, campaign_id).await?;
    let text = read_csv_text(file)?;
    let numbered = sipas_shared::files::ballots::read_paper_ballots(&text, &campaign)
        .map_err(|errors| row_errors(file, &errors))?;
    let ballots: Vec<_> = numbered.iter().map(|(_, r)| r.clone()).collect();
    if let Some(second) = verify {
        let other = read_ballots(&read_csv_text(second)?, &campaign).map_err(|errors| row_errors(second, &errors))?;
        let mismatches = sipas_shared::files::ballots::compare_entries(&ballots, &other);
        if !mismatches.is_empty() {
            let mut msg = format!(
                "{} và {}: {} ô nhập khác nhau, không nhập phiếu nào (đối chiếu với phiếu giấy rồi sửa):",
                file.display(),
                second.display(),
                mismatches.len()
            );
            for m in &mismatches {
                msg.push_str(&format!("\n  {m}"));
            }
            return Err(Failure::BadInput(msg));
        }
        println!("Hai lần nhập khớp nhau ({} phiếu).", ballots.len());
    }
    let fingerprint = sha_hex(text.as_bytes());
    let name = file.display().to_string();
    let batch = sipas_shared::store::field::PaperBatch {
        ballots: &numbered,
        allow_over_quota,
        fingerprint: Some(&fingerprint),
        audit: sipas_shared::store::field::Audit {
            actor: "dòng lệnh",
            campaign: &campaign.id,
            action: sipas_shared::model::AuditAction::PaperImport,
            subject: "-",
            detail: &name,
        },
    };
    match store.key_paper_ballots(&campaign.id, batch).await {
        Ok(()) => {}
        Err(StoreError::Rows(errors)) => return Err(row_errors(file, &errors)),
        Err(StoreError::Duplicate(m)) => return Err(Failure::BadInput(format!("{}: {m}", file.display()))),
        Err(e) => return Err(e.into()),
    }
    println!("Đã nhập {} phiếu giấy vào đợt khảo sát {}", ballots.len(), campaign.id);
    Ok(())
}

fn sha_hex(bytes: &[u8]) -> String {
    sipas_shared::model::auth::secret_hash(&String::from_utf8_lossy(bytes))
}

/// `sipas responses numbers`: tops up the printed ballot numbers of every
/// unit × group to its quota plus spares, and lists those not yet keyed
/// (CSV: unit, group, number) for the labels on paper questionnaires.
pub async fn ballot_numbers(db: &str, campaign_id: &str, unit: Option<&str>, spare: u32) -> Result<(), Failure> {
    let (store, campaign) = open_campaign(db, campaign_id).await?;
    if let Some(u) = unit
        && campaign.unit(u).is_none()
    {
        return Err(Failure::BadInput(format!("đợt {campaign_id} không có đơn vị «{u}»")));
    }
    let wanted: Vec<(String, String, u64)> = campaign
        .quotas()
        .into_iter()
        .filter(|q| q.quota > 0 && unit.is_none_or(|u| q.unit.as_str() == u))
        .map(|q| {
            let quota = u64::from(q.quota);
            (q.unit.to_string(), q.group.clone(), quota + (quota * u64::from(spare)).div_ceil(100))
        })
        .collect();
    let issued = store.issue_ballot_numbers(&campaign.id, &wanted, "dòng lệnh").await?;
    eprintln!("Đã phát thêm {issued} số phiếu giấy (chỉ tiêu và {spare} % dự phòng).");
    let mut out = csv::Writer::from_writer(std::io::stdout().lock());
    // For the print shop and the people who read it: names beside the codes,
    // the number as printed.
    out.write_record(["Mã đơn vị", "Đơn vị", "Mã nhóm", "Nhóm đối tượng", "Số phiếu"])
        .map_err(|e| Failure::Other(e.to_string()))?;
    for n in store.ballot_numbers(&campaign.id, unit).await?.into_iter().filter(|n| !n.used) {
        let shown = sipas_collector::slips::display_code(&n.number);
        let unit_name = campaign.unit(&n.unit).map_or(n.unit.as_str(), |u| u.name.as_str());
        let group_name = campaign.group(&n.group).map_or(n.group.as_str(), |g| g.name.as_str());
        out.write_record([n.unit.as_str(), unit_name, n.group.as_str(), group_name, shown.as_str()])
            .map_err(|e| Failure::Other(e.to_string()))?;
    }
    out.flush()?;
    Ok(())
}

/// `sipas par import-appraisal`: replaces the appraised points of the units in the file.
pub async fn import_appraisal(db: &str, campaign_id: &str, file: &Path) -> Result<(), Failure> {
    let (store, campaign) = open_campaign(db, campaign_id).await?;
    let text = read_csv_text(file)?;
    let rows = read_appraisals(&text, &campaign).map_err(|errors| row_errors(file, &errors))?;
    store.replace_appraisals(&campaign.id, &rows).await?;
    let units: std::collections::BTreeSet<&str> = rows.iter().map(|r| r.unit.as_str()).collect();
    println!("Đã nhập {} tiêu chí thẩm định của {} đơn vị", rows.len(), units.len());
    Ok(())
}

/// `sipas demo generate`: synthetic responses in batches, with a progress bar.
pub async fn generate(db: &str, args: &GenerateArgs) -> Result<(), Failure> {
    let (store, campaign) = open_campaign(db, &args.campaign).await?;
    let seed = args.seed.unwrap_or(2026);
    let started = std::time::Instant::now();
    let n = insert_demo(&*store, &campaign, args.responses, seed, true).await?;
    println!("Đã sinh {n} phiếu giả lập (seed {seed}) trong {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// Inserts `count` generated responses; shows progress when asked.
pub async fn insert_demo(
    store: &dyn Store,
    campaign: &Campaign,
    count: u64,
    seed: u64,
    show_progress: bool,
) -> Result<u64, Failure> {
    let mut generator = Generator::new(campaign, seed).ok_or_else(|| {
        Failure::BadInput(format!("đợt khảo sát «{}» chưa có chỉ tiêu nào để sinh phiếu", campaign.id))
    })?;
    // A household group's answers come from its drawn villages.
    if let Some(group) = campaign.groups.iter().find(|g| g.households.is_some()) {
        let mut by_unit: std::collections::BTreeMap<String, Vec<String>> = std::collections::BTreeMap::new();
        for c in store.design_cells(&campaign.id).await?.into_iter().filter(|c| c.group == group.code) {
            by_unit.entry(c.unit).or_default().push(c.field);
        }
        generator = generator.with_villages(&group.code, by_unit);
    }
    let bar = if show_progress { progress_bar(count, "Đang sinh phiếu") } else { ProgressBar::hidden() };
    let mut done = 0u64;
    let mut batch = Vec::with_capacity(10_000);
    while done < count {
        batch.clear();
        let take = (count - done).min(10_000);
        batch.extend((0..take).map(|_| generator.response()));
        store.insert_responses(&campaign.id, &batch).await?;
        done += take;
        bar.set_position(done);
    }
    // Each cell's answers in one chunk, for fast breakdowns by question.
    store.compact_chunks(1).await?;
    bar.finish_and_clear();
    Ok(done)
}

/// `sipas report`.
pub async fn report(
    db: &str,
    campaign_id: &str,
    by: Option<&str>,
    format: ReportFormat,
    out: Option<&Path>,
    compare: Option<&str>,
    filter: &sipas_aggregator::filter::Filter,
) -> Result<(), Failure> {
    let (by, question) = match by {
        None => (By::Unit, None),
        Some(s) => By::parse_spec(s).ok_or_else(|| {
            Failure::BadInput(format!(
                "--by «{s}» không hợp lệ: dùng unit, group, field, unit,field, question:MÃ_CÂU hoặc unit,question:MÃ_CÂU"
            ))
        })?,
    };
    filter
        .allows(question.is_some(), compare.is_some())
        .map_err(|e| Failure::BadInput(format!("--{}: {}", e.field, e.message)))?;
    let (store, campaign) = open_campaign(db, campaign_id).await?;
    if let Some(code) = &question {
        sipas_aggregator::report::check_question(&campaign, code)
            .map_err(|e| Failure::BadInput(format!("--by: {e}")))?;
    }
    release_due(&*store).await?;
    let bar = progress("Đang tổng hợp");
    let mut report =
        load::report_of_group(&*store, &campaign, by, question.as_deref(), None, filter, &|n| bar.set_position(n))
            .await?;
    if let Some(previous) = compare {
        load::compare_with(&*store, &campaign, &mut report, previous).await.map_err(|e| match e {
            StoreError::NotFound(what) => Failure::BadInput(format!("--compare: không có {what} trong cơ sở dữ liệu")),
            other => other.into(),
        })?;
    }
    bar.finish_and_clear();
    let tables = render::tables(&report);
    let bytes = match format {
        ReportFormat::Json => {
            let mut v = serde_json::to_vec_pretty(&report).map_err(|e| Failure::Other(e.to_string()))?;
            v.push(b'\n');
            v
        }
        ReportFormat::Text => render::text::render_report(&report, &tables).into_bytes(),
        ReportFormat::Csv => {
            let mut v = Vec::new();
            render::write_csv(&tables[0], &mut v)?;
            v
        }
        ReportFormat::Docx => render::docx::document(&report, &campaign, &tables).map_err(Failure::Other)?,
        ReportFormat::Xlsx => render::xlsx::report_workbook(&report, tables, campaign.organiser.as_deref())
            .map_err(|e| Failure::Other(e.to_string()))?,
    };
    let default_file = match format {
        ReportFormat::Xlsx => Some(PathBuf::from(format!("{}-bao-cao.xlsx", campaign.id))),
        ReportFormat::Docx => Some(PathBuf::from(format!("{}-bao-cao.docx", campaign.id))),
        _ => None,
    };
    let out = out.or(default_file.as_deref());
    write_out(out, &bytes)
}

/// Before a report or an export: the answers a closed campaign still held
/// are released (with no service running, nothing else would), and said so.
async fn release_due(store: &dyn Store) -> Result<(), Failure> {
    let done = store.sweep(sipas_shared::model::clock::now()).await?;
    if done.released_at_close > 0 {
        eprintln!("Đợt khảo sát đã kết thúc: đã đưa {} phiếu còn chờ vào số liệu.", done.released_at_close);
    }
    Ok(())
}

/// Writes to a file (saying so) or to standard output.
fn write_out(out: Option<&Path>, bytes: &[u8]) -> Result<(), Failure> {
    match out {
        Some(path) => {
            std::fs::write(path, bytes)
                .map_err(|e| Failure::BadInput(format!("{}: không ghi được: {e}", path.display())))?;
            eprintln!("Đã ghi {}", path.display());
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(bytes)?;
            stdout.flush()?;
        }
    }
    Ok(())
}

/// `sipas export`: anonymous response-level data.
pub async fn export(db: &str, campaign_id: &str, format: ExportFormat, out: Option<&Path>) -> Result<(), Failure> {
    let (store, campaign) = open_campaign(db, campaign_id).await?;
    release_due(&*store).await?;
    let bar = progress("Đang xuất");
    let tick = |n| bar.set_position(n);
    let fail = |e: export::ExportError| Failure::Other(e.to_string());
    let n = match format {
        ExportFormat::Xlsx => {
            let default = PathBuf::from(format!("{}-phieu.xlsx", campaign.id));
            let path = out.unwrap_or(&default);
            let mut book = export::xlsx(&*store, &campaign, &tick).await.map_err(fail)?;
            book.save(path).map_err(|e| Failure::BadInput(format!("{}: không ghi được: {e}", path.display())))?;
            eprintln!("Đã ghi {}", path.display());
            bar.position()
        }
        ExportFormat::Csv | ExportFormat::Json => {
            let writer: Box<dyn Write> = match out {
                Some(path) => Box::new(std::io::BufWriter::new(
                    std::fs::File::create(path)
                        .map_err(|e| Failure::BadInput(format!("{}: không ghi được: {e}", path.display())))?,
                )),
                None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
            };
            if matches!(format, ExportFormat::Csv) {
                export::csv(&*store, &campaign, writer, &tick).await.map_err(fail)?
            } else {
                export::json(&*store, &campaign, writer, &tick).await.map_err(fail)?
            }
        }
    };
    bar.finish_and_clear();
    eprintln!("{n} phiếu");
    Ok(())
}
