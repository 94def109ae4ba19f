//! Bad input: each gets one clear line on stderr naming what and where, exit code 2, and
//! leaves nothing a later run would take as done.

mod common;

use std::io::BufRead;
use std::path::Path;
use std::process::{Command, Stdio};

use common::{haul, run, tmp_files};
use haul_testdata::{PgTestDb, in_ci, pg_admin_url, with_dbname};

fn error_line(r: &common::Run) -> String {
    let lines: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.starts_with("error:"))
        .collect();
    assert_eq!(lines.len(), 1, "one error line expected, got: {}", r.stderr);
    lines[0].to_string()
}

/// Journal records of a (partial) dump directory.
fn journal_records(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("chunks.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

#[test]
fn unreachable_server() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("d");
    let r = run(&[
        "dump",
        "postgres://postgres@127.0.0.1:1/nope",
        dir.to_str().expect("p"),
    ]);
    assert_eq!(r.code, 2);
    let line = error_line(&r);
    assert!(
        line.contains("cannot connect to postgres://postgres@127.0.0.1:1/nope"),
        "{line}"
    );
    assert!(line.contains("is the server running"), "{line}");
    assert!(!dir.join("manifest.json").exists());
}

#[test]
fn missing_database_and_unknown_role() {
    if PgTestDb::create("probe").is_none() {
        return;
    }
    let url = with_dbname(&pg_admin_url(), "haul_no_such_database");
    let r = run(&["plan", &url]);
    assert_eq!(r.code, 2);
    let line = error_line(&r);
    assert!(
        line.contains("haul_no_such_database") && line.contains("does not exist"),
        "{line}"
    );

    let url = pg_admin_url().replacen("postgres@", "haul_no_such_role@", 1);
    let r = run(&["plan", &url]);
    assert_eq!(r.code, 2);
    assert!(error_line(&r).contains("haul_no_such_role"), "{}", r.stderr);
}

#[test]
fn wrong_password() {
    let Some(db) = PgTestDb::create("wrong_pw") else {
        return;
    };
    // .ci/run puts a scram rule for this role ahead of the local trust rules.
    let has_rule = db
        .scalar("SELECT count(*) FROM pg_hba_file_rules WHERE 'haul_pwcheck' = ANY(user_name) AND auth_method = 'scram-sha-256'")
        .unwrap_or_default();
    if has_rule != "1" {
        let msg = "no scram-sha-256 pg_hba rule for role haul_pwcheck (.ci/run adds it)";
        assert!(!in_ci(), "{msg}");
        eprintln!("skipping: {msg}");
        return;
    }
    db.exec(
        "DO $$ BEGIN CREATE ROLE haul_pwcheck LOGIN PASSWORD 'right-one'; \
         EXCEPTION WHEN duplicate_object THEN ALTER ROLE haul_pwcheck LOGIN PASSWORD 'right-one'; END $$",
    );
    let base = db.url().replacen("postgres@", "haul_pwcheck:wrong-one@", 1);
    let r = run(&["plan", &base]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let line = error_line(&r);
    assert!(line.contains("password authentication failed"), "{line}");
    assert!(
        !line.contains("wrong-one"),
        "the password must never be printed: {line}"
    );

    // The right password works, from PGPASSWORD too.
    let good = db.url().replacen("postgres@", "haul_pwcheck@", 1);
    let ok = haul()
        .args(["plan", &good])
        .env("PGPASSWORD", "right-one")
        .output()
        .expect("runs");
    // The role may not see the tables, but authentication must pass.
    let stderr = String::from_utf8_lossy(&ok.stderr);
    assert!(
        !stderr.contains("password authentication failed"),
        "{stderr}"
    );
}

#[test]
fn a_glob_that_matches_no_table() {
    let Some(db) = PgTestDb::create("glob") else {
        return;
    };
    db.exec("CREATE TABLE t (id int PRIMARY KEY)");
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("d");
    let r = run(&[
        "dump",
        db.url(),
        dir.to_str().expect("p"),
        "--tables",
        "nope*",
    ]);
    assert_eq!(r.code, 2);
    let line = error_line(&r);
    assert!(line.contains("--tables `nope*` matches no table"), "{line}");
    assert!(!dir.join("manifest.json").exists());
}

/// Mounts a tmpfs (root only); `None` when not possible here (then the test says so).
fn tmpfs(path: &Path, opts: &str) -> Option<()> {
    std::fs::create_dir_all(path).ok()?;
    let ok = Command::new("mount")
        .args(["-t", "tmpfs", "-o", opts, "tmpfs", path.to_str()?])
        .stderr(Stdio::null())
        .status()
        .ok()?
        .success();
    if ok {
        Some(())
    } else {
        let msg = "cannot mount a tmpfs here (needs root)";
        assert!(!in_ci(), "{msg}");
        eprintln!("skipping: {msg}");
        None
    }
}

struct Unmount<'a>(&'a Path);
impl Drop for Unmount<'_> {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.0).status();
    }
}

