//! The TPC-H data sets on the local PostgreSQL: one database per scale factor, each table
//! generated with `tpchgen` and loaded with `COPY … FROM STDIN (FORMAT csv)`, then given its
//! standard primary key. The dump comparison needs `lineitem` only; the load and copy
//! comparisons need all eight tables.
//!
//! A finished load of a table leaves a table comment naming the generator, scale and row count;
//! a rerun reuses the table only if that comment is there and `count(*)` agrees, so an
//! interrupted load is redone rather than measured. A reused table without a primary key gets
//! one (a database made by hand or by an older runner), once.

use std::fmt::Display;
use std::io::Write as _;
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use bytes::Bytes;
use futures_util::SinkExt;
use serde::Serialize;
use tokio::sync::mpsc;
use tokio_postgres::{Client, NoTls};
use tpchgen::csv::{
    CustomerCsv, LineItemCsv, NationCsv, OrderCsv, PartCsv, PartSuppCsv, RegionCsv, SupplierCsv,
};
use tpchgen::generators::{
    CustomerGenerator, LineItemGenerator, NationGenerator, OrderGenerator, PartGenerator,
    PartSuppGenerator, RegionGenerator, SupplierGenerator,
};

/// One TPC-H table: the same DDL as the peers' benchmark (research/peer-benchmarks.md: INTEGER
/// keys, DECIMAL(15,2), CHAR/VARCHAR, DATE, primary keys only, no foreign keys). The primary key
/// is added after the load, as a restore would.
pub struct TableSpec {
    pub name: &'static str,
    /// Column list, in the order of tpchgen's CSV.
    pub columns: &'static str,
    /// Primary key columns.
    pub pk: &'static str,
    /// False for `nation` and `region`, whose generators ignore the part number (every part
    /// would hold every row).
    pub partitioned: bool,
}

impl TableSpec {
    /// `CREATE TABLE name (…)` without the primary key.
    pub fn create(&self) -> String {
        format!("CREATE TABLE {} ({})", self.name, self.columns)
    }
}

/// All eight tables, small ones first.
pub const TABLES: [TableSpec; 8] = [
    TableSpec {
        name: "region",
        columns: "r_regionkey INTEGER NOT NULL, r_name CHAR(25) NOT NULL, \
                  r_comment VARCHAR(152) NOT NULL",
        pk: "r_regionkey",
        partitioned: false,
    },
    TableSpec {
        name: "nation",
        columns: "n_nationkey INTEGER NOT NULL, n_name CHAR(25) NOT NULL, \
                  n_regionkey INTEGER NOT NULL, n_comment VARCHAR(152) NOT NULL",
        pk: "n_nationkey",
        partitioned: false,
    },
    TableSpec {
        name: "supplier",
        columns: "s_suppkey INTEGER NOT NULL, s_name CHAR(25) NOT NULL, \
                  s_address VARCHAR(40) NOT NULL, s_nationkey INTEGER NOT NULL, \
                  s_phone CHAR(15) NOT NULL, s_acctbal DECIMAL(15,2) NOT NULL, \
                  s_comment VARCHAR(101) NOT NULL",
        pk: "s_suppkey",
        partitioned: true,
    },
    TableSpec {
        name: "customer",
        columns: "c_custkey INTEGER NOT NULL, c_name VARCHAR(25) NOT NULL, \
                  c_address VARCHAR(40) NOT NULL, c_nationkey INTEGER NOT NULL, \
                  c_phone CHAR(15) NOT NULL, c_acctbal DECIMAL(15,2) NOT NULL, \
                  c_mktsegment CHAR(10) NOT NULL, c_comment VARCHAR(117) NOT NULL",
        pk: "c_custkey",
        partitioned: true,
    },
    TableSpec {
        name: "part",
        columns: "p_partkey INTEGER NOT NULL, p_name VARCHAR(55) NOT NULL, \
                  p_mfgr CHAR(25) NOT NULL, p_brand CHAR(10) NOT NULL, \
                  p_type VARCHAR(25) NOT NULL, p_size INTEGER NOT NULL, \
                  p_container CHAR(10) NOT NULL, p_retailprice DECIMAL(15,2) NOT NULL, \
                  p_comment VARCHAR(23) NOT NULL",
        pk: "p_partkey",
        partitioned: true,
    },
    TableSpec {
        name: "partsupp",
        columns: "ps_partkey INTEGER NOT NULL, ps_suppkey INTEGER NOT NULL, \
                  ps_availqty INTEGER NOT NULL, ps_supplycost DECIMAL(15,2) NOT NULL, \
                  ps_comment VARCHAR(199) NOT NULL",
        pk: "ps_partkey, ps_suppkey",
        partitioned: true,
    },
    TableSpec {
        name: "orders",
        columns: "o_orderkey INTEGER NOT NULL, o_custkey INTEGER NOT NULL, \
                  o_orderstatus CHAR(1) NOT NULL, o_totalprice DECIMAL(15,2) NOT NULL, \
                  o_orderdate DATE NOT NULL, o_orderpriority CHAR(15) NOT NULL, \
                  o_clerk CHAR(15) NOT NULL, o_shippriority INTEGER NOT NULL, \
                  o_comment VARCHAR(79) NOT NULL",
        pk: "o_orderkey",
        partitioned: true,
    },
    TableSpec {
        name: "lineitem",
        columns: "l_orderkey INTEGER NOT NULL, l_partkey INTEGER NOT NULL, \
                  l_suppkey INTEGER NOT NULL, l_linenumber INTEGER NOT NULL, \
                  l_quantity DECIMAL(15,2) NOT NULL, l_extendedprice DECIMAL(15,2) NOT NULL, \
                  l_discount DECIMAL(15,2) NOT NULL, l_tax DECIMAL(15,2) NOT NULL, \
                  l_returnflag CHAR(1) NOT NULL, l_linestatus CHAR(1) NOT NULL, \
                  l_shipdate DATE NOT NULL, l_commitdate DATE NOT NULL, \
                  l_receiptdate DATE NOT NULL, l_shipinstruct CHAR(25) NOT NULL, \
                  l_shipmode CHAR(10) NOT NULL, l_comment VARCHAR(44) NOT NULL",
        pk: "l_orderkey, l_linenumber",
        partitioned: true,
    },
];

