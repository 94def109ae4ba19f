//! One consistent snapshot for every worker of a MySQL/MariaDB dump (as mydumper does).
//!
//! ```text
//! leader: [DDL lock: MariaDB BACKUP STAGE BLOCK_DDL | MySQL LOCK INSTANCE FOR BACKUP]
//!         FLUSH TABLES WITH READ LOCK            (writes wait from here …)
//!         catalog reads
//! N workers: START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY
//!         binlog file/position, GTID, server time
//!         UNLOCK TABLES                          (… to here: a short pause)
//! ```
//! The DDL lock, when the account may take it, is held until the dump ends, so no table
//! changes under the workers (a worker would fail with "Table definition has changed"). Only
//! InnoDB tables are snapshot-consistent; the plan warns about the others. A worker connection
//! that is lost cannot rejoin the snapshot, so workers are opened up front and kept.

use std::time::Duration;

use mysql_async::Conn;
use mysql_async::prelude::Queryable;

use crate::endpoint::MyEndpoint;
use crate::error::{EngineError, Result};
use crate::manifest::SnapshotInfo;
use crate::mysql::conn::connect;

/// How the dump's snapshot is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LockMode {
    /// A brief global read lock while every worker starts its snapshot (consistent).
    #[default]
    Ftwrl,
    /// No lock: each worker's snapshot starts on its own (not consistent across tables).
    None,
}

