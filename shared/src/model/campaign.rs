//! Campaigns: one year's survey by one organiser (SPEC §4, METHOD §1).
//!
//! A campaign file (TOML) names its units (inline or from a CSV), its respondent
//! groups with their questionnaires and quotas, the field catalogue and targets.

use crate::model::questionnaire::Questionnaire;
use crate::model::text::procedure_key;
use crate::model::{Unit, UnitCode, UnitKind};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A loaded, checked campaign with its questionnaires.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Campaign {
    pub id: String,
    pub name: String,
    pub year: i32,
    pub opens: NaiveDate,
    pub closes: NaiveDate,
    pub organiser: Option<String>,
    /// How respondents reach the organiser (phone, address), printed on slips.
    #[serde(default)]
    pub contact: Option<String>,
    /// Where times shown to people are read (IANA name); Việt Nam by default.
    #[serde(default = "default_timezone")]
    pub timezone: String,
    pub units: Vec<Unit>,
    pub groups: Vec<Group>,
    pub questionnaires: Vec<Questionnaire>,
    /// Procedure name → field (lĩnh vực).
    pub procedures: BTreeMap<String, String>,
    /// Fields in catalogue order.
    pub fields: Vec<String>,
    pub targets: Targets,
    pub scoring: Scoring,
    pub par: ParSettings,
    /// Answers are released to reports in batches of at least this many per
    /// unit × group × field (SPEC §10); 1 releases each answer at once.
    #[serde(default = "default_anonymity_k")]
    pub anonymity_k: u32,
    /// Whether a unit's counter may be a printed poster with a fixed QR code.
    /// Off by default: a counter then takes only the rotating code an enrolled
    /// screen shows, which a photograph of it cannot reuse for long.
    #[serde(default)]
    pub counter_poster: bool,
    /// The campaign this one follows (last year's), by id: the other side
    /// of every comparison with last year.
    #[serde(default)]
    pub follows: Option<String>,
    /// Which units of the campaign followed became which of this one
    /// (`lineage_csv`); a unit kept under its code needs no row.
    #[serde(default)]
    pub lineage: Vec<crate::model::lineage::Predecessor>,
    /// Last year's published unit figures (`previous_figures_csv`), when the
    /// campaign followed was not run in the product: the comparison then
    /// rests on them, response-weighted over merged units, and says so.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub previous_figures: Vec<crate::model::lineage::PublishedFigures>,
    /// How the written report is headed and signed (Nghị định 30/2020).
    #[serde(default)]
    pub document: DocumentSettings,
}

/// The parts of an administrative document (Nghị định 30/2020/NĐ-CP) that
/// only the issuing office knows: who issues it, under whom, its number,
/// where, who signs and who receives it. Each may be left out: the heading
/// then takes the organiser's name and leaves the number for the clerk.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentSettings {
    /// The issuing body's parent ("UBND TỈNH QUẢNG BÌNH"), above it.
    #[serde(default)]
    pub parent: Option<String>,
    /// The issuing body ("SỞ NỘI VỤ").
    #[serde(default)]
    pub issuer: Option<String>,
    /// Number and symbol as registered ("12/BC-SNV"); blank for the clerk by default.
    #[serde(default)]
    pub number: Option<String>,
    /// The place before the date ("Quảng Bình").
    #[serde(default)]
    pub place: Option<String>,
    /// The signer's authority and title, one line each ("KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC").
    #[serde(default)]
    pub signer_title: Vec<String>,
    #[serde(default)]
    pub signer_name: Option<String>,
    /// "Nơi nhận", one recipient a line ("UBND tỉnh (để b/c)").
    #[serde(default)]
    pub recipients: Vec<String>,
}

/// The time zone of a campaign that names none.
pub const DEFAULT_TIMEZONE: &str = "Asia/Ho_Chi_Minh";

pub(crate) fn default_timezone() -> String {
    DEFAULT_TIMEZONE.to_owned()
}

impl Campaign {
    /// Today's date where the campaign runs (its `timezone`), by the
    /// service's clock; never the server's zone.
    pub fn today(&self) -> NaiveDate {
        self.day_at(crate::model::clock::now())
    }

    /// The campaign's date at a moment.
    pub fn day_at(&self, at: chrono::DateTime<chrono::Utc>) -> NaiveDate {
        crate::model::clock::day_in(&self.timezone, at)
    }

    /// Whether the campaign takes answers now, in its own time zone.
    pub fn is_open_now(&self) -> bool {
        self.is_open_on(self.today())
    }

    /// A moment as people of the campaign read it: `dd/mm/yyyy HH:MM`, in
    /// the campaign's time zone.
    pub fn local_time(&self, at: chrono::DateTime<chrono::Utc>) -> String {
        at.with_timezone(&crate::model::clock::zone(&self.timezone)).format("%d/%m/%Y %H:%M").to_string()
    }
}

/// Above this many units a page, a board or the Word report shows what
/// repeats for every unit one unit (or one group) at a time, after a
/// summary: a province's hundred units at once would make a page of a
/// million pixels.
pub const UNITS_IN_FULL: usize = 20;

