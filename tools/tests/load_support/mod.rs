//! Shared by the load and copy tests (tools/tests/load.rs, load_crash.rs, copy.rs): a source
//! fixture with every kind of key, index and constraint haul recreates, the real binary run
//! on it, a database described through its catalog, and two databases compared object by
//! object and row by row.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;
use std::fs::File;
use std::io::BufRead;
use std::path::Path;

use haul_testdata::PgTestDb;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;

use crate::common::{Run, int_column, run, spawn};

/// Small chunks, so the bigger fixture tables are split into several.
pub const CHUNK_BYTES: &str = "32KiB";

/// The source of the round-trip tests: an int, a composite, a text and a uuid primary key, a
/// keyless table (with duplicate rows), a 3000-row bigint key split into several chunks, a
/// range-partitioned table (two partitions and a default, PK on the parent), serial and
/// identity columns, sequences, unique / partial / expression / GIN / multi-column indexes,
/// foreign keys (one to a composite key), CHECKs, an exclusion constraint on a type carried as
/// text, a generated column, an enum, a domain, views over views, a materialized view, and a
/// trigger with its function (which haul reports but does not recreate).
pub const FIXTURE: &str = r#"
CREATE TYPE order_status AS ENUM ('new', 'paid', 'shipped', 'returned');
CREATE DOMAIN email AS text CHECK (VALUE LIKE '%_@_%');
CREATE SEQUENCE invoice_no START 100 INCREMENT 5;
SELECT nextval('invoice_no') FROM generate_series(1, 7);
CREATE SEQUENCE spare_seq;

CREATE TABLE customers (
  id int PRIMARY KEY,
  email email NOT NULL,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
  tier smallint NOT NULL DEFAULT 1,
  joined date DEFAULT '2020-01-01');
INSERT INTO customers
  SELECT g, 'user' || g || '@example.com', 'Customer ' || g, (g % 3)::smallint, DATE '2020-01-01' + g
    FROM generate_series(1, 400) g;

CREATE TABLE regions (country char(2), code int, name text NOT NULL, PRIMARY KEY (country, code));
INSERT INTO regions SELECT c, g, c || '-' || g FROM unnest(ARRAY['de', 'fr', 'us']) c, generate_series(1, 50) g;

CREATE TABLE tags (tag text PRIMARY KEY, note text);
CREATE FUNCTION fill_note() RETURNS trigger LANGUAGE plpgsql
  AS $$ BEGIN NEW.note := coalesce(NEW.note, 'auto ' || NEW.tag); RETURN NEW; END $$;
CREATE TRIGGER tags_fill_note BEFORE INSERT ON tags FOR EACH ROW EXECUTE FUNCTION fill_note();
INSERT INTO tags (tag) SELECT 'tag-' || lpad(g::text, 5, '0') FROM generate_series(1, 1500) g;

CREATE TABLE devices (
  id uuid PRIMARY KEY,
  customer_id int NOT NULL REFERENCES customers (id),
  country char(2) NOT NULL,
  code int NOT NULL,
  label text,
  FOREIGN KEY (country, code) REFERENCES regions (country, code));
INSERT INTO devices
  SELECT md5('device' || g)::uuid, 1 + g % 400, (ARRAY['de', 'fr', 'us'])[1 + g % 3], 1 + g % 50, 'device ' || g
    FROM generate_series(1, 1000) g;

CREATE TABLE events (at timestamptz NOT NULL, kind text, payload jsonb);
INSERT INTO events
  SELECT '2024-01-01 00:00:00+00'::timestamptz + g * interval '1 minute', 'k' || (g % 4),
         jsonb_build_object('n', g, 'tags', jsonb_build_array('a', g % 5))
    FROM generate_series(1, 2000) g;
INSERT INTO events SELECT * FROM events WHERE kind = 'k1' LIMIT 20;
CREATE INDEX events_payload ON events USING gin (payload);
CREATE INDEX events_kind_at ON events (kind, at DESC);

