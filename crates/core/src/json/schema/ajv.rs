//! Validation errors in ajv's shape: `jsonschema`'s errors flattened into [`Failure`]s with ajv's
//! keyword, paths, message and params, the branch errors of `anyOf`/`oneOf` before them, and ajv's
//! `if` errors after a failing `then`/`else`.

use super::Failure;
use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::ValidationError;
use serde_json::{json, Value};

/// Schema keywords whose next segment is a name or an index, not a subschema keyword.
const NAMED: [&str; 9] = [
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
    "dependencies",
    "allOf",
    "anyOf",
    "oneOf",
];

/// Where a then/else branch's failing `if` is: its schemaPath (`#.../if`), the branch keyword and
/// its instancePath (the error's, less the steps the branch took into the instance).
fn if_ancestors(f: &Failure) -> Vec<(String, &'static str, String)> {
    let segments: Vec<&str> = f.schema_path.trim_start_matches('#').split('/').collect();
    let mut found = Vec::new();
    for (k, seg) in segments.iter().enumerate() {
        let branch = match *seg {
            "then" => "then",
            "else" => "else",
            _ => continue,
        };
        // A member named "then" (`properties/then`) is not the keyword.
        if k == 0 || NAMED.contains(&segments[k - 1]) {
            continue;
        }
        // Steps into the instance below the branch.
        let mut steps = 0;
        let mut j = k + 1;
        while j < segments.len() {
            let next_is_index = segments
                .get(j + 1)
                .is_some_and(|s| s.parse::<u64>().is_ok());
            j += match segments[j] {
                "properties" | "patternProperties" | "prefixItems" => {
                    steps += 1;
                    2
                }
                "items" if next_is_index => {
                    steps += 1;
                    2
                }
                "items"
                | "additionalProperties"
                | "unevaluatedProperties"
                | "additionalItems"
                | "unevaluatedItems"
                | "contains" => {
                    steps += 1;
                    1
                }
                s if NAMED.contains(&s) => 2,
                _ => 1,
            };
        }
        let mut instance: Vec<&str> = f.instance_path.split('/').collect();
        if instance.len() <= steps {
            continue;
        }
        instance.truncate(instance.len() - steps);
        let path = format!("{}/if", segments[..k].join("/"));
        found.push((format!("#{path}"), branch, instance.join("/")));
    }
    found
}

/// ajv's `if` errors: after the last error of a failing then/else branch, `must match "then"
/// schema` at the `if` (innermost first).
pub(super) fn with_if_errors(errors: Vec<Failure>) -> Vec<Failure> {
    let ancestors: Vec<_> = errors.iter().map(if_ancestors).collect();
    if ancestors.iter().all(Vec::is_empty) {
        return errors;
    }
    let mut last = std::collections::HashMap::new();
    for (i, list) in ancestors.iter().enumerate() {
        for a in list {
            last.insert(a.clone(), i);
        }
    }
    let mut out = Vec::with_capacity(errors.len() + last.len());
    for (i, (f, list)) in errors.into_iter().zip(&ancestors).enumerate() {
        out.push(f);
        for a in list.iter().rev() {
            if last.get(a) == Some(&i) {
                let (schema_path, branch, instance_path) = a;
                out.push(failure(
                    instance_path,
                    schema_path,
                    "if",
                    format!("must match \"{branch}\" schema"),
                    json!({ "failingKeyword": branch }),
                ));
            }
        }
    }
    out
}

/// How many of a flattened error's entries ajv would report without `allErrors`: a combinator
/// with its branch errors stays whole; an error split per property keeps its first.
pub(super) fn first_error_len(one: &[Failure]) -> usize {
    match one.last() {
        Some(f) if matches!(f.keyword.as_str(), "anyOf" | "oneOf" | "propertyNames") => one.len(),
        _ => one.len().min(1),
    }
}

fn pointer_fragment(path: &str) -> String {
    format!("#{path}")
}

