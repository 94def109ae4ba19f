//! Binary-protocol result rows decoded in place.
//!
//! A row of a prepared statement's result set is one packet: a `0x00` header, a NULL bitmap
//! whose bits start at bit 2, then each non-NULL value in its column type's binary form
//! (fixed-width little-endian integers and floats, length-prefixed temporals, length-encoded
//! strings for everything else). [`RowCursor`] walks that packet and yields each value as a
//! [`Cell`] borrowing from it, so a row costs no allocation on its way into the Arrow builders.

use std::fmt;

use mysql_async::Column;
use mysql_async::consts::{ColumnFlags, ColumnType};

/// How a column's values are laid out in a binary row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    Int1 {
        unsigned: bool,
    },
    Int2 {
        unsigned: bool,
    },
    Int4 {
        unsigned: bool,
    },
    Int8 {
        unsigned: bool,
    },
    Float,
    Double,
    /// DATE, DATETIME, TIMESTAMP: a length byte (0, 4, 7 or 11), then the fields.
    DateTime,
    /// TIME: a length byte (0, 8 or 12), then the fields.
    Time,
    /// Always NULL: nothing on the wire.
    Null,
    /// A length-encoded byte string (text, binary, DECIMAL, BIT, ENUM, SET, JSON, geometry).
    Bytes,
}

impl Wire {
    /// The layout of a result column, or `None` for a type the binary protocol does not define.
    pub fn of(column: &Column) -> Option<Wire> {
        let unsigned = column.flags().contains(ColumnFlags::UNSIGNED_FLAG);
        Some(match column.column_type() {
            ColumnType::MYSQL_TYPE_TINY => Wire::Int1 { unsigned },
            ColumnType::MYSQL_TYPE_SHORT | ColumnType::MYSQL_TYPE_YEAR => Wire::Int2 { unsigned },
            ColumnType::MYSQL_TYPE_LONG | ColumnType::MYSQL_TYPE_INT24 => Wire::Int4 { unsigned },
            ColumnType::MYSQL_TYPE_LONGLONG => Wire::Int8 { unsigned },
            ColumnType::MYSQL_TYPE_FLOAT => Wire::Float,
            ColumnType::MYSQL_TYPE_DOUBLE => Wire::Double,
            ColumnType::MYSQL_TYPE_TIMESTAMP
            | ColumnType::MYSQL_TYPE_DATE
            | ColumnType::MYSQL_TYPE_NEWDATE
            | ColumnType::MYSQL_TYPE_DATETIME => Wire::DateTime,
            ColumnType::MYSQL_TYPE_TIME => Wire::Time,
            ColumnType::MYSQL_TYPE_NULL => Wire::Null,
            ColumnType::MYSQL_TYPE_STRING
            | ColumnType::MYSQL_TYPE_VAR_STRING
            | ColumnType::MYSQL_TYPE_BLOB
            | ColumnType::MYSQL_TYPE_TINY_BLOB
            | ColumnType::MYSQL_TYPE_MEDIUM_BLOB
            | ColumnType::MYSQL_TYPE_LONG_BLOB
            | ColumnType::MYSQL_TYPE_SET
            | ColumnType::MYSQL_TYPE_ENUM
            | ColumnType::MYSQL_TYPE_DECIMAL
            | ColumnType::MYSQL_TYPE_VARCHAR
            | ColumnType::MYSQL_TYPE_BIT
            | ColumnType::MYSQL_TYPE_NEWDECIMAL
            | ColumnType::MYSQL_TYPE_GEOMETRY
            | ColumnType::MYSQL_TYPE_VECTOR
            | ColumnType::MYSQL_TYPE_JSON => Wire::Bytes,
            _ => return None,
        })
    }
}

/// One value of a binary row, borrowed from the row's packet.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    Null,
    Int(i64),
    UInt(u64),
    Float(f32),
    Double(f64),
    Bytes(&'a [u8]),
    /// Year, month, day, hour, minute, second, microsecond.
    Date(u16, u8, u8, u8, u8, u8, u32),
    /// Negative, days, hours, minutes, seconds, microseconds.
    Time(bool, u32, u8, u8, u8, u32),
}

impl fmt::Display for Cell<'_> {
    /// The value as SQL would spell it, for error messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Cell::Null => f.write_str("NULL"),
            Cell::Int(i) => write!(f, "{i}"),
            Cell::UInt(u) => write!(f, "{u}"),
            Cell::Float(x) => write!(f, "{x}"),
            Cell::Double(x) => write!(f, "{x}"),
            Cell::Bytes(b) => match std::str::from_utf8(b) {
                Ok(s) => write!(f, "'{}'", s.replace('\'', "''")),
                Err(_) => {
                    f.write_str("0x")?;
                    b.iter().try_for_each(|x| write!(f, "{x:02X}"))
                }
            },
            Cell::Date(y, m, d, h, mi, s, us) => {
                write!(f, "'{y:04}-{m:02}-{d:02} {h:02}:{mi:02}:{s:02}")?;
                if us > 0 {
                    write!(f, ".{us:06}")?;
                }
                f.write_str("'")
            }
            Cell::Time(neg, d, h, m, s, us) => {
                let hours = u64::from(d) * 24 + u64::from(h);
                let sign = if neg { "-" } else { "" };
                write!(f, "'{sign}{hours:02}:{m:02}:{s:02}")?;
                if us > 0 {
                    write!(f, ".{us:06}")?;
                }
                f.write_str("'")
            }
        }
    }
}