CREATE TABLE orders (
  id bigint PRIMARY KEY,
  customer_id int NOT NULL REFERENCES customers (id),
  ref text NOT NULL,
  status order_status NOT NULL DEFAULT 'new',
  amount numeric(12,2) NOT NULL CHECK (amount >= 0),
  qty int NOT NULL DEFAULT 1 CHECK (qty > 0),
  total numeric(14,2) GENERATED ALWAYS AS (amount * qty) STORED,
  placed timestamptz NOT NULL,
  note text);
INSERT INTO orders (id, customer_id, ref, status, amount, qty, placed, note)
  SELECT g, 1 + g % 400, 'R' || lpad(g::text, 6, '0'),
         (ARRAY['new', 'paid', 'shipped', 'returned']::order_status[])[1 + g % 4],
         (g % 500) * 1.25, 1 + g % 3, '2024-01-01 00:00:00+00'::timestamptz + g * interval '1 hour',
         CASE WHEN g % 10 = 0 THEN NULL ELSE repeat('n', g % 40) END
    FROM generate_series(1, 3000) g;
CREATE UNIQUE INDEX orders_ref_key ON orders (ref);
CREATE INDEX orders_open ON orders (placed) WHERE status <> 'shipped';
CREATE INDEX orders_lower_ref ON orders (lower(ref));
CREATE INDEX orders_customer_placed ON orders (customer_id, placed);

CREATE TABLE measurements (id int NOT NULL, at date NOT NULL, v double precision, PRIMARY KEY (id, at))
  PARTITION BY RANGE (at);
CREATE TABLE measurements_2023 PARTITION OF measurements FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE measurements_2024 PARTITION OF measurements FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE measurements_other PARTITION OF measurements DEFAULT;
INSERT INTO measurements SELECT g, DATE '2022-07-01' + (g % 1000), g / 7.0 FROM generate_series(1, 1500) g;

CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL);
INSERT INTO notes (body) SELECT 'note ' || g FROM generate_series(1, 60) g;
DELETE FROM notes WHERE id > 55;

CREATE TABLE tickets (
  id bigint GENERATED ALWAYS AS IDENTITY (START WITH 1000 INCREMENT BY 10) PRIMARY KEY,
  title text);
INSERT INTO tickets (title) SELECT 'ticket ' || g FROM generate_series(1, 40) g;

CREATE TABLE zones (id int PRIMARY KEY, area box NOT NULL, EXCLUDE USING gist (area WITH &&));
INSERT INTO zones SELECT g, box(point(g * 10, 0), point(g * 10 + 5, 5)) FROM generate_series(1, 100) g;

CREATE VIEW paid_orders AS SELECT id, customer_id, total FROM orders WHERE status = 'paid';
CREATE VIEW big_paid_customers AS
  SELECT customer_id, count(*) AS n, sum(total) AS total FROM paid_orders WHERE total > 100 GROUP BY customer_id;
CREATE MATERIALIZED VIEW order_stats AS SELECT status, count(*) AS n, sum(total) AS total FROM orders GROUP BY status;
ANALYZE;
"#;

/// The fixture's tables (not partitions or views) and their row counts.
pub const FIXTURE_ROWS: &[(&str, u64)] = &[
    ("public.customers", 400),
    ("public.regions", 150),
    ("public.tags", 1500),
    ("public.devices", 1000),
    ("public.events", 2020),
    ("public.orders", 3000),
    ("public.measurements", 1500),
    ("public.notes", 55),
    ("public.tickets", 40),
    ("public.zones", 100),
];

