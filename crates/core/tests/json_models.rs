//! The JSON models on wrongly typed fields: an error, or absent where a value cannot be read
//! (timestamps) or kept as sent where the service may add values (access); never a panic,
//! never a wrong value.
#![allow(clippy::unwrap_used)]

use scplay_core::{Access, Track};

fn track(key: &str, value: &str) -> Result<Track, serde_json::Error> {
    serde_json::from_str(&format!("{{\"{key}\": {value}, \"kind\": \"track\"}}"))
}

const KEYS: [&str; 8] = [
    "id",
    "urn",
    "duration",
    "access",
    "created_at",
    "user",
    "title",
    "playback_count",
];

#[test]
fn wrongly_typed_fields_are_errors() {
    let not_numbers = [
        "-1",
        "1e400",
        "\"x\"",
        "[]",
        "{}",
        "18446744073709551616",
        "true",
    ];
    for key in ["id", "duration", "playback_count"] {
        for v in not_numbers {
            assert!(track(key, v).is_err(), "{key}: {v}");
        }
    }
    let not_strings = ["-1", "1e400", "[]", "{}", "18446744073709551616", "true"];
    for key in ["title", "access"] {
        for v in not_strings {
            assert!(track(key, v).is_err(), "{key}: {v}");
        }
    }
    for v in ["-1", "1e400", "\"x\"", "18446744073709551616", "true"] {
        assert!(track("user", v).is_err(), "user: {v}");
    }
    // A URN is typed: another kind, no number or another type is absent (the spec's own
    // Comment example misspells one), a bare id reads as the URN.
    for v in [
        "\"x\"",
        "\"soundcloud:users:5\"",
        "\"soundcloud:tracks:\"",
        "[]",
        "true",
    ] {
        assert_eq!(track("urn", v).unwrap().urn, None, "urn: {v}");
    }
    let t = track("urn", "\"soundcloud:tracks:5\"").unwrap();
    assert_eq!(t.urn, Some(scplay_core::TrackUrn::from(5)));
    assert_eq!(track("urn", "5").unwrap().track_urn(), t.urn);
}

#[test]
fn null_is_absent_unreadable_timestamps_are_absent_and_unknown_access_is_kept() {
    for key in KEYS {
        assert!(track(key, "null").is_ok(), "{key}: null");
    }
    for v in ["-1", "\"x\"", "[]", "{}", "true", "18446744073709551616"] {
        let t = track("created_at", v).unwrap();
        assert!(t.created_at.is_none(), "created_at: {v}");
    }
    let t = track("access", "\"geo_blocked\"").unwrap();
    assert_eq!(t.access, Some(Access::Unknown("geo_blocked".into())));
    let t = track("access", "\"blocked\"").unwrap();
    assert_eq!(t.access, Some(Access::Blocked));
}
