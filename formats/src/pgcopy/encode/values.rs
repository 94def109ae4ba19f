//! Typed views of one Arrow array, one per scalar kind, that write values in their binary send
//! form. The passes in [`super`] are generic over these views, so each column's loop is
//! monomorphic: the kind is matched once per column and block of rows, never per value.

use std::borrow::Cow;

use arrow_array::types::ByteArrayType;
use arrow_array::types::ByteViewType;
use arrow_array::{
    Array, BooleanArray, FixedSizeBinaryArray, GenericByteArray, GenericByteViewArray,
    OffsetSizeTrait, StructArray,
};
use arrow_buffer::{BooleanBuffer, NullBuffer, i256};

use super::super::numeric;
use crate::pgtypes::{PG_EPOCH_DAYS, PG_EPOCH_MICROS};

/// Why a value cannot be encoded. Built only on the error path.
pub(super) type Reason = Cow<'static, str>;

/// A scalar kind over one Arrow array, indexed by the array's logical (slice-relative) index.
/// NULLs are the caller's business: these are only asked about valid values.
pub(super) trait Values {
    /// The send form's width when it is the same for every value.
    const FIXED: Option<usize>;
    /// Width of value `i`'s send form.
    fn width(&self, i: usize) -> Result<usize, Reason>;
    /// Writes value `i` into `dst`, which is exactly `width(i)` bytes long.
    fn put(&self, i: usize, dst: &mut [u8]) -> Result<(), Reason>;
}

/// Appends one value's send form (no length word) to a buffer: what array elements and
/// pre-encoded columns need. Every [`Values`] view is one; numerics are only this (their width
/// is known only once they are encoded).
pub(super) trait Leaf {
    fn append(&self, i: usize, out: &mut Vec<u8>) -> Result<(), Reason>;
}

impl<V: Values> Leaf for V {
    #[inline]
    fn append(&self, i: usize, out: &mut Vec<u8>) -> Result<(), Reason> {
        let at = out.len();
        let w = self.width(i)?;
        out.resize(at + w, 0);
        self.put(i, &mut out[at..])
    }
}

/// Copies `src` into `dst` (of the same length). Values here are mostly short (a numeric's ~12
/// bytes, a code or a comment of ~10–40): two overlapping fixed-width moves instead of a call
/// to `memcpy` per value, which the profile showed as a third of the encoding time.
#[inline(always)]
pub(super) fn copy_short(dst: &mut [u8], src: &[u8]) {
    let n = src.len();
    if n > 32 || dst.len() != n {
        dst.copy_from_slice(src);
    } else if n >= 16 {
        copy_ends::<16>(dst, src);
    } else if n >= 8 {
        copy_ends::<8>(dst, src);
    } else if n >= 4 {
        copy_ends::<4>(dst, src);
    } else {
        for (d, s) in dst.iter_mut().zip(src) {
            *d = *s;
        }
    }
}

/// The first and the last `N` bytes (overlapping when `N ≤ len < 2N`, so all of them).
#[inline(always)]
fn copy_ends<const N: usize>(dst: &mut [u8], src: &[u8]) {
    if let (Some(head), Some(tail)) = (src.first_chunk::<N>(), src.last_chunk::<N>()) {
        let (head, tail) = (*head, *tail);
        if let Some(d) = dst.first_chunk_mut::<N>() {
            *d = head;
        }
        if let Some(d) = dst.last_chunk_mut::<N>() {
            *d = tail;
        }
    }
}

/// Big-endian fixed-width primitives (`to_be_bytes` keeps a float's bits, NaN payloads and
/// −0 included).
#[derive(Debug)]
pub(super) struct Be<'a, T>(pub &'a [T]);

