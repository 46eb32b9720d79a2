//! The one clock the service reads the time from, and the campaign's day.
//!
//! Every decision about dates (open, close, the day an answer is dated, the
//! day a batch is released, expiries) reads [`now`] and turns it into a date
//! in the campaign's own time zone, never the server's: a deployment in UTC
//! opens and closes a Vietnamese campaign at Vietnamese midnight.
//!
//! `SIPAS_NOW` (an RFC 3339 instant) starts the clock at that instant for the
//! whole process; time then runs on from there. It exists for tests, which
//! must put the service at 23:30 on a closing day, and is logged when set.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use std::sync::OnceLock;

/// The environment variable that starts the clock elsewhere.
pub const NOW_VAR: &str = "SIPAS_NOW";

static OFFSET: OnceLock<TimeDelta> = OnceLock::new();

fn offset() -> TimeDelta {
    *OFFSET.get_or_init(|| match std::env::var(NOW_VAR) {
        Ok(raw) => match DateTime::parse_from_rfc3339(raw.trim()) {
            Ok(at) => at.with_timezone(&Utc) - Utc::now(),
            Err(_) => {
                eprintln!(
                    "{NOW_VAR}=«{raw}» không phải thời điểm RFC 3339 (ví dụ 2026-12-02T16:30:00Z): dùng giờ hệ thống."
                );
                TimeDelta::zero()
            }
        },
        Err(_) => TimeDelta::zero(),
    })
}

/// Now, by the service's clock.
pub fn now() -> DateTime<Utc> {
    Utc::now() + offset()
}

/// Whether `SIPAS_NOW` moved the clock (said once at start).
pub fn is_moved() -> bool {
    offset() != TimeDelta::zero()
}

/// A time zone by its IANA name; Việt Nam's for a name that is not one (a
/// campaign's zone is checked when its file is read).
pub fn zone(name: &str) -> chrono_tz::Tz {
    name.parse().unwrap_or(chrono_tz::Asia::Ho_Chi_Minh)
}

/// The date at `at` in the zone `name`.
pub fn day_in(name: &str, at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&zone(name)).date_naive()
}

/// Whether a campaign that closes on `closes` (its last day) has closed at
/// `at` in its zone `name`.
pub fn has_closed(closes: NaiveDate, name: &str, at: DateTime<Utc>) -> bool {
    closes < day_in(name, at)
}

/// The first moment of a day in the zone `name`.
pub fn start_of(day: NaiveDate, name: &str) -> DateTime<Utc> {
    use chrono::TimeZone;
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    zone(name).from_local_datetime(&midnight).earliest().map_or_else(|| midnight.and_utc(), |t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_day_turns_at_vietnamese_midnight_not_utc() {
        // 23:30 and 00:30 in Việt Nam (UTC+7) on either side of 03/12.
        let before = Utc.with_ymd_and_hms(2026, 12, 2, 16, 30, 0).single().expect("instant");
        let after = Utc.with_ymd_and_hms(2026, 12, 2, 17, 30, 0).single().expect("instant");
        assert_eq!(day_in("Asia/Ho_Chi_Minh", before), NaiveDate::from_ymd_opt(2026, 12, 2).expect("date"));
        assert_eq!(day_in("Asia/Ho_Chi_Minh", after), NaiveDate::from_ymd_opt(2026, 12, 3).expect("date"));
        // The same instants are still 02/12 in UTC.
        assert_eq!(day_in("UTC", after), NaiveDate::from_ymd_opt(2026, 12, 2).expect("date"));
        assert_eq!(day_in("not/a zone", after), NaiveDate::from_ymd_opt(2026, 12, 3).expect("date"));
        assert_eq!(
            start_of(NaiveDate::from_ymd_opt(2026, 12, 3).expect("date"), "Asia/Ho_Chi_Minh"),
            Utc.with_ymd_and_hms(2026, 12, 2, 17, 0, 0).single().expect("instant")
        );
    }
}
