//! How the conformance test calls the emulator and checks its answers: a request per spec
//! operation (`Call`), and the `Checker` that sends it and compares status and body with the
//! spec's response schema, collecting every difference.

use std::collections::BTreeSet;

use crate::common::*;
use crate::openapi::{Body, Spec};
use reqwest::{Method, multipart};
use scplay_emulator::Emulator;
use serde_json::Value;

/// A tiny valid WAV file, for the upload.
pub fn wav() -> Vec<u8> {
    let mut v = b"RIFF".to_vec();
    v.extend(&(36u32 + 8).to_le_bytes());
    v.extend(b"WAVEfmt ");
    v.extend(&16u32.to_le_bytes());
    v.extend(&[1, 0, 1, 0]);
    v.extend(&8000u32.to_le_bytes());
    v.extend(&16000u32.to_le_bytes());
    v.extend(&[2, 0, 16, 0]);
    v.extend(b"data");
    v.extend(&8u32.to_le_bytes());
    v.extend(&[0; 8]);
    v
}

/// A request body.
pub enum Payload {
    None,
    Json(Value),
    /// `track[title]` and a WAV as `track[asset_data]`.
    Upload,
    /// `playlist[…]` multipart text fields.
    Form(Vec<(&'static str, &'static str)>),
    Raw(&'static [u8], &'static str),
}

/// One request: the spec's operation (method and path template) and how to fill it in.
pub struct Call {
    pub method: String,
    pub template: String,
    pub path: String,
    pub query: String,
    pub payload: Payload,
    pub signed_in: bool,
}

/// A call of `method template` with the default arguments: the signed-in user's resources.
pub fn call(method: &str, template: &str) -> Call {
    let user = match (method, template) {
        ("GET", "/me/followings/{user_urn}") => "soundcloud:users:1003",
        (_, "/me/followings/{user_urn}") => "soundcloud:users:1101",
        _ => "soundcloud:users:1001",
    };
    let path = template
        .replace("{user_urn}", user)
        .replace("{follower_urn}", "soundcloud:users:1100")
        .replace("{following_urn}", "soundcloud:users:1003")
        .replace("{track_urn}", "soundcloud:tracks:2001")
        .replace("{playlist_urn}", "soundcloud:playlists:3001");
    Call {
        method: method.to_string(),
        template: template.to_string(),
        path,
        query: String::new(),
        payload: Payload::None,
        signed_in: true,
    }
}

impl Call {
    pub fn query(mut self, q: &str) -> Self {
        self.query = format!("?{q}");
        self
    }
    pub fn path(mut self, p: &str) -> Self {
        self.path = p.to_string();
        self
    }
    pub fn json(mut self, v: Value) -> Self {
        self.payload = Payload::Json(v);
        self
    }
    pub fn payload(mut self, p: Payload) -> Self {
        self.payload = p;
        self
    }
    pub fn anonymous(mut self) -> Self {
        self.signed_in = false;
        self
    }
}

/// At most 200 characters of `v`, for messages.
pub fn short(v: &Value) -> String {
    let text = v.to_string();
    match text.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// Where and why `body` breaks `schema`: (JSON pointer, reason) pairs.
pub fn violations(at: &str, schema: &Value, body: &Value) -> Vec<(String, String)> {
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(schema)
        .unwrap_or_else(|e| panic!("{at}: the spec's schema does not compile: {e}"));
    let mut out = Vec::new();
    for e in validator.iter_errors(body) {
        flatten(&e, &mut out);
    }
    out
}

/// An error as (pointer, reason); for `anyOf`/`oneOf`, the reasons of the closest
/// alternative (the one with the fewest), which name the field, not the whole object.
pub fn flatten(e: &jsonschema::ValidationError<'_>, out: &mut Vec<(String, String)>) {
    use jsonschema::error::ValidationErrorKind as K;
    let context = match e.kind() {
        K::AnyOf { context } | K::OneOfNotValid { context } => Some(context),
        _ => None,
    };
    let here = e.instance_path().to_string();
    let closest = context.and_then(|c| {
        c.iter().min_by_key(|alt| {
            let at_root = alt.iter().any(|x| x.instance_path().to_string() == here);
            (at_root, alt.len())
        })
    });
    if let Some(closest) = closest
        && !closest.is_empty()
    {
        for inner in closest {
            flatten(inner, out);
        }
        return;
    }
    // Quote a scalar (`null is not of type "string"`), not a whole object or array.
    let reason = match e.instance().as_ref() {
        Value::Object(_) => e.masked_with("the object").to_string(),
        Value::Array(_) => e.masked_with("the array").to_string(),
        _ => e.to_string(),
    };
    let reason = match reason.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &reason[..cut]),
        None => reason,
    };
    out.push((e.instance_path().to_string(), reason));
}

/// Sends calls and checks each answer against the spec, collecting every failure.
pub struct Checker<'a> {
    pub spec: &'a Spec,
    pub emu: &'a Emulator,
    pub token: String,
    pub called: BTreeSet<(String, String)>,
    pub failures: Vec<String>,
    pub checked: usize,
}