macro_rules! be_values {
    ($($t:ty => $w:expr),*) => {$(
        impl Values for Be<'_, $t> {
            const FIXED: Option<usize> = Some($w);
            #[inline(always)]
            fn width(&self, _: usize) -> Result<usize, Reason> {
                Ok($w)
            }
            #[inline(always)]
            fn put(&self, i: usize, dst: &mut [u8]) -> Result<(), Reason> {
                dst.copy_from_slice(&self.0[i].to_be_bytes());
                Ok(())
            }
        }
    )*};
}

be_values!(i16 => 2, i32 => 4, i64 => 8, f32 => 4, f64 => 8);

/// `bool`: one byte, 0 or 1.
#[derive(Debug)]
pub(super) struct Bools<'a>(pub &'a BooleanBuffer);

impl<'a> Bools<'a> {
    pub(super) fn new(a: &'a BooleanArray) -> Self {
        Self(a.values())
    }
}

impl Values for Bools<'_> {
    const FIXED: Option<usize> = Some(1);
    #[inline(always)]
    fn width(&self, _: usize) -> Result<usize, Reason> {
        Ok(1)
    }
    #[inline(always)]
    fn put(&self, i: usize, dst: &mut [u8]) -> Result<(), Reason> {
        dst[0] = u8::from(self.0.value(i));
        Ok(())
    }
}

/// `date_recv`'s range: Julian day 0 (4714-11-24 BC) up to, not including, 5874898-01-01, as
/// days since 2000-01-01.
const DATE_MIN: i32 = -2_451_545;
const DATE_END: i32 = 2_147_483_494 - 2_451_545;

/// `date`: Date32 days since 1970 → i32 days since 2000; the decoder's ±infinity sentinels
/// (i32::MAX / i32::MIN) are PostgreSQL's own.
#[derive(Debug)]
pub(super) struct Dates<'a>(pub &'a [i32]);

impl Values for Dates<'_> {
    const FIXED: Option<usize> = Some(4);
    #[inline(always)]
    fn width(&self, _: usize) -> Result<usize, Reason> {
        Ok(4)
    }
    #[inline(always)]
    fn put(&self, i: usize, dst: &mut [u8]) -> Result<(), Reason> {
        let d = self.0[i];
        let pg = if d == i32::MAX || d == i32::MIN {
            d
        } else {
            match d.checked_sub(PG_EPOCH_DAYS) {
                Some(pg) if (DATE_MIN..DATE_END).contains(&pg) => pg,
                _ => return Err(date_range(d)),
            }
        };
        dst.copy_from_slice(&pg.to_be_bytes());
        Ok(())
    }
}

#[cold]
fn date_range(d: i32) -> Reason {
    format!("date {d} (days since 1970-01-01) is outside PostgreSQL's range (4714-11-24 BC to 5874897-12-31)").into()
}

/// `timestamp_recv`'s range: `MIN_TIMESTAMP` (4714-11-24 00:00 BC) up to, not including,
/// `END_TIMESTAMP` (294277-01-01 00:00), in µs since 2000-01-01.
const TIMESTAMP_MIN: i64 = -211_813_488_000_000_000;
const TIMESTAMP_END: i64 = 9_223_371_331_200_000_000;

/// `timestamp`/`timestamptz`: µs since 1970 → µs since 2000; i64::MAX / i64::MIN are infinity.
#[derive(Debug)]
pub(super) struct Timestamps<'a>(pub &'a [i64]);

impl Values for Timestamps<'_> {
    const FIXED: Option<usize> = Some(8);
    #[inline(always)]
    fn width(&self, _: usize) -> Result<usize, Reason> {
        Ok(8)
    }
    #[inline(always)]
    fn put(&self, i: usize, dst: &mut [u8]) -> Result<(), Reason> {
        let t = self.0[i];
        let pg = if t == i64::MAX || t == i64::MIN {
            t
        } else {
            match t.checked_sub(PG_EPOCH_MICROS) {
                Some(pg) if (TIMESTAMP_MIN..TIMESTAMP_END).contains(&pg) => pg,
                _ => return Err(timestamp_range(t)),
            }
        };
        dst.copy_from_slice(&pg.to_be_bytes());
        Ok(())
    }
}

