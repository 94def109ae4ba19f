//! A MySQL/MariaDB load target: its session settings, its journal tables and what exists.
//!
//! The journal lives in the target database itself (`_haul_loads`, `_haul_chunks`, InnoDB), so
//! a chunk's rows and its journal row commit in one transaction; dumps never include tables
//! named `_haul_*`.

use std::collections::{BTreeMap, HashMap};

use mysql_async::Conn;
use mysql_async::prelude::Queryable;

use crate::endpoint::MyEndpoint;
use crate::error::{EngineError, Result};
use crate::mysql::conn::connect;
use crate::mysql::quote_literal;

/// Prefix of haul's own tables in a MySQL database.
pub const JOURNAL_PREFIX: &str = "_haul_";

/// Session settings of a loading connection, on top of the common ones: strict values, an
/// explicit 0 stays 0 in an AUTO_INCREMENT column, no foreign-key checks while rows arrive
/// (foreign keys are added, and checked, after the rows).
const LOAD_SESSION: &str = "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION', \
     SESSION foreign_key_checks = 0, SESSION unique_checks = 1, SESSION autocommit = 1";

/// A connection ready to load.
pub async fn connect_target(ep: &MyEndpoint) -> Result<Conn> {
    let mut conn = connect(ep).await?;
    conn.query_drop(LOAD_SESSION)
        .await
        .map_err(|e| EngineError::my("setting up the loading session", e))?;
    Ok(conn)
}

/// Fails with what to change when the server refuses `LOAD DATA LOCAL INFILE`.
pub async fn check_local_infile(conn: &mut Conn, ep: &MyEndpoint) -> Result<()> {
    let on: Option<String> = conn
        .query_first("SELECT CAST(@@GLOBAL.local_infile AS CHAR)")
        .await
        .map_err(|e| EngineError::my("reading local_infile", e))?;
    if matches!(on.as_deref(), Some("1") | Some("ON")) {
        return Ok(());
    }
    Err(EngineError::Target(local_infile_off(ep)))
}

/// The message for a server that refuses LOCAL INFILE.
pub fn local_infile_off(ep: &MyEndpoint) -> String {
    format!(
        "{ep} refuses LOAD DATA LOCAL INFILE (local_infile is OFF, the default on MySQL 8): turn it on with `SET GLOBAL local_infile = 1` (or `local_infile=1` under [mysqld] in my.cnf), then rerun"
    )
}

/// Creates the journal tables if missing. Chunk ids compare byte-wise (`utf8mb4_bin`): tables
/// whose names differ only in case (`public.T`, `public.t`) have chunks of their own; a journal
/// an older haul created case-insensitive is converted.
pub async fn ensure_journal(conn: &mut Conn) -> Result<()> {
    conn.query_drop(
        "CREATE TABLE IF NOT EXISTS `_haul_loads` (\
           job varchar(64) NOT NULL PRIMARY KEY, command varchar(16) NOT NULL, \
           source text NOT NULL, phase varchar(16) NOT NULL, created longtext NOT NULL, \
           started_at datetime(6) NOT NULL, finished_at datetime(6) NULL, plan longtext NULL) \
           ENGINE=InnoDB DEFAULT CHARSET=utf8mb4; \
         CREATE TABLE IF NOT EXISTS `_haul_chunks` (\
           job varchar(64) NOT NULL, chunk varchar(700) NOT NULL, table_name varchar(200) NOT NULL, \
           `rows` bigint unsigned NOT NULL, checksum char(32) NOT NULL, \
           PRIMARY KEY (job, chunk)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
    )
    .await
    .map_err(|e| EngineError::my("creating haul's journal tables (_haul_loads, _haul_chunks)", e))?;
    let collation: Option<String> = conn
        .query_first(
            "SELECT COLLATION_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() \
             AND TABLE_NAME = '_haul_chunks' AND COLUMN_NAME = 'chunk'",
        )
        .await
        .map_err(|e| EngineError::my("reading haul's journal table _haul_chunks", e))?;
    if collation.is_some_and(|c| c != "utf8mb4_bin") {
        conn.query_drop(
            "ALTER TABLE `_haul_chunks` MODIFY chunk varchar(700) \
             CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL",
        )
        .await
        .map_err(|e| EngineError::my("making _haul_chunks compare chunk ids byte-wise", e))?;
    }
    Ok(())
}

