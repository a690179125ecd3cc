//! JSON Schema validation (draft 2020-12 and draft-07) with the `jsonschema` crate. (In progress.)
