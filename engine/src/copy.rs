//! `haul copy postgres://SRC postgres://DST`: a dump and a load without the files. The source
//! is read in one snapshot by `--jobs` workers and every chunk streams straight into the
//! target's binary COPY, committed with its journal row in the target (as `load` does), so a
//! rerun resumes. The plan is kept in the target's `haul.loads` row: a resumed copy reads the
//! remaining chunks, by the same ranges, from a new snapshot, and says so.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use haul_formats::parquet_io::ParquetCompression;

use tokio::sync::mpsc;
use tokio_postgres::Client;
use tokio_util::sync::CancellationToken;
use xxhash_rust::xxh3::xxh3_128;

use crate::dump::{
    Selection, new_manifest, now_utc, open_run, schema_fingerprint, source_fingerprint,
};
use crate::dumpdir::{DirState, prepare};
use crate::endpoint::PgEndpoint;
use crate::error::{EngineError, Result};
use crate::events::{Event, Observer, Progress};
use crate::load::{IfExists, LoadReport, connect_target, finish_job, pre_data, target_table};
use crate::manifest::{ChunkRecord, DumpSettings, Fingerprint, Journal, JournalEntry, Manifest};
use crate::mysql::from_pg::NumericAs;
use crate::pg::planner::plan_tables;
use crate::pg::snapshot::SnapshotWorker;
use crate::pg::target;
use crate::plan::{SplitKind, TablePlan};
use crate::runner::{self, ChunkWork};
use crate::sink::Receipt;
use crate::sink::parquet::ParquetSink;
use crate::sink::pg::{JournalRow, TargetTable, load_chunk};
use crate::source::{BatchLimits, CHANNEL_DEPTH, ChunkMsg};

/// `haul copy` options.
#[derive(Debug, Clone)]
pub struct CopyOptions {
    pub selection: Selection,
    pub jobs: usize,
    pub if_exists: IfExists,
    pub attempts: u32,
    pub batch: BatchLimits,
    /// Also write the dump into this directory (`--keep DIR`).
    pub keep: Option<PathBuf>,
    /// Parquet compression of the kept dump.
    pub compression: ParquetCompression,
    /// PostgreSQL into MySQL: what unconstrained numerics become.
    pub numeric_as: NumericAs,
}

impl Default for CopyOptions {
    fn default() -> Self {
        Self {
            selection: Selection::default(),
            jobs: 2,
            if_exists: IfExists::Error,
            attempts: 4,
            batch: BatchLimits::default(),
            keep: None,
            compression: ParquetCompression::default(),
            numeric_as: NumericAs::Decimal,
        }
    }
}

/// The job id of copying this source's selection: the same command against the same target
/// is one job, resumed.
pub(crate) fn job_id(fp: &Fingerprint, settings: &DumpSettings) -> String {
    let id = format!(
        "{}|{:?}|{:?}|{:?}",
        fp.source, settings.tables, settings.exclude, settings.as_text
    );
    format!("copy-{:032x}", xxh3_128(id.as_bytes()))
}