impl<'a> Checker<'a> {
    /// A checker signed in as the catalog's user.
    pub async fn new(spec: &'a Spec, emu: &'a Emulator) -> Self {
        Checker {
            spec,
            emu,
            token: user_token(emu).await,
            called: BTreeSet::new(),
            failures: Vec::new(),
            checked: 0,
        }
    }

    /// Fails with every difference found.
    pub fn finish(&self) {
        assert!(
            self.failures.is_empty(),
            "{} of {} answers differ from the spec:\n{}",
            self.failures.len(),
            self.checked,
            self.failures.join("\n")
        );
    }

    /// Sends `c`, checks the answer, and returns its status and JSON body (`Null` if none).
    pub async fn send(&mut self, c: Call) -> (u16, Value) {
        let op = format!("{} {}", c.method, c.template);
        let url = format!("{}{}{}", self.emu.api_base(), c.path, c.query);
        let mut req = client().request(Method::from_bytes(c.method.as_bytes()).unwrap(), &url);
        if c.signed_in {
            req = req.header("Authorization", format!("OAuth {}", self.token));
        }
        req = match c.payload {
            Payload::None => req,
            Payload::Json(v) => req.json(&v),
            Payload::Upload => req.multipart(
                multipart::Form::new()
                    .text("track[title]", "Spec upload")
                    .part(
                        "track[asset_data]",
                        multipart::Part::bytes(wav()).file_name("a.wav"),
                    ),
            ),
            Payload::Form(fields) => req.multipart(
                fields
                    .into_iter()
                    .fold(multipart::Form::new(), |f, (k, v)| f.text(k, v)),
            ),
            Payload::Raw(bytes, ct) => req.header("Content-Type", ct).body(bytes),
        };
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let json_type = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        let text = r.text().await.unwrap();
        self.called.insert((c.method.clone(), c.template.clone()));
        self.checked += 1;
        let at = format!("{op} ({}{} → {status})", c.path, c.query);
        let body: Value = if text.is_empty() {
            Value::Null
        } else {
            match serde_json::from_str(&text) {
                Ok(v) => v,
                Err(e) => {
                    self.failures
                        .push(format!("{at}: the body is not JSON ({e}): {text:.200}"));
                    return (status, Value::Null);
                }
            }
        };
        if !text.is_empty() && !json_type {
            self.failures
                .push(format!("{at}: a JSON body without a JSON Content-Type"));
        }
        match self.spec.response(&c.method, &c.template, status) {
            None => self.failures.push(format!(
                "{at}: status {status} is not documented (the spec documents {:?})",
                self.spec.statuses(&c.method, &c.template)
            )),
            Some(Body::Any) => {}
            Some(_) if text.is_empty() => self
                .failures
                .push(format!("{at}: empty body where the spec documents one")),
            Some(Body::Schema(schema)) => {
                let errors = violations(&at, &schema, &body);
                self.report(&at, errors);
            }
            Some(Body::OneOf(alternatives)) => {
                // Valid under exactly one; if under none, the closest alternative's reasons.
                let mut each: Vec<Vec<(String, String)>> = alternatives
                    .iter()
                    .map(|a| violations(&at, a, &body))
                    .collect();
                let valid = each.iter().filter(|e| e.is_empty()).count();
                if valid > 1 {
                    self.failures
                        .push(format!("{at}: valid under {valid} alternatives of a oneOf"));
                } else if valid == 0 {
                    // The alternative of the body's JSON type: no violation at its root.
                    each.sort_by_key(|e| (e.iter().any(|(p, _)| p.is_empty()), e.len()));
                    let closest = each.swap_remove(0);
                    self.report(&at, closest);
                }
            }
        }
        (status, body)
    }

    /// Records violations, one line per distinct (pointer with indices as `*`, reason).
    pub fn report(&mut self, at: &str, errors: Vec<(String, String)>) {
        let mut seen: Vec<(String, String, usize)> = Vec::new();
        for (pointer, reason) in errors {
            let general: String = pointer
                .split('/')
                .map(|s| if s.parse::<u64>().is_ok() { "*" } else { s })
                .collect::<Vec<_>>()
                .join("/");
            match seen
                .iter_mut()
                .find(|(p, r, _)| *p == general && *r == reason)
            {
                Some(entry) => entry.2 += 1,
                None => seen.push((general, reason, 1)),
            }
        }
        for (pointer, reason, n) in seen {
            let times = if n > 1 {
                format!(" ({n} items)")
            } else {
                String::new()
            };
            self.failures
                .push(format!("{at}: at {pointer:?}: {reason}{times}"));
        }
    }

    /// Sends `c` and fails unless it answers `want`.
    pub async fn expect(&mut self, want: u16, c: Call) -> Value {
        let what = format!("{} {}{}", c.method, c.path, c.query);
        let (status, body) = self.send(c).await;
        if status != want {
            self.failures.push(format!(
                "{what}: answered {status}, wanted {want}: {}",
                short(&body)
            ));
        }
        body
    }
}
