//! Drawing the sample (METHOD §1): per unit × group, the quota plus a reserve,
//! stratified by field with largest-remainder allocation, reproducible from a seed.
//!
//! Everything here is pure: the store hands in who may still be drawn, and gets
//! back who is drawn, so the same seed and frame give the same sample on every
//! backend.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The field of a frame row; `None` when its procedure is not in the catalogue.
pub type Stratum = Option<String>;

/// A person of the frame who has no invitation yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub person: i64,
    pub field: Stratum,
    /// A value that orders the frame the same way on every backend (the phone).
    pub key: String,
}

/// What is already drawn for one unit × group and what may still be drawn.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub quota: u64,
    /// Size of each field in the unit's whole frame (drawn or not).
    pub frame_sizes: BTreeMap<Stratum, u64>,
    /// Invitations of the sample proper already issued, by field.
    pub drawn: BTreeMap<Stratum, u64>,
    /// Reserves already drawn, by field.
    pub reserved: BTreeMap<Stratum, u64>,
    pub candidates: Vec<Candidate>,
}

/// One person drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drawn {
    pub person: i64,
    pub field: Stratum,
    /// `None` for the sample proper; the release order within the field for a reserve.
    pub reserve_rank: Option<u32>,
}

/// A fresh seed for a draw that was given none; short enough to write down.
pub fn fresh_seed() -> u64 {
    u64::from(rand::random::<u32>())
}

/// Reserve size for a quota: `reserve_pct` percent of it, rounded up.
pub fn reserve_size(quota: u64, reserve_pct: u32) -> u64 {
    (quota * u64::from(reserve_pct)).div_ceil(100)
}

/// Recommended sample size for a frame of `n` at margin `e` (METHOD §1):
/// n ÷ (1 + n·e²), rounded up.
pub fn recommended_size(n: u64, margin: f64) -> u64 {
    if n == 0 {
        return 0;
    }
    #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let size = (n as f64 / (1.0 + n as f64 * margin * margin)).ceil() as u64;
    size
}

/// Splits `n` over strata in proportion to `weights` (Hamilton's largest-remainder
/// method), never giving a stratum more than its `cap`. Ties in the remainder go
/// to the larger stratum, then to the earlier one. When the caps hold fewer than
/// `n`, every stratum gets its cap.
pub fn allocate(n: u64, weights: &[u64], caps: &[u64]) -> Vec<u64> {
    assert_eq!(weights.len(), caps.len(), "one cap per weight");
    let mut out = vec![0u64; weights.len()];
    let mut fixed = vec![false; weights.len()];
    let mut left = n.min(caps.iter().fold(0u64, |a, c| a.saturating_add(*c)));
    loop {
        let open: Vec<usize> = (0..weights.len()).filter(|&i| !fixed[i]).collect();
        let total: u64 = open.iter().map(|&i| weights[i]).sum();
        if open.is_empty() || left == 0 {
            break;
        }
        if total == 0 {
            // Only empty-weight strata are left: fill them in order up to their caps.
            for &i in &open {
                let take = left.min(caps[i]);
                out[i] = take;
                left -= take;
            }
            break;
        }
        // Exact quotas left·w/total as integer part and remainder.
        let mut parts: Vec<(usize, u64, u128)> = open
            .iter()
            .map(|&i| {
                let num = u128::from(left) * u128::from(weights[i]);
                let whole = u64::try_from(num / u128::from(total)).unwrap_or(u64::MAX);
                (i, whole, num % u128::from(total))
            })
            .collect();
        let given: u64 = parts.iter().map(|p| p.1).sum();
        parts.sort_by(|a, b| b.2.cmp(&a.2).then(weights[b.0].cmp(&weights[a.0])).then(a.0.cmp(&b.0)));
        // Fewer seats are left over than there are strata, one each by remainder.
        for p in parts.iter_mut().take(usize::try_from(left - given).unwrap_or(usize::MAX)) {
            p.1 += 1;
        }
        // Strata over their cap are fixed at it; the rest is shared again.
        let over: Vec<&(usize, u64, u128)> = parts.iter().filter(|p| p.1 > caps[p.0]).collect();
        if over.is_empty() {
            for (i, share, _) in parts {
                out[i] = share;
            }
            break;
        }
        for &&(i, _, _) in &over {
            out[i] = caps[i];
            fixed[i] = true;
            left -= caps[i];
        }
    }
    out
}

/// The random stream of one unit × group: the seed mixed with the campaign,
/// unit and group, so adding a unit changes no other unit's draw.
pub fn stream(seed: u64, campaign: &str, unit: &str, group: &str) -> ChaCha8Rng {
    let mut h = Sha256::new();
    h.update(seed.to_le_bytes());
    for part in [campaign, unit, group] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    ChaCha8Rng::from_seed(h.finalize().into())
}

