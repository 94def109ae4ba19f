//! A seeded property test: random decimals of every scale round-trip, and encode to the same
//! bytes as their PostgreSQL text.

use super::*;

/// xorshift64*: deterministic values without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A value of 0..=38 random decimal digits, either sign.
    fn decimal(&mut self) -> i128 {
        let digits = (self.next() % 39) as u32;
        let raw =
            (u128::from(self.next()) << 64 | u128::from(self.next())) % 10u128.pow(digits).max(1);
        let v = raw as i128;
        if self.next() & 1 == 1 { -v } else { v }
    }
}

/// `unscaled / 10^scale` as PostgreSQL prints a numeric of dscale `scale`.
fn decimal_text(unscaled: i128, scale: u32) -> String {
    let digits = unscaled.unsigned_abs().to_string();
    let digits = format!("{digits:0>width$}", width = scale as usize + 1);
    let (int, frac) = digits.split_at(digits.len() - scale as usize);
    let sign = if unscaled < 0 { "-" } else { "" };
    if scale == 0 {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{frac}")
    }
}

#[test]
fn random_decimals_round_trip_and_match_their_text() {
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    for round in 0..40 {
        let scale = (rng.next() % 39) as i8;
        let values: Vec<i128> = (0..250).map(|_| rng.decimal()).collect();
        let decimal = PgKind::Decimal {
            precision: 38,
            scale,
        };
        let batch = batch_of(vec![Arc::new(
            Decimal128Array::from(values.clone())
                .with_precision_and_scale(38, scale)
                .unwrap(),
        )]);
        let from_decimal = round_trip(&batch, std::slice::from_ref(&decimal));
        // The same numbers as text encode to the same bytes, and decode to the same text.
        let texts: Vec<String> = values
            .iter()
            .map(|&v| decimal_text(v, scale as u32))
            .collect();
        let text_batch = batch_of(vec![Arc::new(StringArray::from(texts.clone()))]);
        let from_text = encode(&text_batch, &[PgKind::NumericText]).unwrap();
        assert_eq!(from_text, from_decimal, "round {round}, scale {scale}");
        let back = decode_in(
            &text_batch.schema(),
            &[PgKind::NumericText],
            &[],
            &from_text,
            0,
        )
        .unwrap();
        let got: Vec<&str> = back.column(0).as_string::<i32>().iter().flatten().collect();
        assert_eq!(got, texts, "round {round}");
        // Wider: the same values ×10^k as Decimal256(76, scale) (exercises the i256 paths).
        let k = (rng.next() % 38) as u32;
        let wide: Vec<i256> = values
            .iter()
            .map(|&v| i256::from_i128(v).wrapping_mul(i256::from_i128(10i128.pow(k))))
            .collect();
        let wide_batch = batch_of(vec![Arc::new(
            Decimal256Array::from(wide)
                .with_precision_and_scale(76, scale)
                .unwrap(),
        )]);
        round_trip(
            &wide_batch,
            &[PgKind::Decimal {
                precision: 76,
                scale,
            }],
        );
    }
}