/// Copies the selected tables of `src` into `dst`.
pub async fn copy(
    src: &PgEndpoint,
    dst: &PgEndpoint,
    opts: &CopyOptions,
    observer: Arc<dyn Observer>,
    cancel: CancellationToken,
) -> Result<LoadReport> {
    let started = Instant::now();
    let opened = tokio::select! {
        r = open_run(src, &opts.selection) => r?,
        _ = cancel.cancelled() => return Err(EngineError::Interrupted),
    };
    let sel = &opts.selection;
    let settings = DumpSettings {
        tables: sel.tables.clone(),
        exclude: sel.exclude.clone(),
        as_text: sel.as_text.clone(),
        chunk_bytes: sel.chunk_bytes,
        compression: "none".into(),
        zero_dates: None,
    };
    let fingerprint = Fingerprint {
        source: source_fingerprint(&opened.source),
        schema: schema_fingerprint(&opened.catalog, &sel.as_text),
    };
    let job = job_id(&fingerprint, &settings);
    let client = connect_target(dst).await?;
    target::ensure_journal(&client).await?;
    let mut existing_job = target::find_job(&client, &job).await?;
    if let Some(j) = &existing_job
        && j.phase == "done"
    {
        if matches!(opts.if_exists, IfExists::Error | IfExists::Append) {
            opened.leader.finish().await;
            return Ok(LoadReport::nothing_to_do(
                &format!(
                    "this copy was already done into the target (job {job}, started {})",
                    j.started_at
                ),
                &*observer,
                opened.catalog.not_recreated.clone(),
                started,
            ));
        }
        target::forget_job(&client, &job).await?;
        existing_job = None;
    }

    let resumed = existing_job.is_some();
    let (manifest, created) = match existing_job {
        Some(j) => {
            let Some(plan) = j.plan else {
                return Err(EngineError::Target(format!(
                    "job {job} in the target has no plan recorded; rerun with --if-exists replace"
                )));
            };
            let m: Manifest = serde_json::from_str(&plan).map_err(|e| {
                EngineError::Target(format!("job {job}: its recorded plan is unreadable: {e}"))
            })?;
            if m.fingerprint != fingerprint {
                return Err(EngineError::SourceChanged(format!(
                    "the source's tables, columns or keys changed since this copy started ({}); rerun with --if-exists replace to start over",
                    j.started_at
                )));
            }
            (m, j.created.into_iter().collect::<HashSet<String>>())
        }
        None => {
            let tables =
                plan_tables(opened.leader.client(), &opened.catalog, &sel.plan_options()).await?;
            let mut m = new_manifest(&opened, settings, fingerprint, tables);
            m.snapshots.push(opened.leader.info.clone());
            let plan = serde_json::to_string(&m)
                .map_err(|e| EngineError::Other(format!("serializing the plan: {e}")))?;
            let created =
                pre_data(&client, &m, &job, opts.if_exists, dst, "copy", Some(&plan)).await?;
            (m, created)
        }
    };

    let mut done = target::done_records(&client, &job).await?;
    let keep = match &opts.keep {
        Some(dir) => Some(open_keep(
            dir,
            &manifest,
            &opened.leader.info,
            opts.compression,
        )?),
        None => None,
    };
    if resumed {
        redo_half_done_page_tables(&client, &job, &manifest.tables, &mut done, &*observer).await?;
        observer.event(&Event::Warning {
            message: format!(
                "resuming job {job}: {} chunk(s) were copied from an earlier snapshot; the remaining chunks are read from a new one, so rows changed in between may differ — check with `haul diff` or `haul verify` and catch up",
                done.len()
            ),
        });
    }
    for w in manifest
        .tables
        .iter()
        .flat_map(|t| t.warnings.iter())
        .chain(&opened.skipped)
    {
        observer.event(&Event::Warning { message: w.clone() });
    }
    let mut targets = Vec::with_capacity(manifest.tables.len());
    for t in &manifest.tables {
        let cols = target::target_columns(&client, &t.schema, &t.name).await?;
        let freeze = created.contains(&t.display_name()) && t.chunks.len() == 1;
        targets.push(target_table(t, &cols, freeze)?);
    }
    let progress = Arc::new(Progress::new(manifest.tables.iter().map(|t| {
        (
            t.display_name(),
            t.estimated_rows,
            t.estimated_bytes,
            t.chunks.len() as u64,
        )
    })));
    observer.attach_progress(progress.clone());
    observer.event(&Event::Started {
        command: "copy",
        source: src.to_string(),
        target: dst.to_string(),
        snapshot: Some(opened.leader.info.id.clone()),
        tables: manifest.tables.len(),
        chunks: manifest.chunk_count(),
        chunks_done: done.len(),
        estimated_rows: manifest.tables.iter().map(|t| t.estimated_rows).sum(),
        estimated_bytes: manifest.tables.iter().map(|t| t.estimated_bytes).sum(),
        resumed,
        jobs: opts.jobs,
    });
    let tables = Arc::new(manifest.tables.clone());
    let target_done: HashSet<String> = done.keys().cloned().collect();
    if let Some(k) = &keep {
        // A chunk counts as done only when it is in the target and in the kept dump.
        let missing: Vec<String> = done
            .keys()
            .filter(|c| !k.done.contains(*c))
            .cloned()
            .collect();
        if !missing.is_empty() {
            observer.event(&Event::Warning {
                message: format!(
                    "{} chunk(s) are in the target but not in the kept dump `{}`; they are written there from the new snapshot (the dump may differ from the target for rows changed in between)",
                    missing.len(),
                    k.dir.display()
                ),
            });
        }
        for c in missing {
            done.remove(&c);
        }
    }
    let keep = keep.map(Arc::new);
    let work = CopyWork {
        keep: keep.clone(),
        target_done,
        src: src.clone(),
        dst: dst.clone(),
        snapshot: opened.leader.info.id.clone(),
        job: job.clone(),
        targets,
        batch: opts.batch,
        progress: progress.clone(),
    };
    let outcome = runner::run(
        work,
        tables.clone(),
        done,
        opts.jobs,
        opts.attempts,
        observer.clone(),
        progress,
        cancel.clone(),
    )
    .await;
    opened.leader.finish().await;
    let report = finish_job(
        &client, dst, &manifest, &created, &job, &tables, outcome?, opts.jobs, &*observer, &cancel,
        started,
    )
    .await?;
    if let Some(k) = &keep
        && report.summary.ok
    {
        let mut m = k.manifest.lock().expect("not poisoned").clone();
        m.finished_at = Some(now_utc());
        m.write(&k.dir)?;
    }
    Ok(report)
}

