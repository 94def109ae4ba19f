//! The dump directory's bookkeeping (DESIGN.md §3).
//!
//! ```text
//! DIR/manifest.json   what was dumped: source (no secrets), snapshots, options, fingerprints,
//!                     per table its DDL, Arrow schema and chunk plan. Written tmp → fsync → rename.
//! DIR/chunks.jsonl    append-only journal, one line per committed chunk (id, file, rows, bytes,
//!                     checksum); each line fsync'd after the chunk's file is durable.
//! DIR/<schema>.<table>/<index>.parquet
//! ```
//! A chunk is done only when its file and its journal line are both durable. A torn last line
//! (a crash mid-append) is ignored and cut off before the next append. A later line for the
//! same chunk supersedes an earlier one; a `reset` line forgets a chunk (used when a resumed run
//! must redo a table whose chunks cannot mix snapshots).

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{EngineError, Result};
use crate::pg::catalog::{DomainDdl, EnumDdl, PartitionedDdl};
use crate::pg::objects::{SequenceDdl, ViewDdl};
use crate::plan::TablePlan;

/// Bump when the manifest, journal or checksum spec (docs/checksum.md) changes incompatibly.
pub const FORMAT_VERSION: u32 = 1;
/// The manifest's file name.
pub const MANIFEST_FILE: &str = "manifest.json";
/// The journal's file name.
pub const JOURNAL_FILE: &str = "chunks.jsonl";

/// The dump's description.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// Always `haul-dump`.
    pub format: String,
    pub format_version: u32,
    pub tool_version: String,
    pub source: SourceInfo,
    /// One per run that wrote chunks (a resumed run adds one); journal records index into it.
    pub snapshots: Vec<SnapshotInfo>,
    pub started_at: String,
    /// Set when every chunk is done.
    pub finished_at: Option<String>,
    pub options: DumpSettings,
    pub fingerprint: Fingerprint,
    pub tables: Vec<TablePlan>,
    #[serde(default)]
    pub partitioned: Vec<PartitionedDdl>,
    #[serde(default)]
    pub enums: Vec<EnumDdl>,
    #[serde(default)]
    pub domains: Vec<DomainDdl>,
    #[serde(default)]
    pub sequences: Vec<SequenceDdl>,
    #[serde(default)]
    pub views: Vec<ViewDdl>,
    /// Objects a load does not recreate (triggers, policies, functions, grants, …), in words.
    #[serde(default)]
    pub not_recreated: Vec<String>,
}

/// Where the data came from (never a password).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceInfo {
    pub engine: String,
    pub url: String,
    pub database: String,
    pub server_version: String,
    /// The cluster's `system_identifier` when readable (identifies the server across renames).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub system_identifier: Option<String>,
}

/// A snapshot the dump read from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotInfo {
    /// `pg_export_snapshot()` id.
    pub id: String,
    /// WAL insert position at the snapshot (`pg_current_wal_lsn()`), for a later catch-up.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub wal_lsn: Option<String>,
    /// Server time at the snapshot (`now()`, UTC).
    pub taken_at: String,
    /// MySQL/MariaDB: the binary log file and position at the snapshot (when binlog is on).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub binlog_file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub binlog_position: Option<u64>,
    /// MySQL/MariaDB: the GTID set (MySQL `Executed_Gtid_Set`, MariaDB `gtid_binlog_pos`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub gtid: Option<String>,
    /// False when the workers' reads were not taken in one snapshot (`--lock none`).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub consistent: bool,
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

/// The options that define the dump's content; a resumed run must use the same.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DumpSettings {
    pub tables: Vec<String>,
    pub exclude: Vec<String>,
    pub as_text: Vec<String>,
    pub chunk_bytes: u64,
    pub compression: String,
    /// MySQL `--zero-dates null` (absent for the default, an error).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub zero_dates: Option<String>,
}

/// What must match for a directory to be resumed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// Identifies the source server and database.
    pub source: String,
    /// Identifies the selected tables' names, columns, types and keys.
    pub schema: String,
}

