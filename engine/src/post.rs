//! Post-data of a load: what is built after the rows are in, on `--jobs` connections.
//!
//! 1. primary keys, unique and exclusion constraints, secondary indexes (in parallel);
//! 2. foreign keys, `NOT VALID` then `VALIDATE` (in parallel; they need step 1's keys);
//! 3. sequence values, views (retried until no progress, for views over views);
//! 4. `ANALYZE` of every loaded table (in parallel).
//!
//! Each step is skipped when its object is already there, so a resumed load picks up where
//! it stopped. A failing step does not stop the others: it is reported with its error.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::endpoint::PgEndpoint;
use crate::error::{EngineError, Result, pg_message};
use crate::events::{Event, Observer};
use crate::load::connect_target;
use crate::manifest::Manifest;
use crate::pg::ddl::{self, Existing, Step};
use crate::pg::{qualified, target};

/// A post-data step that failed.
#[derive(Debug, Clone, Serialize)]
pub struct StepFailure {
    pub what: String,
    pub error: String,
}

/// Runs the post-data of `m` for the relations in `created` (`schema.table`).
pub async fn post_data(
    dst: &PgEndpoint,
    m: &Manifest,
    created: &HashSet<String>,
    jobs: usize,
    observer: &dyn Observer,
    cancel: &CancellationToken,
) -> Result<Vec<StepFailure>> {
    let relations: Vec<_> = ddl::tables_in_order(m)
        .into_iter()
        .filter(|t| created.contains(&t.display()))
        .collect();
    let mut failures = Vec::new();
    let index_steps: Vec<Step> = relations.iter().flat_map(ddl::index_steps).collect();
    failures.extend(run_steps(dst, index_steps, jobs, observer, cancel).await?);
    let fk_steps: Vec<Step> = relations.iter().flat_map(ddl::foreign_key_steps).collect();
    failures.extend(run_steps(dst, fk_steps, jobs, observer, cancel).await?);

    let client = connect_target(dst).await?;
    for s in &m.sequences {
        let ours = match &s.owned_by {
            Some((sch, tab, _)) => created.contains(&format!("{sch}.{tab}")),
            None => true,
        };
        if !ours {
            continue;
        }
        if let Err(e) = client.batch_execute(&ddl::set_sequence_value(s)).await {
            failures.push(failed(
                observer,
                format!("value of sequence {}.{}", s.schema, s.name),
                pg_message(&e),
            ));
        }
    }
    failures.extend(create_views(&client, m, observer).await?);

    let analyze: Vec<Step> = relations
        .iter()
        .map(|t| Step {
            what: format!("statistics of {}", t.display()),
            exists: Existing::Never,
            sql: vec![format!("ANALYZE {}", t.qualified())],
        })
        .collect();
    failures.extend(run_steps(dst, analyze, jobs, observer, cancel).await?);
    Ok(failures)
}

fn failed(observer: &dyn Observer, what: String, error: String) -> StepFailure {
    observer.event(&Event::StepFailed {
        what: what.clone(),
        error: error.clone(),
    });
    StepFailure { what, error }
}

/// Views in dependency order: create what can be created, retry the rest while that makes
/// progress; a view over a table that was not loaded ends up reported.
async fn create_views(
    client: &tokio_postgres::Client,
    m: &Manifest,
    observer: &dyn Observer,
) -> Result<Vec<StepFailure>> {
    let names: Vec<(String, String)> = m
        .views
        .iter()
        .map(|v| (v.schema.clone(), v.name.clone()))
        .collect();
    let existing = target::existing_tables(client, &names).await?;
    let mut pending: Vec<_> = m
        .views
        .iter()
        .filter(|v| !existing.contains(&(v.schema.clone(), v.name.clone())))
        .collect();
    loop {
        let mut rest = Vec::new();
        let mut errors = Vec::new();
        for v in &pending {
            let t0 = Instant::now();
            match client.batch_execute(&ddl::create_view(v)).await {
                Ok(()) => observer.event(&Event::StepDone {
                    what: format!("view {}", qualified(&v.schema, &v.name)),
                    seconds: t0.elapsed().as_secs_f64(),
                }),
                Err(e) => {
                    errors.push(pg_message(&e));
                    rest.push(*v);
                }
            }
        }
        if rest.is_empty() {
            return Ok(Vec::new());
        }
        if rest.len() == pending.len() {
            return Ok(rest
                .iter()
                .zip(errors)
                .map(|(v, e)| {
                    let kind = if v.materialized {
                        "materialized view"
                    } else {
                        "view"
                    };
                    failed(observer, format!("{kind} {}.{}", v.schema, v.name), e)
                })
                .collect());
        }
        pending = rest;
    }
}

/// A step's name and its seconds or error.
type StepResult = (String, std::result::Result<f64, String>);

/// Runs `steps` on up to `jobs` connections; returns the failures.
async fn run_steps(
    dst: &PgEndpoint,
    steps: Vec<Step>,
    jobs: usize,
    observer: &dyn Observer,
    cancel: &CancellationToken,
) -> Result<Vec<StepFailure>> {
    if steps.is_empty() {
        return Ok(Vec::new());
    }
    let workers = jobs.max(1).min(steps.len());
    let queue = Arc::new(Mutex::new(steps.into_iter().collect::<VecDeque<_>>()));
    let results: Arc<Mutex<Vec<StepResult>>> = Arc::new(Mutex::new(Vec::new()));
    let mut handles = Vec::new();
    for _ in 0..workers {
        let queue = queue.clone();
        let results = results.clone();
        let dst = dst.clone();
        let cancel = cancel.clone();
        handles.push(tokio::spawn(async move {
            let client = connect_target(&dst).await?;
            loop {
                if cancel.is_cancelled() {
                    return Err(EngineError::Interrupted);
                }
                let Some(step) = queue.lock().expect("not poisoned").pop_front() else {
                    return Ok(());
                };
                let t0 = Instant::now();
                let r = tokio::select! {
                    r = run_step(&client, &step) => r,
                    _ = cancel.cancelled() => return Err(EngineError::Interrupted),
                };
                let r = r.map(|()| t0.elapsed().as_secs_f64());
                results.lock().expect("not poisoned").push((step.what, r));
            }
        }));
    }
    let mut fatal = None;
    for h in handles {
        match h.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => fatal = fatal.or(Some(e)),
            Err(e) => fatal = fatal.or(Some(EngineError::Other(format!("a worker failed: {e}")))),
        }
    }
    if let Some(e) = fatal {
        return Err(e);
    }
    let results = std::mem::take(&mut *results.lock().expect("not poisoned"));
    let mut failures = Vec::new();
    for (what, r) in results {
        match r {
            Ok(seconds) => observer.event(&Event::StepDone { what, seconds }),
            Err(error) => failures.push(failed(observer, what, error)),
        }
    }
    Ok(failures)
}

/// One step: skipped when its object exists; statements in order, an object that already
/// exists (a step cut short by a crash) is taken as done.
async fn run_step(client: &tokio_postgres::Client, step: &Step) -> std::result::Result<(), String> {
    if target::exists(client, &step.exists)
        .await
        .map_err(|e| e.to_string())?
    {
        return Ok(());
    }
    for sql in &step.sql {
        if let Err(e) = client.batch_execute(sql).await {
            let code = e.code().map(|c| c.code().to_string()).unwrap_or_default();
            if code == "42P07" || code == "42710" {
                continue;
            }
            return Err(pg_message(&e));
        }
    }
    Ok(())
}
