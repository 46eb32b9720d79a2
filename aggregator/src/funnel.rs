//! Honest rankings: a funnel plot of each unit's SIPAS against its number of
//! answers (Spiegelhalter 2005, "Funnel plots for comparing institutional
//! performance", Statistics in Medicine 24:1185–1202). Around the campaign's
//! own figure p₀ the limits p₀ ± z·√(p₀(1 − p₀) ÷ n) narrow as n grows; a
//! unit inside the 95 % limits is not distinguishable from the campaign as
//! a whole, one outside the 99.8 % limits stands out beyond chance.
//! Additional to the official method, as the ranking's intervals are.

use crate::stats::Shown;
use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal};

/// Where a unit falls against the campaign's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Position {
    /// Above the 99.8 % limit.
    WellAbove,
    /// Above the 95 % limit, within the 99.8 % one.
    Above,
    /// Within the 95 % limits: not distinguishable from the campaign.
    Within,
    Below,
    WellBelow,
}

impl Position {
    /// As the report says it.
    pub fn label(self) -> &'static str {
        match self {
            Position::WellAbove => "cao hơn toàn đợt (vượt giới hạn 99,8 %)",
            Position::Above => "cao hơn toàn đợt (vượt giới hạn 95 %)",
            Position::Within => "chưa khác biệt với toàn đợt",
            Position::Below => "thấp hơn toàn đợt (dưới giới hạn 95 %)",
            Position::WellBelow => "thấp hơn toàn đợt (dưới giới hạn 99,8 %)",
        }
    }
}

/// One unit on the funnel.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FunnelPoint {
    pub unit: String,
    pub name: String,
    pub n: u64,
    #[schema(value_type = f64)]
    pub index: Shown,
    /// 95 % limits around the campaign's figure at this many answers.
    pub limits95: (f64, f64),
    /// 99.8 % limits.
    pub limits998: (f64, f64),
    pub position: Position,
}

/// The funnel of the units that carry quotas, around the campaign's SIPAS.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Funnel {
    /// The campaign's SIPAS, the funnel's centre line.
    pub centre: f64,
    pub units: Vec<FunnelPoint>,
}

/// Two-sided normal quantiles: 1.959964 for 95 %, 3.090232 for 99.8 %.
fn z(coverage: f64) -> f64 {
    Normal::standard().inverse_cdf(0.5 + coverage / 2.0)
}

/// The limits around `centre` (in percent) at `n` answers, in percent,
/// within [0, 100].
pub fn limits(centre: f64, n: u64, coverage: f64) -> (f64, f64) {
    let p = (centre / 100.0).clamp(0.0, 1.0);
    let half = z(coverage) * (p * (1.0 - p) / n.max(1) as f64).sqrt();
    ((100.0 * (p - half)).max(0.0), (100.0 * (p + half)).min(100.0))
}

/// A ranked unit as the funnel takes it: code, name, answers and figure.
pub struct Ranked<'a> {
    pub unit: &'a str,
    pub name: &'a str,
    pub n: u64,
    pub index: Shown,
}

/// Every ranked unit against the campaign's `centre`, in the ranking's order.
pub fn funnel<'a>(ranking: impl IntoIterator<Item = Ranked<'a>>, centre: Option<Shown>) -> Option<Funnel> {
    let centre = crate::indices::as_f64(centre?);
    let ranking: Vec<Ranked<'a>> = ranking.into_iter().collect();
    if ranking.is_empty() {
        return None;
    }
    let units = ranking
        .iter()
        .filter(|r| r.n > 0)
        .map(|r| {
            let (l95, l998) = (limits(centre, r.n, 0.95), limits(centre, r.n, 0.998));
            let v = crate::indices::as_f64(r.index);
            let position = if v > l998.1 {
                Position::WellAbove
            } else if v > l95.1 {
                Position::Above
            } else if v < l998.0 {
                Position::WellBelow
            } else if v < l95.0 {
                Position::Below
            } else {
                Position::Within
            };
            FunnelPoint {
                unit: r.unit.to_owned(),
                name: r.name.to_owned(),
                n: r.n,
                index: r.index,
                limits95: l95,
                limits998: l998,
                position,
            }
        })
        .collect();
    Some(Funnel { centre, units })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    fn row(unit: &str, index: i64, n: u64) -> Ranked<'_> {
        Ranked { unit, name: unit, n, index: Shown(Decimal::from(index)) }
    }

    /// p₀ = 0.8, n = 100: √(0.8 · 0.2 ÷ 100) = 0.04. 95 %: 80 ± 1.959964 · 4
    /// = [72.160, 87.840]; 99.8 %: 80 ± 3.090232 · 4 = [67.639, 92.361].
    /// At n = 400 the half-widths halve: [76.080, 83.920].
    #[test]
    fn limits_worked_by_hand() {
        let close = |a: (f64, f64), b: (f64, f64)| (a.0 - b.0).abs() < 1e-3 && (a.1 - b.1).abs() < 1e-3;
        assert!(close(limits(80.0, 100, 0.95), (72.160, 87.840)), "{:?}", limits(80.0, 100, 0.95));
        assert!(close(limits(80.0, 100, 0.998), (67.639, 92.361)), "{:?}", limits(80.0, 100, 0.998));
        assert!(close(limits(80.0, 400, 0.95), (76.080, 83.920)));
        // Never outside [0, 100].
        assert_eq!(limits(99.0, 5, 0.998).1, 100.0);
        assert_eq!(limits(1.0, 5, 0.998).0, 0.0);
    }

    /// Around 80 with 100 answers each: 86 is within; 89 above the 95 %
    /// limit; 93 above the 99.8 % one; 72 below the 95 %, 67 below both.
    /// With 400 answers 86 is above the 95 % limit (83.92) too: the same
    /// figure on more answers.
    #[test]
    fn each_unit_is_placed_against_the_limits_of_its_own_size() {
        let ranking = [
            row("A", 93, 100),
            row("B", 89, 100),
            row("C", 86, 100),
            row("D", 86, 400),
            row("E", 72, 100),
            row("F", 67, 100),
        ];
        let f = funnel(ranking, Some(Shown(Decimal::from(80)))).expect("funnel");
        let positions: Vec<(&str, Position)> = f.units.iter().map(|p| (p.unit.as_str(), p.position)).collect();
        assert_eq!(
            positions,
            vec![
                ("A", Position::WellAbove),
                ("B", Position::Above),
                ("C", Position::Within),
                ("D", Position::Above),
                ("E", Position::Below),
                ("F", Position::WellBelow),
            ]
        );
        assert!(funnel([row("A", 93, 100)], None).is_none(), "no campaign figure, no funnel");
    }
}
