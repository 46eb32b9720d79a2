//! The household SIPAS end to end (METHOD §6): village lists in, villages
//! drawn with probability proportional to size under the campaign's draw
//! lease, household lists in; the household stage itself runs in the
//! campaign's draw (`ops::sampling::run`) beside every other group.

use crate::field::households::{Chance, SizedVillage, draw_households, draw_villages as pps};
use crate::field::sampling::{reserve_size, stream};
use crate::files::villages::{read_households, read_villages};
use crate::model::{Campaign, RowError, UnitCode};
use crate::ops::frame::{Allow, ImportError, Imported, Provenance};
use crate::store::field::{Audit, DesignCell, FrameRow, NewSlip, Village};
use crate::store::{Store, StoreError};
use serde::Serialize;
use std::collections::BTreeMap;

/// What a village list import stored.
#[derive(Debug, Clone, Default)]
pub struct VillagesImported {
    pub written: u64,
    pub units: usize,
    pub skipped: Vec<RowError>,
}

/// Reads a village list (every commune's, or a few) and keeps its villages;
/// a file with bad rows stores nothing unless `allow.bad_rows`.
///
/// # Errors
/// [`ImportError::Rows`] naming every bad row; store failures.
pub async fn import_villages(
    store: &dyn Store,
    campaign: &Campaign,
    rows: &[(usize, Vec<String>)],
    allow: Allow,
    from: Provenance<'_>,
) -> Result<VillagesImported, ImportError> {
    let list = read_villages(rows, campaign).map_err(|e| ImportError::Rows(vec![e]))?;
    if !list.errors.is_empty() && !allow.bad_rows {
        return Err(ImportError::Rows(list.errors));
    }
    let villages: Vec<Village> = list
        .villages
        .iter()
        .map(|v| Village {
            unit: v.unit.to_string(),
            code: v.code.clone(),
            name: v.name.clone(),
            households: i64::try_from(v.households).unwrap_or(i64::MAX),
            chance: None,
        })
        .collect();
    let units = villages.iter().map(|v| v.unit.as_str()).collect::<std::collections::BTreeSet<_>>().len();
    let detail = format!(
        "{}: {} thôn của {units} đơn vị, bỏ qua {} dòng lỗi",
        from.file_name,
        villages.len(),
        list.errors.len()
    );
    let audit = Audit {
        actor: from.actor,
        campaign: &campaign.id,
        action: crate::model::AuditAction::VillageImport,
        subject: &campaign.id,
        detail: &detail,
    };
    let written = store.save_villages(&campaign.id, &villages, audit).await.map_err(ImportError::Store)?;
    Ok(VillagesImported { written, units, skipped: list.errors })
}

/// Reads one commune's household list against its villages and keeps its
/// households in the unit's list for the household group.
///
/// # Errors
/// [`ImportError::Rows`] naming every bad row; [`ImportError::NoFrameGroup`]
/// when the campaign has no household group at the unit; store failures.
pub async fn import_households(
    store: &dyn Store,
    campaign: &Campaign,
    unit: &UnitCode,
    rows: &[(usize, Vec<String>)],
    allow: Allow,
    from: Provenance<'_>,
) -> Result<(Imported, Vec<RowError>), ImportError> {
    let Some(group) = household_group(campaign, unit) else {
        return Err(ImportError::NoFrameGroup(unit.to_string()));
    };
    let villages: Vec<(String, String)> = store
        .villages(&campaign.id)
        .await
        .map_err(ImportError::Store)?
        .into_iter()
        .filter(|v| v.unit == unit.as_str())
        .map(|v| (v.code, v.name))
        .collect();
    if villages.is_empty() {
        return Err(ImportError::Rows(vec![RowError {
            line: 1,
            column: None,
            message: format!(
                "đơn vị {unit} chưa có danh sách thôn, tổ dân phố: nhập danh sách thôn trước (sipas villages import)"
            ),
        }]));
    }
    let list = read_households(rows, &villages).map_err(|e| ImportError::Rows(vec![e]))?;
    if !list.errors.is_empty() && !allow.bad_rows {
        return Err(ImportError::Rows(list.errors));
    }
    let name_of: BTreeMap<&str, &str> = villages.iter().map(|(c, n)| (c.as_str(), n.as_str())).collect();
    let people: Vec<crate::store::NewPerson> = list
        .households
        .iter()
        .map(|h| crate::store::NewPerson {
            unit: unit.clone(),
            roster_of: Some(group.to_owned()),
            full_name: h.head.clone(),
            procedure: name_of.get(h.village.as_str()).copied().unwrap_or_default().to_owned(),
            field: Some(h.village.clone()),
            address: h.address.clone(),
            phone: h.phone.clone(),
            email: None,
            household: true,
            source_line: i64::try_from(h.line).ok(),
        })
        .collect();
    let detail = format!("{}: danh sách hộ, bỏ qua {} dòng lỗi", from.file_name, list.errors.len());
    let subject = unit.to_string();
    let audit = Audit {
        actor: from.actor,
        campaign: &campaign.id,
        action: crate::model::AuditAction::FrameImport,
        subject: &subject,
        detail: &detail,
    };
    let scope = crate::store::FrameScope { unit: unit.as_str(), roster_of: Some(group) };
    let (added, removed) = store
        .add_people(&campaign.id, &people, allow.replace.then_some(scope), Some(audit))
        .await
        .map_err(ImportError::Store)?;
    let imported =
        Imported { added, removed, already: people.len() as u64 - added, skipped: list.errors, ..Imported::default() };
    Ok((imported, list.warnings))
}

