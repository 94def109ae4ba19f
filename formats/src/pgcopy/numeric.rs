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
        // Up to 4 digits fit a u64 (< 10^16); the common case never leaves it.
        let head = n.min(4);
        let mut small: u64 = 0;
        for i in 0..head {
            small = small * 10_000 + u64::from(self.digit(i as i32)?);
        }
        let shift = self.shift_to(scale);
        let magnitude: u128 = if n <= 4 && (-16..=3).contains(&shift) {
            // 10^16 > small, so a larger negative shift can only divide a zero.
            if shift >= 0 {
                // small < 10^16, × 10^3 < 10^19 < u64::MAX.
                u128::from(small * POW10_U64[shift as usize])
            } else {
                // Constant divisors compile to multiplications; −1..−3 are the common shifts
                // (a scale that is not a multiple of 4 ends inside a digit group).
                let (q, r) = match shift {
                    -1 => (small / 10, small % 10),
                    -2 => (small / 100, small % 100),
                    -3 => (small / 1000, small % 1000),
                    _ => {
                        let p = POW10_U64[(-shift) as usize];
                        (small / p, small % p)
                    }
                };
                if r != 0 {
                    return Err(NumericError::TooManyFractionDigits);
                }
                u128::from(q)
            }
        } else {
            let mut acc = u128::from(small);
            for i in head..n {
                let d = u128::from(self.digit(i as i32)?);
                acc = acc
                    .checked_mul(10_000)
                    .and_then(|a| a.checked_add(d))
                    .ok_or(NumericError::Overflow)?;
            }
            scale_u128(acc, shift)?
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
            // acc ≠ 0 here (digits are stripped of zeros, but do not rely on it)
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
