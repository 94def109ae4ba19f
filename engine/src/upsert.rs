//! Writing rows into an existing target by key: stage them, then upsert and delete in the
//! target's own SQL, all in one transaction (`haul diff --apply` today, `haul sync` next).
//!
//! ```text
//! PostgreSQL                                        MySQL/MariaDB
//! BEGIN                                             DROP/CREATE TEMPORARY TABLE … LIKE t
//!   COPY pg_temp.haul_up_… FROM STDIN (binary)      START TRANSACTION
//!   COPY pg_temp.haul_del_… FROM STDIN (binary)       LOAD DATA LOCAL INFILE … INTO haul_up_…
//!   DELETE FROM t USING haul_del_… WHERE key = …      LOAD DATA LOCAL INFILE … INTO haul_del_…
//!   INSERT INTO t SELECT … FROM haul_up_…             DELETE t FROM t JOIN haul_del_… ON key = …
//!     ON CONFLICT (key) DO UPDATE SET c = EXCLUDED.c  INSERT INTO t SELECT … FROM haul_up_…
//! COMMIT                                                ON DUPLICATE KEY UPDATE c = VALUES(c)
//!                                                   COMMIT
//! ```
//! Rows reach the staging tables through the same sinks as `load` and `copy` (binary COPY
//! encoded from Arrow, LOAD DATA streamed from Arrow), so every type round-trips exactly as it
//! does there; the staging tables take their column types from the target table itself.
//! Deletes run before upserts, so a row that moved a unique value from a deleted row to an
//! upserted one does not collide. The staged rows are in the batches' schema (the source's);
//! staged keys are batches of the key columns only ([`UpsertTable::key_schema`]).
//!
//! Rows arrive with their keys, so a PostgreSQL target's sequences would lag behind them:
//! [`advance_sequences`] moves them past the largest values once a table's run is done (MySQL
//! moves AUTO_INCREMENT past an inserted value by itself). On PostgreSQL, foreign keys are checked at
//! each statement, so rows that need a parent from another table may have to wait for that
//! table's transaction: rerunning the same command finishes them.

use std::sync::Arc;

use arrow_schema::{Schema, SchemaRef};
use mysql_async::prelude::Queryable;
use tokio::sync::mpsc;
use xxhash_rust::xxh3::xxh3_64;

use crate::error::{EngineError, Result};
use crate::pg::target::TargetColumn;
use crate::plan::{KeyPlan, TablePlan};
use crate::sink::mysql::MyTargetTable;
use crate::sink::pg::TargetTable;
use crate::source::ChunkMsg;

/// A connection writing into the target, one transaction at a time.
#[derive(Debug)]
pub enum Writer {
    Pg(tokio_postgres::Client),
    MySql(mysql_async::Conn),
}

/// How one table's rows are staged and merged; built once per table and run.
#[derive(Debug, Clone)]
pub struct UpsertTable {
    /// `schema.table` as the target names it.
    pub display: String,
    /// Positions of the key columns in the staged rows' schema.
    key: Vec<usize>,
    /// The staged rows' schema (the source's Arrow schema).
    schema: SchemaRef,
    key_schema: SchemaRef,
    how: How,
}

#[derive(Debug, Clone)]
enum How {
    Pg {
        rows: Box<TargetTable>,
        keys: Box<TargetTable>,
        /// `CREATE TEMP TABLE IF NOT EXISTS …` for both staging tables.
        create: String,
        delete: String,
        upsert: String,
    },
    MySql {
        rows: Box<MyTargetTable>,
        keys: Box<MyTargetTable>,
        /// Drops and recreates both staging tables (before the transaction).
        create: String,
        delete: String,
        upsert: String,
    },
}

/// What one transaction changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Applied {
    /// Rows inserted or updated from the staged rows.
    pub upserted: u64,
    /// Target rows deleted by staged keys.
    pub deleted: u64,
}

