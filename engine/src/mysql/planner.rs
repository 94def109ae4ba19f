//! Cutting MySQL tables into chunks (DESIGN.md §2), inside the dump's snapshot.
//!
//! - A table under `chunk_bytes` (by `DATA_LENGTH`), or without a usable key, is one chunk (the
//!   latter with a warning).
//! - When the key's first column is an integer: even ranges of that column from `MIN`/`MAX`
//!   (a prefix of the key partitions the rows as well as the whole key does).
//! - Otherwise: bounds picked from one ordered read of the key (every n-th key), compared as
//!   the server orders them: text bounds carry the column's character set and collation.

use arrow_schema::{Field, Schema};
use haul_formats::mytypes::{self, MyKind};
use haul_formats::pgtypes::ReadAs;
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Value};

use crate::error::{EngineError, Result};
use crate::mysql::catalog::{MyCatalog, MyColumn, MyColumnDdl, MyTable};
use crate::mysql::{qualified, quote_ident};
use crate::plan::{
    ChunkRange, ColumnPlan, KeyPlan, SplitKind, TablePlan, chunk_count, chunks_from_bounds,
    table_dir,
};

/// What zero dates (`0000-00-00`, `2024-00-10`) become.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ZeroDates {
    /// The chunk fails naming table, column and key.
    #[default]
    Error,
    /// NULL (date columns are then nullable in the dump).
    Null,
}

/// Planning options for a MySQL source.
#[derive(Debug, Clone)]
pub struct MyPlanOptions {
    pub chunk_bytes: u64,
    pub zero_dates: ZeroDates,
}

/// Plans every table of `catalog`; `conn` is a worker inside the snapshot.
pub async fn plan_tables(
    conn: &mut Conn,
    catalog: &MyCatalog,
    opts: &MyPlanOptions,
) -> Result<Vec<TablePlan>> {
    let mut out = Vec::with_capacity(catalog.tables.len());
    for t in &catalog.tables {
        out.push(plan_table(conn, t, opts).await?);
    }
    Ok(out)
}

async fn plan_table(conn: &mut Conn, t: &MyTable, opts: &MyPlanOptions) -> Result<TablePlan> {
    let display = format!("{}.{}", t.db, t.name);
    let mut columns = Vec::with_capacity(t.columns.len());
    let mut fields: Vec<Field> = Vec::with_capacity(t.columns.len());
    for c in &t.columns {
        let kind = c.kind.clone().map_err(|why| {
            EngineError::Usage(format!(
                "column {display}.{}: {why}; exclude the table with --exclude",
                c.name
            ))
        })?;
        let nullable = c.nullable || (opts.zero_dates == ZeroDates::Null && kind.has_zero_dates());
        fields.push(mytypes::arrow_field(&c.name, &kind, &c.ty, nullable));
        columns.push(ColumnPlan {
            name: c.name.clone(),
            source_type: c.ty.column_type.clone(),
            kind: kind.pg_kind(),
            read_as: ReadAs::Native,
            nullable,
            mysql: Some(kind),
        });
    }
    let mut warnings = Vec::new();
    let key = t.key.as_ref().map(|k| KeyPlan {
        columns: k.columns.clone(),
        cast_types: k
            .positions
            .iter()
            .map(|&i| t.columns[i].ty.column_type.clone())
            .collect(),
        positions: k.positions.clone(),
        source: k.source.clone(),
    });
    let wanted = chunk_count(t.data_bytes, opts.chunk_bytes);
    let (split, reason, bounds) = match (&t.key, wanted) {
        (None, n) => {
            warnings.push(format!(
                "{display} has no primary key or NOT NULL unique key: it is read as one chunk{} (add a key to split it, and to let diff and sync match its rows)",
                if n > 1 { format!(" instead of {n}") } else { String::new() }
            ));
            (
                SplitKind::Whole,
                "no usable key: one chunk".to_string(),
                Vec::new(),
            )
        }
        (_, 1) => (
            SplitKind::Whole,
            "fits in one chunk".to_string(),
            Vec::new(),
        ),
        (Some(k), n) => {
            let first = &t.columns[k.positions[0]];
            if is_integer(first) {
                let b = int_bounds(conn, t, first, n).await?;
                (
                    SplitKind::IntRanges,
                    format!("{n} even ranges of `{}` ({})", first.name, k.source),
                    b,
                )
            } else {
                let b = sampled_bounds(conn, t, k.positions.as_slice(), n).await?;
                (
                    SplitKind::SampledRanges,
                    format!("{n} ranges from an ordered read of the {}", k.source),
                    b,
                )
            }
        }
    };
    let chunks = chunks_from_bounds(&t.db, &t.name, &bounds, |lo, hi| ChunkRange::Key { lo, hi });
    Ok(TablePlan {
        schema: t.db.clone(),
        name: t.name.clone(),
        dir: table_dir(&t.db, &t.name),
        partition_of: None,
        columns,
        key,
        estimated_rows: t.table_rows,
        rows_guessed: false,
        estimated_bytes: t.data_bytes,
        split,
        split_reason: reason,
        chunks,
        arrow_schema: Schema::new(fields),
        warnings,
        ddl: Default::default(),
        mysql: Some(t.ddl.clone()),
    })
}

