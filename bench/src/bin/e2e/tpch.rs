//! The TPC-H `lineitem` data set on the local PostgreSQL: one database per scale factor,
//! generated with `tpchgen` and loaded with `COPY … FROM STDIN (FORMAT csv)`.
//!
//! A finished load leaves a table comment naming the generator, scale and row count; a rerun
//! reuses the table only if that comment is there and `count(*)` agrees, so an interrupted load
//! is redone rather than measured.

use std::io::Write as _;
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use bytes::Bytes;
use futures_util::SinkExt;
use serde::Serialize;
use tokio::sync::mpsc;
use tokio_postgres::{Client, NoTls};
use tpchgen::csv::LineItemCsv;
use tpchgen::generators::LineItemGenerator;

/// The same DDL as the peers' benchmark (research/peer-benchmarks.md, `sql/tpch_schema.sql`);
/// the primary key is added after the load, as a restore would.
const CREATE_LINEITEM: &str = "CREATE TABLE lineitem (
    l_orderkey      INTEGER NOT NULL,
    l_partkey       INTEGER NOT NULL,
    l_suppkey       INTEGER NOT NULL,
    l_linenumber    INTEGER NOT NULL,
    l_quantity      DECIMAL(15,2) NOT NULL,
    l_extendedprice DECIMAL(15,2) NOT NULL,
    l_discount      DECIMAL(15,2) NOT NULL,
    l_tax           DECIMAL(15,2) NOT NULL,
    l_returnflag    CHAR(1) NOT NULL,
    l_linestatus    CHAR(1) NOT NULL,
    l_shipdate      DATE NOT NULL,
    l_commitdate    DATE NOT NULL,
    l_receiptdate   DATE NOT NULL,
    l_shipinstruct  CHAR(25) NOT NULL,
    l_shipmode      CHAR(10) NOT NULL,
    l_comment       VARCHAR(44) NOT NULL
)";

/// Bytes of CSV per CopyData message sent to the server.
const SEND_BYTES: usize = 1 << 20;

/// A loaded data set.
#[derive(Debug, Clone, Serialize)]
pub struct Dataset {
    pub scale: f64,
    pub database: String,
    /// URL of that database (same server and user as `--pg-url`).
    pub url: String,
    pub rows: u64,
    /// `pg_relation_size('lineitem')` (heap only).
    pub heap_bytes: u64,
    /// `pg_total_relation_size('lineitem')` (heap + PK index + TOAST).
    pub total_bytes: u64,
    /// Heap pages (for splitting by ctid).
    pub heap_pages: u64,
    /// True if the table was (re)generated in this run.
    pub loaded: bool,
    /// Seconds spent generating and loading (only when `loaded`).
    pub load_s: Option<f64>,
}

/// `haul_bench_tpch_sf1`, `haul_bench_tpch_sf0_1`.
pub fn database_name(scale: f64) -> String {
    format!("haul_bench_tpch_sf{}", format!("{scale}").replace('.', "_"))
}

/// Replaces the database of a `postgres://` URL, keeping user, host, port and query string.
pub fn with_database(url: &str, db: &str) -> Result<String> {
    let scheme_end = url
        .find("://")
        .ok_or_else(|| anyhow!("`{url}` is not a postgres:// URL"))?
        + 3;
    let (base, query) = match url.find('?') {
        Some(q) => url.split_at(q),
        None => (url, ""),
    };
    let authority_end = base[scheme_end..]
        .find('/')
        .map(|i| scheme_end + i)
        .unwrap_or(base.len());
    Ok(format!("{}/{db}{query}", &base[..authority_end]))
}

pub async fn connect(url: &str) -> Result<Client> {
    let (client, conn) = tokio_postgres::connect(url, NoTls)
        .await
        .with_context(|| format!("connecting to {url}"))?;
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            eprintln!("postgres connection error: {e}");
        }
    });
    Ok(client)
}

fn marker(scale: f64, rows: u64) -> String {
    format!("haul-bench: tpchgen 4.0 lineitem scale={scale} rows={rows}")
}

