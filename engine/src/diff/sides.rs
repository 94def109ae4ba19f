//! The two sides of a diff: each read in one consistent snapshot (the source as `dump` takes
//! it, the target as `verify --against` does), chunk by chunk, into the source's Arrow schema.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use haul_formats::mytypes::MyKind;
use haul_formats::pgtypes::PgKind;
use mysql_async::prelude::Queryable;
use tokio::sync::mpsc;

use crate::dump::{PooledConn, Selection};
use crate::endpoint::{MyEndpoint, PgEndpoint};
use crate::error::{EngineError, Result};
use crate::events::TableProgress;
use crate::mysql::planner::ZeroDates;
use crate::mysql::snapshot::MyLeader;
use crate::pg::snapshot::{SnapshotLeader, SnapshotWorker};
use crate::plan::{ChunkSpec, TablePlan};
use crate::select::TableFilter;
use crate::source::{BatchLimits, CHANNEL_DEPTH, ChunkMsg};

/// What holds a side's snapshot open; finished when the diff ends.
pub(crate) enum Holder {
    Pg(SnapshotLeader),
    MySql(MyLeader),
}

impl Holder {
    pub(crate) async fn finish(self) {
        match self {
            Holder::Pg(l) => l.finish().await,
            Holder::MySql(l) => l.finish().await,
        }
    }
}

/// Where a side's sessions come from.
pub(crate) enum Reader {
    Pg {
        ep: Box<PgEndpoint>,
        snapshot: String,
    },
    /// Connections inside the snapshot (a lost one cannot be replaced).
    MySql {
        pool: Arc<Mutex<Vec<mysql_async::Conn>>>,
        zero_dates: ZeroDates,
    },
}

/// A worker's session on one side, inside that side's snapshot.
pub(crate) enum ReadSession {
    Pg(SnapshotWorker),
    MySql(PooledConn, ZeroDates),
}

impl Reader {
    pub(crate) async fn open(&self) -> Result<ReadSession> {
        Ok(match self {
            Reader::Pg { ep, snapshot } => {
                ReadSession::Pg(SnapshotWorker::open(ep, snapshot).await?)
            }
            Reader::MySql { pool, zero_dates } => {
                ReadSession::MySql(PooledConn::borrow(pool).await?, *zero_dates)
            }
        })
    }
}

/// How one side reads a table and turns its batches into the source's Arrow schema.
#[derive(Debug, Clone)]
pub(crate) struct SidePlan {
    /// The plan as this side reads it (names, types, key, chunk ranges).
    pub plan: TablePlan,
    /// Cross-engine target: convert each batch into this schema (the source's) before hashing.
    pub convert: Option<SchemaRef>,
}

/// Reads `chunk` of `side` on `session`, converts each batch into the source's schema and
/// hands it to `visit`; a batch `visit` returns goes to `fwd`, which gets `End` only once the
/// whole chunk was read. Returns the rows read.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn scan<F>(
    session: &mut ReadSession,
    side: &SidePlan,
    chunk: &ChunkSpec,
    limits: BatchLimits,
    progress: Option<&TableProgress>,
    fwd: Option<mpsc::Sender<ChunkMsg>>,
    mut visit: F,
) -> Result<u64>
where
    F: FnMut(&RecordBatch) -> Result<Option<RecordBatch>>,
{
    let (tx, mut rx) = mpsc::channel::<ChunkMsg>(CHANNEL_DEPTH);
    let table = &side.plan;
    let key = table
        .key
        .as_ref()
        .map(|k| k.positions.clone())
        .unwrap_or_default();
    let consume = async {
        let mut rows = 0u64;
        let mut sent = 0u64;
        let mut complete = false;
        while let Some(msg) = rx.recv().await {
            let b = match msg {
                ChunkMsg::Batch(b) => b,
                ChunkMsg::End { .. } => {
                    complete = true;
                    continue;
                }
            };
            rows += b.num_rows() as u64;
            let b = match &side.convert {
                Some(s) => crate::mysql::to_pg::from_pg(&b, s, &key, &chunk.id)?,
                None => b,
            };
            if let Some(out) = visit(&b)?
                && let Some(f) = &fwd
                && out.num_rows() > 0
            {
                sent += out.num_rows() as u64;
                f.send(ChunkMsg::Batch(out))
                    .await
                    .map_err(|_| EngineError::WriterStopped)?;
            }
        }
        // Only a chunk read completely ends the forwarded stream: without `End` its
        // consumer (a staging COPY) fails instead of committing part of the chunk.
        if let Some(f) = &fwd
            && complete
        {
            f.send(ChunkMsg::End { rows: sent })
                .await
                .map_err(|_| EngineError::WriterStopped)?;
        }
        Ok::<u64, EngineError>(rows)
    };
    let read = async move {
        let r = match session {
            ReadSession::Pg(w) => {
                crate::source::pg::read_chunk(w, table, chunk, limits, &tx, progress)
                    .await
                    .map(|(rows, _)| rows)
            }
            ReadSession::MySql(c, zero_dates) => {
                let conn = c.conn.as_mut().expect("held until dropped");
                crate::source::mysql::read_chunk(
                    conn,
                    table,
                    chunk,
                    limits,
                    *zero_dates,
                    &tx,
                    progress,
                )
                .await
            }
        };
        drop(tx);
        r
    };
    let (read, consumed) = tokio::join!(read, consume);
    match (read, consumed) {
        (Ok(_), Ok(rows)) => Ok(rows),
        // The consumer stopped first: its error is the real one.
        (Err(EngineError::WriterStopped), Err(e)) | (Ok(_), Err(e)) => Err(e),
        (Err(e), _) => Err(e),
    }
}

