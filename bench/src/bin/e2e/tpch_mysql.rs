//! The TPC-H data sets on the local MariaDB/MySQL: database `haul_bench_tpch_sf<scale>` (the
//! same name as on PostgreSQL) with all eight tables, InnoDB, the types of e2e/tpch.rs (INT,
//! DECIMAL(15,2), CHAR, VARCHAR, DATE: the same spelling in both engines) and the primary key
//! declared in `CREATE TABLE` (InnoDB clusters rows by it, so it is there from the start).
//!
//! Rows come from the same `tpchgen` CSV formatters as the PostgreSQL data sets, streamed from
//! memory by `LOAD DATA LOCAL INFILE` (mysql_async's per-connection infile handler), one
//! connection per generator part, ~64 MiB of CSV per statement so that no transaction grows
//! with the table. A finished table gets `ANALYZE TABLE` and the same comment as on PostgreSQL
//! (`haul-bench: tpchgen 4.0 <table> scale=… rows=…`); a rerun reuses a table only if that
//! comment is there and `COUNT(*)` agrees.

use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use bytes::Bytes;
use futures_util::StreamExt as _;
use mysql_async::prelude::Queryable as _;
use mysql_async::{Conn, Opts, OptsBuilder, Row};
use tokio::sync::mpsc;

use crate::facts::redact;
use crate::tpch::{self, Dataset, TABLES, TableFacts, TableSpec};

/// Bytes of CSV loaded by one `LOAD DATA` statement (one transaction).
const STATEMENT_BYTES: usize = 64 << 20;

/// InnoDB page size (the default; only used to report pages).
const PAGE_BYTES: u64 = 16384;

/// Connection options from a `mysql://` URL; without a password in the URL, `MYSQL_PWD` (as
/// haul, mydumper and myloader read it) if set.
pub fn opts(url: &str) -> Result<Opts> {
    let o =
        Opts::from_url(url).with_context(|| format!("`{}` is not a mysql:// URL", redact(url)))?;
    let mut b = OptsBuilder::from_opts(o.clone());
    if o.pass().is_none()
        && let Ok(pw) = std::env::var("MYSQL_PWD")
    {
        b = b.pass(Some(pw));
    }
    Ok(b.into())
}

pub async fn connect(url: &str) -> Result<Conn> {
    Conn::new(opts(url)?)
        .await
        .with_context(|| format!("connecting to {}", redact(url)))
}

/// `CREATE TABLE name (…, PRIMARY KEY (…)) ENGINE=InnoDB`.
pub fn create_table(spec: &TableSpec) -> String {
    format!(
        "CREATE TABLE `{}` ({}, PRIMARY KEY ({})) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
        spec.name, spec.columns, spec.pk
    )
}

/// `SELECT COUNT(*)` of a table (in the connection's database unless `db` is given).
pub async fn count(conn: &mut Conn, db: Option<&str>, table: &str) -> Result<u64> {
    let name = match db {
        Some(db) => format!("`{db}`.`{table}`"),
        None => format!("`{table}`"),
    };
    let n: Option<u64> = conn
        .query_first(format!("SELECT COUNT(*) FROM {name}"))
        .await
        .with_context(|| format!("counting {name}"))?;
    n.ok_or_else(|| anyhow!("no count of {name}"))
}

