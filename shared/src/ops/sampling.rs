//! A sampling run over the store: one draw of a campaign at a time (a lease),
//! the frame read from the store, the pure draw of `field::sampling`, the
//! invitations written back with an audit line.

use crate::field::sampling::{Candidate, Plan, draw, recommended_size, reserve_size, stream};
use crate::model::Campaign;
use crate::store::field::{Audit, FrameRow, NewSlip};
use crate::store::{Store, StoreError};
use rand::seq::SliceRandom;
use serde::Serialize;
use std::collections::BTreeMap;

/// What one unit × group got from a sampling run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DrawSummary {
    pub unit: String,
    pub group: String,
    pub quota: u64,
    /// People in the unit's frame or the group's roster (0 for a group invited in full).
    pub frame: u64,
    /// n ÷ (1 + n·e²) at a 5 % margin, to show beside the quota.
    pub recommended: u64,
    /// Invitations issued by this run: sample proper and reserves.
    pub drawn: u64,
    pub reserves: u64,
    /// Invitations of the sample proper missing because the frame is too small.
    pub short: u64,
}

/// Draws, for every unit × group of a campaign, what its sample still lacks and
/// issues the invitations: from the frame, stratified by field, for groups
/// drawn from the counters' lists; from the group's roster for the others when
/// one was imported (everyone, if the roster is no larger than the quota); or
/// else open invitations up to the quota (invited in full, handed out by the
/// unit). People already invited are never drawn again.
///
/// # Errors
/// Store failures.
pub async fn run(
    store: &dyn Store,
    campaign: &Campaign,
    seed: u64,
    reserve_pct: u32,
    actor: &str,
) -> Result<Vec<DrawSummary>, StoreError> {
    let lease = crate::ops::lease::take_lease(store, campaign, actor).await?;
    let drawn = draw_all(store, campaign, seed, reserve_pct, actor).await;
    store.end_lease(&lease.0, &lease.1).await?;
    drawn
}

/// One unit × group × field whose reserves ran out.
#[derive(Debug, Clone, Copy)]
pub struct Cell<'a> {
    pub unit: &'a str,
    pub group: &'a str,
    pub field: Option<&'a str>,
}

/// Draws more reserves for one cell whose reserves are used up: from the
/// people of that unit's list in that field not yet invited, in an order
/// seeded like the first draw (the seed, campaign, unit, group, field and how
/// many reserves the cell already had), as many as the first draw's reserve
/// share of the cell's sample (at least one), ranked after those already
/// there. Returns how many were drawn (0 when the list has nobody left).
///
/// # Errors
/// Store failures, or another draw of the campaign still running.
pub async fn more_reserves(
    store: &dyn Store,
    campaign: &Campaign,
    cell: Cell<'_>,
    seed: u64,
    actor: &str,
) -> Result<u64, StoreError> {
    let lease = crate::ops::lease::take_lease(store, campaign, actor).await?;
    let drawn = draw_more(store, campaign, cell, seed, actor).await;
    store.end_lease(&lease.0, &lease.1).await?;
    drawn
}

async fn draw_more(
    store: &dyn Store,
    campaign: &Campaign,
    Cell { unit, group, field }: Cell<'_>,
    seed: u64,
    actor: &str,
) -> Result<u64, StoreError> {
    let Some(g) = campaign.group(group) else { return Ok(0) };
    let wanted = if g.frame { None } else { Some(group) };
    let rows = store.frame_rows(&campaign.id).await?;
    let mut pool: Vec<&FrameRow> = rows
        .iter()
        .filter(|r| r.unit == unit && r.roster_of.as_deref() == wanted && r.field.as_deref() == field && !r.invited)
        .collect();
    let counts = store.drawn_counts(&campaign.id).await?;
    let mine = |reserve: bool| -> u64 {
        counts
            .iter()
            .filter(|d| {
                d.unit == unit
                    && d.group == group
                    && d.field.as_deref() == field
                    && d.reserve == reserve
                    && d.from_frame
            })
            .map(|d| u64::try_from(d.n).unwrap_or_default())
            .sum()
    };
    let (main, had) = (mine(false), mine(true));
    let n = reserve_size(main, 50).max(1);
    pool.sort_by(|a, b| a.phone.cmp(&b.phone).then(a.person.cmp(&b.person)));
    let label = field.unwrap_or("(chưa xếp lĩnh vực)");
    let mut rng = stream(seed, &campaign.id, unit, &format!("{group}\u{0}{label}\u{0}more{had}"));
    pool.shuffle(&mut rng);
    let slips: Vec<NewSlip> = pool
        .iter()
        .take(usize::try_from(n).unwrap_or(usize::MAX))
        .enumerate()
        .map(|(k, r)| NewSlip {
            unit: unit.to_owned(),
            group: group.to_owned(),
            field: r.field.clone(),
            person: Some(r.person),
            reserve_rank: Some(u32::try_from(had + k as u64 + 1).unwrap_or(u32::MAX)),
        })
        .collect();
    if slips.is_empty() {
        return Ok(0);
    }
    let subject = format!("{unit}/{group}");
    let detail = format!("rút thêm {} dự phòng lĩnh vực {label} (seed {seed})", slips.len());
    let audit = Audit {
        actor,
        campaign: &campaign.id,
        action: crate::model::AuditAction::MoreReserves,
        subject: &subject,
        detail: &detail,
    };
    store.issue_slips(&campaign.id, &slips, audit).await
}

