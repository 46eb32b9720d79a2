//! The household SIPAS's two-stage draw (METHOD §6): villages within a
//! commune with probability proportional to their number of households
//! (Madow's systematic PPS, certainty villages first), then households
//! within each drawn village by systematic random sampling with reserves.
//! Every selection probability is exact: the draw runs on whole numbers, so
//! a village's chance is `n·M_v ÷ M` to the last digit, whatever the seed.
//!
//! Pure and seeded: the caller passes the random stream of the unit
//! ([`crate::field::sampling::stream`]) and keeps what was drawn.

use rand::Rng;
use rand::seq::SliceRandom;

/// A village (*thôn*, *tổ dân phố*) of a commune and its size measure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SizedVillage {
    pub code: String,
    /// Households on the commune's village list (the size measure).
    pub households: u64,
}

/// A probability held as a fraction of whole numbers, shown as a decimal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chance {
    pub num: u128,
    pub den: u128,
}

impl Chance {
    pub const CERTAIN: Chance = Chance { num: 1, den: 1 };

    pub fn value(self) -> f64 {
        if self.den == 0 { 0.0 } else { self.num as f64 / self.den as f64 }
    }

    /// A chance as the store keeps it (two whole numbers).
    pub fn of(num: i64, den: i64) -> Chance {
        Chance { num: u128::try_from(num).unwrap_or_default(), den: u128::try_from(den).unwrap_or(1) }
    }

    /// The chance as the store keeps it, `None` past its range.
    pub fn stored(self) -> Option<(i64, i64)> {
        Some((i64::try_from(self.num).ok()?, i64::try_from(self.den).ok()?))
    }

    /// The product of two independent stages' chances.
    pub fn times(self, other: Chance) -> Chance {
        let (num, den) = (self.num.saturating_mul(other.num), self.den.saturating_mul(other.den));
        let g = gcd(num, den);
        match (num.checked_div(g), den.checked_div(g)) {
            (Some(num), Some(den)) => Chance { num, den },
            _ => Chance { num, den },
        }
    }
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// A village the first stage drew, with its chance of being drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrawnVillage {
    pub code: String,
    pub chance: Chance,
    /// Large enough to be drawn whatever the start (chance 1).
    pub certain: bool,
}

/// Draws `n` villages of one commune with probability proportional to size.
///
/// Villages whose share would reach a whole draw (`n·M_v ≥ M`) are taken
/// with certainty and the rest drawn again among the others, until none is;
/// the others are then drawn by Madow's systematic PPS over the list in code
/// order (an implicit stratification by the list's order): a random start
/// `r` in `[0, M)` and the points `r + j·M` on the axis where village `v`
/// holds `n·M_v` places. A village holds fewer places than the step, so no
/// village is drawn twice and its chance is exactly `n·M_v ÷ M`. Villages
/// with no households are never drawn; asked for more villages than have
/// households, every one of them is taken.
pub fn draw_villages<R: Rng>(villages: &[SizedVillage], n: u64, rng: &mut R) -> Vec<DrawnVillage> {
    let mut rest: Vec<&SizedVillage> = villages.iter().filter(|v| v.households > 0).collect();
    rest.sort_by(|a, b| a.code.cmp(&b.code));
    let mut out = Vec::new();
    let mut n = n;
    loop {
        if n == 0 || rest.is_empty() {
            break;
        }
        if n >= rest.len() as u64 {
            out.extend(rest.drain(..).map(|v| DrawnVillage {
                code: v.code.clone(),
                chance: Chance::CERTAIN,
                certain: true,
            }));
            break;
        }
        let total: u128 = rest.iter().map(|v| u128::from(v.households)).sum();
        let (certain, others): (Vec<&SizedVillage>, Vec<&SizedVillage>) =
            rest.iter().partition(|v| u128::from(n) * u128::from(v.households) >= total);
        if certain.is_empty() {
            break;
        }
        n -= certain.len() as u64;
        out.extend(certain.into_iter().map(|v| DrawnVillage {
            code: v.code.clone(),
            chance: Chance::CERTAIN,
            certain: true,
        }));
        rest = others;
    }
    if n == 0 || rest.is_empty() {
        return out;
    }
    let total: u128 = rest.iter().map(|v| u128::from(v.households)).sum();
    let n = u128::from(n);
    let start = rng.random_range(0..total);
    let mut point = start;
    let mut reached: u128 = 0;
    for v in rest {
        let places = n * u128::from(v.households);
        let end = reached + places;
        // Points are a step of `total` apart and a village holds fewer places
        // than that, so at most one falls in [reached, end).
        if point < end {
            let g = gcd(places, total);
            out.push(DrawnVillage {
                code: v.code.clone(),
                chance: Chance { num: places / g, den: total / g },
                certain: false,
            });
            point += total;
        }
        reached = end;
    }
    out
}

