//! PostgreSQL `numeric` in its binary send form → Arrow decimals, or PostgreSQL's exact text.
//!
//! Wire form (`numeric_send`): i16 ndigits, i16 weight, u16 sign, u16 dscale, then `ndigits`
//! base-10000 digits, most significant first. The value is `Σ digit[i] × 10000^(weight − i)`.
//! `dscale` is the number of fraction digits the value displays with; the digit array itself has
//! leading and trailing zero digits stripped by the server.

use arrow_buffer::i256;

/// Sign word of a positive value.
pub(crate) const NUMERIC_POS: u16 = 0x0000;
/// Sign word of a negative value.
pub(crate) const NUMERIC_NEG: u16 = 0x4000;
/// Sign word of NaN.
pub(crate) const NUMERIC_NAN: u16 = 0xC000;
/// Sign word of +Infinity (PostgreSQL 14+).
pub(crate) const NUMERIC_PINF: u16 = 0xD000;
/// Sign word of −Infinity (PostgreSQL 14+).
pub(crate) const NUMERIC_NINF: u16 = 0xF000;

/// `NUMERIC_DSCALE_MASK`: the bits `numeric_recv` accepts in the dscale word.
const DSCALE_MASK: u16 = 0x3FFF;

/// Why a numeric could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumericError {
    /// The bytes do not follow the wire form (length, sign word, digit ≥ 10000, dscale).
    Malformed(&'static str),
    /// NaN / ±Infinity where a decimal is expected.
    Special(u16),
    /// The value needs more fraction digits than the column's scale (it would be rounded).
    TooManyFractionDigits,
    /// The unscaled value does not fit the integer type (or the declared precision).
    Overflow,
}

/// A borrowed, length-checked view of one numeric value.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Numeric<'a> {
    weight: i16,
    sign: u16,
    dscale: u16,
    /// `2 × ndigits` bytes of big-endian base-10000 digits.
    digits: &'a [u8],
}

impl<'a> Numeric<'a> {
    /// Checks the header and the length; digits are checked (< 10000) as they are read.
    #[inline]
    pub(crate) fn parse(raw: &'a [u8]) -> Result<Self, NumericError> {
        let Some((head, digits)) = raw.split_first_chunk::<8>() else {
            return Err(NumericError::Malformed(
                "numeric field shorter than its 8-byte header",
            ));
        };
        let ndigits = i16::from_be_bytes([head[0], head[1]]);
        let weight = i16::from_be_bytes([head[2], head[3]]);
        let sign = u16::from_be_bytes([head[4], head[5]]);
        let dscale = u16::from_be_bytes([head[6], head[7]]);
        if ndigits < 0 || digits.len() != 2 * ndigits as usize {
            return Err(NumericError::Malformed(
                "numeric field length does not match its digit count",
            ));
        }
        match sign {
            NUMERIC_POS | NUMERIC_NEG => {
                if dscale & DSCALE_MASK != dscale {
                    return Err(NumericError::Malformed("invalid numeric display scale"));
                }
            }
            NUMERIC_NAN | NUMERIC_PINF | NUMERIC_NINF => {}
            _ => return Err(NumericError::Malformed("invalid numeric sign word")),
        }
        Ok(Self {
            weight,
            sign,
            dscale,
            digits,
        })
    }

    /// The sign word when the value is NaN or ±Infinity.
    #[inline]
    pub(crate) fn special(&self) -> Option<u16> {
        (self.sign >= NUMERIC_NAN).then_some(self.sign)
    }

    #[inline]
    fn ndigits(&self) -> usize {
        self.digits.len() / 2
    }

    /// Digit `i` (0 = most significant); zero outside the stored digits.
    #[inline]
    fn digit(&self, i: i32) -> Result<u32, NumericError> {
        if i < 0 || i as usize >= self.ndigits() {
            return Ok(0);
        }
        let at = 2 * i as usize;
        let d = u32::from(u16::from_be_bytes([self.digits[at], self.digits[at + 1]]));
        if d >= 10_000 {
            return Err(NumericError::Malformed(
                "numeric digit out of range (≥ 10000)",
            ));
        }
        Ok(d)
    }

    /// Power of ten the unscaled integer must be multiplied by (negative: divided by) after the
    /// digits are read as one integer, to land at `scale`.
    #[inline]
    fn shift_to(&self, scale: i8) -> i32 {
        // The last stored digit is worth 10000^(weight − (ndigits − 1)).
        i32::from(scale) + 4 * (i32::from(self.weight) + 1 - self.ndigits() as i32)
    }

