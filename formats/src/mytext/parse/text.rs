//! The scalar text forms the encoder writes (`text.rs`), parsed back exactly: decimals,
//! bytea hex, uuids, dates, timestamps, times, PostgreSQL intervals and timetz. Each returns
//! `None` for text the encoder could not have written.

use arrow_buffer::i256;

const SEC_US: i64 = 1_000_000;
const MIN_US: i64 = 60 * SEC_US;
const HOUR_US: i64 = 60 * MIN_US;
const DAY_US: i64 = 24 * HOUR_US;

/// Exact decimal text (`-12.30`, `1.5e3`) as the unscaled value at `scale`; `None` when a
/// digit would be lost or the value needs more than `precision` digits.
pub(crate) fn decimal(s: &str, precision: u8, scale: i8) -> Option<i256> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (mantissa, exp) = match body.find(['e', 'E']) {
        Some(at) => (&body[..at], body[at + 1..].parse::<i32>().ok()?),
        None => (body, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let no_fraction = frac.is_empty() && mantissa.contains('.');
    if int.is_empty() || no_fraction || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let digits: Vec<u8> = int.bytes().chain(frac.bytes()).collect();
    // value = digits · 10^(exp − |frac|); unscaled = digits · 10^(shift).
    let shift = i64::from(exp) - frac.len() as i64 + i64::from(scale);
    let first = digits.iter().position(|&d| d != b'0');
    let Some(first) = first else {
        return Some(i256::ZERO);
    };
    let mut digits = &digits[first..];
    let mut zeros = 0usize;
    if shift < 0 {
        let cut = usize::try_from(-shift).ok()?;
        if cut > digits.len() || digits[digits.len() - cut..].iter().any(|&d| d != b'0') {
            return None;
        }
        digits = &digits[..digits.len() - cut];
    } else {
        zeros = usize::try_from(shift).ok()?;
    }
    if digits.len() + zeros > usize::from(precision) {
        return None;
    }
    let ten = i256::from_i128(10);
    let mut v = i256::ZERO;
    for &d in digits.iter().chain(std::iter::repeat_n(&b'0', zeros)) {
        v = v
            .checked_mul(ten)?
            .checked_add(i256::from_i128(i128::from(d - b'0')))?;
    }
    Some(if neg { v.wrapping_neg() } else { v })
}

/// `\x` and an even number of hex digits (PostgreSQL's bytea text, as the encoder writes it).
pub(crate) fn bytea(s: &str) -> Option<Vec<u8>> {
    let hex = s.strip_prefix("\\x")?.as_bytes();
    if hex.len() % 2 != 0 {
        return None;
    }
    hex.chunks(2)
        .map(|p| Some((hex_digit(p[0])? << 4) | hex_digit(p[1])?))
        .collect()
}

fn hex_digit(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
pub(crate) fn uuid(s: &str) -> Option<[u8; 16]> {
    let b = s.as_bytes();
    if b.len() != 36 || [8, 13, 18, 23].iter().any(|&i| b[i] != b'-') {
        return None;
    }
    let hex: Vec<u8> = b.iter().copied().filter(|&c| c != b'-').collect();
    let mut out = [0u8; 16];
    for (i, o) in out.iter_mut().enumerate() {
        *o = (hex_digit(hex[2 * i])? << 4) | hex_digit(hex[2 * i + 1])?;
    }
    Some(out)
}

/// A run of ASCII digits as a number; `None` for none or a non-digit.
fn digits(s: &str) -> Option<i64> {
    if s.is_empty() || s.len() > 18 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `NN` of exactly two digits.
fn two(s: &str) -> Option<i64> {
    (s.len() == 2).then(|| digits(s)).flatten()
}

/// `SS[.f{1,6}]` as microseconds (seconds below 60).
fn seconds(s: &str) -> Option<i64> {
    let (sec, frac) = s.split_once('.').unwrap_or((s, ""));
    let sec = two(sec).filter(|&v| v < 60)?;
    let frac = if s.contains('.') {
        if frac.is_empty() || frac.len() > 6 {
            return None;
        }
        digits(frac)? * 10i64.pow(6 - frac.len() as u32)
    } else {
        0
    };
    Some(sec * SEC_US + frac)
}

/// `HH:MM:SS[.ffffff]`, 00:00:00 to 24:00:00.
pub(crate) fn time_of_day(s: &str) -> Option<i64> {
    let mut p = s.splitn(3, ':');
    let (h, m, sec) = (two(p.next()?)?, two(p.next()?)?, seconds(p.next()?)?);
    if m >= 60 {
        return None;
    }
    let us = h * HOUR_US + m * MIN_US + sec;
    (us <= DAY_US).then_some(us)
}

/// `YYYY-MM-DD` (years 0000..9999, as MySQL holds them) as days since 1970-01-01.
pub(crate) fn date(s: &str) -> Option<i32> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (digits(&s[..4])?, two(&s[5..7])?, two(&s[8..])?);
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&m) || d < 1 || d > month_days[(m - 1) as usize] {
        return None;
    }
    // H. Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    i32::try_from(era * 146_097 + doe - 719_468).ok()
}

/// `YYYY-MM-DD HH:MM:SS.ffffff` (the UTC wall clock) as microseconds since 1970.
pub(crate) fn timestamp(s: &str) -> Option<i64> {
    let (d, t) = s.split_once(' ')?;
    let t = time_of_day(t).filter(|&t| t < DAY_US)?;
    Some(i64::from(date(d)?) * DAY_US + t)
}

/// `HH:MM:SS[.ffffff]±HH:MM[:SS]` as (µs since midnight, seconds east of UTC).
pub(crate) fn timetz(s: &str) -> Option<(i64, i32)> {
    let at = s.rfind(['+', '-'])?;
    let time = time_of_day(&s[..at])?;
    let mut p = s[at + 1..].split(':');
    let h = two(p.next()?)?;
    let m = two(p.next()?).filter(|&m| m < 60)?;
    let sec = match p.next() {
        Some(x) => two(x).filter(|&x| x < 60)?,
        None => 0,
    };
    if p.next().is_some() {
        return None;
    }
    let offset = i32::try_from(h * 3600 + m * 60 + sec).ok()?;
    Some((
        time,
        if s.as_bytes()[at] == b'-' {
            -offset
        } else {
            offset
        },
    ))
}

/// PostgreSQL's interval text with `IntervalStyle=postgres` as the encoder writes it
/// (`1 year 2 mons 3 days 04:05:06.000007`, `-1 days +01:00:00`, `00:00:00`, `infinity`) as
/// (months, days, micros).
pub(crate) fn interval(s: &str) -> Option<(i32, i32, i64)> {
    match s {
        "infinity" => return Some((i32::MAX, i32::MAX, i64::MAX)),
        "-infinity" => return Some((i32::MIN, i32::MIN, i64::MIN)),
        _ => {}
    }
    let (mut months, mut days, mut micros) = (0i64, 0i64, None);
    // Units in the order they are written; each at most once.
    let mut next_unit = 0;
    let mut words = s.split(' ');
    while let Some(w) = words.next() {
        if w.contains(':') {
            if micros.is_some() {
                return None;
            }
            micros = Some(clock_span(w)?);
            continue;
        }
        if micros.is_some() {
            return None;
        }
        let v = signed(w)?;
        let unit = match words.next()? {
            "year" | "years" => 0,
            "mon" | "mons" => 1,
            "day" | "days" => 2,
            _ => return None,
        };
        if unit < next_unit {
            return None;
        }
        next_unit = unit + 1;
        match unit {
            0 => months = months.checked_add(v.checked_mul(12)?)?,
            1 => months = months.checked_add(v)?,
            _ => days = v,
        }
    }
    if next_unit == 0 && micros.is_none() {
        return None;
    }
    Some((
        i32::try_from(months).ok()?,
        i32::try_from(days).ok()?,
        micros.unwrap_or(0),
    ))
}

/// `[+-]N`.
fn signed(w: &str) -> Option<i64> {
    match w.as_bytes().first()? {
        b'-' => digits(&w[1..]).map(|v| -v),
        b'+' => digits(&w[1..]),
        _ => digits(w),
    }
}

/// `[+-]H:MM:SS[.f{1,6}]`, hours unbounded, as signed microseconds.
fn clock_span(w: &str) -> Option<i64> {
    let (neg, body) = match w.as_bytes().first()? {
        b'-' => (true, &w[1..]),
        b'+' => (false, &w[1..]),
        _ => (false, w),
    };
    let mut p = body.splitn(3, ':');
    let h = p.next().filter(|h| h.len() >= 2).and_then(digits)?;
    let m = two(p.next()?).filter(|&m| m < 60)?;
    let sec = seconds(p.next()?)?;
    let total = i128::from(h) * i128::from(HOUR_US) + i128::from(m * MIN_US + sec);
    i64::try_from(if neg { -total } else { total }).ok()
}
