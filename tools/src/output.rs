//! Turning engine events into output: JSON Lines on stdout (`--json`), or progress bars on a
//! terminal's stderr plus a summary on stdout.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use haul_engine::events::{Event, Observer, Progress, RunSummary};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

/// Writes one JSON Lines envelope to stdout.
pub fn json_line<T: Serialize>(kind: &str, data: &T) {
    #[derive(Serialize)]
    struct Envelope<'a, T> {
        #[serde(rename = "type")]
        kind: &'a str,
        data: &'a T,
    }
    let mut out = std::io::stdout().lock();
    if let Ok(s) = serde_json::to_string(&Envelope { kind, data }) {
        let _ = writeln!(out, "{s}");
        let _ = out.flush();
    }
}

/// `--json`: every event as a line, plus a `progress` line every second from a ticker.
#[derive(Debug, Default)]
pub struct JsonObserver {
    progress: OnceLock<Arc<Progress>>,
}

impl Observer for JsonObserver {
    fn event(&self, event: &Event) {
        let mut out = std::io::stdout().lock();
        if let Ok(s) = serde_json::to_string(event) {
            let _ = writeln!(out, "{s}");
            let _ = out.flush();
        }
    }

    fn attach_progress(&self, progress: Arc<Progress>) {
        let _ = self.progress.set(progress);
    }
}

impl JsonObserver {
    /// Emits one `progress` line (totals and per-table rows/bytes so far in this run).
    pub fn tick(&self) {
        let Some(p) = self.progress.get() else { return };
        #[derive(Serialize)]
        struct TableLine<'a> {
            table: &'a str,
            rows: u64,
            bytes: u64,
            chunks_done: u64,
            chunks: u64,
        }
        let tables: Vec<TableLine> = p
            .tables()
            .filter(|(_, t)| t.rows.load(Ordering::Relaxed) > 0)
            .map(|(name, t)| TableLine {
                table: name,
                rows: t.rows.load(Ordering::Relaxed),
                bytes: t.bytes.load(Ordering::Relaxed),
                chunks_done: t.chunks_done.load(Ordering::Relaxed),
                chunks: t.chunks_total.load(Ordering::Relaxed),
            })
            .collect();
        let rows = tables.iter().map(|t| t.rows).sum::<u64>();
        let bytes = tables.iter().map(|t| t.bytes).sum::<u64>();
        json_line(
            "progress",
            &serde_json::json!({ "rows": rows, "bytes": bytes, "tables": tables }),
        );
    }
}

/// Text mode: bars on stderr when it is a terminal (not with `--quiet`), warnings and failures
/// on stderr, per-table completion lines.
#[derive(Debug)]
pub struct HumanObserver {
    quiet: bool,
    multi: Option<MultiProgress>,
    state: Mutex<BarState>,
    progress: OnceLock<Arc<Progress>>,
}

#[derive(Debug, Default)]
struct BarState {
    overall: Option<ProgressBar>,
    tables: HashMap<String, ProgressBar>,
    /// Last (time, rows, bytes) sample per bar ("" for the overall one), for rates.
    last: HashMap<String, (Instant, u64, u64)>,
}

impl BarState {
    /// Rows/s and bytes/s since the previous sample of `key`, at most every half second.
    fn rate(&mut self, key: &str, rows: u64, bytes: u64) -> Option<(f64, f64)> {
        let now = Instant::now();
        match self.last.get(key) {
            Some((t0, r0, b0)) if now.duration_since(*t0) >= Duration::from_millis(500) => {
                let dt = now.duration_since(*t0).as_secs_f64();
                let rate = (
                    rows.saturating_sub(*r0) as f64 / dt,
                    bytes.saturating_sub(*b0) as f64 / dt,
                );
                self.last.insert(key.to_string(), (now, rows, bytes));
                Some(rate)
            }
            Some(_) => None,
            None => {
                self.last.insert(key.to_string(), (now, rows, bytes));
                None
            }
        }
    }
}

fn rate_message((rows, bytes): (f64, f64)) -> String {
    format!(
        "{} rows/s, {}/s",
        human_count(rows as u64),
        human_bytes(bytes as u64)
    )
}

