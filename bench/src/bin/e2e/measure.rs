//! Running one measured command set: each process under GNU `time` (child peak RSS and CPU
//! without unsafe `wait4`), PostgreSQL server CPU and machine CPU from `/proc` around it, and a
//! sampler thread that records a CPU timeline and per-thread CPU of the client.

use std::collections::HashMap;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use serde::Serialize;

use crate::procfs::{CpuStat, Snapshot, read_stat, self_ticks};

/// One process of a measurement.
#[derive(Debug, Clone)]
pub struct Cmd {
    pub program: String,
    pub args: Vec<String>,
}

impl Cmd {
    pub fn new(program: impl Into<String>, args: &[&str]) -> Self {
        Self {
            program: program.into(),
            args: args.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// The command as a shell would show it.
    pub fn display(&self) -> String {
        let mut s = self.program.clone();
        for a in &self.args {
            s.push(' ');
            if a.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./:@=,".contains(c))
            {
                s.push_str(a);
            } else {
                s.push('\'');
                s.push_str(&a.replace('\'', "'\\''"));
                s.push('\'');
            }
        }
        s
    }
}

/// What the runner observed while the processes ran.
#[derive(Debug, Clone, Serialize)]
pub struct Observed {
    /// From the first spawn to the last exit.
    pub wall_s: f64,
    /// Largest peak RSS of any one process (GNU time `%M`), KiB.
    pub max_rss_kib: u64,
    /// User + system CPU of the processes and their children (GNU time `%U + %S`).
    pub client_cpu_s: f64,
    /// CPU of the servers during the run: PostgreSQL (postmaster + backends) and/or the MySQL
    /// server process, as the probe names them.
    pub server_cpu_s: f64,
    /// Busy CPU of the whole machine during the run.
    pub machine_cpu_s: f64,
    /// machine − client − server − this runner: other jobs on the shared host.
    pub other_cpu_s: f64,
    /// Part of `server_cpu_s` not spent by the measured database's backends or the server's
    /// background processes (so: other jobs using the same server), less one sampling interval
    /// per backend of ours; 0 without sampling.
    pub foreign_server_cpu_s: f64,
    pub iowait_s: f64,
    pub exit_ok: bool,
    /// Stderr of failed processes (trimmed).
    pub error: Option<String>,
    /// Every sampling interval: seconds since start, then cumulative client CPU s, server CPU s
    /// and machine busy CPU s, then the client's resident memory now (MiB, all its processes).
    pub timeline: Vec<[f64; 5]>,
    /// Client CPU seconds by "process/thread" name, as last sampled before exit.
    pub client_threads: Vec<(String, f64)>,
    /// The busiest client threads, "process/thread (tid)".
    pub client_top_threads: Vec<(String, f64)>,
}

/// How processes are observed.
#[derive(Debug, Clone)]
pub struct Probe {
    /// The PostgreSQL postmaster (0: not visible or not measured, its CPU reads 0).
    pub postmaster: u32,
    /// The MySQL server process whose CPU counts as server CPU (0: none).
    pub mysqld: u32,
    /// Timeline sampling interval (zero: no timeline).
    pub every: Duration,
    /// `/proc` clock ticks per second.
    pub tck: f64,
    /// Page size in KiB.
    pub page_kib: u64,
}

/// Runs `cmds` concurrently (stdout to /dev/null) and waits for all of them.
/// `dbs` names the databases the commands use (a copy uses two): server backends of other
/// databases are other jobs' work, reported as `foreign_server_cpu_s`.
pub fn run(cmds: &[Cmd], scratch: &Path, probe: &Probe, dbs: &[&str]) -> Result<Observed> {
    let (postmaster, mysqld, tck) = (probe.postmaster, probe.mysqld, probe.tck);
    fs::create_dir_all(scratch).with_context(|| format!("creating {}", scratch.display()))?;
    let time_files: Vec<PathBuf> = (0..cmds.len())
        .map(|i| scratch.join(format!(".time-{i}")))
        .collect();
    let err_files: Vec<PathBuf> = (0..cmds.len())
        .map(|i| scratch.join(format!(".stderr-{i}")))
        .collect();

    let snap0 = Snapshot::take();
    let cpu0 = CpuStat::read()?;
    let self0 = self_ticks();
    let server0 = snap0.servers_ticks(postmaster, mysqld);
    let mysqld0 = snap0.servers_ticks(0, mysqld);
    let backends0: HashMap<u32, u64> = snap0
        .children
        .get(&postmaster)
        .filter(|_| postmaster != 0)
        .map(|c| {
            c.iter()
                .filter_map(|p| Some((*p, snap0.procs.get(p)?.own)))
                .collect()
        })
        .unwrap_or_default();
    let start = Instant::now();
    let mut children: Vec<Child> = Vec::new();
    for (i, c) in cmds.iter().enumerate() {
        let spawned = File::create(&err_files[i])
            .context("creating stderr file")
            .and_then(|stderr| {
                Command::new("/usr/bin/time")
                    .args(["-f", "%e %M %U %S", "-o"])
                    .arg(&time_files[i])
                    .arg(&c.program)
                    .args(&c.args)
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(stderr)
                    .spawn()
                    .with_context(|| format!("starting /usr/bin/time {}", c.display()))
            });
        match spawned {
            Ok(child) => children.push(child),
            Err(e) => {
                // Do not leave the ones already started running unmeasured.
                for mut ch in children {
                    let _ = ch.kill();
                    let _ = ch.wait();
                }
                return Err(e);
            }
        }
    }
    let roots: Vec<u32> = children.iter().map(Child::id).collect();

    let stop = AtomicBool::new(false);
    let (statuses, wall_s, cpu1, server1, sampled) = thread::scope(|s| {
        let sampler = s.spawn(|| {
            let watch = Watch {
                roots: &roots,
                postmaster,
                mysqld,
                start,
                every: probe.every,
                tck,
                page_kib: probe.page_kib,
                cpu0,
                server0,
                dbs,
                backends0: &backends0,
            };
            sample(&watch, &stop)
        });
        let statuses: Vec<_> = children.iter_mut().map(Child::wait).collect();
        // The end of the measurement is now, not after the sampler has noticed.
        let wall_s = start.elapsed().as_secs_f64();
        // Our backends exit after their clients; their CPU reaches the postmaster's reaped
        // total only once it has reaped them.
        let settle = Instant::now();
        while settle.elapsed() < Duration::from_secs(2) && ours_alive(postmaster, dbs) {
            thread::sleep(Duration::from_millis(5));
        }
        let cpu1 = CpuStat::read();
        let snap1 = Snapshot::take();
        let server1 = (
            snap1.servers_ticks(postmaster, mysqld),
            snap1.servers_ticks(0, mysqld),
        );
        stop.store(true, Ordering::Relaxed);
        sampler.thread().unpark();
        (statuses, wall_s, cpu1, server1, sampler.join())
    });
    let cpu1 = cpu1?;
    let self1 = self_ticks();
    let (timeline, client_threads, client_top_threads, share) =
        sampled.map_err(|_| anyhow!("sampler thread panicked"))?;

    let mut max_rss_kib = 0;
    let mut client_cpu_s = 0.0;
    let mut exit_ok = true;
    let mut errors = Vec::new();
    for (i, st) in statuses.into_iter().enumerate() {
        let ok = st
            .with_context(|| format!("waiting for {}", cmds[i].display()))?
            .success();
        let timing = fs::read_to_string(&time_files[i]).unwrap_or_default();
        match parse_time(&timing) {
            Some((rss, cpu)) => {
                max_rss_kib = max_rss_kib.max(rss);
                client_cpu_s += cpu;
            }
            None => errors.push(format!("no GNU time figures in `{}`", timing.trim())),
        }
        if !ok {
            exit_ok = false;
            let err = fs::read_to_string(&err_files[i]).unwrap_or_default();
            let tail: String = err
                .lines()
                .rev()
                .take(8)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("\n");
            errors.push(format!(
                "`{}` failed: {}\n{}",
                cmds[i].display(),
                timing.trim(),
                tail
            ));
        }
        let _ = fs::remove_file(&time_files[i]);
        let _ = fs::remove_file(&err_files[i]);
    }
    let server_cpu_s = server1.0.saturating_sub(server0) as f64 / tck;
    // The MySQL server is one process: all of its CPU counts as the measured work's.
    let mysqld_cpu_s = server1.1.saturating_sub(mysqld0) as f64 / tck;
    let machine_cpu_s = (cpu1.busy - cpu0.busy) as f64 / tck;
    let runner_cpu_s = self1.saturating_sub(self0) as f64 / tck;
    Ok(Observed {
        wall_s,
        max_rss_kib,
        client_cpu_s,
        server_cpu_s,
        machine_cpu_s,
        other_cpu_s: machine_cpu_s - client_cpu_s - server_cpu_s - runner_cpu_s,
        foreign_server_cpu_s: if probe.every.is_zero() {
            0.0
        } else {
            // Not ours, not background: other databases' backends, including short-lived ones
            // the sampler never saw. Each of our backends may have run one interval unseen.
            let allowance = share.ours_seen as f64 * probe.every.as_secs_f64();
            let seen = (share.ours + share.background) as f64 / tck;
            (server_cpu_s - mysqld_cpu_s - seen - allowance).max(0.0)
        },
        iowait_s: (cpu1.iowait - cpu0.iowait) as f64 / tck,
        exit_ok,
        error: if errors.is_empty() {
            None
        } else {
            Some(errors.join("\n"))
        },
        timeline,
        client_threads,
        client_top_threads,
    })
}

/// `%e %M %U %S` is the last line; GNU time puts "Command exited with non-zero status" before it.
fn parse_time(text: &str) -> Option<(u64, f64)> {
    let line = text.lines().rev().find(|l| !l.trim().is_empty())?;
    let v: Vec<&str> = line.split_whitespace().collect();
    if v.len() != 4 {
        return None;
    }
    let rss = v[1].parse().ok()?;
    let cpu = v[2].parse::<f64>().ok()? + v[3].parse::<f64>().ok()?;
    Some((rss, cpu))
}

/// Timeline, CPU by thread name, the busiest individual threads, and server ticks by kind.
type Sampled = (
    Vec<[f64; 5]>,
    Vec<(String, f64)>,
    Vec<(String, f64)>,
    ServerShare,
);

/// Server CPU ticks of processes seen by the sampler, since the start of the run.
#[derive(Debug, Default, Clone, Copy)]
struct ServerShare {
    /// Backends of the measured database (and parallel workers).
    ours: u64,
    /// Background processes (checkpointer, WAL writer, …).
    background: u64,
    /// How many of our backends were seen (each may have run up to one interval unseen).
    ours_seen: u64,
}

/// What the sampler thread watches.
struct Watch<'a> {
    roots: &'a [u32],
    postmaster: u32,
    mysqld: u32,
    start: Instant,
    every: Duration,
    tck: f64,
    page_kib: u64,
    cpu0: CpuStat,
    server0: u64,
    /// The databases being measured.
    dbs: &'a [&'a str],
    /// CPU ticks of each server process at the start.
    backends0: &'a HashMap<u32, u64>,
}

