//! `haul copy postgres://SRC postgres://DST`: a dump and a load without the files. The source
//! is read in one snapshot by `--jobs` workers and every chunk streams straight into the
//! target's binary COPY, committed with its journal row in the target (as `load` does), so a
//! rerun resumes. The plan is kept in the target's `haul.loads` row: a resumed copy reads the
//! remaining chunks, by the same ranges, from a new snapshot, and says so.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::mpsc;
use tokio_postgres::Client;
use tokio_util::sync::CancellationToken;
use xxhash_rust::xxh3::xxh3_128;

use crate::dump::{
    Selection, now_utc, open_run, schema_fingerprint, source_fingerprint, summarize,
};
use crate::endpoint::PgEndpoint;
use crate::error::{EngineError, Result};
use crate::events::{Event, Observer, Progress};
use crate::load::{IfExists, LoadReport, connect_target, pre_data, target_table};
use crate::manifest::{ChunkRecord, DumpSettings, FORMAT_VERSION, Fingerprint, Manifest};
use crate::pg::planner::plan_tables;
use crate::pg::snapshot::SnapshotWorker;
use crate::pg::target;
use crate::plan::{SplitKind, TablePlan};
use crate::runner::{self, ChunkWork};
use crate::sink::Receipt;
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
}

impl Default for CopyOptions {
    fn default() -> Self {
        Self {
            selection: Selection::default(),
            jobs: 2,
            if_exists: IfExists::Error,
            attempts: 4,
            batch: BatchLimits::default(),
        }
    }
}

/// The job id of copying this source's selection: the same command against the same target
/// is one job, resumed.
fn job_id(fp: &Fingerprint, settings: &DumpSettings) -> String {
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
            observer.event(&Event::Warning {
                message: format!(
                    "this copy was already done into the target (job {job}, started {}); nothing to do — pass --if-exists replace to copy again",
                    j.started_at
                ),
            });
            return Ok(LoadReport {
                summary: summarize(
                    &[],
                    &BTreeMap::new(),
                    &[],
                    &Default::default(),
                    started.elapsed(),
                    true,
                ),
                already_loaded: true,
                failed_steps: Vec::new(),
                not_recreated: opened.catalog.not_recreated.clone(),
            });
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
            let m = Manifest {
                format: "haul-dump".into(),
                format_version: FORMAT_VERSION,
                tool_version: env!("CARGO_PKG_VERSION").into(),
                source: opened.source.clone(),
                snapshots: vec![opened.leader.info.clone()],
                started_at: now_utc(),
                finished_at: None,
                options: settings,
                fingerprint,
                tables,
                partitioned: opened.catalog.partitioned.clone(),
                enums: opened.catalog.enums.clone(),
                domains: opened.catalog.domains.clone(),
                sequences: opened.catalog.sequences.clone(),
                views: opened.catalog.views.clone(),
                not_recreated: opened.catalog.not_recreated.clone(),
            };
            let plan = serde_json::to_string(&m)
                .map_err(|e| EngineError::Other(format!("serializing the plan: {e}")))?;
            let created =
                pre_data(&client, &m, &job, opts.if_exists, dst, "copy", Some(&plan)).await?;
            (m, created)
        }
    };

    let mut done = done_records(&client, &job).await?;
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
    let work = CopyWork {
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
    let outcome = outcome?;
    let all_done = outcome.failed.is_empty()
        && tables
            .iter()
            .all(|t| t.chunks.iter().all(|c| outcome.done.contains_key(&c.id)));
    let mut failed_steps = Vec::new();
    if all_done {
        target::set_phase(&client, &job, "post").await?;
        failed_steps =
            crate::post::post_data(dst, &manifest, &created, opts.jobs, &*observer, &cancel)
                .await?;
        target::set_phase(&client, &job, "done").await?;
    }
    let summary = summarize(
        &tables,
        &outcome.done,
        &outcome.failed,
        &outcome.timing,
        started.elapsed(),
        all_done,
    );
    observer.event(&Event::Finished(summary.clone()));
    Ok(LoadReport {
        summary,
        already_loaded: false,
        failed_steps,
        not_recreated: manifest.not_recreated.clone(),
    })
}

async fn done_records(client: &Client, job: &str) -> Result<BTreeMap<String, ChunkRecord>> {
    Ok(target::done_chunks(client, job)
        .await?
        .into_iter()
        .map(|(chunk, (rows, checksum))| {
            (
                chunk.clone(),
                ChunkRecord {
                    chunk,
                    file: String::new(),
                    rows,
                    bytes: 0,
                    checksum,
                    snapshot: 0,
                    seconds: 0.0,
                },
            )
        })
        .collect())
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

/// Copying a chunk: the source worker's COPY TO feeds the target's COPY FROM.
struct CopyWork {
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
        let write = load_chunk(client, target, &table.arrow_schema, &journal, rx, None);
        let (read, write) = tokio::join!(read, write);
        match (read, write) {
            (_, Ok(receipt)) => Ok(receipt),
            (Err(re), Err(EngineError::WriterStopped)) => Err(re),
            (_, Err(we)) => Err(we),
        }
    }
}
