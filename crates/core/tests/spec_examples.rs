//! Every model of `scplay-core` parses SoundCloud's own examples: each example of the
//! vendored spec (`crates/emulator/spec/soundcloud-openapi.yaml`) is deserialised into the
//! model type of the schema it illustrates, and a few field values are checked. A new example
//! in the spec fails the test until it is mapped here (or listed as one the client never
//! parses).
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::Path;

use scplay_core::models::{Activities, Storefront, WebProfile};
use scplay_core::{Comment, ErrorBody, Page, Playlist, Streams, Track, User};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

fn spec() -> Value {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../emulator/spec/soundcloud-openapi.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let yaml: serde_norway::Value = serde_norway::from_str(&text).unwrap();
    serde_json::to_value(yaml).unwrap()
}

/// `v` with every `$ref` (a `#/…` pointer into the spec) replaced by its target.
fn inline(doc: &Value, v: &Value, depth: usize) -> Value {
    assert!(depth < 32, "$ref cycle");
    if let Some(r) = v.get("$ref").and_then(Value::as_str) {
        let target = doc.pointer(r.trim_start_matches('#')).unwrap();
        return inline(doc, target, depth + 1);
    }
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| (k.clone(), inline(doc, x, depth + 1)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|x| inline(doc, x, depth + 1)).collect()),
        other => other.clone(),
    }
}

/// The spec's examples write a list as a `$ref` to ONE example of its item (`collection`,
/// `TracksList`, `PlaylistsArray`), or as `allOf: [that]` (`Playlist.tracks`), where the schema
/// and the service have an array. This puts such an item in a list; nothing else changes.
fn as_list(v: Value) -> Value {
    match v {
        Value::Object(mut m) if m.contains_key("allOf") => m.remove("allOf").unwrap(),
        Value::Object(m) => Value::Array(vec![Value::Object(m)]),
        other => other,
    }
}

/// [`as_list`] applied to every `collection` and `tracks`, at any depth.
fn listed(v: Value) -> Value {
    match v {
        Value::Object(mut m) => {
            for key in ["collection", "tracks"] {
                if let Some(x) = m.remove(key) {
                    m.insert(key.into(), as_list(x));
                }
            }
            Value::Object(m.into_iter().map(|(k, x)| (k, listed(x))).collect())
        }
        Value::Array(a) => Value::Array(a.into_iter().map(listed).collect()),
        other => other,
    }
}

fn parse<T: DeserializeOwned>(name: &str, v: &Value) -> T {
    serde_json::from_value(v.clone())
        .unwrap_or_else(|e| panic!("example {name} does not parse as its model: {e}\n{v:#}"))
}

fn check_track(t: &Track) {
    assert_eq!(
        t.urn.map(|u| u.to_string()).as_deref(),
        Some("soundcloud:tracks:1234")
    );
    assert_eq!(t.duration, Some(40_000));
    assert_eq!(t.bpm, None, "null in the example");
    assert_eq!(t.release_year, Some(2019));
    assert_eq!(t.access, Some(scplay_core::Access::Playable));
    assert!(t.created_at.is_some(), "2019/01/15 15:40:49 +0000 parses");
    check_user(t.user.as_ref().unwrap());
}

fn check_user(u: &User) {
    assert_eq!(
        u.urn.map(|u| u.to_string()).as_deref(),
        Some("soundcloud:users:12345")
    );
    assert_eq!(u.username.as_deref(), Some("some.user"));
    assert_eq!(u.playlist_count, Some(3));
    assert_eq!(u.description, None);
    assert!(u.created_at.is_some(), "2018/01/01 12:08:25 +0000 parses");
    let subs = u.subscriptions.as_ref().unwrap();
    assert_eq!(subs[0].product.as_ref().unwrap()["id"], "some-id");
}

fn check_playlist(p: &Playlist) {
    assert_eq!(
        p.urn.map(|u| u.to_string()).as_deref(),
        Some("soundcloud:playlists:12345")
    );
    assert_eq!(p.track_count, Some(2));
    assert_eq!(p.release_year, None);
    assert!(p.label.is_none());
    check_track(&p.tracks.as_ref().unwrap()[0]);
    check_user(p.user.as_ref().unwrap());
}

fn check_page<T>(name: &str, page: &Page<T>, check: impl Fn(&T)) {
    assert_eq!(page.collection.len(), 1, "{name}");
    check(&page.collection[0]);
}

