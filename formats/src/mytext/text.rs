//! Text forms of single values as MySQL reads them, shared by the field writer (`mod.rs`) and
//! the JSON writer (`json.rs`). None of them contains a byte that needs field escaping, and none
//! allocates except to describe an error.

use std::borrow::Cow;
use std::fmt::{self, Write as _};

use arrow_schema::TimeUnit;

/// Why a value cannot be written (the column and row are added by the caller).
pub(super) type Reason = Cow<'static, str>;

const SEC_US: u64 = 1_000_000;
const MIN_US: u64 = 60 * SEC_US;
const HOUR_US: u64 = 60 * MIN_US;
const DAY_US: i64 = 24 * HOUR_US as i64;
/// 0000-01-01 and 9999-12-31 as days since 1970-01-01: MySQL's years are 0000..9999.
const MIN_DAY: i64 = -719_528;
const MAX_DAY: i64 = 2_932_896;

const NO_NAN: &str = "MySQL has no NaN/Infinity";

/// Digits for lower- and upper-case hex.
const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";
const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// A `fmt::Write` into a byte buffer; it never fails.
struct Sink<'a>(&'a mut Vec<u8>);

impl fmt::Write for Sink<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// `v` in decimal, at least `width` digits (zero-padded).
pub(super) fn padded(mut v: u64, width: usize, out: &mut Vec<u8>) {
    let mut buf = [b'0'; 20];
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[at.min(buf.len() - width.min(20))..]);
}

pub(super) fn u64_text(v: u64, out: &mut Vec<u8>) {
    padded(v, 1, out);
}

pub(super) fn i64_text(v: i64, out: &mut Vec<u8>) {
    if v < 0 {
        out.push(b'-');
    }
    padded(v.unsigned_abs(), 1, out);
}

/// Shortest text that parses back to `v`; plain digits for ordinary magnitudes, `1e-300` style
/// (valid in MySQL and in JSON) for the extremes, which plain digits would make hundreds of
/// characters long.
pub(super) fn f64_text(v: f64, out: &mut Vec<u8>) -> Result<(), Reason> {
    if !v.is_finite() {
        return Err(NO_NAN.into());
    }
    let a = v.abs();
    let mut s = Sink(out);
    let r = if a == 0.0 || (1e-7..1e16).contains(&a) {
        write!(s, "{v}")
    } else {
        write!(s, "{v:e}")
    };
    r.map_err(|_| "cannot format a float".into())
}

/// Shortest text of `v` as an f32. MySQL reads a FLOAT field as a double, checks it against
/// FLT_MAX and then rounds it to float: when the f32 text does not survive that path (f32::MAX,
/// whose shortest text `3.4028235e38` is above FLT_MAX as a double, or a double rounding), the
/// exact value is written as f64 text instead, which MySQL reads without any rounding.
pub(super) fn f32_text(v: f32, out: &mut Vec<u8>) -> Result<(), Reason> {
    if !v.is_finite() {
        return Err(NO_NAN.into());
    }
    let at = out.len();
    let a = v.abs();
    let mut s = Sink(out);
    let r = if a == 0.0 || (1e-7..1e16).contains(&a) {
        write!(s, "{v}")
    } else {
        write!(s, "{v:e}")
    };
    r.map_err(|_| "cannot format a float")?;
    let back = std::str::from_utf8(&out[at..])
        .ok()
        .and_then(|t| t.parse::<f64>().ok());
    if back.is_some_and(|b| b.abs() <= f64::from(f32::MAX) && (b as f32).to_bits() == v.to_bits()) {
        return Ok(());
    }
    out.truncate(at);
    f64_text(f64::from(v), out)
}

/// Decimal digits of a magnitude, right-aligned in a stack buffer.
pub(super) struct Digits {
    buf: [u8; 80],
    at: usize,
}

impl Digits {
    pub(super) fn as_bytes(&self) -> &[u8] {
        &self.buf[self.at..]
    }

