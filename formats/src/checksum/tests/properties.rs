//! Digest properties over generated rows; errors; the small API.

use super::*;

/// splitmix64: a small deterministic generator for the property tests.
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
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

#[derive(Debug, Clone)]
struct Row {
    k: i64,
    s: Option<String>,
    d: Option<i128>,
    f: Option<f64>,
    l: Option<Vec<Option<i32>>>,
    j: Option<String>,
}

fn random_rows(rng: &mut Rng, n: usize) -> Vec<Row> {
    (0..n)
        .map(|i| Row {
            k: i as i64,
            s: (!rng.chance(20)).then(|| "xé".repeat(rng.below(5) as usize)),
            d: (!rng.chance(20)).then(|| i128::from(rng.next() as i64) / 1000),
            f: (!rng.chance(20))
                .then(|| [0.0, -0.0, f64::NAN, 1.25, -3.5e300][rng.below(5) as usize]),
            l: (!rng.chance(20)).then(|| {
                (0..rng.below(4))
                    .map(|_| (!rng.chance(30)).then(|| rng.below(3) as i32))
                    .collect()
            }),
            j: (!rng.chance(50)).then(|| format!(r#"{{"k":{},"a":[true,null]}}"#, rng.below(4))),
        })
        .collect()
}

fn rows_batch(rows: &[Row]) -> RecordBatch {
    let l = ListArray::from_iter_primitive::<Int32Type, _, _>(rows.iter().map(|r| r.l.clone()));
    batch(vec![
        (
            Field::new("k", DataType::Int64, false),
            Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.k))),
        ),
        col(
            "s",
            Arc::new(StringArray::from_iter(rows.iter().map(|r| r.s.clone()))),
        ),
        col("d", dec128(rows.iter().map(|r| r.d).collect(), 38, 3)),
        col(
            "f",
            Arc::new(Float64Array::from_iter(rows.iter().map(|r| r.f))),
        ),
        col("l", Arc::new(l)),
        (
            json_field("j"),
            Arc::new(StringArray::from_iter(rows.iter().map(|r| r.j.clone()))),
        ),
    ])
}

#[test]
fn order_does_not_matter() {
    for seed in 0..20 {
        let mut rng = Rng(seed);
        let mut rows = random_rows(&mut rng, 50);
        let before = digest(&rows_batch(&rows));
        for i in (1..rows.len()).rev() {
            rows.swap(i, rng.below(i as u64 + 1) as usize);
        }
        assert_eq!(digest(&rows_batch(&rows)), before, "seed {seed}");
    }
}

#[test]
fn chunks_add_up_however_split() {
    for seed in 0..20 {
        let mut rng = Rng(100 + seed);
        let b = rows_batch(&random_rows(&mut rng, 60));
        let whole = digest(&b);
        let all = hashes(&b);
        // Split a RecordBatch (sliced arrays) and hash both halves with one reused hasher.
        let k = rng.below(61) as usize;
        let mut hasher = RowHasher::try_new(b.schema_ref()).expect("supported");
        let (mut d1, mut d2) = (ChunkDigest::default(), ChunkDigest::default());
        hasher.digest_batch(&b.slice(0, k), &mut d1).expect("hash");
        hasher
            .digest_batch(&b.slice(k, 60 - k), &mut d2)
            .expect("hash");
        assert_eq!(hasher.rows_seen(), 60);
        let mut merged = d1;
        merged.merge(&d2);
        assert_eq!(merged, whole, "seed {seed}, split at {k}");
        let mut tail = Vec::new();
        hasher
            .hash_rows(&b.slice(k, 60 - k), &mut tail)
            .expect("hash");
        assert_eq!(tail, all[k..], "per-row hashes of a slice");
        // The digest is the sum of the row hashes.
        let mut summed = ChunkDigest::default();
        all.iter().for_each(|h| summed.add_row_hash(*h));
        assert_eq!(summed, whole);
    }
}

#[test]
fn duplicates_count() {
    let mut rng = Rng(7);
    let rows = random_rows(&mut rng, 10);
    let twice = rows_batch(&[rows[3].clone(), rows[3].clone()]);
    let d = digest(&twice);
    let h = hashes(&rows_batch(&rows[3..4]))[0];
    assert_eq!(
        d,
        ChunkDigest {
            rows: 2,
            sum: h.wrapping_mul(2)
        }
    );
    assert_ne!(d.sum, 0, "a sum, not XOR: two equal rows do not cancel");
    let mut with_dup = rows.clone();
    with_dup.push(rows[3].clone());
    assert_ne!(
        digest(&rows_batch(&with_dup)).sum,
        digest(&rows_batch(&rows)).sum
    );
    // Distinct rows (distinct keys) get distinct hashes.
    let mut all = hashes(&rows_batch(&random_rows(&mut rng, 500)));
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), 500);
}

// ---- errors and the small API ----------------------------------------------------------

