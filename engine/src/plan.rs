//! The chunk plan: how each table is cut into half-open key ranges (DESIGN.md §2).
//!
//! A plan is data: it is written into the manifest, so a resumed run reuses the exact chunks of
//! the first run (chunk ids are stable: `schema.table#index`). Splitting strategies:
//! - **whole**: the table fits in one chunk (or cannot be split); no predicate at all;
//! - **key ranges**: `[lo, hi)` over the primary key or a NOT NULL unique key — even ranges
//!   from min/max for an integer key, boundaries sampled from the key otherwise (and for a
//!   skewed integer key), compared as row values for composite keys;
//! - **pages**: `ctid` page ranges for a PostgreSQL table without a usable key.
//!
//! The first chunk has no lower bound and the last no upper bound, so every row falls in
//! exactly one chunk whatever was inserted after planning.

use std::sync::Arc;

use arrow_schema::{Schema, SchemaRef};
use haul_formats::mytypes::MyKind;
use haul_formats::pgtypes::{PgKind, ReadAs};
use serde::{Deserialize, Serialize};

use crate::mysql::catalog::MyTableDdl;
use crate::pg::catalog::{PartitionOf, TableDdl};

/// One table's plan.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TablePlan {
    pub schema: String,
    pub name: String,
    /// Directory (under the dump directory) holding this table's chunk files.
    pub dir: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub partition_of: Option<PartitionOf>,
    pub columns: Vec<ColumnPlan>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub key: Option<KeyPlan>,
    pub estimated_rows: u64,
    /// True when `estimated_rows` comes from the table's size (never analyzed), not statistics.
    #[serde(default)]
    pub rows_guessed: bool,
    pub estimated_bytes: u64,
    pub split: SplitKind,
    /// Why this split, in words (shown by `haul plan`).
    pub split_reason: String,
    pub chunks: Vec<ChunkSpec>,
    /// The Arrow schema of every chunk file of this table.
    pub arrow_schema: Schema,
    #[serde(default)]
    pub warnings: Vec<String>,
    /// PostgreSQL source: what a load needs to recreate the table.
    pub ddl: TableDdl,
    /// MySQL/MariaDB source: what a load needs to recreate the table.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub mysql: Option<MyTableDdl>,
}

/// How one column is read and held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnPlan {
    pub name: String,
    /// The source type as the source spells it.
    pub source_type: String,
    pub kind: PgKind,
    pub read_as: ReadAs,
    pub nullable: bool,
    /// MySQL/MariaDB source: how the column is held (then `kind` is what a PostgreSQL target
    /// holds it as, docs/types.md).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub mysql: Option<MyKind>,
}

/// The key a table is split on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyPlan {
    pub columns: Vec<String>,
    /// Type to cast a bound literal to, per key column (the type without modifiers).
    pub cast_types: Vec<String>,
    /// Positions of the key columns in `columns`.
    pub positions: Vec<usize>,
    /// Where the key comes from (`primary key "t_pkey"`).
    pub source: String,
}

/// The splitting strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SplitKind {
    Whole,
    IntRanges,
    SampledRanges,
    Pages,
}

/// One chunk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkSpec {
    /// `schema.table#00017`, stable across resumed runs.
    pub id: String,
    pub index: u32,
    /// File path relative to the dump directory.
    pub file: String,
    pub range: ChunkRange,
    /// An extra row filter in the source's SQL, ANDed to the range (`haul sync`'s window);
    /// never planned or recorded in a manifest.
    #[serde(skip)]
    pub filter: Option<String>,
}

/// A chunk's rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChunkRange {
    /// Every row.
    Whole,
    /// `lo <= key < hi` (row-value comparison); a missing bound is open. Bounds are the key
    /// columns' text forms.
    Key {
        #[serde(skip_serializing_if = "Option::is_none", default)]
        lo: Option<Vec<String>>,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        hi: Option<Vec<String>>,
    },
    /// `'(lo,0)' <= ctid < '(hi,0)'`; a missing bound is open.
    Pages {
        #[serde(skip_serializing_if = "Option::is_none", default)]
        lo: Option<u32>,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        hi: Option<u32>,
    },
}

impl TablePlan {
    /// `schema.table`, as shown to users and used in chunk ids.
    pub fn display_name(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }

    /// The Arrow schema as a shareable reference.
    pub fn schema_ref(&self) -> SchemaRef {
        Arc::new(self.arrow_schema.clone())
    }
}

