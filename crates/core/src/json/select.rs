//! `selectJson`: the byte ranges of the values that JSON Pointers select, found in one validating
//! pass of the scanner ([`super::scan`]), so that only those ranges are given to `JSON.parse`.
//!
//! Pointers are RFC 6901 JSON Pointers (`''` is the whole document, `/a/b/0`, `~0` for `~` and `~1`
//! for `/`) plus one extension: a token that is exactly `~*` matches every element of an array and
//! every member of an object. RFC 6901 forbids `~` followed by anything but `0` or `1`, so no valid
//! pointer means something else here, and a member literally named `*` is the plain token `*`.
//!
//! Matching follows `JSON.parse`'s result, not the text: keys are compared after unescaping
//! (`"a\u0062"` is `ab`) and after UTF-8 decoding as `buf.toString('utf8')` does it (invalid bytes are
//! U+FFFD); when an object repeats a key, only its last value counts (the matches inside earlier
//! ones are dropped); and a wildcard over an object yields its members in JavaScript's property order
//! (array-index keys ascending, then the others in order of first appearance), as `Object.values`
//! of the parsed object would. Array tokens follow RFC 6901: decimal without leading zeros; `-`
//! selects nothing.
//!
//! Memory is a frame per open container on the path of some pointer (at most the longest pointer's
//! length); containers no pointer reaches are only counted. On request ([`select_paths`]) each match
//! of a wildcard pointer also carries its path (array indexes and key tokens), for its concrete pointer.

use super::scan::{scan, Kind, Stop, Visitor};
use crate::pool::TaskState;
use crate::{Error, ErrorKind, Result};
use std::collections::HashMap;

/// Most pointers one call may take.
pub const MAX_POINTERS: usize = 1024;
/// Default and largest `maxMatches`: how many values the pointers may select in one document (each
/// costs a `JSON.parse` call on the JS thread).
pub const DEFAULT_MAX_MATCHES: usize = 1 << 20;
pub const MAX_MATCHES: usize = 1 << 24;
/// Selected values whose text is at least this long are parsed through `parseJson` (time-sliced)
/// instead of one `JSON.parse` on the JS thread (about 3 ms at 12 ms per MB).
pub const SLICED_FROM_BYTES: usize = 256 * 1024;

/// The largest array index JavaScript has (2^32 - 2): keys up to it are enumerated first, ascending.
const MAX_ARRAY_INDEX: u64 = (1 << 32) - 2;

/// One reference token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    /// `~*`: every element or member.
    Any,
    /// A member name (or array index).
    Token(Token),
}

/// A member name as UTF-16 code units (JavaScript's strings, lone surrogates included), with its
/// UTF-8 form when it has one, and its array index when it is one by RFC 6901's rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    units: Vec<u16>,
    utf8: Option<Vec<u8>>,
    index: Option<u64>,
}

impl Token {
    fn new(units: Vec<u16>) -> Self {
        let utf8 = String::from_utf16(&units).ok().map(String::into_bytes);
        let index = rfc6901_index(&units);
        Token { units, utf8, index }
    }
}

/// `0` or a decimal without leading zeros (RFC 6901's `array-index`), if it fits in u64.
fn rfc6901_index(units: &[u16]) -> Option<u64> {
    let digit = |u: u16| (u16::from(b'0')..=u16::from(b'9')).contains(&u);
    match units {
        [] => None,
        [z] if *z == u16::from(b'0') => Some(0),
        [first, ..] if *first == u16::from(b'0') => None,
        _ if units.iter().all(|&u| digit(u)) => units.iter().try_fold(0u64, |n, &u| {
            n.checked_mul(10)?
                .checked_add(u64::from(u - u16::from(b'0')))
        }),
        _ => None,
    }
}

/// The array index JavaScript sees in a property key (`"0"` .. `"4294967294"`, canonical), if any.
fn js_array_index(units: &[u16]) -> Option<u64> {
    if units.len() > 10 {
        return None;
    }
    rfc6901_index(units).filter(|&i| i <= MAX_ARRAY_INDEX)
}

/// A parsed pointer: its reference tokens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pointer {
    segments: Vec<Segment>,
}

