//! Parquet presets: how haul writes its chunk files.
//!
//! One file per chunk, zstd level 3 by default. A row group is flushed at 1 Mi rows or 64 MiB of
//! estimated encoded size, whichever comes first: the writer buffers a whole row group in
//! memory, so this bound is part of haul's per-job memory budget (DESIGN.md §7).

use std::fmt;
use std::str::FromStr;

use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};

/// Largest row group, in rows.
pub const MAX_ROW_GROUP_ROWS: usize = 1024 * 1024;
/// Largest row group, in estimated encoded bytes.
pub const MAX_ROW_GROUP_BYTES: usize = 16 * 1024 * 1024;

/// Target size of a data page, per column. The writer holds one page in progress per column:
/// with parquet's default (1 MiB) a 16-column table costs 16 MiB per writer before any row
/// group data. (The dictionary page limit stays at 1 MiB: lowering it pushes mid-cardinality
/// columns off dictionary encoding and made TPC-H lineitem files 40% larger.)
pub const PAGE_BYTES: usize = 256 * 1024;

/// The codec of a dump's Parquet files (`--compression`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParquetCompression {
    /// zstd at a level in 1..=22 (default 3).
    Zstd(i32),
    /// Snappy.
    Snappy,
    /// LZ4 (raw).
    Lz4,
    /// No compression.
    None,
}

impl Default for ParquetCompression {
    fn default() -> Self {
        Self::Zstd(3)
    }
}

impl fmt::Display for ParquetCompression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Zstd(level) => write!(f, "zstd:{level}"),
            Self::Snappy => f.write_str("snappy"),
            Self::Lz4 => f.write_str("lz4"),
            Self::None => f.write_str("none"),
        }
    }
}

impl FromStr for ParquetCompression {
    type Err = String;

    /// Parses `zstd`, `zstd:LEVEL` (1..=22), `snappy`, `lz4` or `none`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.to_ascii_lowercase();
        let (name, level) = match lower.split_once(':') {
            Some((n, l)) => (n, Some(l)),
            None => (lower.as_str(), None),
        };
        match (name, level) {
            ("zstd", None) => Ok(Self::Zstd(3)),
            ("zstd", Some(l)) => match l.parse::<i32>() {
                Ok(n) if (1..=22).contains(&n) => Ok(Self::Zstd(n)),
                _ => Err(format!("zstd level must be 1..=22, got `{l}`")),
            },
            ("snappy", None) => Ok(Self::Snappy),
            ("lz4", None) => Ok(Self::Lz4),
            ("none" | "uncompressed", None) => Ok(Self::None),
            _ => Err(format!(
                "unknown compression `{s}` (expected zstd[:LEVEL], snappy, lz4 or none)"
            )),
        }
    }
}

/// Writer properties for one chunk file.
pub fn writer_properties(compression: ParquetCompression) -> WriterProperties {
    let codec = match compression {
        ParquetCompression::Zstd(level) => {
            Compression::ZSTD(ZstdLevel::try_new(level).unwrap_or_default())
        }
        ParquetCompression::Snappy => Compression::SNAPPY,
        ParquetCompression::Lz4 => Compression::LZ4_RAW,
        ParquetCompression::None => Compression::UNCOMPRESSED,
    };
    WriterProperties::builder()
        .set_compression(codec)
        .set_max_row_group_row_count(Some(MAX_ROW_GROUP_ROWS))
        .set_max_row_group_bytes(Some(MAX_ROW_GROUP_BYTES))
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_data_page_size_limit(PAGE_BYTES)
        .set_created_by(format!("haul {}", env!("CARGO_PKG_VERSION")))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_compression() {
        assert_eq!("zstd".parse(), Ok(ParquetCompression::Zstd(3)));
        assert_eq!("ZSTD:9".parse(), Ok(ParquetCompression::Zstd(9)));
        assert_eq!("none".parse(), Ok(ParquetCompression::None));
        assert!("zstd:0".parse::<ParquetCompression>().is_err());
        assert!("gzip".parse::<ParquetCompression>().is_err());
        assert_eq!(ParquetCompression::Zstd(7).to_string(), "zstd:7");
    }
}
