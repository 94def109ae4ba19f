//! Arrow → binary COPY encode throughput on TPC-H `lineitem`-shaped batches, against the decoder
//! on the same data in the same run.
//!
//! The stream is generated as in `pgcopy_decode.rs` (the generator in `bench/src/lib.rs`), decoded once into 64 Ki-row batches, and those batches are encoded back. Setup checks
//! that the encoding is the generated stream byte for byte.
//!
//! - `encode_1mib`: what a loader does: `write_rows` 4 Ki rows at a time, handing the buffer
//!   over (`split().freeze()`) whenever it passes 1 MiB.
//! - `encode_batch`: `write_batch` per 64 Ki-row batch into one growing buffer.
//! - `decode_batch_per_feed` / `decode_row_per_feed`: the decoder on the same stream (see
//!   `pgcopy_decode.rs`), the baseline the encoder must at least match per row.
//! - `memcpy_baseline`: copying the finished stream into 1 MiB buffers, the least any encoder
//!   must do to produce those bytes.
//!
//! Each is measured twice: in wall time (`pgcopy_encode/…`, as `pgcopy_decode.rs` reports) and in
//! the thread's CPU time (`pgcopy_encode_cpu/…`, from `/proc/thread-self/schedstat`), which on a
//! shared machine leaves out the time the thread waited for a core. Compare encode with decode
//! within one group of one run.
//!
//! `cargo bench -p haul-bench --bench pgcopy_encode`

use std::hint::black_box;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use bytes::BytesMut;
use std::time::Duration;

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use haul_bench::{lineitem_schema, lineitem_stream};
use haul_formats::pgcopy::{PgCopyDecoder, PgCopyEncoder, PgEncodeColumn};
use haul_formats::pgtypes::PgKind;

const ROWS: usize = 4 * BATCH_ROWS;
const BATCH_ROWS: usize = 64 * 1024;
/// Rows per `write_rows` call and the buffer size at which it is handed over.
const CALL_ROWS: usize = 4 * 1024;
const FLUSH_BYTES: usize = 1 << 20;

fn encoder(schema: &SchemaRef, kinds: &[PgKind]) -> PgCopyEncoder {
    let columns = schema
        .fields()
        .iter()
        .zip(kinds)
        .map(|(f, kind)| PgEncodeColumn {
            name: f.name().clone(),
            kind: kind.clone(),
            element_oid: 0,
        })
        .collect();
    PgCopyEncoder::try_new(schema, columns).expect("lineitem schema")
}

/// Decodes the stream 64 Ki rows per `feed`, one batch each.
fn decode_batch_per_feed(
    schema: &SchemaRef,
    kinds: &[PgKind],
    stream: &[u8],
    ends: &[usize],
) -> Vec<RecordBatch> {
    let mut decoder = PgCopyDecoder::try_new(schema.clone(), kinds.to_vec(), vec![0, 3])
        .expect("lineitem schema");
    let mut start = 0;
    let mut batches = Vec::new();
    for chunk in ends.chunks(BATCH_ROWS) {
        let end = chunk[chunk.len() - 1];
        decoder.feed(&stream[start..end]).expect("valid stream");
        start = end;
        batches.push(decoder.finish_batch().expect("batch").expect("rows"));
    }
    decoder.feed(&stream[start..]).expect("trailer");
    decoder.finish().expect("complete stream");
    batches
}

/// Decodes the stream one row per `feed` (as tokio-postgres hands it over).
fn decode_row_per_feed(
    schema: &SchemaRef,
    kinds: &[PgKind],
    stream: &[u8],
    ends: &[usize],
) -> usize {
    let mut decoder = PgCopyDecoder::try_new(schema.clone(), kinds.to_vec(), vec![0, 3])
        .expect("lineitem schema");
    let mut start = 0;
    let mut rows = 0;
    for &end in ends {
        decoder.feed(&stream[start..end]).expect("valid stream");
        start = end;
        if decoder.buffered_rows() >= BATCH_ROWS {
            rows += black_box(decoder.finish_batch().expect("batch").expect("rows")).num_rows();
        }
    }
    decoder.feed(&stream[start..]).expect("trailer");
    decoder.finish().expect("complete stream");
    if let Some(batch) = decoder.finish_batch().expect("batch") {
        rows += black_box(batch).num_rows();
    }
    rows
}

/// Encodes the batches `CALL_ROWS` rows per call, handing over ~1 MiB buffers; returns the bytes
/// handed over (and the last buffer when `keep` is set, for checking).
fn encode_1mib(
    enc: &mut PgCopyEncoder,
    batches: &[RecordBatch],
    keep: Option<&mut Vec<u8>>,
) -> usize {
    let mut out = BytesMut::with_capacity(FLUSH_BYTES + FLUSH_BYTES / 4);
    let mut keep = keep;
    let mut sent = 0;
    let mut hand_over = |out: &mut BytesMut, keep: &mut Option<&mut Vec<u8>>| {
        let chunk = out.split().freeze();
        sent += chunk.len();
        if let Some(k) = keep.as_deref_mut() {
            k.extend_from_slice(&chunk);
        }
        black_box(chunk);
    };
    PgCopyEncoder::write_header(&mut out);
    for batch in batches {
        let mut at = 0;
        while at < batch.num_rows() {
            let len = CALL_ROWS.min(batch.num_rows() - at);
            enc.write_rows(batch, at, len, &mut out).expect("encodes");
            at += len;
            if out.len() >= FLUSH_BYTES {
                hand_over(&mut out, &mut keep);
            }
        }
    }
    PgCopyEncoder::write_trailer(&mut out);
    hand_over(&mut out, &mut keep);
    sent
}