impl Pointer {
    /// Parses `text` (UTF-16 code units, as JavaScript holds it). Errors are `ERR_INVALID_ARG_VALUE`
    /// with the pointer in the message.
    pub fn parse(text: &[u16]) -> Result<Pointer> {
        const SLASH: u16 = b'/' as u16;
        const TILDE: u16 = b'~' as u16;
        let bad = |why: &str| {
            let shown: String = String::from_utf16_lossy(text).chars().take(200).collect();
            Error::new(
                ErrorKind::InvalidArgValue,
                format!("Invalid JSON Pointer '{shown}': {why}"),
            )
        };
        let Some((&first, rest)) = text.split_first() else {
            return Ok(Pointer {
                segments: Vec::new(),
            });
        };
        if first != SLASH {
            return Err(bad("it must be '' (the whole document) or start with '/'"));
        }
        let mut segments = Vec::new();
        for raw in rest.split(|&u| u == SLASH) {
            if raw == [TILDE, u16::from(b'*')] {
                segments.push(Segment::Any);
                continue;
            }
            let mut units = Vec::with_capacity(raw.len());
            let mut it = raw.iter();
            while let Some(&u) = it.next() {
                if u != TILDE {
                    units.push(u);
                    continue;
                }
                match it.next().copied() {
                    Some(z) if z == u16::from(b'0') => units.push(TILDE),
                    Some(o) if o == u16::from(b'1') => units.push(SLASH),
                    Some(s) if s == u16::from(b'*') => {
                        return Err(bad("'~*' (any member or element) must be a whole token"))
                    }
                    _ => return Err(bad(
                        "'~' must be followed by '0' (for ~) or '1' (for /), or be the token '~*'",
                    )),
                }
            }
            segments.push(Segment::Token(Token::new(units)));
        }
        Ok(Pointer { segments })
    }

    /// True when some token is a wildcard (the result is then a list of values).
    pub fn has_wildcard(&self) -> bool {
        self.segments.contains(&Segment::Any)
    }

    /// The reference tokens.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }
}

/// A selected value: which pointer, and its text `start..end` in the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Match {
    pub pointer: u32,
    pub start: usize,
    pub end: usize,
    /// Its path: a range of [`Selection::steps`] (empty unless paths were asked for and the pointer
    /// has a wildcard).
    pub path: (usize, usize),
}

/// One step of a selected value's path from the root: an array index, or the key token `a..b`
/// (quotes included) of an object member.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Index(u64),
    Key(usize, usize),
}

/// The matches of a selection, and the steps their paths are made of.
#[derive(Debug, Default)]
pub struct Selection {
    pub matches: Vec<Match>,
    pub steps: Vec<Step>,
}

/// Why a selection stopped: the text is not JSON, the task was cancelled, or too many matches.
pub type Outcome = std::result::Result<Vec<Match>, Stop>;

/// Selects the values `pointers` point at in the JSON text `bytes`, validating all of it. Matches are
/// in the order a JavaScript walk of the parsed document finds them, so each pointer's own matches
/// are in its result's order. More than `max_matches` is `ERR_OUT_OF_RANGE`, reported only once the
/// whole text is known to be JSON. Costs one scan, plus work per value on some pointer's path.
pub fn select(
    bytes: &[u8],
    pointers: &[Pointer],
    max_matches: usize,
    task: Option<&TaskState>,
) -> Outcome {
    select_paths(bytes, pointers, max_matches, false, task).map(|s| s.matches)
}

/// [`select`], and with `paths` the path of every match of a wildcard pointer (its concrete pointer).
pub fn select_paths(
    bytes: &[u8],
    pointers: &[Pointer],
    max_matches: usize,
    paths: bool,
    task: Option<&TaskState>,
) -> std::result::Result<Selection, Stop> {
    let mut s = Selector::new(bytes, pointers, max_matches, paths);
    scan(bytes, &mut s, task)?;
    if s.overflow {
        return Err(Stop::Task(Error::new(
            ErrorKind::OutOfRange,
            format!("selectJson selected more than {max_matches} values (maxMatches)"),
        )));
    }
    Ok(Selection {
        matches: s.matches,
        steps: s.steps,
    })
}

