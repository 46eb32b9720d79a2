//! Design-weighted estimates of a multi-stage household sample (METHOD §6):
//! the ratio estimator Σ w·y ÷ Σ w of each item, a fixed mean of items (a
//! component, a part, SIPAS), and its variance by Taylor linearisation with
//! villages as the primary units and communes as strata; the design effect
//! beside it. Pure functions over answers already scored in [0, 1], kept in
//! fifths (one byte an item: a province's answers stay a few megabytes).
//!
//! Why linearisation rather than a bootstrap over villages: it is exact for
//! a mean of ratios, gives the same figure on every run and both backends,
//! and is what survey packages report by default (R `survey`, Stata `svy`).

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};
use std::collections::BTreeMap;

/// An item not answered, among [`Scored::items`].
pub const NOT_ANSWERED: u8 = u8::MAX;

/// An item score in fifths as the fraction it stands for (exactly the
/// `level ÷ 5` it was made from).
fn fraction(fifths: u8) -> f64 {
    f64::from(fifths) / 5.0
}

/// One answer as the estimator sees it: where it was drawn, its design
/// weight and its item scores in fifths of 1 (0–5; [`NOT_ANSWERED`] where
/// the item was not answered).
#[derive(Debug, Clone, PartialEq)]
pub struct Scored<'a> {
    /// The stratum: the commune the villages were drawn in.
    pub stratum: &'a str,
    /// The primary unit: the village the household was drawn in.
    pub cluster: &'a str,
    /// 1 ÷ (P(village) × P(household | village)).
    pub weight: f64,
    /// Borrowed from the caller's rows: a figure over a subset of items or
    /// answers copies no answer.
    pub items: std::borrow::Cow<'a, [u8]>,
}

/// A design-based estimate in percent, with what it rests on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Estimate {
    /// The weighted figure, in percent.
    pub value: f64,
    /// The same mean of items with every answer weighing alike, in percent.
    pub unweighted: f64,
    /// Its standard error, in percentage points.
    pub se: f64,
    /// 95 % interval by Student's t with (villages − communes) degrees of
    /// freedom; `None` when there are no more villages than communes.
    pub ci95: Option<(f64, f64)>,
    /// Design variance ÷ the variance of the unweighted figure under simple
    /// random sampling of as many answers.
    pub deff: Option<f64>,
    pub answers: usize,
    pub clusters: usize,
    pub strata: usize,
}

/// The estimate of Σ_q a_q·R_q, where R_q = Σ w·y_q ÷ Σ w over the answers
/// to item q and `coefficients` holds the a_q (0 for an item outside the
/// figure). `None` when no answer carries an item with a coefficient.
/// For several figures over the same answers, [`Design::new`] once.
pub fn estimate(answers: &[Scored<'_>], coefficients: &[f64]) -> Option<Estimate> {
    Design::new(answers, coefficients.len()).estimate(coefficients)
}

/// A set of answers summed once by item and by village, for any number of
/// figures over them: the point estimates and the design variance need only
/// the sums; the simple-random comparison takes one pass over the answers.
pub struct Design<'s, 'a> {
    answers: &'s [Scored<'a>],
    items: usize,
    /// Per item: Σ w, Σ w·y, answers, Σ y.
    weight_of: Vec<f64>,
    weighted: Vec<f64>,
    count: Vec<usize>,
    plain: Vec<f64>,
    /// Per village: its commune's position and its weight; then per village
    /// and item (row-major) Σ y and the answers.
    clusters: Vec<(usize, f64)>,
    sums: Vec<f64>,
    counts: Vec<u32>,
    strata: usize,
}