async fn draw_all(
    store: &dyn Store,
    campaign: &Campaign,
    seed: u64,
    reserve_pct: u32,
    actor: &str,
) -> Result<Vec<DrawSummary>, StoreError> {
    let rows = store.frame_rows(&campaign.id).await?;
    let drawn = store.drawn_counts(&campaign.id).await?;
    let has_households = campaign.groups.iter().any(|g| g.households.is_some());
    let villages = if has_households { store.villages(&campaign.id).await? } else { Vec::new() };
    let mut by_unit: BTreeMap<&str, Vec<&FrameRow>> = BTreeMap::new();
    for r in &rows {
        by_unit.entry(r.unit.as_str()).or_default().push(r);
    }
    let mut out = Vec::new();
    for q in campaign.quotas() {
        let (unit, group) = (q.unit.as_str(), q.group.as_str());
        let Some(g) = campaign.group(group) else { continue };
        // Walk-ins from the counter QR are not part of a drawn sample.
        let mine = drawn.iter().filter(|d| d.unit == unit && d.group == group && (d.from_frame || !g.frame));
        let mut plan = Plan { quota: u64::from(q.quota), ..Plan::default() };
        for d in mine {
            let n = u64::try_from(d.n).unwrap_or_default();
            let m = if d.reserve { &mut plan.reserved } else { &mut plan.drawn };
            *m.entry(d.field.clone()).or_default() += n;
        }
        // A frame group draws from the counters' lists; another group from
        // its roster when one was imported, or else is invited in full.
        let list: Vec<&FrameRow> = by_unit
            .get(unit)
            .map(|rows| {
                let wanted = if g.frame { None } else { Some(group) };
                rows.iter().copied().filter(|r| r.roster_of.as_deref() == wanted).collect()
            })
            .unwrap_or_default();
        if let Some(design) = g.households {
            let mine: Vec<&crate::store::field::Village> = villages.iter().filter(|v| v.unit == unit).collect();
            let stage = crate::ops::households::household_stage(
                campaign,
                unit,
                group,
                design,
                &mine,
                &list,
                &plan.drawn,
                seed,
                reserve_pct,
            );
            let reserves = stage.slips.iter().filter(|s| s.reserve_rank.is_some()).count() as u64;
            let summary = DrawSummary {
                unit: unit.to_owned(),
                group: group.to_owned(),
                quota: plan.quota,
                frame: stage.listed,
                recommended: recommended_size(stage.listed, 0.05),
                drawn: stage.slips.len() as u64 - reserves,
                reserves,
                short: stage.short,
            };
            if !stage.slips.is_empty() {
                // The design first: a draw cut short after it is redone the same.
                store.save_design_cells(&campaign.id, &stage.cells).await?;
                let detail = format!(
                    "rút {} hộ và {} dự phòng ở {} thôn (seed {seed}, dự phòng {reserve_pct} %)",
                    summary.drawn,
                    reserves,
                    stage.cells.len()
                );
                issue(store, campaign, &summary, &stage.slips, actor, &detail).await?;
            }
            out.push(summary);
            continue;
        }
        let slips: Vec<NewSlip> = if g.frame || !list.is_empty() {
            for r in &list {
                *plan.frame_sizes.entry(r.field.clone()).or_default() += 1;
                if !r.invited {
                    plan.candidates.push(Candidate { person: r.person, field: r.field.clone(), key: r.phone.clone() });
                }
            }
            draw(&plan, reserve_pct, seed, &campaign.id, unit, group)
                .into_iter()
                .map(|d| NewSlip {
                    unit: unit.to_owned(),
                    group: group.to_owned(),
                    field: d.field,
                    person: Some(d.person),
                    reserve_rank: d.reserve_rank,
                })
                .collect()
        } else {
            let have: u64 = plan.drawn.values().sum();
            (have..plan.quota)
                .map(|_| NewSlip {
                    unit: unit.to_owned(),
                    group: group.to_owned(),
                    field: None,
                    person: None,
                    reserve_rank: None,
                })
                .collect()
        };
        let frame_rows = &list;
        let reserves = slips.iter().filter(|s| s.reserve_rank.is_some()).count() as u64;
        let main_now = plan.drawn.values().sum::<u64>() + (slips.len() as u64 - reserves);
        let frame = frame_rows.len() as u64;
        let summary = DrawSummary {
            unit: unit.to_owned(),
            group: group.to_owned(),
            quota: plan.quota,
            frame,
            recommended: recommended_size(frame, 0.05),
            drawn: slips.len() as u64 - reserves,
            reserves,
            short: plan.quota.saturating_sub(main_now),
        };
        if !slips.is_empty() {
            let detail =
                format!("rút {} phiếu và {} dự phòng (seed {seed}, dự phòng {reserve_pct} %)", summary.drawn, reserves);
            issue(store, campaign, &summary, &slips, actor, &detail).await?;
        }
        out.push(summary);
    }
    Ok(out)
}

/// Issues a unit × group's invitations with the draw's audit line.
async fn issue(
    store: &dyn Store,
    campaign: &Campaign,
    summary: &DrawSummary,
    slips: &[NewSlip],
    actor: &str,
    detail: &str,
) -> Result<u64, StoreError> {
    let subject = format!("{}/{}", summary.unit, summary.group);
    let audit =
        Audit { actor, campaign: &campaign.id, action: crate::model::AuditAction::Sample, subject: &subject, detail };
    store.issue_slips(&campaign.id, slips, audit).await
}