/// Converts the offsets of a selection (its matches' texts and its key steps: bytes into `bytes`)
/// to UTF-16 code units of the decoded text.
pub fn to_utf16(selection: &mut Selection, bytes: &[u8]) {
    let Selection { matches, steps } = selection;
    let keys = steps.iter().flat_map(|s| match *s {
        Step::Key(a, b) => Some([a, b]),
        Step::Index(_) => None,
    });
    let mut offsets: Vec<usize> = matches
        .iter()
        .map(|m| [m.start, m.end])
        .chain(keys)
        .flatten()
        .collect();
    offsets.sort_unstable();
    offsets.dedup();
    let mut units = Vec::with_capacity(offsets.len());
    let (mut at, mut n) = (0usize, 0usize);
    for &o in &offsets {
        // Offsets are at ASCII bytes outside strings, so counting piecewise is exact.
        n += super::scan::utf16_len(&bytes[at..o.min(bytes.len())]);
        at = o.min(bytes.len());
        units.push(n);
    }
    let find = |o: usize| offsets.binary_search(&o).map_or(0, |k| units[k]);
    for m in matches.iter_mut() {
        m.start = find(m.start);
        m.end = find(m.end);
    }
    for s in steps.iter_mut() {
        if let Step::Key(a, b) = *s {
            *s = Step::Key(find(a), find(b));
        }
    }
}

/// A value being read: where it starts, the pointers it completes, and those that go deeper.
#[derive(Default)]
struct Value {
    start: usize,
    matched: Vec<u32>,
    deeper: Vec<u32>,
}

/// A member of an object that some pointer continues into: its decoded key (in the frame's
/// `keys`) and where its matches begin.
struct Member {
    key: (usize, usize),
    first: usize,
}

/// An open container on some pointer's path.
#[derive(Default)]
struct Frame {
    array: bool,
    /// Pointers whose next token applies to this container's children.
    cands: Vec<u32>,
    /// Those of `cands` that the current child matches.
    child: Vec<u32>,
    /// The next element's index (arrays).
    index: u64,
    /// The step to the current child (with paths).
    step: Option<Step>,
    /// Objects: the members that some pointer continues into, with their keys.
    members: Vec<Member>,
    keys: Vec<u16>,
}

struct Selector<'a> {
    bytes: &'a [u8],
    pointers: &'a [Pointer],
    all: Vec<u32>,
    /// Whether to record the paths of wildcard pointers' matches, and which pointers have one.
    paths: bool,
    wild: Vec<bool>,
    steps: Vec<Step>,
    max_matches: usize,
    overflow: bool,
    matches: Vec<Match>,
    frames: Vec<Frame>,
    values: Vec<Value>,
    spare_frames: Vec<Frame>,
    spare_values: Vec<Value>,
    /// Open containers below the last frame that no pointer reaches.
    dead: usize,
    scratch: Vec<u16>,
}

impl<'a> Selector<'a> {
    fn new(bytes: &'a [u8], pointers: &'a [Pointer], max_matches: usize, paths: bool) -> Self {
        let all = (0..pointers.len())
            .map(|p| u32::try_from(p).unwrap_or(u32::MAX))
            .collect();
        Selector {
            bytes,
            pointers,
            all,
            paths,
            wild: pointers.iter().map(Pointer::has_wildcard).collect(),
            steps: Vec::new(),
            max_matches,
            overflow: false,
            matches: Vec::new(),
            frames: Vec::new(),
            values: Vec::new(),
            spare_frames: Vec::new(),
            spare_values: Vec::new(),
            dead: 0,
            scratch: Vec::new(),
        }
    }

    fn value_start(&mut self, at: usize) {
        if self.dead > 0 {
            return;
        }
        let depth = self.frames.len();
        let mut v = self.spare_values.pop().unwrap_or_default();
        v.start = at;
        v.matched.clear();
        v.deeper.clear();
        let pointers = self.pointers;
        let live: &[u32] = match self.frames.last_mut() {
            None => &self.all,
            Some(f) => {
                if f.array {
                    let (index, seg_depth) = (f.index, depth - 1);
                    f.index += 1;
                    f.step = Some(Step::Index(index));
                    f.child.clear();
                    for &p in &f.cands {
                        let hit = match &pointers[p as usize].segments[seg_depth] {
                            Segment::Any => true,
                            Segment::Token(t) => t.index == Some(index),
                        };
                        if hit {
                            f.child.push(p);
                        }
                    }
                }
                &f.child
            }
        };
        for &p in live {
            if pointers[p as usize].segments.len() == depth {
                v.matched.push(p);
            } else {
                v.deeper.push(p);
            }
        }
        self.values.push(v);
    }

