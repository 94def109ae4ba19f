//! A small exact JSON reader for the lists' documents: the outer array levels (one per list
//! level) become nodes; numbers keep their text (no rounding through f64), strings are
//! unescaped, and anything deeper (`arrow.json` items' objects and arrays) is skipped without
//! recursion and kept as its text.

use std::borrow::Cow;

/// Nesting of JSON arrays and objects skipped inside an `arrow.json` list item.
const MAX_DEPTH: usize = 10_000;

/// A parsed JSON value; `raw` is its exact text.
#[derive(Debug)]
pub(super) struct Node<'a> {
    pub(super) raw: &'a str,
    pub(super) v: V<'a>,
}

#[derive(Debug)]
pub(super) enum V<'a> {
    Null,
    Bool(bool),
    /// A number; its text is `raw`.
    Num,
    Str(Cow<'a, str>),
    Arr(Vec<Node<'a>>),
    /// An object, or an array below the lists' depth: only its text is kept.
    Other,
}

/// Parses one JSON document whose outer `arrays` levels of arrays are kept as nodes.
pub(super) fn parse_document(s: &str, arrays: usize) -> Result<Node<'_>, String> {
    let mut p = Json { s, i: 0 };
    p.ws();
    let node = p.value(arrays)?;
    p.ws();
    if p.i != s.len() {
        return Err(format!("unexpected text at byte {}", p.i));
    }
    match node.v {
        V::Arr(_) => Ok(node),
        _ => Err("the document is not an array".into()),
    }
}

struct Json<'a> {
    s: &'a str,
    i: usize,
}

