//! `haul load DIR mysql://…` against the real MariaDB: a MySQL dump loaded into another
//! database ends equal to its source, row for row and by `CHECKSUM TABLE`, with its indexes,
//! foreign keys, generated columns and AUTO_INCREMENT; kill -9 and resume loads every chunk
//! exactly once; values the target refuses fail their chunk with nothing committed.

mod common;

use std::io::BufRead;

use common::{run, spawn};
use haul_testdata::MyTestDb;

/// Every type of the MySQL type table in one table, plus a parent/child pair with a foreign
/// key, secondary indexes, a generated column and an AUTO_INCREMENT counter past MAX(id).
const FIXTURE: &str = "
CREATE TABLE parent (id int PRIMARY KEY, name varchar(20) NOT NULL, UNIQUE KEY name_u (name)) ENGINE=InnoDB;
CREATE TABLE wide (
  id int NOT NULL AUTO_INCREMENT PRIMARY KEY,
  parent_id int NULL,
  a tinyint(1), b bigint unsigned, c decimal(65,30), d float, e double, f bit(5), f64 bit(64),
  g varchar(20) CHARACTER SET latin1, g8 text CHARACTER SET utf8mb3, h varbinary(10), bin binary(4),
  i enum('x','y','it''s'), j set('p','q','r'), k date, l datetime(6), m timestamp(6) NULL,
  n time(6), o year, p json, q geometry, r mediumint unsigned, s smallint, t char(5),
  total int AS (s * 2) STORED, virt varchar(30) AS (concat(t, '!')) VIRTUAL,
  KEY by_k (k), KEY by_gt (g, t), FULLTEXT KEY ft (g8),
  CONSTRAINT wide_parent FOREIGN KEY (parent_id) REFERENCES parent (id) ON DELETE SET NULL
) ENGINE=InnoDB AUTO_INCREMENT=1000;
INSERT INTO parent VALUES (1, 'one'), (2, 'two');
SET time_zone = '+05:00';
INSERT INTO wide (id, parent_id, a, b, c, d, e, f, f64, g, g8, h, bin, i, j, k, l, m, n, o, p, q, r, s, t) VALUES
 (1, 1, 1, 18446744073709551615, '-12345678901234567890123456789012345.123456789012345678901234567890',
  0.1, 0.1, b'10101', b'1111111111111111111111111111111111111111111111111111111111111111',
  'café ©', 'tab\\there\\nnewline \\\\ back\\\\N', x'00ff5c0a09', x'0102', 'it''s', 'p,r', '1000-01-01',
  '9999-12-31 23:59:59.999999', '2024-03-01 12:00:00', '-838:59:59', 2155, '{\"a\": [1, \"x\"]}',
  ST_GeomFromText('POINT(1 2)'), 16777215, -32768, 'ab'),
 (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '', NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (3, 2, 0, 0, 0, -3.4028234e38, 5e-324, b'0', b'0', '', '', '', x'00000000', 'x', 'p,q,r', '2024-02-29',
  '1970-01-01 00:00:00', '2038-01-19 03:14:07.999999', '25:00:00.5', 1901, '[]',
  ST_GeomFromText('POLYGON((0 0, 1 0, 0 1, 0 0))'), 0, 32767, '');
INSERT INTO wide (parent_id, s, t) SELECT 1 + seq % 2, seq % 1000, concat('r', seq) FROM seq_1_to_3000;
";

/// Text forms of every row of `table`, binary columns in hex, ordered by `id`.
fn rows(db: &MyTestDb, table: &str) -> Vec<Vec<Option<String>>> {
    let cols = db.query_strings(&format!(
        "SELECT COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS \
         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '{table}' ORDER BY ORDINAL_POSITION"
    ));
    let list: Vec<String> = cols
        .iter()
        .map(|r| {
            let name = r[0].clone().expect("name");
            match r[1].as_deref() {
                Some("binary" | "varbinary" | "blob" | "geometry" | "point" | "polygon") => {
                    format!("HEX(`{name}`)")
                }
                _ => format!("`{name}`"),
            }
        })
        .collect();
    db.query_strings(&format!(
        "SET time_zone = '+00:00'; SELECT {} FROM `{table}` ORDER BY id",
        list.join(", ")
    ))
}

fn checksum(db: &MyTestDb, table: &str) -> Option<String> {
    db.query_strings(&format!("CHECKSUM TABLE `{table}`"))[0][1].clone()
}

/// `SHOW CREATE TABLE` (the AUTO_INCREMENT counter included).
fn create_table(db: &MyTestDb, table: &str) -> String {
    db.query_strings(&format!("SHOW CREATE TABLE `{table}`"))[0][1]
        .clone()
        .expect("ddl")
}

#[test]
fn a_mysql_dump_loads_into_mysql_equal_to_its_source() {
    let (Some(src), Some(dst)) = (
        MyTestDb::create("my_load_src"),
        MyTestDb::create("my_load_dst"),
    ) else {
        return;
    };
    src.exec(FIXTURE);
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("d");
    let d = dir.to_str().expect("utf-8");
    let r = run(&["dump", src.url(), d, "--chunk-bytes", "64KiB"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);

    let r = run(&["load", d, dst.url(), "--jobs", "3", "--json"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.events_of("step_failed").is_empty(), "{}", r.stdout);
    for t in ["parent", "wide"] {
        assert_eq!(rows(&dst, t), rows(&src, t), "{t}: rows differ");
        assert_eq!(
            checksum(&dst, t),
            checksum(&src, t),
            "{t}: CHECKSUM TABLE differs"
        );
        assert_eq!(
            create_table(&dst, t),
            create_table(&src, t),
            "{t}: definitions differ"
        );
    }
    // Generated columns compute, the counter continues, the foreign key is enforced.
    // The same insert into the source gives the id the target must give.
    src.exec("INSERT INTO wide (s, t) VALUES (21, 'zz')");
    let next = src.scalar("SELECT id FROM wide WHERE t = 'zz'");
    dst.exec("INSERT INTO wide (s, t) VALUES (21, 'zz')");
    assert_eq!(
        dst.query_strings("SELECT id, total, virt FROM wide WHERE t = 'zz'"),
        vec![vec![next, Some("42".into()), Some("zz!".into())]]
    );
    assert!(
        dst.try_exec("INSERT INTO wide (parent_id) VALUES (99)")
            .is_err()
    );
    // Loading the same dump again: nothing to do.
    let again = run(&["load", d, dst.url()]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stderr.contains("already loaded") || again.stdout.contains("already loaded"));
    // The journal tables are not part of a later dump of the target.
    let redump = tmp.path().join("re");
    let r = run(&["dump", dst.url(), redump.to_str().expect("utf-8")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!redump.join(format!("{}._haul_chunks", dst.name())).exists());
}

#[test]
fn kill_9_during_a_load_then_resume_loads_every_chunk_once() {
    let (Some(src), Some(dst)) = (
        MyTestDb::create("my_lcrash_src"),
        MyTestDb::create("my_lcrash_dst"),
    ) else {
        return;
    };
    src.exec(
        "CREATE TABLE t (id int PRIMARY KEY, pad varchar(300), KEY by_pad (pad)); \
         INSERT INTO t SELECT seq, repeat(md5(seq), 8) FROM seq_1_to_20000;",
    );
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("d");
    let d = dir.to_str().expect("utf-8");
    let r = run(&["dump", src.url(), d, "--chunk-bytes", "32KiB"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for after in [0usize, 3, 9] {
        let mut child = spawn(&["load", d, dst.url(), "--json", "--jobs", "2"]);
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
    let r = run(&["load", d, dst.url(), "--json", "--jobs", "2"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        dst.scalar("SELECT CONCAT(COUNT(*), '/', COUNT(DISTINCT id)) FROM t"),
        Some("20000/20000".into())
    );
    let chunks: usize = std::fs::read_to_string(dir.join("chunks.jsonl"))
        .expect("journal")
        .lines()
        .filter(|l| l.contains("\"type\":\"done\""))
        .count();
    assert_eq!(
        dst.scalar("SELECT CONCAT(COUNT(*), '/', COUNT(DISTINCT chunk)) FROM _haul_chunks"),
        Some(format!("{chunks}/{chunks}"))
    );
    assert_eq!(rows(&dst, "t"), rows(&src, "t"));
    assert_eq!(create_table(&dst, "t"), create_table(&src, "t"));
}

#[test]
fn existing_tables_and_refused_values_stop_with_nothing_committed() {
    let (Some(src), Some(dst)) = (
        MyTestDb::create("my_lerr_src"),
        MyTestDb::create("my_lerr_dst"),
    ) else {
        return;
    };
    src.exec(
        "CREATE TABLE t (id int PRIMARY KEY, v varchar(20)); \
         INSERT INTO t VALUES (1, 'short'), (2, 'a longer value');",
    );
    dst.exec("CREATE TABLE t (id int PRIMARY KEY, v varchar(5))");
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("d");
    let d = dir.to_str().expect("utf-8");
    assert_eq!(run(&["dump", src.url(), d]).code, 0);

    let r = run(&["load", d, dst.url()]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("already has 1 of the dump's tables (t)"),
        "{}",
        r.stderr
    );

    // Appending into a narrower column: the server refuses the value, the chunk rolls back.
    let r = run(&["load", d, dst.url(), "--if-exists", "append"]);
    assert_ne!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("too long") || r.stderr.contains("truncated"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("rolled back"), "{}", r.stderr);
    assert_eq!(dst.scalar("SELECT COUNT(*) FROM t"), Some("0".into()));

    // Replacing recreates the table from the dump.
    let r = run(&["load", d, dst.url(), "--if-exists", "replace"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(rows(&dst, "t"), rows(&src, "t"));
}
