//! Narrowing a differing chunk down to its differing keys in bounded memory: per side, a map
//! of at most `cap` key hashes (count and sum of row hashes per key) and the digests of 64
//! buckets by the next 6 bits of the key hash. Complete maps are joined; when one overflows,
//! only the buckets whose digests differ are read again, packed into groups that fit.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use haul_formats::checksum::ChunkDigest;

use crate::error::{EngineError, Result};

/// Bits of the key hash per narrowing level.
const DIGIT_BITS: u32 = 6;
const BUCKETS: usize = 1 << DIGIT_BITS;
/// Levels available in 128 bits.
const MAX_DEPTH: u32 = 20;

/// A key hash is already a hash: use its low bits as the map's hash.
#[derive(Default)]
pub(crate) struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u128(&mut self, v: u128) {
        self.0 = v as u64;
    }
}

pub(crate) type KeyMap<V> = HashMap<u128, V, BuildHasherDefault<KeyHasher>>;

/// Rows of one key hash on one side.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Acc {
    count: u32,
    sum: u128,
}

/// Which rows a narrowing pass keeps: the key hash's first `depth` digits equal `prefix`, and
/// its digit `depth` is in `mask`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Filter {
    depth: u32,
    prefix: u128,
    mask: u64,
}

fn digit(kh: u128, depth: u32) -> usize {
    ((kh >> (128 - DIGIT_BITS * (depth + 1))) & (BUCKETS as u128 - 1)) as usize
}

impl Filter {
    pub(crate) fn all() -> Self {
        Self {
            depth: 0,
            prefix: 0,
            mask: u64::MAX,
        }
    }

    pub(crate) fn passes(&self, kh: u128) -> bool {
        (self.depth == 0 || kh >> (128 - DIGIT_BITS * self.depth) == self.prefix)
            && (self.mask >> digit(kh, self.depth)) & 1 == 1
    }
}

/// A side's view during a narrowing pass.
pub(crate) struct Collect {
    filter: Filter,
    cap: usize,
    pub(crate) map: Option<KeyMap<Acc>>,
    buckets: [ChunkDigest; BUCKETS],
}

impl Collect {
    pub(crate) fn new(filter: Filter, cap: usize) -> Self {
        Self {
            filter,
            cap,
            map: Some(KeyMap::default()),
            buckets: [ChunkDigest::default(); BUCKETS],
        }
    }

    pub(crate) fn add(&mut self, kh: &[u128], rh: &[u128]) {
        for (&k, &r) in kh.iter().zip(rh) {
            if !self.filter.passes(k) {
                continue;
            }
            self.buckets[digit(k, self.filter.depth)].add_row_hash(r);
            let Some(map) = &mut self.map else { continue };
            if map.len() >= self.cap && !map.contains_key(&k) {
                // Over the cap: only the bucket digests go on; the caller narrows further.
                self.map = None;
                continue;
            }
            let acc = map.entry(k).or_default();
            acc.count += 1;
            acc.sum = acc.sum.wrapping_add(r);
        }
    }
}

/// The narrower filters to read next, for the buckets of `f` whose digests differ: packed so
/// each reads at most `cap` rows per side, a bucket alone over it one level deeper.
pub(crate) fn split(f: Filter, a: &Collect, b: &Collect, cap: usize) -> Result<Vec<Filter>> {
    let mut out = Vec::new();
    let (mut mask, mut rows) = (0u64, 0usize);
    for c in 0..BUCKETS {
        if (f.mask >> c) & 1 == 0 || a.buckets[c] == b.buckets[c] {
            continue;
        }
        let n = a.buckets[c].rows.max(b.buckets[c].rows) as usize;
        if n > cap {
            if f.depth >= MAX_DEPTH {
                return Err(EngineError::Other(format!(
                    "more than {cap} distinct keys share a 120-bit key hash prefix; cannot narrow the difference down"
                )));
            }
            out.push(Filter {
                depth: f.depth + 1,
                prefix: (f.prefix << DIGIT_BITS) | c as u128,
                mask: u64::MAX,
            });
            continue;
        }
        if rows + n > cap && mask != 0 {
            out.push(Filter { mask, ..f });
            (mask, rows) = (0, 0);
        }
        mask |= 1 << c;
        rows += n;
    }
    if mask != 0 {
        out.push(Filter { mask, ..f });
    }
    Ok(out)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    Missing,
    Extra,
    Changed,
}

/// A key (or, without a key, a row) that differs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pending {
    pub class: Class,
    pub src: u32,
    pub dst: u32,
    pub listed: bool,
}

