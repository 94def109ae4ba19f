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
        let base = i256::from_i128(10_000);
        let mut acc = i256::ZERO;
        for i in 0..n {
            let d = i256::from_i128(i128::from(self.digit(i as i32)?));
            acc = acc
                .checked_mul(base)
                .and_then(|a| a.checked_add(d))
                .ok_or(NumericError::Overflow)?;
        }
        let shift = self.shift_to(scale);
        let ten = i256::from_i128(10);
        if shift >= 0 {
            let p = ten
                .checked_pow(shift as u32)
                .ok_or(NumericError::Overflow)?;
            acc = acc.checked_mul(p).ok_or(NumericError::Overflow)?;
        } else {
            // 10^k past i256 can only divide a zero exactly.
            match ten.checked_pow((-shift) as u32) {
                Some(p) => {
                    let (q, r) = acc.checked_div_rem(p).ok_or(NumericError::Overflow)?;
                    if r != i256::ZERO {
                        return Err(NumericError::TooManyFractionDigits);
                    }
                    acc = q;
                }
                None if acc == i256::ZERO => {}
                None => return Err(NumericError::TooManyFractionDigits),
            }
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