    /// The digits of a 256-bit magnitude given as big-endian u64 limbs ("0" for zero).
    pub(super) fn of_limbs(mut limbs: [u64; 4]) -> Self {
        const CHUNK: u64 = 10_000_000_000_000_000_000; // 10^19
        let mut d = Digits {
            buf: [b'0'; 80],
            at: 80,
        };
        loop {
            if limbs[..3] == [0, 0, 0] {
                let mut v = limbs[3];
                loop {
                    d.at -= 1;
                    d.buf[d.at] = b'0' + (v % 10) as u8;
                    v /= 10;
                    if v == 0 {
                        return d;
                    }
                }
            }
            // limbs /= 10^19; the remainder gives 19 digits (zero-padded: more follow).
            let mut rem = 0u128;
            for limb in &mut limbs {
                let cur = (rem << 64) | u128::from(*limb);
                *limb = (cur / u128::from(CHUNK)) as u64;
                rem = cur % u128::from(CHUNK);
            }
            let mut r = rem as u64;
            for _ in 0..19 {
                d.at -= 1;
                d.buf[d.at] = b'0' + (r % 10) as u8;
                r /= 10;
            }
        }
    }

    pub(super) fn of_u128(v: u128) -> Self {
        Self::of_limbs([0, 0, (v >> 64) as u64, v as u64])
    }
}

/// `[-]digits·10^-scale` with exactly `scale` fraction digits (none and trailing zeros for a
/// negative scale): `-12.30`, `0.05`, `1200`.
pub(super) fn decimal_text(neg: bool, digits: &[u8], scale: i8, out: &mut Vec<u8>) {
    if digits == b"0" {
        out.push(b'0');
        if scale > 0 {
            out.push(b'.');
            out.resize(out.len() + scale as usize, b'0');
        }
        return;
    }
    if neg {
        out.push(b'-');
    }
    if scale <= 0 {
        out.extend_from_slice(digits);
        out.resize(out.len() + scale.unsigned_abs() as usize, b'0');
        return;
    }
    let s = scale as usize;
    if digits.len() > s {
        let (int, frac) = digits.split_at(digits.len() - s);
        out.extend_from_slice(int);
        out.push(b'.');
        out.extend_from_slice(frac);
    } else {
        out.extend_from_slice(b"0.");
        out.resize(out.len() + s - digits.len(), b'0');
        out.extend_from_slice(digits);
    }
}

pub(super) fn i128_decimal(v: i128, scale: i8, out: &mut Vec<u8>) {
    let m = v.unsigned_abs();
    if let Ok(small) = u64::try_from(m) {
        // The common case: no wide division.
        let mut d = Digits {
            buf: [b'0'; 80],
            at: 80,
        };
        let mut r = small;
        loop {
            d.at -= 1;
            d.buf[d.at] = b'0' + (r % 10) as u8;
            r /= 10;
            if r == 0 {
                break;
            }
        }
        return decimal_text(v < 0, d.as_bytes(), scale, out);
    }
    decimal_text(v < 0, Digits::of_u128(m).as_bytes(), scale, out);
}

pub(super) fn i256_decimal(v: arrow_buffer::i256, scale: i8, out: &mut Vec<u8>) {
    let neg = v.is_negative();
    // i256::MIN negates to itself, whose bits read unsigned are its magnitude 2^255.
    let (lo, hi) = if neg { v.wrapping_neg() } else { v }.to_parts();
    let hi = hi as u128;
    let d = Digits::of_limbs([(hi >> 64) as u64, hi as u64, (lo >> 64) as u64, lo as u64]);
    decimal_text(neg, d.as_bytes(), scale, out);
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
pub(super) fn civil(days: i64) -> (i64, u64, u64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m as u64, d as u64)
}

#[cold]
fn date_range(days: i64, what: &str) -> Reason {
    let (y, m, d) = civil(days);
    format!("{what} in {y}-{m:02}-{d:02} is outside MySQL's years 0000 to 9999").into()
}

/// `YYYY-MM-DD`, years 0000..=9999.
pub(super) fn date_text(days: i64, out: &mut Vec<u8>) -> Result<(), Reason> {
    if !(MIN_DAY..=MAX_DAY).contains(&days) {
        return Err(
            if days == i64::from(i32::MAX) || days == i64::from(i32::MIN) {
                "an infinite date (PostgreSQL's ±infinity) has no MySQL value".into()
            } else {
                date_range(days, "a date")
            },
        );
    }
    let (y, m, d) = civil(days);
    padded(y as u64, 4, out);
    out.push(b'-');
    padded(m, 2, out);
    out.push(b'-');
    padded(d, 2, out);
    Ok(())
}