impl HumanObserver {
    /// Bars only on an interactive stderr, never when quiet.
    pub fn new(quiet: bool) -> Self {
        let multi = (!quiet && std::io::stderr().is_terminal())
            .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(8)));
        Self {
            quiet,
            multi,
            state: Mutex::new(BarState::default()),
            progress: OnceLock::new(),
        }
    }

    fn say(&self, line: &str) {
        match &self.multi {
            Some(m) => {
                let _ = m.println(line);
            }
            None => eprintln!("{line}"),
        }
    }

    /// Refreshes the bars from the live counters (called by a ticker).
    pub fn tick(&self) {
        let (Some(_), Some(p)) = (&self.multi, self.progress.get()) else {
            return;
        };
        let mut st = self.state.lock().expect("not poisoned");
        let mut rows = 0;
        let mut bytes = 0;
        for (name, t) in p.tables() {
            let r = t.rows.load(Ordering::Relaxed);
            let b = t.bytes.load(Ordering::Relaxed);
            rows += r;
            bytes += b;
            if let Some(bar) = st.tables.get(name).cloned() {
                let est = t.estimated_rows.load(Ordering::Relaxed).max(r);
                bar.set_length(est.max(1));
                bar.set_position(r);
                if let Some(rate) = st.rate(name, r, b) {
                    bar.set_message(rate_message(rate));
                }
            }
        }
        let rate = st.rate("", rows, bytes);
        if let Some(bar) = &st.overall {
            bar.set_position(rows);
            if let Some(rate) = rate {
                bar.set_message(rate_message(rate));
            }
        }
    }
}

impl Observer for HumanObserver {
    fn attach_progress(&self, progress: Arc<Progress>) {
        let _ = self.progress.set(progress);
    }

    fn event(&self, event: &Event) {
        match event {
            Event::Started {
                command,
                source,
                target,
                tables,
                chunks,
                chunks_done,
                estimated_rows,
                estimated_bytes,
                jobs,
                ..
            } => {
                if self.quiet {
                    return;
                }
                let resumed = if *chunks_done > 0 {
                    format!(", resuming: {chunks_done} already done")
                } else {
                    String::new()
                };
                let verb = match *command {
                    "load" => "loading",
                    "copy" => "copying",
                    "diff" => "comparing",
                    "sync" => "syncing",
                    "sync-deletes" => "looking for deleted keys in",
                    _ => "dumping",
                };
                let (from, to) = if *command == "diff" || *command == "sync-deletes" {
                    ("of", "with")
                } else {
                    ("from", "to")
                };
                self.say(&format!(
                    "{verb} {tables} table(s), {chunks} chunk(s){resumed}, ~{} rows / {} {from} {source} {to} {target} with {jobs} job(s)",
                    human_count(*estimated_rows),
                    human_bytes(*estimated_bytes)
                ));
                if let Some(m) = &self.multi {
                    let bar = m.add(ProgressBar::new((*estimated_rows).max(1)));
                    bar.set_style(
                        ProgressStyle::with_template(
                            "{prefix:>28.bold} [{bar:30}] {human_pos}/{human_len} rows  {msg}  ETA {eta}",
                        )
                        .expect("valid template")
                        .progress_chars("=> "),
                    );
                    bar.set_prefix("total");
                    self.state.lock().expect("not poisoned").overall = Some(bar);
                }
            }
            Event::Warning { message } if !self.quiet => self.say(&format!("warning: {message}")),
            Event::TableStarted {
                table,
                estimated_rows,
                ..
            } => {
                if let Some(m) = &self.multi {
                    let bar = m.add(ProgressBar::new((*estimated_rows).max(1)));
                    bar.set_style(
                        ProgressStyle::with_template("{prefix:>28} [{bar:30}] {human_pos}/{human_len} rows  {msg}  ETA {eta}")
                            .expect("valid template")
                            .progress_chars("=> "),
                    );
                    bar.set_prefix(truncate(table, 28));
                    self.state
                        .lock()
                        .expect("not poisoned")
                        .tables
                        .insert(table.clone(), bar);
                }
            }
            Event::ChunkFailed {
                chunk,
                error,
                attempt,
                retrying,
                ..
            } => {
                let what = if *retrying {
                    "retrying"
                } else {
                    "giving up on this chunk"
                };
                self.say(&format!(
                    "chunk `{chunk}` failed (attempt {attempt}, {what}): {error}"
                ));
            }
            Event::TableDone {
                table,
                rows,
                chunks,
                bytes,
                seconds,
            } => {
                if let Some(bar) = self
                    .state
                    .lock()
                    .expect("not poisoned")
                    .tables
                    .remove(table)
                {
                    bar.finish_and_clear();
                    if let Some(m) = &self.multi {
                        m.remove(&bar);
                    }
                }
                if !self.quiet && self.multi.is_some() {
                    self.say(&format!(
                        "done {table}: {} rows, {chunks} chunk(s), {} in {seconds:.1}s",
                        human_count(*rows),
                        human_bytes(*bytes)
                    ));
                }
            }
            Event::Finished(_) => {
                let mut st = self.state.lock().expect("not poisoned");
                if let Some(bar) = st.overall.take() {
                    bar.finish_and_clear();
                }
                for (_, bar) in st.tables.drain() {
                    bar.finish_and_clear();
                }
            }
            Event::StepFailed { what, error } => self.say(&format!("failed: {what}: {error}")),
            Event::StepDone { what, seconds } if !self.quiet && *seconds >= 1.0 => {
                self.say(&format!("built {what} in {seconds:.1}s"))
            }
            Event::ChunkDone { .. } => {}
            _ => {}
        }
    }
}