impl Applied {
    /// Adds another transaction's counts.
    pub fn add(&mut self, other: Applied) {
        self.upserted += other.upserted;
        self.deleted += other.deleted;
    }
}

/// The plan of the key columns alone, for staging keys.
pub(crate) fn key_plan(t: &TablePlan, key: &KeyPlan) -> Result<TablePlan> {
    let schema = t
        .arrow_schema
        .project(&key.positions)
        .map_err(|e| EngineError::Other(format!("{}: {e}", t.display_name())))?;
    let mut ddl = t.ddl.clone();
    ddl.columns = key
        .positions
        .iter()
        .filter_map(|&i| t.ddl.columns.get(i).cloned())
        .collect();
    Ok(TablePlan {
        columns: key
            .positions
            .iter()
            .map(|&i| t.columns[i].clone())
            .collect(),
        key: Some(KeyPlan {
            positions: (0..key.positions.len()).collect(),
            ..key.clone()
        }),
        arrow_schema: schema,
        ddl,
        ..t.clone()
    })
}

fn no_key(t: &TablePlan) -> EngineError {
    EngineError::Target(format!(
        "{} has no primary key or NOT NULL unique key, so its rows cannot be upserted or deleted by key; copy it again instead (`haul copy --tables {} --if-exists truncate`)",
        t.display_name(),
        t.name
    ))
}

impl UpsertTable {
    /// Into the PostgreSQL table `schema.name` with columns `cols` (as
    /// [`crate::pg::target::target_columns`] reads them): `plan` describes the staged rows
    /// (the source's columns and Arrow schema, its `ddl` the PostgreSQL types); with
    /// `from_mysql`, batches are converted to the PostgreSQL kinds' types before encoding.
    pub fn pg(
        plan: &TablePlan,
        schema: &str,
        name: &str,
        cols: &[TargetColumn],
        from_mysql: bool,
    ) -> Result<Self> {
        let key = plan.key.clone().ok_or_else(|| no_key(plan))?;
        let target = crate::pg::qualified(schema, name);
        let h = xxh3_64(target.as_bytes());
        let up = format!("haul_up_{h:016x}");
        let del = format!("haul_del_{h:016x}");
        let staged = |p: &TablePlan, stage: &str, cols: &[TargetColumn]| -> Result<TargetTable> {
            let on_stage = TablePlan {
                schema: "pg_temp".into(),
                name: stage.into(),
                ..p.clone()
            };
            let mut tt = crate::load::target_table(&on_stage, cols, false)?;
            tt.display = format!("{schema}.{name}");
            if from_mysql {
                let s = crate::mysql::to_pg::pg_schema(p);
                let projected = s
                    .project(&tt.send)
                    .map_err(|e| EngineError::Other(format!("{}: {e}", tt.display)))?;
                tt.convert = Some(Arc::new(projected));
            }
            Ok(tt)
        };
        let rows = staged(plan, &up, cols)?;
        let kplan = key_plan(plan, &key)?;
        let key_cols: Vec<TargetColumn> = cols
            .iter()
            .filter(|c| key.columns.contains(&c.name))
            .cloned()
            .collect();
        let keys = staged(&kplan, &del, &key_cols)?;
        let q = crate::pg::quote_ident;
        let sent: Vec<String> = rows
            .send
            .iter()
            .map(|&i| q(&plan.columns[i].name))
            .collect();
        let key_list: Vec<String> = key.columns.iter().map(|c| q(c)).collect();
        let create = format!(
            "CREATE TEMP TABLE IF NOT EXISTS {} ON COMMIT DELETE ROWS AS SELECT {} FROM {target} WITH NO DATA; \
             CREATE TEMP TABLE IF NOT EXISTS {} ON COMMIT DELETE ROWS AS SELECT {} FROM {target} WITH NO DATA",
            q(&up),
            sent.join(", "),
            q(&del),
            key_list.join(", ")
        );
        let matches: Vec<String> = key_list.iter().map(|k| format!("t.{k} = d.{k}")).collect();
        let delete = format!(
            "DELETE FROM {target} AS t USING pg_temp.{} AS d WHERE {}",
            q(&del),
            matches.join(" AND ")
        );
        let updates: Vec<String> = sent
            .iter()
            .filter(|c| !key_list.contains(c))
            .map(|c| format!("{c} = EXCLUDED.{c}"))
            .collect();
        let on_conflict = if updates.is_empty() {
            "DO NOTHING".to_string()
        } else {
            format!("DO UPDATE SET {}", updates.join(", "))
        };
        let upsert = format!(
            "INSERT INTO {target} ({cols}) OVERRIDING SYSTEM VALUE SELECT {cols} FROM pg_temp.{} \
             ON CONFLICT ({}) {on_conflict}",
            q(&up),
            key_list.join(", "),
            cols = sent.join(", "),
        );
        Ok(Self {
            display: format!("{schema}.{name}"),
            schema: plan.schema_ref(),
            key_schema: kplan.schema_ref(),
            key: key.positions.clone(),
            how: How::Pg {
                rows: Box::new(rows),
                keys: Box::new(keys),
                create,
                delete,
                upsert,
            },
        })
    }

