//! Rows larger than the server's `max_allowed_packet`: a dump that would have to receive one
//! stops with exit 2 naming the table and the setting to raise (no retry loop, nothing
//! recorded); a load sends such a row in packets under the limit and succeeds.
//!
//! Its own test binary with one test: it lowers the server-wide setting for a moment, and
//! cargo runs test binaries one after another.

mod common;

use common::run;
use haul_testdata::MyTestDb;

/// Puts `max_allowed_packet` back however the test ends.
struct Restore<'a>(&'a MyTestDb, String);

impl Drop for Restore<'_> {
    fn drop(&mut self) {
        self.0
            .exec(&format!("SET GLOBAL max_allowed_packet = {}", self.1));
    }
}

#[test]
fn a_row_over_max_allowed_packet_is_named_on_dump_and_split_on_load() {
    let (Some(src), Some(dst)) = (MyTestDb::create("pkt_src"), MyTestDb::create("pkt_dst")) else {
        return;
    };
    src.exec(
        "CREATE TABLE t (id int PRIMARY KEY, b longblob); \
         INSERT INTO t VALUES (1, repeat('x', 1500000)), (2, 'small');",
    );
    let tmp = tempfile::tempdir().expect("tempdir");
    let ok = tmp.path().join("ok");
    assert_eq!(
        run(&["dump", src.url(), ok.to_str().expect("utf-8")]).code,
        0
    );

    let was = src
        .scalar("SELECT @@GLOBAL.max_allowed_packet")
        .expect("a value");
    src.exec("SET GLOBAL max_allowed_packet = 1048576");
    let _restore = Restore(&src, was);

    let bad = tmp.path().join("bad");
    let r = run(&["dump", src.url(), bad.to_str().expect("utf-8")]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("max_allowed_packet"), "{}", r.stderr);
    assert!(
        r.stderr.contains(".t"),
        "the table is not named: {}",
        r.stderr
    );
    assert!(!r.stderr.contains("retrying"), "{}", r.stderr);
    let journal = std::fs::read_to_string(bad.join("chunks.jsonl")).unwrap_or_default();
    assert!(!journal.contains("\"done\""), "{journal}");

    let r = run(&["load", ok.to_str().expect("utf-8"), dst.url()]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        dst.query_strings("SELECT id, length(b) FROM t ORDER BY id"),
        vec![
            vec![Some("1".into()), Some("1500000".into())],
            vec![Some("2".into()), Some("5".into())]
        ]
    );
}