/// Makes sure `haul_bench_tpch_sf<scale>` on the server of `admin_url` holds all eight tables
/// complete, generating what is missing with `streams` concurrent loads per table.
pub async fn ensure(admin_url: &str, scale: f64, streams: usize, force: bool) -> Result<Dataset> {
    if !(scale > 0.0 && scale.is_finite()) {
        bail!("scale factor must be positive, got {scale}");
    }
    let db = tpch::database_name(scale);
    let url = tpch::with_database(admin_url, &db)?;
    let mut admin = connect(admin_url).await?;
    let infile: Option<String> = admin.query_first("SELECT @@GLOBAL.local_infile").await?;
    if !matches!(infile.as_deref(), Some("1" | "ON")) {
        bail!(
            "the MySQL server has local_infile off; the TPC-H generator needs it: \
             SET GLOBAL local_infile = 1"
        );
    }
    admin
        .query_drop(format!("CREATE DATABASE IF NOT EXISTS `{db}`"))
        .await
        .with_context(|| format!("creating {db}"))?;
    admin.disconnect().await?;
    let mut conn = connect(&url).await?;

    let started = Instant::now();
    let mut tables = Vec::new();
    for spec in &TABLES {
        let reusable = if force {
            None
        } else {
            check_existing(&mut conn, &db, spec.name, scale).await?
        };
        let (rows, loaded) = match reusable {
            Some(rows) => (rows, false),
            None => {
                let t = Instant::now();
                let rows = load(&mut conn, &url, spec, scale, streams).await?;
                eprintln!(
                    "loaded MySQL {db}.{}: {rows} rows in {:.1} s",
                    spec.name,
                    t.elapsed().as_secs_f64()
                );
                (rows, true)
            }
        };
        let sizes: Option<(u64, u64)> = conn
            .exec_first(
                "SELECT DATA_LENGTH, INDEX_LENGTH FROM information_schema.TABLES \
                 WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
                (&db, spec.name),
            )
            .await?;
        let (data, index) = sizes.unwrap_or((0, 0));
        tables.push(TableFacts {
            name: spec.name.to_string(),
            rows,
            heap_bytes: data,
            total_bytes: data + index,
            heap_pages: data / PAGE_BYTES,
            loaded,
            pk_added: false,
        });
    }
    conn.disconnect().await?;
    let summary: Vec<String> = tables
        .iter()
        .map(|t| format!("{} {}", t.name, t.rows))
        .collect();
    eprintln!("MySQL {db}: {}", summary.join(", "));
    let loaded = tables.iter().any(|t| t.loaded);
    let li = tables
        .iter()
        .find(|t| t.name == "lineitem")
        .cloned()
        .ok_or_else(|| anyhow!("no lineitem in {db}"))?;
    Ok(Dataset {
        scale,
        database: db,
        url,
        rows: li.rows,
        heap_bytes: li.heap_bytes,
        total_bytes: li.total_bytes,
        heap_pages: li.heap_pages,
        tables,
        loaded,
        load_s: loaded.then(|| started.elapsed().as_secs_f64()),
    })
}

/// The row count if the table is a finished load of this scale, else `None`.
async fn check_existing(conn: &mut Conn, db: &str, table: &str, scale: f64) -> Result<Option<u64>> {
    let comment: Option<String> = conn
        .exec_first(
            "SELECT TABLE_COMMENT FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
            (db, table),
        )
        .await?;
    let Some(comment) = comment else {
        return Ok(None);
    };
    let Some(rows) = comment
        .rsplit_once("rows=")
        .and_then(|(_, n)| n.parse::<u64>().ok())
    else {
        return Ok(None);
    };
    if comment != tpch::marker(table, scale, rows) {
        return Ok(None);
    }
    let n = count(conn, None, table).await?;
    if n != rows {
        eprintln!("MySQL {db}.{table} has {n} rows, expected {rows}: reloading");
        return Ok(None);
    }
    Ok(Some(rows))
}

/// Drops and regenerates a table with `streams` concurrent loads (one generator part each),
/// then analyzes it and leaves the marker comment.
async fn load(
    conn: &mut Conn,
    url: &str,
    spec: &'static TableSpec,
    scale: f64,
    streams: usize,
) -> Result<u64> {
    let table = spec.name;
    conn.query_drop(format!("DROP TABLE IF EXISTS `{table}`"))
        .await?;
    conn.query_drop(create_table(spec))
        .await
        .with_context(|| format!("creating {table}"))?;
    let parts = if spec.partitioned {
        i32::try_from(streams.max(1)).context("too many streams")?
    } else {
        1
    };
    eprintln!("generating TPC-H {table} at scale {scale} into MySQL ({parts} LOAD DATA streams)…");
    let mut tasks = Vec::new();
    for part in 1..=parts {
        let url = url.to_string();
        tasks.push(tokio::spawn(async move {
            load_part(&url, table, scale, part, parts).await
        }));
    }
    let mut rows = 0;
    for t in tasks {
        rows += t.await.context("load task panicked")??;
    }
    // Fresh statistics: what the dumpers' planners read.
    conn.query_drop(format!("ANALYZE TABLE `{table}`")).await?;
    let n = count(conn, None, table).await?;
    if n != rows {
        bail!("loaded {rows} rows but {table} has {n}");
    }
    conn.query_drop(format!(
        "ALTER TABLE `{table}` COMMENT = '{}'",
        tpch::marker(table, scale, rows)
    ))
    .await?;
    Ok(rows)
}

