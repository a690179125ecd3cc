//! The JSON scanner and parseJson's plan: what is accepted (JSON.parse's grammar), where errors
//! are, and that a plan covers the text exactly, in runs of about the slice size.

use offthread_core::json::plan::{plan, to_utf16, Op};
use offthread_core::json::scan::{validate, Reason, Stop};

fn reason(text: &str) -> Option<(Reason, usize)> {
    match validate(text.as_bytes(), None) {
        Ok(()) => None,
        Err(Stop::Syntax(e)) => Some((e.reason, e.offset)),
        Err(Stop::Task(e)) => panic!("{e:?}"),
    }
}

#[test]
fn accepts_json_parse_grammar() {
    for ok in [
        "0",
        "-0",
        "1e400",
        "-1.5E+3",
        "12345678901234567890",
        " \t\r\n[ ] ",
        "{}",
        r#"{"a":[1,{"b":null}],"c":"\u00e9\ud800\\\"\/\b\f\n\r\t"}"#,
        "\"\u{7f}\u{10ffff}\"",
        "[true,false,null]",
        r#"{"__proto__":1,"a":1,"a":2}"#,
    ] {
        assert_eq!(reason(ok), None, "{ok}");
    }
    // Invalid UTF-8 inside a string is U+FFFD in JavaScript: valid.
    assert!(validate(b"\"\xff\xfe\x80\"", None).is_ok());
}

#[test]
fn rejects_with_reason_and_offset() {
    let cases: &[(&str, Reason, usize)] = &[
        ("", Reason::UnexpectedEnd, 0),
        ("[1,", Reason::UnexpectedEnd, 3),
        ("[1,]", Reason::UnexpectedToken, 3),
        ("{\"a\":1,}", Reason::ExpectedDoubleQuotedName, 7),
        ("{1:2}", Reason::ExpectedPropertyName, 1),
        ("{\"a\" 1}", Reason::ExpectedColon, 5),
        ("[1 2]", Reason::ExpectedCommaOrBracket, 3),
        ("{\"a\":1 \"b\":2}", Reason::ExpectedCommaOrBrace, 7),
        ("\"abc", Reason::UnterminatedString, 4),
        ("\"a\u{1}\"", Reason::BadControlCharacter, 2),
        ("\"\\x\"", Reason::BadEscape, 2),
        ("\"\\u12g4\"", Reason::BadUnicodeEscape, 5),
        ("-", Reason::NoNumberAfterMinus, 1),
        ("-a", Reason::NoNumberAfterMinus, 1),
        ("1.", Reason::UnterminatedFraction, 2),
        ("1e+", Reason::MissingExponent, 3),
        ("01", Reason::AfterJson, 1),
        ("+1", Reason::UnexpectedToken, 0),
        (".5", Reason::UnexpectedToken, 0),
        ("tru", Reason::UnexpectedEnd, 3),
        ("nul1", Reason::UnexpectedToken, 3),
        ("[1]]", Reason::AfterJson, 3),
        ("[}", Reason::UnexpectedToken, 1),
        ("\u{feff}{}", Reason::UnexpectedToken, 0),
        ("[\u{a0}1]", Reason::UnexpectedToken, 1),
        ("{\"a\":1]", Reason::ExpectedCommaOrBrace, 6),
    ];
    for &(text, r, at) in cases {
        assert_eq!(reason(text), Some((r, at)), "{text:?}");
    }
}

#[test]
fn locates_errors_in_utf16_units_lines_and_columns() {
    let text = "{\n  \"é😀\": [1,\n  2 x]}";
    let Err(Stop::Syntax(e)) = validate(text.as_bytes(), None) else {
        panic!("accepted")
    };
    let at = e.locate(text.as_bytes());
    let x = text.find('x').unwrap();
    assert_eq!(at.offset, x);
    // JavaScript's position: UTF-16 units ('😀' is two).
    assert_eq!(at.position, text[..x].encode_utf16().count());
    assert_eq!((at.line, at.column), (3, 5));
    assert_eq!(
        at.message,
        format!(
            "Expected ',' or ']' after array element in JSON at position {} (line 3 column 5)",
            at.position
        )
    );
    let end = validate(b"[1", None).unwrap_err();
    let Stop::Syntax(end) = end else { panic!() };
    assert_eq!(end.locate(b"[1").message, "Unexpected end of JSON input");
}

#[test]
fn deep_nesting_has_no_limit() {
    let depth = 1_000_000;
    let text = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    assert!(validate(text.as_bytes(), None).is_ok());
    let p = plan(text.as_bytes(), 1024, None).unwrap();
    assert_eq!(p.ops.len(), 3, "no comma to cut at: one value");
    let open = format!("{}{}", "[".repeat(depth), "]".repeat(depth - 1));
    assert!(matches!(
        validate(open.as_bytes(), None),
        Err(Stop::Syntax(e)) if e.reason == Reason::UnexpectedEnd
    ));
}

