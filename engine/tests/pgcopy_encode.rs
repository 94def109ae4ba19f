//! The binary COPY encoder against the real PostgreSQL: a table with a column of every kind is
//! copied out of one database (binary COPY → `PgCopyDecoder` → Arrow), encoded by
//! `PgCopyEncoder` and copied into the same table in another database, where the enum gets
//! another OID. Both tables must then print the same text, row by row. A wrong array element
//! OID between builtin types must fail the COPY with PostgreSQL's error, promptly; for user
//! types (enums) PostgreSQL does not check it.

use std::sync::Arc;
use std::time::Duration;

use arrow_array::RecordBatch;
use arrow_schema::{Field, Schema, SchemaRef};
use bytes::{Bytes, BytesMut};
use futures_util::{SinkExt, StreamExt};
use haul_formats::pgcopy::{PgCopyDecoder, PgCopyEncoder, PgEncodeColumn};
use haul_formats::pgtypes::PgKind;
use haul_testdata::{PgTestDb, block_on};

const DDL: &str = r#"
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN posint AS int CHECK (VALUE > 0);
CREATE TABLE t (
    id int PRIMARY KEY,
    b bool, i2 int2, i4 int4, i8 int8, f4 float4, f8 float8,
    n102 numeric(10,2), n numeric, n405 numeric(40,5), m money,
    tx text, vc varchar(12), bp char(4), nm name, ba bytea,
    d date, tm time, ttz timetz, ts timestamp, tstz timestamptz, iv interval,
    u uuid, j json, jb jsonb,
    ia int4[], ta2 text[][], va varchar[], e mood, ea mood[], dom posint,
    na numeric(6,2)[], ua uuid[]
);
"#;

const ROWS: &str = r#"
INSERT INTO t VALUES
(1, true, 1, 2, 3, 1.5, 2.25, 12345678.91, 3.14159, 1234567890.12345, 12.34,
 'héllo ✓', 'varchar', 'ab', 'pg_class', '\x00ff10',
 '2024-02-29', '12:34:56.789', '12:00:00+05:30', '2024-02-29 12:34:56.789012', '2024-02-29 12:34:56.789012+00',
 '1 mon 2 days 00:00:03.000004', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"b": 1,  "a": [1, 2]}', '{"b": 1, "a": [true, null]}',
 '{1,NULL,3}', '{{a,NULL},{"","é"}}', '{x,NULL,"y z"}', 'happy', '{sad,NULL,happy}', 7,
 '{1.5,NULL,-0.01}', '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,NULL}'),
(2, false, -32768, -2147483648, -9223372036854775808, 'NaN', '-0', -99999999.99, 'NaN',
 -12345678901234567890123456789012345.12345, '-92233720368547758.08',
 '', '', '', '', '',
 'infinity', '24:00:00', '24:00:00-15:59', '-infinity', 'infinity',
 '-178000000 years', '00000000-0000-0000-0000-000000000000', '  {"sp" : 1}  ', 'null',
 '{}', '{}', '{}', 'sad', '{}', 2147483647,
 '{}', '{}'),