impl<'a> Json<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn expect(&mut self, b: u8) -> Result<(), String> {
        if self.peek() == Some(b) {
            self.i += 1;
            Ok(())
        } else {
            Err(format!("expected `{}` at byte {}", b as char, self.i))
        }
    }

    /// A value; arrays are nodes while `arrays` > 0.
    fn value(&mut self, arrays: usize) -> Result<Node<'a>, String> {
        let start = self.i;
        let v = match self.peek() {
            Some(b'[') if arrays > 0 => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.peek() == Some(b']') {
                    self.i += 1;
                } else {
                    loop {
                        self.ws();
                        items.push(self.value(arrays - 1)?);
                        self.ws();
                        match self.peek() {
                            Some(b',') => self.i += 1,
                            Some(b']') => {
                                self.i += 1;
                                break;
                            }
                            _ => return Err(format!("expected `,` or `]` at byte {}", self.i)),
                        }
                    }
                }
                V::Arr(items)
            }
            Some(b'[' | b'{') => {
                self.skip_nested()?;
                V::Other
            }
            Some(b'"') => V::Str(self.string()?),
            Some(b't') => self.word("true", V::Bool(true))?,
            Some(b'f') => self.word("false", V::Bool(false))?,
            Some(b'n') => self.word("null", V::Null)?,
            Some(b'-' | b'0'..=b'9') => {
                self.number()?;
                V::Num
            }
            _ => return Err(format!("expected a value at byte {}", self.i)),
        };
        Ok(Node {
            raw: &self.s[start..self.i],
            v,
        })
    }

    fn word(&mut self, w: &str, v: V<'a>) -> Result<V<'a>, String> {
        if self.s[self.i..].starts_with(w) {
            self.i += w.len();
            Ok(v)
        } else {
            Err(format!("unknown word at byte {}", self.i))
        }
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    fn number(&mut self) -> Result<(), String> {
        let bad = |i| format!("malformed number at byte {i}");
        let digits = |p: &mut Self| {
            let at = p.i;
            while matches!(p.peek(), Some(b'0'..=b'9')) {
                p.i += 1;
            }
            p.i > at
        };
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        if self.peek() == Some(b'0') {
            self.i += 1;
        } else if !digits(self) {
            return Err(bad(self.i));
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if !digits(self) {
                return Err(bad(self.i));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if !digits(self) {
                return Err(bad(self.i));
            }
        }
        Ok(())
    }

    /// A string, unescaped (borrowed when it has no escapes).
    fn string(&mut self) -> Result<Cow<'a, str>, String> {
        self.expect(b'"')?;
        let start = self.i;
        let bytes = self.s.as_bytes();
        while let Some(&b) = bytes.get(self.i) {
            match b {
                b'"' => {
                    let s = &self.s[start..self.i];
                    self.i += 1;
                    return Ok(Cow::Borrowed(s));
                }
                b'\\' => break,
                _ => self.i += 1,
            }
        }
        let mut out = String::from(&self.s[start..self.i]);
        loop {
            let Some(b) = self.peek() else {
                return Err("unterminated string".into());
            };
            match b {
                b'"' => {
                    self.i += 1;
                    return Ok(Cow::Owned(out));
                }
                b'\\' => {
                    let e = bytes.get(self.i + 1).copied();
                    self.i += 2;
                    match e {
                        Some(b'"') => out.push('"'),
                        Some(b'\\') => out.push('\\'),
                        Some(b'/') => out.push('/'),
                        Some(b'b') => out.push('\u{8}'),
                        Some(b'f') => out.push('\u{c}'),
                        Some(b'n') => out.push('\n'),
                        Some(b'r') => out.push('\r'),
                        Some(b't') => out.push('\t'),
                        Some(b'u') => out.push(self.unicode_escape()?),
                        _ => return Err(format!("bad escape at byte {}", self.i - 2)),
                    }
                }
                _ => {
                    // Copy up to the next quote or backslash (both ASCII: char boundaries).
                    let from = self.i;
                    while !matches!(self.peek(), None | Some(b'"' | b'\\')) {
                        self.i += 1;
                    }
                    out.push_str(&self.s[from..self.i]);
                }
            }
        }
    }

    /// After `\u`: four hex digits, and a low surrogate's escape after a high one.
    fn unicode_escape(&mut self) -> Result<char, String> {
        let hex4 = |p: &mut Self| {
            let h =
                p.s.get(p.i..p.i + 4)
                    .and_then(|h| u32::from_str_radix(h, 16).ok());
            p.i += 4;
            h.ok_or_else(|| format!("bad \\u escape at byte {}", p.i - 6))
        };
        let hi = hex4(self)?;
        let code = if (0xD800..0xDC00).contains(&hi) {
            if !self.s[self.i..].starts_with("\\u") {
                return Err("a lone surrogate in a \\u escape".into());
            }
            self.i += 2;
            let lo = hex4(self)?;
            if !(0xDC00..0xE000).contains(&lo) {
                return Err("a lone surrogate in a \\u escape".into());
            }
            0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
        } else {
            hi
        };
        char::from_u32(code).ok_or_else(|| "a lone surrogate in a \\u escape".into())
    }

    /// Skips an array or object without building it (no recursion: `arrow.json` items may nest
    /// deeply).
    fn skip_nested(&mut self) -> Result<(), String> {
        let mut stack: Vec<u8> = Vec::new();
        loop {
            self.ws();
            match self.peek() {
                Some(b'[') => stack.push(b']'),
                Some(b'{') => stack.push(b'}'),
                Some(c @ (b']' | b'}')) => {
                    if stack.pop() != Some(c) {
                        return Err(format!("unbalanced `{}` at byte {}", c as char, self.i));
                    }
                }
                Some(b'"') => {
                    self.string()?;
                    if stack.is_empty() {
                        return Ok(());
                    }
                    continue;
                }
                Some(b',' | b':') => {}
                Some(b'-' | b'0'..=b'9') => {
                    self.number()?;
                    continue;
                }
                Some(b't') => {
                    self.word("true", V::Null)?;
                    continue;
                }
                Some(b'f') => {
                    self.word("false", V::Null)?;
                    continue;
                }
                Some(b'n') => {
                    self.word("null", V::Null)?;
                    continue;
                }
                _ => return Err(format!("unexpected byte at {}", self.i)),
            }
            self.i += 1;
            if stack.is_empty() {
                return Ok(());
            }
            if stack.len() > MAX_DEPTH {
                return Err(format!("nested deeper than {MAX_DEPTH} levels"));
            }
        }
    }
}
