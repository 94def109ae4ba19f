//! The MySQL/MariaDB type contract, end to end: each row is a SQL literal and the value that must
//! be read back from the Parquet file `haul dump mysql://…` writes — the real binary against the
//! real server (MariaDB 10.11 locally and in CI; `HAUL_TEST_MYSQL_URL` points elsewhere).
//!
//! Every case is a table `<name> (id int PRIMARY KEY, v <type>)` holding its literals (ids
//! 1..=n) and one NULL (id n+1). After the dump (table directory `<database>.<table>`) each
//! table's `v` field is checked for its Arrow type, nullability and metadata (`haul.mysql.type`
//! = `information_schema.COLUMNS.COLUMN_TYPE` as the server spells it, plus the enum labels,
//! set members, SRID and JSON extension), then every value, exactly: floats bit for bit,
//! decimals as unscaled integers with precision and scale, bytes as bytes.
//!
//! The expected values are written independently of haul: dates and timestamps are computed by
//! hand ([`days`], [`ts`], [`hms`]) and every stated value is first checked against the server's
//! own reading of what it stored (`DATEDIFF`, `TIMESTAMPDIFF`, `HEX`, `CAST(v AS CHAR)` …), so a
//! wrong row in this file fails as "table error", not as a haul bug.

mod common;
mod mysql_types_support;

use common::{read_table, run};
use haul_testdata::MyTestDb;
use mysql_types_support::cases::*;
use mysql_types_support::*;

#[test]
fn integers_decimals_floats_bits() {
    check_cases("my_numbers", NUMBERS);
}

#[test]
fn text_in_every_charset_binary_enum_set_json() {
    check_cases("my_texts", TEXTS);
}

#[test]
fn dates_datetimes_timestamps_times_years() {
    check_cases("my_temporal", TEMPORAL);
}

#[test]
fn geometry_is_standard_wkb_with_the_column_srid() {
    check_cases("my_spatial", SPATIAL);
}

/// Puts the server's global `time_zone` back when dropped (also when the test panics).
struct GlobalTimeZone<'a> {
    db: &'a MyTestDb,
    previous: String,
}

impl Drop for GlobalTimeZone<'_> {
    fn drop(&mut self) {
        let _ = self
            .db
            .try_exec(&format!("SET GLOBAL time_zone = '{}'", self.previous));
    }
}

/// TIMESTAMP holds an instant: the dump must read it as UTC whatever zone new sessions get by
/// default. The server's global `time_zone` is moved to -07:00 for the length of one dump (and
/// put back right after, also on failure); DATETIME, a wall-clock value, must not move either.
#[test]
fn timestamps_do_not_depend_on_the_server_time_zone() {
    let Some(db) = MyTestDb::create("my_server_zone") else {
        return;
    };
    db.exec(
        "SET time_zone = '+05:00'; \
         CREATE TABLE zoned (id int PRIMARY KEY, at timestamp(6) NULL, wall datetime(6)); \
         INSERT INTO zoned VALUES (1, '2024-03-01 12:00:00', '2024-03-01 12:00:00'), \
           (2, '2038-01-19 08:14:07.999999', '2038-01-19 08:14:07.999999'), (3, NULL, NULL);",
    );
    let instants = [
        Some(ts(2024, 3, 1, 7, 0, 0, 0)),
        Some(ts(2038, 1, 19, 3, 14, 7, 999_999)),
        None,
    ];
    let walls = [
        Some(ts(2024, 3, 1, 12, 0, 0, 0)),
        Some(ts(2038, 1, 19, 8, 14, 7, 999_999)),
        None,
    ];
    let micros = db.query_strings(
        "SET time_zone = '+00:00'; \
         SELECT TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', at), \
                TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', wall) FROM zoned ORDER BY id",
    );
    for (row, (at, wall)) in micros.iter().zip(instants.iter().zip(&walls)) {
        assert_eq!(
            (row[0].as_deref(), row[1].as_deref()),
            (
                at.map(|v| v.to_string()).as_deref(),
                wall.map(|v| v.to_string()).as_deref()
            ),
            "table error in this test, not haul"
        );
    }

    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("out");
    let previous = db
        .scalar("SELECT @@GLOBAL.time_zone")
        .expect("@@GLOBAL.time_zone");
    let r = {
        let _restore = GlobalTimeZone { db: &db, previous };
        db.exec("SET GLOBAL time_zone = '-07:00'");
        assert_eq!(
            db.scalar("SELECT @@session.time_zone").as_deref(),
            Some("-07:00"),
            "a new session takes the global zone"
        );
        run(&[
            "dump",
            db.url(),
            dir.to_str().expect("utf-8 path"),
            "--json",
        ])
    };
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let batches = read_table(&dir, &table_dir(&db, "zoned"));
    let at = rows_by_id(&batches, "at");
    let wall = rows_by_id(&batches, "wall");
    let want = |v: &[Option<i64>]| -> Vec<(i128, Val)> {
        v.iter()
            .enumerate()
            .map(|(i, t)| (i as i128 + 1, t.map_or(Val::Null, Val::Ts)))
            .collect()
    };
    assert_eq!(
        at,
        want(&instants),
        "TIMESTAMP(6) read in a -07:00 default zone"
    );
    assert_eq!(
        wall,
        want(&walls),
        "DATETIME(6) read in a -07:00 default zone"
    );
}
