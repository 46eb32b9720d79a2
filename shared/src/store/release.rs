//! Which held answers come out together (SPEC §10): the batch an answer is
//! released in is the crowd it hides in, so no batch is smaller than k.
//! During fieldwork a batch is one unit × group × field that holds k. At
//! close, what is left of a unit × group is pooled with its field suppressed
//! ([`GENERALISED_FIELD`]); a unit × group whose rest is still under k is
//! pooled with the same group's rest from every unit and released above the
//! units ([`ABOVE_UNITS`]), counting only in the campaign's figures; what is
//! under k even there stays sealed. Pure planning; the SQL is in `held_sql`.

use std::collections::BTreeMap;

/// The unit of answers released above the units: they count in the
/// campaign's totals and in no unit's figures.
pub const ABOVE_UNITS: &str = "*";

/// The field of a counter link whose person chose «Khác / không rõ»: a field
/// of its own, so every counter link has one (SPEC §10).
pub const OTHER_FIELD: &str = "Khác / không rõ";

/// How pages and printouts name [`ABOVE_UNITS`].
pub const ABOVE_UNITS_NAME: &str = "Chung toàn đợt (đơn vị dưới k phiếu)";

/// The field of answers released with their field suppressed: the small
/// cells of one unit × group pooled at close.
pub const GENERALISED_FIELD: &str = "Gộp các lĩnh vực ít phiếu";

/// How a batch was formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseKind {
    /// One unit × group × field that held k.
    Cell,
    /// At close: the small cells of one unit × group, field suppressed.
    Generalised,
    /// At close: the rest of one group from several units, unit suppressed.
    AboveUnit,
    /// Not a batch: how many answers of a batch above the units one unit
    /// gave (so its report can say they count only in the total).
    AboveUnitShare,
}

impl ReleaseKind {
    /// The word the `releases` table keeps.
    pub fn code(self) -> &'static str {
        match self {
            ReleaseKind::Cell => "cell",
            ReleaseKind::Generalised => "generalised",
            ReleaseKind::AboveUnit => "above_unit",
            ReleaseKind::AboveUnitShare => "above_unit_share",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [ReleaseKind::Cell, ReleaseKind::Generalised, ReleaseKind::AboveUnit, ReleaseKind::AboveUnitShare]
            .into_iter()
            .find(|k| k.code() == code)
    }
}

/// Held cells (unit, group, field; '' for none) released together as one cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub members: Vec<(String, String, String)>,
    pub unit: String,
    pub group: String,
    pub field: Option<String>,
    pub kind: ReleaseKind,
}

impl Batch {
    /// A cell released as itself.
    pub fn cell((unit, group, field): (String, String, String)) -> Batch {
        Batch {
            unit: unit.clone(),
            group: group.clone(),
            field: (!field.is_empty()).then(|| field.clone()),
            members: vec![(unit, group, field)],
            kind: ReleaseKind::Cell,
        }
    }
}

/// Held rows (id, sealed) by their cell (unit, group, field; '' for none).
pub type HeldRows = BTreeMap<(String, String, String), Vec<(i64, Vec<u8>)>>;

/// A held cell and how many answers it holds: (unit, group, field, count).
pub type HeldCell = (String, String, String, i64);

/// The batches a closed campaign releases from its held cells (unit, group,
/// field, count), each of at least `k` answers; cells that fit in none stay
/// held. Full cells first, then each unit × group's rest, then each group's
/// rest above the units.
pub fn plan_at_close(cells: &[HeldCell], k: i64) -> Vec<Batch> {
    let mut batches = Vec::new();
    let mut rest: BTreeMap<(&str, &str), Vec<&HeldCell>> = BTreeMap::new();
    for c in cells {
        if c.3 >= k {
            batches.push(Batch::cell((c.0.clone(), c.1.clone(), c.2.clone())));
        } else if c.3 > 0 {
            rest.entry((c.0.as_str(), c.1.as_str())).or_default().push(c);
        }
    }
    // Several cells as one, released as `unit` with the field suppressed
    // (unless none had one).
    let pooled = |members: &[&HeldCell], unit: &str, group: &str, kind| Batch {
        members: members.iter().map(|c| (c.0.clone(), c.1.clone(), c.2.clone())).collect(),
        unit: unit.to_owned(),
        group: group.to_owned(),
        field: (!members.iter().all(|c| c.2.is_empty())).then(|| GENERALISED_FIELD.to_owned()),
        kind,
    };
    let size = |members: &[&HeldCell]| members.iter().map(|c| c.3).sum::<i64>();
    let mut above: BTreeMap<&str, Vec<&HeldCell>> = BTreeMap::new();
    for ((unit, group), members) in rest {
        if size(&members) >= k {
            batches.push(pooled(&members, unit, group, ReleaseKind::Generalised));
        } else {
            above.entry(group).or_default().extend(members);
        }
    }
    for (group, members) in above {
        if size(&members) >= k {
            batches.push(pooled(&members, ABOVE_UNITS, group, ReleaseKind::AboveUnit));
        }
    }
    batches
}

/// A held answer opened for release, as `responses` will store it.
#[derive(Debug, Clone)]
pub struct Released {
    pub unit: String,
    pub group: String,
    pub field: Option<String>,
    pub day: chrono::NaiveDate,
    pub source: String,
    /// What the response keeps in its `ballot` column: a keyed tag.
    pub ballot: Option<String>,
    /// A keyed ballot's printed number, marked used with its batch.
    pub number: Option<String>,
    pub answers: String,
    pub flags: Option<String>,
}