#[cold]
fn timestamp_range(t: i64) -> Reason {
    format!("timestamp {t} (µs since 1970-01-01) is outside PostgreSQL's range (4714-11-24 BC to 294276-12-31)").into()
}

/// `USECS_PER_DAY`: `time` runs from 00:00 to 24:00 inclusive.
const DAY_MICROS: i64 = 86_400_000_000;

#[cold]
fn time_range(t: i64) -> Reason {
    format!("time of {t} µs is outside 00:00:00..=24:00:00").into()
}

/// `time`: µs since midnight.
#[derive(Debug)]
pub(super) struct Times<'a>(pub &'a [i64]);

impl Values for Times<'_> {
    const FIXED: Option<usize> = Some(8);
    #[inline(always)]
    fn width(&self, _: usize) -> Result<usize, Reason> {
        Ok(8)
    }
    #[inline(always)]
    fn put(&self, i: usize, dst: &mut [u8]) -> Result<(), Reason> {
        let t = self.0[i];
        if !(0..=DAY_MICROS).contains(&t) {
            return Err(time_range(t));
        }
        dst.copy_from_slice(&t.to_be_bytes());
        Ok(())
    }
}

/// `TZDISP_LIMIT`: a `timetz` zone is less than 16 hours from UTC.
const ZONE_LIMIT: i32 = 16 * 3600;

#[cold]
fn null_member(what: &str) -> Reason {
    format!("NULL {what} in a non-NULL value").into()
}

/// Index `i` of a struct member is NULL.
#[inline(always)]
fn member_null(nulls: Option<&NullBuffer>, i: usize) -> bool {
    nulls.is_some_and(|n| n.is_null(i))
}

/// `timetz`: Struct { time µs, utc_offset_seconds east } → i64 µs, i32 zone seconds WEST.
#[derive(Debug)]
pub(super) struct TimeTzs<'a> {
    time: &'a [i64],
    offset: &'a [i32],
    nulls: [Option<&'a NullBuffer>; 2],
}

impl<'a> TimeTzs<'a> {
    /// `None` when the struct's members are not (Time64, Int32).
    pub(super) fn new(s: &'a StructArray) -> Option<Self> {
        let [time, offset] = s.columns() else {
            return None;
        };
        Some(Self {
            time: time
                .as_any()
                .downcast_ref::<arrow_array::Time64MicrosecondArray>()?
                .values(),
            offset: offset
                .as_any()
                .downcast_ref::<arrow_array::Int32Array>()?
                .values(),
            nulls: [time.nulls(), offset.nulls()],
        })
    }
}

impl Values for TimeTzs<'_> {
    const FIXED: Option<usize> = Some(12);
    #[inline(always)]
    fn width(&self, _: usize) -> Result<usize, Reason> {
        Ok(12)
    }
    #[inline]
    fn put(&self, i: usize, dst: &mut [u8]) -> Result<(), Reason> {
        if self.nulls.iter().any(|n| member_null(*n, i)) {
            return Err(null_member("member of a timetz"));
        }
        let t = self.time[i];
        if !(0..=DAY_MICROS).contains(&t) {
            return Err(time_range(t));
        }
        let east = self.offset[i];
        if east <= -ZONE_LIMIT || east >= ZONE_LIMIT {
            return Err(format!("timetz offset of {east} s is not within ±15:59:59").into());
        }
        dst[..8].copy_from_slice(&t.to_be_bytes());
        dst[8..].copy_from_slice(&(-east).to_be_bytes());
        Ok(())
    }
}

/// `interval`: Struct { months, days, micros } → i64 µs, i32 days, i32 months.
#[derive(Debug)]
pub(super) struct Intervals<'a> {
    months: &'a [i32],
    days: &'a [i32],
    micros: &'a [i64],
    nulls: [Option<&'a NullBuffer>; 3],
}

