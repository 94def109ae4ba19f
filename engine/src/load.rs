//! `haul load DIR postgres://…`: recreate the dump's schema in the target, load every chunk
//! file by binary COPY (each chunk and its journal row in one transaction), then build keys,
//! indexes and constraints in parallel, set sequences, create views, ANALYZE.
//!
//! ```text
//! pre-data (one transaction + haul.loads row, phase `data`)
//!   └─► chunks (--jobs workers; haul.chunks row per chunk; resume skips recorded chunks)
//!         └─► post-data (phase `post`; each step skipped if already there) ─► phase `done`
//! ```

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use haul_formats::pgcopy::encode::PgEncodeColumn;
use haul_formats::pgtypes::{PgKind, ReadAs};
use tokio::sync::mpsc;
use tokio_postgres::Client;
use tokio_util::sync::CancellationToken;
use xxhash_rust::xxh3::xxh3_128;

use crate::dump::summarize;
use crate::endpoint::PgEndpoint;
use crate::error::{EngineError, Result};
use crate::events::{Event, Observer, Progress, RunSummary};
use crate::manifest::{ChunkRecord, Journal, Manifest};
use crate::mysql::from_pg::NumericAs;
use crate::pg::ddl;
use crate::pg::quote_ident;
use crate::pg::target::{self, TargetColumn};
use crate::plan::TablePlan;
use crate::post::{self, StepFailure};
use crate::runner::{self, ChunkWork, RunOutcome};
use crate::sink::Receipt;
use crate::sink::pg::{JournalRow, TargetTable, load_chunk};
use crate::source::{CHANNEL_DEPTH, ChunkMsg};

/// What to do with target tables that already exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IfExists {
    /// Stop with an error naming them; nothing is changed.
    #[default]
    Error,
    /// Empty them, keep their definition (columns must match), load into them.
    Truncate,
    /// Load into them as they are (columns must match).
    Append,
    /// Drop them (and the dump's views over them) and create them from the dump.
    Replace,
}

/// `haul load` options.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub jobs: usize,
    pub if_exists: IfExists,
    /// Load an unfinished dump's recorded chunks only.
    pub partial: bool,
    /// Attempts per chunk (retryable errors only).
    pub attempts: u32,
    /// A PostgreSQL dump into MySQL: what unconstrained numerics become.
    pub numeric_as: NumericAs,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            jobs: 4,
            if_exists: IfExists::Error,
            partial: false,
            attempts: 4,
            numeric_as: NumericAs::Decimal,
        }
    }
}

/// What a load did.
#[derive(Debug, Clone)]
pub struct LoadReport {
    pub summary: RunSummary,
    /// The target had already finished this exact load; nothing was done.
    pub already_loaded: bool,
    /// Post-data steps that failed (index, constraint, view…), each with its error.
    pub failed_steps: Vec<StepFailure>,
    /// What the dump recorded that haul does not recreate (triggers, functions, grants, …).
    pub not_recreated: Vec<String>,
}

impl LoadReport {
    /// The report of a run that found its job already done: says so, does nothing.
    pub(crate) fn nothing_to_do(
        what: &str,
        observer: &dyn Observer,
        not_recreated: Vec<String>,
        started: Instant,
    ) -> Self {
        observer.event(&Event::Warning {
            message: format!("{what}; nothing to do — pass --if-exists replace to do it again"),
        });
        Self {
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
            not_recreated,
        }
    }

    /// True when every chunk loaded and every post-data step succeeded.
    pub fn ok(&self) -> bool {
        self.summary.ok && self.failed_steps.is_empty()
    }
}

/// What a rerun does with a job the target already has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rerun {
    /// Finished, and the run does not ask to redo it: report and do nothing.
    AlreadyDone,
    /// Forget the job and start over: it finished and `replace`/`truncate` asks to redo it, or
    /// it did not finish and resuming would skip the replacing or emptying of the tables.
    StartOver,
    /// Unfinished: carry on where it stopped.
    Resume,
}

/// The rule for a job in `phase` run again with `if_exists`.
pub(crate) fn rerun(phase: &str, if_exists: IfExists) -> Rerun {
    let again = matches!(if_exists, IfExists::Replace | IfExists::Truncate);
    match (phase == "done", again) {
        (true, false) => Rerun::AlreadyDone,
        (_, true) => Rerun::StartOver,
        (false, false) => Rerun::Resume,
    }
}