#[test]
fn every_model_parses_the_specs_examples() {
    let doc = spec();
    let examples = doc["components"]["examples"].as_object().unwrap();
    // Examples of what the client sends, or answers it reads no model from.
    let not_models: BTreeSet<&str> = [
        // Request bodies the client writes (`TrackFields`, `PlaylistDraft`).
        "CreateUpdatePlaylistRequest",
        "CreateUpdatePlaylistFormRequest",
        "TrackDataRequest",
        "TrackMetadataRequest",
        // Status objects of likes, reposts, follows and deletions: the client reads no body.
        "Success",
        "Successful",
        "Accepted",
        "Created",
        "OK",
        // The token answer: parsed by the crate-private `TokenResponse`, whose unit test
        // (`src/token.rs`) parses this example.
        "ExpiringToken",
    ]
    .into();
    let errors = [
        ("BadRequest", 400),
        ("Unauthorized", 401),
        ("Forbidden", 403),
        ("NotFound", 404),
        ("UnprocessableEntity", 422),
        ("TooManyRequests", 429),
        ("ErrorUnsupportedGrant", 400),
        ("ErrorInvalidGrant", 400),
        ("ErrorInvalidScope", 401),
        ("ErrorInvalidClient", 401),
        ("ErrorUnauthorizedClient", 401),
    ];
    let mut parsed = BTreeSet::new();
    for (name, example) in examples {
        if not_models.contains(name.as_str()) {
            continue;
        }
        let mut v = listed(inline(&doc, &example["value"], 0));
        if matches!(name.as_str(), "TracksList" | "PlaylistsArray") {
            v = as_list(v);
        }
        match name.as_str() {
            "Track" => check_track(&parse(name, &v)),
            "Tracks" | "TracksList" => check_page(name, &parse(name, &v), check_track),
            "User" => check_user(&parse(name, &v)),
            "Users" => check_page(name, &parse(name, &v), check_user),
            "Playlist" => check_playlist(&parse(name, &v)),
            "Playlists" | "PlaylistsArray" => check_page(name, &parse(name, &v), check_playlist),
            "Comment" => {
                let c: Comment = parse(name, &v);
                assert_eq!(c.position_ms(), Some(4960), "a number timestamp");
                assert_eq!(c.user.as_ref().unwrap().followers_count, Some(138));
                assert!(c.created_at.is_some());
            }
            "Comments" => check_page(name, &parse::<Page<Comment>>(name, &v), |c| {
                assert_eq!(
                    c.urn.map(|u| u.to_string()).as_deref(),
                    Some("soundcloud:comments:1234")
                )
            }),
            "Activities" => {
                let a: Activities = parse(name, &v);
                assert_eq!(a.collection.len(), 2);
                assert_eq!(a.collection[0].kind.as_deref(), Some("track"));
                check_track(&parse(
                    "Activities/0/origin",
                    a.collection[0].origin.as_ref().unwrap(),
                ));
                check_playlist(&parse(
                    "Activities/1/origin",
                    a.collection[1].origin.as_ref().unwrap(),
                ));
                assert!(a.future_href.is_some());
            }
            "Streams" => {
                let s: Streams = parse(name, &v);
                assert!(s.hls_aac_160_url.is_some() && s.preview_mp3_128_url.is_some());
            }
            "WebProfiles" => {
                let w: Vec<WebProfile> = parse(name, &v);
                assert_eq!(w[0].service.as_deref(), Some("facebook"));
                assert!(w[0].created_at.is_some());
            }
            other => {
                let (_, code) = errors
                    .iter()
                    .find(|(n, _)| *n == other)
                    .unwrap_or_else(|| panic!("example {other} is new: map it to its model"));
                let body = ErrorBody::parse(&v.to_string());
                assert_eq!(body.code, Some(*code), "{other}");
                assert!(body.message.is_some(), "{other}");
            }
        }
        parsed.insert(name.clone());
    }
    // 13 models (pages and lists included) and 11 error bodies, of the spec's 35 examples.
    assert_eq!(parsed.len(), 24, "{parsed:?}");
    assert_eq!(parsed.len() + not_models.len(), examples.len());
}

/// `Storefront` has no named example, only one per property: together they are one.
#[test]
fn storefront_parses_its_property_examples() {
    let doc = spec();
    let props = doc["components"]["schemas"]["Storefront"]["properties"]
        .as_object()
        .unwrap();
    let mut v = serde_json::Map::new();
    for (k, p) in props {
        if let Some(e) = p.get("example") {
            v.insert(k.clone(), e.clone());
        }
    }
    v.insert("type".into(), json!("digital"));
    let s: Storefront = parse("Storefront", &Value::Object(v));
    assert_eq!(s.track_urn.as_deref(), Some("soundcloud:tracks:1495999657"));
    assert_eq!(s.link_title.as_deref(), Some("Download"));
    assert_eq!(s.price.as_deref(), Some("0"));
}

/// A comment's `timestamp` as the spec allows it: a string or a number, either a float.
#[test]
fn comment_timestamps_parse_in_every_documented_form() {
    for (raw, ms) in [
        (json!("12000"), Some(12_000)),
        (json!(4960), Some(4_960)),
        (json!(1234.4), Some(1_234)),
        (json!("2500.6"), Some(2_501)),
        (json!(" 7 "), Some(7)),
        (json!(null), None),
        (json!("soon"), None),
        (json!(-1), None),
        (json!("NaN"), None),
        (json!(true), None),
    ] {
        let c: Comment = serde_json::from_value(json!({ "timestamp": raw })).unwrap();
        assert_eq!(c.position_ms(), ms, "{raw}");
    }
}
