//! [`Timestamp`]: both of the service's time formats.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A point in time, parsed from `2019/01/15 15:40:49 +0000` (the public API) or ISO 8601
/// `2020-02-27T16:32:45Z` (api-v2 and some fields), kept as Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn num(s: &str) -> Option<i64> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

impl Timestamp {
    /// From Unix seconds.
    pub fn from_unix(secs: i64) -> Self {
        Self(secs)
    }

    /// Unix seconds.
    pub fn unix(self) -> i64 {
        self.0
    }

    /// Parses either format; `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        if s.len() < 19
            || !matches!(s.as_bytes()[10], b' ' | b'T' | b't')
            || !s.is_char_boundary(10)
            || !s.is_char_boundary(19)
        {
            return None;
        }
        let (date, rest) = s.split_at(10);
        let sep = if date.as_bytes()[4] == b'/' { '/' } else { '-' };
        let mut dp = date.split(sep).map(num);
        let (y, mo, d) = (dp.next()??, dp.next()??, dp.next()??);
        let (time, tail) = rest[1..].split_at(8);
        let mut tp = time.split(':').map(num);
        let (h, mi, sec) = (tp.next()??, tp.next()??, tp.next()??);
        if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
            return None;
        }
        // Fractions are dropped; the offset is `Z`, `+hhmm`, `+hh:mm` or ` +0000`.
        let tail = tail
            .trim_start_matches(|c: char| c == '.' || c.is_ascii_digit())
            .trim();
        let offset = match tail {
            "" | "Z" | "z" => 0,
            t if t.starts_with(['+', '-']) => {
                let digits: String = t[1..].chars().filter(char::is_ascii_digit).collect();
                if digits.len() != 4 {
                    return None;
                }
                let v = num(&digits[..2])? * 3600 + num(&digits[2..])? * 60;
                if t.starts_with('-') { -v } else { v }
            }
            _ => return None,
        };
        Some(Self(
            days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + sec - offset,
        ))
    }
}

impl fmt::Display for Timestamp {
    /// The public API's format, `2019/01/15 15:40:49 +0000`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = civil_from_days(self.0.div_euclid(86_400));
        let s = self.0.rem_euclid(86_400);
        write!(
            f,
            "{y:04}/{m:02}/{d:02} {:02}:{:02}:{:02} +0000",
            s / 3600,
            s / 60 % 60,
            s % 60
        )
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Timestamp::parse(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("unrecognised timestamp {s:?}")))
    }
}

/// Deserializes an optional timestamp, treating unparseable values as absent (forward
/// compatibility: a new format never fails a whole response).
pub(crate) fn lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
    let v = Option::<serde_json::Value>::deserialize(d)?;
    Ok(v.as_ref()
        .and_then(serde_json::Value::as_str)
        .and_then(Timestamp::parse))
}

#[cfg(test)]
mod tests {
    use super::Timestamp;

    #[test]
    fn both_formats() {
        let a = Timestamp::parse("2019/01/15 15:40:49 +0000").map(Timestamp::unix);
        assert_eq!(a, Some(1_547_566_849));
        assert_eq!(
            Timestamp::parse("2019-01-15T15:40:49Z").map(Timestamp::unix),
            a
        );
        assert_eq!(
            Timestamp::parse("2019-01-15T16:40:49.123+01:00").map(Timestamp::unix),
            a
        );
        assert_eq!(
            Timestamp::from_unix(1_547_566_849).to_string(),
            "2019/01/15 15:40:49 +0000"
        );
        for bad in [
            "",
            "2019/13/15 15:40:49 +0000",
            "yesterday at noon!!",
            "2019/01/15 15:40:49 +00",
            "é019/01/15 15:40:49 +0000",
        ] {
            assert_eq!(Timestamp::parse(bad), None, "{bad}");
        }
    }
}
