//! Planning a PostgreSQL table: resolve its columns to Arrow, pick a split, compute chunk bounds.
//!
//! Run inside the run's snapshot (a REPEATABLE READ transaction), so min/max and samples
//! describe the rows the workers will read. Correctness never depends on the bounds (the first
//! and last chunks are open-ended); only chunk sizes do.

use haul_formats::pgtypes::{self, PgKind, ResolveOptions};
use tokio_postgres::Client;

use crate::error::{EngineError, Result};
use crate::pg::catalog::{PgCatalog, PgTable};
use crate::pg::{qualified, quote_ident};
use crate::plan::{
    ChunkRange, ChunkSpec, ColumnPlan, KeyPlan, SplitKind, TablePlan, chunk_count,
    chunks_from_bounds, even_int_bounds, page_bounds, quantile_bounds, table_dir,
};

/// Default chunk size: about 128 MiB of source data.
pub const DEFAULT_CHUNK_BYTES: u64 = 128 * 1024 * 1024;

/// Tables up to this many (estimated) rows get exact quantile bounds from one sorted scan of
/// the key; bigger ones are sampled with `TABLESAMPLE SYSTEM`.
pub const EXACT_QUANTILE_MAX_ROWS: u64 = 1_000_000;

/// Below this |correlation| between the key's first column and the heap order, a keyed
/// table is split by ctid pages instead of key ranges.
pub const MIN_KEY_CORRELATION: f64 = 0.5;

/// Options that shape a plan.
#[derive(Debug, Clone)]
pub struct PlanOptions {
    /// Target source bytes per chunk.
    pub chunk_bytes: u64,
    /// Columns to carry as text whatever their type: `schema.table.column` or `table.column`.
    pub as_text: Vec<String>,
    /// Tables with more estimated rows than this get sampled key boundaries instead of exact
    /// quantiles ([`EXACT_QUANTILE_MAX_ROWS`]; tests lower it to exercise sampling).
    pub exact_quantile_max_rows: u64,
}

impl Default for PlanOptions {
    fn default() -> Self {
        Self {
            chunk_bytes: DEFAULT_CHUNK_BYTES,
            as_text: Vec::new(),
            exact_quantile_max_rows: EXACT_QUANTILE_MAX_ROWS,
        }
    }
}

/// Plans every table of the catalog, largest first (the scheduler's order).
pub async fn plan_tables(
    client: &Client,
    catalog: &PgCatalog,
    opts: &PlanOptions,
) -> Result<Vec<TablePlan>> {
    check_as_text_patterns(catalog, &opts.as_text)?;
    let block_size: i64 = client
        .query_one("SELECT current_setting('block_size')::int8", &[])
        .await
        .map_err(|e| EngineError::pg("reading block_size", e))?
        .get(0);
    let mut plans = Vec::with_capacity(catalog.tables.len());
    for t in &catalog.tables {
        plans.push(plan_table(client, catalog, t, opts, block_size.max(1) as u64).await?);
    }
    plans.sort_by(|a, b| {
        b.estimated_bytes
            .cmp(&a.estimated_bytes)
            .then_with(|| a.display_name().cmp(&b.display_name()))
    });
    Ok(plans)
}

fn as_text_matches(pattern: &str, t: &PgTable, column: &str) -> bool {
    pattern == format!("{}.{}.{}", t.schema, t.name, column)
        || pattern == format!("{}.{}", t.name, column)
}

fn check_as_text_patterns(catalog: &PgCatalog, patterns: &[String]) -> Result<()> {
    for p in patterns {
        let hit = catalog
            .tables
            .iter()
            .any(|t| t.columns.iter().any(|c| as_text_matches(p, t, &c.name)));
        if !hit {
            return Err(EngineError::Usage(format!(
                "--as-text `{p}` names no column of the selected tables (use schema.table.column or table.column)"
            )));
        }
    }
    Ok(())
}