(3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
 NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
 NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
(4, true, 32767, 2147483647, 9223372036854775807, '-Infinity', '1.7976931348623157e308', 0, '-Infinity',
 0.00001, '92233720368547758.07',
 E'tab\there\nnl\\ ''q''', 'x', 'abcd', 'n', '\x',
 '-infinity', '00:00:00', '00:00:00+15:59', 'infinity', '-infinity',
 '-1 year -2 mons +3 days -04:05:06', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '[]', '{"é": "\u00e9", "k": {"n": 1e3}}',
 '{1,2,3,4}', '{{NULL,b},{c,NULL}}', '{NULL}', 'ok', '{NULL}', 1,
 '{0,9999.99}', '{}'),
(5, false, 0, 0, 0, '1e-45', '5e-324', 0.01, 1e-1000, 0, 0,
 'x', NULL, NULL, NULL, NULL,
 '4714-11-24 BC', '00:00:00.000001', '23:59:59.999999-08', '4714-11-24 00:00:00 BC', '294247-01-01 00:00:00+00',
 '0', NULL, NULL, '{}',
 '{-2147483648,2147483647}', '{{x}}', '{""}', NULL, '{ok,ok}', NULL,
 NULL, NULL),
(6, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 9e1000, NULL, NULL,
 NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
 NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
"#;

fn arr(element: PgKind, dims: u8) -> PgKind {
    PgKind::Array {
        element: Box::new(element),
        dims,
    }
}

/// The columns of `t` and how haul carries each (what the planner resolves them to).
fn kinds() -> Vec<(&'static str, PgKind)> {
    let dec = |precision, scale| PgKind::Decimal { precision, scale };
    vec![
        ("id", PgKind::Int4),
        ("b", PgKind::Bool),
        ("i2", PgKind::Int2),
        ("i4", PgKind::Int4),
        ("i8", PgKind::Int8),
        ("f4", PgKind::Float4),
        ("f8", PgKind::Float8),
        ("n102", dec(10, 2)),
        ("n", PgKind::NumericText),
        ("n405", dec(40, 5)),
        ("m", PgKind::Money { scale: 2 }),
        ("tx", PgKind::Text),
        ("vc", PgKind::Text),
        ("bp", PgKind::Text),
        ("nm", PgKind::Text),
        ("ba", PgKind::Bytea),
        ("d", PgKind::Date),
        ("tm", PgKind::Time),
        ("ttz", PgKind::TimeTz),
        ("ts", PgKind::Timestamp),
        ("tstz", PgKind::TimestampTz),
        ("iv", PgKind::Interval),
        ("u", PgKind::Uuid),
        ("j", PgKind::Json),
        ("jb", PgKind::Jsonb),
        ("ia", arr(PgKind::Int4, 1)),
        ("ta2", arr(PgKind::Text, 2)),
        ("va", arr(PgKind::Text, 1)),
        ("e", PgKind::Text),
        ("ea", arr(PgKind::Text, 1)),
        ("dom", PgKind::Int4),
        ("na", arr(dec(6, 2), 1)),
        ("ua", arr(PgKind::Uuid, 1)),
    ]
}

fn schema() -> SchemaRef {
    let fields: Vec<Field> = kinds()
        .into_iter()
        .map(|(name, kind)| Field::new(name, kind.arrow_type(), name != "id"))
        .collect();
    Arc::new(Schema::new(fields))
}

async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(async move {
        let _ = conn.await;
    });
    client
}

/// `COPY t TO STDOUT (FORMAT binary)` decoded into one batch.
async fn copy_out(url: &str) -> RecordBatch {
    let client = connect(url).await;
    let kinds = kinds().into_iter().map(|(_, k)| k).collect();
    let mut decoder = PgCopyDecoder::try_new(schema(), kinds, vec![0]).expect("decoder");
    let stream = client
        .copy_out("COPY t TO STDOUT (FORMAT binary)")
        .await
        .expect("copy out");
    futures_util::pin_mut!(stream);
    while let Some(chunk) = stream.next().await {
        decoder.feed(&chunk.expect("chunk")).expect("decodes");
    }
    decoder.finish().expect("complete stream");
    decoder.finish_batch().expect("batch").expect("rows")
}

/// Element OIDs of `t`'s columns in the database at `url` (0 for non-arrays).
async fn element_oids(url: &str) -> Vec<u32> {
    let client = connect(url).await;
    let rows = client
        .query(
            "SELECT ty.typelem FROM pg_attribute a JOIN pg_type ty ON ty.oid = a.atttypid \
             WHERE a.attrelid = 't'::regclass AND a.attnum > 0 AND NOT a.attisdropped \
             ORDER BY a.attnum",
            &[],
        )
        .await
        .expect("catalog");
    rows.iter().map(|r| r.get::<_, u32>(0)).collect()
}

/// Encodes `batch` for `t` with these element OIDs, `piece` rows per `write_rows`, sending a
/// chunk whenever the buffer passes `flush` bytes; returns COPY's row count or its error.
async fn copy_in(
    url: &str,
    batch: &RecordBatch,
    oids: &[u32],
    piece: usize,
    flush: usize,
) -> Result<u64, tokio_postgres::Error> {
    let columns = kinds()
        .into_iter()
        .zip(oids)
        .map(|((name, kind), &element_oid)| PgEncodeColumn {
            name: name.to_string(),
            kind,
            element_oid,
        })
        .collect();
    let mut encoder = PgCopyEncoder::try_new(&batch.schema(), columns).expect("encoder");
    let client = connect(url).await;
    let sink = client
        .copy_in::<_, Bytes>("COPY t FROM STDIN (FORMAT binary)")
        .await?;
    futures_util::pin_mut!(sink);
    let mut out = BytesMut::new();
    PgCopyEncoder::write_header(&mut out);
    let mut at = 0;
    while at < batch.num_rows() {
        let len = piece.min(batch.num_rows() - at);
        encoder
            .write_rows(batch, at, len, &mut out)
            .expect("encodes");
        at += len;
        if out.len() >= flush {
            sink.send(out.split().freeze()).await?;
        }
    }
    PgCopyEncoder::write_trailer(&mut out);
    sink.send(out.split().freeze()).await?;
    sink.as_mut().finish().await
}

/// Every row of `t` as text, hashed.
fn digest(db: &PgTestDb) -> (String, String) {
    let md5 = db
        .scalar("SELECT md5(string_agg(t::text, '|' ORDER BY id)) FROM t")
        .expect("md5");
    let count = db.scalar("SELECT count(*) FROM t").expect("count");
    (count, md5)
}

#[test]
fn every_kind_loads_into_postgres_exactly() {
    let Some(src) = PgTestDb::create("enc_src") else {
        return;
    };
    let Some(dst) = PgTestDb::create("enc_dst") else {
        return;
    };
    // In the target the enum gets another OID: arrays of it must name the target's.
    dst.exec("CREATE TYPE filler AS ENUM ('x');");
    src.exec(DDL);
    src.exec(ROWS);
    dst.exec(DDL);
    let (src_url, dst_url) = (src.url().to_string(), dst.url().to_string());
    let (src_oids, dst_oids, loaded) = block_on(async move {
        let batch = copy_out(&src_url).await;
        let src_oids = element_oids(&src_url).await;
        let dst_oids = element_oids(&dst_url).await;
        // Rows one at a time and small chunks: offsets and chunk boundaries everywhere.
        let loaded = copy_in(&dst_url, &batch, &dst_oids, 1, 64)
            .await
            .expect("copy in");
        (src_oids, dst_oids, loaded)
    });
    let ea = kinds().iter().position(|(n, _)| *n == "ea").expect("ea");
    assert_ne!(
        src_oids[ea], dst_oids[ea],
        "the enum's OID differs per database"
    );
    assert_eq!(loaded, 6);
    assert_eq!(digest(&dst), digest(&src));

    // Once more, all rows in one call and one chunk, into a truncated table.
    dst.exec("TRUNCATE t");
    let (src_url, dst_url) = (src.url().to_string(), dst.url().to_string());
    let loaded = block_on(async move {
        let batch = copy_out(&src_url).await;
        let oids = element_oids(&dst_url).await;
        copy_in(&dst_url, &batch, &oids, usize::MAX, usize::MAX).await
    })
    .expect("copy in");
    assert_eq!(loaded, 6);
    assert_eq!(digest(&dst), digest(&src));
}

/// Loads `batch` into the (emptied) table with column `column`'s element OID replaced.
fn load_with_oid(
    db: &PgTestDb,
    batch: &RecordBatch,
    column: &str,
    oid: u32,
) -> Result<u64, String> {
    db.exec("TRUNCATE t");
    let (url, batch, column) = (db.url().to_string(), batch.clone(), column.to_string());
    block_on(async move {
        let mut oids = element_oids(&url).await;
        let at = kinds()
            .iter()
            .position(|(n, _)| *n == column)
            .expect("column");
        oids[at] = oid;
        let copy = copy_in(&url, &batch, &oids, 2, 1 << 20);
        let result = tokio::time::timeout(Duration::from_secs(30), copy)
            .await
            .expect("COPY answered within 30 s");
        result.map_err(|e| {
            let db = e.as_db_error().expect("an error from the server");
            format!("{}: {}", db.code().code(), db.message())
        })
    })
}

#[test]
fn element_oids_postgres_checks_and_the_ones_it_does_not() {
    let Some(db) = PgTestDb::create("enc_oid") else {
        return;
    };
    db.exec(DDL);
    db.exec(ROWS);
    let before = digest(&db);
    let url = db.url().to_string();
    let batch = block_on(async move { copy_out(&url).await });
    // Between builtin types a wrong element OID fails the COPY at once, with 42804: varchar[]
    // sent as text[] (element OID 0 takes the builtin text), int4[] sent as int8[].
    assert_eq!(
        load_with_oid(&db, &batch, "va", 0),
        Err(
            "42804: binary data has array element type 25 (text) instead of expected 1043 \
             (character varying)"
                .to_string()
        )
    );
    assert_eq!(
        load_with_oid(&db, &batch, "ia", 20),
        Err(
            "42804: binary data has array element type 20 (bigint) instead of expected 23 \
             (integer)"
                .to_string()
        )
    );
    assert_eq!(db.scalar("SELECT count(*) FROM t").as_deref(), Some("0"));
    // array_recv checks only when both OIDs are builtin ("only built-in types have OIDs that
    // are stable enough"): for a user type it reads the expected type whatever OID is sent, so
    // an enum array from another database's OID still loads, and exactly.
    assert_eq!(load_with_oid(&db, &batch, "ea", 25), Ok(6));
    assert_eq!(digest(&db), before);
}
