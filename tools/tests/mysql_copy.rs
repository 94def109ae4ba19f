//! `haul copy mysql://…` into MySQL and into PostgreSQL without files: tables end equal to the
//! source, a rerun says it is done, and kill -9 then resume copies every row once.

mod common;

use std::io::BufRead;

use common::{run, spawn};
use haul_testdata::{MyTestDb, PgTestDb};

const FIXTURE: &str = "
CREATE TABLE a (id bigint unsigned PRIMARY KEY, v varchar(50), f double, d decimal(20,4),
                ts timestamp(6) NULL, tm time, b varbinary(16), KEY by_v (v));
INSERT INTO a SELECT seq, concat('v', seq, '\\t\\\\'), seq / 3, seq * 1.25, \
  from_unixtime(1700000000 + seq), sec_to_time(seq), unhex(md5(seq)) FROM seq_1_to_12000;
CREATE TABLE b (k varchar(20), n int, PRIMARY KEY (k, n));
INSERT INTO b SELECT concat('k', seq % 97), seq FROM seq_1_to_3000;
";

fn my_checksums(db: &MyTestDb) -> Vec<Vec<Option<String>>> {
    db.query_strings("CHECKSUM TABLE a, b")
        .into_iter()
        .map(|mut r| {
            r.remove(0);
            r
        })
        .collect()
}

#[test]
fn mysql_to_mysql_copy_ends_equal_and_is_done_once() {
    let (Some(src), Some(dst)) = (MyTestDb::create("cp_src"), MyTestDb::create("cp_dst")) else {
        return;
    };
    src.exec(FIXTURE);
    let r = run(&[
        "copy",
        src.url(),
        dst.url(),
        "--chunk-bytes",
        "64KiB",
        "--json",
    ]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(my_checksums(&dst), my_checksums(&src));
    for t in ["a", "b"] {
        let ddl = |db: &MyTestDb| db.query_strings(&format!("SHOW CREATE TABLE {t}"))[0][1].clone();
        assert_eq!(ddl(&dst), ddl(&src), "{t}");
    }
    let again = run(&["copy", src.url(), dst.url(), "--chunk-bytes", "64KiB"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stderr.contains("already done"), "{}", again.stderr);
}

#[test]
fn mysql_to_postgresql_copy_survives_kill_9_and_resumes() {
    let (Some(src), Some(dst)) = (MyTestDb::create("cpx_src"), PgTestDb::create("cpx_dst")) else {
        return;
    };
    src.exec(FIXTURE);
    let args = [
        "copy",
        src.url(),
        dst.url(),
        "--chunk-bytes",
        "32KiB",
        "--jobs",
        "2",
        "--json",
    ];
    for after in [0usize, 5] {
        let mut child = spawn(&args);
        let stdout = child.stdout.take().expect("stdout");
        let mut seen = 0;
        for line in std::io::BufReader::new(stdout).lines() {
            let line = line.expect("line");
            seen += usize::from(line.contains("\"type\":\"chunk_done\""));
            let trigger = if after == 0 {
                line.contains("\"type\":\"started\"")
            } else {
                seen >= after
            };
            if trigger {
                let _ = child.kill();
                break;
            }
        }
        let _ = child.wait();
    }
    let r = run(&args);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        dst.scalar("SELECT count(*) || '/' || count(DISTINCT id) FROM a"),
        Some("12000/12000".into())
    );
    assert_eq!(
        dst.scalar("SELECT count(*) || '/' || count(DISTINCT (k, n)) FROM b"),
        Some("3000/3000".into())
    );
    // Values as the source has them.
    let want = src.query_strings(
        "SELECT id, v, CAST(d AS CHAR), DATE_FORMAT(ts, '%Y-%m-%d %H:%i:%s'), HEX(b) FROM a \
         WHERE id IN (1, 777, 12000) ORDER BY id",
    );
    let got = dst.query(
        "SELECT id::text, v, d::text, to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), \
         upper(encode(b, 'hex')) FROM a WHERE id IN (1, 777, 12000) ORDER BY a.id",
    );
    assert_eq!(got, want);
    assert_eq!(
        dst.scalar("SELECT count(*) FROM pg_indexes WHERE tablename IN ('a', 'b')"),
        Some("3".into())
    );
}
