//! Shared by the benches: a TPC-H `lineitem`-shaped binary COPY stream generated without a
//! server (a small hand-written encoder, independent of the one under test), and its schema.

use std::sync::Arc;

use arrow::datatypes::{Field, Schema, SchemaRef};
use haul_formats::pgtypes::PgKind;

/// xorshift64*: deterministic data without a dependency.
#[derive(Debug)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

/// Appends one field (length + bytes).
fn field(out: &mut Vec<u8>, v: &[u8]) {
    out.extend_from_slice(&(v.len() as i32).to_be_bytes());
    out.extend_from_slice(v);
}

/// `numeric` send form of `unscaled / 100` with dscale 2, as PostgreSQL sends numeric(15,2).
fn numeric_2(out: &mut Vec<u8>, unscaled: i64) {
    let a = unscaled.unsigned_abs();
    let mut int = a / 100;
    let mut groups = Vec::new();
    while int > 0 {
        groups.insert(0, (int % 10_000) as u16);
        int /= 10_000;
    }
    let mut weight = groups.len() as i16 - 1;
    groups.push(((a % 100) * 100) as u16);
    while groups.last() == Some(&0) {
        groups.pop();
    }
    while groups.first() == Some(&0) {
        groups.remove(0);
        weight -= 1;
    }
    if groups.is_empty() {
        weight = 0;
    }
    let sign: u16 = if unscaled < 0 { 0x4000 } else { 0 };
    out.extend_from_slice(&((8 + 2 * groups.len()) as i32).to_be_bytes());
    out.extend_from_slice(&(groups.len() as i16).to_be_bytes());
    out.extend_from_slice(&weight.to_be_bytes());
    out.extend_from_slice(&sign.to_be_bytes());
    out.extend_from_slice(&2u16.to_be_bytes());
    for g in groups {
        out.extend_from_slice(&g.to_be_bytes());
    }
}

/// `bpchar(n)`: blank-padded to n characters, as the server sends it.
fn bpchar(out: &mut Vec<u8>, s: &str, n: usize) {
    field(out, format!("{s:<n$}").as_bytes());
}

const INSTRUCT: [&str; 4] = [
    "DELIVER IN PERSON",
    "COLLECT COD",
    "NONE",
    "TAKE BACK RETURN",
];
const MODES: [&str; 7] = ["REG AIR", "AIR", "RAIL", "SHIP", "TRUCK", "MAIL", "FOB"];
const WORDS: [&str; 12] = [
    "furiously",
    "quickly",
    "carefully",
    "blithely",
    "ironic",
    "final",
    "pending",
    "deposits",
    "requests",
    "accounts",
    "packages",
    "slyly",
];

/// A binary COPY stream of `rows` lineitem rows, and where each row ends.
pub fn lineitem_stream(rows: usize) -> (Vec<u8>, Vec<usize>) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut out = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0".to_vec();
    let mut ends = Vec::with_capacity(rows);
    let mut orderkey = 1i32;
    let mut linenumber = 1i32;
    // 1992-01-01 .. 1998-12-01 as days since 2000-01-01.
    let (first_day, last_day) = (-2922i64, -397i64);
    for _ in 0..rows {
        out.extend_from_slice(&16i16.to_be_bytes());
        field(&mut out, &orderkey.to_be_bytes());
        field(&mut out, &(rng.range(1, 200_000) as i32).to_be_bytes());
        field(&mut out, &(rng.range(1, 10_000) as i32).to_be_bytes());
        field(&mut out, &linenumber.to_be_bytes());
        let quantity = rng.range(1, 50) as i64;
        numeric_2(&mut out, quantity * 100);
        numeric_2(&mut out, quantity * rng.range(90_000, 209_900) as i64 / 100);
        numeric_2(&mut out, rng.range(0, 10) as i64);
        numeric_2(&mut out, rng.range(0, 8) as i64);
        field(&mut out, [b"R", b"A", b"N"][rng.range(0, 2) as usize]);
        field(&mut out, [b"O", b"F"][rng.range(0, 1) as usize]);
        let ship = first_day + rng.range(0, (last_day - first_day) as u64) as i64;
        for offset in [0, rng.range(30, 90) as i64, rng.range(1, 30) as i64] {
            field(&mut out, &((ship + offset) as i32).to_be_bytes());
        }
        bpchar(&mut out, INSTRUCT[rng.range(0, 3) as usize], 25);
        bpchar(&mut out, MODES[rng.range(0, 6) as usize], 10);
        let mut comment = String::new();
        let target = rng.range(10, 43) as usize;
        while comment.len() < target {
            if !comment.is_empty() {
                comment.push(' ');
            }
            comment.push_str(WORDS[rng.range(0, 11) as usize]);
        }
        comment.truncate(target);
        field(&mut out, comment.as_bytes());
        ends.push(out.len());
        linenumber += 1;
        if linenumber > rng.range(1, 7) as i32 {
            linenumber = 1;
            orderkey += 1;
        }
    }
    out.extend_from_slice(&(-1i16).to_be_bytes());
    (out, ends)
}

pub fn lineitem_schema() -> (SchemaRef, Vec<PgKind>) {
    let dec = PgKind::Decimal {
        precision: 15,
        scale: 2,
    };
    let cols = [
        ("l_orderkey", PgKind::Int4),
        ("l_partkey", PgKind::Int4),
        ("l_suppkey", PgKind::Int4),
        ("l_linenumber", PgKind::Int4),
        ("l_quantity", dec.clone()),
        ("l_extendedprice", dec.clone()),
        ("l_discount", dec.clone()),
        ("l_tax", dec),
        ("l_returnflag", PgKind::Text),
        ("l_linestatus", PgKind::Text),
        ("l_shipdate", PgKind::Date),
        ("l_commitdate", PgKind::Date),
        ("l_receiptdate", PgKind::Date),
        ("l_shipinstruct", PgKind::Text),
        ("l_shipmode", PgKind::Text),
        ("l_comment", PgKind::Text),
    ];
    let fields: Vec<Field> = cols
        .iter()
        .map(|(name, kind)| Field::new(*name, kind.arrow_type(), false))
        .collect();
    (
        Arc::new(Schema::new(fields)),
        cols.into_iter().map(|(_, k)| k).collect(),
    )
}
