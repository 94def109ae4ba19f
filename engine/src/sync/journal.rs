//! `haul sync`'s state in the target: per (source, target table, column) the watermark of
//! the last finished run and the window of the run under way, and the chunks of that run
//! already applied (each recorded in its chunk's upsert transaction).
//!
//! ```text
//! PostgreSQL: haul.sync_state, haul.sync_chunks      MySQL/MariaDB: _haul_sync_state, _haul_sync_chunks
//! state:  id (hash of source, table, column), source, tbl, col, watermark,
//!         run_lower (the window's lower bound, source SQL), run_high, run_chunks (JSON)
//! chunks: id, chunk (index), upserted
//! ```

use mysql_async::prelude::Queryable;
use xxhash_rust::xxh3::xxh3_128;

use crate::error::{EngineError, Result};
use crate::plan::ChunkSpec;
use crate::upsert::Writer;

/// One table's row of `sync_state`.
#[derive(Debug, Clone, Default)]
pub(crate) struct State {
    pub watermark: Option<String>,
    /// The run under way: its lower bound, high and chunks.
    pub run: Option<(String, Option<String>, Vec<ChunkSpec>)>,
    /// Chunk indexes of that run already applied.
    pub done: Vec<u32>,
}

/// The state row's id.
pub(crate) fn state_id(source: &str, table: &str, column: &str) -> String {
    let h = xxh3_128(format!("{source}\u{0}{table}\u{0}{column}").as_bytes());
    format!("{h:032x}")
}

const PG_SETUP: &str = "CREATE SCHEMA IF NOT EXISTS haul; \
    CREATE TABLE IF NOT EXISTS haul.sync_state (id text PRIMARY KEY, source text NOT NULL, \
      tbl text NOT NULL, col text NOT NULL, watermark text, run_lower text, run_high text, \
      run_chunks text); \
    CREATE TABLE IF NOT EXISTS haul.sync_chunks (id text NOT NULL, chunk integer NOT NULL, \
      upserted bigint NOT NULL, PRIMARY KEY (id, chunk))";

const MY_SETUP: &str = "CREATE TABLE IF NOT EXISTS `_haul_sync_state` (id CHAR(32) PRIMARY KEY, \
      source TEXT NOT NULL, tbl TEXT NOT NULL, col TEXT NOT NULL, watermark TEXT, \
      run_lower TEXT, run_high TEXT, run_chunks LONGTEXT) ENGINE=InnoDB; \
    CREATE TABLE IF NOT EXISTS `_haul_sync_chunks` (id CHAR(32) NOT NULL, chunk INT NOT NULL, \
      upserted BIGINT NOT NULL, PRIMARY KEY (id, chunk)) ENGINE=InnoDB";

fn lit(w: &Writer, s: &str) -> String {
    match w {
        Writer::Pg(_) => crate::pg::quote_literal(s),
        Writer::MySql(_) => crate::mysql::quote_literal(s),
    }
}

fn opt_lit(w: &Writer, s: Option<&str>) -> String {
    s.map(|s| lit(w, s)).unwrap_or_else(|| "NULL".into())
}

fn table(w: &Writer, name: &str) -> String {
    match w {
        Writer::Pg(_) => format!("haul.{name}"),
        Writer::MySql(_) => format!("`_haul_{name}`"),
    }
}

/// Runs `sql` (one or more statements) on the writer.
pub(crate) async fn exec(w: &mut Writer, sql: &str, what: &str) -> Result<()> {
    match w {
        Writer::Pg(c) => c
            .batch_execute(sql)
            .await
            .map_err(|e| EngineError::pg(what.to_string(), e)),
        Writer::MySql(c) => c
            .query_drop(sql)
            .await
            .map_err(|e| EngineError::my(what.to_string(), e)),
    }
}

/// Creates the journal tables if needed.
pub(crate) async fn setup(w: &mut Writer) -> Result<()> {
    let sql = match w {
        Writer::Pg(_) => PG_SETUP,
        Writer::MySql(_) => MY_SETUP,
    };
    exec(w, sql, "creating haul's sync journal in the target").await
}