    /// The value × 10^scale as an i128, exact (error if it would need rounding or overflows).
    #[inline]
    pub(crate) fn to_i128(self, scale: i8) -> Result<i128, NumericError> {
        if let Some(s) = self.special() {
            return Err(NumericError::Special(s));
        }
        let n = self.ndigits();
        if n == 0 {
            return Ok(0);
        }
        let shift = self.shift_to(scale);
        let magnitude: u128 = if n <= 4 && (-3..=3).contains(&shift) {
            // The common case (e.g. numeric(15,2)): at most 4 digit groups, whose value fits a
            // u64, and a scale that ends at most 3 decimal digits away from the last group's end.
            let mut head: u64 = 0;
            for i in 0..n - 1 {
                head = head * 10_000 + u64::from(self.digit(i as i32)?);
            }
            let last = u64::from(self.digit(n as i32 - 1)?);
            if shift >= 0 {
                // < 10^16 × 10^3 < u64::MAX
                u128::from((head * 10_000 + last) * POW10_U64[shift as usize])
            } else {
                // Drop k = −shift trailing decimal digits of the last group, which must be zero.
                let k = (-shift) as usize;
                let (mul, sh) = RECIPROCAL[k];
                let q = (last * mul) >> sh;
                if q * POW10_U64[k] != last {
                    return Err(NumericError::TooManyFractionDigits);
                }
                u128::from(head * POW10_U64[4 - k] + q)
            }
        } else {
            // Drop the fraction digits below the scale before accumulating: a full-width
            // numeric(38,38) arrives as 10 groups (40 digits, the last two zero padding), which
            // would overflow a u128 if summed first. Dropped digits must be zero.
            let mut used = n;
            let mut shift = shift;
            while shift <= -4 {
                if self.digit(used as i32 - 1)? != 0 {
                    return Err(NumericError::TooManyFractionDigits);
                }
                used -= 1;
                shift += 4;
                if used == 0 {
                    return Ok(0);
                }
            }
            let mut acc: u128 = 0;
            let push = |acc: u128, mul: u128, d: u128| {
                acc.checked_mul(mul)
                    .and_then(|a| a.checked_add(d))
                    .ok_or(NumericError::Overflow)
            };
            for i in 0..used - 1 {
                acc = push(acc, 10_000, u128::from(self.digit(i as i32)?))?;
            }
            let last = u128::from(self.digit(used as i32 - 1)?);
            if shift >= 0 {
                scale_u128(push(acc, 10_000, last)?, shift)?
            } else {
                // Keep 4 − k digits of the last group; its k low digits must be zero.
                let k = (-shift) as usize;
                let p = POW10_U128[k];
                if !last.is_multiple_of(p) {
                    return Err(NumericError::TooManyFractionDigits);
                }
                push(acc, POW10_U128[4 - k], last / p)?
            }
        };
        if magnitude > i128::MAX as u128 {
            return Err(NumericError::Overflow);
        }
        let v = magnitude as i128;
        Ok(if self.sign == NUMERIC_NEG { -v } else { v })
    }

    /// The value × 10^scale as an i256, exact.
    pub(crate) fn to_i256(self, scale: i8) -> Result<i256, NumericError> {
        if let Some(s) = self.special() {
            return Err(NumericError::Special(s));
        }
        let n = self.ndigits();
        if n == 0 {
            return Ok(i256::ZERO);
        }
        // As in `to_i128`: drop the groups below the scale (which must be zero) and the zero
        // padding of the last kept group before accumulating, or a full-width numeric(76,38)
        // (20 groups, 80 digits with the padding) would overflow an i256.
        let mut used = n;
        let mut shift = self.shift_to(scale);
        while shift <= -4 {
            if self.digit(used as i32 - 1)? != 0 {
                return Err(NumericError::TooManyFractionDigits);
            }
            used -= 1;
            shift += 4;
            if used == 0 {
                return Ok(i256::ZERO);
            }
        }
        let push = |acc: i256, mul: i128, d: u32| {
            acc.checked_mul(i256::from_i128(mul))
                .and_then(|a| a.checked_add(i256::from_i128(i128::from(d))))
                .ok_or(NumericError::Overflow)
        };
        let mut acc = i256::ZERO;
        for i in 0..used - 1 {
            acc = push(acc, 10_000, self.digit(i as i32)?)?;
        }
        let last = self.digit(used as i32 - 1)?;
        if shift >= 0 {
            acc = push(acc, 10_000, last)?;
            let p = i256::from_i128(10)
                .checked_pow(shift as u32)
                .ok_or(NumericError::Overflow)?;
            acc = acc.checked_mul(p).ok_or(NumericError::Overflow)?;
        } else {
            // Keep 4 − k digits of the last group; its k low digits must be zero.
            let k = (-shift) as usize;
            let p = POW10_U64[k] as u32;
            if last % p != 0 {
                return Err(NumericError::TooManyFractionDigits);
            }
            acc = push(acc, POW10_U64[4 - k] as i128, last / p)?;
        }
        Ok(if self.sign == NUMERIC_NEG {
            acc.wrapping_neg()
        } else {
            acc
        })
    }