fn is_integer(c: &MyColumn) -> bool {
    matches!(
        c.kind,
        Ok(MyKind::Int { .. } | MyKind::Year | MyKind::Bit { .. })
    )
}

/// Lower bounds (as one-column key prefixes) of even ranges over the first key column.
async fn int_bounds(
    conn: &mut Conn,
    t: &MyTable,
    c: &MyColumn,
    n: usize,
) -> Result<Vec<Vec<String>>> {
    let col = quote_ident(&c.name);
    let sql = format!(
        "SELECT CAST(MIN({col}) AS CHAR), CAST(MAX({col}) AS CHAR) FROM {}",
        qualified(&t.db, &t.name)
    );
    let row: Option<(Option<String>, Option<String>)> = conn
        .query_first(sql)
        .await
        .map_err(|e| EngineError::my(format!("reading the key range of {}.{}", t.db, t.name), e))?;
    let parse = |s: Option<String>| s.and_then(|s| s.parse::<i128>().ok());
    let Some((Some(min), Some(max))) = row.map(|(a, b)| (parse(a), parse(b))) else {
        return Ok(Vec::new());
    };
    Ok(even_bounds(min, max, n)
        .into_iter()
        .map(|b| vec![b.to_string()])
        .collect())
}

/// Lower bounds of chunks 2..=n for even ranges over `[min, max]` (i128: BIGINT UNSIGNED fits).
pub fn even_bounds(min: i128, max: i128, n: usize) -> Vec<i128> {
    let span = max - min + 1;
    let n = (n as i128).clamp(1, span.max(1));
    let step = (span + n - 1) / n;
    (1..n)
        .map(|i| min + i * step)
        .filter(|b| *b <= max)
        .collect()
}

/// Bounds picked from one ordered read of the whole key.
async fn sampled_bounds(
    conn: &mut Conn,
    t: &MyTable,
    positions: &[usize],
    n: usize,
) -> Result<Vec<Vec<String>>> {
    let cols: Vec<&MyColumn> = positions.iter().map(|&i| &t.columns[i]).collect();
    let list: Vec<String> = cols.iter().map(|c| bound_select(c)).collect();
    let order: Vec<String> = cols.iter().map(|c| quote_ident(&c.name)).collect();
    let what = format!("sampling the key of {}.{}", t.db, t.name);
    let mut total = t.table_rows;
    if total == 0 {
        let count: Option<u64> = conn
            .query_first(format!(
                "SELECT COUNT(*) FROM {}",
                qualified(&t.db, &t.name)
            ))
            .await
            .map_err(|e| EngineError::my(what.clone(), e))?;
        total = count.unwrap_or(0);
    }
    let step = (total / n as u64).max(1);
    let sql = format!(
        "SELECT {} FROM {} ORDER BY {}",
        list.join(", "),
        qualified(&t.db, &t.name),
        order.join(", ")
    );
    let mut result = conn
        .query_iter(sql)
        .await
        .map_err(|e| EngineError::my(what.clone(), e))?;
    let mut picked: Vec<Vec<String>> = Vec::new();
    let mut i = 0u64;
    while let Some(row) = result
        .next()
        .await
        .map_err(|e| EngineError::my(what.clone(), e))?
    {
        if i > 0 && i.is_multiple_of(step) && picked.len() + 1 < n {
            let vals: Vec<String> = row
                .unwrap_raw()
                .into_iter()
                .map(|v| match v {
                    Some(Value::Bytes(b)) => String::from_utf8_lossy(&b).into_owned(),
                    _ => String::new(),
                })
                .collect();
            picked.push(vals);
        }
        i += 1;
    }
    drop(result);
    // Keys are unique and read in order: the picks are distinct and ascending.
    Ok(picked)
}

/// How a key column is read for a bound: its text form, hex for binary strings.
fn bound_select(c: &MyColumn) -> String {
    let q = quote_ident(&c.name);
    match c.kind {
        Ok(MyKind::Binary) => format!("HEX({q})"),
        _ => format!("CAST({q} AS CHAR)"),
    }
}