/// Reads one table's state.
pub(crate) async fn read(w: &mut Writer, id: &str) -> Result<State> {
    let q = format!(
        "SELECT watermark, run_lower, run_high, run_chunks FROM {} WHERE id = {}",
        table(w, "sync_state"),
        lit(w, id)
    );
    let qc = format!(
        "SELECT chunk FROM {} WHERE id = {}",
        table(w, "sync_chunks"),
        lit(w, id)
    );
    type Row = (
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let (row, done): (Option<Row>, Vec<u32>) = match w {
        Writer::Pg(c) => {
            let what = |e| EngineError::pg("reading haul.sync_state", e);
            let row = c.query_opt(q.as_str(), &[]).await.map_err(what)?;
            let done = c.query(qc.as_str(), &[]).await.map_err(what)?;
            (
                row.map(|r| (r.get(0), r.get(1), r.get(2), r.get(3))),
                done.iter().map(|r| r.get::<_, i32>(0) as u32).collect(),
            )
        }
        Writer::MySql(c) => {
            let what = |e| EngineError::my("reading _haul_sync_state", e);
            let row: Option<Row> = c.query_first(q).await.map_err(what)?;
            let done: Vec<u32> = c.query(qc).await.map_err(what)?;
            (row, done)
        }
    };
    let Some((watermark, lower, high, chunks)) = row else {
        return Ok(State::default());
    };
    let run = match (lower, chunks) {
        (Some(l), Some(c)) => {
            let chunks: Vec<ChunkSpec> = serde_json::from_str(&c).map_err(|e| {
                EngineError::Target(format!(
                    "the sync journal's run of state `{id}` is unreadable ({e}); delete that row of sync_state to start over"
                ))
            })?;
            Some((l, high, chunks))
        }
        _ => None,
    };
    Ok(State {
        watermark,
        run,
        done,
    })
}

/// Records the start of a run (its window and chunks), forgetting an earlier run's chunks.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn start_run(
    w: &mut Writer,
    id: &str,
    names: (&str, &str, &str),
    lower: &str,
    high: Option<&str>,
    chunks: &[ChunkSpec],
) -> Result<()> {
    let (source, tbl, col) = names;
    let json = serde_json::to_string(chunks).map_err(|e| EngineError::Other(e.to_string()))?;
    let vals = format!(
        "{}, {}, {}, {}, {}, {}, {}",
        lit(w, id),
        lit(w, source),
        lit(w, tbl),
        lit(w, col),
        lit(w, lower),
        opt_lit(w, high),
        lit(w, &json)
    );
    let upsert = match w {
        Writer::Pg(_) => format!(
            "INSERT INTO haul.sync_state (id, source, tbl, col, run_lower, run_high, run_chunks) \
             VALUES ({vals}) ON CONFLICT (id) DO UPDATE SET run_lower = EXCLUDED.run_lower, \
             run_high = EXCLUDED.run_high, run_chunks = EXCLUDED.run_chunks"
        ),
        Writer::MySql(_) => format!(
            "INSERT INTO `_haul_sync_state` (id, source, tbl, col, run_lower, run_high, run_chunks) \
             VALUES ({vals}) ON DUPLICATE KEY UPDATE run_lower = VALUES(run_lower), \
             run_high = VALUES(run_high), run_chunks = VALUES(run_chunks)"
        ),
    };
    let sql = format!(
        "DELETE FROM {} WHERE id = {}; {upsert}",
        table(w, "sync_chunks"),
        lit(w, id)
    );
    exec(w, &sql, "recording the sync run in the target").await
}

/// The SQL that records chunk `index` as applied, run inside its upsert transaction.
pub(crate) fn chunk_done_sql(w: &Writer, id: &str, index: u32, upserted: u64) -> String {
    format!(
        "INSERT INTO {} (id, chunk, upserted) VALUES ({}, {index}, {upserted})",
        table(w, "sync_chunks"),
        lit(w, id)
    )
}

/// Ends a run: the watermark becomes `watermark` (kept when `None`), the run is forgotten.
pub(crate) async fn finish_run(w: &mut Writer, id: &str, watermark: Option<&str>) -> Result<()> {
    let set = match watermark {
        Some(m) => format!("watermark = {}, ", lit(w, m)),
        None => String::new(),
    };
    let sql = format!(
        "UPDATE {} SET {set}run_lower = NULL, run_high = NULL, run_chunks = NULL WHERE id = {}; \
         DELETE FROM {} WHERE id = {}",
        table(w, "sync_state"),
        lit(w, id),
        table(w, "sync_chunks"),
        lit(w, id)
    );
    exec(w, &sql, "recording the sync's new watermark in the target").await
}
