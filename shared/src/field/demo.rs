//! Realistic synthetic responses for demos and benchmarks: satisfaction skewed
//! towards "satisfied", differing by unit, field and question, with some
//! missing and "don't know" answers, and skip logic honoured.

use crate::model::StoredResponse;
use crate::model::campaign::Campaign;
use crate::model::questionnaire::{Question, QuestionKind};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;

/// A seeded generator over a campaign.
pub struct Generator<'c> {
    campaign: &'c Campaign,
    rng: StdRng,
    /// (unit, group, cumulative quota weight).
    cells: Vec<(String, String, f64)>,
    unit_effect: BTreeMap<String, f64>,
    field_effect: Vec<f64>,
    /// Cumulative field shares (fields are not equally common).
    field_weights: Vec<f64>,
    day_span: i64,
    /// A household group's drawn villages per unit: (group, unit) → codes;
    /// its answers come from them, and each village leans its own way.
    villages: BTreeMap<(String, String), Vec<String>>,
    village_effect: BTreeMap<String, f64>,
}

const SUGGESTIONS: [&str; 4] = [
    "Cần thêm ghế ngồi chờ",
    "Nên rút ngắn thời gian trả kết quả",
    "Công chức hướng dẫn rất nhiệt tình",
    "Cổng dịch vụ công trực tuyến còn khó dùng",
];

impl<'c> Generator<'c> {
    /// `None` when the campaign has no quota to spread responses over.
    pub fn new(campaign: &'c Campaign, seed: u64) -> Option<Self> {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut total = 0.0;
        let mut cells = Vec::new();
        for q in campaign.quotas() {
            total += f64::from(q.quota);
            cells.push((q.unit.to_string(), q.group.clone(), total));
        }
        if cells.is_empty() {
            return None;
        }
        for c in &mut cells {
            c.2 /= total;
        }
        let unit_effect = campaign.units.iter().map(|u| (u.code.to_string(), rng.random_range(-0.6..0.5))).collect();
        let field_effect = campaign.fields.iter().map(|_| rng.random_range(-0.5..0.4)).collect();
        let mut acc = 0.0;
        let raw: Vec<f64> = campaign.fields.iter().map(|_| rng.random_range(0.3..1.0)).collect();
        let sum: f64 = raw.iter().sum();
        let field_weights = raw
            .iter()
            .map(|w| {
                acc += w / sum;
                acc
            })
            .collect();
        let day_span = (campaign.closes - campaign.opens).num_days().max(0);
        Some(Generator {
            campaign,
            rng,
            cells,
            unit_effect,
            field_effect,
            field_weights,
            day_span,
            villages: BTreeMap::new(),
            village_effect: BTreeMap::new(),
        })
    }

    /// Answers of `group` in each unit come from its drawn villages (their
    /// codes as the field), each village a little kinder or harsher than its
    /// commune, as neighbours are.
    #[must_use]
    pub fn with_villages(mut self, group: &str, by_unit: BTreeMap<String, Vec<String>>) -> Self {
        for (unit, codes) in by_unit {
            for code in &codes {
                let effect = 0.35 * self.normal();
                self.village_effect.insert(code.clone(), effect);
            }
            self.villages.insert((group.to_owned(), unit), codes);
        }
        self
    }

