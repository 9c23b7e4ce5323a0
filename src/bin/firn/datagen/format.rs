//! Allocation-free formatting of the CSV fields into a reusable byte buffer.

/// Decimal digits of `n` (1 for 0).
pub(crate) fn digits(mut n: u64) -> usize {
    let mut d = 1;
    while n >= 10 {
        n /= 10;
        d += 1;
    }
    d
}

/// The zero-padded width of ids numbered 1..=`count`: at least `min`, wider when needed.
pub(crate) fn id_width(count: u64, min: usize) -> usize {
    digits(count).max(min)
}

/// Appends `n` in decimal, left-padded with zeros to `width` digits.
pub(crate) fn push_padded(buf: &mut Vec<u8>, mut n: u64, width: usize) {
    let mut tmp = [b'0'; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let len = tmp.len() - i;
    buf.resize(buf.len() + width.saturating_sub(len), b'0');
    buf.extend_from_slice(&tmp[i..]);
}

/// Appends an amount given in cents the way the seed data writes its floats
/// (shortest form, at most two decimals, at least one): `254.0`, `189.9`, `239.94`.
pub(crate) fn push_amount(buf: &mut Vec<u8>, cents: u32) {
    push_padded(buf, u64::from(cents / 100), 1);
    let frac = cents % 100;
    buf.push(b'.');
    buf.push(b'0' + (frac / 10) as u8);
    if !frac.is_multiple_of(10) {
        buf.push(b'0' + (frac % 10) as u8);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut buf = Vec::new();
        f(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    }

    #[test]
    fn padded_ids() {
        assert_eq!(fmt(|b| push_padded(b, 1, 5)), "00001");
        assert_eq!(fmt(|b| push_padded(b, 0, 1)), "0");
        assert_eq!(fmt(|b| push_padded(b, 123_456, 5)), "123456");
        assert_eq!(fmt(|b| push_padded(b, u64::MAX, 3)), u64::MAX.to_string());
        assert_eq!(id_width(3_000, 5), 5);
        assert_eq!(id_width(99_999, 5), 5);
        assert_eq!(id_width(100_000, 5), 6);
        assert_eq!(id_width(20_100, 6), 6);
        assert_eq!(id_width(6_700_000, 6), 7);
    }

    #[test]
    fn amounts_like_the_seed() {
        assert_eq!(fmt(|b| push_amount(b, 25_400)), "254.0");
        assert_eq!(fmt(|b| push_amount(b, 18_990)), "189.9");
        assert_eq!(fmt(|b| push_amount(b, 23_994)), "239.94");
        assert_eq!(fmt(|b| push_amount(b, 5_003)), "50.03");
        assert_eq!(fmt(|b| push_amount(b, 44_999)), "449.99");
        for cents in 5_000..45_000u32 {
            let s = fmt(|b| push_amount(b, cents));
            let parsed: f64 = s.parse().unwrap_or(f64::NAN);
            assert_eq!((parsed * 100.0).round() as u32, cents, "{s}");
        }
    }
}