/// Rebuilds the text from a plan (commas between entries): equal to a compact input.
fn rebuild(text: &[u8], ops: &[f64]) -> (Vec<u8>, usize) {
    let mut out = Vec::new();
    let mut first = vec![true];
    let mut longest = 0;
    for t in ops.chunks_exact(3) {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let (op, a, b) = (t[0] as u8, t[1] as usize, t[2] as usize);
        let sep = |out: &mut Vec<u8>, first: &mut Vec<bool>| {
            if let Some(f) = first.last_mut() {
                if !*f {
                    out.push(b',');
                }
                *f = false;
            }
        };
        match op {
            x if x == Op::Value as u8 => out.extend_from_slice(&text[a..b]),
            x if x == Op::Array as u8 || x == Op::Object as u8 => {
                if first.len() > 1 && out.last() != Some(&b':') {
                    sep(&mut out, &mut first);
                }
                out.push(text[a]);
                first.push(true);
            }
            x if x == Op::Close as u8 => {
                first.pop();
                out.push(text[a]);
            }
            x if x == Op::Items as u8 || x == Op::Members as u8 => {
                sep(&mut out, &mut first);
                longest = longest.max(b - a);
                out.extend_from_slice(&text[a..b]);
            }
            x if x == Op::Key as u8 => {
                sep(&mut out, &mut first);
                out.extend_from_slice(&text[a..b]);
                out.push(b':');
            }
            _ => panic!("op {op}"),
        }
    }
    (out, longest)
}

fn record(i: usize) -> String {
    format!(r#"{{"id":{i},"name":"city \u00e9 {i}","tags":["a","b"],"loc":[{i}.5,-{i}.25]}}"#)
}

#[test]
fn plan_covers_a_flat_array_in_runs_of_about_the_slice() {
    let text = format!(
        "[{}]",
        (0..20_000).map(record).collect::<Vec<_>>().join(",")
    );
    let p = plan(text.as_bytes(), 4096, None).unwrap();
    assert_eq!(p.ops[0], Op::Array as u8 as f64);
    assert_eq!(p.split_depth, 1);
    let (rebuilt, longest) = rebuild(text.as_bytes(), &p.ops);
    assert_eq!(String::from_utf8(rebuilt).unwrap(), text);
    assert!((2048..2048 + 200).contains(&longest), "{longest}");
}

#[test]
fn plan_splits_nested_containers_at_any_depth() {
    // An object holding a big array, GeoJSON-like nested coordinates, a map of many keys.
    let coords: Vec<String> = (0..3000)
        .map(|i| format!("[[{i}.1,{i}.2],[{i}.3,{i}.4]]"))
        .collect();
    let map: Vec<String> = (0..3000)
        .map(|i| format!(r#""k{i}":{}"#, record(i)))
        .collect();
    let text = format!(
        r#"{{"type":"FeatureCollection","features":[{{"geometry":{{"coordinates":[{}]}}}}],"big":[{}],"map":{{{}}},"tail":1}}"#,
        coords.join(","),
        (0..3000).map(record).collect::<Vec<_>>().join(","),
        map.join(",")
    );
    let p = plan(text.as_bytes(), 2048, None).unwrap();
    let (rebuilt, _) = rebuild(text.as_bytes(), &p.ops);
    assert_eq!(String::from_utf8(rebuilt).unwrap(), text);
    let keys: Vec<String> = p
        .ops
        .chunks_exact(3)
        .filter(|t| t[0] == Op::Key as u8 as f64)
        .map(|t| {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let (a, b) = (t[1] as usize, t[2] as usize);
            text[a..b].to_string()
        })
        .collect();
    assert_eq!(
        keys,
        [
            "\"features\"",
            "\"geometry\"",
            "\"coordinates\"",
            "\"big\"",
            "\"map\""
        ]
    );
    assert_eq!(
        p.split_depth, 5,
        "root > features > [0] > geometry > coordinates"
    );
}

#[test]
fn small_documents_and_scalars_are_one_value() {
    for text in ["[1,2,3]", "\"a long string\"", "  42 "] {
        let p = plan(text.as_bytes(), 1024, None).unwrap();
        assert_eq!(p.ops, vec![0.0, 0.0, text.len() as f64]);
    }
}

#[test]
fn utf16_offsets_for_string_input() {
    let text = format!(
        "[{}]",
        (0..2000)
            .map(|i| format!("\"😀é{i}\""))
            .collect::<Vec<_>>()
            .join(",")
    );
    let mut p = plan(text.as_bytes(), 1024, None).unwrap();
    let bytes_ops = p.ops.clone();
    to_utf16(&mut p, text.as_bytes());
    for (b, u) in bytes_ops.chunks_exact(3).zip(p.ops.chunks_exact(3)) {
        for k in 1..3 {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let at = b[k] as usize;
            assert_eq!(u[k], text[..at].encode_utf16().count() as f64);
        }
    }
}