async fn plan_table(
    client: &Client,
    catalog: &PgCatalog,
    t: &PgTable,
    opts: &PlanOptions,
    block_size: u64,
) -> Result<TablePlan> {
    let display = format!("{}.{}", t.schema, t.name);
    let mut columns = Vec::with_capacity(t.columns.len());
    let mut fields = Vec::with_capacity(t.columns.len());
    let mut warnings = Vec::new();
    for c in &t.columns {
        let ropts = ResolveOptions {
            money_scale: catalog.money_scale,
            force_text: opts.as_text.iter().any(|p| as_text_matches(p, t, &c.name)),
        };
        let resolved = pgtypes::resolve(&c.ty, ropts);
        if let Some(reason) = &resolved.text_reason {
            warnings.push(format!(
                "{display}.{} ({}) is carried as text: {reason}",
                c.name, c.ty.display
            ));
        }
        fields.push(pgtypes::arrow_field(&c.name, &c.ty, &resolved, !c.not_null));
        columns.push(ColumnPlan {
            name: c.name.clone(),
            source_type: c.ty.display.clone(),
            kind: resolved.kind,
            read_as: resolved.read_as,
            nullable: !c.not_null,
            mysql: None,
        });
    }
    let key = t.key.as_ref().map(|k| KeyPlan {
        columns: k.columns.clone(),
        cast_types: k
            .positions
            .iter()
            .map(|p| t.columns[*p].cast_type.clone())
            .collect(),
        positions: k.positions.clone(),
        source: k.source.clone(),
    });

    let (estimated_rows, rows_guessed) = match t.reltuples {
        Some(r) => (r.round() as u64, false),
        None => (guess_rows(t), true),
    };
    let estimated_bytes = t.total_bytes;
    let n = chunk_count(estimated_bytes, opts.chunk_bytes);
    let (split, split_reason, chunks) = if n < 2 {
        (
            SplitKind::Whole,
            format!(
                "one chunk: {} fits in the chunk size ({})",
                human_bytes(estimated_bytes),
                human_bytes(opts.chunk_bytes)
            ),
            chunks_from_bounds::<u32>(&t.schema, &t.name, &[], |_, _| ChunkRange::Whole),
        )
    } else {
        // A key whose order is far from the heap's makes every key-range chunk touch pages
        // all over the heap (a full scan per chunk, or random I/O): page ranges read each page
        // once. The key still defines the table; only the reading order changes.
        let scattered = t.key_correlation.filter(|c| c.abs() < MIN_KEY_CORRELATION);
        let pages_possible = catalog.server_version_num >= 140000;
        match &key {
            Some(k) if scattered.is_some() && pages_possible => {
                let (kind, reason, chunks) =
                    split_by_pages(t, catalog.server_version_num, n, block_size);
                let reason = format!(
                    "key {} is not in physical order (correlation {:.2}), so key ranges would each scan the whole heap; {reason}",
                    k.columns
                        .iter()
                        .map(|c| quote_ident(c))
                        .collect::<Vec<_>>()
                        .join(", "),
                    scattered.unwrap_or_default()
                );
                (kind, reason, chunks)
            }
            Some(k) => {
                let sampler = Sampler {
                    exact_max_rows: opts.exact_quantile_max_rows,
                    estimated_rows,
                };
                split_by_key(client, t, k, &columns, n, sampler).await?
            }
            None => {
                let (kind, reason, chunks) =
                    split_by_pages(t, catalog.server_version_num, n, block_size);
                (
                    kind,
                    format!("no primary key or NOT NULL unique key: {reason}"),
                    chunks,
                )
            }
        }
    };
    if key.is_none() && split != SplitKind::Pages && n >= 2 {
        warnings.push(format!("{display}: {split_reason}"));
    }
    Ok(TablePlan {
        schema: t.schema.clone(),
        name: t.name.clone(),
        dir: table_dir(&t.schema, &t.name),
        partition_of: t.partition_of.clone(),
        columns,
        key,
        estimated_rows,
        rows_guessed,
        estimated_bytes,
        split,
        split_reason,
        chunks,
        arrow_schema: arrow_schema::Schema::new(fields),
        warnings,
        ddl: t.ddl.clone(),
        mysql: None,
    })
}

/// A row estimate for a never-analyzed table: heap pages × a typical tuple density.
fn guess_rows(t: &PgTable) -> u64 {
    if t.heap_bytes == 0 {
        return 0;
    }
    let width: u64 = 24 + t.columns.len() as u64 * 12;
    t.heap_bytes / width.max(1)
}

type Split = (SplitKind, String, Vec<ChunkSpec>);