    fn value_end(&mut self, end: usize) {
        if self.dead > 0 {
            return;
        }
        let Some(mut v) = self.values.pop() else {
            return;
        };
        for &p in &v.matched {
            if self.matches.len() >= self.max_matches {
                self.overflow = true;
                break;
            }
            let mut path = (0, 0);
            if self.paths && self.wild[p as usize] {
                let at = self.steps.len();
                self.steps.extend(self.frames.iter().filter_map(|f| f.step));
                path = (at, self.steps.len());
            }
            self.matches.push(Match {
                pointer: p,
                start: v.start,
                end,
                path,
            });
        }
        v.matched.clear();
        self.spare_values.push(v);
    }

    fn enter(&mut self, kind: Kind) {
        if self.dead > 0 {
            self.dead += 1;
            return;
        }
        let Some(v) = self.values.last_mut() else {
            return;
        };
        if v.deeper.is_empty() || self.overflow {
            self.dead = 1;
            return;
        }
        let mut f = self.spare_frames.pop().unwrap_or_default();
        f.array = kind == Kind::Array;
        f.cands.clear();
        std::mem::swap(&mut f.cands, &mut v.deeper);
        f.child.clear();
        f.index = 0;
        f.step = None;
        f.members.clear();
        f.keys.clear();
        self.frames.push(f);
    }

    fn leave(&mut self) {
        if self.dead > 0 {
            self.dead -= 1;
            return;
        }
        if let Some(mut f) = self.frames.pop() {
            if f.members.len() >= 2 {
                self.settle(&f);
            }
            f.members.clear();
            self.spare_frames.push(f);
        }
    }

    fn member(&mut self, start: usize, end: usize) {
        if self.dead > 0 {
            return;
        }
        let bytes = self.bytes;
        let raw = &bytes[start + 1..end - 1];
        let depth = self.frames.len();
        let pointers = self.pointers;
        let Some(f) = self.frames.last_mut() else {
            return;
        };
        f.child.clear();
        f.step = Some(Step::Key(start, end));
        // Plain keys (no escape, valid UTF-8) compare as bytes; others are decoded once.
        let plain = !raw.contains(&b'\\') && std::str::from_utf8(raw).is_ok();
        let mut decoded = false;
        for &p in &f.cands {
            let hit = match &pointers[p as usize].segments[depth - 1] {
                Segment::Any => true,
                Segment::Token(t) if plain => t.utf8.as_deref() == Some(raw),
                Segment::Token(t) => {
                    if !decoded {
                        decode_key(raw, &mut self.scratch);
                        decoded = true;
                    }
                    t.units == self.scratch
                }
            };
            if hit {
                f.child.push(p);
            }
        }
        if f.child.is_empty() {
            return;
        }
        if !decoded {
            decode_key(raw, &mut self.scratch);
        }
        let at = f.keys.len();
        f.keys.extend_from_slice(&self.scratch);
        f.members.push(Member {
            key: (at, f.keys.len()),
            first: self.matches.len(),
        });
    }

    /// At an object's close: keeps only the last value of a repeated key and puts the members'
    /// matches in JavaScript's property order, as `JSON.parse` builds the object.
    fn settle(&mut self, f: &Frame) {
        let key = |m: &Member| &f.keys[m.key.0..m.key.1];
        let n = f.members.len();
        // For each distinct key: its first position and the member whose value counts (the last).
        let mut seen: HashMap<&[u16], usize> = HashMap::with_capacity(n);
        let mut order: Vec<(Option<u64>, usize, usize)> = Vec::with_capacity(n);
        for (i, m) in f.members.iter().enumerate() {
            match seen.get(key(m)) {
                Some(&slot) => order[slot].2 = i,
                None => {
                    seen.insert(key(m), order.len());
                    order.push((js_array_index(key(m)), i, i));
                }
            }
        }
        // Array-index keys first, ascending; then the rest by first appearance (stable sort).
        order.sort_by_key(|&(index, first, _)| match index {
            Some(i) => (0, i, 0),
            None => (1, 0, first),
        });
        if order.len() == n && order.iter().enumerate().all(|(k, o)| o.2 == k) {
            return;
        }
        let (base, total) = (f.members[0].first, self.matches.len());
        let range = |i: usize| {
            let end = f.members.get(i + 1).map_or(total, |m| m.first);
            (f.members[i].first - base)..(end - base)
        };
        let tail: Vec<Match> = self.matches.split_off(base);
        for &(_, _, last) in &order {
            self.matches.extend_from_slice(&tail[range(last)]);
        }
    }
}