/// A path as the `&str` argument the binary takes.
pub fn p(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

/// Dumps `db` into `dir` with small chunks; the dump must succeed.
pub fn dump(db: &PgTestDb, dir: &Path, chunk_bytes: &str) -> Run {
    let r = run(&[
        "dump",
        db.url(),
        p(dir),
        "--jobs",
        "2",
        "--chunk-bytes",
        chunk_bytes,
        "--json",
    ]);
    assert_eq!(
        r.code, 0,
        "haul dump failed\nstdout: {}\nstderr: {}",
        r.stdout, r.stderr
    );
    r
}

/// `haul load DIR URL EXTRA…`.
pub fn load(dir: &Path, url: &str, extra: &[&str]) -> Run {
    let mut args = vec!["load", p(dir), url];
    args.extend_from_slice(extra);
    run(&args)
}

/// Panics with the whole output unless the run exited with `code`.
pub fn expect_code(r: &Run, code: i32, what: &str) {
    assert_eq!(
        r.code, code,
        "{what}: expected exit {code}\nstdout:\n{}\nstderr:\n{}",
        r.stdout, r.stderr
    );
}

/// The single `error: …` line of a fatal run.
pub fn error_line(r: &Run) -> String {
    let lines: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.starts_with("error:"))
        .collect();
    assert_eq!(
        lines.len(),
        1,
        "one `error:` line expected on stderr, got:\n{}",
        r.stderr
    );
    lines[0].to_string()
}

/// The journal records (`chunks.jsonl`) of a dump directory.
pub fn journal(dir: &Path) -> Vec<Value> {
    std::fs::read_to_string(dir.join("chunks.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["type"] == "done")
        .collect()
}

/// The chunk ids a dump recorded.
pub fn journal_chunks(dir: &Path) -> BTreeSet<String> {
    journal(dir)
        .iter()
        .map(|r| r["chunk"].as_str().expect("chunk id").to_string())
        .collect()
}

/// The recorded chunk of `table` (`schema.table`) whose file holds the row with `id = key`.
pub fn chunk_holding(dir: &Path, table: &str, key: i64) -> String {
    for rec in journal(dir) {
        let chunk = rec["chunk"].as_str().expect("chunk id");
        if !chunk.starts_with(&format!("{table}#")) {
            continue;
        }
        let file = dir.join(rec["file"].as_str().expect("file"));
        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&file).expect("open"))
            .expect("parquet")
            .build()
            .expect("reader");
        let batches: Vec<_> = reader.map(|b| b.expect("batch")).collect();
        if int_column(&batches, "id").contains(&key) {
            return chunk.to_string();
        }
    }
    panic!("no recorded chunk of {table} holds id {key}");
}

/// `SELECT 'lit'`: a string as an SQL literal.
pub fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

const USER_NS: &str = "n.nspname NOT IN ('pg_catalog', 'information_schema', 'haul') \
                       AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'";

/// A database as the round-trip tests compare it. Every field is a set or map, so two
/// descriptions are compared by their differences.
#[derive(Debug, Default)]
pub struct DbShape {
    /// `schema.name` → relkind (r, p, v, m).
    pub relations: BTreeMap<String, String>,
    /// `schema.name` → (count, md5 of the rows' text sorted): tables, partitions, views.
    pub rows: BTreeMap<String, (String, String)>,
    /// (relation, position, name, type, not null, default, identity, generated).
    pub columns: BTreeSet<Vec<String>>,
    /// (table, indexdef) from pg_indexes.
    pub indexes: BTreeSet<(String, String)>,
    /// (relation or domain, name, definition, validated).
    pub constraints: BTreeSet<Vec<String>>,
    /// `schema.name` → [type, start, min, max, increment, cycle, cache, last_value, is_called].
    pub sequences: BTreeMap<String, Vec<String>>,
    /// enum type → its labels in sort order.
    pub enums: BTreeMap<String, String>,
    /// domain → [base type, not null, default].
    pub domains: BTreeMap<String, Vec<String>>,
    /// (relation, partition key or parent, bound): how partitioned tables are cut.
    pub partitions: BTreeSet<Vec<String>>,
    /// Indexes that are not valid (a half-built CONCURRENTLY index, say).
    pub invalid_indexes: Vec<String>,
}

