//! Reading a document for validation as `JSON.parse(buf.toString('utf8'))` reads it (see the
//! parent module's doc): the scanner judges the syntax, [`repair`] fixes at the same length what
//! `serde_json` refuses, and the depth and the task's cancellation are checked while parsing.

use super::{CHECK_EVERY, MAX_DEPTH};
use crate::error::{Error, ErrorKind};
use crate::json::scan::{self, Stop};
use crate::pool::TaskState;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;

/// The parsed document, read as `JSON.parse(buf.toString('utf8'))` reads it (see the module doc).
pub fn parse(bytes: &[u8], task: &TaskState) -> std::result::Result<Value, Stop> {
    let first = match parse_value(bytes, task) {
        Ok(v) => return Ok(v),
        Err(e) => e,
    };
    task.checkpoint().map_err(Stop::Task)?;
    // Whether it is JSON at all is the scanner's call, so the error is parseJson's.
    scan::validate(bytes, Some(task))?;
    if is_depth(&first) {
        return Err(Stop::Task(too_deep()));
    }
    let text = repair(bytes);
    parse_value(text.as_bytes(), task).map_err(|e| {
        if task.is_cancelled() {
            Stop::Task(Error::aborted())
        } else if is_depth(&e) {
            Stop::Task(too_deep())
        } else {
            Stop::Task(Error::new(
                ErrorKind::Internal,
                format!("JSON accepted by the scanner but not by serde_json: {e}"),
            ))
        }
    })
}

fn is_depth(e: &serde_json::Error) -> bool {
    e.to_string().starts_with("recursion limit exceeded")
}

fn too_deep() -> Error {
    Error::new(
        ErrorKind::OutOfRange,
        format!("JSON nested deeper than {MAX_DEPTH} levels cannot be validated"),
    )
}

fn parse_value(bytes: &[u8], task: &TaskState) -> serde_json::Result<Value> {
    let tick = Tick {
        task,
        n: Cell::new(0),
    };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = Seed(&tick).deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

/// Counts values and checks for cancellation every [`CHECK_EVERY`].
struct Tick<'t> {
    task: &'t TaskState,
    n: Cell<u32>,
}

impl Tick<'_> {
    fn step<E: de::Error>(&self) -> std::result::Result<(), E> {
        let n = self.n.get() + 1;
        if n < CHECK_EVERY {
            self.n.set(n);
            return Ok(());
        }
        self.n.set(0);
        if self.task.is_cancelled() {
            return Err(E::custom("cancelled"));
        }
        Ok(())
    }
}

/// Builds a `serde_json::Value` as `Value`'s own `Deserialize` does, checking for cancellation.
/// Duplicate keys: the last value wins, as in `JSON.parse`.
#[derive(Clone, Copy)]
struct Seed<'a, 't>(&'a Tick<'t>);

impl<'de> DeserializeSeed<'de> for Seed<'_, '_> {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> std::result::Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_, '_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, b: bool) -> std::result::Result<Value, E> {
        Ok(Value::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> std::result::Result<Value, E> {
        Ok(Value::Number(n.into()))
    }
    fn visit_u64<E>(self, n: u64) -> std::result::Result<Value, E> {
        Ok(Value::Number(n.into()))
    }
    fn visit_f64<E>(self, n: f64) -> std::result::Result<Value, E> {
        Ok(Number::from_f64(n).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, s: &str) -> std::result::Result<Value, E> {
        Ok(Value::String(s.to_owned()))
    }
    fn visit_string<E>(self, s: String) -> std::result::Result<Value, E> {
        Ok(Value::String(s))
    }
    fn visit_unit<E>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self)? {
            self.0.step()?;
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Value, A::Error> {
        let mut members = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(self)?;
            self.0.step()?;
            members.insert(key, value);
        }
        Ok(Value::Object(members))
    }
}

/// The text of a JSON document (already validated by the scanner) rewritten at the same length
/// where `serde_json` refuses what `JSON.parse` accepts: invalid UTF-8 decoded to U+FFFD (as
/// `buf.toString('utf8')`), `\uD800`-style lone surrogate escapes replaced by `\uFFFD`, and
/// numbers beyond the f64 range (±Infinity in JavaScript) by ±1e308 padded with spaces.
pub fn repair(bytes: &[u8]) -> Cow<'_, str> {
    let text = String::from_utf8_lossy(bytes);
    let b = text.as_bytes();
    let mut out: Option<Vec<u8>> = None;
    let mut i = 0;
    let mut in_string = false;
    while i < b.len() {
        let c = b[i];
        if in_string {
            match c {
                b'"' => in_string = false,
                b'\\' if b.get(i + 1) == Some(&b'u') => {
                    let unit = hex4(b, i + 2);
                    if let Some(u) = unit.filter(|u| (0xD800..0xE000).contains(u)) {
                        let paired = (0xD800..0xDC00).contains(&u)
                            && b.get(i + 6) == Some(&b'\\')
                            && b.get(i + 7) == Some(&b'u')
                            && hex4(b, i + 8).is_some_and(|l| (0xDC00..0xE000).contains(&l));
                        if paired {
                            i += 12;
                            continue;
                        }
                        let o = out.get_or_insert_with(|| b.to_vec());
                        o[i + 2..i + 6].copy_from_slice(b"FFFD");
                    }
                    i += 6;
                    continue;
                }
                b'\\' => {
                    i += 2;
                    continue;
                }
                _ => {}
            }
            i += 1;
            continue;
        }
        match c {
            b'"' => in_string = true,
            b'-' | b'0'..=b'9' => {
                let end = b[i..]
                    .iter()
                    .position(|&x| !matches!(x, b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'))
                    .map_or(b.len(), |p| i + p);
                let token = &text[i..end];
                if token.parse::<f64>().is_ok_and(f64::is_infinite) {
                    let big: &[u8] = if c == b'-' { b"-1e308" } else { b"1e308" };
                    if big.len() <= end - i {
                        let o = out.get_or_insert_with(|| b.to_vec());
                        o[i..i + big.len()].copy_from_slice(big);
                        o[i + big.len()..end].fill(b' ');
                    }
                }
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    match out {
        // Only ASCII was replaced by ASCII inside a valid UTF-8 text.
        Some(o) => Cow::Owned(String::from_utf8(o).unwrap_or_default()),
        None => text,
    }
}

fn hex4(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 4)?;
    let s = std::str::from_utf8(s).ok()?;
    u32::from_str_radix(s, 16).ok()
}