/// Takes the "fast" flag off the answers of a batch that mixes paper
/// ballots with online answers, returning how many carried it: paper is
/// never fast, so on the answers it would tell the paper ballots' crowd
/// apart from the online answers, and the answered list says whose they are.
pub fn fast_off_mixed(batch: &mut [Released]) -> i64 {
    let mut fast = 0;
    for r in batch.iter_mut() {
        let Some(flags) = r.flags.take() else { continue };
        let kept: Vec<&str> = flags.split(',').filter(|f| *f != crate::model::response::Flag::Fast.code()).collect();
        fast += i64::from(kept.len() < flags.split(',').count());
        r.flags = (!kept.is_empty()).then(|| kept.join(","));
    }
    fast
}

/// A line of the release log as reports and the review page read it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReleasedBatch {
    pub unit: String,
    pub group: String,
    /// The field the batch was released as ('' for none).
    pub field: String,
    pub n: i64,
    pub kind: ReleaseKind,
    /// Answers of the batch that came in a burst from one address.
    pub burst: i64,
    /// Answers flagged as implausibly fast in a batch that mixes paper with
    /// online answers, where the flag is not kept on the answer.
    pub fast: i64,
    pub released_on: chrono::NaiveDate,
}

/// One line of the `releases` log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub unit: String,
    pub group: String,
    pub field: String,
    pub n: i64,
    pub kind: ReleaseKind,
    pub burst: i64,
    pub fast: i64,
}

/// Flags of a batch kept as counts on its log line, not on its answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchFlags {
    pub burst: i64,
    pub fast: i64,
}

/// The log lines of a released batch of `n` answers, with the flags it keeps
/// as counts: one line; for a batch above the units also one share line per
/// unit it took answers from (so each unit's report can say how many count
/// only in the total), the counts staying on the batch's own line.
pub fn log_lines(batch: &Batch, n: i64, flags: BatchFlags, from_units: &BTreeMap<String, i64>) -> Vec<LogLine> {
    let mut lines = vec![LogLine {
        unit: batch.unit.clone(),
        group: batch.group.clone(),
        field: batch.field.clone().unwrap_or_default(),
        n,
        kind: batch.kind,
        burst: flags.burst,
        fast: flags.fast,
    }];
    if batch.kind == ReleaseKind::AboveUnit {
        lines.extend(from_units.iter().map(|(unit, n)| LogLine {
            unit: unit.clone(),
            group: batch.group.clone(),
            field: String::new(),
            n: *n,
            kind: ReleaseKind::AboveUnitShare,
            burst: 0,
            fast: 0,
        }));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(unit: &str, group: &str, field: &str, n: i64) -> (String, String, String, i64) {
        (unit.into(), group.into(), field.into(), n)
    }

    #[test]
    fn no_planned_batch_is_smaller_than_k() {
        let cells = [
            cell("A", "citizens", "Đất đai", 3),
            cell("A", "citizens", "Hộ tịch", 4),
            cell("A", "delegates", "", 2),
            cell("B", "citizens", "Đất đai", 1),
            cell("B", "delegates", "", 4),
            cell("C", "citizens", "Hộ tịch", 6),
            cell("C", "officials", "", 1),
        ];
        let plan = plan_at_close(&cells, 5);
        let size = |b: &Batch| -> i64 {
            b.members
                .iter()
                .map(|m| cells.iter().find(|c| (&c.0, &c.1, &c.2) == (&m.0, &m.1, &m.2)).expect("a held cell").3)
                .sum()
        };
        assert!(plan.iter().all(|b| size(b) >= 5), "{plan:?}");
        // C's full cell as itself; A's citizens pooled with the field gone;
        // the delegates' rests (2 + 4) above the units; B's lone citizen and
        // C's lone official fit nowhere and stay held.
        assert_eq!(plan.len(), 3);
        assert_eq!((plan[0].unit.as_str(), plan[0].kind), ("C", ReleaseKind::Cell));
        assert_eq!(
            (plan[1].unit.as_str(), plan[1].field.as_deref(), plan[1].kind),
            ("A", Some(GENERALISED_FIELD), ReleaseKind::Generalised)
        );
        assert_eq!(
            (plan[2].unit.as_str(), plan[2].group.as_str(), plan[2].field.as_deref()),
            (ABOVE_UNITS, "delegates", None)
        );
        let released: Vec<_> = plan.iter().flat_map(|b| b.members.clone()).collect();
        assert!(!released.iter().any(|m| m.0 == "B" && m.1 == "citizens"));
        assert!(!released.iter().any(|m| m.1 == "officials"));
    }

    #[test]
    fn a_batch_above_the_units_logs_each_unit_it_took_from() {
        let plan = plan_at_close(&[cell("A", "delegates", "", 2), cell("B", "delegates", "", 3)], 5);
        let from = BTreeMap::from([("A".to_owned(), 2), ("B".to_owned(), 3)]);
        let lines = log_lines(&plan[0], 5, BatchFlags { burst: 1, fast: 0 }, &from);
        // The batch's own line carries its size and bursts; each unit's share
        // line only how many it gave, so no unit's line pins a burst on it.
        let shown: Vec<_> = lines.iter().map(|l| (l.unit.as_str(), l.n, l.burst, l.kind)).collect();
        assert_eq!(
            shown,
            [
                (ABOVE_UNITS, 5, 1, ReleaseKind::AboveUnit),
                ("A", 2, 0, ReleaseKind::AboveUnitShare),
                ("B", 3, 0, ReleaseKind::AboveUnitShare)
            ]
        );
    }
}