/// A Date64 (milliseconds) that must be a whole day.
pub(super) fn date64_text(ms: i64, out: &mut Vec<u8>) -> Result<(), Reason> {
    if ms.rem_euclid(86_400_000) != 0 {
        return Err("a Date64 value that is not a whole day".into());
    }
    date_text(ms.div_euclid(86_400_000), out)
}

/// A value of `unit` as microseconds; sub-microsecond digits are an error (MySQL keeps 6).
fn micros(v: i64, unit: TimeUnit) -> Result<i64, Reason> {
    let too_big = || Reason::from("a value outside MySQL's range");
    match unit {
        TimeUnit::Second => v.checked_mul(1_000_000).ok_or_else(too_big),
        TimeUnit::Millisecond => v.checked_mul(1_000).ok_or_else(too_big),
        TimeUnit::Microsecond => Ok(v),
        TimeUnit::Nanosecond if v % 1_000 != 0 => {
            Err("nanoseconds MySQL cannot hold (it keeps microseconds)".into())
        }
        TimeUnit::Nanosecond => Ok(v / 1_000),
    }
}

/// `HH:MM:SS.ffffff` of a time of day in µs (hours at least two digits).
fn clock(us: u64, out: &mut Vec<u8>) {
    padded(us / HOUR_US, 2, out);
    out.push(b':');
    minutes_seconds(us, out);
}

/// `MM:SS.ffffff` of the µs past the hour.
fn minutes_seconds(us: u64, out: &mut Vec<u8>) {
    padded(us / MIN_US % 60, 2, out);
    out.push(b':');
    padded(us / SEC_US % 60, 2, out);
    out.push(b'.');
    padded(us % SEC_US, 6, out);
}

/// `YYYY-MM-DD HH:MM:SS.ffffff`: the UTC wall clock of the instant.
pub(super) fn timestamp_text(v: i64, unit: TimeUnit, out: &mut Vec<u8>) -> Result<(), Reason> {
    if v == i64::MAX || v == i64::MIN {
        return Err("an infinite timestamp (PostgreSQL's ±infinity) has no MySQL value".into());
    }
    // Seconds and milliseconds past i64 microseconds are ±292 000 years away.
    let us = match unit {
        TimeUnit::Second => v.checked_mul(1_000_000).ok_or(v.div_euclid(86_400)),
        TimeUnit::Millisecond => v.checked_mul(1_000).ok_or(v.div_euclid(86_400_000)),
        TimeUnit::Microsecond | TimeUnit::Nanosecond => Ok(micros(v, unit)?),
    }
    .map_err(|days| date_range(days, "a timestamp"))?;
    let days = us.div_euclid(DAY_US);
    if !(MIN_DAY..=MAX_DAY).contains(&days) {
        return Err(date_range(days, "a timestamp"));
    }
    date_text(days, out)?;
    out.push(b' ');
    clock(us.rem_euclid(DAY_US) as u64, out);
    Ok(())
}

/// MySQL TIME text: `[-]H:MM:SS.ffffff`, hours unbounded.
pub(super) fn duration_text(v: i64, unit: TimeUnit, out: &mut Vec<u8>) -> Result<(), Reason> {
    if unit == TimeUnit::Nanosecond && v % 1_000 != 0 {
        return micros(v, unit).map(drop);
    }
    let factor: u64 = match unit {
        TimeUnit::Second => 1_000_000,
        TimeUnit::Millisecond => 1_000,
        TimeUnit::Microsecond | TimeUnit::Nanosecond => 1,
    };
    let mut m = u128::from(v.unsigned_abs()) * u128::from(factor);
    if unit == TimeUnit::Nanosecond {
        m /= 1_000;
    }
    if v < 0 {
        out.push(b'-');
    }
    // |v| < 2^63 and factor ≤ 10^6, so the hours fit a u64.
    u64_text((m / u128::from(HOUR_US)) as u64, out);
    out.push(b':');
    minutes_seconds((m % u128::from(HOUR_US)) as u64, out);
    Ok(())
}

