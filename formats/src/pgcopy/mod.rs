//! PostgreSQL binary `COPY` ⇄ Arrow (sans-IO: bytes in, record batches out).

pub mod decode;

pub use decode::PgCopyDecoder;
