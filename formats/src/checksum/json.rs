//! Canonical JSON for `arrow.json` columns (docs/checksum.md §5): parsed exactly (RFC 8259) and
//! re-serialised with object keys sorted by their UTF-8 bytes, recursively, a repeated key
//! keeping its last value, no whitespace, strings escaped one way, and every number written as
//! its canonical decimal `[-]DIGITSeEXP` (value = digits·10^exp, no leading or trailing zeros in
//! the digits; zero is `0e0`). So `1.10`, `1.1` and `11e-1` are the same number, as PostgreSQL
//! jsonb and MySQL JSON may spell it differently. Text that does not parse is hashed as its raw
//! bytes.
//!
//! Costs: objects collect their members to sort them, so JSON is the one canonical form that
//! allocates per value.

use super::decimal;

/// Nesting deeper than this is hashed as raw bytes (as if it did not parse).
const MAX_DEPTH: u32 = 128;

/// Writes the u64 LE length and bytes of the canonical form of `text`.
pub(super) fn write(text: &[u8], out: &mut Vec<u8>) {
    let len_at = out.len();
    out.extend_from_slice(&[0; 8]);
    let start = out.len();
    let mut p = Parser {
        s: text,
        i: 0,
        scratch: Vec::new(),
    };
    let ok = p.skip_ws().is_some() && p.value(out, 0).is_some() && {
        p.skip_ws();
        p.i == text.len()
    };
    if !ok {
        out.truncate(start);
        out.extend_from_slice(text);
    }
    let len = (out.len() - start) as u64;
    out[len_at..start].copy_from_slice(&len.to_le_bytes());
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    scratch: Vec<u8>,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn skip_ws(&mut self) -> Option<()> {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
        Some(())
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        (self.peek() == Some(b)).then(|| self.i += 1)
    }

    fn literal(&mut self, word: &[u8], out: &mut Vec<u8>) -> Option<()> {
        if self.s[self.i..].starts_with(word) {
            self.i += word.len();
            out.extend_from_slice(word);
            Some(())
        } else {
            None
        }
    }

    fn value(&mut self, out: &mut Vec<u8>, depth: u32) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'{' => self.object(out, depth),
            b'[' => self.array(out, depth),
            b'"' => {
                let mut s = Vec::new();
                self.string(&mut s)?;
                write_string(&s, out);
                Some(())
            }
            b't' => self.literal(b"true", out),
            b'f' => self.literal(b"false", out),
            b'n' => self.literal(b"null", out),
            b'-' | b'0'..=b'9' => self.number(out),
            _ => None,
        }
    }

    fn array(&mut self, out: &mut Vec<u8>, depth: u32) -> Option<()> {
        self.eat(b'[')?;
        out.push(b'[');
        self.skip_ws();
        if self.eat(b']').is_some() {
            out.push(b']');
            return Some(());
        }
        loop {
            self.skip_ws();
            self.value(out, depth + 1)?;
            self.skip_ws();
            if self.eat(b',').is_some() {
                out.push(b',');
                continue;
            }
            self.eat(b']')?;
            out.push(b']');
            return Some(());
        }
    }

    fn object(&mut self, out: &mut Vec<u8>, depth: u32) -> Option<()> {
        self.eat(b'{')?;
        self.skip_ws();
        // (raw key bytes, canonical value) in input order.
        let mut members: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
        if self.eat(b'}').is_none() {
            loop {
                self.skip_ws();
                let mut key = Vec::new();
                self.string(&mut key)?;
                self.skip_ws();
                self.eat(b':')?;
                self.skip_ws();
                let mut value = Vec::new();
                self.value(&mut value, depth + 1)?;
                members.push((key, value));
                self.skip_ws();
                if self.eat(b',').is_some() {
                    continue;
                }
                self.eat(b'}')?;
                break;
            }
        }
        // A stable sort keeps equal keys in input order; the last of each run wins.
        members.sort_by(|a, b| a.0.cmp(&b.0));
        out.push(b'{');
        let mut first = true;
        for (k, (key, value)) in members.iter().enumerate() {
            if members.get(k + 1).is_some_and(|next| next.0 == *key) {
                continue;
            }
            if !first {
                out.push(b',');
            }
            first = false;
            write_string(key, out);
            out.push(b':');
            out.extend_from_slice(value);
        }
        out.push(b'}');
        Some(())
    }

    /// Decodes a string literal into raw UTF-8 bytes.
    fn string(&mut self, dst: &mut Vec<u8>) -> Option<()> {
        self.eat(b'"')?;
        loop {
            let b = self.peek()?;
            self.i += 1;
            match b {
                b'"' => return Some(()),
                b'\\' => {
                    let e = self.peek()?;
                    self.i += 1;
                    let c = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi) {
                                self.eat(b'\\')?;
                                self.eat(b'u')?;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return None;
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                hi
                            };
                            char::from_u32(code)?
                        }
                        _ => return None,
                    };
                    let mut buf = [0u8; 4];
                    dst.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                0x00..=0x1f => return None,
                b => dst.push(b),
            }
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let h = self.s.get(self.i..self.i + 4)?;
        self.i += 4;
        let s = std::str::from_utf8(h).ok()?;
        u32::from_str_radix(s, 16).ok()
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?` → canonical decimal `[-]DIGITSeEXP`.
    fn number(&mut self, out: &mut Vec<u8>) -> Option<()> {
        let start = self.i;
        self.eat(b'-');
        let digits = |p: &mut Self| {
            let n = p.s[p.i..].iter().take_while(|b| b.is_ascii_digit()).count();
            p.i += n;
            n
        };
        match self.peek()? {
            b'0' => self.i += 1,
            b'1'..=b'9' => {
                digits(self);
            }
            _ => return None,
        }
        if self.eat(b'.').is_some() && digits(self) == 0 {
            return None;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if digits(self) == 0 {
                return None;
            }
        }
        // Reuse the decimal normaliser: u64 LE length, `[-]digits`, i32 LE exponent.
        self.scratch.clear();
        decimal::write_text(&self.s[start..self.i], &mut self.scratch).ok()?;
        let len = u64::from_le_bytes(self.scratch.get(..8)?.try_into().ok()?) as usize;
        let mantissa = self.scratch.get(8..8 + len)?;
        let exponent = i32::from_le_bytes(self.scratch.get(8 + len..12 + len)?.try_into().ok()?);
        out.extend_from_slice(mantissa);
        out.push(b'e');
        out.extend_from_slice(exponent.to_string().as_bytes());
        Some(())
    }
}

/// A JSON string: `"` and `\` escaped with a backslash; U+0008, U+0009, U+000A, U+000C and
/// U+000D as `\b \t \n \f \r`; other control characters below U+0020 as `\u00xx` (lowercase
/// hex); everything else, non-ASCII included, as its raw UTF-8 bytes.
fn write_string(s: &[u8], out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    for &b in s {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x08 => out.extend_from_slice(b"\\b"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            0x0c => out.extend_from_slice(b"\\f"),
            b'\r' => out.extend_from_slice(b"\\r"),
            0x00..=0x1f => {
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xf)]);
            }
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(text: &str) -> String {
        let mut out = Vec::new();
        write(text.as_bytes(), &mut out);
        let len = u64::from_le_bytes(out[..8].try_into().expect("8 bytes")) as usize;
        assert_eq!(len, out.len() - 8);
        String::from_utf8(out[8..].to_vec()).expect("utf-8")
    }

    #[test]
    fn keys_sorted_whitespace_dropped() {
        assert_eq!(canon(r#"{"b":1, "a":[1,2]}"#), r#"{"a":[1e0,2e0],"b":1e0}"#);
        assert_eq!(
            canon(r#" { "z" : { "y": null, "x": true } , "a" : "s" } "#),
            r#"{"a":"s","z":{"x":true,"y":null}}"#
        );
        assert_eq!(
            canon(r#"[{"b":false,"a":{}} , []]"#),
            r#"[{"a":{},"b":false},[]]"#
        );
        // Keys compare by UTF-8 bytes: "B" < "a" < "é".
        assert_eq!(
            canon(r#"{"é":1,"a":2,"B":3}"#),
            r#"{"B":3e0,"a":2e0,"é":1e0}"#
        );
    }

    #[test]
    fn numbers_are_canonical_decimals() {
        assert_eq!(canon("1.0"), "1e0");
        assert_eq!(
            canon("[1.10, 1.1, 11e-1, 110E-2]"),
            "[11e-1,11e-1,11e-1,11e-1]"
        );
        assert_eq!(
            canon("[1E5, -0, 0.0, 2.50e-07, 100]"),
            "[1e5,0e0,0e0,25e-8,1e2]"
        );
        assert_eq!(
            canon("12345678901234567890123456789.50"),
            "123456789012345678901234567895e-1"
        );
        // Not JSON numbers: raw bytes.
        assert_eq!(canon("01"), "01");
        assert_eq!(canon("1."), "1.");
        assert_eq!(canon("+1"), "+1");
        assert_eq!(canon("NaN"), "NaN");
    }

    #[test]
    fn strings_escaped_canonically() {
        assert_eq!(
            canon(r#""\u00e9\/\"\\\u001F\n\u0008""#),
            "\"é/\\\"\\\\\\u001f\\n\\b\""
        );
        assert_eq!(canon(r#""\ud83d\ude00""#), "\"😀\"");
        // A lone surrogate is not valid JSON text here: raw bytes.
        assert_eq!(canon(r#""\ud83d""#), r#""\ud83d""#);
    }

    #[test]
    fn duplicate_keys_keep_the_last() {
        assert_eq!(canon(r#"{"a":1,"b":0,"a":2}"#), r#"{"a":2e0,"b":0e0}"#);
    }

    #[test]
    fn invalid_json_is_hashed_raw() {
        assert_eq!(canon("{not json"), "{not json");
        assert_eq!(canon(""), "");
        assert_eq!(canon("1 2"), "1 2");
        assert_eq!(canon("[1,]"), "[1,]");
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert_eq!(canon(&deep), deep);
    }
}