/// Makes sure `haul_bench_tpch_sf<scale>` holds a complete `lineitem`, generating it if not.
pub async fn ensure(admin_url: &str, scale: f64, streams: usize, force: bool) -> Result<Dataset> {
    if !(scale > 0.0 && scale.is_finite()) {
        bail!("scale factor must be positive, got {scale}");
    }
    let db = database_name(scale);
    let url = with_database(admin_url, &db)?;
    let admin = connect(admin_url).await?;
    let exists = !admin
        .query("SELECT 1 FROM pg_database WHERE datname = $1", &[&db])
        .await?
        .is_empty();
    if !exists {
        eprintln!("creating database {db}");
        admin
            .batch_execute(&format!("CREATE DATABASE \"{db}\""))
            .await
            .with_context(|| format!("creating {db}"))?;
    }
    drop(admin);
    let client = connect(&url).await?;

    let mut loaded = false;
    let mut load_s = None;
    let reusable = if force {
        None
    } else {
        check_existing(&client, scale).await?
    };
    let rows = match reusable {
        Some(rows) => {
            eprintln!("reusing {db}: lineitem has {rows} rows");
            rows
        }
        None => {
            let t = Instant::now();
            let rows = load(&client, &url, scale, streams).await?;
            loaded = true;
            load_s = Some(t.elapsed().as_secs_f64());
            eprintln!(
                "loaded {db}: {rows} rows in {:.1} s",
                t.elapsed().as_secs_f64()
            );
            rows
        }
    };
    let row = client
        .query_one(
            "SELECT pg_relation_size('lineitem')::int8, pg_total_relation_size('lineitem')::int8, \
             (pg_relation_size('lineitem') / current_setting('block_size')::int8)::int8",
            &[],
        )
        .await?;
    let (heap, total, pages): (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
    Ok(Dataset {
        scale,
        database: db,
        url,
        rows,
        heap_bytes: heap as u64,
        total_bytes: total as u64,
        heap_pages: pages as u64,
        loaded,
        load_s,
    })
}

/// The row count if the table is a finished load of this scale, else `None`.
async fn check_existing(client: &Client, scale: f64) -> Result<Option<u64>> {
    let row = client
        .query_one(
            "SELECT obj_description(to_regclass('lineitem'), 'pg_class')",
            &[],
        )
        .await?;
    let Some(comment) = row.get::<_, Option<String>>(0) else {
        return Ok(None);
    };
    let Some(rows) = comment
        .rsplit_once("rows=")
        .and_then(|(_, n)| n.parse::<u64>().ok())
    else {
        return Ok(None);
    };
    if comment != marker(scale, rows) {
        return Ok(None);
    }
    let count: i64 = client
        .query_one("SELECT count(*) FROM lineitem", &[])
        .await?
        .get(0);
    if count as u64 != rows {
        eprintln!("lineitem has {count} rows, expected {rows}: reloading");
        return Ok(None);
    }
    Ok(Some(rows))
}

/// Drops and regenerates `lineitem` with `streams` concurrent COPY streams (one generator part
/// each), then adds the primary key, freezes and analyzes it, and checkpoints.
async fn load(client: &Client, url: &str, scale: f64, streams: usize) -> Result<u64> {
    client
        .batch_execute("DROP TABLE IF EXISTS lineitem")
        .await?;
    client
        .batch_execute(CREATE_LINEITEM)
        .await
        .context("creating lineitem")?;
    let parts = i32::try_from(streams.max(1)).context("too many streams")?;
    eprintln!("generating TPC-H lineitem at scale {scale} ({parts} COPY streams)…");
    let mut tasks = Vec::new();
    for part in 1..=parts {
        let url = url.to_string();
        tasks.push(tokio::spawn(async move {
            copy_part(&url, scale, part, parts).await
        }));
    }
    let mut rows = 0;
    for t in tasks {
        rows += t.await.context("copy task panicked")??;
    }
    let t = Instant::now();
    client
        .batch_execute("ALTER TABLE lineitem ADD PRIMARY KEY (l_orderkey, l_linenumber)")
        .await
        .context("adding the primary key")?;
    eprintln!("  primary key: {:.1} s", t.elapsed().as_secs_f64());
    // FREEZE also sets hint bits and the visibility map, so the first timed read does not pay
    // for writing them.
    let t = Instant::now();
    client
        .batch_execute("VACUUM (FREEZE, ANALYZE) lineitem")
        .await
        .context("vacuum/analyze")?;
    client
        .batch_execute("CHECKPOINT")
        .await
        .context("checkpoint")?;
    eprintln!(
        "  vacuum freeze analyze + checkpoint: {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let count: i64 = client
        .query_one("SELECT count(*) FROM lineitem", &[])
        .await?
        .get(0);
    if count as u64 != rows {
        bail!("loaded {rows} rows but lineitem has {count}");
    }
    client
        .batch_execute(&format!(
            "COMMENT ON TABLE lineitem IS '{}'",
            marker(scale, rows)
        ))
        .await?;
    Ok(rows)
}

/// One generator part → one `COPY FROM STDIN` on its own connection.
async fn copy_part(url: &str, scale: f64, part: i32, parts: i32) -> Result<u64> {
    let client = connect(url).await?;
    let (tx, mut rx) = mpsc::channel::<Bytes>(4);
    let generator = tokio::task::spawn_blocking(move || generate(scale, part, parts, &tx));
    let sink = client
        .copy_in::<_, Bytes>("COPY lineitem FROM STDIN (FORMAT csv)")
        .await?;
    let mut sink = std::pin::pin!(sink);
    let sent = async {
        while let Some(buf) = rx.recv().await {
            sink.send(buf).await?;
        }
        sink.as_mut().finish().await
    }
    .await;
    // If the server failed, the generator stops on the closed channel; report the server's error.
    let copied = sent.with_context(|| format!("COPY of part {part}/{parts}"))?;
    let generated = generator.await.context("generator panicked")??;
    if copied != generated {
        bail!("part {part}/{parts}: generated {generated} rows, server copied {copied}");
    }
    Ok(copied)
}

/// Formats one part's rows as CSV (tpchgen's own formatter, comment quoted) in ~1 MiB buffers.
fn generate(scale: f64, part: i32, parts: i32, tx: &mpsc::Sender<Bytes>) -> Result<u64> {
    let generator = LineItemGenerator::new(scale, part, parts);
    let mut buf = Vec::with_capacity(SEND_BYTES + 4096);
    let mut rows = 0u64;
    for item in generator.iter() {
        writeln!(buf, "{}", LineItemCsv::new(item)).context("formatting CSV")?;
        rows += 1;
        if buf.len() >= SEND_BYTES {
            let full = std::mem::replace(&mut buf, Vec::with_capacity(SEND_BYTES + 4096));
            tx.blocking_send(Bytes::from(full))
                .map_err(|_| anyhow!("COPY stream closed"))?;
        }
    }
    if !buf.is_empty() {
        tx.blocking_send(Bytes::from(buf))
            .map_err(|_| anyhow!("COPY stream closed"))?;
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_urls() {
        assert_eq!(database_name(1.0), "haul_bench_tpch_sf1");
        assert_eq!(database_name(0.1), "haul_bench_tpch_sf0_1");
        let u = with_database("postgres://postgres@127.0.0.1:5432/postgres", "x").expect("url");
        assert_eq!(u, "postgres://postgres@127.0.0.1:5432/x");
        let u = with_database("postgres://u@h:1/db?sslmode=disable", "x").expect("url");
        assert_eq!(u, "postgres://u@h:1/x?sslmode=disable");
        let u = with_database("postgres://u@h", "x").expect("url");
        assert_eq!(u, "postgres://u@h/x");
    }

    #[test]
    fn csv_lines_match_the_schema() {
        let g = LineItemGenerator::new(0.001, 1, 1);
        let first = g.iter().next().expect("a row");
        let line = LineItemCsv::new(first).to_string();
        assert_eq!(line.split(',').count(), 16, "{line}");
        assert!(line.ends_with('"'), "{line}");
    }
}