/// ctid page ranges partition the rows of one snapshot only: a table split by pages and half
/// copied is emptied in the target and copied whole from the new snapshot.
async fn redo_half_done_page_tables(
    client: &Client,
    job: &str,
    tables: &[TablePlan],
    done: &mut BTreeMap<String, ChunkRecord>,
    observer: &dyn Observer,
) -> Result<()> {
    for t in tables.iter().filter(|t| t.split == SplitKind::Pages) {
        let n = t.chunks.iter().filter(|c| done.contains_key(&c.id)).count();
        if n == 0 || n == t.chunks.len() {
            continue;
        }
        let name = t.display_name();
        client
            .batch_execute("BEGIN")
            .await
            .map_err(|e| EngineError::pg("starting a transaction", e))?;
        client
            .batch_execute(&format!(
                "TRUNCATE {}",
                crate::pg::qualified(&t.schema, &t.name)
            ))
            .await
            .map_err(|e| EngineError::pg(format!("emptying {name} to copy it again"), e))?;
        client
            .execute(
                "DELETE FROM haul.chunks WHERE job = $1 AND table_name = $2",
                &[&job, &name],
            )
            .await
            .map_err(|e| EngineError::pg("clearing haul.chunks", e))?;
        client
            .batch_execute("COMMIT")
            .await
            .map_err(|e| EngineError::pg("committing", e))?;
        for c in &t.chunks {
            done.remove(&c.id);
        }
        observer.event(&Event::Warning {
            message: format!(
                "{name} is split by ctid pages and was half copied: it is emptied and copied whole from the new snapshot"
            ),
        });
    }
    Ok(())
}

/// The dump `--keep` writes alongside the copy.
struct Keep {
    dir: PathBuf,
    sink: ParquetSink,
    journal: Mutex<Journal>,
    manifest: Mutex<Manifest>,
    /// Chunks the directory already holds.
    done: HashSet<String>,
    snapshot_index: usize,
}

/// Opens (or resumes) the kept dump directory: it must be new, or hold this copy's dump.
fn open_keep(
    dir: &std::path::Path,
    plan: &Manifest,
    snapshot: &crate::manifest::SnapshotInfo,
    compression: ParquetCompression,
) -> Result<Keep> {
    let mut manifest = match prepare(dir, false)? {
        DirState::Fresh => {
            let mut m = plan.clone();
            m.snapshots.clear();
            m.options.compression = compression.to_string();
            m
        }
        DirState::Existing(m) => {
            if m.fingerprint != plan.fingerprint || m.started_at != plan.started_at {
                return Err(EngineError::Directory(format!(
                    "`{}` holds another dump; --keep needs a new or empty directory (or the one this copy started)",
                    dir.display()
                )));
            }
            *m
        }
    };
    manifest.snapshots.push(snapshot.clone());
    manifest.finished_at = None;
    manifest.write(dir)?;
    let (journal, replay) = Journal::open(dir)?;
    let done = replay
        .done
        .into_iter()
        .filter(|(_, r)| std::fs::metadata(dir.join(&r.file)).is_ok_and(|m| m.len() == r.bytes))
        .map(|(id, _)| id)
        .collect();
    Ok(Keep {
        dir: dir.to_path_buf(),
        sink: ParquetSink::new(dir, compression),
        journal: Mutex::new(journal),
        snapshot_index: manifest.snapshots.len() - 1,
        manifest: Mutex::new(manifest),
        done,
    })
}

