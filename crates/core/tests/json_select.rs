//! `selectJson`'s core: which text each pointer selects, against what `JSON.parse` would give
//! (the JS specs compare whole results with JSON.parse and a reference pointer walk; these pin
//! the ranges, the RFC 6901 rules and the errors).

use offthread_core::json::scan::Stop;
use offthread_core::json::select::{
    select, select_paths, to_utf16, Pointer, Step, DEFAULT_MAX_MATCHES,
};
use offthread_core::pool::TaskState;

fn pointers(list: &[&str]) -> Vec<Pointer> {
    list.iter()
        .map(|p| Pointer::parse(&p.encode_utf16().collect::<Vec<_>>()).expect("valid pointer"))
        .collect()
}

/// The selected texts, as (pointer index, text).
fn sel(doc: &str, list: &[&str]) -> Vec<(u32, String)> {
    let ps = pointers(list);
    let found = select(doc.as_bytes(), &ps, DEFAULT_MAX_MATCHES, None).expect("selects");
    found
        .iter()
        .map(|m| (m.pointer, doc[m.start..m.end].to_string()))
        .collect()
}

fn texts(doc: &str, p: &str) -> Vec<String> {
    sel(doc, &[p]).into_iter().map(|(_, t)| t).collect()
}

#[test]
fn exact_pointers() {
    let doc = r#" {"a": {"b": [10, 20, {"c": null}]}, "": 1, "a/b": 2, "m~n": 3, " ": 4} "#;
    assert_eq!(texts(doc, ""), [doc.trim()]);
    assert_eq!(texts(doc, "/a"), [r#"{"b": [10, 20, {"c": null}]}"#]);
    assert_eq!(texts(doc, "/a/b/1"), ["20"]);
    assert_eq!(texts(doc, "/a/b/2/c"), ["null"]);
    assert_eq!(texts(doc, "/"), ["1"]);
    assert_eq!(texts(doc, "/a~1b"), ["2"]);
    assert_eq!(texts(doc, "/m~0n"), ["3"]);
    assert_eq!(texts(doc, "/ "), ["4"]);
}

#[test]
fn absent_paths_select_nothing() {
    let doc = r#"{"a": {"b": [10, 20]}, "s": "x"}"#;
    for p in [
        "/x",
        "/a/c",
        "/a/b/2",
        "/a/b/-",
        "/a/b/01",
        "/a/b/00",
        "/a/b/+1",
        "/a/b/1.0",
        "/s/0",
        "/s/length",
        "/a/b/length",
        "/a/b/0/x",
    ] {
        assert_eq!(texts(doc, p), Vec::<String>::new(), "{p}");
    }
}

#[test]
fn leading_zero_tokens_are_keys_of_objects() {
    assert_eq!(texts(r#"{"01": 1, "1": 2}"#, "/01"), ["1"]);
    assert_eq!(texts(r#"{"-": 5}"#, "/-"), ["5"]);
}

#[test]
fn escaped_keys_match_their_value() {
    assert_eq!(texts(r#"{"a\u0062": 1}"#, "/ab"), ["1"]);
    assert_eq!(texts(r#"{"\u00e9t\u00E9": 1}"#, "/été"), ["1"]);
    assert_eq!(texts(r#"{"a\/b": 1}"#, "/a~1b"), ["1"]);
    assert_eq!(texts(r#"{"\"q\"\\": 1}"#, "/\"q\"\\"), ["1"]);
    assert_eq!(texts(r#"{"\ud83d\ude00": 1}"#, "/😀"), ["1"]);
    assert_eq!(texts(r#"{"😀": 1}"#, "/\u{1F600}"), ["1"]);
}

#[test]
fn lone_surrogate_keys() {
    let doc = r#"{"\ud800": 1, "\udc00x": 2}"#;
    let p = Pointer::parse(&[u16::from(b'/'), 0xD800]).expect("valid");
    let found = select(doc.as_bytes(), &[p], 8, None).expect("selects");
    assert_eq!(found.len(), 1);
    assert_eq!(&doc[found[0].start..found[0].end], "1");
    // U+FFFD is not a lone surrogate.
    assert_eq!(texts(doc, "/\u{FFFD}"), Vec::<String>::new());
}

#[test]
fn invalid_utf8_in_keys_is_u_fffd() {
    let doc: &[u8] = b"{\"a\xffb\": 1, \"c\xc3\": 2}";
    let ps = pointers(&["/a\u{FFFD}b", "/c\u{FFFD}"]);
    let found = select(doc, &ps, 8, None).expect("selects");
    let got: Vec<_> = found
        .iter()
        .map(|m| (m.pointer, &doc[m.start..m.end]))
        .collect();
    assert_eq!(got, [(0, &b"1"[..]), (1, &b"2"[..])]);
}

#[test]
fn duplicate_keys_last_wins() {
    assert_eq!(texts(r#"{"a": 1, "a": 2}"#, "/a"), ["2"]);
    assert_eq!(
        texts(r#"{"a": {"b": 1}, "a": {"c": 2}}"#, "/a/b"),
        Vec::<String>::new()
    );
    assert_eq!(
        texts(r#"{"a": {"b": 1}, "a": 5}"#, "/a/b"),
        Vec::<String>::new()
    );
    assert_eq!(texts(r#"{"a": 5, "a": {"b": 1}}"#, "/a/b"), ["1"]);
    assert_eq!(texts(r#"{"ab": 1, "a\u0062": 2}"#, "/ab"), ["2"]);
    // A wildcard sees the parsed object: the last value, at the first key's place.
    assert_eq!(texts(r#"{"a": 1, "b": 2, "a": 3}"#, "/~*"), ["3", "2"]);
}

#[test]
fn wildcards() {
    let doc = r#"{"users": [{"name": "x", "tags": ["a", "b"]}, {"name": "y"}, 7, {"tags": []}]}"#;
    assert_eq!(texts(doc, "/users/~*/name"), [r#""x""#, r#""y""#]);
    assert_eq!(texts(doc, "/users/~*/tags/~*"), [r#""a""#, r#""b""#]);
    assert_eq!(texts(doc, "/~*/~*/tags"), [r#"["a", "b"]"#, "[]"]);
    assert_eq!(texts(doc, "/users/~*").len(), 4);
    assert_eq!(texts("[]", "/~*"), Vec::<String>::new());
    assert_eq!(texts("3", "/~*"), Vec::<String>::new());
}

#[test]
fn literal_star_is_a_member_name() {
    let doc = r#"{"*": 1, "a": 2, "~*": 3}"#;
    assert_eq!(texts(doc, "/*"), ["1"]);
    assert_eq!(texts(doc, "/~0*"), ["3"]);
    assert_eq!(texts(doc, "/~*"), ["1", "2", "3"]);
}

#[test]
fn wildcard_order_is_javascripts_property_order() {
    let doc = r#"{"b": 1, "2": 2, "a": 3, "1": 4, "01": 5, "4294967295": 6, "4294967294": 7}"#;
    // Object.values(JSON.parse(doc)): index keys ascending, then the others in order.
    assert_eq!(texts(doc, "/~*"), ["4", "2", "7", "1", "3", "5", "6"]);
}

#[test]
fn several_pointers_share_one_pass() {
    let doc = r#"{"a": [1, {"b": 2}], "c": 3}"#;
    let got = sel(doc, &["/c", "/a/1/b", "", "/a/~*", "/nope"]);
    let want: Vec<(u32, String)> = vec![
        (3, "1".into()),
        (1, "2".into()),
        (3, r#"{"b": 2}"#.into()),
        (0, "3".into()),
        (2, doc.into()),
    ];
    assert_eq!(got, want);
}

#[test]
fn deep_documents_need_no_stack() {
    let depth = 1_000_000;
    let doc = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let mut p = "/0".repeat(depth - 1);
    assert_eq!(texts(&doc, &p), ["[]"]);
    p.push_str("/0");
    assert_eq!(texts(&doc, &p), Vec::<String>::new());
    assert_eq!(texts(&doc, "/0/0").len(), 1);
}

#[test]
fn invalid_json_is_a_syntax_error_even_past_matches() {
    let ps = pointers(&["/a"]);
    for doc in [
        r#"{"a": 1,}"#,
        r#"{"a": 1} x"#,
        r#"{"a": 1"#,
        r#"{"a": 01}"#,
    ] {
        match select(doc.as_bytes(), &ps, 8, None) {
            Err(Stop::Syntax(_)) => {}
            other => panic!("{doc}: {other:?}"),
        }
    }
}

#[test]
fn too_many_matches_is_out_of_range_after_validation() {
    let ps = pointers(&["/~*"]);
    match select(b"[1,2,3]", &ps, 2, None) {
        Err(Stop::Task(e)) => {
            assert_eq!(e.code(), "ERR_OUT_OF_RANGE");
            assert!(e.message().contains("maxMatches"), "{}", e.message());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(select(b"[1,2,3]", &ps, 3, None).expect("fits").len(), 3);
    assert!(matches!(
        select(b"[1,2,3", &ps, 2, None),
        Err(Stop::Syntax(_))
    ));
}

#[test]
fn cancelled_task_stops() {
    let doc = format!("[{}0]", "0,".repeat(1 << 21));
    let t = TaskState::new();
    t.cancel();
    match select(doc.as_bytes(), &pointers(&["/0"]), 8, Some(&t)) {
        Err(Stop::Task(e)) => assert_eq!(e.code(), "ABORT_ERR"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn offsets_in_utf16_units() {
    let doc = r#"{"é😀": "ü", "k": [1]}"#;
    let ps = pointers(&["/k/0", "/é😀", "/~*"]);
    let mut found = select_paths(doc.as_bytes(), &ps, 8, true, None).expect("selects");
    to_utf16(&mut found, doc.as_bytes());
    let js: Vec<u16> = doc.encode_utf16().collect();
    let text = |a: usize, b: usize| String::from_utf16_lossy(&js[a..b]);
    let got: Vec<String> = found.matches.iter().map(|m| text(m.start, m.end)).collect();
    assert_eq!(got, ["\"ü\"", "\"ü\"", "1", "[1]"]);
    let keys: Vec<String> = found
        .steps
        .iter()
        .map(|s| match *s {
            Step::Key(a, b) => text(a, b),
            Step::Index(i) => i.to_string(),
        })
        .collect();
    assert_eq!(keys, ["\"é😀\"", "\"k\""]);
}

/// The concrete path of each match, as (pointer index, steps as text).
fn paths(doc: &str, list: &[&str]) -> Vec<(u32, Vec<String>)> {
    let ps = pointers(list);
    let found =
        select_paths(doc.as_bytes(), &ps, DEFAULT_MAX_MATCHES, true, None).expect("selects");
    found
        .matches
        .iter()
        .map(|m| {
            let steps = found.steps[m.path.0..m.path.1]
                .iter()
                .map(|s| match *s {
                    Step::Key(a, b) => doc[a..b].to_string(),
                    Step::Index(i) => i.to_string(),
                })
                .collect();
            (m.pointer, steps)
        })
        .collect()
}

#[test]
fn paths_of_wildcard_matches() {
    let doc = r#"{"u": [{"n": 1}, {"m": 2}, {"n": 3, "n": 4}], "b": 5, "a\u0062": {"n": 6}}"#;
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert_eq!(
        paths(doc, &["/u/~*/n", "/b", "/~*/n"]),
        vec![
            (0, s(&["\"u\"", "0", "\"n\""])),
            (0, s(&["\"u\"", "2", "\"n\""])),
            (1, vec![]),
            (2, s(&["\"a\\u0062\"", "\"n\""])),
        ]
    );
    // Without paths, no steps.
    let found = select_paths(doc.as_bytes(), &pointers(&["/~*"]), 8, false, None).expect("ok");
    assert!(found.steps.is_empty() && found.matches.iter().all(|m| m.path == (0, 0)));
}

/// A small seeded PRNG (xorshift64*), so failures replay.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).expect("small")
    }

    fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list[self.below(list.len())]
    }
}

/// Key texts (JSON tokens) and the pointer tokens that name them.
const KEYS: [(&str, &str); 8] = [
    (r#""a""#, "a"),
    (r#""a\u0062""#, "ab"),
    (r#""ab""#, "ab"),
    (r#""*""#, "*"),
    (r#""x/y""#, "x~1y"),
    (r#""~""#, "~0"),
    (r#""1""#, "1"),
    (r#""é""#, "é"),
];

/// A random document (iterative generation): objects with keys from `KEYS` (so repeats and escapes
/// are common), arrays, and scalars serde_json parses exactly.
fn random_doc(rng: &mut Rng) -> String {
    let mut out = String::new();
    let mut stack: Vec<(bool, usize, bool)> = Vec::new(); // (is_array, left, first)
    let scalar = |rng: &mut Rng| {
        rng.pick(&[
            "0",
            "-1",
            "2.5",
            "true",
            "false",
            "null",
            r#""s""#,
            r#""\n\u00e9""#,
            "[]",
            "{}",
        ])
        .to_string()
    };
    let value = |rng: &mut Rng, out: &mut String, stack: &mut Vec<(bool, usize, bool)>| {
        if stack.len() < 5 && rng.below(10) < 4 {
            let is_array = rng.below(2) == 0;
            out.push(if is_array { '[' } else { '{' });
            stack.push((is_array, rng.below(6), true));
        } else {
            out.push_str(&scalar(rng));
        }
    };
    value(rng, &mut out, &mut stack);
    while let Some(top) = stack.last_mut() {
        if top.1 == 0 {
            out.push(if top.0 { ']' } else { '}' });
            stack.pop();
            continue;
        }
        top.1 -= 1;
        if !top.2 {
            out.push_str(if rng.below(4) == 0 { " , " } else { "," });
        }
        top.2 = false;
        if !top.0 {
            out.push_str(KEYS[rng.below(KEYS.len())].0);
            out.push(':');
        }
        value(rng, &mut out, &mut stack);
    }
    out
}

fn random_pointer(rng: &mut Rng) -> String {
    let mut p = String::new();
    for _ in 0..rng.below(4) {
        p.push('/');
        p.push_str(match rng.below(4) {
            0 => "~*",
            1 => rng.pick(&["0", "1", "2", "01", "-"]),
            _ => KEYS[rng.below(KEYS.len())].1,
        });
    }
    p
}

/// The reference: every value the pointer reaches in serde_json's parse (last key wins), as text.
fn reference(doc: &serde_json::Value, pointer: &str) -> Vec<String> {
    let mut here = vec![doc];
    for tok in pointer.split('/').skip(1) {
        let mut next = Vec::new();
        for v in here {
            match (tok, v) {
                ("~*", serde_json::Value::Array(a)) => next.extend(a.iter()),
                ("~*", serde_json::Value::Object(o)) => next.extend(o.values()),
                ("~*", _) => {}
                _ => {
                    let t = tok.replace("~1", "/").replace("~0", "~");
                    let at = format!("/{}", t.replace('~', "~0").replace('/', "~1"));
                    next.extend(v.pointer(&at));
                }
            }
        }
        here = next;
    }
    let mut out: Vec<String> = here.iter().map(|v| v.to_string()).collect();
    out.sort();
    out
}

#[test]
fn random_documents_against_serde_json() {
    let mut rng = Rng(0x5e1e_c7f0_0d15_ea5e);
    let (mut compared, mut wild) = (0, 0);
    for round in 0..3000 {
        let doc = random_doc(&mut rng);
        let parsed: serde_json::Value = serde_json::from_str(&doc).expect("generated JSON");
        let list: Vec<String> = (0..4).map(|_| random_pointer(&mut rng)).collect();
        let refs: Vec<&str> = list.iter().map(String::as_str).collect();
        let found =
            select(doc.as_bytes(), &pointers(&refs), DEFAULT_MAX_MATCHES, None).expect("selects");
        for (i, p) in refs.iter().enumerate() {
            let mut got: Vec<String> = found
                .iter()
                .filter(|m| m.pointer as usize == i)
                .map(|m| {
                    let v: serde_json::Value =
                        serde_json::from_str(&doc[m.start..m.end]).expect("a JSON value");
                    v.to_string()
                })
                .collect();
            got.sort();
            assert_eq!(got, reference(&parsed, p), "round {round}: {doc} at {p:?}");
            compared += got.len();
            wild += usize::from(p.contains("~*") && got.len() > 1);
        }
    }
    // Not vacuous: many values compared, many wildcard pointers with several.
    assert!(
        compared > 3000 && wild > 200,
        "{compared} values, {wild} wildcards"
    );
}

#[test]
fn token_soup_never_panics() {
    let mut rng = Rng(42);
    let mut valid_docs = 0;
    let tokens = [
        "{", "}", "[", "]", ",", ":", r#""a""#, r#""*""#, "1", "-", "tru", "null", " ", r#""\u"#,
        r#"""#,
    ];
    for _ in 0..20000 {
        let text: String = (0..rng.below(12)).map(|_| rng.pick(&tokens)).collect();
        let list: Vec<String> = (0..3).map(|_| random_pointer(&mut rng)).collect();
        let refs: Vec<&str> = list.iter().map(String::as_str).collect();
        let ps = pointers(&refs);
        let valid = serde_json::from_str::<serde_json::Value>(&text).is_ok();
        match select_paths(text.as_bytes(), &ps, 4, true, None) {
            Ok(mut s) => {
                assert!(valid, "{text}");
                valid_docs += 1;
                for m in &s.matches {
                    assert!(m.start <= m.end && m.end <= text.len());
                    assert!(
                        serde_json::from_str::<serde_json::Value>(&text[m.start..m.end]).is_ok()
                    );
                }
                to_utf16(&mut s, text.as_bytes());
            }
            Err(Stop::Syntax(_)) => assert!(!valid, "{text}"),
            Err(Stop::Task(e)) => assert_eq!(e.code(), "ERR_OUT_OF_RANGE"),
        }
    }
    assert!(valid_docs > 500, "{valid_docs} valid soups");
}
