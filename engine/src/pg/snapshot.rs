//! One consistent snapshot for every worker of a run (DESIGN.md §2, like `pg_dump -j`).
//!
//! The leader opens a REPEATABLE READ, READ ONLY transaction, takes ACCESS SHARE locks on every
//! table it will dump (so DDL waits for the run instead of breaking it), and exports its
//! snapshot. `LOCK` does not take a snapshot, so the snapshot postdates the locks and the
//! catalog the leader then reads is the one the workers will see. The leader's transaction
//! stays open until the last worker is done. Workers import the snapshot, and before reading a
//! table for the first time take their own ACCESS SHARE lock with NOWAIT: if a DDL statement is
//! already queued behind the leader's lock, waiting would deadlock the run, so the worker fails
//! fast with a message naming the table.

use std::collections::HashSet;
use std::time::Duration;

use tokio_postgres::Client;

use crate::endpoint::PgEndpoint;
use crate::error::{EngineError, Result, pg_message};
use crate::manifest::SnapshotInfo;
use crate::pg::conn::connect;
use crate::pg::qualified;

/// The snapshot holder.
#[derive(Debug)]
pub struct SnapshotLeader {
    client: Client,
    pub info: SnapshotInfo,
}

impl SnapshotLeader {
    /// Begins the leader's transaction, locks `tables` (`(schema, name)`), exports the snapshot.
    /// `client` must be a fresh session with no open transaction.
    pub async fn start(
        client: Client,
        tables: &[(String, String)],
        lock_wait: Duration,
    ) -> Result<Self> {
        client
            .batch_execute(&format!(
                "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET LOCAL lock_timeout = {};",
                lock_wait.as_millis().max(1)
            ))
            .await
            .map_err(|e| EngineError::pg("starting the snapshot transaction", e))?;
        // One LOCK statement per batch of tables keeps the statement short on huge schemas.
        for batch in tables.chunks(500) {
            let names: Vec<String> = batch
                .iter()
                .map(|(s, t)| format!("ONLY {}", qualified(s, t)))
                .collect();
            let sql = format!("LOCK TABLE {} IN ACCESS SHARE MODE", names.join(", "));
            if let Err(e) = client.batch_execute(&sql).await {
                return Err(lock_error(e, batch, lock_wait));
            }
        }
        let row = client
            .query_one(
                "SELECT pg_catalog.pg_export_snapshot(), \
                        CASE WHEN pg_catalog.pg_is_in_recovery() THEN NULL \
                             ELSE pg_catalog.pg_current_wal_lsn()::text END, \
                        to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')",
                &[],
            )
            .await
            .map_err(|e| EngineError::pg("exporting the snapshot", e))?;
        client
            .batch_execute("SET LOCAL lock_timeout = 0")
            .await
            .map_err(|e| EngineError::pg("resetting lock_timeout", e))?;
        let info = SnapshotInfo {
            id: row.get(0),
            wal_lsn: row.get(1),
            taken_at: row.get(2),
            binlog_file: None,
            binlog_position: None,
            gtid: None,
            consistent: true,
        };
        Ok(Self { client, info })
    }

    /// The leader's session, inside the snapshot: use it for catalog reads and planning.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// True while the leader's connection is alive (the snapshot can still be imported).
    pub fn is_alive(&self) -> bool {
        !self.client.is_closed()
    }

    /// Ends the leader's transaction, releasing the snapshot and the locks.
    pub async fn finish(self) {
        let _ = self.client.batch_execute("COMMIT").await;
    }
}

fn lock_error(e: tokio_postgres::Error, batch: &[(String, String)], wait: Duration) -> EngineError {
    let names = batch
        .iter()
        .map(|(s, t)| format!("{s}.{t}"))
        .collect::<Vec<_>>();
    let list = if names.len() > 5 {
        format!("{} and {} more", names[..5].join(", "), names.len() - 5)
    } else {
        names.join(", ")
    };
    match e.code().map(|c| c.code()) {
        Some("55P03") => EngineError::SourceChanged(format!(
            "timed out after {:?} waiting for ACCESS SHARE locks on {list}: another session holds a conflicting lock (DDL, VACUUM FULL, …); rerun when it is done or raise --lock-wait-timeout",
            wait
        )),
        Some("42P01") => EngineError::SourceChanged(format!(
            "a table was dropped while haul was starting ({}); rerun",
            pg_message(&e)
        )),
        _ => EngineError::pg(format!("locking {list}"), e),
    }
}

/// A worker session inside the leader's snapshot.
#[derive(Debug)]
pub struct SnapshotWorker {
    client: Client,
    locked: HashSet<String>,
}

impl SnapshotWorker {
    /// Connects and imports `snapshot_id`.
    pub async fn open(endpoint: &PgEndpoint, snapshot_id: &str) -> Result<Self> {
        let client = connect(endpoint).await?;
        // haul runs one query per worker and parallelizes across chunks itself; a parallel
        // plan would start more backends that each scan the heap, on the same cores.
        let sql = format!(
            "SET max_parallel_workers_per_gather = 0; \
             BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET TRANSACTION SNAPSHOT {}",
            crate::pg::quote_literal(snapshot_id)
        );
        client.batch_execute(&sql).await.map_err(|e| {
            if e.code().map(|c| c.code()) == Some("22023") {
                EngineError::SourceChanged(format!(
                    "the run's snapshot is gone ({}): its holder connection ended; rerun to resume from a new snapshot",
                    pg_message(&e)
                ))
            } else {
                EngineError::pg("importing the snapshot", e)
            }
        })?;
        Ok(Self {
            client,
            locked: HashSet::new(),
        })
    }

    /// Takes this session's ACCESS SHARE lock on a table before its first read (NOWAIT).
    pub async fn lock_table(&mut self, schema: &str, table: &str) -> Result<()> {
        let name = qualified(schema, table);
        if self.locked.contains(&name) {
            return Ok(());
        }
        let sql = format!("LOCK TABLE ONLY {name} IN ACCESS SHARE MODE NOWAIT");
        match self.client.batch_execute(&sql).await {
            Ok(()) => {
                self.locked.insert(name);
                Ok(())
            }
            Err(e) if e.code().map(|c| c.code()) == Some("55P03") => {
                Err(EngineError::SourceChanged(format!(
                    "table {schema}.{table} is being altered or dropped by another session, which waits behind haul's lock; nothing of it was written. Rerun when the DDL is done (the dump resumes)"
                )))
            }
            Err(e) if e.code().map(|c| c.code()) == Some("42P01") => {
                Err(EngineError::SourceChanged(format!(
                    "table {schema}.{table} no longer exists ({})",
                    pg_message(&e)
                )))
            }
            Err(e) => Err(EngineError::pg(format!("locking {schema}.{table}"), e)),
        }
    }

    /// The session.
    pub fn client(&self) -> &Client {
        &self.client
    }
}