/// Draws what the plan still lacks: the sample proper up to the quota and the
/// reserve up to `reserve_pct` percent of it, both spread over fields so that
/// the whole sample follows the fields' shares of the frame.
pub fn draw(plan: &Plan, reserve_pct: u32, seed: u64, campaign: &str, unit: &str, group: &str) -> Vec<Drawn> {
    let mut pools: BTreeMap<Stratum, Vec<&Candidate>> = BTreeMap::new();
    for c in &plan.candidates {
        pools.entry(c.field.clone()).or_default().push(c);
    }
    let mut rng = stream(seed, campaign, unit, group);
    for pool in pools.values_mut() {
        pool.sort_by(|a, b| a.key.cmp(&b.key).then(a.person.cmp(&b.person)));
        pool.shuffle(&mut rng);
    }
    let strata: Vec<Stratum> = plan
        .frame_sizes
        .keys()
        .chain(pools.keys())
        .cloned()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let weights: Vec<u64> = strata.iter().map(|s| plan.frame_sizes.get(s).copied().unwrap_or_default()).collect();
    let count = |m: &BTreeMap<Stratum, u64>, s: &Stratum| m.get(s).copied().unwrap_or_default();
    let available: Vec<u64> = strata.iter().map(|s| pools.get(s).map_or(0, |p| p.len() as u64)).collect();

    let main = top_up(plan.quota, &strata, &weights, &available, |s| count(&plan.drawn, s));
    let after_main: Vec<u64> = available.iter().zip(&main).map(|(a, m)| a - m).collect();
    let reserve =
        top_up(reserve_size(plan.quota, reserve_pct), &strata, &weights, &after_main, |s| count(&plan.reserved, s));

    let mut out = Vec::new();
    for (i, s) in strata.iter().enumerate() {
        let Some(pool) = pools.get(s) else { continue };
        let mut people = pool.iter();
        for c in people.by_ref().take(usize::try_from(main[i]).unwrap_or(usize::MAX)) {
            out.push(Drawn { person: c.person, field: s.clone(), reserve_rank: None });
        }
        let first_rank = u32::try_from(count(&plan.reserved, s)).unwrap_or(u32::MAX);
        for (k, c) in people.take(usize::try_from(reserve[i]).unwrap_or(usize::MAX)).enumerate() {
            let rank = first_rank.saturating_add(u32::try_from(k).unwrap_or(u32::MAX)).saturating_add(1);
            out.push(Drawn { person: c.person, field: s.clone(), reserve_rank: Some(rank) });
        }
    }
    out
}