    /// Appends PostgreSQL's `numeric_out` text (`get_str_from_var`): `-`, the integer digits
    /// without leading zeros (`0` when |x| < 1), then `.` and exactly `dscale` fraction digits.
    pub(crate) fn write_text(&self, out: &mut Vec<u8>) -> Result<(), NumericError> {
        match self.sign {
            NUMERIC_NAN => {
                out.extend_from_slice(b"NaN");
                return Ok(());
            }
            NUMERIC_PINF => {
                out.extend_from_slice(b"Infinity");
                return Ok(());
            }
            NUMERIC_NINF => {
                out.extend_from_slice(b"-Infinity");
                return Ok(());
            }
            NUMERIC_NEG => out.push(b'-'),
            _ => {}
        }
        let weight = i32::from(self.weight);
        let dscale = usize::from(self.dscale);
        out.reserve(4 * (weight.max(0) as usize + 1) + dscale + 5);
        let mut d: i32;
        if weight < 0 {
            d = weight + 1;
            out.push(b'0');
        } else {
            d = 0;
            while d <= weight {
                let group = four_digits(self.digit(d)?);
                if d == 0 {
                    // Leading zeros of the first group are suppressed; its last digit is not.
                    let skip = group[..3].iter().take_while(|&&c| c == b'0').count();
                    out.extend_from_slice(&group[skip..]);
                } else {
                    out.extend_from_slice(&group);
                }
                d += 1;
            }
        }
        if dscale > 0 {
            out.push(b'.');
            let end = out.len() + dscale;
            let mut i = 0;
            while i < dscale {
                out.extend_from_slice(&four_digits(self.digit(d)?));
                d += 1;
                i += 4;
            }
            out.truncate(end);
        }
        Ok(())
    }
}

/// A base-10000 digit as four ASCII digits.
#[inline]
fn four_digits(d: u32) -> [u8; 4] {
    [
        b'0' + (d / 1000) as u8,
        b'0' + (d / 100 % 10) as u8,
        b'0' + (d / 10 % 10) as u8,
        b'0' + (d % 10) as u8,
    ]
}

/// `d / 10^k == (d × RECIPROCAL[k].0) >> RECIPROCAL[k].1` for every digit group d < 10000
/// (checked exhaustively in the tests): a division by a variable power of ten without `div`.
const RECIPROCAL: [(u64, u32); 4] = [(1, 0), (52_429, 19), (5_243, 19), (8_389, 23)];