#[test]
fn a_directory_that_is_not_writable() {
    let Some(db) = PgTestDb::create("ro_dir") else {
        return;
    };
    db.exec("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1)");
    let tmp = tempfile::tempdir().expect("tempdir");
    let ro = tmp.path().join("ro");
    if tmpfs(&ro, "size=1m,ro").is_none() {
        return;
    }
    let _u = Unmount(&ro);
    let r = run(&["dump", db.url(), ro.join("out").to_str().expect("p")]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let line = error_line(&r);
    assert!(line.contains(ro.join("out").to_str().expect("p")), "{line}");
    assert!(line.contains("read-only"), "{line}");
}

#[test]
fn disk_full_stops_cleanly_and_keeps_only_complete_chunks() {
    let Some(db) = PgTestDb::create("disk_full") else {
        return;
    };
    db.exec(
        "CREATE TABLE big (id int PRIMARY KEY, pad text); \
         INSERT INTO big SELECT g, md5(g::text) || md5((g * 7)::text) || md5((g * 13)::text) FROM generate_series(1, 60000) g; \
         ANALYZE",
    );
    let tmp = tempfile::tempdir().expect("tempdir");
    let small = tmp.path().join("small");
    if tmpfs(&small, "size=1200k").is_none() {
        return;
    }
    let _u = Unmount(&small);
    let dir = small.join("out");
    let r = run(&[
        "dump",
        db.url(),
        dir.to_str().expect("p"),
        "--chunk-bytes",
        "256KiB",
        "--compression",
        "none",
    ]);
    assert_eq!(r.code, 2, "stdout {} stderr {}", r.stdout, r.stderr);
    let line = error_line(&r);
    assert!(
        line.contains("disk full") || line.contains("No space left"),
        "{line}"
    );
    assert!(
        tmp_files(&dir).is_empty(),
        "temporary files left: {:?}",
        tmp_files(&dir)
    );
    // Every recorded chunk is complete: verify finds only missing chunks, never a bad one.
    let v = run(&["verify", dir.to_str().expect("p")]);
    assert_eq!(v.code, 1, "{}", v.stdout);
    for l in v.stdout.lines().filter(|l| l.starts_with("BAD")) {
        assert!(
            l.contains("missing") || l.contains("no journal record"),
            "{l}"
        );
    }
    let recorded = journal_records(&dir).len();
    assert!(recorded < 10, "most chunks cannot fit: {recorded} recorded");
}

/// Starts `haul dump --json`, waits for its `started` event, runs `during`, waits for the end.
fn dump_with(db: &PgTestDb, dir: &Path, extra: &[&str], during: impl FnOnce()) -> common::Run {
    let mut args = vec![
        "dump",
        db.url(),
        dir.to_str().expect("utf-8 path"),
        "--json",
    ];
    args.extend_from_slice(extra);
    let mut child = common::spawn(&args);
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = std::io::BufReader::new(stdout).lines();
    let mut seen = String::new();
    for line in lines.by_ref() {
        let line = line.expect("line");
        seen.push_str(&line);
        seen.push('\n');
        if line.contains("\"type\":\"started\"") {
            break;
        }
    }
    during();
    for line in lines {
        seen.push_str(&line.expect("line"));
        seen.push('\n');
    }
    let out = child.wait_with_output().expect("wait");
    common::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: seen,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn a_table_altered_or_dropped_mid_dump() {
    let Some(db) = PgTestDb::create("ddl_mid") else {
        return;
    };
    db.exec(
        "CREATE TABLE big (id int PRIMARY KEY, pad text); \
         INSERT INTO big SELECT g, repeat(md5(g::text), 4) FROM generate_series(1, 60000) g; \
         CREATE TABLE small (id int PRIMARY KEY); INSERT INTO small VALUES (1), (2); ANALYZE",
    );
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("d");
    let url = db.url().to_string();
    let mut ddl = None;
    let r = dump_with(
        &db,
        &dir,
        &["--jobs", "1", "--chunk-bytes", "64KiB"],
        || {
            // Blocks behind haul's ACCESS SHARE lock until haul lets go.
            ddl = Some(std::thread::spawn(move || {
                haul_testdata::block_on(async move {
                    let (c, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                        .await
                        .expect("connect");
                    tokio::spawn(conn);
                    c.batch_execute("SET lock_timeout = '60s'; ALTER TABLE small ADD COLUMN z int")
                        .await
                })
            }));
            std::thread::sleep(std::time::Duration::from_millis(300));
        },
    );
    let ddl_result = ddl.expect("started").join().expect("ddl thread");
    assert!(
        ddl_result.is_ok(),
        "the ALTER should run once haul lets go: {ddl_result:?}"
    );
    assert_eq!(r.code, 2, "stdout {}\nstderr {}", r.stdout, r.stderr);
    let line = error_line(&r);
    assert!(
        line.contains("public.small") && line.contains("altered or dropped"),
        "{line}"
    );
    // Nothing of `small` was recorded as done.
    assert!(journal_records(&dir).iter().all(|rec| {
        !rec["chunk"]
            .as_str()
            .unwrap_or("")
            .starts_with("public.small")
    }));
    assert!(tmp_files(&dir).is_empty());

    // The schema changed: the rerun refuses the directory and says how to go on.
    let again = run(&[
        "dump",
        db.url(),
        dir.to_str().expect("p"),
        "--jobs",
        "1",
        "--chunk-bytes",
        "64KiB",
    ]);
    assert_eq!(again.code, 2);
    assert!(error_line(&again).contains("--restart"), "{}", again.stderr);

    // Dropped mid-dump: same story.
    let dir2 = tmp.path().join("d2");
    let url = db.url().to_string();
    let mut drop_thread = None;
    let r = dump_with(
        &db,
        &dir2,
        &["--jobs", "1", "--chunk-bytes", "64KiB"],
        || {
            drop_thread = Some(std::thread::spawn(move || {
                haul_testdata::block_on(async move {
                    let (c, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                        .await
                        .expect("connect");
                    tokio::spawn(conn);
                    c.batch_execute("SET lock_timeout = '60s'; DROP TABLE small")
                        .await
                })
            }));
            std::thread::sleep(std::time::Duration::from_millis(300));
        },
    );
    assert!(
        drop_thread
            .expect("started")
            .join()
            .expect("thread")
            .is_ok()
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(error_line(&r).contains("public.small"), "{}", r.stderr);
}
