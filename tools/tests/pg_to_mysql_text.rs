//! PostgreSQL values MySQL has no type for, loaded and copied into MariaDB and verified there:
//! unconstrained `numeric` as exact text (`--numeric-as-text`), and intervals, timetz and
//! arrays (stored as text and JSON) read back into the dump's types by `verify --against`.

mod common;

use common::{Run, run};
use haul_testdata::{MyTestDb, PgTestDb};

const NUMS: &str = r#"
CREATE TABLE nums (id int PRIMARY KEY, free numeric NOT NULL DEFAULT 1.5, fixed numeric(10,2), frees numeric[]);
INSERT INTO nums VALUES
  (1, 123.4500, 1.50, '{1.10,NaN,NULL}'),
  (2, 'NaN', NULL, NULL),
  (3, 'Infinity', NULL, '{}'),
  (4, '-Infinity', NULL, NULL),
  (5, ('1' || repeat('0', 100))::numeric, NULL, NULL),
  (6, ('0.' || repeat('0', 39) || '1')::numeric, NULL, NULL),
  (7, -0.5, -2.00, NULL);
INSERT INTO nums (id, free) SELECT g, g * 1.25 FROM generate_series(10, 3000) g;
ANALYZE;
"#;

/// `free` as PostgreSQL prints it, by id.
const EXACT: &[(&str, &str)] = &[
    ("1", "123.4500"),
    ("2", "NaN"),
    ("3", "Infinity"),
    ("4", "-Infinity"),
    ("7", "-0.5"),
];

fn column_type(db: &MyTestDb, table: &str, column: &str) -> String {
    db.scalar(&format!(
        "SELECT COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() \
         AND TABLE_NAME = '{table}' AND COLUMN_NAME = '{column}'"
    ))
    .unwrap_or_else(|| panic!("no column {table}.{column}"))
}

fn assert_ok(r: &Run) {
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

/// The numbers are PostgreSQL's exact text in MySQL.
fn assert_exact_numbers(db: &MyTestDb) {
    assert_eq!(column_type(db, "nums", "free"), "longtext");
    assert_eq!(column_type(db, "nums", "fixed"), "decimal(10,2)");
    for (id, want) in EXACT {
        let got = db.scalar(&format!("SELECT free FROM nums WHERE id = {id}"));
        assert_eq!(got.as_deref(), Some(*want), "id {id}");
    }
    let huge = db.scalar("SELECT free FROM nums WHERE id = 5");
    assert_eq!(huge, Some(format!("1{}", "0".repeat(100))));
    let tiny = db.scalar("SELECT free FROM nums WHERE id = 6");
    assert_eq!(tiny, Some(format!("0.{}1", "0".repeat(39))));
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM nums"),
        Some("2998".to_string())
    );
}

#[test]
fn numeric_as_text_keeps_postgresql_text_in_load_and_copy_and_verifies() {
    let (Some(src), Some(loaded), Some(copied)) = (
        PgTestDb::create("nat_src"),
        MyTestDb::create("nat_loaded"),
        MyTestDb::create("nat_copied"),
    ) else {
        return;
    };
    src.exec(NUMS);
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("d");
    let d = dir.to_str().expect("utf-8");
    assert_ok(&run(&["dump", src.url(), d, "--chunk-bytes", "32KiB"]));

    assert_ok(&run(&["load", d, loaded.url(), "--numeric-as-text"]));
    assert_exact_numbers(&loaded);
    // The default survives as text, and a new row gets it.
    loaded.exec("INSERT INTO nums (id) VALUES (9)");
    assert_eq!(
        loaded
            .scalar("SELECT free FROM nums WHERE id = 9")
            .as_deref(),
        Some("1.5")
    );
    loaded.exec("DELETE FROM nums WHERE id = 9");
    assert_ok(&run(&["verify", d, "--against", loaded.url()]));

    let r = run(&[
        "copy",
        src.url(),
        copied.url(),
        "--numeric-as-text",
        "--chunk-bytes",
        "32KiB",
    ]);
    assert_ok(&r);
    assert_exact_numbers(&copied);
    assert_ok(&run(&["verify", d, "--against", copied.url()]));

    // A changed digit is found (trailing zeros are not a change: 123.45 = 123.4500).
    loaded.exec("UPDATE nums SET free = '123.45' WHERE id = 1");
    assert_ok(&run(&["verify", d, "--against", loaded.url()]));
    loaded.exec("UPDATE nums SET free = '123.4501' WHERE id = 1");
    let v = run(&["verify", d, "--against", loaded.url(), "--json"]);
    assert_eq!(v.code, 1, "{}{}", v.stdout, v.stderr);
    let problems = v.events_of("problem");
    assert_eq!(problems.len(), 1, "{problems:?}");
    let chunk = problems[0]["data"]["chunk"].as_str().expect("chunk");
    assert!(chunk.starts_with("public.nums#"), "{chunk}");

    // Rerunning the finished copy without the flag would leave LONGTEXT behind the user's
    // back: it is refused, naming the column and both ways on.
    let again = run(&["copy", src.url(), copied.url(), "--chunk-bytes", "32KiB"]);
    assert_eq!(again.code, 2, "{}{}", again.stdout, again.stderr);
    for want in [
        "`nums`.`free` is longtext",
        "with --numeric-as-text",
        "--if-exists replace",
    ] {
        assert!(again.stderr.contains(want), "{want}: {}", again.stderr);
    }
    let same = run(&[
        "copy",
        src.url(),
        copied.url(),
        "--numeric-as-text",
        "--chunk-bytes",
        "32KiB",
    ]);
    assert_ok(&same);
    assert!(same.stderr.contains("already done"), "{}", same.stderr);
}