const POW10_U64: [u64; 20] = {
    let mut t = [1u64; 20];
    let mut i = 1;
    while i < 20 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// 10^0 ..= 10^38 (10^38 < u128::MAX ≈ 3.4 × 10^38).
const POW10_U128: [u128; 39] = {
    let mut t = [1u128; 39];
    let mut i = 1;
    while i < 39 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// `acc × 10^shift`, exactly.
fn scale_u128(acc: u128, shift: i32) -> Result<u128, NumericError> {
    if acc == 0 {
        return Ok(0);
    }
    if shift >= 0 {
        let p = POW10_U128
            .get(shift as usize)
            .ok_or(NumericError::Overflow)?;
        acc.checked_mul(*p).ok_or(NumericError::Overflow)
    } else {
        let Some(p) = POW10_U128.get((-shift) as usize) else {
            return Err(NumericError::TooManyFractionDigits);
        };
        if !acc.is_multiple_of(*p) {
            return Err(NumericError::TooManyFractionDigits);
        }
        Ok(acc / p)
    }
}

/// 10^p − 1 as i128 (largest unscaled value of precision `p` ≤ 38).
pub(crate) fn max_i128(precision: u8) -> i128 {
    POW10_U128[usize::from(precision.min(38))] as i128 - 1
}

/// 10^p − 1 as i256 (p ≤ 76).
pub(crate) fn max_i256(precision: u8) -> i256 {
    i256::from_i128(10)
        .checked_pow(u32::from(precision.min(76)))
        .map_or(i256::MAX, |p| p.wrapping_sub(i256::ONE))
}

// ---- Encoding: Arrow decimals and decimal text → the send form ----

/// Most digit groups an Arrow decimal needs: |x| < 2^255 < 10^77, and the group holding the
/// lowest digit takes at least one of them, so 1 + ⌈76 / 4⌉.
const MAX_GROUPS: usize = 20;

/// A decimal's base-10000 digit groups, collected from the least significant end.
struct Groups {
    /// Least significant first; `g[..n]` are set.
    g: [u16; MAX_GROUPS],
    n: usize,
    /// Weight of `g[0]`.
    low_weight: i32,
    /// Position (0..=3) of the unscaled value's lowest digit inside `g[0]`.
    offset: u32,
}

impl Groups {
    /// Groups for an unscaled integer at `scale` (its lowest digit is worth 10^−scale).
    #[inline]
    fn new(scale: i8) -> Self {
        let p = -i32::from(scale);
        Self {
            g: [0; MAX_GROUPS],
            n: 0,
            low_weight: p.div_euclid(4),
            offset: p.rem_euclid(4) as u32,
        }
    }

    #[inline(always)]
    fn push(&mut self, group: u16) {
        // In bounds: MAX_GROUPS covers the widest magnitude (see there).
        self.g[self.n] = group;
        self.n += 1;
    }

    /// Pushes a magnitude whose lowest digit is at `offset` in the next group.
    #[inline]
    fn push_u64(&mut self, m: u64) {
        if m == 0 {
            return;
        }
        // Constant divisors per arm: multiplications, not `div`.
        let (rest, first) = match self.offset {
            0 => (m / 10_000, m % 10_000),
            1 => (m / 1_000, m % 1_000 * 10),
            2 => (m / 100, m % 100 * 100),
            _ => (m / 10, m % 10 * 1_000),
        };
        self.push(first as u16);
        self.push_aligned_u64(rest);
    }

    /// Pushes a magnitude whose lowest digit starts the next group.
    #[inline]
    fn push_aligned_u64(&mut self, mut m: u64) {
        while m != 0 {
            self.push((m % 10_000) as u16);
            m /= 10_000;
        }
    }

    #[inline]
    fn push_u128(&mut self, m: u128) {
        if let Ok(m) = u64::try_from(m) {
            return self.push_u64(m);
        }
        let keep = POW10_U128[4 - self.offset as usize];
        let first = m % keep * POW10_U128[self.offset as usize];
        self.push(first as u16);
        self.push_aligned_u128(m / keep);
    }

    #[inline(never)]
    fn push_aligned_u128(&mut self, mut m: u128) {
        while m > u128::from(u64::MAX) {
            self.push((m % 10_000) as u16);
            m /= 10_000;
        }
        self.push_aligned_u64(m as u64);
    }

    /// Pushes a value beyond i128 (either sign; the groups take its magnitude).
    fn push_i256(&mut self, x: i256) {
        let keep = i256::from_i128(POW10_U128[4 - self.offset as usize] as i128);
        let (mut x, r) = x.wrapping_div_rem(keep);
        let first = r.as_i128().unsigned_abs() * POW10_U128[self.offset as usize];
        self.push(first as u16);
        let base = i256::from_i128(10_000);
        loop {
            if let Some(small) = x.to_i128() {
                return self.push_aligned_u128(small.unsigned_abs());
            }
            let (q, r) = x.wrapping_div_rem(base);
            self.push(r.as_i128().unsigned_abs() as u16);
            x = q;
        }
    }

    /// Appends the send form: trailing zero groups dropped (the top group is never zero).
    #[inline]
    fn write(&self, negative: bool, dscale: u16, out: &mut Vec<u8>) {
        let lo = self.g[..self.n].iter().take_while(|&&d| d == 0).count();
        let ndigits = self.n - lo;
        let mut buf = [0u8; 8 + 2 * MAX_GROUPS];
        let (weight, sign) = if ndigits == 0 {
            // Zero: weight 0 and a positive sign, as `make_result` forces.
            (0, NUMERIC_POS)
        } else {
            let sign = if negative { NUMERIC_NEG } else { NUMERIC_POS };
            (self.low_weight + self.n as i32 - 1, sign)
        };
        buf[0..2].copy_from_slice(&(ndigits as i16).to_be_bytes());
        buf[2..4].copy_from_slice(&(weight as i16).to_be_bytes());
        buf[4..6].copy_from_slice(&sign.to_be_bytes());
        buf[6..8].copy_from_slice(&dscale.to_be_bytes());
        for (k, d) in self.g[lo..self.n].iter().rev().enumerate() {
            buf[8 + 2 * k..10 + 2 * k].copy_from_slice(&d.to_be_bytes());
        }
        // A fixed-size append (inline moves, no `memcpy` call), then the unused tail dropped.
        let len = out.len() + 8 + 2 * ndigits;
        out.extend_from_slice(&buf);
        out.truncate(len);
    }
}

/// `dscale` of a decimal at `scale`: its fraction digits (none for a negative scale).
#[inline]
fn dscale_of(scale: i8) -> u16 {
    scale.max(0) as u16
}

/// Appends the send form of `unscaled × 10^−scale`, with dscale = the scale (0 when negative).
#[inline]
pub(crate) fn encode_i128(unscaled: i128, scale: i8, out: &mut Vec<u8>) {
    let mut g = Groups::new(scale);
    g.push_u128(unscaled.unsigned_abs());
    g.write(unscaled < 0, dscale_of(scale), out);
}

/// Appends the send form of `unscaled × 10^−scale` (any i256, `i256::MIN` included).
pub(crate) fn encode_i256(unscaled: i256, scale: i8, out: &mut Vec<u8>) {
    let mut g = Groups::new(scale);
    match unscaled.to_i128() {
        Some(x) => g.push_u128(x.unsigned_abs()),
        None => g.push_i256(unscaled),
    }
    g.write(unscaled.is_negative(), dscale_of(scale), out);
}

/// `NUMERIC_DSCALE_MAX`: the most fraction digits a numeric displays.
const DSCALE_MAX: i64 = 0x3FFF;

/// Appends the send form of a decimal text: what [`Numeric::write_text`] writes (`-`, digits,
/// `.`, digits; `NaN`, `Infinity`, `-Infinity`) and what `numeric_in` also reads (a `+` sign,
/// an exponent, surrounding blanks, `inf`, any letter case). dscale is the number of fraction
/// digits written, less the exponent, as `numeric_in` counts it.
pub(crate) fn encode_text(text: &[u8], out: &mut Vec<u8>) -> Result<(), &'static str> {
    let s = text.trim_ascii();
    let special = |sign: u16, out: &mut Vec<u8>| {
        // PostgreSQL sends ±Infinity with dscale 0x20 (the bits its short header leaves there,
        // which numeric_recv ignores) and NaN with 0: mirrored, so round trips are byte-exact.
        let dscale: u16 = if sign == NUMERIC_NAN { 0 } else { 0x20 };
        out.extend_from_slice(&[0, 0, 0, 0]);
        out.extend_from_slice(&sign.to_be_bytes());
        out.extend_from_slice(&dscale.to_be_bytes());
        Ok(())
    };
    if s.eq_ignore_ascii_case(b"nan") {
        return special(NUMERIC_NAN, out);
    }
    let (negative, body) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, s),
    };
    if body.eq_ignore_ascii_case(b"infinity") || body.eq_ignore_ascii_case(b"inf") {
        return special(if negative { NUMERIC_NINF } else { NUMERIC_PINF }, out);
    }
    // digits [. digits] [e [sign] digits]
    let int_len = body.iter().take_while(|c| c.is_ascii_digit()).count();
    let (int, rest) = body.split_at(int_len);
    let (frac, rest) = match rest.split_first() {
        Some((b'.', after)) => {
            let n = after.iter().take_while(|c| c.is_ascii_digit()).count();
            after.split_at(n)
        }
        _ => (&[][..], rest),
    };
    if int.is_empty() && frac.is_empty() {
        return Err("not a number");
    }
    let exponent = match rest.split_first() {
        None => 0,
        Some((b'e' | b'E', e)) => parse_exponent(e)?,
        Some(_) => return Err("not a number"),
    };
    let dscale = (frac.len() as i64 - exponent).max(0);
    if dscale > DSCALE_MAX {
        return Err("more than 16383 fraction digits (numeric's limit)");
    }
    let digit = |j: usize| -> u32 {
        let c = if j < int.len() {
            int[j]
        } else {
            frac[j - int.len()]
        };
        u32::from(c - b'0')
    };
    let total = int.len() + frac.len();
    let Some(first) = (0..total).find(|&j| digit(j) != 0) else {
        // Zero (of either sign): weight 0, positive, with its dscale.
        out.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        out.extend_from_slice(&(dscale as u16).to_be_bytes());
        return Ok(());
    };
    let last = (first..total)
        .rev()
        .find(|&j| digit(j) != 0)
        .unwrap_or(first);
    // Digit j is worth 10^(point − 1 − j).
    let point = int.len() as i64 + exponent;
    let group_of = |j: usize| (point - 1 - j as i64).div_euclid(4);
    let (weight, low) = (group_of(first), group_of(last));
    if weight > i64::from(i16::MAX) {
        return Err("more than 131072 integer digits (numeric's limit)");
    }
    let ndigits = weight - low + 1;
    if ndigits > i64::from(i16::MAX) {
        return Err("more digits than numeric's binary form holds");
    }
    out.reserve(8 + 2 * ndigits as usize);
    out.extend_from_slice(&(ndigits as i16).to_be_bytes());
    out.extend_from_slice(&(weight as i16).to_be_bytes());
    let sign = if negative { NUMERIC_NEG } else { NUMERIC_POS };
    out.extend_from_slice(&sign.to_be_bytes());
    out.extend_from_slice(&(dscale as u16).to_be_bytes());
    // Consecutive digits fill consecutive groups, top group first.
    let mut group = weight;
    let mut acc = 0u32;
    for j in first..=last {
        let pos = point - 1 - j as i64;
        let g = pos.div_euclid(4);
        if g != group {
            out.extend_from_slice(&(acc as u16).to_be_bytes());
            acc = 0;
            group = g;
        }
        acc += digit(j) * POW10_U64[pos.rem_euclid(4) as usize] as u32;
    }
    out.extend_from_slice(&(acc as u16).to_be_bytes());
    Ok(())
}

