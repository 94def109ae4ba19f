//! Opening a MySQL/MariaDB run: connect, lock, read the catalog, start the workers' snapshots.

use std::sync::{Arc, Mutex};

use mysql_async::Conn;
use mysql_async::prelude::Queryable;
use xxhash_rust::xxh3::xxh3_128;

use crate::dump::Selection;
use crate::endpoint::MyEndpoint;
use crate::error::{EngineError, Result};
use crate::manifest::SourceInfo;
use crate::mysql::catalog::{self, MyCatalog};
use crate::mysql::conn::{connect, is_mariadb, server_version};
use crate::mysql::planner::{MyPlanOptions, plan_tables};
use crate::mysql::snapshot::{self, MyLeader};
use crate::plan::TablePlan;
use crate::select::TableFilter;

/// A MySQL run's snapshot, catalog and source description.
#[derive(Debug)]
pub struct MyOpened {
    pub leader: MyLeader,
    /// Worker connections, each inside the run's snapshot.
    pub workers: Vec<Conn>,
    pub catalog: MyCatalog,
    pub source: SourceInfo,
    /// Things the user should know (no DDL lock, no consistency, non-InnoDB tables).
    pub warnings: Vec<String>,
}

/// Connects, locks, reads the catalog and opens `jobs` workers in one snapshot.
pub async fn open_run(
    src: &MyEndpoint,
    sel: &Selection,
    jobs: usize,
    block_ddl: bool,
) -> Result<MyOpened> {
    let filter = TableFilter::try_new(&sel.tables, &sel.exclude)?;
    if !sel.as_text.is_empty() {
        return Err(EngineError::Usage(
            "--as-text applies to PostgreSQL sources; every MySQL type has a native Arrow form"
                .into(),
        ));
    }
    let mut probe = connect(src).await?;
    let version = server_version(&mut probe).await?;
    let mariadb = is_mariadb(&version);
    let identity: Option<String> = probe
        .query_first(if mariadb {
            "SELECT CONCAT(@@hostname, ':', @@port, ':', @@server_id)"
        } else {
            "SELECT @@server_uuid"
        })
        .await
        .ok()
        .flatten();
    let _ = probe.disconnect().await;
    let mut locked = snapshot::lock(src, mariadb, sel.lock, sel.lock_wait, block_ddl).await?;
    let catalog = catalog::describe(&mut locked.conn, src.dbname(), &filter, mariadb).await?;
    let mut warnings = std::mem::take(&mut locked.warnings);
    let (leader, workers) = locked.snapshot(src, mariadb, jobs).await?;
    if !catalog.non_transactional.is_empty() {
        warnings.push(format!(
            "not InnoDB, so not part of the snapshot (rows are read when their chunk runs): {}",
            catalog.non_transactional.join(", ")
        ));
    }
    let source = SourceInfo {
        engine: "mysql".into(),
        url: src.to_string(),
        database: src.dbname().to_string(),
        server_version: version,
        system_identifier: identity,
    };
    Ok(MyOpened {
        leader,
        workers,
        catalog,
        source,
        warnings,
    })
}

impl MyOpened {
    /// Plans every table on the first worker (inside the snapshot).
    pub async fn plan(&mut self, sel: &Selection) -> Result<Vec<TablePlan>> {
        let opts = MyPlanOptions {
            chunk_bytes: sel.chunk_bytes,
            zero_dates: sel.zero_dates,
        };
        let conn = self
            .workers
            .first_mut()
            .ok_or_else(|| EngineError::Other("no worker connection".into()))?;
        plan_tables(conn, &self.catalog, &opts).await
    }

    /// The workers as a shared pool.
    pub fn take_pool(&mut self) -> Arc<Mutex<Vec<Conn>>> {
        Arc::new(Mutex::new(std::mem::take(&mut self.workers)))
    }
}

/// Names, columns, types and keys of the selected tables.
pub fn schema_fingerprint(catalog: &MyCatalog) -> String {
    let mut s = String::from("mysql;");
    for t in &catalog.tables {
        s.push_str(&format!("{}.{}(", t.db, t.name));
        for c in &t.columns {
            s.push_str(&format!("{}:{}:{},", c.name, c.ty.column_type, c.nullable));
        }
        s.push_str(&format!(")key={:?};", t.key.as_ref().map(|k| &k.columns)));
    }
    format!("{:032x}", xxh3_128(s.as_bytes()))
}