    fn normal(&mut self) -> f64 {
        // Box–Muller; enough for synthetic data.
        let u1: f64 = self.rng.random_range(f64::EPSILON..1.0);
        let u2: f64 = self.rng.random();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// One synthetic response.
    pub fn response(&mut self) -> StoredResponse {
        let pick: f64 = self.rng.random();
        let i = self.cells.partition_point(|c| c.2 < pick).min(self.cells.len() - 1);
        let (unit, group) = (self.cells[i].0.clone(), self.cells[i].1.clone());
        let frame = self.campaign.group(&group).is_some_and(|g| g.frame);
        let field_index = if frame && !self.field_weights.is_empty() {
            let p: f64 = self.rng.random();
            Some(self.field_weights.partition_point(|w| *w < p).min(self.field_weights.len() - 1))
        } else {
            None
        };
        let village = match self.villages.get(&(group.clone(), unit.clone())) {
            Some(codes) if !codes.is_empty() => Some(codes[self.rng.random_range(0..codes.len())].clone()),
            _ => None,
        };
        let mood = 4.5
            + village.as_ref().and_then(|v| self.village_effect.get(v)).copied().unwrap_or_default()
            + self.unit_effect.get(&unit).copied().unwrap_or_default()
            + field_index.map_or(0.0, |f| self.field_effect[f])
            + 0.45 * self.normal();
        let mut cells = BTreeMap::new();
        if let Some(q) = self.campaign.questionnaire_of(&group) {
            for (n, question) in q.questions().enumerate() {
                if let Some(v) = self.answer(question, mood, n) {
                    cells.insert(question.code.clone(), v);
                }
            }
            // Drop what skip logic hides, as the form would.
            if let Ok(answers) = q.check_answers(&cells) {
                cells = answers.to_cells();
            } else {
                cells.retain(|code, _| q.question(code).is_some());
            }
        }
        let day = self.rng.random_range(0..=self.day_span);
        let households = self.campaign.group(&group).is_some_and(|g| g.households.is_some());
        let field = village.or_else(|| field_index.map(|f| self.campaign.fields[f].clone()));
        // Each cell's answers come one way, as release batches do: a third
        // of the villages' households at the door, a sixth of the other
        // cells on paper, the rest online (the random draws stay as they were).
        let cell = format!("{unit}/{group}/{}", field.as_deref().unwrap_or_default());
        let spread = cell.bytes().fold(2_166_136_261u32, |h, b| (h ^ u32::from(b)).wrapping_mul(16_777_619));
        let source = match (households, spread % 6) {
            (true, 0 | 3) => "offline",
            (false, 0) => "paper",
            _ => "online",
        };
        StoredResponse {
            unit,
            group,
            field,
            submitted_on: self.campaign.opens + chrono::Duration::days(day),
            source: source.into(),
            ballot: None,
            cells,
        }
    }

    fn answer(&mut self, q: &Question, mood: f64, n: usize) -> Option<String> {
        if !q.required && self.rng.random::<f64>() < 0.04 {
            return None;
        }
        // Each question leans a little its own way.
        let lean = ((n as f64 * 1.7).sin()) * 0.35;
        match q.kind {
            QuestionKind::Likert5 => {
                if q.dont_know && self.rng.random::<f64>() < 0.06 {
                    return Some("0".into());
                }
                let v = (mood + lean + 0.7 * self.normal()).round().clamp(1.0, 5.0) as u8;
                Some(v.to_string())
            }
            QuestionKind::Yesno => {
                let p = 1.0 / (1.0 + (-(mood + lean - 3.2) * 1.5).exp());
                Some(if self.rng.random::<f64>() < p { "1" } else { "0" }.into())
            }
            QuestionKind::Single if q.options.iter().all(|o| o.weight.is_none()) => {
                // A question that rates nothing (the respondent's profile): any option.
                q.options.get(self.rng.random_range(0..q.options.len().max(1))).map(|o| o.code.clone())
            }
            QuestionKind::Single => {
                // Rated options are listed best first in the shipped questionnaires.
                let k = q.options.len();
                let pos =
                    ((5.0 - (mood + lean + 0.6 * self.normal())) / 4.0 * k as f64).floor().clamp(0.0, (k - 1) as f64);
                q.options.get(pos as usize).map(|o| o.code.clone())
            }
            QuestionKind::Multi => {
                let chosen: Vec<&str> =
                    q.options.iter().filter(|_| self.rng.random::<f64>() < 0.25).map(|o| o.code.as_str()).collect();
                (!chosen.is_empty()).then(|| chosen.join(";"))
            }
            QuestionKind::Number => {
                use rust_decimal::prelude::ToPrimitive;
                let lo = q.min.map_or(0, |d| d.ceil().to_i64().unwrap_or(0));
                let hi = q.max.map_or(lo + 50, |d| d.floor().to_i64().unwrap_or(lo)).max(lo);
                Some(self.rng.random_range(lo..=hi).to_string())
            }
            QuestionKind::Text => (self.rng.random::<f64>() < 0.05)
                .then(|| SUGGESTIONS[self.rng.random_range(0..SUGGESTIONS.len())].to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_data_and_every_answer_is_valid() {
        let c = crate::files::examples::quang_binh().expect("example");
        let mut a = Generator::new(&c, 7).expect("quotas");
        let mut b = Generator::new(&c, 7).expect("quotas");
        for _ in 0..500 {
            let r = a.response();
            assert_eq!(r, b.response());
            let q = c.questionnaire_of(&r.group).expect("group");
            assert!(q.check_answers(&r.cells).is_ok(), "{r:?}");
            assert!(c.is_open_on(r.submitted_on));
        }
    }

    #[test]
    fn satisfaction_is_skewed_and_differs_by_unit() {
        let c = crate::files::examples::quang_binh().expect("example");
        let mut g = Generator::new(&c, 1).expect("quotas");
        let mut by_unit: BTreeMap<String, (u32, u32)> = BTreeMap::new();
        for _ in 0..20_000 {
            let r = g.response();
            if let Some(v) = r.cells.get("HL") {
                let e = by_unit.entry(r.unit).or_default();
                e.1 += 1;
                if v == "4" || v == "5" {
                    e.0 += 1;
                }
            }
        }
        let shares: Vec<f64> = by_unit.values().map(|(s, n)| f64::from(*s) / f64::from(*n)).collect();
        let (lo, hi) = shares.iter().fold((1.0f64, 0.0f64), |(l, h), s| (l.min(*s), h.max(*s)));
        assert!(hi > 0.6, "mostly satisfied somewhere: {shares:?}");
        assert!(hi - lo > 0.1, "units differ: {shares:?}");
    }
}
