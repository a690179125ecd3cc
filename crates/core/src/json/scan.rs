//! The validating JSON scanner: one pass over the bytes with an explicit stack (never recursion, so
//! any depth is fine), accepting exactly what `JSON.parse(buf.toString('utf8'))` accepts. Bytes
//! inside strings are not decoded: invalid UTF-8 there becomes U+FFFD in JavaScript, which is valid
//! string content; any byte of 0x80 or more outside a string is a syntax error, as its decoded
//! character would be.
//!
//! A [`Visitor`] sees the structure (containers, keys, scalars, commas) as it is validated. [`plan`]
//! is the visitor behind `parseJson`: it finds the containers large enough to split and cuts their
//! elements into runs of about the slice size, for `JSON.parse` slice by slice on the JS thread.

use crate::pool::TaskState;
use crate::Error;

/// The kind of a container.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Array,
    Object,
}

/// What the scanner reports as it validates. Positions are byte offsets into the input.
pub trait Visitor {
    /// A container opens with its bracket at `pos`.
    fn open(&mut self, kind: Kind, pos: usize);
    /// An object key: the string token `start..end`, quotes included.
    fn key(&mut self, start: usize, end: usize);
    /// A string, number or literal value at `start..end`.
    fn scalar(&mut self, start: usize, end: usize);
    /// The comma at `pos` separates two elements (or members) of the innermost container.
    fn comma(&mut self, pos: usize);
    /// The innermost container closes with its bracket at `pos`.
    fn close(&mut self, pos: usize);
}

/// Why the text is not JSON. The messages follow V8's wording for `JSON.parse`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    UnexpectedEnd,
    UnexpectedToken,
    ExpectedPropertyName,
    ExpectedDoubleQuotedName,
    ExpectedColon,
    ExpectedCommaOrBracket,
    ExpectedCommaOrBrace,
    UnterminatedString,
    BadControlCharacter,
    BadEscape,
    BadUnicodeEscape,
    NoNumberAfterMinus,
    UnterminatedFraction,
    MissingExponent,
    AfterJson,
}

impl Reason {
    fn text(self) -> &'static str {
        match self {
            Reason::UnexpectedEnd => "Unexpected end of JSON input",
            Reason::UnexpectedToken => "Unexpected token",
            Reason::ExpectedPropertyName => "Expected property name or '}'",
            Reason::ExpectedDoubleQuotedName => "Expected double-quoted property name",
            Reason::ExpectedColon => "Expected ':' after property name",
            Reason::ExpectedCommaOrBracket => "Expected ',' or ']' after array element",
            Reason::ExpectedCommaOrBrace => "Expected ',' or '}' after property value",
            Reason::UnterminatedString => "Unterminated string",
            Reason::BadControlCharacter => "Bad control character in string literal",
            Reason::BadEscape => "Bad escaped character",
            Reason::BadUnicodeEscape => "Bad Unicode escape",
            Reason::NoNumberAfterMinus => "No number after minus sign",
            Reason::UnterminatedFraction => "Unterminated fractional number",
            Reason::MissingExponent => "Exponent part is missing a number",
            Reason::AfterJson => "Unexpected non-whitespace character after JSON",
        }
    }
}

/// A syntax error at a byte offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub offset: usize,
    pub reason: Reason,
}

/// Where a syntax error is, in the terms a JavaScript user reads, and its message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    /// Byte offset into the input.
    pub offset: usize,
    /// Offset in UTF-16 code units of the decoded text: `JSON.parse`'s "position".
    pub position: usize,
    /// 1-based line (lines end at `\n`).
    pub line: usize,
    /// 1-based column, in UTF-16 code units.
    pub column: usize,
    pub message: String,
}

impl SyntaxError {
    /// The error's position, line, column and message for `bytes`.
    pub fn locate(&self, bytes: &[u8]) -> Located {
        let offset = self.offset.min(bytes.len());
        let before = &bytes[..offset];
        let line_start = before
            .iter()
            .rposition(|&c| c == b'\n')
            .map_or(0, |p| p + 1);
        let line = 1 + before.iter().filter(|&&c| c == b'\n').count();
        let position = utf16_len(before);
        let column = 1 + utf16_len(&before[line_start..]);
        let what = match self.reason {
            Reason::UnexpectedEnd => return self.located(offset, position, line, column, None),
            Reason::UnexpectedToken | Reason::AfterJson if offset < bytes.len() => {
                Some(token_at(bytes, offset))
            }
            _ => None,
        };
        self.located(offset, position, line, column, what)
    }