fn sample(w: &Watch<'_>, stop: &AtomicBool) -> Sampled {
    let mut timeline = Vec::new();
    // (pid, tid) → (label, ticks): last value seen, so threads that exit keep their last count.
    let mut threads: HashMap<(u32, u32), (String, u64)> = HashMap::new();
    // Server processes: pid → (kind, ticks used since the start, as last seen).
    let mut server_procs: HashMap<u32, (BackendKind, u64)> = HashMap::new();
    if w.every.is_zero() {
        return (timeline, Vec::new(), Vec::new(), ServerShare::default());
    }
    let mut next = Instant::now() + w.every;
    loop {
        // Parked, not asleep, so the end of the run wakes it at once.
        while !stop.load(Ordering::Relaxed) && Instant::now() < next {
            thread::park_timeout(next.saturating_duration_since(Instant::now()));
        }
        if stop.load(Ordering::Relaxed) {
            break;
        }
        next += w.every;
        let snap = Snapshot::take();
        let t = w.start.elapsed().as_secs_f64();
        let client = snap.tree_ticks(w.roots) as f64 / w.tck;
        let server = snap
            .servers_ticks(w.postmaster, w.mysqld)
            .saturating_sub(w.server0) as f64
            / w.tck;
        let busy = CpuStat::read()
            .map(|c| (c.busy - w.cpu0.busy) as f64 / w.tck)
            .unwrap_or(f64::NAN);
        let mut rss_kib = 0;
        for pid in snap.tree(w.roots) {
            if w.roots.contains(&pid) {
                continue; // GNU time itself
            }
            rss_kib += resident_pages(pid) * w.page_kib;
            let Some(proc_comm) = snap.procs.get(&pid).map(|p| p.comm.clone()) else {
                continue;
            };
            let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
                continue;
            };
            for task in tasks.flatten() {
                if let Some(st) = read_stat(&task.path().join("stat")) {
                    threads.insert((pid, st.pid), (format!("{proc_comm}/{}", st.comm), st.own));
                }
            }
        }
        let backends = snap
            .children
            .get(&w.postmaster)
            .filter(|_| w.postmaster != 0);
        for pid in backends.into_iter().flatten() {
            let Some(p) = snap.procs.get(pid) else {
                continue;
            };
            let base = w.backends0.get(pid).copied().unwrap_or(0);
            let kind = match server_procs.get(pid) {
                Some((k, _)) => *k,
                None => backend_kind(*pid, w.dbs),
            };
            server_procs.insert(*pid, (kind, p.own.saturating_sub(base)));
        }
        let rss_mib = rss_kib as f64 / 1024.0;
        timeline.push([
            round3(t),
            round3(client),
            round3(server),
            round3(busy),
            round3(rss_mib),
        ]);
    }
    let mut by_label: HashMap<String, u64> = HashMap::new();
    let mut single: Vec<(String, f64)> = Vec::new();
    for ((_, tid), (label, ticks)) in threads {
        single.push((format!("{label} ({tid})"), round3(ticks as f64 / w.tck)));
        *by_label.entry(thread_kind(&label)).or_default() += ticks;
    }
    let mut v: Vec<(String, f64)> = by_label
        .into_iter()
        .map(|(k, t)| (k, round3(t as f64 / w.tck)))
        .collect();
    v.sort_by(|a, b| b.1.total_cmp(&a.1));
    single.sort_by(|a, b| b.1.total_cmp(&a.1));
    single.truncate(12);
    let mut share = ServerShare::default();
    for (kind, ticks) in server_procs.into_values() {
        match kind {
            BackendKind::Ours => {
                share.ours += ticks;
                share.ours_seen += 1;
            }
            BackendKind::Background => share.background += ticks,
            BackendKind::Foreign => {}
        }
    }
    (timeline, v, single, share)
}