/// The warning for an unfinished job that `replace`/`truncate` starts over.
pub(crate) fn start_over_warning(job: &str) -> Event {
    Event::Warning {
        message: format!("job {job} did not finish; --if-exists replace/truncate starts it over"),
    }
}

/// Announces a load from a dump directory (progress by the dump's recorded rows, the resume
/// warning) and returns its progress.
#[allow(clippy::too_many_arguments)]
pub(crate) fn announce_load(
    observer: &dyn Observer,
    dir: &Path,
    target: String,
    manifest: &Manifest,
    tables: &[TablePlan],
    done: &BTreeMap<String, ChunkRecord>,
    replay: &crate::manifest::Replay,
    resumed: bool,
    jobs: usize,
    job: &str,
) -> Arc<Progress> {
    let rows_of = |t: &TablePlan| -> u64 {
        t.chunks
            .iter()
            .filter_map(|c| replay.done.get(&c.id))
            .map(|r| r.rows)
            .sum()
    };
    let progress = runner::announce(
        observer,
        tables,
        done,
        runner::Announce {
            command: "load",
            source: dir.display().to_string(),
            target,
            snapshot: manifest.snapshots.first().map(|s| s.id.clone()),
            resumed,
            jobs,
            rows: &rows_of,
        },
    );
    if resumed && !done.is_empty() {
        observer.event(&Event::Warning {
            message: format!(
                "resuming job {job}: {} chunk(s) are already in the target and are skipped",
                done.len()
            ),
        });
    }
    progress
}

/// What the dump's journal recorded per chunk, `(rows, checksum)`, checked before each commit.
pub(crate) fn expected_digests(
    replay: &crate::manifest::Replay,
) -> BTreeMap<String, (u64, String)> {
    replay
        .done
        .iter()
        .map(|(k, r)| (k.clone(), (r.rows, r.checksum.clone())))
        .collect()
}

/// The job id of loading this dump: the same dump into the same target is one job, resumed.
pub fn job_id(m: &Manifest) -> String {
    let id = format!(
        "{}|{}|{}",
        m.fingerprint.source, m.fingerprint.schema, m.started_at
    );
    format!("load-{:032x}", xxh3_128(id.as_bytes()))
}

/// Session settings of a loading connection: commits need not wait for the WAL flush (a
/// crash loses at most the last commits, which resume redoes), and index builds get memory.
pub(crate) const LOAD_SETTINGS: &str = "SET synchronous_commit = off; \
     SET maintenance_work_mem = '512MB'; \
     SET max_parallel_maintenance_workers = 0;";

/// Opens a target connection with haul's session settings plus the load's.
pub(crate) async fn connect_target(dst: &PgEndpoint) -> Result<Client> {
    let client = crate::pg::conn::connect(dst).await?;
    client
        .batch_execute(LOAD_SETTINGS)
        .await
        .map_err(|e| EngineError::pg("setting up a loading session", e))?;
    Ok(client)
}