/// Prints a run's summary on stdout (`what`: dump, load, copy).
pub fn print_summary(what: &str, s: &RunSummary) {
    let status = if s.ok {
        format!("{what} finished")
    } else {
        format!("{what} finished with failures")
    };
    println!(
        "{status} in {:.1}s: {} table(s), {} rows, {} chunk(s), {} {}",
        s.seconds,
        s.tables.len(),
        human_count(s.rows),
        s.chunks,
        human_bytes(s.bytes),
        if what == "dump" { "on disk" } else { "sent" }
    );
    let w = name_width(s.tables.iter().map(|t| t.table.as_str()));
    println!(
        "{:<w$}  {:>14}  {:>7}  {:>11}  {:>8}",
        "TABLE",
        "ROWS",
        "CHUNKS",
        if what == "dump" { "ON DISK" } else { "SENT" },
        "SECONDS"
    );
    for t in &s.tables {
        let chunks = if t.chunks_failed > 0 {
            format!("{}+{}!", t.chunks, t.chunks_failed)
        } else {
            t.chunks.to_string()
        };
        println!(
            "{:<w$}  {:>14}  {:>7}  {:>11}  {:>8.1}",
            t.table,
            group_digits(t.rows),
            chunks,
            human_bytes(t.bytes),
            t.seconds
        );
    }
    if !s.failed_chunks.is_empty() {
        println!(
            "failed chunks ({}), rerun the same command to retry them:",
            s.failed_chunks.len()
        );
        for f in &s.failed_chunks {
            println!("  {}: {}", f.chunk, f.error);
        }
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let tail: String = s
            .chars()
            .rev()
            .take(n - 1)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        format!("…{tail}")
    }
}

/// `1,234,567`.
pub fn group_digits(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1.2M`-style counts.
pub fn human_count(n: u64) -> String {
    match n {
        0..=9_999 => n.to_string(),
        10_000..=999_999 => format!("{:.1}k", n as f64 / 1e3),
        1_000_000..=999_999_999 => format!("{:.2}M", n as f64 / 1e6),
        _ => format!("{:.2}G", n as f64 / 1e9),
    }
}

/// `1.5 GiB`-style sizes.
pub fn human_bytes(b: u64) -> String {
    haul_engine::pg::planner::human_bytes(b)
}

/// The width of a table-name column: the longest name, and at least the header's 5.
pub(crate) fn name_width<'a>(names: impl Iterator<Item = &'a str>) -> usize {
    names.map(str::len).max().unwrap_or(5).max(5)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_numbers() {
        assert_eq!(group_digits(1234567), "1,234,567");
        assert_eq!(group_digits(12), "12");
        assert_eq!(human_count(1_500_000), "1.50M");
        assert_eq!(truncate("public.very_long_table_name", 10), "…able_name");
    }
}