/// Decodes a key's text (between its quotes) into UTF-16 code units as `JSON.parse` of
/// `buf.toString('utf8')` gives it: invalid UTF-8 is U+FFFD, `\uXXXX` is that code unit (lone
/// surrogates included). The scanner has validated the escapes.
fn decode_key(raw: &[u8], out: &mut Vec<u16>) {
    out.clear();
    let text = String::from_utf8_lossy(raw);
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buf = [0u16; 2];
            out.extend_from_slice(c.encode_utf16(&mut buf));
            continue;
        }
        let unit = match chars.next() {
            Some('b') => 0x08,
            Some('f') => 0x0C,
            Some('n') => 0x0A,
            Some('r') => 0x0D,
            Some('t') => 0x09,
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                u16::from_str_radix(&hex, 16).unwrap_or(0xFFFD)
            }
            // '"', '\\', '/'
            Some(c) => u16::try_from(u32::from(c)).unwrap_or(0xFFFD),
            None => break,
        };
        out.push(unit);
    }
}

impl Visitor for Selector<'_> {
    fn open(&mut self, kind: Kind, pos: usize) {
        self.value_start(pos);
        self.enter(kind);
    }

    fn key(&mut self, start: usize, end: usize) {
        if self.dead == 0 {
            self.member(start, end);
        }
    }

    fn scalar(&mut self, start: usize, end: usize) {
        if self.dead == 0 {
            self.value_start(start);
            self.value_end(end);
        }
    }

    fn comma(&mut self, _: usize) {}

    fn close(&mut self, pos: usize) {
        self.leave();
        self.value_end(pos + 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn units(s: &str) -> Vec<u16> {
        s.encode_utf16().collect()
    }

    fn ptr(s: &str) -> Pointer {
        Pointer::parse(&units(s)).expect("valid pointer")
    }

    #[test]
    fn rfc6901_indexes() {
        assert_eq!(rfc6901_index(&units("0")), Some(0));
        assert_eq!(rfc6901_index(&units("10")), Some(10));
        assert_eq!(rfc6901_index(&units("01")), None);
        assert_eq!(rfc6901_index(&units("-")), None);
        assert_eq!(rfc6901_index(&units("")), None);
        assert_eq!(rfc6901_index(&units("1e3")), None);
        assert_eq!(rfc6901_index(&units("99999999999999999999999")), None);
        assert_eq!(js_array_index(&units("4294967294")), Some(4_294_967_294));
        assert_eq!(js_array_index(&units("4294967295")), None);
    }

    #[test]
    fn parses_tokens() {
        assert_eq!(ptr("").segments().len(), 0);
        assert_eq!(ptr("/").segments().len(), 1);
        assert_eq!(
            ptr("/a~1b/~0/~*/*").segments()[0],
            Segment::Token(Token::new(units("a/b")))
        );
        assert_eq!(
            ptr("/a~1b/~0/~*/*").segments()[1],
            Segment::Token(Token::new(units("~")))
        );
        assert_eq!(ptr("/a~1b/~0/~*/*").segments()[2], Segment::Any);
        assert_eq!(
            ptr("/a~1b/~0/~*/*").segments()[3],
            Segment::Token(Token::new(units("*")))
        );
        // RFC 6901 section 4: '~01' is '~1' ('~0' first, then a plain '1'), not '/'.
        assert_eq!(
            ptr("/~01").segments()[0],
            Segment::Token(Token::new(units("~1")))
        );
    }

    #[test]
    fn refuses_bad_pointers() {
        for bad in ["a", "#/a", "/~", "/a~2", "/~*x", "/x~*", "/~~"] {
            let e = Pointer::parse(&units(bad)).expect_err(bad);
            assert_eq!(e.code(), "ERR_INVALID_ARG_VALUE");
            assert!(e.message().contains(&format!("'{bad}'")), "{}", e.message());
        }
    }

    #[test]
    fn decodes_keys() {
        let mut out = Vec::new();
        decode_key(br"a\u0062\n\/\ud800", &mut out);
        assert_eq!(out, [0x61, 0x62, 0x0A, 0x2F, 0xD800]);
        decode_key(b"\xff\xc3\xa9", &mut out);
        assert_eq!(out, [0xFFFD, 0xE9]);
    }
}
