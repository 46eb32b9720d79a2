//! Exact percentages, official rounding, and the additional intervals.
//!
//! Every figure is computed in `rust_decimal` and rounded half-up to two places
//! only when shown (METHOD §3). Intervals are additional to the official method
//! and use `f64` through `statrs`.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Serialize, Serializer};
use statrs::distribution::{ContinuousCDF, Normal};

/// `num ÷ den × 100`, exactly; `None` when nothing was answered.
pub fn pct(num: u64, den: u64) -> Option<Decimal> {
    (den > 0).then(|| Decimal::from(num) * Decimal::ONE_HUNDRED / Decimal::from(den))
}

/// Rounds half-up (half away from zero) to two places, as official reports do.
pub fn round2(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// The arithmetic mean; `None` for no values.
pub fn mean(values: &[Decimal]) -> Option<Decimal> {
    if values.is_empty() {
        return None;
    }
    Some(values.iter().sum::<Decimal>() / Decimal::from(values.len()))
}

/// A figure as shown: exact inside, rounded half-up to 2 places when written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Shown(pub Decimal);

impl Shown {
    pub fn rounded(self) -> Decimal {
        round2(self.0)
    }
}

impl Serialize for Shown {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // A two-place decimal converts to the nearest f64, which JSON prints
        // back as the same two-place number.
        s.serialize_f64(self.rounded().to_f64().unwrap_or(f64::NAN))
    }
}

/// In the API's description: the number JSON carries, two places at most.
impl utoipa::PartialSchema for Shown {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Number)
            .description(Some("rounded half-up to 2 decimal places"))
            .into()
    }
}

impl utoipa::ToSchema for Shown {}

impl std::fmt::Display for Shown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.2}", self.rounded())
    }
}

/// The 97.5 % quantile of the standard normal.
fn z95() -> f64 {
    Normal::standard().inverse_cdf(0.975)
}

/// A 95 % interval in percent, rounded to two places for display.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval(pub f64, pub f64);

/// In the API's description: `[low, high]`.
impl utoipa::PartialSchema for Interval {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
        ArrayBuilder::new()
            .items(ObjectBuilder::new().schema_type(Type::Number))
            .min_items(Some(2))
            .max_items(Some(2))
            .description(Some("95 % interval in percent, [low, high]"))
            .into()
    }
}

impl utoipa::ToSchema for Interval {}

fn two_places(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Wilson score interval for `successes` out of `n`, in percent.
pub fn wilson(successes: u64, n: u64) -> Option<Interval> {
    if n == 0 {
        return None;
    }
    let z = z95();
    let n_f = n as f64;
    let p = successes as f64 / n_f;
    let denom = 1.0 + z * z / n_f;
    let centre = (p + z * z / (2.0 * n_f)) / denom;
    let half = z * (p * (1.0 - p) / n_f + z * z / (4.0 * n_f * n_f)).sqrt() / denom;
    Some(Interval(two_places(100.0 * (centre - half).max(0.0)), two_places(100.0 * (centre + half).min(1.0))))
}

/// Mean and standard error of an item score in [0, 1].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ItemSpread {
    pub mean: f64,
    pub se: f64,
}

/// A conservative 95 % interval for a mean of item indices: the items are
/// answered by the same people and may be correlated, so their standard errors
/// are added (the bound for perfect correlation) rather than pooled.
pub fn mean_interval(items: &[ItemSpread]) -> Option<Interval> {
    if items.is_empty() {
        return None;
    }
    let k = items.len() as f64;
    let m = items.iter().map(|i| i.mean).sum::<f64>() / k;
    let se = items.iter().map(|i| i.se).sum::<f64>() / k;
    let z = z95();
    Some(Interval(two_places(100.0 * (m - z * se).max(0.0)), two_places(100.0 * (m + z * se).min(1.0))))
}

/// Below this many answers a figure carries a small-sample warning.
pub const SMALL_SAMPLE: u64 = 30;

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).expect("decimal")
    }

    #[test]
    fn rounding_is_half_up_to_two_places() {
        assert_eq!(round2(d("28.575")), d("28.58"));
        assert_eq!(round2(d("28.574999")), d("28.57"));
        assert_eq!(round2(d("71.425")), d("71.43"));
        assert_eq!(round2(d("0.005")), d("0.01"));
    }

    #[test]
    fn percentages_are_exact_until_shown() {
        // 10 of 14 = 71.428571…, shown 71.43; 4 of 14 = 28.571428…, shown 28.57.
        assert_eq!(pct(10, 14).map(round2), Some(d("71.43")));
        assert_eq!(pct(4, 14).map(round2), Some(d("28.57")));
        assert_eq!(pct(1, 0), None);
        assert_eq!(serde_json::to_string(&Shown(d("88.4615384615"))).expect("json"), "88.46");
    }

    #[test]
    fn wilson_matches_the_textbook() {
        // 23 of 26, z = 1.95996: centre (p + z²/2n)/(1 + z²/n), half-width
        // z·sqrt(p(1−p)/n + z²/4n²)/(1 + z²/n) gives [71.0241, 95.9968].
        assert_eq!(wilson(23, 26), Some(Interval(71.02, 96.0)));
        assert_eq!(wilson(0, 0), None);
        let Interval(lo, hi) = wilson(10, 10).expect("interval");
        assert!(lo > 65.0 && (hi - 100.0).abs() < 1e-9);
    }
}