/// The directory name for a table: `schema.table`, with anything outside `[A-Za-z0-9_-]`
/// (dots included, so `a.b`.`c` and `a`.`b.c` differ) percent-encoded.
pub fn table_dir(schema: &str, table: &str) -> String {
    format!("{}.{}", encode_component(schema), encode_component(table))
}

fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Chunk specs from lower bounds: `bounds[i]` is the lower bound of chunk `i + 1`.
pub fn chunks_from_bounds<B: Clone>(
    schema: &str,
    table: &str,
    bounds: &[B],
    make: impl Fn(Option<B>, Option<B>) -> ChunkRange,
) -> Vec<ChunkSpec> {
    let dir = table_dir(schema, table);
    let n = bounds.len() + 1;
    (0..n)
        .map(|i| {
            let lo = (i > 0).then(|| bounds[i - 1].clone());
            let hi = bounds.get(i).cloned();
            ChunkSpec {
                id: format!("{schema}.{table}#{i:05}"),
                index: i as u32,
                file: format!("{dir}/{i:05}.parquet"),
                range: if n == 1 {
                    ChunkRange::Whole
                } else {
                    make(lo, hi)
                },
                filter: None,
            }
        })
        .collect()
}

/// How many chunks a table of `bytes` gets at `chunk_bytes` per chunk (at least 1).
pub fn chunk_count(bytes: u64, chunk_bytes: u64) -> usize {
    let chunk_bytes = chunk_bytes.max(1);
    (bytes.div_ceil(chunk_bytes)).clamp(1, 1_000_000) as usize
}

/// Lower bounds of chunks 2..=n for even integer ranges over `[min, max]`.
pub fn even_int_bounds(min: i64, max: i64, n: usize) -> Vec<i64> {
    let span = (max as i128) - (min as i128) + 1;
    let n = (n as i128).clamp(1, span.max(1));
    let step = (span + n - 1) / n;
    (1..n)
        .map(|i| (min as i128 + i * step) as i64)
        .filter(|b| *b <= max)
        .collect()
}

/// Picks `n - 1` lower bounds from a sorted sample (distinct, in order).
pub fn quantile_bounds<T: Clone + PartialEq>(sorted: &[T], n: usize) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    if n < 2 || sorted.is_empty() {
        return out;
    }
    for i in 1..n {
        let idx = i * sorted.len() / n;
        if idx == 0 || idx >= sorted.len() {
            continue;
        }
        let v = &sorted[idx];
        if out.last() != Some(v) && sorted[0] != *v {
            out.push(v.clone());
        }
    }
    out
}

/// Lower page bounds of chunks 2..=n over `pages` heap pages.
pub fn page_bounds(pages: u64, n: usize) -> Vec<u32> {
    let n = (n as u64).clamp(1, pages.max(1));
    let per = pages.div_ceil(n).max(1);
    (1..n)
        .map(|i| (i * per) as u32)
        .filter(|p| u64::from(*p) < pages)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn even_bounds_cover_the_range() {
        assert_eq!(even_int_bounds(1, 100, 4), vec![26, 51, 76]);
        assert_eq!(even_int_bounds(5, 5, 4), Vec::<i64>::new());
        assert_eq!(even_int_bounds(1, 3, 10), vec![2, 3]);
        assert_eq!(even_int_bounds(i64::MIN, i64::MAX, 2), vec![0]);
    }

    #[test]
    fn quantiles_are_distinct_and_skip_the_minimum() {
        let s = [1, 1, 1, 1, 2, 3, 4, 5];
        assert_eq!(quantile_bounds(&s, 4), vec![2, 4]);
        assert_eq!(quantile_bounds(&[7], 3), Vec::<i32>::new());
    }

    #[test]
    fn chunk_ids_and_ranges() {
        let c = chunks_from_bounds("public", "T.x", &[10, 20], |lo, hi| ChunkRange::Pages {
            lo,
            hi,
        });
        assert_eq!(c.len(), 3);
        assert_eq!(c[0].id, "public.T.x#00000");
        assert_eq!(c[0].file, "public.T%2Ex/00000.parquet");
        assert_eq!(
            c[0].range,
            ChunkRange::Pages {
                lo: None,
                hi: Some(10)
            }
        );
        assert_eq!(
            c[2].range,
            ChunkRange::Pages {
                lo: Some(20),
                hi: None
            }
        );
        let one = chunks_from_bounds::<u32>("s", "t", &[], |_, _| unreachable!());
        assert_eq!(one[0].range, ChunkRange::Whole);
    }

    #[test]
    fn page_bounds_partition() {
        assert_eq!(page_bounds(10, 3), vec![4, 8]);
        assert_eq!(page_bounds(0, 3), Vec::<u32>::new());
    }
}
