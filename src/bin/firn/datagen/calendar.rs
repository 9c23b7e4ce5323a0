//! Proleptic Gregorian day numbers (days since 1970-01-01) and their ISO
//! strings, without a date library. Algorithms from Howard Hinnant,
//! "chrono-Compatible Low-Level Date Algorithms".

/// Days since 1970-01-01 of the civil date `y-m-d`.
pub(crate) const fn days_from_civil(y: i32, m: u32, d: u32) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = (y - era * 400) as u32; // [0, 399]
    let mp = (m + 9) % 12; // March = 0
    let doy = (153 * mp + 2) / 5 + d - 1; // [0, 365]
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
    era * 146_097 + doe as i32 - 719_468
}

/// The civil date `(y, m, d)` of a day number.
pub(crate) const fn civil_from_days(z: i32) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = (z - era * 146_097) as u32; // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let d = doy - (153 * mp + 2) / 5 + 1; // [1, 31]
    let m = if mp < 10 { mp + 3 } else { mp - 9 }; // [1, 12]
    let y = yoe as i32 + era * 400 + if m <= 2 { 1 } else { 0 };
    (y, m, d)
}

/// ISO `YYYY-MM-DD` strings of a contiguous range of days, precomputed once.
#[derive(Debug)]
pub(crate) struct DateTable {
    first: i32,
    strings: Vec<[u8; 10]>,
}

impl DateTable {
    /// Strings for every day in `first..=last` (years 0–9999).
    pub(crate) fn new(first: i32, last: i32) -> Self {
        let strings = (first..=last).map(iso_bytes).collect();
        DateTable { first, strings }
    }

    /// The ISO string of `day`, which must lie in the table's range.
    pub(crate) fn get(&self, day: i32) -> &[u8; 10] {
        &self.strings[(day - self.first) as usize]
    }
}

fn iso_bytes(day: i32) -> [u8; 10] {
    let (y, m, d) = civil_from_days(day);
    let y = y.clamp(0, 9999) as u32;
    let digit = |v: u32| b'0' + (v % 10) as u8;
    [
        digit(y / 1000),
        digit(y / 100),
        digit(y / 10),
        digit(y),
        b'-',
        digit(m / 10),
        digit(m),
        b'-',
        digit(d / 10),
        digit(d),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(
            days_from_civil(2024, 6, 30) - days_from_civil(2024, 1, 1),
            181
        );
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
        assert_eq!(
            civil_from_days(days_from_civil(2023, 3, 1) - 1),
            (2023, 2, 28)
        );
        assert_eq!(&iso_bytes(days_from_civil(2022, 12, 29)), b"2022-12-29");
    }

    #[test]
    fn round_trip_and_table() {
        let first = days_from_civil(1999, 1, 1);
        let last = days_from_civil(2031, 12, 31);
        let table = DateTable::new(first, last);
        let mut prev = String::new();
        for day in first..=last {
            let (y, m, d) = civil_from_days(day);
            assert_eq!(days_from_civil(y, m, d), day);
            let s = String::from_utf8_lossy(table.get(day)).into_owned();
            assert_eq!(s, format!("{y:04}-{m:02}-{d:02}"));
            assert!(s > prev, "ISO strings sort like days");
            prev = s;
        }
    }
}
