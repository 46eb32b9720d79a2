//! The household SIPAS from the command line: `villages import`, `villages
//! draw`, `villages list`, `households import`; the households themselves
//! are drawn by `sample` with every other group.

use super::data::row_errors;
use super::{Failure, open_campaign};
use sipas_shared::field::sampling;
use sipas_shared::files::villages::list_rows;
use sipas_shared::model::text::ellipsis;
use sipas_shared::ops::frame::{Allow, ImportError, Provenance};
use sipas_shared::ops::households as ops;
use std::path::Path;

const CLI_ACTOR: &str = "dòng lệnh";

/// A file's name and its raw rows, numbered as in the file.
type Rows = (String, Vec<(usize, Vec<String>)>);

fn read_rows(file: &Path) -> Result<Rows, Failure> {
    let bytes = super::data::read_bytes(file)?;
    let name = file.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
    let rows = list_rows(&name, &bytes).map_err(|e| Failure::BadInput(format!("{}: {e}", file.display())))?;
    Ok((name, rows))
}

fn import_failure(file: &Path, e: ImportError) -> Failure {
    match e {
        ImportError::Store(e) => e.into(),
        ImportError::Rows(errors) => {
            let mut failure = row_errors(file, &errors).to_string();
            if errors.iter().any(|e| e.column.is_some()) {
                failure.push_str("\n(dùng --skip-bad để nhập các dòng hợp lệ và bỏ qua dòng lỗi)");
            }
            Failure::BadInput(failure)
        }
        other => Failure::BadInput(format!("{}: {other}", file.display())),
    }
}

/// `sipas villages import`.
pub async fn import_villages(db: &str, id: &str, file: &Path, skip_bad: bool) -> Result<(), Failure> {
    let (store, campaign) = open_campaign(db, id).await?;
    if !campaign.groups.iter().any(|g| g.households.is_some()) {
        return Err(Failure::BadInput(format!(
            "đợt «{id}» không có nhóm hộ gia đình (households = {{ villages = …, per_village = … }} trong tệp đợt)"
        )));
    }
    let (name, rows) = read_rows(file)?;
    let allow = Allow { bad_rows: skip_bad, ..Allow::default() };
    let done =
        ops::import_villages(&*store, &campaign, &rows, allow, Provenance { actor: CLI_ACTOR, file_name: &name })
            .await
            .map_err(|e| import_failure(file, e))?;
    for e in &done.skipped {
        eprintln!("{}: bỏ qua {e}", file.display());
    }
    println!(
        "Đã ghi {} thôn, tổ dân phố của {} đơn vị (thôn đã được chọn giữ nguyên số hộ lúc chọn).",
        done.written, done.units
    );
    Ok(())
}

/// `sipas villages draw`.
pub async fn draw_villages(db: &str, id: &str, seed: Option<u64>) -> Result<(), Failure> {
    let (store, campaign) = open_campaign(db, id).await?;
    let seed = seed.unwrap_or_else(sampling::fresh_seed);
    let rows = ops::draw_villages(&*store, &campaign, seed, CLI_ACTOR).await?;
    if rows.is_empty() {
        return Err(Failure::BadInput(format!(
            "đợt «{id}» chưa có danh sách thôn, tổ dân phố: nhập trước bằng `sipas villages import --campaign {id} <tệp>`"
        )));
    }
    println!("Chọn thôn, tổ dân phố theo quy mô hộ (PPS hệ thống, seed {seed}):");
    let (mut new, mut earlier) = (0, 0);
    for r in &rows {
        let unit = campaign.unit(&r.unit).map_or(r.unit.as_str(), |u| u.name.as_str());
        let note = if r.earlier { " (đã chọn từ trước, giữ nguyên)" } else { "" };
        println!("{} — {} thôn, {} hộ{note}", ellipsis(unit, 40), r.listed, r.households);
        for (_, name, households, (num, den)) in &r.drawn {
            println!("    {:<32} {:>6} hộ   xác suất chọn {}", ellipsis(name, 32), households, chance(*num, *den));
        }
        if r.earlier { earlier += 1 } else { new += 1 }
    }
    println!(
        "Đã chọn thôn ở {new} đơn vị; {earlier} đơn vị đã chọn từ trước. Bước tiếp: nhập danh sách hộ của các thôn đã chọn \
         (`sipas households import --campaign {id} --unit <mã> <tệp>`), rồi `sipas sample --campaign {id}`."
    );
    Ok(())
}

/// A chance as people read it: a percentage with a decimal comma, or «chắc chắn».
fn chance(num: i64, den: i64) -> String {
    if num >= den {
        return "chắc chắn (thôn lớn)".to_owned();
    }
    format!("{} %", sipas_aggregator::render::vn_decimal(100.0 * num as f64 / den.max(1) as f64))
}

/// `sipas villages list`.
pub async fn list_villages(db: &str, id: &str) -> Result<(), Failure> {
    let (store, campaign) = open_campaign(db, id).await?;
    let villages = store.villages(&campaign.id).await?;
    let listed = store.frame_rows(&campaign.id).await?;
    let cells = store.design_cells(&campaign.id).await?;
    let mut unit = "";
    for v in villages.iter().filter(|v| v.chance.is_some()) {
        if v.unit != unit {
            unit = &v.unit;
            println!("{}", campaign.unit(unit).map_or(unit, |u| u.name.as_str()));
        }
        let on_list = listed.iter().filter(|r| r.unit == v.unit && r.field.as_deref() == Some(v.code.as_str())).count();
        let weight = cells
            .iter()
            .find(|c| c.unit == v.unit && c.field == v.code)
            .map(|c| format!("quyền số {:.1}", c.weight()).replace('.', ","))
            .unwrap_or_else(|| "chưa chọn hộ".to_owned());
        let (num, den) = v.chance.unwrap_or((0, 1));
        println!(
            "    {:<32} {:>6} hộ   xác suất chọn {:<22} danh sách hộ: {:>5}   {weight}",
            ellipsis(&v.name, 32),
            v.households,
            chance(num, den),
            on_list
        );
    }
    if unit.is_empty() {
        println!("Chưa chọn thôn nào; chạy `sipas villages draw --campaign {id}`.");
    }
    Ok(())
}

/// `sipas households import`.
pub async fn import_households(
    db: &str,
    id: &str,
    unit: &str,
    file: &Path,
    skip_bad: bool,
    replace: bool,
) -> Result<(), Failure> {
    let (store, campaign) = open_campaign(db, id).await?;
    let code = campaign
        .unit(unit)
        .map(|u| u.code.clone())
        .ok_or_else(|| Failure::BadInput(format!("đơn vị «{unit}» không có trong đợt khảo sát «{id}»")))?;
    let (name, rows) = read_rows(file)?;
    let allow = Allow { bad_rows: skip_bad, replace, ..Allow::default() };
    let (done, warnings) = ops::import_households(
        &*store,
        &campaign,
        &code,
        &rows,
        allow,
        Provenance { actor: CLI_ACTOR, file_name: &name },
    )
    .await
    .map_err(|e| import_failure(file, e))?;
    for e in &done.skipped {
        eprintln!("{}: bỏ qua {e}", file.display());
    }
    for w in &warnings {
        eprintln!("{}: {w}", file.display());
    }
    if replace {
        println!("Đã bỏ {} hộ của danh sách cũ chưa được mời.", done.removed);
    }
    println!("Đã nhập {} hộ vào danh sách của {} ({} hộ đã có).", done.added, code, done.already);
    Ok(())
}
