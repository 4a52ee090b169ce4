//! SoundCloud's OpenAPI spec (vendored in `spec/`) as JSON Schema: its operations, `$ref`s,
//! documented responses, the OpenAPI 3.0 → JSON Schema conversion, and the relaxations of
//! the spec's self-contradictions.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

/// The vendored spec, unchanged (see `spec/README.md`).
pub const SPEC_YAML: &str = include_str!("../../spec/soundcloud-openapi.yaml");

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

/// The pattern that stands in for `format: date-time` (relaxation 2).
pub const SC_TIME: &str = r"^\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2} \+0000$";

/// One relaxation of the spec, with where it applied.
#[derive(Debug)]
pub struct Relaxation {
    pub name: &'static str,
    /// Schema locations (`Schema/properties/field`) it changed.
    pub applied: Vec<String>,
}

/// The parsed spec.
pub struct Spec {
    /// The whole document as JSON.
    pub doc: Value,
    /// Every operation, `("GET", "/me")`, in the spec's order.
    pub operations: Vec<(String, String)>,
    /// `components.schemas` as JSON Schema (2020-12), relaxations applied.
    pub defs: Map<String, Value>,
    pub relaxations: Vec<Relaxation>,
}

/// What a documented response says about its body.
pub enum Body {
    /// No content documented: any body (the test still wants JSON or nothing).
    Any,
    /// A JSON Schema (already converted), to validate against.
    Schema(Value),
    /// `oneOf` these schemas (`Tracks` or the deprecated `TracksList`, …).
    OneOf(Vec<Value>),
}

impl Spec {
    pub fn load() -> Spec {
        // The YAML value keeps the document's order; serde_json's map would sort the paths.
        let yaml: serde_norway::Value = serde_norway::from_str(SPEC_YAML).unwrap();
        let mut operations = Vec::new();
        for (path, item) in yaml["paths"].as_mapping().unwrap() {
            for (method, _) in item.as_mapping().unwrap() {
                let method = method.as_str().unwrap();
                if METHODS.contains(&method) {
                    operations.push((method.to_uppercase(), path.as_str().unwrap().to_string()));
                }
            }
        }
        let doc = serde_json::to_value(&yaml).unwrap();
        let mut schemas = doc["components"]["schemas"].as_object().unwrap().clone();
        let relaxations = relax(&doc, &mut schemas);
        let defs = schemas
            .iter()
            .map(|(k, v)| (k.clone(), to_json_schema(v)))
            .collect();
        Spec {
            doc,
            operations,
            defs,
            relaxations,
        }
    }

    /// Follows `$ref`s (`#/…` pointers into the spec) until a value that is not one.
    pub fn resolve<'a>(&'a self, mut v: &'a Value) -> &'a Value {
        for _ in 0..16 {
            match v.get("$ref").and_then(Value::as_str) {
                Some(r) => {
                    v = self
                        .doc
                        .pointer(r.trim_start_matches('#'))
                        .unwrap_or_else(|| panic!("dangling $ref {r}"));
                }
                None => return v,
            }
        }
        panic!("$ref chain too long")
    }