/// Loads the dump in `dir` into `dst`.
pub async fn load(
    dir: &Path,
    dst: &PgEndpoint,
    opts: &LoadOptions,
    observer: Arc<dyn Observer>,
    cancel: CancellationToken,
) -> Result<LoadReport> {
    let started = Instant::now();
    let manifest = Manifest::read(dir)?;
    // A MySQL dump: its PostgreSQL definition (types, keys, identities) and data conversions.
    let from_mysql = manifest.source.engine == "mysql";
    let manifest = if from_mysql {
        crate::mysql::to_pg::pg_manifest(&manifest)?
    } else {
        manifest
    };
    let replay = Journal::replay(dir)?;
    let tables = loadable_tables(&manifest, &replay.done, opts.partial, &*observer)?;

    let client = tokio::select! {
        c = connect_target(dst) => c?,
        _ = cancel.cancelled() => return Err(EngineError::Interrupted),
    };
    target::ensure_journal(&client).await?;
    let job = job_id(&manifest);
    let mut existing_job = target::find_job(&client, &job).await?;
    if let Some(j) = &existing_job {
        match rerun(&j.phase, opts.if_exists) {
            Rerun::AlreadyDone => {
                return Ok(LoadReport::nothing_to_do(
                    &format!(
                        "this dump was already loaded into the target (job {job}, started {})",
                        j.started_at
                    ),
                    &*observer,
                    manifest.not_recreated.clone(),
                    started,
                ));
            }
            Rerun::StartOver => {
                if j.phase != "done" {
                    observer.event(&start_over_warning(&job));
                }
                target::forget_job(&client, &job).await?;
                existing_job = None;
            }
            Rerun::Resume => {}
        }
    }
    let resumed = existing_job.is_some();
    let created: HashSet<String> = match existing_job {
        Some(j) => j.created.into_iter().collect(),
        None => pre_data(&client, &manifest, &job, opts.if_exists, dst, "load", None).await?,
    };

    // Data.
    let done = target::done_records(&client, &job).await?;
    let mut targets = Vec::with_capacity(tables.len());
    for t in tables.iter() {
        let cols = target::target_columns(&client, &t.schema, &t.name).await?;
        let freeze = created.contains(&t.display_name()) && t.chunks.len() == 1;
        let mut tt = target_table(t, &cols, freeze)?;
        if from_mysql {
            let pg = crate::mysql::to_pg::pg_schema(t);
            tt.convert =
                Some(Arc::new(pg.project(&tt.send).map_err(|e| {
                    EngineError::Other(format!("{}: {e}", t.display_name()))
                })?));
        }
        targets.push(tt);
    }
    let progress = announce_load(
        &*observer,
        dir,
        dst.to_string(),
        &manifest,
        &tables,
        &done,
        &replay,
        resumed,
        opts.jobs,
        &job,
    );
    let tables = Arc::new(tables);
    let work = LoadWork {
        dir: dir.to_path_buf(),
        dst: dst.clone(),
        job: job.clone(),
        targets,
        expected: expected_digests(&replay),
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
    .await?;
    finish_job(
        &client, dst, &manifest, &created, &job, &tables, outcome, opts.jobs, &*observer, &cancel,
        started,
    )
    .await
}

/// After the chunks: when every one is in, the post-data (phase `post`, then `done`); then
/// the summary and the report.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn finish_job(
    client: &Client,
    dst: &PgEndpoint,
    manifest: &Manifest,
    created: &HashSet<String>,
    job: &str,
    tables: &[TablePlan],
    outcome: RunOutcome,
    jobs: usize,
    observer: &dyn Observer,
    cancel: &CancellationToken,
    started: Instant,
) -> Result<LoadReport> {
    let all_done = outcome.failed.is_empty()
        && tables
            .iter()
            .all(|t| t.chunks.iter().all(|c| outcome.done.contains_key(&c.id)));
    let mut failed_steps = Vec::new();
    if all_done {
        target::set_phase(client, job, "post").await?;
        failed_steps = post::post_data(dst, manifest, created, jobs, observer, cancel).await?;
        if failed_steps.is_empty() {
            target::set_phase(client, job, "done").await?;
        } else {
            // The job stays in `post`: a rerun skips what exists and retries what failed.
            observer.event(&Event::Warning {
                message: format!(
                    "{} step(s) after the rows failed; fix the cause and rerun the same command to retry them (the rows are all in and are not loaded again)",
                    failed_steps.len()
                ),
            });
        }
    }
    let summary = summarize(
        tables,
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

/// The tables and chunks to load: all of them from a finished dump; from an unfinished one,
/// only with `--partial`, and then only its recorded chunks.
pub(crate) fn loadable_tables(
    m: &Manifest,
    recorded: &BTreeMap<String, ChunkRecord>,
    partial: bool,
    observer: &dyn Observer,
) -> Result<Vec<TablePlan>> {
    let missing: Vec<&str> = m
        .tables
        .iter()
        .flat_map(|t| t.chunks.iter())
        .filter(|c| !recorded.contains_key(&c.id))
        .map(|c| c.id.as_str())
        .collect();
    if missing.is_empty() {
        return Ok(m.tables.clone());
    }
    if !partial {
        return Err(EngineError::Directory(format!(
            "the dump is incomplete: {} of {} chunks were never recorded (first: `{}`); finish it by rerunning `haul dump` with the same arguments, or pass --partial to load only the recorded chunks",
            missing.len(),
            m.chunk_count(),
            missing[0]
        )));
    }
    observer.event(&Event::Warning {
        message: format!(
            "--partial: {} chunk(s) of the dump were never recorded and are not loaded (first: `{}`); the target will miss their rows",
            missing.len(),
            missing[0]
        ),
    });
    Ok(m.tables
        .iter()
        .map(|t| {
            let mut t = t.clone();
            t.chunks.retain(|c| recorded.contains_key(&c.id));
            t
        })
        .collect())
}

/// Checks the target's columns against the dump's and describes how to send each chunk.
pub(crate) fn target_table(
    t: &TablePlan,
    cols: &[TargetColumn],
    freeze: bool,
) -> Result<TargetTable> {
    let name = t.display_name();
    let mut send = Vec::new();
    let mut encode = Vec::new();
    let mut described = Vec::new();
    for (i, (c, ddl)) in t.columns.iter().zip(&t.ddl.columns).enumerate() {
        let Some(tc) = cols.iter().find(|tc| tc.name == c.name) else {
            return Err(EngineError::Target(format!(
                "{name}: the target table has no column `{}` (the dump has it as {}); use --if-exists replace to recreate the table",
                c.name, ddl.pg_type
            )));
        };
        if tc.type_display != ddl.pg_type {
            return Err(EngineError::Target(format!(
                "{name}: column `{}` is {} in the dump but {} in the target; binary COPY needs the exact type — use --if-exists replace to recreate the table",
                c.name, ddl.pg_type, tc.type_display
            )));
        }
        if tc.generated {
            continue;
        }
        let text = c.read_as != ReadAs::Native;
        send.push(i);
        encode.push(PgEncodeColumn {
            name: c.name.clone(),
            kind: if text { PgKind::Text } else { c.kind.clone() },
            element_oid: tc.element_oid,
        });
        described.push((c.name.clone(), tc.type_display.clone(), text));
    }
    if let Some(extra) = cols.iter().find(|tc| {
        !t.columns.iter().any(|c| c.name == tc.name)
            && tc.not_null
            && !tc.has_default
            && !tc.identity
            && !tc.generated
    }) {
        return Err(EngineError::Target(format!(
            "{name}: the target table has a NOT NULL column `{}` without a default that the dump does not have; use --if-exists replace to recreate the table",
            extra.name
        )));
    }
    Ok(TargetTable::new(
        &t.schema, &t.name, send, encode, &described, freeze,
    ))
}

/// Creates what the target lacks, in one transaction with the job's row. Returns the
/// relations this load created (`schema.table`).
pub(crate) async fn pre_data(
    client: &Client,
    m: &Manifest,
    job: &str,
    if_exists: IfExists,
    dst: &PgEndpoint,
    command: &str,
    plan: Option<&str>,
) -> Result<HashSet<String>> {
    let relations = ddl::tables_in_order(m);
    let names: Vec<(String, String)> = relations
        .iter()
        .map(|t| (t.schema.to_string(), t.name.to_string()))
        .collect();
    let existing = target::existing_tables(client, &names).await?;
    let mut existing_names: Vec<String> = relations
        .iter()
        .filter(|t| existing.contains(&(t.schema.to_string(), t.name.to_string())))
        .map(|t| t.display())
        .collect();
    if !existing_names.is_empty() && if_exists == IfExists::Error {
        let n = existing_names.len();
        existing_names.truncate(10);
        return Err(EngineError::Target(format!(
            "the target {dst} already has {n} of the dump's tables ({}{}); nothing was changed — choose --if-exists truncate|append|replace",
            existing_names.join(", "),
            if n > 10 { ", …" } else { "" }
        )));
    }

    if matches!(if_exists, IfExists::Append | IfExists::Truncate) {
        // Rows go into the existing tables as they are: check them before changing anything.
        for t in m
            .tables
            .iter()
            .filter(|t| existing.contains(&(t.schema.clone(), t.name.clone())))
        {
            let cols = target::target_columns(client, &t.schema, &t.name).await?;
            target_table(t, &cols, false)?;
        }
    }

    let run = |sql: String, what: String| async move {
        client.batch_execute(&sql).await.map_err(|e| {
            EngineError::Target(format!(
                "{what}: {}; nothing was changed",
                crate::error::pg_message(&e)
            ))
        })
    };
    client
        .batch_execute("BEGIN")
        .await
        .map_err(|e| EngineError::pg("starting the schema transaction", e))?;
    let mut recreate: HashSet<(String, String)> = HashSet::new();
    match if_exists {
        IfExists::Replace if !existing.is_empty() => {
            for v in &m.views {
                run(
                    ddl::drop_view(v),
                    format!("dropping view {}.{}", v.schema, v.name),
                )
                .await?;
            }
            let list: Vec<String> = relations
                .iter()
                .filter(|t| existing.contains(&(t.schema.to_string(), t.name.to_string())))
                .map(|t| t.qualified())
                .collect();
            run(
                format!("DROP TABLE IF EXISTS {}", list.join(", ")),
                "dropping the tables to replace (other objects depend on them: drop those first)"
                    .to_string(),
            )
            .await?;
            recreate = existing.clone();
        }
        IfExists::Truncate if !existing.is_empty() => {
            let list: Vec<String> = relations
                .iter()
                .filter(|t| existing.contains(&(t.schema.to_string(), t.name.to_string())))
                .map(|t| t.qualified())
                .collect();
            run(
                format!("TRUNCATE {}", list.join(", ")),
                "truncating the existing tables".to_string(),
            )
            .await?;
        }
        _ => {}
    }
    let is_new = |schema: &str, name: &str| {
        let k = (schema.to_string(), name.to_string());
        !existing.contains(&k) || recreate.contains(&k)
    };

    for s in ddl::schemas(m) {
        run(
            format!("CREATE SCHEMA IF NOT EXISTS {}", quote_ident(&s)),
            format!("creating schema {s}"),
        )
        .await?;
    }
    let types = existing_types(client, m).await?;
    for e in &m.enums {
        if !types.contains(&(e.schema.clone(), e.name.clone())) {
            run(
                ddl::create_enum(&e.schema, &e.name, &e.labels),
                format!("creating enum type {}.{}", e.schema, e.name),
            )
            .await?;
        }
    }
    // Domains may be built on each other: retry until no progress.
    let mut pending: Vec<_> = m
        .domains
        .iter()
        .filter(|d| !types.contains(&(d.schema.clone(), d.name.clone())))
        .collect();
    while !pending.is_empty() {
        let mut rest = Vec::new();
        let mut last_err = None;
        for d in &pending {
            client
                .batch_execute("SAVEPOINT haul_domain")
                .await
                .map_err(|e| EngineError::pg("creating a savepoint", e))?;
            match client.batch_execute(&ddl::create_domain(d)).await {
                Ok(()) => {}
                Err(e) => {
                    client
                        .batch_execute("ROLLBACK TO SAVEPOINT haul_domain")
                        .await
                        .map_err(|e| EngineError::pg("rolling back a savepoint", e))?;
                    last_err = Some(format!(
                        "creating domain {}.{}: {}; nothing was changed",
                        d.schema,
                        d.name,
                        crate::error::pg_message(&e)
                    ));
                    rest.push(*d);
                }
            }
        }
        if rest.len() == pending.len() {
            return Err(EngineError::Target(last_err.unwrap_or_default()));
        }
        pending = rest;
    }
    let sequences = existing_sequences(client, m).await?;
    for s in m.sequences.iter().filter(|s| !s.identity) {
        if !sequences.contains(&(s.schema.clone(), s.name.clone())) {
            run(
                ddl::create_sequence(s),
                format!("creating sequence {}.{}", s.schema, s.name),
            )
            .await?;
        }
    }
    let mut created = HashSet::new();
    for t in &relations {
        if !is_new(t.schema, t.name) {
            continue;
        }
        run(
            ddl::create_table(t, &m.sequences),
            format!("creating table {}", t.display()),
        )
        .await?;
        created.insert(t.display());
    }
    for s in &m.sequences {
        let owner_created = s
            .owned_by
            .as_ref()
            .is_some_and(|(sch, tab, _)| created.contains(&format!("{sch}.{tab}")));
        if owner_created && let Some(sql) = ddl::sequence_owned_by(s) {
            run(
                sql,
                format!("setting the owner of sequence {}.{}", s.schema, s.name),
            )
            .await?;
        }
    }
    let created_list: Vec<String> = created.iter().cloned().collect();
    client
        .execute(
            "INSERT INTO haul.loads (job, command, source, phase, created, plan) VALUES ($1, $2, $3, 'data', $4, $5)",
            &[&job, &command, &m.source.url, &created_list, &plan],
        )
        .await
        .map_err(|e| EngineError::pg("recording the load job in haul.loads", e))?;
    client
        .batch_execute("COMMIT")
        .await
        .map_err(|e| EngineError::pg("committing the schema", e))?;
    Ok(created)
}

async fn existing_types(client: &Client, m: &Manifest) -> Result<HashSet<(String, String)>> {
    let names: Vec<(String, String)> = m
        .enums
        .iter()
        .map(|e| (e.schema.clone(), e.name.clone()))
        .chain(m.domains.iter().map(|d| (d.schema.clone(), d.name.clone())))
        .collect();
    existing_in(
        client,
        "pg_catalog.pg_type",
        "typnamespace",
        "typname",
        &names,
    )
    .await
}

async fn existing_sequences(client: &Client, m: &Manifest) -> Result<HashSet<(String, String)>> {
    let names: Vec<(String, String)> = m
        .sequences
        .iter()
        .map(|s| (s.schema.clone(), s.name.clone()))
        .collect();
    existing_in(
        client,
        "pg_catalog.pg_class",
        "relnamespace",
        "relname",
        &names,
    )
    .await
}

async fn existing_in(
    client: &Client,
    catalog: &str,
    ns_col: &str,
    name_col: &str,
    names: &[(String, String)],
) -> Result<HashSet<(String, String)>> {
    if names.is_empty() {
        return Ok(HashSet::new());
    }
    let schemas: Vec<&str> = names.iter().map(|n| n.0.as_str()).collect();
    let rels: Vec<&str> = names.iter().map(|n| n.1.as_str()).collect();
    let rows = client
        .query(
            &format!(
                "SELECT n.nspname::text, x.{name_col}::text FROM {catalog} x \
                   JOIN pg_catalog.pg_namespace n ON n.oid = x.{ns_col} \
                   JOIN unnest($1::text[], $2::text[]) AS w(s, t) ON n.nspname = w.s AND x.{name_col} = w.t"
            ),
            &[&schemas, &rels],
        )
        .await
        .map_err(|e| EngineError::pg("reading the target's catalog", e))?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// Loading chunk files: a reader thread per chunk feeding the worker's COPY.
struct LoadWork {
    dir: std::path::PathBuf,
    dst: PgEndpoint,
    job: String,
    targets: Vec<TargetTable>,
    expected: BTreeMap<String, (u64, String)>,
    progress: Arc<Progress>,
}

impl ChunkWork for LoadWork {
    type Session = Client;

    async fn attempt(
        &self,
        session: &mut Option<Client>,
        table: &TablePlan,
        ci: usize,
    ) -> Result<Receipt> {
        if session.is_none() {
            *session = Some(connect_target(&self.dst).await?);
        }
        let client = session.as_ref().expect("just opened");
        let chunk = &table.chunks[ci];
        let ti = self
            .targets
            .iter()
            .position(|t| t.display == table.display_name())
            .expect("a target per table");
        let (tx, rx) = mpsc::channel::<ChunkMsg>(CHANNEL_DEPTH);
        let read = crate::source::parquet::read_chunk_file(self.dir.join(&chunk.file), table, tx);
        let journal = JournalRow {
            job: self.job.clone(),
            chunk: chunk.id.clone(),
            expected: self.expected.get(&chunk.id).cloned(),
        };
        let progress = self.progress.table(&table.display_name());
        let write = load_chunk(
            client,
            &self.targets[ti],
            &table.arrow_schema,
            &journal,
            rx,
            progress.as_deref(),
        );
        let (read, write) = tokio::join!(read, write);
        runner::chunk_outcome(read, write)
    }
}

#[cfg(test)]
mod rerun_tests {
    use super::*;

    #[test]
    fn reruns_follow_the_if_exists_mode() {
        assert_eq!(rerun("done", IfExists::Error), Rerun::AlreadyDone);
        assert_eq!(rerun("done", IfExists::Append), Rerun::AlreadyDone);
        assert_eq!(rerun("done", IfExists::Replace), Rerun::StartOver);
        assert_eq!(rerun("data", IfExists::Truncate), Rerun::StartOver);
        assert_eq!(rerun("data", IfExists::Error), Rerun::Resume);
        assert_eq!(rerun("post", IfExists::Append), Rerun::Resume);
    }
}
