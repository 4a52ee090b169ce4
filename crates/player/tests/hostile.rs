//! Hostile input never panics: property tests over playlists, the decoder path and the API's
//! JSON models (the fuzz targets in `fuzz/` run the same code paths for longer; TESTING.md).
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use scplay_player::hls;

fn base() -> url::Url {
    url::Url::parse("https://cdn.example/a/playlist.m3u8").unwrap()
}

/// Numbers as a hostile server would write them.
fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<f64>().prop_map(|f| f.to_string()),
        any::<i64>().prop_map(|i| i.to_string()),
        Just("NaN".to_string()),
        Just("-inf".to_string()),
        Just("1e308".to_string()),
        Just("".to_string()),
        "[0-9eE.+-]{1,24}",
    ]
}

/// Playlists made of real tags with hostile values, shuffled and repeated.
fn playlist() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        number().prop_map(|n| format!("#EXTINF:{n},")),
        number().prop_map(|n| format!("#EXT-X-TARGETDURATION:{n}")),
        number().prop_map(|n| format!("#EXT-X-MEDIA-SEQUENCE:{n}")),
        number().prop_map(|n| format!("#EXT-X-VERSION:{n}")),
        number().prop_map(|n| format!("#EXT-X-BYTERANGE:{n}@{n}")),
        "[a-z0-9/._?=&-]{0,30}".prop_map(|u| u.to_string()),
        "[a-z0-9/._-]{0,20}".prop_map(|u| format!("#EXT-X-MAP:URI=\"{u}\"")),
        Just("#EXT-X-KEY:METHOD=NONE".to_string()),
        Just("#EXT-X-KEY:METHOD=AES-128,URI=\"k\"".to_string()),
        Just("#EXT-X-ENDLIST".to_string()),
        Just("#EXT-X-DISCONTINUITY".to_string()),
        Just("#EXT-X-STREAM-INF:BANDWIDTH=1".to_string()),
        ".{0,40}",
    ];
    prop::collection::vec(line, 0..40).prop_map(|lines| {
        let mut s = String::from("#EXTM3U\n");
        for l in lines {
            s.push_str(&l);
            s.push('\n');
        }
        s
    })
}

/// Runs the decoder over `bytes` as the player would; it must end without a panic, and what
/// it yields must be finite samples.
fn decode_all(bytes: &[u8], ext: &str) {
    let mut blocks = 0;
    let _ = scplay_player::decode::decode_all(bytes, Some(ext), |b| {
        assert!(b.iter().all(|s| s.is_finite()));
        blocks += 1;
        assert!(blocks < 1_000_000, "endless");
    });
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../emulator/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_text_is_a_playlist_or_an_error(text in ".{0,2000}") {
        let _ = hls::parse(&text, &base());
    }

    #[test]
    fn hostile_playlists_are_refused_or_sane(text in playlist()) {
        if let Ok(pl) = hls::parse(&text, &base()) {
            let d = pl.duration();
            prop_assert!(d.is_finite() && d >= 0.0, "accepted a duration of {d}");
            for s in &pl.segments {
                prop_assert!(s.duration.is_finite() && s.duration >= 0.0);
            }
            let _ = pl.locate(d / 2.0);
            let _ = pl.locate(-1.0);
            let _ = pl.locate(f64::NAN);
        }
    }

    #[test]
    fn random_bytes_decode_to_an_error_or_silence(
        bytes in prop::collection::vec(any::<u8>(), 0..4096),
        ext in prop::sample::select(vec!["mp4", "mp3", "aac"]),
    ) {
        decode_all(&bytes, ext);
    }

    #[test]
    fn damaged_real_media_never_panics(
        which in 0usize..3,
        cuts in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..64),
        truncate in any::<prop::sample::Index>(),
    ) {
        let (name, ext) = [("set1.aac160.mp4", "mp4"), ("set1.mp3", "mp3"), ("set.aac", "aac")][which];
        let mut bytes = fixture(name);
        bytes.truncate(60_000.min(bytes.len()));
        for (at, v) in cuts {
            let i = at.index(bytes.len());
            bytes[i] = v;
        }
        let keep = truncate.index(bytes.len() + 1);
        bytes.truncate(keep);
        decode_all(&bytes, ext);
    }

    #[test]
    fn any_json_is_a_model_or_an_error(text in ".{0,400}") {
        let _ = serde_json::from_str::<scplay_core::Track>(&text);
        let _ = serde_json::from_str::<scplay_core::Playlist>(&text);
        let _ = serde_json::from_str::<scplay_core::User>(&text);
        let _ = serde_json::from_str::<scplay_core::Streams>(&text);
    }

}

#[test]
fn a_playlist_over_the_size_limit_is_refused() {
    let mut text = String::from("#EXTM3U\n#EXT-X-TARGETDURATION:10\n");
    while text.len() <= hls::MAX_PLAYLIST_BYTES {
        text.push_str("#EXTINF:10.0,\nseg.m4s\n");
    }
    assert!(hls::parse(&text, &base()).is_err());
}