/// Encodes each batch whole into one growing buffer.
fn encode_batch(enc: &mut PgCopyEncoder, batches: &[RecordBatch]) -> usize {
    let mut out = BytesMut::new();
    PgCopyEncoder::write_header(&mut out);
    for batch in batches {
        enc.write_batch(batch, &mut out).expect("encodes");
    }
    PgCopyEncoder::write_trailer(&mut out);
    black_box(out).len()
}

/// Baseline: the finished stream copied into 1 MiB buffers.
fn memcpy(stream: &[u8]) -> usize {
    let mut out = BytesMut::with_capacity(FLUSH_BYTES);
    let mut sent = 0;
    for piece in stream.chunks(FLUSH_BYTES) {
        out.extend_from_slice(black_box(piece));
        let chunk = out.split().freeze();
        sent += chunk.len();
        black_box(chunk);
    }
    sent
}

/// The calling thread's time on a CPU, in ns (`/proc/thread-self/schedstat`, first field).
fn on_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .expect("/proc/thread-self/schedstat (Linux)")
}

/// Criterion measurement: thread CPU time, formatted like wall time.
struct CpuTime;

static WALL: WallTime = WallTime;

impl Measurement for CpuTime {
    type Intermediate = u64;
    type Value = Duration;

    fn start(&self) -> u64 {
        on_cpu_ns()
    }
    fn end(&self, start: u64) -> Duration {
        Duration::from_nanos(on_cpu_ns().saturating_sub(start))
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, d: &Duration) -> f64 {
        d.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        WALL.formatter()
    }
}

/// The data every group runs on.
struct Data {
    stream: Vec<u8>,
    ends: Vec<usize>,
    schema: SchemaRef,
    kinds: Vec<PgKind>,
    batches: Vec<RecordBatch>,
}

fn data() -> Data {
    let (stream, ends) = lineitem_stream(ROWS);
    let (schema, kinds) = lineitem_schema();
    let batches = decode_batch_per_feed(&schema, &kinds, &stream, &ends);
    let mut enc = encoder(&schema, &kinds);
    let mut check = Vec::new();
    assert_eq!(
        encode_1mib(&mut enc, &batches, Some(&mut check)),
        stream.len()
    );
    assert!(
        check == stream,
        "encoding differs from the generated stream"
    );
    assert_eq!(encode_batch(&mut enc, &batches), stream.len());
    Data {
        stream,
        ends,
        schema,
        kinds,
        batches,
    }
}

/// Encode and decode per row, in one group.
fn rows<M: Measurement>(c: &mut Criterion<M>, group: &str, d: &Data, all: bool) {
    let mut enc = encoder(&d.schema, &d.kinds);
    let mut rows = c.benchmark_group(group);
    rows.sample_size(20);
    rows.throughput(Throughput::Elements(ROWS as u64));
    rows.bench_function("encode_1mib", |b| {
        b.iter(|| encode_1mib(&mut enc, &d.batches, None))
    });
    if all {
        rows.bench_function("encode_batch", |b| {
            b.iter(|| encode_batch(&mut enc, &d.batches))
        });
    }
    rows.bench_function("decode_batch_per_feed", |b| {
        b.iter(|| decode_batch_per_feed(&d.schema, &d.kinds, &d.stream, &d.ends))
    });
    rows.bench_function("decode_row_per_feed", |b| {
        b.iter(|| decode_row_per_feed(&d.schema, &d.kinds, &d.stream, &d.ends))
    });
    rows.finish();
}

fn bench(c: &mut Criterion) {
    let d = data();
    rows(c, "pgcopy_encode/lineitem_rows", &d, true);
    let mut enc = encoder(&d.schema, &d.kinds);
    let mut bytes = c.benchmark_group("pgcopy_encode/lineitem_bytes");
    bytes.sample_size(20);
    bytes.throughput(Throughput::Bytes(d.stream.len() as u64));
    bytes.bench_function("encode_1mib", |b| {
        b.iter(|| encode_1mib(&mut enc, &d.batches, None))
    });
    bytes.bench_function("memcpy_baseline", |b| b.iter(|| memcpy(&d.stream)));
    bytes.finish();
}

fn bench_cpu(c: &mut Criterion<CpuTime>) {
    rows(c, "pgcopy_encode_cpu/lineitem_rows", &data(), false);
}

criterion_group!(benches, bench);
criterion_group! {
    name = cpu;
    config = Criterion::default().with_measurement(CpuTime);
    targets = bench_cpu
}
criterion_main!(benches, cpu);
