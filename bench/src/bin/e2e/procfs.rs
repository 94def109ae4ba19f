//! Reading `/proc`: machine-wide CPU, per-process CPU (client tree, PostgreSQL server), machine
//! facts, and the "wait until the machine is quiet" gate.
//!
//! CPU figures are in seconds. Process CPU includes reaped children (`cutime`/`cstime`), so a
//! server backend that exits during a measurement still counts: it moves from the live sum into
//! the postmaster's reaped sum.

use std::collections::HashMap;
use std::fs;
use std::path::Path;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use serde::Serialize;

/// Clock ticks per second for `/proc` CPU counters (`getconf CLK_TCK`, almost always 100).
pub fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|t| *t > 0.0)
        .unwrap_or(100.0)
}

/// Page size in KiB (`getconf PAGESIZE`, almost always 4).
pub fn page_kib() -> u64 {
    Command::new("getconf")
        .arg("PAGESIZE")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse::<u64>().ok())
        .map(|b| (b / 1024).max(1))
        .unwrap_or(4)
}

/// Whole-machine CPU counters from the first line of `/proc/stat`, in ticks.
#[derive(Debug, Clone, Copy)]
pub struct CpuStat {
    /// user + nice + system + irq + softirq + steal.
    pub busy: u64,
    /// busy + idle + iowait.
    pub total: u64,
    pub iowait: u64,
}

impl CpuStat {
    pub fn read() -> Result<Self> {
        let text = fs::read_to_string("/proc/stat").context("reading /proc/stat")?;
        let line = text
            .lines()
            .next()
            .ok_or_else(|| anyhow!("/proc/stat is empty"))?;
        let v: Vec<u64> = line
            .split_whitespace()
            .skip(1)
            .filter_map(|x| x.parse().ok())
            .collect();
        if v.len() < 8 {
            return Err(anyhow!("unexpected /proc/stat line `{line}`"));
        }
        let (user, nice, system, idle, iowait, irq, softirq, steal) =
            (v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]);
        let busy = user + nice + system + irq + softirq + steal;
        Ok(Self {
            busy,
            total: busy + idle + iowait,
            iowait,
        })
    }
}

/// One process from `/proc/<pid>/stat`.
#[derive(Debug, Clone)]
pub struct ProcStat {
    pub pid: u32,
    pub ppid: u32,
    pub comm: String,
    /// `R`, `S`, `Z` (exited, not yet reaped), …
    pub state: char,
    /// utime + stime.
    pub own: u64,
    /// cutime + cstime (reaped children).
    pub reaped: u64,
}

/// Parses a `/proc/<pid>/stat` (or `/proc/<pid>/task/<tid>/stat`) line.
pub fn parse_stat(text: &str) -> Option<ProcStat> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let pid = text[..open].trim().parse().ok()?;
    let comm = text[open + 1..close].to_string();
    let rest: Vec<&str> = text[close + 1..].split_whitespace().collect();
    // rest[0] = state (field 3); fields 4.. follow.
    let f = |i: usize| rest.get(i).and_then(|x| x.parse::<u64>().ok());
    Some(ProcStat {
        pid,
        ppid: u32::try_from(f(1)?).ok()?,
        comm,
        state: rest.first()?.chars().next()?,
        own: f(11)? + f(12)?,
        reaped: f(13)? + f(14)?,
    })
}

pub fn read_stat(path: &Path) -> Option<ProcStat> {
    fs::read_to_string(path)
        .ok()
        .as_deref()
        .and_then(parse_stat)
}

/// Every process on the machine at one instant.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub procs: HashMap<u32, ProcStat>,
    pub children: HashMap<u32, Vec<u32>>,
}

impl Snapshot {
    pub fn take() -> Self {
        let mut s = Snapshot::default();
        let Ok(dir) = fs::read_dir("/proc") else {
            return s;
        };
        for e in dir.flatten() {
            let name = e.file_name();
            let Some(pid) = name.to_str().and_then(|n| n.parse::<u32>().ok()) else {
                continue;
            };
            if let Some(st) = read_stat(&e.path().join("stat")) {
                s.children.entry(st.ppid).or_default().push(pid);
                s.procs.insert(pid, st);
            }
        }
        s
    }

    /// The pids of `roots` and all their live descendants.
    pub fn tree(&self, roots: &[u32]) -> Vec<u32> {
        let mut out = Vec::new();
        let mut stack: Vec<u32> = roots
            .iter()
            .copied()
            .filter(|p| self.procs.contains_key(p))
            .collect();
        while let Some(p) = stack.pop() {
            out.push(p);
            if let Some(c) = self.children.get(&p) {
                stack.extend(c.iter().copied());
            }
        }
        out
    }

