//! Fast paths for what reading a response does once per value: comparing short strings (a
//! field's name, an enum's case) and reading a date-time in its common form. Both are done
//! hundreds of thousands of times for a page-by-page read of 100,000 records; the general
//! routines they stand in for cost more at this size than the work itself.

/// `a == b`, for the short strings of field names and enum cases. `==` calls the C library's
/// `memcmp` for every comparison (3.5–3.9 % of the host's CPU in the inventory example, for
/// words of a dozen bytes); this compares eight bytes at a time in line.
#[inline]
pub(crate) fn eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n >= 8 {
        let mut i = 0;
        while i + 8 <= n {
            if word(a, i) != word(b, i) {
                return false;
            }
            i += 8;
        }
        // The last eight bytes, overlapping the ones compared already.
        i == n || word(a, n - 8) == word(b, n - 8)
    } else {
        a.iter().zip(b).all(|(x, y)| x == y)
    }
}

fn word(bytes: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&bytes[at..at + 8]);
    u64::from_ne_bytes(w)
}

/// Seconds since the Unix epoch of `YYYY-MM-DDTHH:MM:SSZ` (RFC 3339 in UTC without a
/// fraction, the form most APIs write), or `None` for anything else (another form, an offset,
/// a fraction, a leap second, an impossible date), which the caller reads with the general
/// parser. chrono's parser took about 1 % of the host's CPU in the inventory example.
pub(crate) fn utc_seconds(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() != 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' || b[19] != b'Z'
    {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<i64> {
        b[from..to].iter().try_fold(0i64, |n, &d| d.is_ascii_digit().then(|| n * 10 + i64::from(d - b'0')))
    };
    let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hour, minute, second) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    #[test]
    fn strings_are_equal_byte_for_byte_at_every_length() {
        let text = "abcdefghijklmnopqrstuvwxyz0123456789";
        for len in 0..text.len() {
            let a = &text[..len];
            assert!(eq(a, a), "{len}");
            assert!(!eq(a, &text[..len + 1]), "{len}: lengths differ");
            for at in 0..len {
                let mut b = a.as_bytes().to_vec();
                b[at] ^= 1;
                assert!(!eq(a, std::str::from_utf8(&b).unwrap()), "{len}: byte {at} differs");
            }
        }
    }

    #[test]
    fn date_times_read_as_chrono_reads_them() {
        // Every day of four centuries' worth of sampled years (leap rules at 1900, 2000,
        // 2100) and the ends of the four-digit range, at times that touch each field's bounds.
        let mut checked = 0;
        let years = (1600..=2400).step_by(7).chain([0, 1, 4, 100, 400, 1900, 1970, 2000, 2024, 2100, 9996, 9999]);
        for year in years {
            for month in 1..=12 {
                for day in 1..=31 {
                    for time in ["00:00:00", "23:59:59", "12:34:56"] {
                        let text = format!("{year:04}-{month:02}-{day:02}T{time}Z");
                        let want = DateTime::parse_from_rfc3339(&text).ok().map(|t| t.timestamp());
                        assert_eq!(utc_seconds(&text), want, "{text}");
                        checked += usize::from(want.is_some());
                    }
                }
            }
        }
        assert!(checked > 100_000, "{checked}");
    }

    #[test]
    fn other_forms_are_left_to_the_general_parser() {
        for text in [
            "2026-11-30T05:00:00.5Z",
            "2026-11-30T05:00:00+01:00",
            "2026-11-30t05:00:00z",
            "2026-11-30 05:00:00Z",
            "2016-12-31T23:59:60Z",
            "2026-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-11-30T24:00:00Z",
            "+026-11-30T05:00:00Z",
            "2026-11-30T05:00:0xZ",
            "",
        ] {
            assert_eq!(utc_seconds(text), None, "{text}");
        }
    }
}