/// Copying a chunk: the source worker's COPY TO feeds the target's COPY FROM.
struct CopyWork {
    keep: Option<Arc<Keep>>,
    /// Chunks already in the target (with `--keep`, some may still be missing from the dump).
    target_done: HashSet<String>,
    src: PgEndpoint,
    dst: PgEndpoint,
    snapshot: String,
    job: String,
    targets: Vec<TargetTable>,
    batch: BatchLimits,
    progress: Arc<Progress>,
}

impl ChunkWork for CopyWork {
    type Session = (SnapshotWorker, Client);

    async fn attempt(
        &self,
        session: &mut Option<(SnapshotWorker, Client)>,
        table: &TablePlan,
        ci: usize,
    ) -> Result<Receipt> {
        if session.is_none() {
            let worker = SnapshotWorker::open(&self.src, &self.snapshot).await?;
            let client = connect_target(&self.dst).await?;
            *session = Some((worker, client));
        }
        let (worker, client) = session.as_mut().expect("just opened");
        let chunk = &table.chunks[ci];
        let target = self
            .targets
            .iter()
            .find(|t| t.display == table.display_name())
            .expect("a target per table");
        let (tx, rx) = mpsc::channel::<ChunkMsg>(CHANNEL_DEPTH);
        let progress = self.progress.table(&table.display_name());
        let read = async {
            let r = crate::source::pg::read_chunk(
                worker,
                table,
                chunk,
                self.batch,
                &tx,
                progress.as_deref(),
            )
            .await;
            drop(tx);
            r
        };
        let journal = JournalRow {
            job: self.job.clone(),
            chunk: chunk.id.clone(),
            expected: None,
        };
        let Some(keep) = &self.keep else {
            let write = load_chunk(client, target, &table.arrow_schema, &journal, rx, None);
            let (read, write) = tokio::join!(read, write);
            return runner::chunk_outcome(read, write);
        };
        // Tee: every batch to the target (unless it has the chunk) and to the chunk file.
        let to_target = !self.target_done.contains(&chunk.id);
        let (ttx, trx) = mpsc::channel::<ChunkMsg>(CHANNEL_DEPTH);
        let (ftx, frx) = mpsc::channel::<ChunkMsg>(CHANNEL_DEPTH);
        let tee = async move {
            let mut rx = rx;
            while let Some(msg) = rx.recv().await {
                let copy = match &msg {
                    ChunkMsg::Batch(b) => ChunkMsg::Batch(b.clone()),
                    ChunkMsg::End { rows } => ChunkMsg::End { rows: *rows },
                };
                if to_target && ttx.send(copy).await.is_err() {
                    break;
                }
                if ftx.send(msg).await.is_err() {
                    break;
                }
            }
        };
        let load = async {
            if to_target {
                load_chunk(client, target, &table.arrow_schema, &journal, trx, None)
                    .await
                    .map(Some)
            } else {
                drop(trx);
                Ok(None)
            }
        };
        let file = keep.sink.write_chunk(table, chunk, frx);
        let (read, (), load, file) = tokio::join!(read, tee, load, file);
        let (load, file) = match (read, load, file) {
            (_, Ok(l), Ok(f)) => (l, f),
            (Err(re), Err(EngineError::WriterStopped), _)
            | (Err(re), _, Err(EngineError::WriterStopped)) => {
                return Err(re);
            }
            (_, Err(e), _) | (_, _, Err(e)) => return Err(e),
        };
        if let Some(l) = &load
            && l.digest != file.digest
        {
            return Err(EngineError::Other(format!(
                "chunk `{}`: the target received {} and the kept file holds {}; rerun to redo it",
                chunk.id, l.digest, file.digest
            )));
        }
        let rec = ChunkRecord {
            chunk: chunk.id.clone(),
            file: chunk.file.clone(),
            rows: file.rows,
            bytes: file.bytes,
            checksum: file.digest.sum_hex(),
            snapshot: keep.snapshot_index,
            seconds: 0.0,
        };
        let keep = keep.clone();
        tokio::task::spawn_blocking(move || {
            keep.journal
                .lock()
                .expect("not poisoned")
                .append(&JournalEntry::Done(rec))
        })
        .await
        .map_err(|e| EngineError::Other(format!("journal writer failed: {e}")))??;
        Ok(load.unwrap_or(file))
    }
}