/// How many more to draw per stratum so the total reaches `target` and each
/// stratum's total follows its weight, given what each already has.
fn top_up(
    target: u64,
    strata: &[Stratum],
    weights: &[u64],
    available: &[u64],
    has: impl Fn(&Stratum) -> u64,
) -> Vec<u64> {
    let already: Vec<u64> = strata.iter().map(&has).collect();
    let need = target.saturating_sub(already.iter().sum());
    if need == 0 {
        return vec![0; strata.len()];
    }
    // Ideal totals for the whole sample, less what each stratum already has…
    let ideal = allocate(target, weights, &vec![u64::MAX; strata.len()]);
    let mut caps: Vec<u64> =
        ideal.iter().zip(&already).zip(available).map(|((i, a), av)| i.saturating_sub(*a).min(*av)).collect();
    let first = allocate(need, weights, &caps);
    let short = need - first.iter().sum::<u64>();
    if short == 0 {
        return first;
    }
    // …and where a stratum runs dry, the others make up the difference.
    for (c, (f, av)) in caps.iter_mut().zip(first.iter().zip(available)) {
        *c = av - f;
    }
    let extra = allocate(short, weights, &caps);
    first.iter().zip(extra).map(|(a, b)| a + b).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(s: &str) -> Stratum {
        Some(s.to_owned())
    }

    #[test]
    fn largest_remainder_follows_the_shares() {
        // 26 over 50/30/20 % → 13, 7.8, 5.2 → 13, 8, 5.
        assert_eq!(allocate(26, &[50, 30, 20], &[u64::MAX; 3]), vec![13, 8, 5]);
        // 10 over 1/1/1 → 3.33 each; the tie goes to the earliest.
        assert_eq!(allocate(10, &[1, 1, 1], &[u64::MAX; 3]), vec![4, 3, 3]);
        // Hamilton, not D'Hondt: 7 over 6/3/1 → 4.2, 2.1, 0.7 → 4, 2, 1.
        assert_eq!(allocate(7, &[6, 3, 1], &[u64::MAX; 3]), vec![4, 2, 1]);
        assert_eq!(allocate(0, &[6, 3, 1], &[u64::MAX; 3]), vec![0, 0, 0]);
    }

    #[test]
    fn caps_move_the_excess_to_the_other_strata() {
        // The first field has only 2 people left: its 13 go to the others by their shares.
        assert_eq!(allocate(26, &[50, 30, 20], &[2, 100, 100]), vec![2, 14, 10]);
        // Fewer people than asked: everyone.
        assert_eq!(allocate(26, &[5, 3], &[5, 3]), vec![5, 3]);
        // Strata with no weight take what is left only after the others are full.
        assert_eq!(allocate(5, &[0, 3], &[10, 3]), vec![2, 3]);
    }

    fn plan(sizes: &[(&str, u64)], quota: u64) -> Plan {
        let mut p = Plan { quota, ..Plan::default() };
        let mut id = 0;
        for &(f, n) in sizes {
            p.frame_sizes.insert(field(f), n);
            for k in 0..n {
                id += 1;
                p.candidates.push(Candidate { person: id, field: field(f), key: format!("09{f}{k:06}") });
            }
        }
        p
    }

    fn by_field(d: &[Drawn], reserve: bool) -> BTreeMap<Stratum, u64> {
        let mut m = BTreeMap::new();
        for x in d.iter().filter(|x| x.reserve_rank.is_some() == reserve) {
            *m.entry(x.field.clone()).or_default() += 1;
        }
        m
    }

    #[test]
    fn the_sample_and_its_reserve_are_stratified() {
        let p = plan(&[("đất đai", 100), ("hộ tịch", 60), ("LĐTBXH", 40)], 26);
        let d = draw(&p, 50, 7, "c", "QB01", "citizen");
        let main = by_field(&d, false);
        assert_eq!(main.values().sum::<u64>(), 26);
        // 26 × 100/60/40 of 200 = 13, 7.8, 5.2.
        assert_eq!(main[&field("đất đai")], 13);
        assert_eq!(main[&field("hộ tịch")], 8);
        assert_eq!(main[&field("LĐTBXH")], 5);
        // 13 reserves: 6.5, 3.9, 2.6 → 6, 4, 3 (largest remainders .9 and .6; .5 loses).
        let reserve = by_field(&d, true);
        assert_eq!(reserve[&field("đất đai")], 6);
        assert_eq!(reserve[&field("hộ tịch")], 4);
        assert_eq!(reserve[&field("LĐTBXH")], 3);
        let people: std::collections::BTreeSet<i64> = d.iter().map(|x| x.person).collect();
        assert_eq!(people.len(), 39, "nobody drawn twice");
        let ranks: Vec<u32> = d.iter().filter(|x| x.field == field("LĐTBXH")).filter_map(|x| x.reserve_rank).collect();
        assert_eq!(ranks, vec![1, 2, 3]);
    }

    #[test]
    fn a_seed_gives_the_same_sample_and_another_seed_another() {
        let p = plan(&[("a", 50), ("b", 50)], 10);
        assert_eq!(draw(&p, 50, 1, "c", "u", "g"), draw(&p, 50, 1, "c", "u", "g"));
        assert_ne!(draw(&p, 50, 1, "c", "u", "g"), draw(&p, 50, 2, "c", "u", "g"));
        assert_ne!(draw(&p, 50, 1, "c", "u", "g"), draw(&p, 50, 1, "c", "u2", "g"));
        // The order the store returns the frame in does not matter.
        let mut shuffled = p.clone();
        shuffled.candidates.reverse();
        assert_eq!(draw(&p, 50, 1, "c", "u", "g"), draw(&shuffled, 50, 1, "c", "u", "g"));
    }

    #[test]
    fn a_second_draw_only_tops_up() {
        let p = plan(&[("a", 50), ("b", 50)], 10);
        let mut again = p.clone();
        again.drawn.insert(field("a"), 5);
        again.drawn.insert(field("b"), 5);
        again.reserved.insert(field("a"), 3);
        again.reserved.insert(field("b"), 2);
        assert!(draw(&again, 50, 1, "c", "u", "g").is_empty(), "quota and reserve are full");
        // The quota rose to 14: four more, two a field. The reserve of 7 should be 4 + 3,
        // so one more in each field, ranked after those already there.
        again.quota = 14;
        let d = draw(&again, 50, 1, "c", "u", "g");
        assert_eq!(by_field(&d, false), BTreeMap::from([(field("a"), 2), (field("b"), 2)]));
        assert_eq!(by_field(&d, true), BTreeMap::from([(field("a"), 1), (field("b"), 1)]));
        let ranks: Vec<(Stratum, u32)> = d.iter().filter_map(|x| Some((x.field.clone(), x.reserve_rank?))).collect();
        assert_eq!(ranks, vec![(field("a"), 4), (field("b"), 3)]);
    }

    #[test]
    fn a_small_frame_is_drawn_in_full() {
        let p = plan(&[("a", 4), ("b", 3)], 26);
        let d = draw(&p, 50, 1, "c", "u", "g");
        assert_eq!(d.len(), 7);
        assert!(d.iter().all(|x| x.reserve_rank.is_none()));
    }

    #[test]
    fn recommended_sizes_follow_the_ministry_formula() {
        // 1000 / (1 + 1000 × 0.0025) = 285.71… → 286.
        assert_eq!(recommended_size(1000, 0.05), 286);
        assert_eq!(recommended_size(120, 0.05), 93);
        assert_eq!(recommended_size(0, 0.05), 0);
        assert_eq!(reserve_size(26, 50), 13);
        assert_eq!(reserve_size(5, 50), 3);
    }
}