/// Why a row packet could not be decoded: the server and the client disagree on the protocol.
/// Small and `Copy`, so the hot path carries no message it does not need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Malformed {
    /// The column (1-based) being decoded; 0 for the row's header.
    pub column: usize,
    pub what: &'static str,
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.column {
            0 => f.write_str(self.what),
            c => write!(f, "column {c}: {}", self.what),
        }
    }
}

/// Walks the values of one binary row in column order.
pub struct RowCursor<'a> {
    packet: &'a [u8],
    bitmap: &'a [u8],
    pos: usize,
    column: usize,
}

impl<'a> RowCursor<'a> {
    /// Starts on a row packet of `columns` columns.
    pub fn new(packet: &'a [u8], columns: usize) -> Result<Self, Malformed> {
        let bitmap_len = (columns + 7 + 2) / 8;
        if packet.first() != Some(&0) || packet.len() < 1 + bitmap_len {
            return Err(Malformed {
                column: 0,
                what: "the packet is not a binary row of the result's columns",
            });
        }
        Ok(Self {
            packet,
            bitmap: &packet[1..1 + bitmap_len],
            pos: 1 + bitmap_len,
            column: 0,
        })
    }

    /// Whether the whole packet was consumed.
    pub fn at_end(&self) -> bool {
        self.pos == self.packet.len()
    }

    fn malformed(&self, what: &'static str) -> Malformed {
        Malformed {
            column: self.column,
            what,
        }
    }