    /// Into the MySQL table `db.name`: `plan` describes the staged rows (the source's columns
    /// and Arrow schema, each column's MySQL kind and the table's MySQL definition).
    pub fn mysql(plan: &TablePlan, db: &str, name: &str) -> Result<Self> {
        let key = plan.key.clone().ok_or_else(|| no_key(plan))?;
        let target = crate::mysql::qualified(db, name);
        let h = xxh3_64(target.as_bytes());
        let up = format!("haul_up_{h:016x}");
        let del = format!("haul_del_{h:016x}");
        let mut rows = MyTargetTable::new(plan, &up);
        let kplan = key_plan(plan, &key)?;
        let mut keys = MyTargetTable::new(&kplan, &del);
        rows.display = format!("{db}.{name}");
        keys.display = rows.display.clone();
        let q = crate::mysql::quote_ident;
        let sent: Vec<String> = rows
            .columns
            .iter()
            .map(|(i, _)| q(&plan.columns[*i].name))
            .collect();
        let key_list: Vec<String> = key.columns.iter().map(|c| q(c)).collect();
        let create = format!(
            "DROP TEMPORARY TABLE IF EXISTS {up_q}, {del_q}; \
             CREATE TEMPORARY TABLE {up_q} LIKE {target}; \
             CREATE TEMPORARY TABLE {del_q} SELECT {keys} FROM {target} WHERE FALSE",
            up_q = q(&up),
            del_q = q(&del),
            keys = key_list.join(", "),
        );
        let matches: Vec<String> = key_list.iter().map(|k| format!("t.{k} = d.{k}")).collect();
        let delete = format!(
            "DELETE t FROM {target} AS t JOIN {} AS d ON {}",
            q(&del),
            matches.join(" AND ")
        );
        let mut updates: Vec<String> = sent
            .iter()
            .filter(|c| !key_list.contains(c))
            .map(|c| format!("{c} = VALUES({c})"))
            .collect();
        if updates.is_empty() {
            updates.push(format!("{0} = {0}", key_list[0]));
        }
        let upsert = format!(
            "INSERT INTO {target} ({cols}) SELECT {cols} FROM {} ON DUPLICATE KEY UPDATE {}",
            q(&up),
            updates.join(", "),
            cols = sent.join(", "),
        );
        Ok(Self {
            display: format!("{db}.{name}"),
            schema: plan.schema_ref(),
            key_schema: kplan.schema_ref(),
            key: key.positions.clone(),
            how: How::MySql {
                rows: Box::new(rows),
                keys: Box::new(keys),
                create,
                delete,
                upsert,
            },
        })
    }