fn cells(r: Vec<Option<String>>) -> Vec<String> {
    r.into_iter()
        .map(|c| c.unwrap_or_else(|| "NULL".to_string()))
        .collect()
}

/// Reads everything [`DbShape`] holds from `db`'s catalog and rows.
pub fn describe(db: &PgTestDb) -> DbShape {
    let mut s = DbShape::default();
    for r in db.query(&format!(
        "SELECT format('%I.%I', n.nspname, c.relname), c.relkind::text \
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
          WHERE c.relkind IN ('r', 'p', 'v', 'm') AND {USER_NS}"
    )) {
        let r = cells(r);
        s.relations.insert(r[0].clone(), r[1].clone());
    }
    if !s.relations.is_empty() {
        let parts: Vec<String> = s
            .relations
            .keys()
            .map(|rel| {
                format!(
                    "SELECT {}, count(*)::text, md5(string_agg(t::text, '|' ORDER BY t::text)) FROM {rel} t",
                    lit(rel)
                )
            })
            .collect();
        for r in db.query(&parts.join(" UNION ALL ")) {
            let r = cells(r);
            s.rows.insert(r[0].clone(), (r[1].clone(), r[2].clone()));
        }
    }
    s.columns = db
        .query(&format!(
            "SELECT format('%I.%I', n.nspname, c.relname), \
                    row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum)::text, a.attname::text, \
                    format_type(a.atttypid, a.atttypmod), a.attnotnull::text, \
                    pg_get_expr(d.adbin, d.adrelid), a.attidentity::text, a.attgenerated::text \
               FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
               JOIN pg_namespace n ON n.oid = c.relnamespace \
               LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
              WHERE c.relkind IN ('r', 'p', 'v', 'm') AND a.attnum > 0 AND NOT a.attisdropped \
                AND {USER_NS}"
        ))
        .into_iter()
        .map(cells)
        .collect();
    s.indexes = db
        .query(
            "SELECT format('%I.%I', schemaname, tablename), indexdef FROM pg_indexes \
              WHERE schemaname NOT IN ('pg_catalog', 'information_schema', 'haul')",
        )
        .into_iter()
        .map(|r| {
            let r = cells(r);
            (r[0].clone(), r[1].clone())
        })
        .collect();
    s.constraints = db
        .query(&format!(
            "SELECT CASE WHEN k.conrelid <> 0 THEN k.conrelid::regclass::text \
                         ELSE 'domain ' || k.contypid::regtype::text END, \
                    k.conname::text, pg_get_constraintdef(k.oid), k.convalidated::text \
               FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace \
              WHERE {USER_NS}"
        ))
        .into_iter()
        .map(cells)
        .collect();
    let seqs: Vec<String> = db
        .query(&format!(
            "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c \
               JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'S' AND {USER_NS}"
        ))
        .into_iter()
        .map(|r| cells(r).remove(0))
        .collect();
    for seq in seqs {
        let opts = db.query(&format!(
            "SELECT format_type(s.seqtypid, NULL), s.seqstart::text, s.seqmin::text, s.seqmax::text, \
                    s.seqincrement::text, s.seqcycle::text, s.seqcache::text, \
                    v.last_value::text, v.is_called::text \
               FROM pg_sequence s, {seq} v WHERE s.seqrelid = {}::regclass",
            lit(&seq)
        ));
        s.sequences.insert(
            seq,
            cells(opts.into_iter().next().expect("the sequence's row")),
        );
    }
    for r in db.query(&format!(
        "SELECT format('%I.%I', n.nspname, t.typname), \
                string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) \
           FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid \
           JOIN pg_namespace n ON n.oid = t.typnamespace WHERE {USER_NS} GROUP BY 1"
    )) {
        let r = cells(r);
        s.enums.insert(r[0].clone(), r[1].clone());
    }
    for r in db.query(&format!(
        "SELECT format('%I.%I', n.nspname, t.typname), format_type(t.typbasetype, t.typtypmod), \
                t.typnotnull::text, t.typdefault \
           FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
          WHERE t.typtype = 'd' AND {USER_NS}"
    )) {
        let mut r = cells(r);
        let name = r.remove(0);
        s.domains.insert(name, r);
    }
    s.partitions = db
        .query(&format!(
            "SELECT format('%I.%I', n.nspname, c.relname), \
                    coalesce(pg_get_partkeydef(c.oid), i.inhparent::regclass::text), \
                    coalesce(pg_get_expr(c.relpartbound, c.oid), '') \
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
               LEFT JOIN pg_inherits i ON i.inhrelid = c.oid \
              WHERE (c.relkind = 'p' OR c.relispartition) AND c.relkind IN ('r', 'p') AND {USER_NS}"
        ))
        .into_iter()
        .map(cells)
        .collect();
    s.invalid_indexes = db
        .query("SELECT indexrelid::regclass::text FROM pg_index WHERE NOT indisvalid OR NOT indisready")
        .into_iter()
        .map(|r| cells(r).remove(0))
        .collect();
    s
}