/// The keys whose rows differ, the first `list` of them (by key hash) marked to be listed.
pub(crate) fn join(a: &KeyMap<Acc>, b: &KeyMap<Acc>, keyed: bool, list: usize) -> KeyMap<Pending> {
    let class = |va: Acc, vb: Acc| match (va.count, vb.count) {
        (_, 0) => Class::Missing,
        (0, _) => Class::Extra,
        (s, d) if !keyed && s > d => Class::Missing,
        (_, _) if !keyed => Class::Extra,
        _ => Class::Changed,
    };
    let pending = |va: Acc, vb: Acc| Pending {
        class: class(va, vb),
        src: va.count,
        dst: vb.count,
        listed: false,
    };
    let mut out: KeyMap<Pending> = KeyMap::default();
    for (k, va) in a {
        let vb = b.get(k).copied().unwrap_or_default();
        if *va != vb {
            out.insert(*k, pending(*va, vb));
        }
    }
    for (k, vb) in b {
        if !a.contains_key(k) {
            out.insert(*k, pending(Acc::default(), *vb));
        }
    }
    // The listed keys are the smallest key hashes: the same ones on every run.
    let mut keys: Vec<u128> = out.keys().copied().collect();
    if list < keys.len() {
        keys.select_nth_unstable(list);
        keys.truncate(list);
    }
    for k in keys {
        if let Some(p) = out.get_mut(&k) {
            p.listed = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(f: Filter, cap: usize, rows: &[(u128, u128)]) -> Collect {
        let mut c = Collect::new(f, cap);
        let kh: Vec<u128> = rows.iter().map(|r| r.0).collect();
        let rh: Vec<u128> = rows.iter().map(|r| r.1).collect();
        c.add(&kh, &rh);
        c
    }

    /// A key hash whose first digit is `d0` and second `d1`.
    fn kh(d0: u128, d1: u128, low: u128) -> u128 {
        (d0 << 122) | (d1 << 116) | low
    }

    #[test]
    fn joins_find_missing_extra_and_changed() {
        let a = collect(Filter::all(), 10, &[(1, 10), (2, 20), (3, 30)]);
        let b = collect(Filter::all(), 10, &[(1, 10), (2, 21), (4, 40)]);
        let d = join(
            a.map.as_ref().expect("fits"),
            b.map.as_ref().expect("fits"),
            true,
            2,
        );
        assert_eq!(d.len(), 3);
        assert_eq!(d[&2].class, Class::Changed);
        assert_eq!(d[&3].class, Class::Missing);
        assert_eq!(d[&4].class, Class::Extra);
        assert!(d[&2].listed && d[&3].listed && !d[&4].listed);
    }

    #[test]
    fn rows_without_a_key_compare_as_multisets() {
        // Row hash 7 twice in the source, once in the target; 8 only in the target.
        let a = collect(Filter::all(), 10, &[(7, 7), (7, 7), (9, 9)]);
        let b = collect(Filter::all(), 10, &[(7, 7), (8, 8), (9, 9)]);
        let d = join(
            a.map.as_ref().expect("fits"),
            b.map.as_ref().expect("fits"),
            false,
            9,
        );
        assert_eq!(d.len(), 2);
        assert_eq!((d[&7].class, d[&7].src, d[&7].dst), (Class::Missing, 2, 1));
        assert_eq!(d[&8].class, Class::Extra);
        // Duplicates take one map entry: no overflow however many copies.
        let many: Vec<(u128, u128)> = (0..100).map(|_| (5, 5)).collect();
        assert!(collect(Filter::all(), 1, &many).map.is_some());
    }

    #[test]
    fn overflow_narrows_only_differing_buckets() {
        let rows_a: Vec<(u128, u128)> = (0..6).map(|i| (kh(i % 3, i, i), i)).collect();
        let mut rows_b = rows_a.clone();
        rows_b[4].1 = 99; // digit 1 differs
        let a = collect(Filter::all(), 3, &rows_a);
        let b = collect(Filter::all(), 3, &rows_b);
        assert!(a.map.is_none() && b.map.is_none(), "over the cap");
        let next = split(Filter::all(), &a, &b, 3).expect("splits");
        assert_eq!(next.len(), 1);
        assert_eq!(next[0].mask, 1 << 1);
        assert_eq!(next[0].depth, 0);
        // The narrower pass fits, and finds the one changed key.
        let a = collect(next[0], 3, &rows_a);
        let b = collect(next[0], 3, &rows_b);
        let d = join(
            a.map.as_ref().expect("fits"),
            b.map.as_ref().expect("fits"),
            true,
            9,
        );
        assert_eq!(d.keys().copied().collect::<Vec<_>>(), vec![rows_a[4].0]);
        // A bucket alone over the cap goes one level deeper.
        let big_a: Vec<(u128, u128)> = (0..5).map(|i| (kh(2, i, 0), i)).collect();
        let big_b: Vec<(u128, u128)> = (0..5).map(|i| (kh(2, i, 0), i + 1)).collect();
        let a = collect(Filter::all(), 2, &big_a);
        let b = collect(Filter::all(), 2, &big_b);
        let next = split(Filter::all(), &a, &b, 2).expect("splits");
        assert_eq!((next[0].depth, next[0].prefix), (1, 2));
        assert!(next[0].passes(kh(2, 4, 0)) && !next[0].passes(kh(3, 4, 0)));
    }
}
