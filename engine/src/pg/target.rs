//! The target side of a load or copy: haul's journal in the target (`haul.loads`,
//! `haul.chunks`), what already exists there, and the types the encoder must send.

use std::collections::{HashMap, HashSet};

use tokio_postgres::Client;
use tokio_postgres::types::Oid;

use crate::error::{EngineError, Result};
use crate::pg::ddl::Existing;

/// The schema holding haul's bookkeeping in a target database.
pub const JOURNAL_SCHEMA: &str = "haul";

/// Creates the journal tables if they are missing.
pub async fn ensure_journal(client: &Client) -> Result<()> {
    client
        .batch_execute(
            "CREATE SCHEMA IF NOT EXISTS haul; \
             CREATE TABLE IF NOT EXISTS haul.loads ( \
               job text PRIMARY KEY, \
               command text NOT NULL, \
               source text NOT NULL, \
               phase text NOT NULL, \
               created text[] NOT NULL DEFAULT '{}', \
               started_at timestamptz NOT NULL DEFAULT now(), \
               finished_at timestamptz, \
               plan text); \
             CREATE TABLE IF NOT EXISTS haul.chunks ( \
               job text NOT NULL, \
               chunk text NOT NULL, \
               table_name text NOT NULL, \
               rows bigint NOT NULL, \
               checksum text NOT NULL, \
               loaded_at timestamptz NOT NULL DEFAULT now(), \
               PRIMARY KEY (job, chunk)); \
             ALTER TABLE haul.loads ADD COLUMN IF NOT EXISTS plan text;",
        )
        .await
        .map_err(|e| {
            let hint = if e.code().map(|c| c.code()) == Some("42501") {
                " — the target role needs CREATE on the database (haul keeps its journal in schema `haul`)"
            } else {
                ""
            };
            EngineError::Target(format!(
                "creating haul's journal in the target: {}{hint}",
                crate::error::pg_message(&e)
            ))
        })
}

/// A load job as the target remembers it.
#[derive(Debug, Clone)]
pub struct JobRow {
    /// For `copy`: the plan (a manifest as JSON) the job follows, so a resumed copy reads the
    /// same chunks.
    pub plan: Option<String>,
    /// `data` (tables created, rows loading), `post` (indexes and constraints), `done`.
    pub phase: String,
    /// `schema.table` of every relation this job created (only those get indexes, FREEZE…).
    pub created: Vec<String>,
    pub started_at: String,
}

/// The job's row, if this target has seen it.
pub async fn find_job(client: &Client, job: &str) -> Result<Option<JobRow>> {
    let row = client
        .query_opt(
            "SELECT phase, created, to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), plan \
               FROM haul.loads WHERE job = $1",
            &[&job],
        )
        .await
        .map_err(|e| EngineError::pg("reading haul.loads", e))?;
    Ok(row.map(|r| JobRow {
        phase: r.get(0),
        created: r.get(1),
        started_at: r.get(2),
        plan: r.get(3),
    }))
}

/// Moves a job to `phase`.
pub async fn set_phase(client: &Client, job: &str, phase: &str) -> Result<()> {
    client
        .execute(
            "UPDATE haul.loads SET phase = $2, \
                    finished_at = CASE WHEN $2 = 'done' THEN now() END WHERE job = $1",
            &[&job, &phase],
        )
        .await
        .map_err(|e| EngineError::pg("updating haul.loads", e))?;
    Ok(())
}

/// Forgets a job and its chunk records (a reload with `--if-exists replace|truncate`).
pub async fn forget_job(client: &Client, job: &str) -> Result<()> {
    client
        .execute("DELETE FROM haul.chunks WHERE job = $1", &[&job])
        .await
        .map_err(|e| EngineError::pg("clearing haul.chunks", e))?;
    client
        .execute("DELETE FROM haul.loads WHERE job = $1", &[&job])
        .await
        .map_err(|e| EngineError::pg("clearing haul.loads", e))?;
    Ok(())
}

/// Chunks the job has committed: chunk id → (rows, checksum).
pub async fn done_chunks(client: &Client, job: &str) -> Result<HashMap<String, (u64, String)>> {
    let rows = client
        .query(
            "SELECT chunk, rows, checksum FROM haul.chunks WHERE job = $1",
            &[&job],
        )
        .await
        .map_err(|e| EngineError::pg("reading haul.chunks", e))?;
    Ok(rows
        .iter()
        .map(|r| (r.get(0), (r.get::<_, i64>(1) as u64, r.get(2))))
        .collect())
}