/// The household group a unit carries, if any.
pub fn household_group<'c>(campaign: &'c Campaign, unit: &UnitCode) -> Option<&'c str> {
    campaign
        .quotas()
        .into_iter()
        .find(|q| q.unit == *unit && q.quota > 0 && campaign.group(&q.group).is_some_and(|g| g.households.is_some()))
        .and_then(|q| campaign.group(&q.group))
        .map(|g| g.code.as_str())
}

/// One commune's first stage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VillageDraw {
    pub unit: String,
    /// Villages on the commune's list, and their households.
    pub listed: usize,
    pub households: i64,
    /// The villages drawn: code, name, households, chance (num, den).
    pub drawn: Vec<(String, String, i64, (i64, i64))>,
    /// Drawn by an earlier run: nothing changed.
    pub earlier: bool,
}

/// Draws, in every commune with a household group and a village list, the
/// design's villages with probability proportional to their households;
/// a commune whose villages were drawn before keeps them. Runs under the
/// campaign's draw lease, so two draws never both draw a commune.
///
/// # Errors
/// Store failures, or another draw of the campaign still running.
pub async fn draw_villages(
    store: &dyn Store,
    campaign: &Campaign,
    seed: u64,
    actor: &str,
) -> Result<Vec<VillageDraw>, StoreError> {
    let lease = crate::ops::lease::take_lease(store, campaign, actor).await?;
    let drawn = village_stage(store, campaign, seed, actor).await;
    store.end_lease(&lease.0, &lease.1).await?;
    drawn
}

async fn village_stage(
    store: &dyn Store,
    campaign: &Campaign,
    seed: u64,
    actor: &str,
) -> Result<Vec<VillageDraw>, StoreError> {
    let villages = store.villages(&campaign.id).await?;
    let mut by_unit: BTreeMap<&str, Vec<&Village>> = BTreeMap::new();
    for v in &villages {
        by_unit.entry(v.unit.as_str()).or_default().push(v);
    }
    let mut out = Vec::new();
    let mut marks: Vec<(String, i64, i64)> = Vec::new();
    for (unit, mine) in by_unit {
        let Ok(code) = UnitCode::parse(unit) else { continue };
        let Some(group) = household_group(campaign, &code) else { continue };
        let Some(design) = campaign.group(group).and_then(|g| g.households) else { continue };
        let households = mine.iter().map(|v| v.households).sum();
        let row = |v: &Village, (num, den): (i64, i64)| (v.code.clone(), v.name.clone(), v.households, (num, den));
        if mine.iter().any(|v| v.chance.is_some()) {
            let drawn = mine.iter().filter_map(|v| v.chance.map(|c| row(v, c))).collect();
            out.push(VillageDraw { unit: unit.to_owned(), listed: mine.len(), households, drawn, earlier: true });
            continue;
        }
        let sized: Vec<SizedVillage> = mine
            .iter()
            .map(|v| SizedVillage { code: v.code.clone(), households: u64::try_from(v.households).unwrap_or_default() })
            .collect();
        let mut rng = stream(seed, &campaign.id, unit, &format!("{group}\u{0}villages"));
        let mut drawn = Vec::new();
        for d in pps(&sized, u64::from(design.villages), &mut rng) {
            let Some((num, den)) = d.chance.stored() else { continue };
            if let Some(v) = mine.iter().find(|v| v.code == d.code) {
                drawn.push(row(v, (num, den)));
                marks.push((d.code, num, den));
            }
        }
        out.push(VillageDraw { unit: unit.to_owned(), listed: mine.len(), households, drawn, earlier: false });
    }
    if !marks.is_empty() {
        let detail = format!("chọn {} thôn, tổ dân phố theo quy mô hộ (seed {seed})", marks.len());
        let audit = Audit {
            actor,
            campaign: &campaign.id,
            action: crate::model::AuditAction::VillageDraw,
            subject: &campaign.id,
            detail: &detail,
        };
        store.mark_villages_drawn(&campaign.id, &marks, audit).await?;
    }
    Ok(out)
}

