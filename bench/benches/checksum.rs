//! Chunk digest throughput on a lineitem-shaped batch (TPC-H: 4 int4, 4 numeric(15,2), two
//! char(1), 3 dates, text of 25/10/44 characters), 64 Ki rows.
//!
//! - `digest_batch`: the engine's path, one `RowHasher` reused across batches.
//! - `add_batch`: `ChunkDigest::add_batch`, which plans a `RowHasher` per call.
//! - `hash_rows`: per-row hashes into a reused Vec (what diff uses).
//! - `xxh3_128 only` (baseline): hashing the same rows' canonical bytes, encoded beforehand, so
//!   the difference to `digest_batch` is the cost of encoding.
//!
//! `cargo bench -p haul-bench --bench checksum`

use std::hint::black_box;
use std::sync::Arc;

use arrow::array::{ArrayRef, Date32Array, Decimal128Array, Int32Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use haul_formats::checksum::{ChunkDigest, RowHasher};

const ROWS: usize = 64 * 1024;

/// splitmix64, so the data is the same every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn text(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| char::from(b'a' + self.below(26) as u8))
            .collect()
    }
}

fn lineitem(rows: usize) -> RecordBatch {
    let mut rng = Rng(42);
    let mut int = |max: u64| -> ArrayRef {
        Arc::new(Int32Array::from_iter_values(
            (0..rows).map(|_| rng.below(max) as i32 + 1),
        ))
    };
    let (orderkey, partkey, suppkey, linenumber) =
        (int(6_000_000), int(200_000), int(10_000), int(7));
    let mut rng = Rng(43);
    let mut dec = |max: u64| -> ArrayRef {
        let values = (0..rows).map(|_| rng.below(max) as i128);
        Arc::new(
            Decimal128Array::from_iter_values(values)
                .with_precision_and_scale(15, 2)
                .expect("valid"),
        )
    };
    let (quantity, price, discount, tax) = (dec(5_000), dec(10_000_000), dec(11), dec(9));
    let mut rng = Rng(44);
    let mut text = |len: usize| -> ArrayRef {
        Arc::new(StringArray::from_iter_values(
            (0..rows).map(|_| rng.text(len)),
        ))
    };
    let (returnflag, linestatus) = (text(1), text(1));
    let (shipinstruct, shipmode, comment) = (text(25), text(10), text(44));
    let mut rng = Rng(45);
    let mut date = || -> ArrayRef {
        Arc::new(Date32Array::from_iter_values(
            (0..rows).map(|_| 8_000 + rng.below(2_500) as i32),
        ))
    };
    let (shipdate, commitdate, receiptdate) = (date(), date(), date());
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("l_orderkey", orderkey),
        ("l_partkey", partkey),
        ("l_suppkey", suppkey),
        ("l_linenumber", linenumber),
        ("l_quantity", quantity),
        ("l_extendedprice", price),
        ("l_discount", discount),
        ("l_tax", tax),
        ("l_returnflag", returnflag),
        ("l_linestatus", linestatus),
        ("l_shipdate", shipdate),
        ("l_commitdate", commitdate),
        ("l_receiptdate", receiptdate),
        ("l_shipinstruct", shipinstruct),
        ("l_shipmode", shipmode),
        ("l_comment", comment),
    ];
    let fields: Vec<Field> = columns
        .iter()
        .map(|(name, a)| {
            Field::new(
                *name,
                a.data_type().clone(),
                matches!(a.data_type(), DataType::Utf8),
            )
        })
        .collect();
    let arrays = columns.into_iter().map(|(_, a)| a).collect();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).expect("valid batch")
}

/// Bytes of the batch's Arrow buffers (values, offsets, validity), by length, not capacity.
fn buffer_bytes(batch: &RecordBatch) -> u64 {
    batch
        .columns()
        .iter()
        .map(|a| {
            let data = a.to_data();
            let buffers: usize = data.buffers().iter().map(|b| b.len()).sum();
            (buffers + data.nulls().map_or(0, |n| n.buffer().len())) as u64
        })
        .sum()
}

fn bench_checksum(c: &mut Criterion) {
    let batch = lineitem(ROWS);
    let mut group = c.benchmark_group("checksum/lineitem_64k");

    // Canonical bytes of every row, for the hash-only baseline.
    let mut hasher = RowHasher::try_new(batch.schema_ref()).expect("supported");
    let mut encoded = Vec::new();
    let mut ends = Vec::with_capacity(ROWS);
    for row in 0..ROWS {
        encoded.extend_from_slice(hasher.canonical_row(&batch, row).expect("encode"));
        ends.push(encoded.len());
    }
    eprintln!(
        "lineitem_64k: {} Arrow buffer bytes, {} canonical bytes ({:.0} per row)",
        buffer_bytes(&batch),
        encoded.len(),
        encoded.len() as f64 / ROWS as f64
    );

    for (name, throughput) in [
        ("rows", Throughput::Elements(ROWS as u64)),
        ("arrow_bytes", Throughput::Bytes(buffer_bytes(&batch))),
    ] {
        group.throughput(throughput);
        group.bench_function(format!("digest_batch/{name}"), |b| {
            let mut hasher = RowHasher::try_new(batch.schema_ref()).expect("supported");
            b.iter(|| {
                let mut digest = ChunkDigest::default();
                hasher
                    .digest_batch(black_box(&batch), &mut digest)
                    .expect("hash");
                digest
            })
        });
        if name == "rows" {
            group.bench_function("add_batch/rows", |b| {
                b.iter(|| {
                    let mut digest = ChunkDigest::default();
                    digest.add_batch(black_box(&batch)).expect("hash");
                    digest
                })
            });
            group.bench_function("hash_rows/rows", |b| {
                let mut hasher = RowHasher::try_new(batch.schema_ref()).expect("supported");
                let mut out = Vec::with_capacity(ROWS);
                b.iter(|| {
                    hasher.hash_rows(black_box(&batch), &mut out).expect("hash");
                    out.len()
                })
            });
            group.bench_function("xxh3_128_only_baseline/rows", |b| {
                b.iter(|| {
                    let mut sum = 0u128;
                    let mut start = 0;
                    for &end in &ends {
                        sum = sum.wrapping_add(xxhash_rust::xxh3::xxh3_128(black_box(
                            &encoded[start..end],
                        )));
                        start = end;
                    }
                    sum
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench_checksum);
criterion_main!(benches);