/// Opens the PostgreSQL target's snapshot, locking the tables the diff reads there.
pub(crate) async fn open_pg_target(
    dst: &PgEndpoint,
    tables: &[(String, String)],
    sel: &Selection,
) -> Result<(Holder, Reader)> {
    let client = crate::pg::conn::connect(dst).await?;
    let leader = SnapshotLeader::start(client, tables, sel.lock_wait).await?;
    let reader = Reader::Pg {
        ep: Box::new(dst.clone()),
        snapshot: leader.info.id.clone(),
    };
    Ok((Holder::Pg(leader), reader))
}

/// Opens `jobs` sessions in one snapshot of the MySQL target (a brief global read lock while
/// they start, unless `--lock none`).
pub(crate) async fn open_my_target(
    dst: &MyEndpoint,
    sel: &Selection,
    jobs: usize,
) -> Result<(Holder, Reader)> {
    let mut probe = crate::mysql::conn::connect(dst).await?;
    let version = crate::mysql::conn::server_version(&mut probe).await?;
    let _ = probe.disconnect().await;
    let mariadb = crate::mysql::conn::is_mariadb(&version);
    let locked = crate::mysql::snapshot::lock(dst, mariadb, sel.lock, sel.lock_wait, false).await?;
    let (leader, workers) = locked.snapshot(dst, mariadb, jobs).await?;
    let reader = Reader::MySql {
        pool: Arc::new(Mutex::new(workers)),
        zero_dates: sel.zero_dates,
    };
    Ok((Holder::MySql(leader), reader))
}

/// A target table's columns: name, type as the target spells it (`format_type` or
/// `COLUMN_TYPE`), collation when it has one.
pub(crate) type Columns = Vec<(String, String, Option<String>)>;

/// A PostgreSQL database's tables (`(schema, name)` → columns), haul's and the system's
/// excluded.
pub(crate) async fn pg_tables(
    client: &tokio_postgres::Client,
) -> Result<BTreeMap<(String, String), Columns>> {
    let rows = client
        .query(
            "SELECT n.nspname::text, c.relname::text, a.attname::text, \
                    pg_catalog.format_type(a.atttypid, a.atttypmod), \
                    CASE WHEN co.collname = 'default' \
                         THEN (SELECT d.datcollate::text FROM pg_catalog.pg_database d \
                                WHERE d.datname = pg_catalog.current_database()) \
                         ELSE co.collname::text END \
               FROM pg_catalog.pg_class c \
               JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
               JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
               LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation \
              WHERE c.relkind = 'r' \
                AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'haul') \
                AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)' \
              ORDER BY 1, 2, a.attnum",
            &[],
        )
        .await
        .map_err(|e| EngineError::pg("listing the tables and columns", e))?;
    let mut out: BTreeMap<(String, String), Columns> = BTreeMap::new();
    for r in rows {
        out.entry((r.get(0), r.get(1)))
            .or_default()
            .push((r.get(2), r.get(3), r.get(4)));
    }
    Ok(out)
}

/// The MySQL database's base tables (name → columns), haul's own excluded.
pub(crate) async fn my_tables(
    conn: &mut mysql_async::Conn,
    db: &str,
) -> Result<BTreeMap<String, Columns>> {
    let rows: Vec<(String, String, String, Option<String>)> = conn
        .query(format!(
            "SELECT c.TABLE_NAME, c.COLUMN_NAME, c.COLUMN_TYPE, c.COLLATION_NAME \
               FROM information_schema.COLUMNS c \
               JOIN information_schema.TABLES t \
                 ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME \
              WHERE c.TABLE_SCHEMA = {} AND t.TABLE_TYPE = 'BASE TABLE' \
              ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION",
            crate::mysql::quote_literal(db)
        ))
        .await
        .map_err(|e| EngineError::my("listing the tables and columns", e))?;
    let mut out: BTreeMap<String, Columns> = BTreeMap::new();
    for (t, c, ty, coll) in rows {
        if !t.starts_with(crate::mysql::target::JOURNAL_PREFIX) {
            out.entry(t).or_default().push((c, ty, coll));
        }
    }
    Ok(out)
}