/// What differs between two sets: `- only in source`, `+ only in target`.
fn set_diff<T: Ord + Debug>(
    what: &str,
    src: &BTreeSet<T>,
    dst: &BTreeSet<T>,
    out: &mut Vec<String>,
) {
    for x in src.difference(dst) {
        out.push(format!("{what}: only in the source: {x:?}"));
    }
    for x in dst.difference(src) {
        out.push(format!("{what}: only in the target: {x:?}"));
    }
}

fn map_diff<V: PartialEq + Debug>(
    what: &str,
    src: &BTreeMap<String, V>,
    dst: &BTreeMap<String, V>,
    out: &mut Vec<String>,
) {
    for (k, v) in src {
        match dst.get(k) {
            None => out.push(format!("{what} {k}: missing in the target (source: {v:?})")),
            Some(w) if w != v => out.push(format!("{what} {k}: source {v:?}, target {w:?}")),
            Some(_) => {}
        }
    }
    for (k, w) in dst {
        if !src.contains_key(k) {
            out.push(format!("{what} {k}: only in the target ({w:?})"));
        }
    }
}

/// Every difference between the source and the target, one line each (empty: the same).
pub fn differences(src: &DbShape, dst: &DbShape) -> Vec<String> {
    let mut out = Vec::new();
    map_diff("relation", &src.relations, &dst.relations, &mut out);
    map_diff("rows (count, md5) of", &src.rows, &dst.rows, &mut out);
    set_diff("column", &src.columns, &dst.columns, &mut out);
    set_diff("index", &src.indexes, &dst.indexes, &mut out);
    set_diff("constraint", &src.constraints, &dst.constraints, &mut out);
    map_diff("sequence", &src.sequences, &dst.sequences, &mut out);
    map_diff("enum", &src.enums, &dst.enums, &mut out);
    map_diff("domain", &src.domains, &dst.domains, &mut out);
    set_diff("partitioning", &src.partitions, &dst.partitions, &mut out);
    for i in &dst.invalid_indexes {
        out.push(format!("index {i} is not valid in the target"));
    }
    out
}

/// Asserts that `dst` holds the same schema objects and rows as `src`.
pub fn assert_same_database(src: &PgTestDb, dst: &PgTestDb, context: &str) {
    let (a, b) = (describe(src), describe(dst));
    assert!(
        !a.rows.is_empty(),
        "the source has no relations: the fixture did not run"
    );
    eprintln!(
        "{context}: comparing {} relations, {} columns, {} indexes, {} constraints, {} sequences, \
         {} enums, {} domains, {} partitioning rows",
        a.relations.len(),
        a.columns.len(),
        a.indexes.len(),
        a.constraints.len(),
        a.sequences.len(),
        a.enums.len(),
        a.domains.len(),
        a.partitions.len()
    );
    let diff = differences(&a, &b);
    assert!(
        diff.is_empty(),
        "{context}: the target differs from the source in {} way(s):\n  {}",
        diff.len(),
        diff.join("\n  ")
    );
}

