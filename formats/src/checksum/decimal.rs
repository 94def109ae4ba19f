//! Canonical decimals: `(digits, exponent)` with value = sign·digits·10^exponent, no leading or
//! trailing zeros in `digits`, zero as `("0", 0)` without a sign (docs/checksum.md).
//!
//! Encoding: u64 LE length, the ASCII bytes of `[-]digits`, then the exponent as i32 LE. NaN and
//! ±infinity (decimal text only) are the texts `NaN`, `Infinity`, `-Infinity` with exponent 0.
//!
//! Values whose magnitude fits a u64 (every Decimal128 of precision ≤ 19, so most columns) take
//! integer formatting into a stack buffer; wider values take u128 or 4×u64-limb division, still
//! on the stack. Nothing here allocates except an error message.

use arrow_buffer::i256;

/// Digits needed for the largest magnitude (2^256 has 78 decimal digits).
const MAX_DIGITS: usize = 80;
/// 10^19, the largest power of ten that fits a u64.
const TEN19: u64 = 10_000_000_000_000_000_000;

const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Decimal digits written right to left into a stack buffer.
struct Digits {
    buf: [u8; MAX_DIGITS],
    start: usize,
}

impl Digits {
    fn new() -> Self {
        Self {
            buf: [b'0'; MAX_DIGITS],
            start: MAX_DIGITS,
        }
    }