/// Why a table's columns differ between the sides, if they do: names must match, and types
/// too when both sides are the same engine (`types`: the source's, in column order).
pub(crate) fn column_mismatch(
    source: &[String],
    types: Option<&[String]>,
    target: &Columns,
) -> Option<String> {
    let mut problems = Vec::new();
    for (i, name) in source.iter().enumerate() {
        match target.iter().find(|(n, _, _)| n == name) {
            None => problems.push(format!("column `{name}` is missing in the target")),
            Some((_, ty, _)) => {
                if let Some(types) = types
                    && types[i] != *ty
                {
                    problems.push(format!(
                        "column `{name}` is {} in the source but {ty} in the target",
                        types[i]
                    ));
                }
            }
        }
    }
    let known: HashSet<&String> = source.iter().collect();
    for (n, _, _) in target {
        if !known.contains(n) {
            problems.push(format!(
                "the target has column `{n}` that the source does not"
            ));
        }
    }
    (!problems.is_empty()).then(|| problems.join("; "))
}

/// Whether chunk `[lo, hi)` ranges select the same rows on both sides: the key's ordering must
/// not depend on a collation that differs between them. Across engines only integer keys
/// qualify (text collates differently in PostgreSQL and MySQL); on one engine, every key
/// column must have the same collation (or none) on both sides.
pub(crate) fn ranges_agree(
    t: &TablePlan,
    same_engine: bool,
    source_collations: &HashMap<String, Option<String>>,
    target: &Columns,
) -> bool {
    let Some(key) = &t.key else { return false };
    if same_engine {
        key.columns.iter().all(|k| {
            let dst = target
                .iter()
                .find(|(n, _, _)| n == k)
                .map(|(_, _, c)| c.clone());
            Some(source_collations.get(k).cloned().flatten()) == dst
        })
    } else {
        key.positions.iter().all(|&i| {
            let c = &t.columns[i];
            match &c.mysql {
                Some(m) => matches!(m, MyKind::Int { .. } | MyKind::Year | MyKind::Bit { .. }),
                None => matches!(c.kind, PgKind::Int2 | PgKind::Int4 | PgKind::Int8),
            }
        })
    }
}

/// Tables of the target the selection covers that the source does not have: `listed` are the
/// target's tables as `(schema, name, target's name)` with the schema the source would give
/// them, `known` the source's tables as `(schema, name)`.
pub(crate) fn only_in_target(
    listed: impl Iterator<Item = (String, String, String)>,
    known: &HashSet<(String, String)>,
    filter: &TableFilter,
) -> Vec<String> {
    listed
        .filter(|(s, t, _)| filter.includes(s, t) && !filter.excludes(s, t))
        .filter(|(s, t, _)| !known.contains(&(s.clone(), t.clone())))
        .map(|(_, _, shown)| shown)
        .collect()
}

/// A PostgreSQL dump's table read from a MySQL target: each column as the MySQL kind holds
/// it, converted back to the source's types before hashing (as `verify --against` does).
pub(crate) fn my_read_plan(my_t: &TablePlan, db: &str) -> TablePlan {
    let fields: Vec<arrow_schema::Field> = my_t
        .columns
        .iter()
        .map(|c| {
            let ty = c.mysql.as_ref().map(MyKind::arrow_type);
            arrow_schema::Field::new(&c.name, ty.unwrap_or(arrow_schema::DataType::Utf8), true)
        })
        .collect();
    TablePlan {
        schema: db.to_string(),
        arrow_schema: arrow_schema::Schema::new(fields),
        ..my_t.clone()
    }
}

/// The source's key columns' collations (PostgreSQL: the effective one, the database's for
/// `default`; MySQL: `COLLATION_NAME`), by column name.
pub(crate) fn collations_of(cols: &Columns) -> HashMap<String, Option<String>> {
    cols.iter()
        .map(|(n, _, c)| (n.clone(), c.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(v: &[(&str, &str, Option<&str>)]) -> Columns {
        v.iter()
            .map(|(n, t, c)| (n.to_string(), t.to_string(), c.map(str::to_string)))
            .collect()
    }

    #[test]
    fn column_mismatches_name_every_problem() {
        let src = vec!["id".to_string(), "v".to_string()];
        let types = vec!["integer".to_string(), "text".to_string()];
        let same = cols(&[("v", "text", None), ("id", "integer", None)]);
        assert_eq!(column_mismatch(&src, Some(&types), &same), None);
        let other = cols(&[("id", "bigint", None), ("w", "text", None)]);
        let got = column_mismatch(&src, Some(&types), &other).expect("differs");
        assert!(got.contains("column `v` is missing in the target"), "{got}");
        assert!(
            got.contains("`id` is integer in the source but bigint"),
            "{got}"
        );
        assert!(got.contains("has column `w`"), "{got}");
        // Across engines only the names count.
        let cross = cols(&[("id", "bigint", None), ("v", "longtext", None)]);
        assert_eq!(column_mismatch(&src, None, &cross), None);
    }
}
