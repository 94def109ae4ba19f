//! Showing a differing row: its key (or, without a key, its values) as text for people and as
//! a JSON object for machines, from the batch in the source's Arrow schema (so both sides of a
//! cross-engine diff show a value the same way).

use std::cmp::Ordering;

use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use serde_json::{Map, Value};

/// Longest value shown, in characters; longer ones are cut with `…`.
const MAX_VALUE_CHARS: usize = 200;

/// A row's chosen columns, rendered.
#[derive(Debug, Clone, Default)]
pub(crate) struct Rendered {
    /// `(id, name)=(5, 'it''s')`, as PostgreSQL names a key.
    pub text: String,
    /// `{"id": 5, "name": "it's"}`.
    pub values: Map<String, Value>,
    /// The values in column order, for sorting rows by key.
    pub order: Vec<Value>,
}

/// Orders rendered keys as their values order: numbers by value, NULL first, text by bytes.
pub(crate) fn cmp_values(a: &[Value], b: &[Value]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let o = match (x, y) {
            (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
                (Some(x), Some(y)) => x.cmp(&y),
                _ => x
                    .as_f64()
                    .partial_cmp(&y.as_f64())
                    .unwrap_or(Ordering::Equal)
                    .then_with(|| x.to_string().cmp(&y.to_string())),
            },
            (Value::Null, Value::Null) => Ordering::Equal,
            (Value::Null, _) => Ordering::Less,
            (_, Value::Null) => Ordering::Greater,
            (x, y) => x.to_string().cmp(&y.to_string()),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    a.len().cmp(&b.len())
}

/// Renders columns `cols` of row `row` of `batch`.
pub(crate) fn render(batch: &RecordBatch, row: usize, cols: &[usize]) -> Rendered {
    let schema = batch.schema();
    let mut names = Vec::with_capacity(cols.len());
    let mut texts = Vec::with_capacity(cols.len());
    let mut values = Map::new();
    let mut order = Vec::with_capacity(cols.len());
    for &c in cols {
        let name = schema.field(c).name().clone();
        let col = batch.column(c);
        let (text, value) = if col.is_null(row) {
            ("NULL".to_string(), Value::Null)
        } else {
            let shown = arrow::util::display::array_value_to_string(col, row)
                .unwrap_or_else(|e| format!("<{e}>"));
            let shown = cut(&shown);
            match col.data_type() {
                t if t.is_integer() => {
                    let v = shown
                        .parse::<i64>()
                        .map(Value::from)
                        .or_else(|_| shown.parse::<u64>().map(Value::from))
                        .unwrap_or_else(|_| Value::String(shown.clone()));
                    (shown, v)
                }
                DataType::Boolean => (shown.clone(), Value::Bool(shown == "true")),
                _ => (
                    format!("'{}'", shown.replace('\'', "''")),
                    Value::String(shown),
                ),
            }
        };
        names.push(name.clone());
        texts.push(text);
        order.push(value.clone());
        values.insert(name, value);
    }
    Rendered {
        text: format!("({})=({})", names.join(", "), texts.join(", ")),
        values,
        order,
    }
}

fn cut(s: &str) -> String {
    match s.char_indices().nth(MAX_VALUE_CHARS) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{Int64Array, StringArray};
    use arrow_schema::{Field, Schema};

    use super::*;

    #[test]
    fn keys_render_as_text_and_json() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("name", DataType::Utf8, true),
        ]));
        let long = "x".repeat(300);
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(Int64Array::from(vec![5, -1])),
                Arc::new(StringArray::from(vec![Some("it's"), None])),
            ],
        )
        .expect("batch");
        let r = render(&batch, 0, &[0, 1]);
        assert_eq!(r.text, "(id, name)=(5, 'it''s')");
        assert_eq!(
            Value::Object(r.values),
            serde_json::json!({"id": 5, "name": "it's"})
        );
        let r = render(&batch, 1, &[1, 0]);
        assert_eq!(r.text, "(name, id)=(NULL, -1)");
        assert_eq!(cut(&long).chars().count(), MAX_VALUE_CHARS + 1);
        let key = |v: Value| vec![v];
        assert_eq!(cmp_values(&key(9.into()), &key(10.into())), Ordering::Less);
        assert_eq!(
            cmp_values(&key("b".into()), &key("a".into())),
            Ordering::Greater
        );
        assert_eq!(
            cmp_values(&key(Value::Null), &key(0.into())),
            Ordering::Less
        );
    }
}
