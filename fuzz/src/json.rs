//! The `json_scan` target: core's JSON scanner and parseJson's plan against a small, independent
//! recursive-descent reference of JSON.parse's grammar.
//!
//! Asserted: the scanner accepts exactly what the reference accepts, and fails at the same byte (the
//! end of the longest prefix that can still start a JSON text); the plan agrees with the scanner,
//! its offsets stay in bounds and never decrease, and its runs, keys and brackets rebuild the text
//! (whitespace outside strings aside); error locations and UTF-16 offsets never panic.

use offthread_core::json::plan::{plan, to_utf16, Op};
use offthread_core::json::scan::{utf16_len, validate, Stop};

/// Reference: the offset of the first byte that cannot continue a JSON text, or `None`.
struct Reference<'a> {
    b: &'a [u8],
    i: usize,
}

type Fail = usize;

impl Reference<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Result<(), Fail> {
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            Err(self.i)
        }
    }

    fn value(&mut self, depth: usize) -> Result<(), Fail> {
        // Inputs are short (libFuzzer's max_len), so the recursion stays shallow enough.
        assert!(depth < 100_000);
        self.ws();
        match self.peek() {
            Some(b'[') => {
                self.i += 1;
                self.ws();
                if self.peek() == Some(b']') {
                    self.i += 1;
                    return Ok(());
                }
                loop {
                    self.value(depth + 1)?;
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(());
                        }
                        _ => return Err(self.i),
                    }
                }
            }
            Some(b'{') => {
                self.i += 1;
                self.ws();
                if self.peek() == Some(b'}') {
                    self.i += 1;
                    return Ok(());
                }
                loop {
                    self.ws();
                    self.string()?;
                    self.ws();
                    self.eat(b':')?;
                    self.value(depth + 1)?;
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(());
                        }
                        _ => return Err(self.i),
                    }
                }
            }
            Some(b'"') => self.string(),
            Some(b't') => self.word(b"true"),
            Some(b'f') => self.word(b"false"),
            Some(b'n') => self.word(b"null"),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.i),
        }
    }

    fn word(&mut self, w: &[u8]) -> Result<(), Fail> {
        w.iter().try_for_each(|&c| self.eat(c))
    }

    fn digit(&mut self) -> Result<(), Fail> {
        match self.peek() {
            Some(b'0'..=b'9') => {
                self.i += 1;
                Ok(())
            }
            _ => Err(self.i),
        }
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
    }

    fn number(&mut self) -> Result<(), Fail> {
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        if self.peek() == Some(b'0') {
            self.i += 1;
        } else {
            self.digit()?;
            self.digits();
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            self.digit()?;
            self.digits();
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            self.digit()?;
            self.digits();
        }
        Ok(())
    }

    fn string(&mut self) -> Result<(), Fail> {
        self.eat(b'"')?;
        loop {
            match self.peek() {
                None => return Err(self.i),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.i += 1;
                    match self.peek() {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.i += 1,
                        Some(b'u') => {
                            self.i += 1;
                            for _ in 0..4 {
                                match self.peek() {
                                    Some(h) if h.is_ascii_hexdigit() => self.i += 1,
                                    _ => return Err(self.i),
                                }
                            }
                        }
                        _ => return Err(self.i),
                    }
                }
                Some(0..=0x1F) => return Err(self.i),
                Some(_) => self.i += 1,
            }
        }
    }

    fn document(b: &[u8]) -> Option<Fail> {
        let mut r = Reference { b, i: 0 };
        let result = r.value(0).and_then(|()| {
            r.ws();
            if r.i == b.len() {
                Ok(())
            } else {
                Err(r.i)
            }
        });
        result.err()
    }
}

/// `data` without whitespace outside strings.
fn compact(data: &[u8]) -> Vec<u8> {
    let (mut out, mut in_string, mut escaped) = (Vec::new(), false, false);
    for &c in data {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'"' {
                in_string = false;
            }
        } else if !matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
            in_string = c == b'"';
            out.push(c);
        }
    }
    out
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn rebuild(text: &[u8], ops: &[f64]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut first = Vec::new();
    let sep = |out: &mut Vec<u8>, first: &mut Vec<bool>| {
        if let Some(f) = first.last_mut() {
            if !*f && out.last() != Some(&b':') {
                out.push(b',');
            }
            *f = false;
        }
    };
    let mut last = 0;
    for t in ops.chunks_exact(3) {
        let (op, a, b) = (t[0] as u8, t[1] as usize, t[2] as usize);
        assert!(
            a <= b && b <= text.len() && a >= last,
            "plan offsets {a}..{b} after {last}"
        );
        last = a;
        match op {
            x if x == Op::Value as u8 => out.extend_from_slice(&text[a..b]),
            x if x == Op::Array as u8 || x == Op::Object as u8 => {
                sep(&mut out, &mut first);
                out.push(text[a]);
                first.push(true);
            }
            x if x == Op::Close as u8 => {
                first.pop();
                out.push(text[a]);
            }
            x if x == Op::Items as u8 || x == Op::Members as u8 => {
                sep(&mut out, &mut first);
                out.extend_from_slice(&text[a..b]);
            }
            x if x == Op::Key as u8 => {
                sep(&mut out, &mut first);
                out.extend_from_slice(&text[a..b]);
                out.push(b':');
            }
            _ => panic!("unknown op {op}"),
        }
    }
    out
}

/// The first byte picks the slice size (16 bytes to 4 KiB); the rest is the document.
pub fn json_scan(data: &[u8]) {
    let Some((&sel, text)) = data.split_first() else {
        return;
    };
    let expected = Reference::document(text);
    let got = match validate(text, None) {
        Ok(()) => None,
        Err(Stop::Syntax(e)) => {
            let at = e.locate(text);
            assert!(at.position <= utf16_len(text) && at.line >= 1 && at.column >= 1);
            Some(e.offset)
        }
        Err(Stop::Task(e)) => panic!("no task, yet {}", e.code()),
    };
    assert_eq!(got, expected, "scanner and reference disagree");
    let slice = 16usize << (sel & 7);
    match plan(text, slice, None) {
        Ok(mut p) => {
            assert!(got.is_none(), "plan accepted what validate refused");
            assert_eq!(compact(&rebuild(text, &p.ops)), compact(text));
            to_utf16(&mut p, text);
            assert!(p.ops.chunks_exact(3).all(|t| t[1] <= t[2]));
        }
        Err(Stop::Syntax(e)) => assert_eq!(Some(e.offset), got),
        Err(Stop::Task(e)) => panic!("no task, yet {}", e.code()),
    }
}