    /// The key columns' positions in the staged rows' schema.
    pub fn key_positions(&self) -> &[usize] {
        &self.key
    }

    /// The schema of staged keys: the key columns alone, in key order.
    pub fn key_schema(&self) -> &SchemaRef {
        &self.key_schema
    }

    /// The schema of staged rows.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }
}

/// One transaction of upserts and deletes into one table.
#[derive(Debug)]
pub struct UpsertTx<'a> {
    writer: &'a mut Writer,
    table: &'a UpsertTable,
    /// For messages: the chunk (or watermark window) this transaction repairs.
    chunk: String,
    staged_rows: u64,
}

impl<'a> UpsertTx<'a> {
    /// Prepares the staging tables and begins the transaction. On error drop the writer.
    pub async fn begin(
        writer: &'a mut Writer,
        table: &'a UpsertTable,
        chunk: &str,
    ) -> Result<Self> {
        let ctx = format!(
            "preparing the staging tables of {} (chunk `{chunk}`)",
            table.display
        );
        match (&mut *writer, &table.how) {
            (Writer::Pg(c), How::Pg { create, .. }) => {
                c.batch_execute(&format!("BEGIN; {create}"))
                    .await
                    .map_err(|e| EngineError::pg(ctx, e))?;
            }
            (Writer::MySql(c), How::MySql { create, .. }) => {
                c.query_drop(format!("{create}; START TRANSACTION"))
                    .await
                    .map_err(|e| EngineError::my(ctx, e))?;
            }
            _ => return Err(mismatched()),
        }
        Ok(Self {
            writer,
            table,
            chunk: chunk.to_string(),
            staged_rows: 0,
        })
    }

    /// The connection this transaction runs on (e.g. to build SQL in its dialect).
    pub fn writer(&self) -> &Writer {
        self.writer
    }

    /// Stages the rows to upsert (batches in [`UpsertTable::schema`]); may be called again.
    pub async fn stage_rows(&mut self, rx: mpsc::Receiver<ChunkMsg>) -> Result<u64> {
        let schema = self.table.schema.clone();
        let n = match (&mut *self.writer, &self.table.how) {
            (Writer::Pg(c), How::Pg { rows, .. }) => {
                crate::sink::pg::copy_rows(c, rows, &schema, &self.chunk, rx, None)
                    .await?
                    .rows
            }
            (Writer::MySql(c), How::MySql { rows, .. }) => {
                crate::sink::mysql::load_rows(c, rows, &schema, &self.chunk, rx, None)
                    .await?
                    .rows
            }
            _ => return Err(mismatched()),
        };
        self.staged_rows += n;
        Ok(n)
    }

    /// Stages keys of rows to delete (batches in [`UpsertTable::key_schema`]).
    pub async fn stage_keys(&mut self, rx: mpsc::Receiver<ChunkMsg>) -> Result<u64> {
        let schema = self.table.key_schema.clone();
        let n = match (&mut *self.writer, &self.table.how) {
            (Writer::Pg(c), How::Pg { keys, .. }) => {
                crate::sink::pg::copy_rows(c, keys, &schema, &self.chunk, rx, None)
                    .await?
                    .rows
            }
            (Writer::MySql(c), How::MySql { keys, .. }) => {
                crate::sink::mysql::load_rows(c, keys, &schema, &self.chunk, rx, None)
                    .await?
                    .rows
            }
            _ => return Err(mismatched()),
        };
        Ok(n)
    }

    /// Deletes by the staged keys, upserts the staged rows, commits.
    pub async fn commit(self) -> Result<Applied> {
        self.commit_with("").await
    }