/// The `WHERE` clause of a chunk (without `WHERE`), or `None` for the whole table.
pub fn chunk_predicate(table: &TablePlan, range: &ChunkRange) -> Option<String> {
    let (key, lo, hi) = match (&table.key, range) {
        (Some(k), ChunkRange::Key { lo, hi }) => (k, lo, hi),
        _ => return None,
    };
    let cols: Vec<(String, String)> = key
        .positions
        .iter()
        .map(|&i| {
            let c = &table.columns[i];
            (quote_ident(&c.name), String::new())
        })
        .collect();
    let lit = |i: usize, v: &str| -> String {
        let c = &table.columns[key.positions[i]];
        let ddl = table
            .mysql
            .as_ref()
            .and_then(|d| d.columns.iter().find(|d| d.name == c.name));
        bound_literal(c, ddl, v)
    };
    let mut parts = Vec::new();
    if let Some(lo) = lo {
        parts.push(row_compare(&cols, lo, &lit, true));
    }
    if let Some(hi) = hi {
        parts.push(row_compare(&cols, hi, &lit, false));
    }
    (!parts.is_empty()).then(|| parts.join(" AND "))
}

/// `(k1, …, km) >= (v1, …, vm)` (or `<`) over the first `m = values.len()` key columns, spelled
/// out as ORs of ANDs, which every MySQL and MariaDB version turns into index ranges.
fn row_compare(
    cols: &[(String, String)],
    values: &[String],
    lit: &dyn Fn(usize, &str) -> String,
    lower: bool,
) -> String {
    let m = values.len().min(cols.len());
    let mut ors = Vec::with_capacity(m);
    for i in 0..m {
        let mut ands: Vec<String> = (0..i)
            .map(|j| format!("{} = {}", cols[j].0, lit(j, &values[j])))
            .collect();
        let op = match (lower, i + 1 == m) {
            (true, true) => ">=",
            (true, false) => ">",
            (false, _) => "<",
        };
        ands.push(format!("{} {op} {}", cols[i].0, lit(i, &values[i])));
        ors.push(format!("({})", ands.join(" AND ")));
    }
    format!("({})", ors.join(" OR "))
}

/// A bound value as SQL: numbers as they are (checked), binary strings as hex, text in the
/// column's character set and collation (so the comparison orders as the key does).
fn bound_literal(c: &ColumnPlan, ddl: Option<&MyColumnDdl>, v: &str) -> String {
    let kind = c.mysql.as_ref();
    match kind {
        Some(MyKind::Int { .. } | MyKind::Year | MyKind::Bit { .. } | MyKind::Decimal { .. })
        | Some(MyKind::Float | MyKind::Double)
            if is_number(v) =>
        {
            v.to_string()
        }
        Some(MyKind::Binary) if v.bytes().all(|b| b.is_ascii_hexdigit()) => {
            if v.is_empty() {
                "''".into()
            } else {
                format!("X'{v}'")
            }
        }
        _ => {
            let text = crate::mysql::quote_literal(v);
            let charset = ddl.and_then(|d| d.charset.as_deref());
            let collation = ddl.and_then(|d| d.collation.as_deref());
            match (charset, collation) {
                (Some(cs), Some(coll)) => format!(
                    "CONVERT({text} USING {}) COLLATE {}",
                    quote_ident(cs),
                    quote_ident(coll)
                ),
                _ => text,
            }
        }
    }
}

fn is_number(v: &str) -> bool {
    !v.is_empty()
        && v.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn even_bounds_cover_unsigned_bigint() {
        let max = i128::from(u64::MAX);
        let b = even_bounds(0, max, 2);
        assert_eq!(b, vec![(max + 1) / 2]);
        assert_eq!(even_bounds(1, 100, 4), vec![26, 51, 76]);
    }

    #[test]
    fn row_comparisons_expand() {
        let cols = vec![
            ("`a`".to_string(), String::new()),
            ("`b`".to_string(), String::new()),
        ];
        let lit = |_: usize, v: &str| v.to_string();
        assert_eq!(
            row_compare(&cols, &["1".into(), "2".into()], &lit, true),
            "((`a` > 1) OR (`a` = 1 AND `b` >= 2))"
        );
        assert_eq!(
            row_compare(&cols, &["1".into(), "2".into()], &lit, false),
            "((`a` < 1) OR (`a` = 1 AND `b` < 2))"
        );
        assert_eq!(
            row_compare(&cols, &["5".into()], &lit, true),
            "((`a` >= 5))"
        );
    }
}