/// `HH:MM:SS.ffffff` of a Time32/Time64, 00:00:00 to 24:00:00 (PostgreSQL's `24:00:00`).
pub(super) fn time_text(v: i64, unit: TimeUnit, out: &mut Vec<u8>) -> Result<(), Reason> {
    let us = micros(v, unit)?;
    if !(0..=DAY_US).contains(&us) {
        return Err("a time of day outside 00:00:00 to 24:00:00".into());
    }
    clock(us as u64, out);
    Ok(())
}

/// PostgreSQL's `timetz` text: `HH:MM:SS.ffffff+HH:MM[:SS]`, the offset east of UTC.
pub(super) fn timetz_text(time_us: i64, offset: i32, out: &mut Vec<u8>) -> Result<(), Reason> {
    time_text(time_us, TimeUnit::Microsecond, out)?;
    out.push(if offset < 0 { b'-' } else { b'+' });
    let o = u64::from(offset.unsigned_abs());
    padded(o / 3600, 2, out);
    out.push(b':');
    padded(o / 60 % 60, 2, out);
    if o % 60 != 0 {
        out.push(b':');
        padded(o % 60, 2, out);
    }
    Ok(())
}

/// What PostgreSQL's `interval_out` prints with `IntervalStyle=postgres`, e.g.
/// `1 year 2 mons 3 days 04:05:06.000007`, `-1 years -2 mons +3 days -04:05:06`, `00:00:00`.
/// MySQL has no interval type: the engine stores it as text.
pub(super) fn interval_text(months: i32, days: i32, micros: i64, out: &mut Vec<u8>) {
    // PostgreSQL 17's infinite intervals: every field at its extreme.
    match (months, days, micros) {
        (i32::MAX, i32::MAX, i64::MAX) => return out.extend_from_slice(b"infinity"),
        (i32::MIN, i32::MIN, i64::MIN) => return out.extend_from_slice(b"-infinity"),
        _ => {}
    }
    let mut is_zero = true;
    let mut is_before = false;
    // PostgreSQL's AddPostgresIntPart: each non-zero field sets `is_before` for the next one.
    let mut part = |v: i64, unit: &[u8], out: &mut Vec<u8>| {
        if v == 0 {
            return;
        }
        if !is_zero {
            out.push(b' ');
        }
        if is_before && v > 0 {
            out.push(b'+');
        }
        i64_text(v, out);
        out.push(b' ');
        out.extend_from_slice(unit);
        if v != 1 {
            out.push(b's');
        }
        is_before = v < 0;
        is_zero = false;
    };
    // C division truncates: years and months both carry the sign of `months`.
    part(i64::from(months / 12), b"year", out);
    part(i64::from(months % 12), b"mon", out);
    part(i64::from(days), b"day", out);
    if is_zero || micros != 0 {
        if !is_zero {
            out.push(b' ');
        }
        if micros < 0 {
            out.push(b'-');
        } else if is_before {
            out.push(b'+');
        }
        let m = micros.unsigned_abs();
        padded(m / HOUR_US, 2, out);
        out.push(b':');
        padded(m / MIN_US % 60, 2, out);
        out.push(b':');
        padded(m / SEC_US % 60, 2, out);
        let mut frac = m % SEC_US;
        if frac != 0 {
            // Six digits without the trailing zeros.
            let mut width = 6;
            while frac.is_multiple_of(10) {
                frac /= 10;
                width -= 1;
            }
            out.push(b'.');
            padded(frac, width, out);
        }
    }
}

/// Canonical lower-case UUID text, `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
pub(super) fn uuid_text(b: &[u8], out: &mut Vec<u8>) {
    for (k, &x) in b.iter().enumerate() {
        if matches!(k, 4 | 6 | 8 | 10) {
            out.push(b'-');
        }
        out.extend_from_slice(&[
            HEX_LOWER[usize::from(x >> 4)],
            HEX_LOWER[usize::from(x & 15)],
        ]);
    }
}

/// The bytes as hex digits, upper- or lower-case.
pub(super) fn hex(b: &[u8], upper: bool, out: &mut Vec<u8>) {
    let digits = if upper { HEX_UPPER } else { HEX_LOWER };
    out.reserve(2 * b.len());
    for &x in b {
        out.extend_from_slice(&[digits[usize::from(x >> 4)], digits[usize::from(x & 15)]]);
    }
}
