//! Nested Lists → PostgreSQL arrays: i32 ndim, i32 has-nulls, u32 element OID, ndim × (i32
//! length, i32 lower bound 1), then the elements (i32 length or −1, bytes) in row-major order.
//!
//! A PostgreSQL array is rectangular and its sub-arrays are never NULL, so each row's Lists are
//! checked level by level before anything is written: every sub-list of a level has the same
//! length ("ragged" otherwise) and is not NULL. Elements may be NULL.

use arrow_array::{Array, ListArray};
use arrow_buffer::NullBuffer;

use super::values::Leaf;
use super::{Failure, LeafFn, PreBuf, Scalar, cast, is_null, with_leaf};

/// PostgreSQL's `MAXDIM`.
pub(super) const MAX_DIMS: usize = 6;

/// An array column: `dims` nested Lists over a scalar leaf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ArrayEncoding {
    pub(super) dims: usize,
    /// Sent in every non-empty and empty array alike; must be the target's element type.
    pub(super) element_oid: u32,
    pub(super) leaf: Scalar,
}

/// Encodes rows `[start, end)` of the top-level List `array` into `pre` (one entry per row,
/// empty for NULL).
pub(super) fn encode(
    enc: &ArrayEncoding,
    array: &dyn Array,
    start: usize,
    end: usize,
    pre: &mut PreBuf,
) -> Result<(), Failure> {
    let top = cast::<ListArray>(array)?;
    let mut levels = [top; MAX_DIMS];
    let mut leaf: &dyn Array = top.values().as_ref();
    for level in levels.iter_mut().take(enc.dims).skip(1) {
        let list = cast::<ListArray>(leaf)?;
        *level = list;
        leaf = list.values().as_ref();
    }
    with_leaf(
        &enc.leaf,
        leaf,
        &mut Rows {
            levels: &levels[..enc.dims],
            oid: enc.element_oid,
            leaf_nulls: leaf.nulls(),
            start,
            end,
            pre,
        },
    )
}

/// The per-row pass, generic over the leaf's view.
struct Rows<'a> {
    /// The List of each level, outermost first.
    levels: &'a [&'a ListArray],
    oid: u32,
    leaf_nulls: Option<&'a NullBuffer>,
    start: usize,
    end: usize,
    pre: &'a mut PreBuf,
}

impl LeafFn for Rows<'_> {
    fn call<L: Leaf>(&mut self, leaf: &L) -> Result<(), Failure> {
        let top_nulls = self.levels[0].nulls();
        let oid = self.oid.to_be_bytes();
        for row in self.start..self.end {
            let data = &mut self.pre.data;
            if is_null(top_nulls, row) {
                self.pre.ends.push(data.len());
                continue;
            }
            let (lens, elements) = shape(self.levels, row)?;
            let at = data.len();
            let ndim = self.levels.len();
            if elements.is_empty() {
                // '{}': no dimensions, whatever the declared ones (PostgreSQL has no arrays with
                // a zero-length dimension).
                data.extend_from_slice(&[0; 8]);
                data.extend_from_slice(&oid);
                self.pre.ends.push(data.len());
                continue;
            }
            data.extend_from_slice(&(ndim as i32).to_be_bytes());
            data.extend_from_slice(&[0; 4]); // has-nulls, set below
            data.extend_from_slice(&oid);
            for len in &lens[..ndim] {
                data.extend_from_slice(&len.to_be_bytes());
                data.extend_from_slice(&1i32.to_be_bytes());
            }
            let mut has_nulls = false;
            for (n, i) in elements.clone().enumerate() {
                if is_null(self.leaf_nulls, i) {
                    data.extend_from_slice(&(-1i32).to_be_bytes());
                    has_nulls = true;
                    continue;
                }
                let len_at = data.len();
                data.extend_from_slice(&[0; 4]);
                leaf.append(i, data).map_err(|r| {
                    Failure::value(row, format!("array element {}: {r}", n + 1).into())
                })?;
                let w = data.len() - len_at - 4;
                data[len_at..len_at + 4].copy_from_slice(&(w as i32).to_be_bytes());
            }
            if has_nulls {
                data[at + 7] = 1;
            }
            if data.len() - at > i32::MAX as usize {
                return Err(Failure::value(
                    row,
                    format!(
                        "array of {} bytes is longer than a field can be (2 GiB)",
                        data.len() - at
                    )
                    .into(),
                ));
            }
            self.pre.ends.push(data.len());
        }
        Ok(())
    }
}

/// Row `row`'s dimension lengths and its elements' range in the leaf, after checking that it is
/// rectangular and has no NULL sub-array.
#[inline]
fn shape(
    levels: &[&ListArray],
    row: usize,
) -> Result<([i32; MAX_DIMS], std::ops::Range<usize>), Failure> {
    let mut lens = [0i32; MAX_DIMS];
    // Entries [a, b) of level k's List make up the row at that depth.
    let (mut a, mut b) = (row, row + 1);
    for (k, list) in levels.iter().enumerate() {
        if k > 0
            && a < b
            && let Some(nulls) = list.nulls()
            && (a..b).any(|j| nulls.is_null(j))
        {
            return Err(Failure::value(
                row,
                format!(
                    "NULL sub-array at depth {} (PostgreSQL arrays have none)",
                    k + 1
                )
                .into(),
            ));
        }
        let offsets = list.value_offsets();
        if a < b {
            let len = offsets[a + 1] - offsets[a];
            if let Some(j) = (a + 1..b).find(|&j| offsets[j + 1] - offsets[j] != len) {
                return Err(Failure::value(
                    row,
                    format!(
                        "ragged array: sub-arrays at depth {} have lengths {len} and {}",
                        k + 1,
                        offsets[j + 1] - offsets[j]
                    )
                    .into(),
                ));
            }
            lens[k] = len;
        }
        (a, b) = (offsets[a] as usize, offsets[b] as usize);
    }
    Ok((lens, a..b))
}