/// What the household stage gives one unit: its invitations, its villages'
/// design cells, and how many households the sample proper lacks (in
/// villages not drawn yet, or drawn without a household list).
pub(crate) struct HouseholdStage {
    pub slips: Vec<NewSlip>,
    pub cells: Vec<DesignCell>,
    pub short: u64,
    pub listed: u64,
}

/// The second stage in one unit: in each drawn village not yet drawn from,
/// the design's households a village from its list by systematic sampling,
/// with reserves. A drawn village with no household list yet, or one of the
/// design's villages not drawn yet, lacks its whole take.
#[allow(clippy::too_many_arguments)]
pub(crate) fn household_stage(
    campaign: &Campaign,
    unit: &str,
    group: &str,
    design: crate::model::campaign::HouseholdDesign,
    villages: &[&Village],
    list: &[&FrameRow],
    already: &BTreeMap<Option<String>, u64>,
    seed: u64,
    reserve_pct: u32,
) -> HouseholdStage {
    let take = u64::from(design.per_village);
    let undrawn =
        u64::from(design.villages).saturating_sub(villages.iter().filter(|v| v.chance.is_some()).count() as u64);
    let mut stage =
        HouseholdStage { slips: Vec::new(), cells: Vec::new(), short: undrawn * take, listed: list.len() as u64 };
    for v in villages {
        let Some((num, den)) = v.chance else { continue };
        let have = already.get(&Some(v.code.clone())).copied().unwrap_or_default();
        if have > 0 {
            stage.short += take.saturating_sub(have);
            continue;
        }
        // The list in its own order (person ids follow the file's rows).
        let mut listed: Vec<&&FrameRow> = list.iter().filter(|r| r.field.as_deref() == Some(v.code.as_str())).collect();
        listed.sort_by_key(|r| r.person);
        if listed.is_empty() {
            stage.short += take;
            continue;
        }
        let reserves = usize::try_from(reserve_size(take, reserve_pct)).unwrap_or_default();
        let mut rng = stream(seed, &campaign.id, unit, &format!("{group}\u{0}{}", v.code));
        let d = draw_households(listed.len(), usize::try_from(take).unwrap_or_default(), reserves, &mut rng);
        stage.short += take.saturating_sub(d.sample.len() as u64);
        if let Some((chance_num, chance_den)) = Chance::of(num, den).times(d.chance).stored() {
            stage.cells.push(DesignCell {
                unit: unit.to_owned(),
                group: group.to_owned(),
                field: v.code.clone(),
                chance_num,
                chance_den,
                listed: listed.len() as i64,
                take: d.sample.len() as i64,
            });
        }
        let slip = |i: usize, rank: Option<u32>| NewSlip {
            unit: unit.to_owned(),
            group: group.to_owned(),
            field: Some(v.code.clone()),
            person: Some(listed[i].person),
            reserve_rank: rank,
        };
        stage.slips.extend(d.sample.iter().map(|i| slip(*i, None)));
        stage.slips.extend(
            d.reserves.iter().enumerate().map(|(k, i)| slip(*i, Some(u32::try_from(k + 1).unwrap_or(u32::MAX)))),
        );
    }
    stage
}

/// A demo's design without household lists: the villages drawn as a real
/// draw would, and each drawn village's cell as if `per_village` of its
/// listed households had been drawn. Returns the drawn villages per unit,
/// for the demo's answers to come from.
///
/// # Errors
/// Store failures.
pub async fn demo_design(
    store: &dyn Store,
    campaign: &Campaign,
    seed: u64,
) -> Result<BTreeMap<String, Vec<String>>, StoreError> {
    let drawn = draw_villages(store, campaign, seed, "demo").await?;
    let mut cells = Vec::new();
    let mut by_unit: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for d in drawn {
        let Ok(code) = UnitCode::parse(&d.unit) else { continue };
        let Some(group) = household_group(campaign, &code) else { continue };
        let Some(design) = campaign.group(group).and_then(|g| g.households) else { continue };
        for (village, _, households, (num, den)) in d.drawn {
            let take = i64::from(design.per_village).min(households);
            if let Some((chance_num, chance_den)) = Chance::of(num, den).times(Chance::of(take, households)).stored() {
                cells.push(DesignCell {
                    unit: d.unit.clone(),
                    group: group.to_owned(),
                    field: village.clone(),
                    chance_num,
                    chance_den,
                    listed: households,
                    take,
                });
            }
            by_unit.entry(d.unit.clone()).or_default().push(village);
        }
    }
    store.save_design_cells(&campaign.id, &cells).await?;
    Ok(by_unit)
}