    /// As [`UpsertTx::commit`], running `extra` (SQL of the target's engine, e.g. a journal
    /// row recording this chunk) inside the same transaction just before COMMIT.
    pub async fn commit_with(self, extra: &str) -> Result<Applied> {
        let t = &self.table.display;
        let chunk = &self.chunk;
        let ctx = |what: &str| format!("{what} {t} (chunk `{chunk}`)");
        let fix = "the target table needs a primary key or unique index on the key columns";
        match (self.writer, &self.table.how) {
            (Writer::Pg(c), How::Pg { delete, upsert, .. }) => {
                let deleted = c
                    .execute(delete.as_str(), &[])
                    .await
                    .map_err(|e| EngineError::pg(ctx("deleting extra rows from"), e))?;
                let upserted = c.execute(upsert.as_str(), &[]).await.map_err(|e| {
                    let no_index = e.code().map(|s| s.code()) == Some("42P10");
                    let what = if no_index {
                        ctx(&format!("upserting ({fix}) into"))
                    } else {
                        ctx("upserting rows into")
                    };
                    EngineError::pg(what, e)
                })?;
                if !extra.is_empty() {
                    c.batch_execute(extra)
                        .await
                        .map_err(|e| EngineError::pg(ctx("recording the chunk of"), e))?;
                }
                c.batch_execute("COMMIT")
                    .await
                    .map_err(|e| EngineError::pg(ctx("committing the repair of"), e))?;
                Ok(Applied { upserted, deleted })
            }
            (Writer::MySql(c), How::MySql { delete, upsert, .. }) => {
                c.query_drop(delete.as_str())
                    .await
                    .map_err(|e| EngineError::my(ctx("deleting extra rows from"), e))?;
                let deleted = c.affected_rows();
                c.query_drop(upsert.as_str())
                    .await
                    .map_err(|e| EngineError::my(ctx("upserting rows into"), e))?;
                if !extra.is_empty() {
                    c.query_drop(extra)
                        .await
                        .map_err(|e| EngineError::my(ctx("recording the chunk of"), e))?;
                }
                c.query_drop("COMMIT")
                    .await
                    .map_err(|e| EngineError::my(ctx("committing the repair of"), e))?;
                // ON DUPLICATE KEY UPDATE counts an update twice and an unchanged row as 0:
                // every staged row was written or already equal.
                Ok(Applied {
                    upserted: self.staged_rows,
                    deleted,
                })
            }
            _ => Err(mismatched()),
        }
    }
}

fn mismatched() -> EngineError {
    EngineError::Other("an upsert into one engine was given a connection to the other".into())
}

/// Moves the sequences of a PostgreSQL target table (serial and identity columns) past the
/// largest value their column now holds, so that inserts after a cutover do not collide with
/// rows an upsert wrote with explicit values; returns how many sequences it looked at. MySQL
/// needs nothing: it moves AUTO_INCREMENT past an inserted value by itself.
pub async fn advance_sequences(writer: &mut Writer, schema: &str, table: &str) -> Result<usize> {
    let Writer::Pg(c) = writer else {
        return Ok(0);
    };
    let target = crate::pg::qualified(schema, table);
    let ctx = || format!("moving the sequences of {schema}.{table} past its largest values");
    let rows = c
        .query(
            "SELECT a.attname, pg_catalog.pg_get_serial_sequence($1, a.attname) \
             FROM pg_catalog.pg_attribute a \
             WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped \
               AND pg_catalog.pg_get_serial_sequence($1, a.attname) IS NOT NULL",
            &[&target],
        )
        .await
        .map_err(|e| EngineError::pg(ctx(), e))?;
    for r in &rows {
        let column: String = r.get(0);
        // Already quoted and qualified by pg_get_serial_sequence.
        let seq: String = r.get(1);
        c.batch_execute(&format!(
            "SELECT pg_catalog.setval({lit}::regclass, GREATEST((SELECT max({col})::bigint FROM {target}), \
             (SELECT last_value FROM {seq})))",
            lit = crate::pg::quote_literal(&seq),
            col = crate::pg::quote_ident(&column),
        ))
        .await
        .map_err(|e| EngineError::pg(ctx(), e))?;
    }
    Ok(rows.len())
}