/// An exponent's `[+-]digits`, bounded well past anything numeric can hold (the digit and
/// weight limits then refuse the value with a clear reason).
fn parse_exponent(e: &[u8]) -> Result<i64, &'static str> {
    let (negative, digits) = match e.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, e),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err("not a number");
    }
    let mut v: i64 = 0;
    for &c in digits {
        v = v * 10 + i64::from(c - b'0');
        if v > 1_000_000 {
            return Err("exponent out of numeric's range");
        }
    }
    Ok(if negative { -v } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reciprocals_divide_every_digit_group_exactly() {
        for (k, &(mul, sh)) in RECIPROCAL.iter().enumerate() {
            for d in 0..10_000u64 {
                assert_eq!((d * mul) >> sh, d / POW10_U64[k], "d = {d}, k = {k}");
            }
        }
    }
}

#[cfg(test)]
mod wide_scale_tests {
    use super::*;

    /// Binary numeric: ndigits, weight, sign, dscale, digits.
    fn numeric(weight: i16, dscale: i16, neg: bool, digits: &[u16]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend((digits.len() as i16).to_be_bytes());
        v.extend(weight.to_be_bytes());
        v.extend((if neg { NUMERIC_NEG } else { 0u16 }).to_be_bytes());
        v.extend(dscale.to_be_bytes());
        for d in digits {
            v.extend(d.to_be_bytes());
        }
        v
    }

    #[test]
    fn full_width_numeric_38_38_fits() {
        // 0.12345678901234567890123456789012345678: 10 groups, the last padded with two zeros.
        let raw = numeric(
            -1,
            38,
            false,
            &[1234, 5678, 9012, 3456, 7890, 1234, 5678, 9012, 3456, 7800],
        );
        let n = Numeric::parse(&raw).expect("parses");
        assert_eq!(
            n.to_i128(38),
            Ok(12_345_678_901_234_567_890_123_456_789_012_345_678)
        );
        let raw = numeric(-10, 38, true, &[100]);
        assert_eq!(Numeric::parse(&raw).expect("parses").to_i128(38), Ok(-1));
        // A non-zero digit below the scale is still refused.
        let raw = numeric(
            -1,
            40,
            false,
            &[1234, 5678, 9012, 3456, 7890, 1234, 5678, 9012, 3456, 7891],
        );
        assert_eq!(
            Numeric::parse(&raw).expect("parses").to_i128(38),
            Err(NumericError::TooManyFractionDigits)
        );
    }
}
