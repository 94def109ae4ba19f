//! PostgreSQL binary `COPY` ⇄ Arrow (sans-IO: bytes in, record batches out).

mod column;
pub mod decode;
pub mod encode;
mod key;
mod numeric;

#[cfg(test)]
mod tests;

pub use decode::PgCopyDecoder;
pub use encode::{PgCopyEncoder, PgEncodeColumn};