#[test]
fn without_the_flag_a_number_decimal_cannot_hold_names_column_key_and_flag() {
    let (Some(src), Some(dst), Some(copied)) = (
        PgTestDb::create("nat_nf_src"),
        MyTestDb::create("nat_nf_dst"),
        MyTestDb::create("nat_nf_copy"),
    ) else {
        return;
    };
    src.exec(NUMS);
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("d");
    let d = dir.to_str().expect("utf-8");
    assert_ok(&run(&["dump", src.url(), d, "--chunk-bytes", "32KiB"]));

    let r = run(&["load", d, dst.url(), "--json"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert_eq!(column_type(&dst, "nums", "free"), "decimal(65,30)");
    let failed = r.events_of("chunk_failed");
    assert_eq!(failed.len(), 1, "{failed:?}");
    let error = failed[0]["data"]["error"].as_str().expect("error");
    for want in ["column `free`", "(id)=(2)", "`NaN`", "--numeric-as-text"] {
        assert!(error.contains(want), "{want}: {error}");
    }
    // The other chunks are in; nothing of the failed one is.
    assert_eq!(
        dst.scalar("SELECT COUNT(*) FROM nums WHERE id < 10"),
        Some("0".into())
    );

    // Resuming with the flag would load text into the DECIMAL column the first run created.
    let r = run(&["load", d, dst.url(), "--numeric-as-text"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    for want in [
        "without --numeric-as-text",
        "`nums`.`free` is decimal",
        "--if-exists replace",
    ] {
        assert!(r.stderr.contains(want), "{want}: {}", r.stderr);
    }
    let r = run(&[
        "load",
        d,
        dst.url(),
        "--numeric-as-text",
        "--if-exists",
        "replace",
    ]);
    assert_ok(&r);
    assert_exact_numbers(&dst);
    assert_ok(&run(&["verify", d, "--against", dst.url()]));

    // The copy fails the same way, and says the same.
    let r = run(&[
        "copy",
        src.url(),
        copied.url(),
        "--chunk-bytes",
        "32KiB",
        "--json",
    ]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let failed = r.events_of("chunk_failed");
    let error = failed[0]["data"]["error"].as_str().expect("error");
    assert!(
        error.contains("column `free`") && error.contains("--numeric-as-text"),
        "{error}"
    );

    // The flag is only for PostgreSQL into MySQL.
    let r = run(&["load", d, src.url(), "--numeric-as-text"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("--numeric-as-text is for"),
        "{}",
        r.stderr
    );
}

const ODD: &str = r#"
CREATE TYPE mood AS ENUM ('sad', 'ok');
CREATE TABLE odd (
  id int PRIMARY KEY, span interval, tz timetz, ints int[], texts text[], grid int[][],
  nums numeric(10,2)[], frees numeric[], stamps timestamptz[], days date[], ids uuid[],
  bytes bytea[], docs jsonb[], flags bool[], spans interval[], tzs timetz[], reals real[],
  dbls float8[], times time[], moods mood[]
);
INSERT INTO odd VALUES
  (1, '1 year 2 mons 3 days 04:05:06.000007', '12:34:56.789+05:30', '{1,2,NULL}',
   ARRAY['a b', 'quote"q', E'back\\slash', NULL, '', 'é🎈', 'NULL', E'tab\tnl\n', '[1]'],
   '{{1,2},{3,NULL}}', '{1.50,-2.00,NULL}', '{123.4500,NaN,Infinity}',
   '{"2024-03-01 12:00:00+05","1970-01-01 00:00:00.000001+00"}', '{2024-02-29,1000-01-01}',
   '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}', ARRAY['\x00ff'::bytea, ''::bytea, NULL],
   ARRAY['{"b": 1, "a": [1, 2.50]}'::jsonb, '"s"'::jsonb, NULL], '{t,f,NULL}',
   ARRAY['1 day'::interval, NULL, '-1 mons +00:00:01'], ARRAY['01:02:03+02'::timetz, '24:00:00-15:59'],
   '{0.1,-0,3.4028235e38}', '{5e-324,1e300}', '{24:00:00,00:00:00.000001}', '{sad,NULL,ok}'),
  (2, '-1 years -2 mons +3 days -04:05:06', '00:00:00+00', '{}', '{}', '{}', '{}', '{}', '{}', '{}',
   '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}'),
  (3, '00:00:00', '23:59:59.999999-15:59', '{NULL}', '{NULL}', NULL, NULL, NULL, NULL, NULL,
   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
   NULL, NULL, NULL, NULL, NULL);
INSERT INTO odd (id, span, tz, ints, texts)
  SELECT g, make_interval(days => g, secs => g / 7.0), '10:00:00+01', ARRAY[g, NULL], ARRAY['r' || g]
  FROM generate_series(100, 3000) g;
ANALYZE;
"#;

/// The problems of a verify run that exited 1.
fn problems(v: &Run) -> Vec<(String, String)> {
    assert_eq!(v.code, 1, "{}{}", v.stdout, v.stderr);
    v.events_of("problem")
        .iter()
        .map(|p| {
            (
                p["data"]["chunk"].as_str().expect("chunk").to_string(),
                p["data"]["problem"].as_str().expect("problem").to_string(),
            )
        })
        .collect()
}

#[test]
fn intervals_timetz_and_arrays_verify_against_mysql() {
    let (Some(src), Some(loaded), Some(copied)) = (
        PgTestDb::create("arr_src"),
        MyTestDb::create("arr_loaded"),
        MyTestDb::create("arr_copied"),
    ) else {
        return;
    };
    src.exec(ODD);
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("d");
    let d = dir.to_str().expect("utf-8");
    assert_ok(&run(&["dump", src.url(), d, "--chunk-bytes", "32KiB"]));
    assert_ok(&run(&["load", d, loaded.url()]));
    assert_ok(&run(&[
        "copy",
        src.url(),
        copied.url(),
        "--chunk-bytes",
        "32KiB",
    ]));
    for db in [&loaded, &copied] {
        assert_eq!(column_type(db, "odd", "span"), "varchar(80)");
        assert_eq!(column_type(db, "odd", "tz"), "varchar(32)");
        let row = db.query_strings(
            "SELECT span, tz, ints, grid, JSON_EXTRACT(texts, '$[3]'), JSON_LENGTH(nums) \
             FROM odd WHERE id = 1",
        );
        assert_eq!(
            row[0],
            [
                "1 year 2 mons 3 days 04:05:06.000007",
                "12:34:56.789000+05:30",
                "[1,2,null]",
                "[[1,2],[3,null]]",
                "null",
                "3",
            ]
            .map(|s| Some(s.to_string()))
        );
        let v = run(&["verify", d, "--against", db.url()]);
        assert_ok(&v);
    }

    // A changed interval is found in its chunk, and only there; put back, all match again.
    loaded.exec("UPDATE odd SET span = '1 year 2 mons 3 days 04:05:06.000008' WHERE id = 1");
    let first = problems(&run(&["verify", d, "--against", loaded.url(), "--json"]));
    assert_eq!(first.len(), 1, "{first:?}");
    assert!(first[0].0.starts_with("public.odd#"), "{first:?}");
    assert!(first[0].1.contains("checksum differs"), "{first:?}");
    loaded.exec("UPDATE odd SET span = '1 year 2 mons 3 days 04:05:06.000007' WHERE id = 1");
    assert_ok(&run(&["verify", d, "--against", loaded.url()]));

    // An array element changed by hand in another chunk.
    loaded.exec("UPDATE odd SET texts = JSON_ARRAY('r2999x') WHERE id = 2999");
    let other = problems(&run(&["verify", d, "--against", loaded.url(), "--json"]));
    assert_eq!(other.len(), 1, "{other:?}");
    assert_ne!(other[0].0, first[0].0, "a later chunk: {other:?}");
    loaded.exec("UPDATE odd SET texts = JSON_ARRAY('r2999') WHERE id = 2999");

    // A NULL element is not an empty list, and a value that is not PostgreSQL's text is
    // reported naming the column.
    copied.exec("UPDATE odd SET ints = '[]' WHERE id = 3");
    let null_elem = problems(&run(&["verify", d, "--against", copied.url(), "--json"]));
    assert_eq!(null_elem.len(), 1, "{null_elem:?}");
    copied.exec("UPDATE odd SET ints = '[null]', tz = 'noon' WHERE id = 3");
    let bad = problems(&run(&["verify", d, "--against", copied.url(), "--json"]));
    assert_eq!(bad.len(), 1, "{bad:?}");
    for want in ["cannot read it", "column `tz`", "(key (id)=(3))", "`noon`"] {
        assert!(bad[0].1.contains(want), "{want}: {bad:?}");
    }
}
