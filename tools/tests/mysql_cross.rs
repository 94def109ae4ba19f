//! Across engines and back to the source: a MySQL dump loaded into PostgreSQL (types mapped as
//! docs/types.md says, keys, identity, verified with `verify --against`), and `verify
//! --against` a MySQL target naming the chunk of a changed row.

mod common;

use common::run;
use haul_testdata::{MyTestDb, PgTestDb};

const FIXTURE: &str = "
CREATE TABLE parent (id int PRIMARY KEY, name varchar(20) NOT NULL DEFAULT 'none', UNIQUE KEY name_u (name));
CREATE TABLE kinds (
  id int unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY,
  parent_id int NULL,
  ti tinyint, tb tinyint(1), tu tinyint unsigned, su smallint unsigned, mi mediumint, iu int unsigned,
  bu bigint unsigned, d decimal(12,2), dw decimal(65,30), f float, e double, bits bit(10),
  v varchar(10), lat varchar(10) CHARACTER SET latin1, t text, bin varbinary(8), bl blob,
  en enum('a','b','it''s'), st set('x','y','z'), dt date, dtt datetime(6), ts timestamp(6) NULL,
  tm time(6), yr year, js json, g geometry,
  KEY by_v (v),
  CONSTRAINT kinds_parent FOREIGN KEY (parent_id) REFERENCES parent (id)
) AUTO_INCREMENT=50;
INSERT INTO parent VALUES (1, 'one'), (2, 'two');
SET time_zone = '+00:00';
INSERT INTO kinds (id, parent_id, ti, tb, tu, su, mi, iu, bu, d, dw, f, e, bits, v, lat, t, bin, bl, en, st,
                   dt, dtt, ts, tm, yr, js, g) VALUES
 (1, 1, -128, 1, 255, 65535, -8388608, 4294967295, 18446744073709551615, -1234567890.12,
  '-12345678901234567890123456789012345.123456789012345678901234567890', 0.1, 5e-324, b'1111111111',
  'héllo', 'café', 'tab\\tnl\\n', x'00ff', x'deadbeef', 'it''s', 'x,z', '1000-01-01',
  '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07.999999', '-838:59:59', 2155, '{\"k\": [1, 2]}',
  ST_GeomFromText('POINT(1 2)')),
 (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, '', NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO kinds (parent_id, v, tm) SELECT 1 + seq % 2, concat('r', seq), '25:00:00' FROM seq_1_to_2000;
";

#[test]
fn a_mysql_dump_loads_into_postgresql_and_verifies() {
    let (Some(src), Some(dst)) = (MyTestDb::create("x_my_src"), PgTestDb::create("x_pg_dst"))
    else {
        return;
    };
    src.exec(FIXTURE);
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("d");
    let d = dir.to_str().expect("utf-8");
    let r = run(&["dump", src.url(), d, "--chunk-bytes", "32KiB"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);

    let r = run(&["load", d, dst.url(), "--jobs", "2", "--json"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let v = run(&["verify", d, "--against", dst.url()]);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);

    // Types as docs/types.md maps them.
    let types = dst.query(
        "SELECT column_name, format_type(atttypid, atttypmod) FROM information_schema.columns c \
         JOIN pg_attribute a ON a.attrelid = 'public.kinds'::regclass AND a.attname = c.column_name \
         WHERE c.table_name = 'kinds' ORDER BY c.ordinal_position",
    );
    let ty = |col: &str| {
        types
            .iter()
            .find(|r| r[0].as_deref() == Some(col))
            .and_then(|r| r[1].clone())
            .unwrap_or_else(|| panic!("no column {col}: {types:?}"))
    };
    for (col, want) in [
        ("id", "bigint"),
        ("ti", "smallint"),
        ("tb", "smallint"),
        ("tu", "smallint"),
        ("su", "integer"),
        ("mi", "integer"),
        ("iu", "bigint"),
        ("bu", "numeric(20,0)"),
        ("d", "numeric(12,2)"),
        ("dw", "numeric(65,30)"),
        ("f", "real"),
        ("e", "double precision"),
        ("bits", "bigint"),
        ("v", "character varying(10)"),
        ("t", "text"),
        ("bin", "bytea"),
        ("en", "text"),
        ("st", "text[]"),
        ("dt", "date"),
        ("dtt", "timestamp without time zone"),
        ("ts", "timestamp with time zone"),
        ("tm", "interval"),
        ("yr", "smallint"),
        ("js", "jsonb"),
        ("g", "bytea"),
    ] {
        assert_eq!(ty(col), want, "column {col}");
    }
    let row = dst.query(
        "SELECT bu::text, iu::text, f::text, encode(bin, 'hex'), en, st::text, dt::text, \
         dtt::text, ts AT TIME ZONE 'UTC', tm::text, js::text, lat, t \
         FROM kinds WHERE id = 1",
    );
    assert_eq!(
        row[0],
        [
            "18446744073709551615",
            "4294967295",
            "0.1",
            "00ff",
            "it's",
            "{x,z}",
            "1000-01-01",
            "9999-12-31 23:59:59.999999",
            "2038-01-19 03:14:07.999999",
            "-838:59:59",
            "{\"k\": [1, 2]}",
            "café",
            "tab\tnl\n",
        ]
        .map(|s| Some(s.to_string()))
    );
    assert_eq!(
        dst.scalar("SELECT st::text FROM kinds WHERE id = 2"),
        Some("{}".into())
    );
    // Keys, the enum's CHECK, the foreign key and the identity (past the source's counter).
    assert!(dst.scalar("SELECT 1 FROM kinds WHERE en = 'zz'").is_none());
    let bad_enum = common::try_exec(dst.url(), "UPDATE kinds SET en = 'zz' WHERE id = 1");
    assert!(bad_enum.is_err(), "the ENUM's CHECK is missing");
    let bad_fk = common::try_exec(dst.url(), "INSERT INTO kinds (parent_id) VALUES (99)");
    assert!(bad_fk.is_err(), "the foreign key is missing");
    dst.exec("INSERT INTO kinds (v) VALUES ('new')");
    let src_next = src.scalar(
        "SELECT AUTO_INCREMENT FROM information_schema.TABLES \
         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'kinds'",
    );
    let got: u64 = dst
        .scalar("SELECT id FROM kinds WHERE v = 'new'")
        .and_then(|s| s.parse().ok())
        .expect("an id");
    let floor: u64 = src_next.and_then(|s| s.parse().ok()).expect("a counter");
    assert!(
        got >= floor,
        "identity restarted below the source's counter: {got} < {floor}"
    );
    assert_eq!(
        dst.scalar("SELECT count(*) FROM pg_indexes WHERE tablename IN ('kinds', 'parent')"),
        Some("5".into()),
        "two primary keys, the unique key, the secondary index, and the index InnoDB made for the foreign key"
    );
    assert_eq!(
        dst.scalar("SELECT column_default FROM information_schema.columns WHERE table_name = 'parent' AND column_name = 'name'"),
        Some("'none'::character varying".into())
    );
    // A changed row in the target is found by verify.
    dst.exec("DELETE FROM kinds WHERE v = 'new'; UPDATE kinds SET v = 'changed' WHERE id = 1500");
    let v = run(&["verify", d, "--against", dst.url()]);
    assert_eq!(v.code, 1, "{}{}", v.stdout, v.stderr);
    assert_eq!(v.stdout.matches("BAD ").count(), 1, "{}", v.stdout);
}

#[test]
fn verify_against_a_mysql_target_names_the_changed_chunk() {
    let (Some(src), Some(dst)) = (MyTestDb::create("x_vsrc"), MyTestDb::create("x_vdst")) else {
        return;
    };
    src.exec(
        "CREATE TABLE t (id int PRIMARY KEY, v varchar(40), f float, tm time(6), bu bigint unsigned); \
         INSERT INTO t SELECT seq, md5(seq), seq / 7, sec_to_time(seq * 100), seq * 1000000000000 \
         FROM seq_1_to_5000;",
    );
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("d");
    let d = dir.to_str().expect("utf-8");
    assert_eq!(
        run(&["dump", src.url(), d, "--chunk-bytes", "32KiB"]).code,
        0
    );
    let r = run(&["load", d, dst.url()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = run(&["verify", d, "--against", dst.url()]);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
    dst.exec("UPDATE t SET v = 'x' WHERE id = 4321");
    let v = run(&["verify", d, "--against", dst.url(), "--json"]);
    assert_eq!(v.code, 1, "{}{}", v.stdout, v.stderr);
    let problems = v.events_of("problem");
    assert_eq!(problems.len(), 1, "{}", v.stdout);
    let chunk = problems[0]["data"]["chunk"]
        .as_str()
        .expect("chunk")
        .to_string();
    // The named chunk is the one whose range holds id 4321.
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).expect("m"))
            .expect("json");
    let spec = manifest["tables"][0]["chunks"]
        .as_array()
        .expect("chunks")
        .iter()
        .find(|c| c["id"] == chunk.as_str())
        .cloned()
        .expect("the chunk");
    let bound = |k: &str| {
        spec["range"][k][0]
            .as_str()
            .and_then(|s| s.parse::<i64>().ok())
    };
    assert!(bound("lo").is_none_or(|lo| lo <= 4321), "{spec}");
    assert!(bound("hi").is_none_or(|hi| 4321 < hi), "{spec}");
}