impl<'s, 'a> Design<'s, 'a> {
    /// Sums `answers` (each with `items` item scores) by item and by village.
    /// A village's answers share one weight (the design is by village).
    pub fn new(answers: &'s [Scored<'a>], items: usize) -> Self {
        let mut d = Design {
            answers,
            items,
            weight_of: vec![0.0; items],
            weighted: vec![0.0; items],
            count: vec![0; items],
            plain: vec![0.0; items],
            clusters: Vec::new(),
            sums: Vec::new(),
            counts: Vec::new(),
            strata: 0,
        };
        let mut strata: BTreeMap<&str, usize> = BTreeMap::new();
        let mut places: BTreeMap<(&str, &str), usize> = BTreeMap::new();
        // Answers of a village come together: look it up only when it changes.
        let mut last: Option<(&str, &str, usize)> = None;
        for a in answers {
            let c = match last {
                Some((s, c, at)) if s == a.stratum && c == a.cluster => at,
                _ => {
                    let next = strata.len();
                    let stratum = *strata.entry(a.stratum).or_insert(next);
                    let at = *places.entry((a.stratum, a.cluster)).or_insert_with(|| {
                        d.clusters.push((stratum, a.weight));
                        d.sums.resize(d.sums.len() + items, 0.0);
                        d.counts.resize(d.counts.len() + items, 0);
                        d.clusters.len() - 1
                    });
                    last = Some((a.stratum, a.cluster, at));
                    at
                }
            };
            for (q, y) in a.items.iter().enumerate().take(items) {
                if *y != NOT_ANSWERED {
                    let y = &fraction(*y);
                    d.weight_of[q] += a.weight;
                    d.weighted[q] += a.weight * y;
                    d.count[q] += 1;
                    d.plain[q] += y;
                    d.sums[c * items + q] += y;
                    d.counts[c * items + q] += 1;
                }
            }
        }
        d.strata = strata.len();
        d
    }

    /// Whether any answer gives item `q` a score.
    pub fn answered(&self, q: usize) -> bool {
        self.count.get(q).is_some_and(|n| *n > 0)
    }

    /// The figure Σ_q a_q·R_q (see [`estimate`]).
    pub fn estimate(&self, coefficients: &[f64]) -> Option<Estimate> {
        self.estimates(&[coefficients]).pop().flatten()
    }

    /// Several figures Σ_q a_q·R_q over the same answers (see [`estimate`]),
    /// in one pass over the answers for all of them.
    ///
    /// The linearised value of answer i is u_i = Σ_q a_q·w_i·(y_iq − R_q) ÷
    /// W_q; summed by village, z_c = Σ_q a_q·w_c·(S_cq − R_q·n_cq) ÷ W_q, and
    /// the variance is Σ_h n_h ÷ (n_h − 1) · Σ_c (z_c − z̄_h)² over communes
    /// h with n_h villages. A commune with one drawn village has no spread
    /// of its own; its village is centred on the overall mean (zero), as R
    /// `survey` does with `lonely.psu = "adjust"`.
    pub fn estimates(&self, figures: &[&[f64]]) -> Vec<Option<Estimate>> {
        let mean = |q: usize| self.plain[q] / self.count[q] as f64;
        let used: Vec<Vec<usize>> = figures
            .iter()
            .map(|c| (0..self.items.min(c.len())).filter(|q| c[*q] != 0.0 && self.weight_of[*q] > 0.0).collect())
            .collect();
        // The comparison under simple random sampling of as many answers,
        // unweighted, every figure in one pass: each answer's deviations
        // from the item means once, then each figure's sum of them.
        let mut answered = vec![0usize; figures.len()];
        let mut squares = vec![0.0f64; figures.len()];
        let means: Vec<f64> = (0..self.items).map(|q| if self.count[q] > 0 { mean(q) } else { 0.0 }).collect();
        // Items of each figure as a bit set (a questionnaire of more than 64
        // items keeps the per-item test).
        let masks: Option<Vec<u64>> =
            (self.items <= 64).then(|| used.iter().map(|qs| qs.iter().fold(0u64, |m, q| m | (1u64 << q))).collect());
        let mut deviation = vec![0.0f64; self.items];
        for a in self.answers {
            deviation.fill(0.0);
            let mut present = 0u64;
            for (q, y) in a.items.iter().enumerate().take(self.items) {
                if *y != NOT_ANSWERED {
                    deviation[q] = (fraction(*y) - means[q]) / self.count[q] as f64;
                    present |= 1u64.checked_shl(u32::try_from(q).unwrap_or(u32::MAX)).unwrap_or(0);
                }
            }
            for (f, coefficients) in figures.iter().enumerate() {
                let any = match &masks {
                    Some(masks) => present & masks[f] != 0,
                    None => used[f].iter().any(|q| a.items.get(*q).is_some_and(|y| *y != NOT_ANSWERED)),
                };
                if any {
                    // A missing item's deviation is 0: it adds nothing.
                    let s: f64 = used[f].iter().map(|q| coefficients[*q] * deviation[*q]).sum();
                    answered[f] += 1;
                    squares[f] += s * s;
                }
            }
        }
        figures
            .iter()
            .enumerate()
            .map(|(f, coefficients)| self.figure(coefficients, &used[f], answered[f], squares[f]))
            .collect()
    }

    /// One figure from its items, and its sums under simple random sampling.
    fn figure(&self, coefficients: &[f64], used: &[usize], answered: usize, squares: f64) -> Option<Estimate> {
        if used.is_empty() {
            return None;
        }
        let ratio = |q: usize| self.weighted[q] / self.weight_of[q];
        let mean = |q: usize| self.plain[q] / self.count[q] as f64;
        let value: f64 = used.iter().map(|q| coefficients[*q] * ratio(*q)).sum();
        let unweighted: f64 = used.iter().map(|q| coefficients[*q] * mean(*q)).sum();

        // Each stratum's villages that answered an item of the figure.
        let mut by_stratum: Vec<Vec<f64>> = vec![Vec::new(); self.strata];
        for (c, (stratum, weight)) in self.clusters.iter().enumerate() {
            let row = c * self.items;
            if used.iter().all(|q| self.counts[row + q] == 0) {
                continue;
            }
            let z: f64 = used
                .iter()
                .map(|q| {
                    coefficients[*q] * weight * (self.sums[row + q] - ratio(*q) * f64::from(self.counts[row + q]))
                        / self.weight_of[*q]
                })
                .sum();
            by_stratum[*stratum].push(z);
        }
        let mut variance = 0.0;
        for zs in by_stratum.iter().filter(|z| !z.is_empty()) {
            let n = zs.len() as f64;
            if zs.len() == 1 {
                variance += zs[0] * zs[0];
                continue;
            }
            let centre = zs.iter().sum::<f64>() / n;
            variance += n / (n - 1.0) * zs.iter().map(|z| (z - centre).powi(2)).sum::<f64>();
        }
        let simple = if answered > 1 { answered as f64 / (answered as f64 - 1.0) * squares } else { 0.0 };
        let clusters: usize = by_stratum.iter().map(Vec::len).sum();
        let strata = by_stratum.iter().filter(|z| !z.is_empty()).count();
        let se = variance.sqrt();
        let ci95 =
            (clusters > strata).then(|| StudentsT::new(0.0, 1.0, (clusters - strata) as f64).ok()).flatten().map(|t| {
                let half = t.inverse_cdf(0.975) * se;
                (two_places(100.0 * (value - half).max(0.0)), two_places(100.0 * (value + half).min(1.0)))
            });
        Some(Estimate {
            value: 100.0 * value,
            unweighted: 100.0 * unweighted,
            se: 100.0 * se,
            ci95,
            // Answers that all agree have no spread to compare (both are
            // rounding noise).
            deff: (simple > 1e-12).then(|| variance / simple),
            answers: answered,
            clusters,
            strata,
        })
    }
}

