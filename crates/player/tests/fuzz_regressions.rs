//! Inputs the fuzz targets (`fuzz/`) found crashing, replayed: each must now be an error
//! without any panic, caught or not (a panic hook counts them; this binary runs nothing else).
#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicUsize, Ordering};

static PANICS: AtomicUsize = AtomicUsize::new(0);

fn input(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fuzz-regressions/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[test]
fn crashes_found_by_fuzzing_are_errors_without_a_panic() {
    std::panic::set_hook(Box::new(|_| {
        PANICS.fetch_add(1, Ordering::SeqCst);
    }));
    // symphonia's MP4 reader panicked in `sidx` on this (the decoder target's first byte
    // picks the hint: 'B' → "mp4").
    let bytes = input("decoder-isomp4-sidx.bin");
    let r = scplay_player::decode::decode_all(&bytes[1..], Some("mp4"), |_| {});
    assert!(r.is_err() || r.is_ok_and(|(_, frames)| frames < 1_000_000));
    // hls_m3u8 sliced a lone quote out of bounds, and overflowed adding a byte range.
    let base = url::Url::parse("https://cdn.example/a/playlist.m3u8").unwrap();
    for name in [
        "playlist-lone-quote.m3u8",
        "playlist-byterange-overflow.m3u8",
    ] {
        let text = String::from_utf8(input(name)).unwrap();
        assert!(scplay_player::hls::parse(&text, &base).is_err(), "{name}");
    }
    let _ = std::panic::take_hook();
    assert_eq!(
        PANICS.load(Ordering::SeqCst),
        0,
        "a panic happened (even if caught)"
    );
}
