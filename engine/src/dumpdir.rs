//! Preparing a dump directory: new, resumed, or started over (`--restart`).

use std::fs;
use std::path::Path;

use crate::error::{EngineError, Result};
use crate::manifest::{JOURNAL_FILE, MANIFEST_FILE, Manifest, tmp_path};

/// What the directory holds.
#[derive(Debug)]
pub enum DirState {
    /// Empty or new: a fresh dump.
    Fresh,
    /// An earlier dump to resume.
    Existing(Box<Manifest>),
}

/// Makes sure `dir` exists and is writable, and says what it holds. With `restart`, an earlier
/// dump's files (manifest, journal, chunk files) are removed first; other files are never
/// touched, and a non-empty directory that is not a haul dump is refused.
pub fn prepare(dir: &Path, restart: bool) -> Result<DirState> {
    match fs::metadata(dir) {
        Ok(m) if !m.is_dir() => {
            return Err(EngineError::Directory(format!(
                "`{}` exists and is not a directory",
                dir.display()
            )));
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            fs::create_dir_all(dir).map_err(|e| EngineError::io("creating directory", dir, e))?;
        }
        Err(e) => return Err(EngineError::io("reading", dir, e)),
    }
    check_writable(dir)?;
    let has_manifest = dir.join(MANIFEST_FILE).exists();
    if !has_manifest {
        let foreign: Vec<String> = fs::read_dir(dir)
            .map_err(|e| EngineError::io("listing", dir, e))?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n != JOURNAL_FILE && !n.ends_with(".tmp"))
            .collect();
        if !foreign.is_empty() {
            return Err(EngineError::Directory(format!(
                "`{}` is not empty and holds no haul dump (found `{}`); choose an empty or new directory",
                dir.display(),
                foreign[0]
            )));
        }
        remove_if_exists(&dir.join(JOURNAL_FILE))?;
        return Ok(DirState::Fresh);
    }
    let manifest = match Manifest::read(dir) {
        Ok(m) => m,
        Err(_) if restart => {
            // An unreadable manifest cannot tell us which files are ours: remove only the two
            // bookkeeping files and let chunk files be overwritten.
            remove_if_exists(&dir.join(MANIFEST_FILE))?;
            remove_if_exists(&dir.join(JOURNAL_FILE))?;
            return Ok(DirState::Fresh);
        }
        Err(e) => return Err(e),
    };
    if restart {
        for t in &manifest.tables {
            for c in &t.chunks {
                let p = dir.join(&c.file);
                remove_if_exists(&p)?;
                remove_if_exists(&tmp_path(&p))?;
            }
            let _ = fs::remove_dir(dir.join(&t.dir));
        }
        remove_if_exists(&dir.join(JOURNAL_FILE))?;
        remove_if_exists(&dir.join(MANIFEST_FILE))?;
        return Ok(DirState::Fresh);
    }
    Ok(DirState::Existing(Box::new(manifest)))
}

/// Removes leftover `*.tmp` files of the planned chunks (a crash mid-write leaves them).
pub fn remove_stray_tmp(dir: &Path, manifest: &Manifest) -> Result<usize> {
    let mut n = 0;
    for t in &manifest.tables {
        for c in &t.chunks {
            let tmp = tmp_path(&dir.join(&c.file));
            if tmp.exists() {
                remove_if_exists(&tmp)?;
                n += 1;
            }
        }
    }
    Ok(n)
}

fn remove_if_exists(p: &Path) -> Result<()> {
    match fs::remove_file(p) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(EngineError::io("removing", p, e)),
    }
}

/// Fails early, with the path, when files cannot be created in `dir`.
fn check_writable(dir: &Path) -> Result<()> {
    let probe = dir.join(".haul-write-check.tmp");
    fs::write(&probe, b"").map_err(|e| EngineError::io("cannot write in", dir, e))?;
    fs::remove_file(&probe).map_err(|e| EngineError::io("removing", &probe, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_foreign_directories_and_accepts_empty_ones() {
        let d = tempfile::tempdir().expect("tempdir");
        assert!(matches!(prepare(d.path(), false), Ok(DirState::Fresh)));
        fs::write(d.path().join("notes.txt"), b"x").expect("write");
        let err = prepare(d.path(), false).expect_err("foreign file");
        assert!(err.to_string().contains("notes.txt"), "{err}");
        let sub = d.path().join("new/deeper");
        assert!(matches!(prepare(&sub, false), Ok(DirState::Fresh)));
    }
}