    fn located(
        &self,
        offset: usize,
        position: usize,
        line: usize,
        column: usize,
        token: Option<String>,
    ) -> Located {
        let text = self.reason.text();
        let message = match (self.reason, token) {
            (Reason::UnexpectedEnd, _) => text.to_string(),
            (Reason::UnexpectedToken, Some(t)) => {
                format!("{text} '{t}' in JSON at position {position} (line {line} column {column})")
            }
            _ => format!("{text} in JSON at position {position} (line {line} column {column})"),
        };
        Located {
            offset,
            position,
            line,
            column,
            message,
        }
    }
}

/// The character starting at `offset`, decoded as JavaScript would (U+FFFD for invalid bytes).
fn token_at(bytes: &[u8], offset: usize) -> String {
    let end = (offset + 4).min(bytes.len());
    let text = String::from_utf8_lossy(&bytes[offset..end]);
    text.chars().next().map(String::from).unwrap_or_default()
}

/// UTF-16 length of `bytes` decoded as `buf.toString('utf8')` does (each invalid sequence is one U+FFFD).
pub fn utf16_len(bytes: &[u8]) -> usize {
    bytes
        .utf8_chunks()
        .map(|chunk| {
            let valid = chunk.valid().as_bytes();
            let invalid = usize::from(!chunk.invalid().is_empty());
            valid_utf16_len(valid) + invalid
        })
        .sum()
}

/// UTF-16 length of valid UTF-8 (or of WTF-8): one unit per character, two for 4-byte ones.
fn valid_utf16_len(bytes: &[u8]) -> usize {
    let continuation = bytes.iter().filter(|&&c| (c & 0xC0) == 0x80).count();
    let four = bytes.iter().filter(|&&c| c >= 0xF0).count();
    bytes.len() - continuation + four
}

/// Why a scan stopped early: the text is not JSON, or the task was cancelled.
#[derive(Debug)]
pub enum Stop {
    Syntax(SyntaxError),
    Task(Error),
}

impl From<SyntaxError> for Stop {
    fn from(e: SyntaxError) -> Self {
        Stop::Syntax(e)
    }
}

fn err(offset: usize, reason: Reason) -> Stop {
    Stop::Syntax(SyntaxError { offset, reason })
}

/// How many bytes are scanned between cancellation checks.
const CHECK_EVERY: usize = 1 << 20;

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Value,
    ValueOrClose,
    KeyOrClose,
    Key,
    Colon,
    CommaOrClose,
    End,
}

const fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

/// Validates `bytes` as one JSON text and reports its structure to `visitor`. Checks `task` for
/// cancellation every MiB.
pub fn scan<V: Visitor>(
    bytes: &[u8],
    visitor: &mut V,
    task: Option<&TaskState>,
) -> Result<(), Stop> {
    let n = bytes.len();
    let mut stack: Vec<Kind> = Vec::new();
    let mut state = State::Value;
    let mut i = 0;
    let mut next_check = CHECK_EVERY;
    loop {
        while i < n && is_space(bytes[i]) {
            i += 1;
        }
        if i >= n {
            return if state == State::End {
                Ok(())
            } else {
                Err(err(n, Reason::UnexpectedEnd))
            };
        }
        if i >= next_check {
            if let Some(t) = task {
                t.checkpoint().map_err(Stop::Task)?;
            }
            next_check = i + CHECK_EVERY;
        }
        let c = bytes[i];
        let top = stack.last().copied();
        match state {
            State::Value | State::ValueOrClose => {
                if c == b']' && state == State::ValueOrClose {
                    stack.pop();
                    visitor.close(i);
                    i += 1;
                } else {
                    match c {
                        b'[' | b'{' => {
                            let kind = if c == b'[' { Kind::Array } else { Kind::Object };
                            stack.push(kind);
                            visitor.open(kind, i);
                            i += 1;
                            state = if kind == Kind::Array {
                                State::ValueOrClose
                            } else {
                                State::KeyOrClose
                            };
                            continue;
                        }
                        b'"' => {
                            let end = string(bytes, i)?;
                            visitor.scalar(i, end);
                            i = end;
                        }
                        b'-' | b'0'..=b'9' => {
                            let end = number(bytes, i)?;
                            visitor.scalar(i, end);
                            i = end;
                        }
                        b't' | b'f' | b'n' => {
                            let word: &[u8] = match c {
                                b't' => b"true",
                                b'f' => b"false",
                                _ => b"null",
                            };
                            let end = literal(bytes, i, word)?;
                            visitor.scalar(i, end);
                            i = end;
                        }
                        _ => return Err(err(i, Reason::UnexpectedToken)),
                    }
                }
            }
            State::KeyOrClose | State::Key => {
                if c == b'"' {
                    let end = string(bytes, i)?;
                    visitor.key(i, end);
                    i = end;
                    state = State::Colon;
                    continue;
                } else if c == b'}' && state == State::KeyOrClose {
                    stack.pop();
                    visitor.close(i);
                    i += 1;
                } else if state == State::KeyOrClose {
                    return Err(err(i, Reason::ExpectedPropertyName));
                } else {
                    return Err(err(i, Reason::ExpectedDoubleQuotedName));
                }
            }
            State::Colon => {
                if c != b':' {
                    return Err(err(i, Reason::ExpectedColon));
                }
                i += 1;
                state = State::Value;
                continue;
            }
            State::CommaOrClose => {
                let is_array = top == Some(Kind::Array);
                if c == b',' {
                    visitor.comma(i);
                    i += 1;
                    state = if is_array { State::Value } else { State::Key };
                    continue;
                } else if (c == b']' && is_array) || (c == b'}' && !is_array) {
                    stack.pop();
                    visitor.close(i);
                    i += 1;
                } else if is_array {
                    return Err(err(i, Reason::ExpectedCommaOrBracket));
                } else {
                    return Err(err(i, Reason::ExpectedCommaOrBrace));
                }
            }
            State::End => return Err(err(i, Reason::AfterJson)),
        }
        // A value (or a container) just ended.
        state = if stack.is_empty() {
            State::End
        } else {
            State::CommaOrClose
        };
    }
}