/// The households a drawn village gives: positions in its list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseholdDraw {
    /// The sample proper, in list order.
    pub sample: Vec<usize>,
    /// Reserves in the order they replace a refusal.
    pub reserves: Vec<usize>,
    /// A listed household's chance of being in the sample proper: `m ÷ N`.
    pub chance: Chance,
}

/// Draws `take` households and up to `reserves` more from a village's list of
/// `listed` households by systematic random sampling: one run of
/// `take + reserves` points a step of `listed ÷ (take + reserves)` apart from
/// a random start (on whole numbers, so each household's chance is exact),
/// then a random `take` of them form the sample proper and the rest are the
/// reserves in a random order. A refusal is replaced by the village's next
/// reserve, so the village still gives `take` answers from `take` of its
/// `listed` households: each household's chance stays `take ÷ listed`.
pub fn draw_households<R: Rng>(listed: usize, take: usize, reserves: usize, rng: &mut R) -> HouseholdDraw {
    let take = take.min(listed);
    let all = (take + reserves).min(listed);
    if all == 0 {
        return HouseholdDraw { sample: Vec::new(), reserves: Vec::new(), chance: Chance { num: 0, den: 1 } };
    }
    let (n, big) = (all as u128, listed as u128);
    // Household h holds the places [h·n, (h+1)·n); the points r + j·N.
    let start = rng.random_range(0..big);
    let mut picked: Vec<usize> = (0..n).map(|j| usize::try_from((start + j * big) / n).unwrap_or(usize::MAX)).collect();
    picked.shuffle(rng);
    let reserves = picked.split_off(take);
    picked.sort_unstable();
    let g = gcd(take as u128, big).max(1);
    HouseholdDraw { sample: picked, reserves, chance: Chance { num: take as u128 / g, den: big / g } }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::sampling::stream;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn villages(sizes: &[u64]) -> Vec<SizedVillage> {
        sizes.iter().enumerate().map(|(i, s)| SizedVillage { code: format!("T{i:02}"), households: *s }).collect()
    }

    #[test]
    fn a_village_of_more_than_a_step_is_taken_for_certain_and_the_rest_drawn_among_the_others() {
        // 1,000 households, 3 draws: a step of 333⅓; T00 with 600 is certain,
        // then 2 draws among 400: T01 (200) has 2·200/400 = 1, certain too,
        // and 1 draw among T02..T04 (200 households): chances 100/200, 60/200, 40/200.
        let v = villages(&[600, 200, 100, 60, 40]);
        for seed in 0..50 {
            let drawn = draw_villages(&v, 3, &mut stream(seed, "c", "u", "households"));
            assert_eq!(drawn.len(), 3, "seed {seed}: {drawn:?}");
            assert!(drawn[0].certain && drawn[0].code == "T00");
            assert!(drawn[1].certain && drawn[1].code == "T01");
            let third = &drawn[2];
            let expected = match third.code.as_str() {
                "T02" => Chance { num: 1, den: 2 },
                "T03" => Chance { num: 3, den: 10 },
                "T04" => Chance { num: 1, den: 5 },
                other => panic!("drew {other}"),
            };
            assert_eq!(third.chance, expected);
        }
    }

    #[test]
    fn each_village_is_drawn_as_often_as_its_chance_says() {
        // 20,000 seeds: each village's share of draws within 3 standard errors of n·M_v/M.
        let sizes = [300, 120, 80, 250, 60, 190];
        let v = villages(&sizes);
        let total: u64 = sizes.iter().sum();
        let runs = 20_000u64;
        let mut hits: BTreeMap<String, u64> = BTreeMap::new();
        for seed in 0..runs {
            for d in draw_villages(&v, 2, &mut stream(seed, "c", "u", "g")) {
                assert_eq!(
                    d.chance.value(),
                    2.0 * sizes[d.code[1..].parse::<usize>().expect("an index")] as f64 / total as f64
                );
                *hits.entry(d.code).or_default() += 1;
            }
        }
        for (i, s) in sizes.iter().enumerate() {
            let p = 2.0 * *s as f64 / total as f64;
            let seen = hits.get(&format!("T{i:02}")).copied().unwrap_or_default() as f64 / runs as f64;
            let se = (p * (1.0 - p) / runs as f64).sqrt();
            assert!((seen - p).abs() < 3.5 * se, "T{i:02}: drawn {seen:.4} of runs, chance {p:.4}");
        }
    }

    #[test]
    fn a_household_list_gives_its_take_and_reserves_each_once() {
        let d = draw_households(143, 10, 5, &mut stream(1, "c", "u", "T01"));
        assert_eq!((d.sample.len(), d.reserves.len()), (10, 5));
        let mut all: Vec<usize> = d.sample.iter().chain(&d.reserves).copied().collect();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), 15, "no household twice");
        assert!(all.iter().all(|h| *h < 143));
        assert_eq!(d.chance, Chance { num: 10, den: 143 });
        // Systematic: the 15 are about 143/15 ≈ 9.5 apart.
        for w in all.windows(2) {
            assert!((9..=10).contains(&(w[1] - w[0])), "{all:?}");
        }
    }

    #[test]
    fn a_village_smaller_than_its_take_gives_everyone_and_no_reserve() {
        let d = draw_households(7, 10, 5, &mut stream(1, "c", "u", "T01"));
        assert_eq!(d.sample, (0..7).collect::<Vec<_>>());
        assert!(d.reserves.is_empty());
        assert_eq!(d.chance, Chance::CERTAIN);
    }

    #[test]
    fn each_household_is_in_the_sample_as_often_as_take_over_listed() {
        let runs = 20_000u64;
        let mut hits = [0u64; 23];
        for seed in 0..runs {
            for h in draw_households(23, 4, 2, &mut stream(seed, "c", "u", "v")).sample {
                hits[h] += 1;
            }
        }
        let p = 4.0 / 23.0;
        let se = (p * (1.0 - p) / runs as f64).sqrt();
        for (h, n) in hits.iter().enumerate() {
            let seen = *n as f64 / runs as f64;
            assert!((seen - p).abs() < 4.0 * se, "household {h}: {seen:.4} against {p:.4}");
        }
    }

    proptest! {
        #[test]
        fn the_chances_of_a_commune_sum_to_the_villages_drawn(
            sizes in proptest::collection::vec(0u64..2_000, 1..40),
            n in 1u64..8,
            seed in any::<u64>(),
        ) {
            let v = villages(&sizes);
            let drawn = draw_villages(&v, n, &mut stream(seed, "c", "u", "g"));
            let with_households = sizes.iter().filter(|s| **s > 0).count() as u64;
            prop_assert_eq!(drawn.len() as u64, n.min(with_households));
            let mut codes: Vec<&str> = drawn.iter().map(|d| d.code.as_str()).collect();
            codes.sort_unstable();
            codes.dedup();
            prop_assert_eq!(codes.len(), drawn.len(), "a village drawn twice");
            for d in &drawn {
                prop_assert!(d.chance.num <= d.chance.den && d.chance.num > 0);
            }
            // Same seed, same villages: the draw is reproducible.
            prop_assert_eq!(draw_villages(&v, n, &mut stream(seed, "c", "u", "g")), drawn);
        }

        #[test]
        fn households_are_distinct_and_within_the_list(listed in 0usize..500, take in 0usize..30, reserves in 0usize..15, seed in any::<u64>()) {
            let d = draw_households(listed, take, reserves, &mut stream(seed, "c", "u", "v"));
            prop_assert_eq!(d.sample.len(), take.min(listed));
            prop_assert_eq!(d.reserves.len(), (take + reserves).min(listed) - take.min(listed));
            let mut all: Vec<usize> = d.sample.iter().chain(&d.reserves).copied().collect();
            all.sort_unstable();
            let before = all.len();
            all.dedup();
            prop_assert_eq!(all.len(), before);
            prop_assert!(all.iter().all(|h| *h < listed));
        }
    }
}