fn type_names(kind: &TypeKind) -> Value {
    match kind {
        TypeKind::Single(t) => Value::String(t.to_string()),
        TypeKind::Multiple(set) => {
            Value::Array(set.iter().map(|t| Value::String(t.to_string())).collect())
        }
    }
}

/// Whether two `type` values (a name or a list) name the same types.
fn same_names(a: &Value, b: &Value) -> bool {
    let set = |v: &Value| {
        let mut names: Vec<String> = match v {
            Value::String(s) => vec![s.clone()],
            Value::Array(a) => a
                .iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        };
        names.sort_unstable();
        names
    };
    !set(a).is_empty() && set(a) == set(b)
}

fn limit_message(what: &str, more: bool, limit: u64) -> String {
    let side = if more { "more" } else { "fewer" };
    format!("must NOT have {side} than {limit} {what}")
}

fn failure(
    instance_path: &str,
    schema_path: &str,
    keyword: &str,
    message: String,
    params: Value,
) -> Failure {
    Failure {
        instance_path: instance_path.to_string(),
        schema_path: schema_path.to_string(),
        keyword: keyword.to_string(),
        message,
        params,
    }
}

/// Appends `e` (and the errors of the branches it tried, before it, as ajv lists them) to `out`.
pub(super) fn flatten(root: &Value, e: &ValidationError<'_>, out: &mut Vec<Failure>) {
    let mut instance_path = e.instance_path().as_str().to_string();
    let mut schema_path = pointer_fragment(e.schema_path().as_str());
    // The schema object holding the failing keyword, and for `dependentRequired` the keyword's value.
    let keyword_path = e.schema_path().as_str();
    let at = keyword_path
        .rsplit_once('/')
        .and_then(|(parent, _)| root.pointer(parent));
    let mut keyword = e.kind().keyword().to_string();
    use ValidationErrorKind as K;
    let (message, params) = match e.kind() {
        K::AdditionalItems { limit } => (
            limit_message("items", true, *limit as u64),
            json!({ "limit": limit }),
        ),
        K::AdditionalProperties { unexpected } => {
            for p in unexpected {
                out.push(failure(
                    &instance_path,
                    &schema_path,
                    &keyword,
                    "must NOT have additional properties".into(),
                    json!({ "additionalProperty": p }),
                ));
            }
            return;
        }
        K::UnevaluatedProperties { unexpected } => {
            for p in unexpected {
                out.push(failure(
                    &instance_path,
                    &schema_path,
                    &keyword,
                    "must NOT have unevaluated properties".into(),
                    json!({ "unevaluatedProperty": p }),
                ));
            }
            return;
        }
        K::AnyOf { context } | K::OneOfNotValid { context } => {
            for branch in context {
                for inner in branch {
                    flatten(root, inner, out);
                }
            }
            let (message, params) = if keyword == "anyOf" {
                ("must match a schema in anyOf", json!({}))
            } else {
                (
                    "must match exactly one schema in oneOf",
                    json!({ "passingSchemas": null }),
                )
            };
            out.push(failure(
                &instance_path,
                &schema_path,
                &keyword,
                message.into(),
                params,
            ));
            return;
        }
        K::OneOfMultipleValid { context } => {
            // ajv lists the errors of the branches that failed before the second passing one.
            let mut passed = 0;
            for branch in context {
                if branch.is_empty() {
                    passed += 1;
                    if passed == 2 {
                        break;
                    }
                }
                for inner in branch {
                    flatten(root, inner, out);
                }
            }
            // The branches without errors passed; ajv names the first two.
            let passing: Vec<usize> = (0..context.len())
                .filter(|&i| context[i].is_empty())
                .take(2)
                .collect();
            (
                "must match exactly one schema in oneOf".into(),
                json!({ "passingSchemas": passing }),
            )
        }
        K::PropertyNames { error } => {
            let name = error.instance().as_ref().clone();
            let mut inner = Vec::new();
            flatten(root, error, &mut inner);
            for mut f in inner {
                // ajv reports the name's error at the object.
                f.instance_path.clone_from(&instance_path);
                out.push(f);
            }
            if let Some(end) = schema_path.rfind("/propertyNames") {
                schema_path.truncate(end + "/propertyNames".len());
            }
            (
                "property name must be valid".into(),
                json!({ "propertyName": name }),
            )
        }
        K::Constant { expected_value } => (
            "must be equal to constant".into(),
            json!({ "allowedValue": expected_value.as_ref() }),
        ),
        K::Contains => (
            "must contain at least 1 valid item(s)".into(),
            json!({ "minContains": 1 }),
        ),
        K::Enum { options } => (
            "must be equal to one of the allowed values".into(),
            json!({ "allowedValues": options.as_ref() }),
        ),
        K::ExclusiveMaximum { limit } => comparison("<", limit),
        K::ExclusiveMinimum { limit } => comparison(">", limit),
        K::Maximum { limit } => comparison("<=", limit),
        K::Minimum { limit } => comparison(">=", limit),
        K::FalseSchema => {
            let items = ["/items", "/additionalItems"]
                .into_iter()
                .find(|k| schema_path.ends_with(k));
            let index = instance_path
                .rsplit_once('/')
                .and_then(|(parent, i)| Some((parent.to_string(), i.parse::<u64>().ok()?)));
            if let (Some(k), Some((parent, index))) = (items, index) {
                // The number of items allowed: prefixItems' (2020-12) or the items tuple's (draft-07).
                let tuple = if k == "/items" {
                    "prefixItems"
                } else {
                    "items"
                };
                let limit = at
                    .and_then(|s| s.get(tuple))
                    .and_then(Value::as_array)
                    .map_or(index, |a| a.len() as u64);
                // `items: false` after prefixItems: ajv reports the array once, not each item,
                // with the number of items allowed (the first extra item's index).
                if let Some(f) = out
                    .last_mut()
                    .filter(|f| f.instance_path == parent && f.schema_path == schema_path)
                {
                    let first = f.params["limit"].as_u64().map_or(limit, |l| l.min(limit));
                    f.message = limit_message("items", true, first);
                    f.params = json!({ "limit": first });
                    return;
                }
                keyword = k[1..].to_string();
                instance_path = parent;
                (
                    limit_message("items", true, limit),
                    json!({ "limit": limit }),
                )
            } else {
                keyword = "false schema".into();
                schema_path.push_str("/false schema");
                ("boolean schema is false".into(), json!({}))
            }
        }
        K::Format { format } => (
            format!("must match format \"{format}\""),
            json!({ "format": format }),
        ),
        K::MaxItems { limit } => (
            limit_message("items", true, *limit),
            json!({ "limit": limit }),
        ),
        K::MinItems { limit } => (
            limit_message("items", false, *limit),
            json!({ "limit": limit }),
        ),
        K::MaxLength { limit } => (
            limit_message("characters", true, *limit),
            json!({ "limit": limit }),
        ),
        K::MinLength { limit } => (
            limit_message("characters", false, *limit),
            json!({ "limit": limit }),
        ),
        K::MaxProperties { limit } => (
            limit_message("properties", true, *limit),
            json!({ "limit": limit }),
        ),
        K::MinProperties { limit } => (
            limit_message("properties", false, *limit),
            json!({ "limit": limit }),
        ),
        K::MultipleOf { multiple_of } => (
            format!("must be multiple of {}", js_number(*multiple_of)),
            json!({ "multipleOf": multiple_of }),
        ),
        K::Not { .. } => ("must NOT be valid".into(), json!({})),
        K::Pattern { pattern } => (
            format!("must match pattern \"{pattern}\""),
            json!({ "pattern": pattern }),
        ),
        K::Required { property } => {
            let name = property
                .as_str()
                .map_or_else(|| property.to_string(), str::to_string);
            let dep = ["/dependentRequired", "/dependencies"]
                .into_iter()
                .find(|k| schema_path.ends_with(k));
            if let Some(k) = dep {
                // draft-07 `dependencies` / 2020-12 `dependentRequired`: which present property
                // asked for the missing one is read from the schema.
                keyword = k[1..].to_string();
                let instance = e.instance();
                let found = at
                    .and_then(|s| s.get(&k[1..]))
                    .and_then(Value::as_object)
                    .and_then(|deps| {
                        deps.iter().find(|(p, d)| {
                            instance.get(p.as_str()).is_some()
                                && d.as_array().is_some_and(|d| d.contains(property))
                        })
                    });
                let (prop, deps) = found.map_or((String::new(), Vec::new()), |(p, d)| {
                    let list = d.as_array().map_or_else(Vec::new, |d| {
                        d.iter()
                            .filter_map(|x| x.as_str().map(str::to_string))
                            .collect()
                    });
                    (p.clone(), list)
                });
                let wanted = if deps.len() == 1 {
                    format!("property {}", deps[0])
                } else {
                    format!("properties {}", deps.join(", "))
                };
                (
                    format!("must have {wanted} when property {prop} is present"),
                    json!({ "property": prop, "missingProperty": name,
                            "depsCount": deps.len(), "deps": deps.join(", ") }),
                )
            } else {
                (
                    format!("must have required property '{name}'"),
                    json!({ "missingProperty": name }),
                )
            }
        }
        K::Type { kind } => {
            // The schema's own list, in its order (the crate's set is sorted), when the path leads
            // to it (a path inside another resource, reached by `$ref` to its `$id`, does not).
            let crate_names = type_names(kind);
            let names = at
                .and_then(|t| t.get("type"))
                .filter(|t| same_names(t, &crate_names))
                .cloned()
                .unwrap_or(crate_names);
            let shown = match &names {
                Value::Array(a) => a
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(","),
                other => other.as_str().unwrap_or_default().to_string(),
            };
            (format!("must be {shown}"), json!({ "type": names }))
        }
        K::UnevaluatedItems { .. } => ("must NOT have unevaluated items".into(), json!({})),
        K::UniqueItems => match duplicate(e.instance()) {
            Some((i, j)) => (
                format!("must NOT have duplicate items (items ## {j} and {i} are identical)"),
                json!({ "i": i, "j": j }),
            ),
            None => ("must NOT have duplicate items".into(), json!({})),
        },
        _ => (e.to_string(), json!({})),
    };
    out.push(failure(
        &instance_path,
        &schema_path,
        &keyword,
        message,
        params,
    ));
}

/// Longest array whose duplicate pair is looked for (quadratic, as ajv's check of untyped items).
const DUPLICATE_SEARCH_ITEMS: usize = 1024;

/// ajv's pair for `uniqueItems`: the last item equal to an earlier one, and the last such earlier one.
fn duplicate(array: &Value) -> Option<(usize, usize)> {
    let items = array
        .as_array()
        .filter(|a| a.len() <= DUPLICATE_SEARCH_ITEMS)?;
    (0..items.len()).rev().find_map(|i| {
        (0..i)
            .rev()
            .find(|&j| same(&items[i], &items[j]))
            .map(|j| (i, j))
    })
}

/// JSON Schema equality: numbers by value (1 and 1.0 are equal).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// ajv's `{ comparison, limit }` errors: "must be >= 5".
fn comparison(op: &str, limit: &Value) -> (String, Value) {
    (
        format!("must be {op} {limit}"),
        json!({ "comparison": op, "limit": limit }),
    )
}

/// A float as JavaScript prints it where that is the same as Rust's shortest form (integers
/// without ".0").
fn js_number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e21 {
        format!("{x:.0}")
    } else {
        x.to_string()
    }
}