    /// A value with every `$ref` inside it replaced by its target (for examples).
    pub fn inline(&self, v: &Value, depth: usize) -> Value {
        assert!(depth < 32, "$ref cycle in the spec's examples");
        match self.resolve(v) {
            Value::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, x)| (k.clone(), self.inline(x, depth + 1)))
                    .collect(),
            ),
            Value::Array(a) => Value::Array(a.iter().map(|x| self.inline(x, depth + 1)).collect()),
            other => other.clone(),
        }
    }

    /// The operation object of `method path`.
    pub fn operation(&self, method: &str, path: &str) -> &Value {
        let op = &self.doc["paths"][path][method.to_lowercase()];
        assert!(op.is_object(), "{method} {path} is not in the spec");
        op
    }

    /// The documented statuses of `method path`.
    pub fn statuses(&self, method: &str, path: &str) -> Vec<u16> {
        self.operation(method, path)["responses"]
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.parse().unwrap())
            .collect()
    }

    /// What the spec says about the body of `status` for `method path`; `None` when the
    /// status is not documented for it.
    pub fn response(&self, method: &str, path: &str, status: u16) -> Option<Body> {
        let r = self.operation(method, path)["responses"].get(status.to_string())?;
        let r = self.resolve(r);
        let Some(content) = r.get("content").and_then(Value::as_object) else {
            return Some(Body::Any);
        };
        let media = content.values().next().unwrap();
        if let Some(schema) = media.get("schema") {
            if let Some(Value::Array(alternatives)) = schema.get("oneOf") {
                let each = alternatives
                    .iter()
                    .map(|a| self.document(to_json_schema(a)))
                    .collect();
                return Some(Body::OneOf(each));
            }
            return Some(Body::Schema(self.document(to_json_schema(schema))));
        }
        // Only examples (the status objects `{"status": "200 - OK"}`…): the body must have
        // the shape of one of them (the same keys, with values of the same JSON types).
        let shapes: Vec<Value> = media["examples"]
            .as_object()
            .unwrap()
            .values()
            .map(|e| shape_of(&self.inline(&self.resolve(e)["value"], 0)))
            .collect();
        Some(Body::Schema(self.document(json!({ "anyOf": shapes }))))
    }

    /// A complete JSON Schema document: `schema` with every component under `$defs`.
    pub fn document(&self, schema: Value) -> Value {
        json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$defs": self.defs,
            "allOf": [schema],
        })
    }

    /// The JSON Schema of `components.schemas.name`, as a complete document.
    pub fn schema(&self, name: &str) -> Value {
        assert!(self.defs.contains_key(name), "no schema {name}");
        self.document(json!({ "$ref": format!("#/$defs/{name}") }))
    }
}

/// A schema that accepts values shaped like `example`.
fn shape_of(example: &Value) -> Value {
    match example {
        Value::Object(m) => json!({
            "type": "object",
            "required": m.keys().collect::<Vec<_>>(),
            "properties": m.iter().map(|(k, v)| (k.clone(), shape_of(v))).collect::<Map<_, _>>(),
        }),
        Value::Array(_) => json!({"type": "array"}),
        Value::String(_) => json!({"type": "string"}),
        Value::Number(_) => json!({"type": "number"}),
        Value::Bool(_) => json!({"type": "boolean"}),
        Value::Null => json!({}),
    }
}

/// OpenAPI 3.0's schema dialect to JSON Schema 2020-12: `nullable: true` becomes a `null`
/// type (and a `null` enum value), `example`s go, `$ref`s point into `$defs`.
pub fn to_json_schema(v: &Value) -> Value {
    let Value::Object(m) = v else {
        return v.clone();
    };
    let mut out = Map::new();
    for (k, x) in m {
        let converted = match k.as_str() {
            "example" | "examples" | "nullable" | "xml" | "discriminator" | "externalDocs" => {
                continue;
            }
            "$ref" => json!(
                x.as_str()
                    .unwrap()
                    .replace("#/components/schemas/", "#/$defs/")
            ),
            "properties" => Value::Object(
                x.as_object()
                    .unwrap()
                    .iter()
                    .map(|(name, s)| (name.clone(), to_json_schema(s)))
                    .collect(),
            ),
            "items" | "not" | "additionalProperties" => to_json_schema(x),
            "allOf" | "anyOf" | "oneOf" => {
                Value::Array(x.as_array().unwrap().iter().map(to_json_schema).collect())
            }
            _ => x.clone(),
        };
        out.insert(k.clone(), converted);
    }
    if m.get("nullable") == Some(&Value::Bool(true)) {
        match out.get("type").cloned() {
            Some(Value::String(t)) => {
                out.insert("type".into(), json!([t, "null"]));
                if let Some(Value::Array(e)) = out.get_mut("enum") {
                    e.push(Value::Null);
                }
            }
            _ => return json!({ "anyOf": [{ "type": "null" }, Value::Object(out)] }),
        }
    }
    Value::Object(out)
}

/// A visitor of schema properties: `(location, name, property)`.
type Visit<'a> = &'a mut dyn FnMut(&str, &str, &mut Map<String, Value>);