/// One generator part → `LOAD DATA LOCAL INFILE` statements of ~[`STATEMENT_BYTES`] on its own
/// connection, fed from memory.
async fn load_part(
    url: &str,
    table: &'static str,
    scale: f64,
    part: i32,
    parts: i32,
) -> Result<u64> {
    let mut conn = connect(url).await?;
    let (tx, mut rx) = mpsc::channel::<Bytes>(4);
    let generator =
        tokio::task::spawn_blocking(move || tpch::generate(table, scale, part, parts, &tx));
    let sql = format!(
        "LOAD DATA LOCAL INFILE 'tpchgen-{table}-{part}' INTO TABLE `{table}` \
         CHARACTER SET utf8mb4 FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' \
         LINES TERMINATED BY '\\n'"
    );
    let mut loaded = 0u64;
    let result: Result<()> = async {
        while let Some(first) = rx.recv().await {
            let (stx, srx) = mpsc::channel::<Bytes>(2);
            conn.set_infile_handler(async move { Ok(receiver_stream(srx)) });
            let more = &mut rx;
            // Owns the sender: dropping it at the end ends this statement's file.
            let forward = async move {
                let mut sent = first.len();
                if stx.send(first).await.is_err() {
                    return;
                }
                while sent < STATEMENT_BYTES {
                    let Some(buf) = more.recv().await else { break };
                    sent += buf.len();
                    if stx.send(buf).await.is_err() {
                        return;
                    }
                }
            };
            let (res, ()) = tokio::join!(conn.query_drop(&sql), forward);
            res.with_context(|| format!("LOAD DATA of {table} part {part}/{parts}"))?;
            loaded += conn.affected_rows();
            if conn.get_warnings() > 0 {
                let w: Vec<Row> = conn.query("SHOW WARNINGS LIMIT 5").await?;
                let w: Vec<String> = w
                    .into_iter()
                    .map(|r| {
                        let (level, code, msg): (String, u32, String) = mysql_async::from_row(r);
                        format!("{level} {code}: {msg}")
                    })
                    .collect();
                bail!(
                    "LOAD DATA of {table} part {part}/{parts} warned: {}",
                    w.join("; ")
                );
            }
        }
        Ok(())
    }
    .await;
    // On an error the generator stops at the closed channel; report the server's error.
    drop(rx);
    result?;
    let generated = generator.await.context("generator panicked")??;
    conn.disconnect().await?;
    if loaded != generated {
        bail!("{table} part {part}/{parts}: generated {generated} rows, server loaded {loaded}");
    }
    Ok(loaded)
}

fn receiver_stream(rx: mpsc::Receiver<Bytes>) -> mysql_async::InfileData {
    futures_util::stream::unfold(
        rx,
        |mut rx| async move { rx.recv().await.map(|b| (Ok(b), rx)) },
    )
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ddl_declares_the_primary_key() {
        let li = TABLES
            .iter()
            .find(|t| t.name == "lineitem")
            .expect("lineitem");
        let ddl = create_table(li);
        assert!(
            ddl.starts_with("CREATE TABLE `lineitem` (l_orderkey INTEGER NOT NULL"),
            "{ddl}"
        );
        assert!(
            ddl.ends_with(
                "PRIMARY KEY (l_orderkey, l_linenumber)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
            ),
            "{ddl}"
        );
    }

    #[test]
    fn urls() {
        let u = tpch::with_database("mysql://root@127.0.0.1:3306", "x").expect("url");
        assert_eq!(u, "mysql://root@127.0.0.1:3306/x");
        let o = opts(&u).expect("opts");
        assert_eq!(
            (o.ip_or_hostname(), o.tcp_port(), o.db_name()),
            ("127.0.0.1", 3306, Some("x"))
        );
    }
}
