//! Facts recorded with every run (server, tools, git, the haul binary) and the redaction of
//! passwords from what is recorded.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::{Args, Sample, procfs, tpch};

/// The postmaster's pid (parent of our backend), server version and key settings.
pub async fn server_facts(url: &str) -> Result<(u32, String, serde_json::Value)> {
    let client = tpch::connect(url).await?;
    let backend: i32 = client
        .query_one("SELECT pg_backend_pid()", &[])
        .await?
        .get(0);
    let backend = u32::try_from(backend).context("backend pid")?;
    let postmaster = procfs::read_stat(&PathBuf::from(format!("/proc/{backend}/stat")))
        .map(|s| s.ppid)
        .unwrap_or(0);
    if postmaster == 0 {
        eprintln!(
            "warning: server backend {backend} is not visible in /proc; server CPU will read 0"
        );
    }
    let version: String = client.query_one("SHOW server_version", &[]).await?.get(0);
    let names = [
        "shared_buffers",
        "work_mem",
        "maintenance_work_mem",
        "effective_cache_size",
        "max_wal_size",
        "checkpoint_timeout",
        "fsync",
        "synchronous_commit",
        "full_page_writes",
        "wal_level",
        "max_worker_processes",
        "max_parallel_workers",
        "max_parallel_workers_per_gather",
        "effective_io_concurrency",
        "huge_pages",
        "jit",
        "max_connections",
        "port",
        "listen_addresses",
    ];
    let mut settings = serde_json::Map::new();
    for n in names {
        if let Ok(row) = client.query_one(&format!("SHOW {n}"), &[]).await {
            settings.insert(n.to_string(), serde_json::Value::String(row.get(0)));
        }
    }
    Ok((postmaster, version, serde_json::Value::Object(settings)))
}

/// `--haul`, or build it with cargo and use `$CARGO_TARGET_DIR/release/haul`.
pub fn haul_binary(args: &Args) -> Result<PathBuf> {
    if let Some(p) = &args.haul {
        if !p.is_file() {
            bail!("--haul {} is not a file", p.display());
        }
        return Ok(p.clone());
    }
    let root = workspace_root();
    eprintln!(
        "building haul: cargo build --release -p haul (in {})",
        root.display()
    );
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--release", "-p", "haul"])
        .current_dir(&root)
        .status()
        .context("running cargo build")?;
    if !status.success() {
        bail!(
            "cargo build --release -p haul failed ({status}); pass --haul PATH to use a prebuilt binary"
        );
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let target = if target.is_relative() {
        root.join(target)
    } else {
        target
    };
    let bin = target.join("release").join("haul");
    if !bin.is_file() {
        bail!("built haul but {} does not exist", bin.display());
    }
    Ok(bin)
}

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

pub fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(workspace_root())
        .args(args)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

pub fn output_of(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// `postgres://user:secret@host/db` → `postgres://user@host/db` (any scheme).
pub fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_string();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => {
            let userinfo = &rest[..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{user}{}", &url[..scheme_end], &rest[at..])
        }
        None => url.to_string(),
    }
}

pub fn redact_sample(s: &Sample) -> serde_json::Value {
    redact_value(serde_json::to_value(s).unwrap_or_default())
}

/// Redacts the passwords of database URLs in every string of a JSON value (commands, error
/// messages).
pub fn redact_value(mut v: serde_json::Value) -> serde_json::Value {
    fn walk(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::String(text) => *text = redact_all(text),
            serde_json::Value::Array(items) => items.iter_mut().for_each(walk),
            serde_json::Value::Object(map) => map.values_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut v);
    v
}

/// The URL schemes whose passwords [`redact_all`] removes.
const SCHEMES: [&str; 4] = ["postgres://", "postgresql://", "pgsql://", "mysql://"];

/// Redacts every database URL (postgres://, postgresql://, pgsql://, mysql://) inside a text
/// (a command line, an error message).
pub fn redact_all(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, from) = rest.split_at(i);
        let scheme = SCHEMES.iter().find(|s| {
            let name = &s[..s.len() - 3];
            head.ends_with(name)
        });
        match scheme {
            Some(s) => {
                let start = head.len() - (s.len() - 3);
                out.push_str(&head[..start]);
                let url = &rest[start..];
                let end = url
                    .find(|c: char| c.is_whitespace() || "'\"`".contains(c))
                    .unwrap_or(url.len());
                out.push_str(&redact(&url[..end]));
                rest = &url[end..];
            }
            None => {
                out.push_str(head);
                out.push_str("://");
                rest = &from[3..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(redact("postgres://u:pw@h:5/db"), "postgres://u@h:5/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(
            redact_all("psql -d postgres://u:pw@h/db -c x"),
            "psql -d postgres://u@h/db -c x"
        );
        assert_eq!(
            redact_all("`haul load 'postgres://u:pw@h/t'` failed\npostgres://u:pw@h/x"),
            "`haul load 'postgres://u@h/t'` failed\npostgres://u@h/x"
        );
        assert_eq!(
            redact_all("pgloader mysql://r:pw@h/db pgsql://p:pw@h/t x://y:z@w"),
            "pgloader mysql://r@h/db pgsql://p@h/t x://y:z@w"
        );
    }
}