async fn split_by_key(
    client: &Client,
    t: &PgTable,
    key: &KeyPlan,
    columns: &[ColumnPlan],
    n: usize,
    sampler: Sampler,
) -> Result<Split> {
    let table = qualified(&t.schema, &t.name);
    let key_desc = key
        .columns
        .iter()
        .map(|c| quote_ident(c))
        .collect::<Vec<_>>()
        .join(", ");
    let make_key = |lo: Option<Vec<String>>, hi: Option<Vec<String>>| ChunkRange::Key { lo, hi };
    let integer = key.positions.len() == 1
        && matches!(
            columns[key.positions[0]].kind,
            PgKind::Int2 | PgKind::Int4 | PgKind::Int8
        );

    if integer {
        let col = quote_ident(&key.columns[0]);
        let row = client
            .query_one(
                &format!("SELECT min({col})::int8, max({col})::int8 FROM ONLY {table}"),
                &[],
            )
            .await
            .map_err(|e| EngineError::pg(format!("reading the key range of {table}"), e))?;
        let (Some(min), Some(max)) = (row.get::<_, Option<i64>>(0), row.get::<_, Option<i64>>(1))
        else {
            return Ok((
                SplitKind::Whole,
                "one chunk: the table is empty".to_string(),
                chunks_from_bounds::<u32>(&t.schema, &t.name, &[], |_, _| ChunkRange::Whole),
            ));
        };
        let bounds = even_int_bounds(min, max, n);
        let largest =
            largest_bucket_share(client, &table, &col, min, max, bounds.len() + 1, sampler).await?;
        let parts = bounds.len() + 1;
        // Even ranges are fine when no range holds more than twice its share (at most 3/4 of
        // the rows when there are only two or three ranges).
        if parts < 2 || largest <= (2.0 / parts as f64).min(0.75) {
            let text: Vec<Vec<String>> = bounds.iter().map(|b| vec![b.to_string()]).collect();
            let chunks = chunks_from_bounds(&t.schema, &t.name, &text, make_key);
            return Ok((
                SplitKind::IntRanges,
                format!(
                    "integer key {key_desc} ({}): {} even ranges over [{min}, {max}]",
                    key.source,
                    chunks.len()
                ),
                chunks,
            ));
        }
        let bounds = sample_bounds(client, t, key, n, sampler).await?;
        let chunks = chunks_from_bounds(&t.schema, &t.name, &bounds, make_key);
        return Ok((
            SplitKind::SampledRanges,
            format!(
                "integer key {key_desc} ({}) is skewed (one of {parts} even ranges would hold {:.0}% of the rows): {} ranges from sampled boundaries",
                key.source,
                largest * 100.0,
                chunks.len()
            ),
            chunks,
        ));
    }

    let bounds = sample_bounds(client, t, key, n, sampler).await?;
    let chunks = chunks_from_bounds(&t.schema, &t.name, &bounds, make_key);
    let what = if key.columns.len() > 1 {
        "composite key"
    } else {
        "key"
    };
    Ok((
        SplitKind::SampledRanges,
        format!(
            "{what} {key_desc} ({}): {} ranges from {} boundaries",
            key.source,
            chunks.len(),
            if sampler.exact() {
                "exact quantile"
            } else {
                "sampled"
            }
        ),
        chunks,
    ))
}

/// The share of rows in the fullest of `parts` even ranges (from a sample on big tables).
async fn largest_bucket_share(
    client: &Client,
    table: &str,
    col: &str,
    min: i64,
    max: i64,
    parts: usize,
    sampler: Sampler,
) -> Result<f64> {
    if parts < 2 {
        return Ok(1.0);
    }
    let sample = sampler.clause(parts);
    let sql = format!(
        "SELECT coalesce(max(c)::float8 / nullif(sum(c), 0)::float8, 0) FROM ( \
           SELECT width_bucket({col}::numeric, {min}::numeric, {max}::numeric + 1, {parts}) AS b, \
                  count(*) AS c FROM ONLY {table} {sample} GROUP BY 1) s"
    );
    let row = client
        .query_one(&sql, &[])
        .await
        .map_err(|e| EngineError::pg(format!("sampling the key distribution of {table}"), e))?;
    Ok(row.get(0))
}

/// How a table's key is sampled for boundaries.
#[derive(Debug, Clone, Copy)]
struct Sampler {
    exact_max_rows: u64,
    estimated_rows: u64,
}

impl Sampler {
    /// Small enough to read the whole key (exact quantiles).
    fn exact(&self) -> bool {
        self.estimated_rows <= self.exact_max_rows
    }