    /// Prepends `v`'s digits, without leading zeros (at least one digit).
    fn push_u64(&mut self, mut v: u64) {
        while v >= 100 {
            let pair = (v % 100) as usize * 2;
            v /= 100;
            self.start -= 2;
            self.buf[self.start..self.start + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
        }
        if v >= 10 {
            let pair = v as usize * 2;
            self.start -= 2;
            self.buf[self.start..self.start + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
        } else {
            self.start -= 1;
            self.buf[self.start] = b'0' + v as u8;
        }
    }

    /// Prepends `v` (< 10^19) as exactly 19 digits, zero-padded.
    fn push_chunk19(&mut self, mut v: u64) {
        for _ in 0..19 {
            self.start -= 1;
            self.buf[self.start] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    }

    fn push_u128(&mut self, mut v: u128) {
        while v > u128::from(u64::MAX) {
            self.push_chunk19((v % u128::from(TEN19)) as u64);
            v /= u128::from(TEN19);
        }
        self.push_u64(v as u64);
    }

    fn as_slice(&self) -> &[u8] {
        &self.buf[self.start..]
    }
}

/// Writes the canonical encoding of `v`·10^−scale (a Decimal32/64/128 value).
#[inline]
pub(super) fn write_i128(v: i128, scale: i8, out: &mut Vec<u8>) {
    if v == 0 {
        return write_zero(out);
    }
    let mag = v.unsigned_abs();
    if let Ok(small) = u64::try_from(mag) {
        return write_u64(v < 0, small, scale, out);
    }
    let mut digits = Digits::new();
    digits.push_u128(mag);
    write_digits(v < 0, digits.as_slice(), scale, out);
}

/// The common case, a non-zero magnitude below 2^64: trailing zeros stripped with integer
/// division, and the encoding written in place into a fixed-size zeroed tail of `out`, then
/// truncated. (Assembling it in a stack array and copying it over was slower: the wide load
/// of freshly written bytes stalls on store forwarding.)
#[inline]
fn write_u64(neg: bool, mut m: u64, scale: i8, out: &mut Vec<u8>) {
    // len (8) + sign (1) + up to 20 digits + exponent (4).
    const MAX: usize = 33;
    let mut zeros = 0i32;
    while m.is_multiple_of(10) {
        m /= 10;
        zeros += 1;
    }
    let sign = usize::from(neg);
    let n = m.ilog10() as usize + 1;
    let total = 8 + sign + n;
    let start = out.len();
    out.extend_from_slice(&[0u8; MAX]);
    let enc = &mut out[start..start + MAX];
    enc[..8].copy_from_slice(&((n + sign) as u64).to_le_bytes());
    enc[8] = b'-';
    let mut end = total;
    while m >= 100 {
        let pair = (m % 100) as usize * 2;
        m /= 100;
        enc[end - 2..end].copy_from_slice(&PAIRS[pair..pair + 2]);
        end -= 2;
    }
    if m >= 10 {
        let pair = m as usize * 2;
        enc[end - 2..end].copy_from_slice(&PAIRS[pair..pair + 2]);
    } else {
        enc[end - 1] = b'0' + m as u8;
    }
    // zeros ≤ 19, so this cannot overflow.
    enc[total..total + 4].copy_from_slice(&(zeros - i32::from(scale)).to_le_bytes());
    out.truncate(start + total + 4);
}

/// Writes the canonical encoding of `v`·10^−scale (a Decimal256 value).
pub(super) fn write_i256(v: i256, scale: i8, out: &mut Vec<u8>) {
    if let Some(small) = v.to_i128() {
        return write_i128(small, scale, out);
    }
    // |v| as four little-endian u64 limbs; i256::MIN's wrapping negation has the right bits.
    let neg = v.is_negative();
    let bytes = if neg { v.wrapping_neg() } else { v }.to_le_bytes();
    let mut limbs = [0u64; 4];
    for (limb, chunk) in limbs.iter_mut().zip(bytes.chunks_exact(8)) {
        let mut b = [0u8; 8];
        b.copy_from_slice(chunk);
        *limb = u64::from_le_bytes(b);
    }
    let mut digits = Digits::new();
    while limbs[1..].iter().any(|&l| l != 0) {
        let mut rem: u128 = 0;
        for limb in limbs.iter_mut().rev() {
            let cur = (rem << 64) | u128::from(*limb);
            *limb = (cur / u128::from(TEN19)) as u64;
            rem = cur % u128::from(TEN19);
        }
        digits.push_chunk19(rem as u64);
    }
    digits.push_u64(limbs[0]);
    write_digits(neg, digits.as_slice(), scale, out);
}

/// `digits` is a non-zero magnitude without leading zeros; strips its trailing zeros into the
/// exponent.
#[inline]
fn write_digits(neg: bool, digits: &[u8], scale: i8, out: &mut Vec<u8>) {
    let zeros = digits.iter().rev().take_while(|&&d| d == b'0').count();
    let digits = &digits[..digits.len() - zeros];
    // zeros ≤ 78, so this cannot overflow.
    let exponent = zeros as i32 - i32::from(scale);
    out.extend_from_slice(&((digits.len() + usize::from(neg)) as u64).to_le_bytes());
    if neg {
        out.push(b'-');
    }
    out.extend_from_slice(digits);
    out.extend_from_slice(&exponent.to_le_bytes());
}

fn write_zero(out: &mut Vec<u8>) {
    write_text_form(b"0", out);
}

/// A fixed text with exponent 0 (zero, NaN, ±infinity).
fn write_text_form(text: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(&(text.len() as u64).to_le_bytes());
    out.extend_from_slice(text);
    out.extend_from_slice(&0i32.to_le_bytes());
}

/// Writes the canonical encoding of exact decimal text (PostgreSQL `numeric` output and the
/// like): `[+-]digits[.digits][(e|E)[+-]digits]` with at least one digit in the mantissa, or
/// `NaN`, `[+-]Infinity`, `[+-]inf` (ASCII case-insensitive). No surrounding whitespace.
/// Returns why the text is not a decimal.
pub(super) fn write_text(text: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
    let (neg, body) = match text.first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if body.eq_ignore_ascii_case(b"infinity") || body.eq_ignore_ascii_case(b"inf") {
        write_text_form(if neg { b"-Infinity" } else { b"Infinity" }, out);
        return Ok(());
    }
    if text.eq_ignore_ascii_case(b"nan") {
        write_text_form(b"NaN", out);
        return Ok(());
    }
    let bad = || format!("not a decimal number: `{}`", shorten(text));
    // Mantissa: integer digits, optional '.', fraction digits.
    let int_len = body.iter().take_while(|b| b.is_ascii_digit()).count();
    let int_part = &body[..int_len];
    let mut rest = &body[int_len..];
    let mut frac: &[u8] = &[];
    if let Some((b'.', after)) = rest.split_first() {
        let n = after.iter().take_while(|b| b.is_ascii_digit()).count();
        frac = &after[..n];
        rest = &after[n..];
    }
    if int_part.is_empty() && frac.is_empty() {
        return Err(bad());
    }
    // Optional exponent.
    let mut explicit: i64 = 0;
    if let Some((b'e' | b'E', after)) = rest.split_first() {
        let (exp_neg, digits) = match after.split_first() {
            Some((b'-', d)) => (true, d),
            Some((b'+', d)) => (false, d),
            _ => (false, after),
        };
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return Err(bad());
        }
        for &d in digits {
            explicit = explicit
                .checked_mul(10)
                .and_then(|e| e.checked_add(i64::from(d - b'0')))
                .filter(|e| *e <= i64::from(i32::MAX) * 4)
                .ok_or_else(|| format!("exponent out of range: `{}`", shorten(text)))?;
        }
        if exp_neg {
            explicit = -explicit;
        }
        rest = &[];
    }
    if !rest.is_empty() {
        return Err(bad());
    }
    // The mantissa's digits D = int_part ++ frac, value = D·10^(explicit − |frac|).
    let total = int_part.len() + frac.len();
    let digit_at = |k: usize| {
        if k < int_part.len() {
            int_part[k]
        } else {
            frac[k - int_part.len()]
        }
    };
    let Some(first) = (0..total).find(|&k| digit_at(k) != b'0') else {
        write_zero(out);
        return Ok(());
    };
    let last = (0..total)
        .rev()
        .find(|&k| digit_at(k) != b'0')
        .unwrap_or(first);
    let exponent = i64::try_from(total - 1 - last)
        .ok()
        .and_then(|trailing| {
            explicit
                .checked_sub(frac.len() as i64)?
                .checked_add(trailing)
        })
        .and_then(|e| i32::try_from(e).ok())
        .ok_or_else(|| format!("exponent out of range: `{}`", shorten(text)))?;
    let len = last + 1 - first + usize::from(neg);
    out.extend_from_slice(&(len as u64).to_le_bytes());
    if neg {
        out.push(b'-');
    }
    // D[first..=last], taken from the integer part and then the fraction.
    let split = int_part.len();
    if first < split {
        out.extend_from_slice(&int_part[first..split.min(last + 1)]);
    }
    if last >= split {
        out.extend_from_slice(&frac[first.max(split) - split..=last - split]);
    }
    out.extend_from_slice(&exponent.to_le_bytes());
    Ok(())
}

/// At most 40 characters of a value, for error messages.
fn shorten(text: &[u8]) -> String {
    let s = String::from_utf8_lossy(text);
    if s.chars().count() <= 40 {
        s.into_owned()
    } else {
        s.chars().take(40).collect::<String>() + "…"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes an encoding back to (text, exponent) for readable assertions.
    fn parts(enc: &[u8]) -> (String, i32) {
        let len = u64::from_le_bytes(enc[..8].try_into().expect("8 bytes")) as usize;
        assert_eq!(
            enc.len(),
            8 + len + 4,
            "length prefix covers the text exactly"
        );
        let text = String::from_utf8(enc[8..8 + len].to_vec()).expect("ascii");
        let exp = i32::from_le_bytes(enc[8 + len..].try_into().expect("4 bytes"));
        (text, exp)
    }

    fn from_i128(v: i128, scale: i8) -> (String, i32) {
        let mut out = Vec::new();
        write_i128(v, scale, &mut out);
        parts(&out)
    }

    fn from_i256(v: i256, scale: i8) -> (String, i32) {
        let mut out = Vec::new();
        write_i256(v, scale, &mut out);
        parts(&out)
    }

    fn from_text(t: &str) -> Result<(String, i32), String> {
        let mut out = Vec::new();
        write_text(t.as_bytes(), &mut out)?;
        Ok(parts(&out))
    }

    fn p(s: &str, e: i32) -> (String, i32) {
        (s.to_string(), e)
    }

    #[test]
    fn integers_normalise() {
        assert_eq!(from_i128(150, 2), p("15", -1));
        assert_eq!(from_i128(-150, 2), p("-15", -1));
        assert_eq!(from_i128(0, 2), p("0", 0));
        assert_eq!(from_i128(100, 0), p("1", 2));
        assert_eq!(from_i128(1, -2), p("1", 2));
        assert_eq!(from_i128(12345, 2), p("12345", -2));
        assert_eq!(from_i128(i64::MAX as i128, 0), p("9223372036854775807", 0));
        assert_eq!(
            from_i128(u64::MAX as i128, 3),
            p("18446744073709551615", -3)
        );
        assert_eq!(from_i128(i128::MAX, 0), p(&i128::MAX.to_string(), 0));
        assert_eq!(from_i128(i128::MIN, 0), p(&i128::MIN.to_string(), 0));
        assert_eq!(from_i128(10i128.pow(38), 38), p("1", 0));
        assert_eq!(from_i128(-(10i128.pow(20)) * 7, 1), p("-7", 19));
        for v in [
            1i128,
            9,
            10,
            99,
            100,
            101,
            1000,
            123_456_789,
            10i128.pow(19),
            10i128.pow(19) + 1,
        ] {
            let s = v.to_string();
            let t = s.trim_end_matches('0');
            assert_eq!(from_i128(v, 0), p(t, (s.len() - t.len()) as i32), "{v}");
        }
    }

    #[test]
    fn wide_values_normalise() {
        let big = i256::from_string("123456789012345678901234567890123456789012345678900000")
            .expect("valid");
        assert_eq!(
            from_i256(big, 4),
            p("1234567890123456789012345678901234567890123456789", 1)
        );
        assert_eq!(
            from_i256(big.wrapping_neg(), 60),
            p("-1234567890123456789012345678901234567890123456789", -55)
        );
        assert_eq!(from_i256(i256::MAX, 0), p(&i256::MAX.to_string(), 0));
        assert_eq!(from_i256(i256::MIN, 0), p(&i256::MIN.to_string(), 0));
        assert_eq!(from_i256(i256::from_i128(-1500), 3), p("-15", -1));
        let ten76 = i256::from_i128(10).wrapping_pow(76);
        assert_eq!(from_i256(ten76, 0), p("1", 76));
    }

    #[test]
    fn text_normalises() {
        assert_eq!(from_text("1.50"), Ok(p("15", -1)));
        assert_eq!(from_text("-123.4500"), Ok(p("-12345", -2)));
        assert_eq!(from_text("+007"), Ok(p("7", 0)));
        assert_eq!(from_text("100"), Ok(p("1", 2)));
        assert_eq!(from_text("0.000"), Ok(p("0", 0)));
        assert_eq!(from_text("-0"), Ok(p("0", 0)));
        assert_eq!(from_text(".5"), Ok(p("5", -1)));
        assert_eq!(from_text("5."), Ok(p("5", 0)));
        assert_eq!(from_text("0.0012"), Ok(p("12", -4)));
        assert_eq!(from_text("1.5e3"), Ok(p("15", 2)));
        assert_eq!(from_text("1500E-3"), Ok(p("15", -1)));
        assert_eq!(from_text("NaN"), Ok(p("NaN", 0)));
        assert_eq!(from_text("nan"), Ok(p("NaN", 0)));
        assert_eq!(from_text("Infinity"), Ok(p("Infinity", 0)));
        assert_eq!(from_text("-Infinity"), Ok(p("-Infinity", 0)));
        assert_eq!(from_text("+inf"), Ok(p("Infinity", 0)));
        let long = format!("{}.{}", "9".repeat(3000), "1".repeat(2000));
        let (digits, exp) = from_text(&long).expect("valid");
        assert_eq!((digits.len(), exp), (5000, -2000));
        for bad in [
            "", "-", ".", "1.2.3", "1e", "1e+", " 1", "1 ", "abc", "-NaN", "1,5", "0x10",
        ] {
            assert!(from_text(bad).is_err(), "{bad:?} should be rejected");
        }
        assert!(from_text("1e99999999999").is_err());
    }

    #[test]
    fn text_matches_fixed_point() {
        for (v, scale) in [(150i128, 2i8), (-5, 0), (123_456, 3), (7, -3), (0, 5)] {
            let text = if scale >= 0 {
                let s = format!("{:0>width$}", v.unsigned_abs(), width = scale as usize + 1);
                let (i, f) = s.split_at(s.len() - scale as usize);
                format!("{}{i}.{f}", if v < 0 { "-" } else { "" })
            } else {
                format!("{v}{}", "0".repeat((-scale) as usize))
            };
            assert_eq!(from_text(&text), Ok(from_i128(v, scale)), "{text}");
        }
    }
}