impl<'a> Intervals<'a> {
    /// `None` when the struct's members are not (Int32, Int32, Int64).
    pub(super) fn new(s: &'a StructArray) -> Option<Self> {
        let [months, days, micros] = s.columns() else {
            return None;
        };
        let int32 = |a: &'a dyn Array| {
            a.as_any()
                .downcast_ref::<arrow_array::Int32Array>()
                .map(|a| a.values().as_ref())
        };
        Some(Self {
            months: int32(months.as_ref())?,
            days: int32(days.as_ref())?,
            micros: micros
                .as_any()
                .downcast_ref::<arrow_array::Int64Array>()?
                .values(),
            nulls: [months.nulls(), days.nulls(), micros.nulls()],
        })
    }
}

impl Values for Intervals<'_> {
    const FIXED: Option<usize> = Some(16);
    #[inline(always)]
    fn width(&self, _: usize) -> Result<usize, Reason> {
        Ok(16)
    }
    #[inline]
    fn put(&self, i: usize, dst: &mut [u8]) -> Result<(), Reason> {
        if self.nulls.iter().any(|n| member_null(*n, i)) {
            return Err(null_member("member of an interval"));
        }
        dst[..8].copy_from_slice(&self.micros[i].to_be_bytes());
        dst[8..12].copy_from_slice(&self.days[i].to_be_bytes());
        dst[12..].copy_from_slice(&self.months[i].to_be_bytes());
        Ok(())
    }
}

/// `money`: Decimal128 at the money scale → the i64 count of the smallest unit.
#[derive(Debug)]
pub(super) struct Money<'a>(pub &'a [i128]);

impl Values for Money<'_> {
    const FIXED: Option<usize> = Some(8);
    #[inline(always)]
    fn width(&self, _: usize) -> Result<usize, Reason> {
        Ok(8)
    }
    #[inline(always)]
    fn put(&self, i: usize, dst: &mut [u8]) -> Result<(), Reason> {
        let Ok(v) = i64::try_from(self.0[i]) else {
            return Err(format!("{} does not fit money (an int8 of cents)", self.0[i]).into());
        };
        dst.copy_from_slice(&v.to_be_bytes());
        Ok(())
    }
}

/// `uuid`: 16 raw bytes.
#[derive(Debug)]
pub(super) struct Uuids<'a>(pub &'a FixedSizeBinaryArray);

impl Values for Uuids<'_> {
    const FIXED: Option<usize> = Some(16);
    #[inline(always)]
    fn width(&self, _: usize) -> Result<usize, Reason> {
        Ok(16)
    }
    #[inline(always)]
    fn put(&self, i: usize, dst: &mut [u8]) -> Result<(), Reason> {
        dst.copy_from_slice(self.0.value(i));
        Ok(())
    }
}

/// Byte access to a string or binary array, whatever its layout.
pub(super) trait Bytes {
    fn bytes(&self, i: usize) -> &[u8];
}

/// Utf8 / LargeUtf8 / Binary / LargeBinary: offsets into one data buffer.
#[derive(Debug)]
pub(super) struct Offsets<'a, O> {
    offsets: &'a [O],
    data: &'a [u8],
}

impl<'a, T: ByteArrayType> From<&'a GenericByteArray<T>> for Offsets<'a, T::Offset> {
    fn from(a: &'a GenericByteArray<T>) -> Self {
        Self {
            offsets: a.value_offsets(),
            data: a.value_data(),
        }
    }
}

impl<O: OffsetSizeTrait> Bytes for Offsets<'_, O> {
    #[inline(always)]
    fn bytes(&self, i: usize) -> &[u8] {
        &self.data[self.offsets[i].as_usize()..self.offsets[i + 1].as_usize()]
    }
}

/// Utf8View / BinaryView.
#[derive(Debug)]
pub(super) struct Views<'a, T: ByteViewType + ?Sized>(pub &'a GenericByteViewArray<T>);

