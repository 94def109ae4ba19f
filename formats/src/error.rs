//! The one error type of the `formats` crate.

use arrow_schema::ArrowError;

/// Errors from the pure codecs. Context (table, chunk) is added by the engine, which knows it;
/// what a codec knows (column, row within the stream, the row's key) is carried here.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// The byte stream does not follow the format (truncated, bad header, wrong field count).
    #[error("malformed {format} stream: {reason}")]
    Malformed {
        format: &'static str,
        reason: String,
    },

    /// A well-formed value that the column's Arrow type cannot hold exactly (e.g. NaN in a
    /// Decimal column, a timestamp past Arrow's range, a 2-D array in a 1-D column).
    #[error("column `{column}`, row {row}{}: {reason}", key.as_ref().map(|k| format!(" (key {k})")).unwrap_or_default())]
    Value {
        column: String,
        row: u64,
        key: Option<String>,
        reason: String,
        /// The value is valid in the source and its text form would carry it exactly: the
        /// caller can suggest carrying the column as text.
        text_would_hold: bool,
    },

    /// The codec was asked for something it does not support (a schema it cannot encode).
    #[error("unsupported: {0}")]
    Unsupported(String),

    #[error(transparent)]
    Arrow(#[from] ArrowError),

    #[error(transparent)]
    Parquet(#[from] parquet::errors::ParquetError),
}

/// Result alias for this crate.
pub type Result<T, E = FormatError> = std::result::Result<T, E>;