/// Bytes of CSV per CopyData message sent to the server.
const SEND_BYTES: usize = 1 << 20;

/// One table of a data set.
#[derive(Debug, Clone, Serialize)]
pub struct TableFacts {
    pub name: String,
    pub rows: u64,
    /// `pg_relation_size` (heap only).
    pub heap_bytes: u64,
    /// `pg_total_relation_size` (heap + PK index + TOAST).
    pub total_bytes: u64,
    /// Heap pages (for splitting by ctid).
    pub heap_pages: u64,
    /// True if the table was (re)generated in this run.
    pub loaded: bool,
    /// True if this run added the primary key to a reused table.
    pub pk_added: bool,
}

/// A loaded data set.
#[derive(Debug, Clone, Serialize)]
pub struct Dataset {
    pub scale: f64,
    pub database: String,
    /// URL of that database (same server and user as `--pg-url`).
    pub url: String,
    /// `lineitem`: rows, heap bytes, heap + PK bytes, heap pages (the dump comparison's table).
    pub rows: u64,
    pub heap_bytes: u64,
    pub total_bytes: u64,
    pub heap_pages: u64,
    /// Every table ensured (all eight for load and copy, else `lineitem` only).
    pub tables: Vec<TableFacts>,
    /// True if any table was (re)generated in this run.
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

/// The table comment a finished load leaves (also on MariaDB, see e2e/tpch_mysql.rs).
pub fn marker(table: &str, scale: f64, rows: u64) -> String {
    format!("haul-bench: tpchgen 4.0 {table} scale={scale} rows={rows}")
}

/// Makes sure `haul_bench_tpch_sf<scale>` holds complete tables with primary keys, generating
/// what is missing: all eight tables if `whole`, else `lineitem` only.
pub async fn ensure(
    admin_url: &str,
    scale: f64,
    streams: usize,
    force: bool,
    whole: bool,
) -> Result<Dataset> {
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

    let started = Instant::now();
    let mut tables = Vec::new();
    for spec in TABLES.iter().filter(|t| whole || t.name == "lineitem") {
        let reusable = if force {
            None
        } else {
            check_existing(&client, spec.name, scale).await?
        };
        let (rows, loaded) = match reusable {
            Some(rows) => (rows, false),
            None => {
                let t = Instant::now();
                let rows = load(&client, &url, spec, scale, streams).await?;
                eprintln!(
                    "loaded {db}.{}: {rows} rows in {:.1} s",
                    spec.name,
                    t.elapsed().as_secs_f64()
                );
                (rows, true)
            }
        };
        let pk_added = !loaded && ensure_pk(&client, spec).await?;
        let row = client
            .query_one(
                "SELECT pg_relation_size(to_regclass($1))::int8, \
                 pg_total_relation_size(to_regclass($1))::int8, \
                 (pg_relation_size(to_regclass($1)) / current_setting('block_size')::int8)::int8",
                &[&spec.name],
            )
            .await?;
        let (heap, total, pages): (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
        tables.push(TableFacts {
            name: spec.name.to_string(),
            rows,
            heap_bytes: heap as u64,
            total_bytes: total as u64,
            heap_pages: pages as u64,
            loaded,
            pk_added,
        });
    }
    let loaded = tables.iter().any(|t| t.loaded);
    if loaded || tables.iter().any(|t| t.pk_added) {
        client
            .batch_execute("CHECKPOINT")
            .await
            .context("checkpoint")?;
    }
    let summary: Vec<String> = tables
        .iter()
        .map(|t| format!("{} {}", t.name, t.rows))
        .collect();
    eprintln!("{db}: {}", summary.join(", "));
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
async fn check_existing(client: &Client, table: &str, scale: f64) -> Result<Option<u64>> {
    let row = client
        .query_one(
            "SELECT obj_description(to_regclass($1), 'pg_class')",
            &[&table],
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
    if comment != marker(table, scale, rows) {
        return Ok(None);
    }
    let count: i64 = client
        .query_one(&format!("SELECT count(*) FROM {table}"), &[])
        .await?
        .get(0);
    if count as u64 != rows {
        eprintln!("{table} has {count} rows, expected {rows}: reloading");
        return Ok(None);
    }
    Ok(Some(rows))
}

/// Adds the standard primary key if the table has none; true if it did.
async fn ensure_pk(client: &Client, spec: &TableSpec) -> Result<bool> {
    let has: bool = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_constraint \
             WHERE conrelid = to_regclass($1) AND contype = 'p')",
            &[&spec.name],
        )
        .await?
        .get(0);
    if has {
        return Ok(false);
    }
    let t = Instant::now();
    client
        .batch_execute(&format!(
            "ALTER TABLE {} ADD PRIMARY KEY ({})",
            spec.name, spec.pk
        ))
        .await
        .with_context(|| format!("adding the primary key of {}", spec.name))?;
    eprintln!(
        "  {}: added its primary key ({}) in {:.1} s",
        spec.name,
        spec.pk,
        t.elapsed().as_secs_f64()
    );
    Ok(true)
}

/// Drops and regenerates a table with `streams` concurrent COPY streams (one generator part
/// each), then adds the primary key, freezes and analyzes it.
async fn load(
    client: &Client,
    url: &str,
    spec: &'static TableSpec,
    scale: f64,
    streams: usize,
) -> Result<u64> {
    let table = spec.name;
    client
        .batch_execute(&format!("DROP TABLE IF EXISTS {table}"))
        .await?;
    client
        .batch_execute(&spec.create())
        .await
        .with_context(|| format!("creating {table}"))?;
    let parts = if spec.partitioned {
        i32::try_from(streams.max(1)).context("too many streams")?
    } else {
        1
    };
    eprintln!("generating TPC-H {table} at scale {scale} ({parts} COPY streams)…");
    let mut tasks = Vec::new();
    for part in 1..=parts {
        let url = url.to_string();
        tasks.push(tokio::spawn(async move {
            copy_part(&url, table, scale, part, parts).await
        }));
    }
    let mut rows = 0;
    for t in tasks {
        rows += t.await.context("copy task panicked")??;
    }
    let t = Instant::now();
    client
        .batch_execute(&format!(
            "ALTER TABLE {table} ADD PRIMARY KEY ({})",
            spec.pk
        ))
        .await
        .with_context(|| format!("adding the primary key of {table}"))?;
    // FREEZE also sets hint bits and the visibility map, so the first timed read does not pay
    // for writing them.
    client
        .batch_execute(&format!("VACUUM (FREEZE, ANALYZE) {table}"))
        .await
        .context("vacuum/analyze")?;
    eprintln!(
        "  {table}: primary key + vacuum freeze analyze {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let count: i64 = client
        .query_one(&format!("SELECT count(*) FROM {table}"), &[])
        .await?
        .get(0);
    if count as u64 != rows {
        bail!("loaded {rows} rows but {table} has {count}");
    }
    client
        .batch_execute(&format!(
            "COMMENT ON TABLE {table} IS '{}'",
            marker(table, scale, rows)
        ))
        .await?;
    Ok(rows)
}

/// One generator part → one `COPY FROM STDIN` on its own connection.
async fn copy_part(
    url: &str,
    table: &'static str,
    scale: f64,
    part: i32,
    parts: i32,
) -> Result<u64> {
    let client = connect(url).await?;
    let (tx, mut rx) = mpsc::channel::<Bytes>(4);
    let generator = tokio::task::spawn_blocking(move || generate(table, scale, part, parts, &tx));
    let sink = client
        .copy_in::<_, Bytes>(&format!("COPY {table} FROM STDIN (FORMAT csv)"))
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
    let copied = sent.with_context(|| format!("COPY of {table} part {part}/{parts}"))?;
    let generated = generator.await.context("generator panicked")??;
    if copied != generated {
        bail!("{table} part {part}/{parts}: generated {generated} rows, server copied {copied}");
    }
    Ok(copied)
}

/// Formats one part's rows as CSV (tpchgen's own formatters, which quote the free-text
/// columns) in ~1 MiB buffers of whole lines.
pub fn generate(
    table: &str,
    scale: f64,
    part: i32,
    parts: i32,
    tx: &mpsc::Sender<Bytes>,
) -> Result<u64> {
    let mut out = CsvSender::new(tx);
    match table {
        "region" => out.rows(
            RegionGenerator::new(scale, part, parts)
                .iter()
                .map(RegionCsv::new),
        ),
        "nation" => out.rows(
            NationGenerator::new(scale, part, parts)
                .iter()
                .map(NationCsv::new),
        ),
        "supplier" => out.rows(
            SupplierGenerator::new(scale, part, parts)
                .iter()
                .map(SupplierCsv::new),
        ),
        "customer" => out.rows(
            CustomerGenerator::new(scale, part, parts)
                .iter()
                .map(CustomerCsv::new),
        ),
        "part" => out.rows(
            PartGenerator::new(scale, part, parts)
                .iter()
                .map(PartCsv::new),
        ),
        "partsupp" => out.rows(
            PartSuppGenerator::new(scale, part, parts)
                .iter()
                .map(PartSuppCsv::new),
        ),
        "orders" => out.rows(
            OrderGenerator::new(scale, part, parts)
                .iter()
                .map(OrderCsv::new),
        ),
        "lineitem" => out.rows(
            LineItemGenerator::new(scale, part, parts)
                .iter()
                .map(LineItemCsv::new),
        ),
        other => bail!("no generator for table {other}"),
    }
}

/// CSV lines into ~1 MiB buffers sent to a COPY task.
struct CsvSender<'a> {
    tx: &'a mpsc::Sender<Bytes>,
    buf: Vec<u8>,
}

impl<'a> CsvSender<'a> {
    fn new(tx: &'a mpsc::Sender<Bytes>) -> Self {
        Self {
            tx,
            buf: Vec::with_capacity(SEND_BYTES + 4096),
        }
    }

    fn rows(&mut self, lines: impl Iterator<Item = impl Display>) -> Result<u64> {
        let mut rows = 0u64;
        for line in lines {
            writeln!(self.buf, "{line}").context("formatting CSV")?;
            rows += 1;
            if self.buf.len() >= SEND_BYTES {
                let full = std::mem::replace(&mut self.buf, Vec::with_capacity(SEND_BYTES + 4096));
                self.send(full)?;
            }
        }
        if !self.buf.is_empty() {
            let rest = std::mem::take(&mut self.buf);
            self.send(rest)?;
        }
        Ok(rows)
    }

    fn send(&self, buf: Vec<u8>) -> Result<()> {
        self.tx
            .blocking_send(Bytes::from(buf))
            .map_err(|_| anyhow!("COPY stream closed"))
    }
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

    /// tpchgen's CSV headers name the columns in the order of the DDL above.
    #[test]
    fn csv_columns_match_the_ddl() {
        let headers = [
            RegionCsv::header(),
            NationCsv::header(),
            SupplierCsv::header(),
            CustomerCsv::header(),
            PartCsv::header(),
            PartSuppCsv::header(),
            OrderCsv::header(),
            LineItemCsv::header(),
        ];
        for (spec, header) in TABLES.iter().zip(headers) {
            let ddl: Vec<&str> = spec
                .columns
                .split(',')
                .filter_map(|c| c.split_whitespace().next())
                .filter(|c| c.contains('_'))
                .collect();
            let csv: Vec<&str> = header.split(',').collect();
            assert_eq!(ddl, csv, "{}", spec.name);
        }
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