    /// `TABLESAMPLE SYSTEM (p)` sized for about 100 rows per chunk (at least 20 000), or
    /// nothing for tables small enough to read whole.
    fn clause(&self, parts: usize) -> String {
        if self.exact() {
            return String::new();
        }
        let want = (parts as f64 * 100.0).max(20_000.0);
        let pct = (want / self.estimated_rows.max(1) as f64 * 100.0).clamp(0.001, 100.0);
        format!("TABLESAMPLE SYSTEM ({pct:.4})")
    }
}

/// Lower bounds of chunks 2..=n as key text tuples, from exact quantiles (small tables) or a
/// block sample (big ones).
async fn sample_bounds(
    client: &Client,
    t: &PgTable,
    key: &KeyPlan,
    n: usize,
    sampler: Sampler,
) -> Result<Vec<Vec<String>>> {
    let table = qualified(&t.schema, &t.name);
    let cols: Vec<String> = key.columns.iter().map(|c| quote_ident(c)).collect();
    let order = cols.join(", ");
    // The text forms get their own names: `ORDER BY "k"` would otherwise bind to the output
    // column `"k"::text` and sort numbers as strings ("281696" > "1884450").
    let texts = cols
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{c}::text AS haul_k{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let width = cols.len();
    let read = |rows: Vec<tokio_postgres::Row>| -> Vec<Vec<String>> {
        rows.iter()
            .map(|r| (0..width).map(|i| r.get::<_, String>(i)).collect())
            .collect()
    };
    let mut bounds = None;
    if !sampler.exact() {
        let sql = format!(
            "SELECT {texts} FROM ONLY {table} {} ORDER BY {order}",
            sampler.clause(n)
        );
        let rows = client
            .query(&sql, &[])
            .await
            .map_err(|e| EngineError::pg(format!("sampling the key of {table}"), e))?;
        let sample = read(rows);
        if sample.len() >= n * 10 {
            bounds = Some(quantile_bounds(&sample, n));
        }
    }
    let bounds = match bounds {
        Some(b) => b,
        None => {
            // Exact: every ceil(count / n)-th key in key order starts a chunk.
            let sql = format!(
                "SELECT {texts} FROM (SELECT {order}, row_number() OVER (ORDER BY {order}) AS haul_rn, \
                        count(*) OVER () AS haul_cnt FROM ONLY {table}) s \
                  WHERE haul_rn > 1 AND (haul_rn - 1) % greatest(ceil(haul_cnt::numeric / {n})::int8, 1) = 0 \
                  ORDER BY haul_rn"
            );
            let rows = client
                .query(&sql, &[])
                .await
                .map_err(|e| EngineError::pg(format!("computing key quantiles of {table}"), e))?;
            read(rows)
        }
    };
    check_increasing(client, &table, key, &bounds).await?;
    Ok(bounds)
}

/// Asks the server whether each bound is strictly below the next, compared exactly as the
/// chunk predicates compare them. Overlapping ranges would dump rows twice, so a violation is
/// an error, never a plan.
async fn check_increasing(
    client: &Client,
    table: &str,
    key: &KeyPlan,
    bounds: &[Vec<String>],
) -> Result<()> {
    if bounds.len() < 2 {
        return Ok(());
    }
    let tuple = |vals: &Vec<String>| {
        let items: Vec<String> = vals
            .iter()
            .zip(&key.cast_types)
            .map(|(v, t)| format!("{}::{t}", crate::pg::quote_literal(v)))
            .collect();
        format!("ROW({})", items.join(", "))
    };
    let checks: Vec<String> = bounds
        .windows(2)
        .map(|w| format!("({} < {})", tuple(&w[0]), tuple(&w[1])))
        .collect();
    let sql = format!("SELECT {}", checks.join(" AND "));
    let ok: Option<bool> = client
        .query_one(&sql, &[])
        .await
        .map_err(|e| EngineError::pg(format!("checking the chunk bounds of {table}"), e))?
        .get(0);
    if ok == Some(true) {
        Ok(())
    } else {
        Err(EngineError::Other(format!(
            "internal error: the chunk bounds planned for {table} are not strictly increasing; \
             refusing a plan whose ranges would overlap (please report this)"
        )))
    }
}

fn split_by_pages(t: &PgTable, server_version_num: i32, n: usize, block_size: u64) -> Split {
    let whole = |reason: String| {
        (
            SplitKind::Whole,
            reason,
            chunks_from_bounds::<u32>(&t.schema, &t.name, &[], |_, _| ChunkRange::Whole),
        )
    };
    if server_version_num < 140000 {
        return whole("one chunk: PostgreSQL < 14 cannot scan ctid ranges".to_string());
    }
    let pages = t.heap_bytes / block_size;
    let bounds = page_bounds(pages, n);
    if bounds.is_empty() {
        return whole("one chunk: too few heap pages to split".to_string());
    }
    let chunks = chunks_from_bounds(&t.schema, &t.name, &bounds, |lo, hi| ChunkRange::Pages {
        lo,
        hi,
    });
    let per = bounds.first().copied().unwrap_or(0);
    (
        SplitKind::Pages,
        format!(
            "{} ctid page ranges of {per} pages ({} heap + TOAST)",
            chunks.len(),
            human_bytes(t.total_bytes)
        ),
        chunks,
    )
}

/// The predicate selecting a chunk's rows, `None` for the whole table.
pub fn chunk_predicate(key: Option<&KeyPlan>, range: &ChunkRange) -> Option<String> {
    match range {
        ChunkRange::Whole => None,
        ChunkRange::Pages { lo, hi } => {
            let mut parts = Vec::new();
            if let Some(lo) = lo {
                parts.push(format!("ctid >= '({lo},0)'::tid"));
            }
            if let Some(hi) = hi {
                parts.push(format!("ctid < '({hi},0)'::tid"));
            }
            (!parts.is_empty()).then(|| parts.join(" AND "))
        }
        ChunkRange::Key { lo, hi } => {
            let key = key?;
            let lhs = if key.columns.len() == 1 {
                quote_ident(&key.columns[0])
            } else {
                format!(
                    "({})",
                    key.columns
                        .iter()
                        .map(|c| quote_ident(c))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            let literal = |vals: &Vec<String>| {
                let items: Vec<String> = vals
                    .iter()
                    .zip(&key.cast_types)
                    .map(|(v, t)| format!("{}::{t}", crate::pg::quote_literal(v)))
                    .collect();
                if items.len() == 1 {
                    items[0].clone()
                } else {
                    format!("ROW({})", items.join(", "))
                }
            };
            let mut parts = Vec::new();
            // For a composite key, the leading column's bounds are implied by the row
            // comparison, but PostgreSQL estimates a row comparison poorly and then scans the
            // whole heap for every chunk; bounds on the first column it can estimate (and use
            // for an index range).
            let first = |vals: &Vec<String>| {
                format!(
                    "{}::{}",
                    crate::pg::quote_literal(&vals[0]),
                    key.cast_types[0]
                )
            };
            let composite = key.columns.len() > 1;
            let lead = quote_ident(&key.columns[0]);
            if let Some(lo) = lo {
                if composite {
                    parts.push(format!("{lead} >= {}", first(lo)));
                }
                parts.push(format!("{lhs} >= {}", literal(lo)));
            }
            if let Some(hi) = hi {
                if composite {
                    parts.push(format!("{lead} <= {}", first(hi)));
                }
                parts.push(format!("{lhs} < {}", literal(hi)));
            }
            (!parts.is_empty()).then(|| parts.join(" AND "))
        }
    }
}

/// `1.5 GiB`-style sizes for messages.
pub fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predicates() {
        let key = KeyPlan {
            columns: vec!["a".into(), "B".into()],
            cast_types: vec!["text".into(), "integer".into()],
            positions: vec![0, 1],
            source: "primary key".into(),
        };
        let r = ChunkRange::Key {
            lo: Some(vec!["it's".into(), "5".into()]),
            hi: None,
        };
        assert_eq!(
            chunk_predicate(Some(&key), &r).as_deref(),
            Some("\"a\" >= 'it''s'::text AND (\"a\", \"B\") >= ROW('it''s'::text, '5'::integer)")
        );
        let r = ChunkRange::Pages {
            lo: Some(3),
            hi: Some(9),
        };
        assert_eq!(
            chunk_predicate(None, &r).as_deref(),
            Some("ctid >= '(3,0)'::tid AND ctid < '(9,0)'::tid")
        );
        assert_eq!(chunk_predicate(None, &ChunkRange::Whole), None);
    }

    #[test]
    fn sizes() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(128 * 1024 * 1024), "128.0 MiB");
    }
}