/// The batch size a campaign releases answers in unless it says otherwise.
pub const DEFAULT_ANONYMITY_K: u32 = 5;

pub(crate) fn default_anonymity_k() -> u32 {
    DEFAULT_ANONYMITY_K
}

/// A respondent group and its quota per unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    pub code: String,
    pub name: String,
    /// Questionnaire id.
    pub questionnaire: String,
    /// Default quota per unit.
    pub quota: u32,
    /// Per-unit quotas that replace the default (0 = the unit has no such respondents).
    pub overrides: BTreeMap<UnitCode, u32>,
    /// The unit kinds that carry this group; `None` = every unit without sub-units.
    pub applies_to: Option<Vec<UnitKind>>,
    /// Drawn from the counters' transaction lists (citizens) rather than a roster.
    pub frame: bool,
    /// Drawn in two stages, villages then households (METHOD §6).
    #[serde(default)]
    pub households: Option<HouseholdDesign>,
}

/// A household group's two-stage design: in each commune, `villages` drawn
/// with probability proportional to their households, then `per_village`
/// households in each by systematic sampling. The quota is their product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HouseholdDesign {
    pub villages: u32,
    pub per_village: u32,
}

/// Targets a report shows each unit against (METHOD §5), in percent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    #[serde(default)]
    pub sipas: Option<Decimal>,
    #[serde(default)]
    pub par_survey: Option<Decimal>,
    #[serde(default)]
    pub par_index: Option<Decimal>,
}

/// Which question index feeds the component and SIPAS indices (METHOD §3).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ItemIndex {
    #[default]
    SatisfiedShare,
    ScoreRatio,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scoring {
    #[serde(default)]
    pub item_index: ItemIndex,
}

/// PAR INDEX settings: rating bands and the criterion SIPAS feeds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParSettings {
    /// Rating bands, each from `min` percent up.
    #[serde(default)]
    pub bands: Vec<Band>,
    #[serde(default)]
    pub sipas_criterion: Option<SipasFeed>,
    /// Last year's composite PAR INDEX total points per unit, for the change.
    #[serde(default)]
    pub last_year: BTreeMap<String, Decimal>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    pub name: String,
    pub min: Decimal,
}

/// A PAR criterion scored as max points × SIPAS index ÷ 100.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SipasFeed {
    pub criterion: String,
    #[serde(default)]
    pub area: Option<String>,
    pub points: Decimal,
}

/// One unit × group quota.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quota {
    pub unit: UnitCode,
    pub group: String,
    pub quota: u32,
}

impl Campaign {
    pub fn unit(&self, code: &str) -> Option<&Unit> {
        self.units.iter().find(|u| u.code.as_str() == code)
    }

    pub fn group(&self, code: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.code == code)
    }

    pub fn questionnaire(&self, id: &str) -> Option<&Questionnaire> {
        self.questionnaires.iter().find(|q| q.id == id)
    }

    /// The questionnaire a group answers.
    pub fn questionnaire_of(&self, group: &str) -> Option<&Questionnaire> {
        self.group(group).and_then(|g| self.questionnaire(&g.questionnaire))
    }

    /// Units directly below `code`.
    pub fn children<'a>(&'a self, code: &'a UnitCode) -> impl Iterator<Item = &'a Unit> + 'a {
        self.units.iter().filter(move |u| u.parent.as_ref() == Some(code))
    }

    /// Every unit × group with a positive quota, in file order.
    pub fn quotas(&self) -> Vec<Quota> {
        let mut out = Vec::new();
        for g in &self.groups {
            for u in &self.units {
                let carries = match &g.applies_to {
                    Some(kinds) => kinds.contains(&u.kind),
                    None => self.children(&u.code).next().is_none(),
                };
                let quota = g.overrides.get(&u.code).copied().unwrap_or(if carries { g.quota } else { 0 });
                if quota > 0 {
                    out.push(Quota { unit: u.code.clone(), group: g.code.clone(), quota });
                }
            }
        }
        out
    }

    /// The field of a procedure, matched ignoring case and surrounding spaces.
    pub fn field_of(&self, procedure: &str) -> Option<&str> {
        self.procedure_index().get(&procedure_key(procedure)).copied()
    }

    /// Fields by procedure in the form [`procedure_key`] gives, built once to
    /// match the many rows of a frame.
    pub fn procedure_index(&self) -> BTreeMap<String, &str> {
        self.procedures.iter().map(|(p, f)| (procedure_key(p), f.as_str())).collect()
    }

    /// Whether `day` is inside the survey window.
    pub fn is_open_on(&self, day: NaiveDate) -> bool {
        (self.opens..=self.closes).contains(&day)
    }

    /// The rating band of a percentage.
    pub fn band_of(&self, pct: Decimal) -> Option<&Band> {
        self.par.bands.iter().filter(|b| pct >= b.min).max_by(|a, b| a.min.cmp(&b.min))
    }
}