/// True when one of the 8 bytes of `w` is `"`, `\` or below 0x20.
#[inline]
const fn special(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const fn has_zero(v: u64) -> u64 {
        v.wrapping_sub(ONES) & !v & HIGH
    }
    let quote = has_zero(w ^ (ONES * b'"' as u64));
    let backslash = has_zero(w ^ (ONES * b'\\' as u64));
    let control = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
    (quote | backslash | control) != 0
}

/// The end (one past the closing quote) of the string token starting at `start`.
fn string(b: &[u8], start: usize) -> Result<usize, Stop> {
    let n = b.len();
    let mut i = start + 1;
    loop {
        while i + 8 <= n {
            let mut word = [0u8; 8];
            word.copy_from_slice(&b[i..i + 8]);
            if special(u64::from_le_bytes(word)) {
                break;
            }
            i += 8;
        }
        if i >= n {
            return Err(err(n, Reason::UnterminatedString));
        }
        match b[i] {
            b'"' => return Ok(i + 1),
            b'\\' => {
                let Some(&e) = b.get(i + 1) else {
                    return Err(err(n, Reason::UnterminatedString));
                };
                match e {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
                    b'u' => {
                        for k in 0..4 {
                            match b.get(i + 2 + k) {
                                Some(h) if h.is_ascii_hexdigit() => {}
                                Some(_) => return Err(err(i + 2 + k, Reason::BadUnicodeEscape)),
                                None => return Err(err(n, Reason::UnterminatedString)),
                            }
                        }
                        i += 6;
                    }
                    _ => return Err(err(i + 1, Reason::BadEscape)),
                }
            }
            0..=0x1F => return Err(err(i, Reason::BadControlCharacter)),
            _ => i += 1,
        }
    }
}

fn digits(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    i
}

/// The end of the number token starting at `start` (JSON's grammar: no leading zeros, no `+`,
/// digits on both sides of `.`).
fn number(b: &[u8], start: usize) -> Result<usize, Stop> {
    let n = b.len();
    let mut i = start;
    if b[i] == b'-' {
        i += 1;
        if i >= n || !b[i].is_ascii_digit() {
            return Err(err(i, Reason::NoNumberAfterMinus));
        }
    }
    i = if b[i] == b'0' { i + 1 } else { digits(b, i) };
    if i < n && b[i] == b'.' {
        i += 1;
        if i >= n || !b[i].is_ascii_digit() {
            return Err(err(i, Reason::UnterminatedFraction));
        }
        i = digits(b, i);
    }
    if i < n && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < n && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        if i >= n || !b[i].is_ascii_digit() {
            return Err(err(i, Reason::MissingExponent));
        }
        i = digits(b, i);
    }
    Ok(i)
}

fn literal(b: &[u8], start: usize, word: &[u8]) -> Result<usize, Stop> {
    for (k, &w) in word.iter().enumerate() {
        match b.get(start + k) {
            Some(&c) if c == w => {}
            Some(_) => return Err(err(start + k, Reason::UnexpectedToken)),
            None => return Err(err(b.len(), Reason::UnexpectedEnd)),
        }
    }
    Ok(start + word.len())
}

/// A visitor that only validates.
pub struct Validate;

impl Visitor for Validate {
    fn open(&mut self, _: Kind, _: usize) {}
    fn key(&mut self, _: usize, _: usize) {}
    fn scalar(&mut self, _: usize, _: usize) {}
    fn comma(&mut self, _: usize) {}
    fn close(&mut self, _: usize) {}
}

/// Checks that `bytes` is one JSON text.
pub fn validate(bytes: &[u8], task: Option<&TaskState>) -> Result<(), Stop> {
    scan(bytes, &mut Validate, task)
}