    /// CPU ticks of a process tree, reaped descendants included.
    pub fn tree_ticks(&self, roots: &[u32]) -> u64 {
        self.tree(roots)
            .iter()
            .filter_map(|p| self.procs.get(p))
            .map(|s| s.own + s.reaped)
            .sum()
    }

    /// CPU ticks of the PostgreSQL server: the postmaster with its reaped children, plus every
    /// live child (backends, background workers, parallel workers).
    pub fn server_ticks(&self, postmaster: u32) -> u64 {
        let Some(pm) = self.procs.get(&postmaster) else {
            return 0;
        };
        let live: u64 = self
            .children
            .get(&postmaster)
            .map(|c| {
                c.iter()
                    .filter_map(|p| self.procs.get(p))
                    .map(|s| s.own)
                    .sum()
            })
            .unwrap_or(0);
        pm.own + pm.reaped + live
    }

    /// CPU ticks of one process (all its threads) with its reaped children; 0 if absent.
    pub fn proc_ticks(&self, pid: u32) -> u64 {
        self.procs.get(&pid).map_or(0, |s| s.own + s.reaped)
    }

    /// CPU ticks of the servers of a measurement: the PostgreSQL postmaster's tree (0: none)
    /// and the MySQL server process (0: none).
    pub fn servers_ticks(&self, postmaster: u32, mysqld: u32) -> u64 {
        let pg = if postmaster == 0 {
            0
        } else {
            self.server_ticks(postmaster)
        };
        let my = if mysqld == 0 {
            0
        } else {
            self.proc_ticks(mysqld)
        };
        pg + my
    }
}

/// CPU ticks of this process (the runner and its sampler thread).
pub fn self_ticks() -> u64 {
    read_stat(Path::new("/proc/self/stat"))
        .map(|s| s.own)
        .unwrap_or(0)
}

/// The outcome of waiting for a quiet machine before a measurement.
#[derive(Debug, Clone, Serialize)]
pub struct QuietGate {
    /// Seconds spent waiting (the 1 s probes included).
    pub waited_s: f64,
    /// Busy % of the last 1 s probe (100 = every core busy).
    pub last_busy_pct: f64,
    /// False if the machine never got below the threshold within the time limit.
    pub quiet: bool,
}

/// Probes `/proc/stat` over 1 s windows until the machine is below `max_busy_pct` busy, for at
/// most `max_wait`.
pub fn wait_quiet(max_busy_pct: f64, max_wait: Duration) -> Result<QuietGate> {
    let start = Instant::now();
    loop {
        let a = CpuStat::read()?;
        thread::sleep(Duration::from_secs(1));
        let b = CpuStat::read()?;
        let total = (b.total - a.total).max(1) as f64;
        let pct = 100.0 * (b.busy - a.busy) as f64 / total;
        let waited = start.elapsed();
        if pct < max_busy_pct || waited >= max_wait {
            return Ok(QuietGate {
                waited_s: waited.as_secs_f64(),
                last_busy_pct: pct,
                quiet: pct < max_busy_pct,
            });
        }
    }
}

/// The machine, as recorded with every run.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub nproc: usize,
    pub mem_total_kib: u64,
    pub kernel: String,
    pub cpu_model: String,
    pub hostname: String,
}

impl Machine {
    pub fn read() -> Self {
        let meminfo = fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let mem_total_kib = meminfo
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0);
        let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = cpuinfo
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default();
        let read = |p: &str| {
            fs::read_to_string(p)
                .map(|s| s.trim().to_string())
                .unwrap_or_default()
        };
        Machine {
            nproc: thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            mem_total_kib,
            kernel: read("/proc/sys/kernel/osrelease"),
            cpu_model,
            hostname: read("/proc/sys/kernel/hostname"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_with_spaces_in_comm() {
        let line = "1234 (tokio runtime) S 99 1234 1234 0 -1 4194560 100 0 0 0 250 50 7 3 20 0 4 0 \
                    100 1000 10 18446744073709551615";
        let s = parse_stat(line).expect("parses");
        assert_eq!(
            (s.pid, s.ppid, s.comm.as_str(), s.own, s.reaped),
            (1234, 99, "tokio runtime", 300, 10)
        );
    }

    #[test]
    fn reads_own_process() {
        let s = read_stat(Path::new("/proc/self/stat")).expect("own stat");
        assert_eq!(s.pid, std::process::id());
        assert!(CpuStat::read().expect("stat").total > 0);
    }
}
