//! A server that refuses `LOAD DATA LOCAL INFILE` (`local_infile=OFF`, MySQL 8's default): the
//! load stops before changing anything and says which setting to change.
//!
//! This is its own test binary with one test: it switches the server-wide setting off for a
//! moment, and cargo runs test binaries one after another, so no other load sees it.

mod common;

use common::run;
use haul_testdata::MyTestDb;

/// Turns `local_infile` back on however the test ends.
struct Restore<'a>(&'a MyTestDb);

impl Drop for Restore<'_> {
    fn drop(&mut self) {
        self.0.exec("SET GLOBAL local_infile = 1");
    }
}

#[test]
fn a_server_refusing_local_infile_is_named_with_the_setting_to_change() {
    let (Some(src), Some(dst)) = (
        MyTestDb::create("infile_src"),
        MyTestDb::create("infile_dst"),
    ) else {
        return;
    };
    src.exec("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1), (2);");
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("d");
    let d = dir.to_str().expect("utf-8");
    assert_eq!(run(&["dump", src.url(), d]).code, 0);

    let was = dst.scalar("SELECT @@GLOBAL.local_infile");
    dst.exec("SET GLOBAL local_infile = 0");
    let _restore = Restore(&dst);
    let r = run(&["load", d, dst.url()]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("local_infile"), "{}", r.stderr);
    assert!(
        r.stderr.contains("SET GLOBAL local_infile = 1"),
        "{}",
        r.stderr
    );
    assert_eq!(
        dst.scalar(
            "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 't'"
        ),
        Some("0".into()),
        "the load changed the target"
    );
    assert_eq!(
        was,
        Some("1".into()),
        "the server had local_infile off before the test"
    );
}