/// The connection holding the DDL lock (if any) for the dump's duration.
#[derive(Debug)]
pub struct MyLeader {
    ddl: Option<(Conn, &'static str)>,
    pub info: SnapshotInfo,
}

/// What [`start`] sets up, with the global lock still held.
#[derive(Debug)]
pub struct Locked {
    pub conn: Conn,
    /// A second connection holding the DDL lock (MariaDB refuses FTWRL in a session with an
    /// active BACKUP STAGE) and the statement that releases it.
    ddl: Option<(Conn, &'static str)>,
    /// Warnings for the user (no DDL lock, no consistent snapshot).
    pub warnings: Vec<String>,
    lock: LockMode,
}

/// Takes the DDL lock (when allowed) and the global read lock. Read the catalog on
/// `Locked::conn`, then call [`Locked::snapshot`].
/// `block_ddl`: hold the DDL lock for the whole run (not when the run itself creates tables
/// on the same server, as a MySQL-to-MySQL copy does: it would wait for itself).
pub async fn lock(
    ep: &MyEndpoint,
    mariadb: bool,
    mode: LockMode,
    lock_wait: Duration,
    block_ddl: bool,
) -> Result<Locked> {
    let mut conn = connect(ep).await?;
    let mut warnings = Vec::new();
    conn.query_drop(format!(
        "SET SESSION lock_wait_timeout = {}",
        lock_wait.as_secs().max(1)
    ))
    .await
    .map_err(|e| EngineError::my("setting lock_wait_timeout", e))?;
    let mut ddl = None;
    if !block_ddl && mode == LockMode::Ftwrl {
        warnings.push(
            "DDL on the source tables during the run makes their chunks fail (the DDL lock is not held when the target is a MySQL server)"
                .into(),
        );
    }
    if mode == LockMode::Ftwrl {
        let (take, release) = if mariadb {
            (
                "BACKUP STAGE START; BACKUP STAGE BLOCK_DDL",
                "BACKUP STAGE END",
            )
        } else {
            ("LOCK INSTANCE FOR BACKUP", "UNLOCK INSTANCE")
        };
        if block_ddl {
            let mut ddl_conn = connect(ep).await?;
            match ddl_conn.query_drop(take).await {
                Ok(()) => ddl = Some((ddl_conn, release)),
                Err(e) => warnings.push(format!(
                    "could not block DDL for the dump ({}): a table altered while it runs makes its chunks fail (grant RELOAD{} to avoid this)",
                    crate::error::my_message(&e),
                    if mariadb { "" } else { " and BACKUP_ADMIN" }
                )),
            }
        }
        if let Err(e) = conn.query_drop("FLUSH TABLES WITH READ LOCK").await {
            return Err(match &e {
                mysql_async::Error::Server(s) if s.code == 1205 => {
                    EngineError::SourceChanged(format!(
                        "waited {} s for the global read lock (a long query or an open transaction holds tables); retry when it is done, or raise --lock-wait-timeout",
                        lock_wait.as_secs()
                    ))
                }
                mysql_async::Error::Server(s) if s.code == 1227 || s.code == 1045 => {
                    EngineError::Connect {
                        endpoint: ep.to_string(),
                        reason: format!(
                            "FLUSH TABLES WITH READ LOCK was refused ({}): grant the RELOAD privilege for a consistent dump, or pass --lock none (tables are then read at different moments)",
                            s.message
                        ),
                    }
                }
                _ => EngineError::my("taking the global read lock", e),
            });
        }
    } else {
        warnings.push(
            "--lock none: each worker reads in its own snapshot, so rows written during the dump may be inconsistent across tables and chunks; catch up and verify afterwards"
                .into(),
        );
    }
    Ok(Locked {
        conn,
        ddl,
        warnings,
        lock: mode,
    })
}

impl Locked {
    /// Starts `jobs` worker snapshots, records the binlog position, releases the global lock.
    pub async fn snapshot(
        mut self,
        ep: &MyEndpoint,
        mariadb: bool,
        jobs: usize,
    ) -> Result<(MyLeader, Vec<Conn>)> {
        let mut workers = Vec::with_capacity(jobs);
        for _ in 0..jobs.max(1) {
            let mut w = connect(ep).await?;
            w.query_drop(
                "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ; \
                 START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY",
            )
            .await
            .map_err(|e| EngineError::my("starting a worker's snapshot", e))?;
            workers.push(w);
        }
        let (binlog_file, binlog_position, mut gtid) = binlog_status(&mut self.conn).await;
        if mariadb {
            let g: Option<String> = self
                .conn
                .query_first("SELECT @@GLOBAL.gtid_binlog_pos")
                .await
                .ok()
                .flatten();
            gtid = g.filter(|g| !g.is_empty()).or(gtid);
        }
        let taken_at: Option<String> = self
            .conn
            .query_first("SELECT DATE_FORMAT(UTC_TIMESTAMP(3), '%Y-%m-%dT%H:%i:%s.%fZ')")
            .await
            .map_err(|e| EngineError::my("reading the server time", e))?;
        let taken_at = taken_at
            .map(|t| format!("{}Z", &t[..t.len().saturating_sub(4)]))
            .unwrap_or_default();
        if self.lock == LockMode::Ftwrl {
            self.conn
                .query_drop("UNLOCK TABLES")
                .await
                .map_err(|e| EngineError::my("releasing the global read lock", e))?;
        }
        let _ = self.conn.disconnect().await;
        let id = match (&binlog_file, binlog_position, &gtid) {
            (Some(f), Some(p), _) => format!("binlog {f}:{p}"),
            (_, _, Some(g)) => format!("gtid {g}"),
            _ => format!("server time {taken_at}"),
        };
        let info = SnapshotInfo {
            id,
            wal_lsn: None,
            taken_at,
            binlog_file,
            binlog_position,
            gtid,
            consistent: self.lock == LockMode::Ftwrl,
        };
        Ok((
            MyLeader {
                ddl: self.ddl,
                info,
            },
            workers,
        ))
    }
}

/// `SHOW MASTER STATUS` (or MySQL 8.4's `SHOW BINARY LOG STATUS`): file, position, GTID set.
/// All `None` when the binary log is off or the account may not read it.
async fn binlog_status(conn: &mut Conn) -> (Option<String>, Option<u64>, Option<String>) {
    for sql in ["SHOW MASTER STATUS", "SHOW BINARY LOG STATUS"] {
        if let Ok(Some(row)) = conn.query_first::<mysql_async::Row, _>(sql).await {
            let file: Option<String> = row.get_opt(0).and_then(|r| r.ok());
            let pos: Option<u64> = row.get_opt(1).and_then(|r| r.ok());
            let gtid: Option<String> = (row.len() > 4)
                .then(|| row.get_opt(4).and_then(|r| r.ok()))
                .flatten()
                .filter(|g: &String| !g.is_empty());
            return (file, pos, gtid);
        }
    }
    (None, None, None)
}

impl MyLeader {
    /// Releases the DDL lock and closes the leader's connection.
    pub async fn finish(self) {
        if let Some((mut conn, release)) = self.ddl {
            let _ = conn.query_drop(release).await;
            let _ = conn.disconnect().await;
        }
    }
}