/// A job's row.
#[derive(Debug, Clone)]
pub struct JobRow {
    pub phase: String,
    pub created: Vec<String>,
    /// For `copy`: the plan (a manifest as JSON) the job follows.
    pub plan: Option<String>,
}

/// The job's row, if this target has seen the job.
pub async fn find_job(conn: &mut Conn, job: &str) -> Result<Option<JobRow>> {
    let row: Option<(String, String, Option<String>)> = conn
        .query_first(format!(
            "SELECT phase, created, plan FROM `_haul_loads` WHERE job = {}",
            quote_literal(job)
        ))
        .await
        .map_err(|e| EngineError::my("reading the load journal", e))?;
    Ok(row.map(|(phase, created, plan)| JobRow {
        phase,
        created: serde_json::from_str(&created).unwrap_or_default(),
        plan,
    }))
}

/// Records a new job (phase `schema`: its tables are being created).
pub async fn start_job(
    conn: &mut Conn,
    job: &str,
    command: &str,
    source: &str,
    plan: Option<&str>,
) -> Result<()> {
    conn.query_drop(format!(
        "INSERT INTO `_haul_loads` (job, command, source, phase, created, started_at, plan) \
         VALUES ({}, {}, {}, 'schema', '[]', UTC_TIMESTAMP(6), {})",
        quote_literal(job),
        quote_literal(command),
        quote_literal(source),
        plan.map(quote_literal).unwrap_or_else(|| "NULL".into())
    ))
    .await
    .map_err(|e| EngineError::my("recording the load job", e))
}

/// Moves the job to `phase` (`post`, `done`).
pub async fn set_phase(conn: &mut Conn, job: &str, phase: &str) -> Result<()> {
    let finished = if phase == "done" {
        ", finished_at = UTC_TIMESTAMP(6)"
    } else {
        ""
    };
    conn.query_drop(format!(
        "UPDATE `_haul_loads` SET phase = {}{finished} WHERE job = {}",
        quote_literal(phase),
        quote_literal(job)
    ))
    .await
    .map_err(|e| EngineError::my("updating the load journal", e))
}

/// Chunks this job committed: id → (rows, checksum).
pub async fn done_chunks(conn: &mut Conn, job: &str) -> Result<HashMap<String, (u64, String)>> {
    let rows: Vec<(String, u64, String)> = conn
        .query(format!(
            "SELECT chunk, `rows`, checksum FROM `_haul_chunks` WHERE job = {}",
            quote_literal(job)
        ))
        .await
        .map_err(|e| EngineError::my("reading the chunk journal", e))?;
    Ok(rows.into_iter().map(|(c, r, s)| (c, (r, s))).collect())
}

/// Base tables of the target database (name → column names in order), haul's own excluded.
pub async fn existing_tables(conn: &mut Conn, db: &str) -> Result<BTreeMap<String, Vec<String>>> {
    Ok(column_types(conn, db)
        .await?
        .into_iter()
        .map(|(t, cols)| (t, cols.into_iter().map(|(c, _)| c).collect()))
        .collect())
}

/// Base tables of the target database with their columns' `DATA_TYPE` (name, type, in order),
/// haul's own excluded.
pub async fn column_types(
    conn: &mut Conn,
    db: &str,
) -> Result<crate::mysql::from_pg::TargetColumns> {
    let rows: Vec<(String, String, String)> = conn
        .query(format!(
            "SELECT c.TABLE_NAME, c.COLUMN_NAME, c.DATA_TYPE FROM information_schema.COLUMNS c \
             JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME \
             WHERE c.TABLE_SCHEMA = {} AND t.TABLE_TYPE = 'BASE TABLE' \
             ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION",
            quote_literal(db)
        ))
        .await
        .map_err(|e| EngineError::my("reading the target's column types", e))?;
    let mut out = crate::mysql::from_pg::TargetColumns::new();
    for (t, c, ty) in rows {
        if !t.starts_with(JOURNAL_PREFIX) {
            out.entry(t).or_default().push((c, ty));
        }
    }
    Ok(out)
}