/// The job's committed chunks as records (rows and checksum; no file, no bytes).
pub async fn done_records(
    client: &Client,
    job: &str,
) -> Result<std::collections::BTreeMap<String, crate::manifest::ChunkRecord>> {
    Ok(done_chunks(client, job)
        .await?
        .into_iter()
        .map(|(chunk, (rows, checksum))| {
            let rec = crate::manifest::ChunkRecord {
                chunk: chunk.clone(),
                file: String::new(),
                rows,
                bytes: 0,
                checksum,
                snapshot: 0,
                seconds: 0.0,
            };
            (chunk, rec)
        })
        .collect())
}

/// Which of `tables` (`(schema, name)`) exist in the target.
pub async fn existing_tables(
    client: &Client,
    tables: &[(String, String)],
) -> Result<HashSet<(String, String)>> {
    let schemas: Vec<&str> = tables.iter().map(|t| t.0.as_str()).collect();
    let names: Vec<&str> = tables.iter().map(|t| t.1.as_str()).collect();
    let rows = client
        .query(
            "SELECT n.nspname::text, c.relname::text \
               FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
               JOIN unnest($1::text[], $2::text[]) AS w(s, t) ON n.nspname = w.s AND c.relname = w.t \
              WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')",
            &[&schemas, &names],
        )
        .await
        .map_err(|e| EngineError::pg("listing the target's tables", e))?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// A target column as binary COPY must see it.
#[derive(Debug, Clone)]
pub struct TargetColumn {
    pub name: String,
    /// `format_type(atttypid, atttypmod)`.
    pub type_display: String,
    /// For arrays (through domains): the element type's OID; 0 otherwise.
    pub element_oid: Oid,
    pub not_null: bool,
    pub has_default: bool,
    pub generated: bool,
    pub identity: bool,
}

/// The columns of a target table, in order.
pub async fn target_columns(
    client: &Client,
    schema: &str,
    table: &str,
) -> Result<Vec<TargetColumn>> {
    let rows = client
        .query(
            "SELECT a.attname::text, pg_catalog.format_type(a.atttypid, a.atttypmod), \
                    COALESCE(NULLIF(t.typelem, 0), \
                             (SELECT b.typelem FROM pg_catalog.pg_type b WHERE b.oid = t.typbasetype), 0), \
                    a.attnotnull, a.atthasdef, a.attgenerated <> '', a.attidentity <> '', \
                    t.typlen = -1 AND (t.typcategory = 'A' OR EXISTS ( \
                      SELECT 1 FROM pg_catalog.pg_type b WHERE b.oid = t.typbasetype AND b.typcategory = 'A')) \
               FROM pg_catalog.pg_attribute a \
               JOIN pg_catalog.pg_class c ON c.oid = a.attrelid \
               JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
               JOIN pg_catalog.pg_type t ON t.oid = a.atttypid \
              WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped \
              ORDER BY a.attnum",
            &[&schema, &table],
        )
        .await
        .map_err(|e| EngineError::pg(format!("reading the columns of {schema}.{table} in the target"), e))?;
    Ok(rows
        .iter()
        .map(|r| {
            let is_array: bool = r.get(7);
            TargetColumn {
                name: r.get(0),
                type_display: r.get(1),
                element_oid: if is_array { r.get(2) } else { 0 },
                not_null: r.get(3),
                has_default: r.get(4),
                generated: r.get(5),
                identity: r.get(6),
            }
        })
        .collect())
}

/// Whether a post-data step's object is already in the target.
pub async fn exists(client: &Client, what: &Existing) -> Result<bool> {
    let row = match what {
        Existing::Never => return Ok(false),
        Existing::Index { schema, name } => client
            .query_opt(
                "SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                  WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('i', 'I')",
                &[schema, name],
            )
            .await,
        Existing::Constraint {
            schema,
            table,
            name,
        } => client
            .query_opt(
                "SELECT 1 FROM pg_catalog.pg_constraint k \
                   JOIN pg_catalog.pg_class c ON c.oid = k.conrelid \
                   JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                  WHERE n.nspname = $1 AND c.relname = $2 AND k.conname = $3 AND k.convalidated",
                &[schema, table, name],
            )
            .await,
    };
    Ok(row
        .map_err(|e| EngineError::pg("checking the target's catalog", e))?
        .is_some())
}