/// `count(*)` and the md5 of the sorted rows of one relation.
pub fn rows_of(db: &PgTestDb, rel: &str) -> (String, String) {
    let r = db
        .query(&format!(
            "SELECT count(*)::text, coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM {rel} t"
        ))
        .into_iter()
        .next()
        .expect("one row");
    let r = cells(r);
    (r[0].clone(), r[1].clone())
}

/// `count(*)` of a relation.
pub fn count(db: &PgTestDb, rel: &str) -> u64 {
    db.scalar(&format!("SELECT count(*) FROM {rel}"))
        .and_then(|n| n.parse().ok())
        .expect("a count")
}

/// Whether a relation exists (`to_regclass`).
pub fn exists(db: &PgTestDb, rel: &str) -> bool {
    db.scalar(&format!("SELECT to_regclass({}) IS NOT NULL", lit(rel)))
        .as_deref()
        == Some("t")
}

/// Rows of `haul.chunks` (0 when haul never created it).
pub fn journal_rows(db: &PgTestDb) -> u64 {
    if !exists(db, "haul.chunks") {
        return 0;
    }
    count(db, "haul.chunks")
}

/// How a run started for a crash test ended.
#[derive(Debug)]
pub struct Killed {
    /// Events read before the kill (or the end).
    pub events: Vec<Value>,
    /// True when the trigger fired and SIGKILL was sent while the process still ran.
    pub killed: bool,
    pub status: std::process::ExitStatus,
    pub stderr: String,
}

impl Killed {
    pub fn count(&self, kind: &str) -> usize {
        self.events.iter().filter(|e| e["type"] == kind).count()
    }
}

/// Starts `haul ARGS…` (with `--json`), reads its events and SIGKILLs it as soon as
/// `trigger` returns true for one of them.
pub fn run_and_kill(args: &[&str], mut trigger: impl FnMut(&Value) -> bool) -> Killed {
    let mut child = spawn(args);
    let stdout = child.stdout.take().expect("stdout");
    let mut events = Vec::new();
    let mut killed = false;
    let mut lines = std::io::BufReader::new(stdout).lines();
    for line in lines.by_ref() {
        let Ok(line) = line else { break };
        let Ok(v) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        let fire = trigger(&v);
        events.push(v);
        if fire {
            // SIGKILL: no chance to clean up. `kill` on a process that already exited (not yet
            // reaped) also succeeds, so the exit status below says whether it really died of it.
            let _ = child.kill();
            killed = true;
            break;
        }
    }
    for line in lines {
        if let Ok(v) = serde_json::from_str::<Value>(&line.unwrap_or_default()) {
            events.push(v);
        }
    }
    let out = child.wait_with_output().expect("wait");
    use std::os::unix::process::ExitStatusExt;
    let killed = killed && out.status.signal() == Some(9);
    Killed {
        events,
        killed,
        status: out.status,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `table_name → sum(rows)` and the chunks recorded more than once, from the target's
/// `haul.chunks`.
pub fn target_journal(db: &PgTestDb) -> (BTreeMap<String, u64>, Vec<String>, BTreeSet<String>) {
    if !exists(db, "haul.chunks") {
        return Default::default();
    }
    let per_table = db
        .query("SELECT table_name, sum(rows)::text FROM haul.chunks GROUP BY 1")
        .into_iter()
        .map(|r| {
            let r = cells(r);
            (r[0].clone(), r[1].parse().expect("a sum"))
        })
        .collect();
    let twice = db
        .query("SELECT chunk FROM haul.chunks GROUP BY chunk HAVING count(*) > 1")
        .into_iter()
        .map(|r| cells(r).remove(0))
        .collect();
    let chunks = db
        .query("SELECT chunk FROM haul.chunks")
        .into_iter()
        .map(|r| cells(r).remove(0))
        .collect();
    (per_table, twice, chunks)
}