    #[inline]
    fn take(&mut self, n: usize) -> Result<&'a [u8], Malformed> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.packet.len());
        let Some(end) = end else {
            return Err(self.malformed("the value runs past the end of the row"));
        };
        let s = &self.packet[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    #[inline]
    fn fixed<const N: usize>(&mut self) -> Result<[u8; N], Malformed> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    #[inline]
    fn lenenc(&mut self) -> Result<u64, Malformed> {
        let [first] = self.fixed::<1>()?;
        Ok(match first {
            0xfc => u64::from(u16::from_le_bytes(self.fixed()?)),
            0xfd => {
                let [a, b, c] = self.fixed()?;
                u64::from(u32::from_le_bytes([a, b, c, 0]))
            }
            0xfe => u64::from_le_bytes(self.fixed()?),
            0xfb | 0xff => return Err(self.malformed("a length marker that is not a length")),
            n => u64::from(n),
        })
    }

    /// The next column's value, laid out as `wire`.
    #[inline]
    pub fn next(&mut self, wire: Wire) -> Result<Cell<'a>, Malformed> {
        let i = self.column;
        self.column += 1;
        let bit = i + 2;
        if self.bitmap[bit / 8] & (1 << (bit % 8)) != 0 {
            return Ok(Cell::Null);
        }
        Ok(match wire {
            Wire::Int1 { unsigned: false } => Cell::Int(i64::from(self.fixed::<1>()?[0] as i8)),
            Wire::Int1 { unsigned: true } => Cell::UInt(u64::from(self.fixed::<1>()?[0])),
            Wire::Int2 { unsigned: false } => {
                Cell::Int(i64::from(i16::from_le_bytes(self.fixed()?)))
            }
            Wire::Int2 { unsigned: true } => {
                Cell::UInt(u64::from(u16::from_le_bytes(self.fixed()?)))
            }
            Wire::Int4 { unsigned: false } => {
                Cell::Int(i64::from(i32::from_le_bytes(self.fixed()?)))
            }
            Wire::Int4 { unsigned: true } => {
                Cell::UInt(u64::from(u32::from_le_bytes(self.fixed()?)))
            }
            Wire::Int8 { unsigned: false } => Cell::Int(i64::from_le_bytes(self.fixed()?)),
            Wire::Int8 { unsigned: true } => Cell::UInt(u64::from_le_bytes(self.fixed()?)),
            Wire::Float => Cell::Float(f32::from_le_bytes(self.fixed()?)),
            Wire::Double => Cell::Double(f64::from_le_bytes(self.fixed()?)),
            Wire::Null => Cell::Null,
            Wire::Bytes => {
                let len = self.lenenc()?;
                let len = usize::try_from(len)
                    .map_err(|_| self.malformed("a length beyond the address space"))?;
                Cell::Bytes(self.take(len)?)
            }
            Wire::DateTime => {
                let [len] = self.fixed::<1>()?;
                let b = self.take(usize::from(len))?;
                let (mut y, mut mo, mut d, mut h, mut mi, mut s, mut us) = (0, 0, 0, 0, 0, 0, 0);
                if !matches!(len, 0 | 4 | 7 | 11) {
                    return Err(self.malformed("a date of a length no date has"));
                }
                if len >= 4 {
                    y = u16::from_le_bytes([b[0], b[1]]);
                    mo = b[2];
                    d = b[3];
                }
                if len >= 7 {
                    h = b[4];
                    mi = b[5];
                    s = b[6];
                }
                if len == 11 {
                    us = u32::from_le_bytes([b[7], b[8], b[9], b[10]]);
                }
                Cell::Date(y, mo, d, h, mi, s, us)
            }
            Wire::Time => {
                let [len] = self.fixed::<1>()?;
                let b = self.take(usize::from(len))?;
                if !matches!(len, 0 | 8 | 12) {
                    return Err(self.malformed("a time of a length no time has"));
                }
                if len == 0 {
                    Cell::Time(false, 0, 0, 0, 0, 0)
                } else {
                    let us = if len == 12 {
                        u32::from_le_bytes([b[8], b[9], b[10], b[11]])
                    } else {
                        0
                    };
                    Cell::Time(
                        b[0] == 1,
                        u32::from_le_bytes([b[1], b[2], b[3], b[4]]),
                        b[5],
                        b[6],
                        b[7],
                        us,
                    )
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A binary row of the given (null, bytes) values, as a server would send it.
    fn row(values: &[Option<&[u8]>]) -> Vec<u8> {
        let mut bitmap = vec![0u8; (values.len() + 9) / 8];
        let mut body = Vec::new();
        for (i, v) in values.iter().enumerate() {
            match v {
                None => bitmap[(i + 2) / 8] |= 1 << ((i + 2) % 8),
                Some(b) => body.extend_from_slice(b),
            }
        }
        let mut p = vec![0u8];
        p.extend(bitmap);
        p.extend(body);
        p
    }

    #[test]
    fn decodes_each_layout() {
        let long = vec![b'x'; 300];
        let mut long_enc = vec![0xfc, 0x2c, 0x01];
        long_enc.extend(&long);
        let p = row(&[
            Some(&[0xff]),
            Some(&[0xff]),
            Some(&(-2i16).to_le_bytes()),
            None,
            Some(&u64::MAX.to_le_bytes()),
            Some(&1.5f32.to_le_bytes()),
            Some(&[3, b'a', b'b', b'c']),
            Some(&long_enc),
            Some(&[11, 0xe8, 0x07, 2, 29, 23, 59, 58, 0x3f, 0x42, 0x0f, 0x00]),
            Some(&[0]),
            Some(&[8, 1, 2, 0, 0, 0, 3, 4, 5]),
        ]);
        let wires = [
            Wire::Int1 { unsigned: false },
            Wire::Int1 { unsigned: true },
            Wire::Int2 { unsigned: false },
            Wire::Int4 { unsigned: false },
            Wire::Int8 { unsigned: true },
            Wire::Float,
            Wire::Bytes,
            Wire::Bytes,
            Wire::DateTime,
            Wire::DateTime,
            Wire::Time,
        ];
        let mut c = RowCursor::new(&p, wires.len()).expect("a row");
        let cells: Vec<Cell> = wires.iter().map(|w| c.next(*w).expect("a value")).collect();
        assert!(c.at_end());
        assert_eq!(
            cells,
            vec![
                Cell::Int(-1),
                Cell::UInt(255),
                Cell::Int(-2),
                Cell::Null,
                Cell::UInt(u64::MAX),
                Cell::Float(1.5),
                Cell::Bytes(b"abc"),
                Cell::Bytes(&long),
                Cell::Date(2024, 2, 29, 23, 59, 58, 999_999),
                Cell::Date(0, 0, 0, 0, 0, 0, 0),
                Cell::Time(true, 2, 3, 4, 5, 0),
            ]
        );
        assert_eq!(cells[9].to_string(), "'0000-00-00 00:00:00'");
        assert_eq!(cells[10].to_string(), "'-51:04:05'");
    }

    #[test]
    fn truncated_rows_are_errors() {
        let p = row(&[Some(&[5, b'a'])]);
        let mut c = RowCursor::new(&p, 1).expect("a row");
        assert!(c.next(Wire::Bytes).is_err());
        assert!(RowCursor::new(&[1, 0], 1).is_err());
        let p = row(&[Some(&[7, 0xe8, 0x07])]);
        assert!(
            RowCursor::new(&p, 1)
                .expect("a row")
                .next(Wire::DateTime)
                .is_err()
        );
    }
}