/// Calls `f(location, name, property)` for every property of every schema, at any depth.
fn each_property(schemas: &mut Map<String, Value>, f: Visit<'_>) {
    fn walk(at: &str, v: &mut Value, f: Visit<'_>) {
        let Value::Object(m) = v else { return };
        if let Some(Value::Object(props)) = m.get_mut("properties") {
            for (name, p) in props.iter_mut() {
                let here = format!("{at}/properties/{name}");
                if let Value::Object(pm) = p {
                    f(&here, name, pm);
                }
                walk(&here, p, f);
            }
        }
        for key in ["items", "not", "additionalProperties"] {
            if let Some(x) = m.get_mut(key) {
                walk(&format!("{at}/{key}"), x, f);
            }
        }
        for key in ["allOf", "anyOf", "oneOf"] {
            if let Some(Value::Array(list)) = m.get_mut(key) {
                for (i, x) in list.iter_mut().enumerate() {
                    walk(&format!("{at}/{key}/{i}"), x, f);
                }
            }
        }
    }
    for (name, s) in schemas.iter_mut() {
        walk(name, s, f);
    }
}

/// Names of the properties that any of the spec's examples gives `null`.
fn null_in_examples(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if x.is_null() {
                    out.insert(k.clone());
                }
                null_in_examples(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| null_in_examples(x, out)),
        _ => {}
    }
}

/// THE RELAXATIONS: where the spec contradicts itself, the live service follows the spec's
/// examples, so the emulator does too and the schema is relaxed to match. Each is explicit,
/// names what it changes, and must still apply (the test fails on a stale one).
fn relax(doc: &Value, schemas: &mut Map<String, Value>) -> Vec<Relaxation> {
    let probe = Spec {
        doc: doc.clone(),
        operations: Vec::new(),
        defs: Map::new(),
        relaxations: Vec::new(),
    };
    // 1. Nullable by example. About thirty fields are typed `string`/`integer` (not
    //    `nullable`) while the spec's own examples give them `null` (`User.description`,
    //    `Track.bpm`, `Playlist.release_year`, …). A field of that name becomes nullable.
    let mut names = BTreeSet::new();
    for example in doc["components"]["examples"].as_object().unwrap().values() {
        null_in_examples(&probe.inline(&example["value"], 0), &mut names);
    }
    let mut nullable = Vec::new();
    each_property(schemas, &mut |at, name, p| {
        if names.contains(name) && p.get("nullable") != Some(&Value::Bool(true)) {
            p.insert("nullable".into(), json!(true));
            nullable.push(at.to_string());
        }
    });
    // 2. SoundCloud's timestamps. `User.created_at`/`last_modified` are declared
    //    `format: date-time` (RFC 3339), but the example (`2018/01/01 12:08:25 +0000`), every
    //    other timestamp of the spec and the live service use SoundCloud's own format: the
    //    format is replaced by a pattern of that one (so it is still checked).
    let mut times = Vec::new();
    each_property(schemas, &mut |at, _, p| {
        if p.get("format").and_then(Value::as_str) == Some("date-time") {
            p.remove("format");
            p.insert("pattern".into(), json!(SC_TIME));
            times.push(at.to_string());
        }
    });
    // 3. `subscriptions`. `User.subscriptions` and `Me.subscriptions` declare `items` as
    //    `type: array` holding an `anyOf` of one object schema, while the example (and the
    //    live service) has an array of those objects: the items are objects.
    let mut subscriptions = Vec::new();
    each_property(schemas, &mut |at, name, p| {
        if name == "subscriptions"
            && let Some(Value::Object(items)) = p.get_mut("items")
            && items.get("type") == Some(&json!("array"))
        {
            items.insert("type".into(), json!("object"));
            subscriptions.push(at.to_string());
        }
    });
    vec![
        Relaxation {
            name: "nullable by example",
            applied: nullable,
        },
        Relaxation {
            name: "SoundCloud timestamp format",
            applied: times,
        },
        Relaxation {
            name: "subscriptions items are objects",
            applied: subscriptions,
        },
    ]
}
