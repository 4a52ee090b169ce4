//! Wall-clock helpers: SoundCloud's `2019/01/15 15:40:49 +0000` timestamps and the
//! `yyyy-mm-dd hh:mm:ss` form its search filters take.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, now.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Days since 1970-01-01 to a civil (year, month, day) (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Formats Unix seconds as SoundCloud does: `2019/01/15 15:40:49 +0000`.
pub fn format_sc(unix: i64) -> String {
    let (y, mo, d) = civil_from_days(unix.div_euclid(86_400));
    let s = unix.rem_euclid(86_400);
    format!(
        "{y:04}/{mo:02}/{d:02} {:02}:{:02}:{:02} +0000",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// Parses a search filter time, `yyyy-mm-dd hh:mm:ss` (UTC); a bare date means midnight.
pub fn parse_filter_time(s: &str) -> Option<i64> {
    let s = s.trim();
    let (date, time) = s.split_once(' ').unwrap_or((s, "00:00:00"));
    let mut dp = date.split('-').map(str::parse::<i64>);
    let (y, mo, d) = (dp.next()?.ok()?, dp.next()?.ok()?, dp.next()?.ok()?);
    let mut tp = time.trim().split(':').map(str::parse::<i64>);
    let (h, mi) = (tp.next()?.ok()?, tp.next()?.ok()?);
    let sec = tp.next().transpose().ok()?.unwrap_or(0);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    Some(days_from_civil(y, mo as u32, d as u32) * 86_400 + h * 3600 + mi * 60 + sec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_the_service() {
        assert_eq!(format_sc(1_547_566_849), "2019/01/15 15:40:49 +0000");
        assert_eq!(format_sc(0), "1970/01/01 00:00:00 +0000");
    }

    #[test]
    fn filter_times_round_trip() {
        assert_eq!(
            parse_filter_time("2019-01-15 15:40:49"),
            Some(1_547_566_849)
        );
        assert_eq!(parse_filter_time("2019-01-15"), Some(1_547_510_400));
        assert_eq!(parse_filter_time("2019-13-15 00:00:00"), None);
        assert_eq!(parse_filter_time("yesterday"), None);
    }
}