impl<T: ByteViewType + ?Sized> Bytes for Views<'_, T> {
    #[inline(always)]
    fn bytes(&self, i: usize) -> &[u8] {
        self.0.value(i).as_ref()
    }
}

#[cold]
fn too_long(len: usize) -> Reason {
    format!("value of {len} bytes is longer than a field can be (2 GiB)").into()
}

/// Text, json and bytea (raw bytes), and jsonb (a version byte 1, then the text).
#[derive(Debug)]
pub(super) struct Raw<B> {
    pub(super) b: B,
    pub(super) jsonb: bool,
}

impl<B: Bytes> Values for Raw<B> {
    const FIXED: Option<usize> = None;
    #[inline(always)]
    fn width(&self, i: usize) -> Result<usize, Reason> {
        let w = self.b.bytes(i).len() + usize::from(self.jsonb);
        if w > i32::MAX as usize {
            return Err(too_long(w));
        }
        Ok(w)
    }
    #[inline(always)]
    fn put(&self, i: usize, dst: &mut [u8]) -> Result<(), Reason> {
        let v = self.b.bytes(i);
        if self.jsonb {
            dst[0] = 1;
            copy_short(&mut dst[1..], v);
        } else {
            copy_short(dst, v);
        }
        Ok(())
    }
}

/// Values encoded ahead into one buffer (numerics, arrays): value `i` is
/// `data[ends[i − base]..ends[i − base + 1]]`.
#[derive(Debug)]
pub(super) struct Pre<'a> {
    pub(super) data: &'a [u8],
    pub(super) ends: &'a [usize],
    pub(super) base: usize,
}

impl Values for Pre<'_> {
    const FIXED: Option<usize> = None;
    #[inline(always)]
    fn width(&self, i: usize) -> Result<usize, Reason> {
        let k = i - self.base;
        let w = self.ends[k + 1] - self.ends[k];
        if w > i32::MAX as usize {
            return Err(too_long(w));
        }
        Ok(w)
    }
    #[inline(always)]
    fn put(&self, i: usize, dst: &mut [u8]) -> Result<(), Reason> {
        let k = i - self.base;
        copy_short(dst, &self.data[self.ends[k]..self.ends[k + 1]]);
        Ok(())
    }
}

/// `numeric` from Decimal128 at the Arrow scale (dscale = the scale).
#[derive(Debug)]
pub(super) struct Decimals128<'a> {
    pub(super) values: &'a [i128],
    pub(super) scale: i8,
}

impl Leaf for Decimals128<'_> {
    #[inline]
    fn append(&self, i: usize, out: &mut Vec<u8>) -> Result<(), Reason> {
        numeric::encode_i128(self.values[i], self.scale, out);
        Ok(())
    }
}

/// `numeric` from Decimal256.
#[derive(Debug)]
pub(super) struct Decimals256<'a> {
    pub(super) values: &'a [i256],
    pub(super) scale: i8,
}

impl Leaf for Decimals256<'_> {
    #[inline]
    fn append(&self, i: usize, out: &mut Vec<u8>) -> Result<(), Reason> {
        numeric::encode_i256(self.values[i], self.scale, out);
        Ok(())
    }
}

/// `numeric` from its decimal text.
#[derive(Debug)]
pub(super) struct NumericTexts<B>(pub B);

impl<B: Bytes> Leaf for NumericTexts<B> {
    #[inline]
    fn append(&self, i: usize, out: &mut Vec<u8>) -> Result<(), Reason> {
        let text = self.0.bytes(i);
        numeric::encode_text(text, out).map_err(|why| numeric_text_error(text, why))
    }
}

#[cold]
fn numeric_text_error(text: &[u8], why: &str) -> Reason {
    let shown: String = String::from_utf8_lossy(text).chars().take(40).collect();
    let more = if shown.len() < text.len() { "…" } else { "" };
    format!("numeric text {shown:?}{more}: {why}").into()
}