/// True while a backend of `dbs` runs, or any server process has exited unreaped.
fn ours_alive(postmaster: u32, dbs: &[&str]) -> bool {
    if postmaster == 0 {
        return false;
    }
    let snap = Snapshot::take();
    snap.children
        .get(&postmaster)
        .into_iter()
        .flatten()
        .any(|pid| {
            snap.procs.get(pid).is_some_and(|p| p.state == 'Z')
                || backend_kind(*pid, dbs) == BackendKind::Ours
        })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BackendKind {
    Ours,
    Background,
    Foreign,
}

/// Classifies a server process by its title (`postgres: 15/main: user db 127.0.0.1(5432) idle`):
/// a client backend of a measured database or a parallel worker is ours; autovacuum workers
/// and client backends of other databases are other jobs' work; the rest is background.
fn backend_kind(pid: u32, dbs: &[&str]) -> BackendKind {
    let Ok(raw) = fs::read(format!("/proc/{pid}/cmdline")) else {
        return BackendKind::Background;
    };
    let title = String::from_utf8_lossy(&raw).replace('\0', " ");
    if title.contains("parallel worker") || dbs.iter().any(|db| title.contains(&format!(" {db} ")))
    {
        BackendKind::Ours
    } else if title.contains("autovacuum worker")
        || title.contains('(')
        || title.contains("[local]")
    {
        BackendKind::Foreign
    } else {
        BackendKind::Background
    }
}

/// Resident pages of a process (`/proc/<pid>/statm`, second field).
fn resident_pages(pid: u32) -> u64 {
    fs::read_to_string(format!("/proc/{pid}/statm"))
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

/// Thread names without their numeric suffix, so `worker-3` and `worker-7` add up.
fn thread_kind(comm: &str) -> String {
    comm.trim_end_matches(|c: char| c.is_ascii_digit() || c == '-' || c == '#')
        .to_string()
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Apparent size (`du -sb`) and file count of a directory tree.
pub fn dir_size(path: &Path) -> (u64, u64) {
    let mut bytes = 0;
    let mut files = 0;
    let mut stack = vec![path.to_path_buf()];
    while let Some(p) = stack.pop() {
        let Ok(rd) = fs::read_dir(&p) else { continue };
        for e in rd.flatten() {
            match e.metadata() {
                Ok(m) if m.is_dir() => stack.push(e.path()),
                Ok(m) => {
                    bytes += m.len();
                    files += 1;
                }
                Err(_) => {}
            }
        }
    }
    (bytes, files)
}

/// Rows, chunk count and per-chunk seconds from a haul dump's `chunks.jsonl`.
pub fn haul_journal(dir: &Path) -> Option<(u64, usize, Vec<f64>)> {
    let text = fs::read_to_string(dir.join("chunks.jsonl")).ok()?;
    let mut rows = 0;
    let mut secs = Vec::new();
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if v.get("type").and_then(|t| t.as_str()) == Some("done") {
            rows += v
                .get("rows")
                .and_then(serde_json::Value::as_u64)
                .unwrap_or(0);
            secs.push(
                v.get("seconds")
                    .and_then(serde_json::Value::as_f64)
                    .unwrap_or(f64::NAN),
            );
        }
    }
    Some((rows, secs.len(), secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_gnu_time_output() {
        assert_eq!(parse_time("6.52 9384 1.70 0.25\n"), Some((9384, 1.95)));
        assert_eq!(
            parse_time("Command exited with non-zero status 2\n0.01 4000 0.00 0.01\n"),
            Some((4000, 0.01))
        );
        assert_eq!(parse_time(""), None);
    }

    #[test]
    fn thread_kinds() {
        assert_eq!(thread_kind("tokio-runtime-w"), "tokio-runtime-w");
        assert_eq!(thread_kind("worker-12"), "worker");
    }

    #[test]
    fn runs_a_command() {
        let dir = std::env::temp_dir().join(format!("haul-e2e-test-{}", std::process::id()));
        let mut probe = Probe {
            postmaster: 0,
            mysqld: 0,
            every: Duration::from_millis(5),
            tck: 100.0,
            page_kib: 4,
        };
        let o = run(&[Cmd::new("true", &[])], &dir, &probe, &["x"]).expect("runs");
        assert!(o.exit_ok && o.max_rss_kib > 0, "{o:?}");
        probe.every = Duration::ZERO;
        let o = run(&[Cmd::new("false", &[])], &dir, &probe, &["x"]).expect("runs");
        assert!(!o.exit_ok && o.error.is_some());
        let _ = fs::remove_dir_all(dir);
    }
}