/// One committed chunk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChunkRecord {
    pub chunk: String,
    pub file: String,
    pub rows: u64,
    pub bytes: u64,
    /// The digest's sum, 32 hex digits (docs/checksum.md).
    pub checksum: String,
    /// Index into the manifest's snapshots.
    pub snapshot: usize,
    pub seconds: f64,
}

/// A journal line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum JournalEntry {
    Done(ChunkRecord),
    Reset { chunk: String },
}

impl Manifest {
    /// Reads `DIR/manifest.json`.
    pub fn read(dir: &Path) -> Result<Self> {
        let path = dir.join(MANIFEST_FILE);
        let text = fs::read_to_string(&path).map_err(|e| EngineError::io("reading", &path, e))?;
        let m: Manifest = serde_json::from_str(&text).map_err(|e| EngineError::Manifest {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        if m.format != "haul-dump" {
            return Err(EngineError::Manifest {
                path,
                reason: "not a haul dump manifest".into(),
            });
        }
        if m.format_version > FORMAT_VERSION {
            return Err(EngineError::Manifest {
                path,
                reason: format!(
                    "format version {} is newer than this haul understands ({FORMAT_VERSION}); upgrade haul",
                    m.format_version
                ),
            });
        }
        Ok(m)
    }

    /// Writes `DIR/manifest.json` atomically (tmp, fsync, rename, fsync the directory).
    pub fn write(&self, dir: &Path) -> Result<()> {
        let json = serde_json::to_vec_pretty(self).map_err(|e| EngineError::Manifest {
            path: dir.join(MANIFEST_FILE),
            reason: e.to_string(),
        })?;
        write_atomic(&dir.join(MANIFEST_FILE), &json)
    }

    /// Total planned chunks.
    pub fn chunk_count(&self) -> usize {
        self.tables.iter().map(|t| t.chunks.len()).sum()
    }
}

/// The journal: replayed on open, appended per chunk.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: File,
}

/// What a journal replay found.
#[derive(Debug, Default)]
pub struct Replay {
    /// The latest record per chunk id.
    pub done: BTreeMap<String, ChunkRecord>,
    /// A torn last line was found (and, when opened for append, cut off).
    pub torn_tail: bool,
    /// Complete lines that did not parse (1-based line numbers).
    pub bad_lines: Vec<usize>,
}

impl Journal {
    /// Replays the journal without changing it.
    pub fn replay(dir: &Path) -> Result<Replay> {
        let path = dir.join(JOURNAL_FILE);
        let mut bytes = Vec::new();
        match File::open(&path) {
            Ok(mut f) => {
                f.read_to_end(&mut bytes)
                    .map_err(|e| EngineError::io("reading", &path, e))?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(EngineError::io("opening", &path, e)),
        }
        Ok(replay_bytes(&bytes).0)
    }

    /// Opens for appending: replays, cuts a torn tail off, and returns what was done.
    pub fn open(dir: &Path) -> Result<(Self, Replay)> {
        let path = dir.join(JOURNAL_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .map_err(|e| EngineError::io("opening", &path, e))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|e| EngineError::io("reading", &path, e))?;
        let (replay, good_len) = replay_bytes(&bytes);
        if good_len < bytes.len() {
            file.set_len(good_len as u64)
                .map_err(|e| EngineError::io("truncating", &path, e))?;
            file.sync_all()
                .map_err(|e| EngineError::io("syncing", &path, e))?;
        }
        sync_dir(dir)?;
        Ok((Self { path, file }, replay))
    }

    /// Appends one entry and makes it durable.
    pub fn append(&mut self, entry: &JournalEntry) -> Result<()> {
        let mut line = serde_json::to_vec(entry).map_err(|e| EngineError::Manifest {
            path: self.path.clone(),
            reason: e.to_string(),
        })?;
        line.push(b'\n');
        self.file
            .write_all(&line)
            .map_err(|e| EngineError::io("appending to", &self.path, e))?;
        self.file
            .sync_data()
            .map_err(|e| EngineError::io("syncing", &self.path, e))
    }
}

/// Replays journal bytes: returns the state and the length of the good prefix (everything up to
/// the last complete line; a torn tail is excluded).
fn replay_bytes(bytes: &[u8]) -> (Replay, usize) {
    let mut replay = Replay::default();
    let mut good_len = 0;
    let mut start = 0;
    let mut line_no = 0;
    while start < bytes.len() {
        line_no += 1;
        let Some(nl) = bytes[start..].iter().position(|b| *b == b'\n') else {
            replay.torn_tail = true;
            break;
        };
        let line = &bytes[start..start + nl];
        match serde_json::from_slice::<JournalEntry>(line) {
            Ok(JournalEntry::Done(r)) => {
                replay.done.insert(r.chunk.clone(), r);
            }
            Ok(JournalEntry::Reset { chunk }) => {
                replay.done.remove(&chunk);
            }
            Err(_) if line.iter().all(u8::is_ascii_whitespace) => {}
            Err(_) => replay.bad_lines.push(line_no),
        }
        start += nl + 1;
        good_len = start;
    }
    (replay, good_len)
}

/// Writes a file atomically: `path.tmp`, fsync, rename over `path`, fsync the directory.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = tmp_path(path);
    let result = (|| {
        let mut f = File::create(&tmp).map_err(|e| EngineError::io("creating", &tmp, e))?;
        f.write_all(bytes)
            .map_err(|e| EngineError::io("writing", &tmp, e))?;
        f.sync_all()
            .map_err(|e| EngineError::io("syncing", &tmp, e))?;
        fs::rename(&tmp, path).map_err(|e| EngineError::io("renaming into place", path, e))?;
        sync_dir(path.parent().unwrap_or(Path::new(".")))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// `name.tmp` next to `path`.
pub fn tmp_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".tmp");
    PathBuf::from(s)
}

/// fsyncs a directory so a rename in it is durable.
pub fn sync_dir(dir: &Path) -> Result<()> {
    let d = File::open(dir).map_err(|e| EngineError::io("opening directory", dir, e))?;
    d.sync_all()
        .map_err(|e| EngineError::io("syncing directory", dir, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(chunk: &str, rows: u64) -> JournalEntry {
        JournalEntry::Done(ChunkRecord {
            chunk: chunk.into(),
            file: format!("{chunk}.parquet"),
            rows,
            bytes: 10,
            checksum: "00".into(),
            snapshot: 0,
            seconds: 0.1,
        })
    }

    #[test]
    fn replay_ignores_a_torn_tail_and_applies_resets() {
        let mut bytes = Vec::new();
        for e in [
            rec("a", 1),
            rec("b", 2),
            JournalEntry::Reset { chunk: "a".into() },
            rec("b", 3),
        ] {
            bytes.extend(serde_json::to_vec(&e).expect("serializes"));
            bytes.push(b'\n');
        }
        let good = bytes.len();
        bytes.extend(br#"{"type":"done","chunk":"c","fi"#);
        let (r, len) = replay_bytes(&bytes);
        assert_eq!(len, good);
        assert!(r.torn_tail);
        assert!(!r.done.contains_key("a"));
        assert_eq!(r.done["b"].rows, 3);
        assert!(!r.done.contains_key("c"));
    }

    #[test]
    fn open_cuts_the_torn_tail_before_appending() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(JOURNAL_FILE);
        let mut bytes = serde_json::to_vec(&rec("a", 1)).expect("serializes");
        bytes.extend(b"\n{\"type\":\"do");
        fs::write(&path, &bytes).expect("write");
        let (mut j, r) = Journal::open(dir.path()).expect("open");
        assert!(r.torn_tail);
        j.append(&rec("b", 2)).expect("append");
        let r = Journal::replay(dir.path()).expect("replay");
        assert!(!r.torn_tail);
        assert!(r.bad_lines.is_empty());
        assert_eq!(r.done.len(), 2);
    }
}