#[test]
fn unsupported_types_fail_up_front_naming_the_column() {
    let map = MapArray::new_from_strings(["a"].into_iter(), &StringArray::from(vec!["b"]), &[0, 1])
        .expect("valid map");
    let schema = Schema::new(vec![
        Field::new("id", DataType::Int32, false),
        Field::new("attrs", map.data_type().clone(), true),
    ]);
    let err = RowHasher::try_new(&schema)
        .expect_err("map has no canonical form")
        .to_string();
    assert!(err.contains("`attrs`") && err.contains("Map"), "{err}");
    let nested = Field::new(
        "s",
        DataType::Struct(
            vec![Field::new(
                "r",
                DataType::RunEndEncoded(
                    Arc::new(Field::new("run_ends", DataType::Int32, false)),
                    Arc::new(Field::new("values", DataType::Utf8, true)),
                ),
                true,
            )]
            .into(),
        ),
        true,
    );
    let err = RowHasher::try_new(&Schema::new(vec![nested]))
        .expect_err("REE unsupported")
        .to_string();
    assert!(err.contains("`s.r`"), "{err}");
}

#[test]
fn bad_values_name_column_and_row() {
    let b = one(
        decimal_text_field("amount"),
        Arc::new(StringArray::from(vec!["1.5", "12abc"])),
    );
    let mut hasher = RowHasher::try_new(b.schema_ref()).expect("supported");
    let mut d = ChunkDigest::default();
    hasher
        .digest_batch(&b.slice(0, 1), &mut d)
        .expect("first row is fine");
    let before = d;
    let err = hasher
        .digest_batch(&b, &mut d)
        .expect_err("bad decimal text");
    match err {
        FormatError::Value {
            column,
            row,
            reason,
            ..
        } => {
            assert_eq!(column, "amount");
            assert_eq!(row, 2, "second row of the second batch given to the hasher");
            assert!(reason.contains("12abc"), "{reason}");
        }
        other => panic!("expected a value error, got {other}"),
    }
    assert_eq!(d, before, "digest untouched on error");
    // A NULL inside a non-NULL interval cannot be hashed as an interval (haul's own interval
    // fields are non-nullable; a struct of the same shape from elsewhere may not be).
    let nullable: arrow_schema::Fields = interval_fields()
        .iter()
        .map(|f| f.as_ref().clone().with_nullable(true))
        .collect();
    let st = StructArray::new(
        nullable,
        vec![
            Arc::new(Int32Array::from(vec![1])),
            Arc::new(Int32Array::from(vec![None])),
            Arc::new(Int64Array::from(vec![1])),
        ],
        None,
    );
    let err = ChunkDigest::default()
        .add_batch(&single(Arc::new(st)))
        .expect_err("null day")
        .to_string();
    assert!(err.contains("`days`"), "{err}");
}

#[test]
fn batch_must_match_the_hasher_schema() {
    let schema = Schema::new(vec![Field::new("a", DataType::Int32, true)]);
    let mut hasher = RowHasher::try_new(&schema).expect("supported");
    let mut d = ChunkDigest::default();
    let wrong_type = single(Arc::new(StringArray::from(vec!["x"])));
    let err = hasher
        .digest_batch(&wrong_type, &mut d)
        .expect_err("type mismatch")
        .to_string();
    assert!(err.contains("`a`") && err.contains("Utf8"), "{err}");
    let two = batch(vec![
        col("a", Arc::new(Int32Array::from(vec![1]))),
        col("b", Arc::new(Int32Array::from(vec![1]))),
    ]);
    assert!(hasher.digest_batch(&two, &mut d).is_err());
    // Another integer width is the same value, so it is accepted.
    hasher
        .digest_batch(&single(Arc::new(Int64Array::from(vec![5]))), &mut d)
        .expect("widths may differ");
    assert_eq!(
        d.sum,
        hashes(&single(Arc::new(Int32Array::from(vec![5]))))[0]
    );
}

#[test]
fn sum_hex_round_trips() {
    let d = ChunkDigest {
        rows: 9,
        sum: 0x0123_4567_89ab_cdef_0011_2233_4455_6677,
    };
    assert_eq!(d.sum_hex(), "0123456789abcdef0011223344556677");
    assert_eq!(ChunkDigest::parse_sum_hex(&d.sum_hex()), Some(d.sum));
    assert_eq!(
        ChunkDigest::parse_sum_hex("0123456789ABCDEF0011223344556677"),
        Some(d.sum)
    );
    assert_eq!(d.to_string(), "rows=9 sum=0123456789abcdef0011223344556677");
    for bad in [
        "",
        "123",
        "+123456789abcdef0011223344556677",
        "0123456789abcdef00112233445566778",
        "g123456789abcdef0011223344556677",
    ] {
        assert_eq!(ChunkDigest::parse_sum_hex(bad), None, "{bad:?}");
    }
    assert_eq!(ChunkDigest::default().sum_hex(), "0".repeat(32));
}