fn two_places(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn one(stratum: &'static str, cluster: &'static str, weight: f64, y: &[f64]) -> Vec<Scored<'static>> {
        y.iter().map(|y| Scored { stratum, cluster, weight, items: vec![(*y * 5.0) as u8].into() }).collect()
    }

    /// Two communes, two villages each; commune A's households weigh 10,
    /// commune B's 20.
    ///
    /// Σw = 10·5 + 20·5 = 150, Σw·y = 10·3 + 20·3 = 90, R = 0.6.
    /// u = w·(y − 0.6) ÷ 150, by village: A1 (1, 1, 0) → 10·0.2/150 = 2/150,
    /// A2 (1, 0) → −2/150, B1 (0, 0) → 20·(−1.2)/150 = −24/150, B2 (1, 1, 1)
    /// → 24/150. Commune A: 2 · ((2/150)² + (2/150)²) = 16/22,500; B:
    /// 2 · 2 · (24/150)² = 2,304/22,500. V = 2,320/22,500 = 0.103111…,
    /// SE = 0.321110… (32.11 points).
    /// Simple random: unweighted 6/10 = 0.6, Σ(y − 0.6)² = 6·0.16 + 4·0.36 =
    /// 2.4, V_srs = 10/9 · 2.4/100 = 0.026667; deff = 3.8667.
    /// t with 4 − 2 = 2 degrees of freedom: 4.302653; 60 ± 138.16 → [0, 100].
    #[test]
    fn a_small_design_worked_by_hand() {
        let answers: Vec<Scored<'_>> = [
            one("A", "A1", 10.0, &[1.0, 1.0, 0.0]),
            one("A", "A2", 10.0, &[1.0, 0.0]),
            one("B", "B1", 20.0, &[0.0, 0.0]),
            one("B", "B2", 20.0, &[1.0, 1.0, 1.0]),
        ]
        .concat();
        let e = estimate(&answers, &[1.0]).expect("an estimate");
        assert!((e.value - 60.0).abs() < 1e-9, "{e:?}");
        assert!((e.unweighted - 60.0).abs() < 1e-9, "{e:?}");
        assert!((e.se - 100.0 * (2320.0f64 / 22500.0).sqrt()).abs() < 1e-9, "{e:?}");
        assert!((e.se - 32.111).abs() < 1e-3);
        let deff = e.deff.expect("deff");
        assert!((deff - (2320.0 / 22500.0) / (10.0 / 9.0 * 0.024)).abs() < 1e-9);
        assert!((deff - 3.8667).abs() < 1e-4);
        assert_eq!(e.ci95, Some((0.0, 100.0)));
        assert_eq!((e.answers, e.clusters, e.strata), (10, 4, 2));
    }

    /// Weights that differ by commune move the figure away from the
    /// unweighted one: A (weight 1) all satisfied, B (weight 3) none.
    /// Unweighted 4/8 = 50 %; weighted 4 ÷ (4 + 12) = 25 %.
    #[test]
    fn weights_pull_the_figure_toward_the_communes_they_stand_for() {
        let answers = [
            one("A", "A1", 1.0, &[1.0, 1.0]),
            one("A", "A2", 1.0, &[1.0, 1.0]),
            one("B", "B1", 3.0, &[0.0, 0.0]),
            one("B", "B2", 3.0, &[0.0, 0.0]),
        ]
        .concat();
        let e = estimate(&answers, &[1.0]).expect("estimate");
        assert!((e.value - 25.0).abs() < 1e-9, "{e:?}");
        assert!((e.unweighted - 50.0).abs() < 1e-9, "{e:?}");
        // Within each commune every village says the same: no spread at all.
        assert!(e.se.abs() < 1e-12);
    }

    /// A mean of two items, the second half answered: each item's ratio on
    /// its own answers, then the mean. Item 1: (1·1 + 1·0 + 2·1) ÷ 4 = 0.75;
    /// item 2 only by the weight-2 answer: 1. Figure: 0.875.
    #[test]
    fn a_mean_of_items_takes_each_item_over_its_own_answers() {
        let answers = vec![
            Scored { stratum: "A", cluster: "A1", weight: 1.0, items: vec![5, NOT_ANSWERED].into() },
            Scored { stratum: "A", cluster: "A2", weight: 1.0, items: vec![0, NOT_ANSWERED].into() },
            Scored { stratum: "A", cluster: "A3", weight: 2.0, items: vec![5, 5].into() },
        ];
        let e = estimate(&answers, &[0.5, 0.5]).expect("estimate");
        assert!((e.value - 87.5).abs() < 1e-9, "{e:?}");
        assert!(estimate(&answers, &[0.0, 0.0]).is_none(), "no item in the figure");
    }

    /// A questionnaire of more than 64 items takes the per-item path: an
    /// item past the 64th gives the same figure as on its own.
    #[test]
    fn items_past_the_sixty_fourth_count_alike() {
        let alone = [
            one("A", "A1", 10.0, &[1.0, 1.0, 0.0]),
            one("A", "A2", 10.0, &[1.0, 0.0]),
            one("B", "B1", 20.0, &[0.0, 0.0]),
            one("B", "B2", 20.0, &[1.0, 1.0, 1.0]),
        ]
        .concat();
        let wide: Vec<Scored<'_>> = alone
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let mut items = vec![NOT_ANSWERED; 70];
                items[69] = a.items[0];
                // Another item answered by some, outside the figure.
                items[3] = if i % 2 == 0 { 5 } else { NOT_ANSWERED };
                Scored { items: items.into(), ..a.clone() }
            })
            .collect();
        let mut coefficients = vec![0.0; 70];
        coefficients[69] = 1.0;
        let (a, w) = (estimate(&alone, &[1.0]).expect("alone"), estimate(&wide, &coefficients).expect("wide"));
        assert_eq!((a.value, a.se, a.deff, a.answers), (w.value, w.se, w.deff, w.answers));
        assert_eq!(w.answers, 10);
    }

    fn scored(rows: &[(u8, u8, Vec<Option<u8>>)], weight: impl Fn(u8) -> f64) -> Vec<Scored<'static>> {
        const NAMES: [&str; 8] = ["0", "1", "2", "3", "4", "5", "6", "7"];
        rows.iter()
            .map(|(s, c, items)| Scored {
                stratum: NAMES[usize::from(*s)],
                cluster: NAMES[usize::from(*c)],
                weight: weight(*s),
                items: items.iter().map(|y| y.unwrap_or(NOT_ANSWERED)).collect::<Vec<_>>().into(),
            })
            .collect()
    }

    fn plain_figure(rows: &[Scored<'_>], coefficients: &[f64]) -> f64 {
        (0..coefficients.len())
            .filter_map(|q| {
                let ys: Vec<f64> =
                    rows.iter().filter(|r| r.items[q] != NOT_ANSWERED).map(|r| fraction(r.items[q])).collect();
                (!ys.is_empty()).then(|| coefficients[q] * ys.iter().sum::<f64>() / ys.len() as f64)
            })
            .sum::<f64>()
            * 100.0
    }

    proptest! {
        #[test]
        fn equal_weights_give_the_unweighted_figure(
            rows in proptest::collection::vec(
                (0u8..3, 0u8..8, proptest::collection::vec(proptest::option::of(0u8..=5), 3)), 1..60),
            w in 0.5f64..500.0,
        ) {
            let answers = scored(&rows, |_| w);
            let coefficients = [0.5, 0.25, 0.25];
            if let Some(e) = estimate(&answers, &coefficients) {
                // Items nobody answered drop out of both figures alike only
                // when all are answered somewhere.
                let all_answered = (0..3).all(|q| answers.iter().any(|a| a.items[q] != NOT_ANSWERED));
                if all_answered {
                    prop_assert!((e.value - plain_figure(&answers, &coefficients)).abs() < 1e-9);
                }
                prop_assert!(e.se >= 0.0);
            }
        }

        #[test]
        fn one_answer_a_village_in_one_commune_has_no_design_effect(
            ys in proptest::collection::vec(0u8..=5, 2..80),
        ) {
            // Equal weights, every answer its own village in a single
            // commune: the design is simple random sampling.
            let rows: Vec<(u8, u8, Vec<Option<u8>>)> = ys.iter().map(|y| (0, 0, vec![Some(*y)])).collect();
            let names: Vec<String> = (0..rows.len()).map(|i| format!("v{i}")).collect();
            let answers: Vec<Scored<'_>> = rows
                .iter()
                .zip(&names)
                .map(|((_, _, items), name)| Scored {
                    stratum: "A",
                    cluster: name,
                    weight: 7.0,
                    items: items.iter().map(|y| y.unwrap_or(NOT_ANSWERED)).collect::<Vec<_>>().into(),
                })
                .collect();
            let e = estimate(&answers, &[1.0]).expect("estimate");
            if let Some(deff) = e.deff {
                prop_assert!((deff - 1.0).abs() < 1e-9, "deff {}", deff);
            }
        }
    }
}
