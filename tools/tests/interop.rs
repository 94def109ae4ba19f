//! The files are ordinary Parquet: a dump of representative columns read back by pyarrow and
//! DuckDB (through `python3`). Without those packages the test is skipped with a message, except
//! under `CI=true`, where it fails (`.ci/run` installs them).

mod common;

use std::process::Command;

use common::run;
use haul_testdata::{PgTestDb, in_ci};
use serde_json::{Value, json};

/// Reads `DIR/public.t` with pyarrow and DuckDB and prints what it saw as one JSON object.
const READER: &str = r#"
import json, sys, uuid
import duckdb
import pyarrow.compute as pc
import pyarrow.parquet as pq

d = sys.argv[1]
t = pq.read_table(d + "/public.t")
row = t.filter(pc.equal(t["id"], 7)).to_pylist()[0]
u = row["u"]
out = {
    "pyarrow": {
        "rows": t.num_rows,
        "sum_n": pc.sum(t["n"]).as_py(),
        "nulls_amount": t["amount"].null_count,
        "types": {f.name: str(f.type) for f in t.schema},
        "row7": {
            "amount": str(row["amount"]),
            "name": row["name"],
            "at": row["at"].isoformat(),
            "d": row["d"].isoformat(),
            "u": str(u) if isinstance(u, uuid.UUID) else str(uuid.UUID(bytes=u)),
            "doc": row["doc"],
            "tags": row["tags"],
        },
    }
}
pattern = d + "/public.t/*.parquet"
con = duckdb.connect()
count, total = con.execute(f"SELECT count(*), sum(n) FROM read_parquet('{pattern}')").fetchone()
r = con.execute(
    """SELECT amount::VARCHAR, name, epoch_us("at"), d::VARCHAR, u::VARCHAR, doc::VARCHAR, tags """
    f"FROM read_parquet('{pattern}') WHERE id = 7"
).fetchone()
types = {c[0]: c[1] for c in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{pattern}')").fetchall()}
out["duckdb"] = {
    "rows": count,
    "sum_n": int(total),
    "types": types,
    "row7": {"amount": r[0], "name": r[1], "at_us": r[2], "d": r[3], "u": r[4], "doc": r[5], "tags": r[6]},
}
print(json.dumps(out))
"#;

/// `python3` with pyarrow and duckdb, or why not.
fn python_readers() -> Result<(), String> {
    let out = Command::new("python3")
        .args(["-c", "import pyarrow, duckdb"])
        .output()
        .map_err(|e| format!("python3 cannot run: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "python3 lacks pyarrow/duckdb (python3 -m pip install pyarrow duckdb): {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

#[test]
fn pyarrow_and_duckdb_read_the_dump() {
    if let Err(why) = python_readers() {
        assert!(!in_ci(), "{why}");
        eprintln!("skipping: {why}");
        return;
    }
    let Some(db) = PgTestDb::create("interop") else {
        return;
    };
    db.exec(
        "CREATE TABLE t (id int PRIMARY KEY, n int, amount numeric(12,2), name text, \
           at timestamptz, d date, u uuid, doc jsonb, tags int[]); \
         INSERT INTO t SELECT g, g, g * 1.25, 'name ' || g || ' é', \
           '2024-01-01 00:00:00+00'::timestamptz + g * interval '1 minute', DATE '2024-01-01' + g, \
           md5(g::text)::uuid, jsonb_build_object('n', g, 'tag', 't' || (g % 5)), ARRAY[g, NULL, -g] \
           FROM generate_series(1, 3000) g; \
         INSERT INTO t (id) VALUES (0); \
         ANALYZE t;",
    );
    let u7 = db.scalar("SELECT md5('7')::uuid::text").expect("uuid");
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("out");
    let dir_s = dir.to_str().expect("utf-8 path");
    let r = run(&["dump", db.url(), dir_s, "--quiet", "--chunk-bytes", "64KiB"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let files = std::fs::read_dir(dir.join("public.t"))
        .expect("table dir")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "parquet"))
        })
        .count();
    assert!(
        files > 1,
        "the table should span several chunk files: {files}"
    );

    let out = Command::new("python3")
        .args(["-c", READER, dir_s])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "the readers failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: Value = serde_json::from_slice(&out.stdout).expect("JSON from the reader script");
    let (pa, duck) = (&seen["pyarrow"], &seen["duckdb"]);

    // 3000 rows plus one of NULLs; sum(n) = 3000 · 3001 / 2.
    for (who, v) in [("pyarrow", pa), ("duckdb", duck)] {
        assert_eq!(v["rows"], 3001, "{who}: {v}");
        assert_eq!(v["sum_n"], 4_501_500, "{who}: {v}");
    }
    assert_eq!(pa["nulls_amount"], 1, "{pa}");

    assert_eq!(pa["types"]["amount"], "decimal128(12, 2)", "{pa}");
    assert_eq!(pa["types"]["at"], "timestamp[us, tz=UTC]", "{pa}");
    assert_eq!(pa["types"]["d"], "date32[day]", "{pa}");
    assert_eq!(pa["types"]["tags"], "list<item: int32>", "{pa}");
    assert_eq!(
        pa["row7"],
        json!({
            "amount": "8.75",
            "name": "name 7 é",
            "at": "2024-01-01T00:07:00+00:00",
            "d": "2024-01-08",
            "u": u7,
            "doc": r#"{"n": 7, "tag": "t2"}"#,
            "tags": [7, null, -7],
        })
    );

    assert_eq!(duck["types"]["amount"], "DECIMAL(12,2)", "{duck}");
    assert_eq!(duck["types"]["at"], "TIMESTAMP WITH TIME ZONE", "{duck}");
    assert_eq!(duck["types"]["d"], "DATE", "{duck}");
    assert_eq!(duck["types"]["u"], "UUID", "{duck}");
    assert_eq!(duck["types"]["tags"], "INTEGER[]", "{duck}");
    assert_eq!(
        duck["row7"],
        json!({
            "amount": "8.75",
            "name": "name 7 é",
            "at_us": 1_704_067_620_000_000_i64,
            "d": "2024-01-08",
            "u": u7,
            "doc": r#"{"n": 7, "tag": "t2"}"#,
            "tags": [7, null, -7],
        })
    );
}
