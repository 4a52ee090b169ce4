//! The HLS media playlist parser (our checks, then `hls_m3u8`) on any text: an error, never a
//! panic, and what it accepts has sane durations.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(base) = url::Url::parse("https://cdn.example/a/playlist.m3u8") else {
        return;
    };
    if let Ok(pl) = scplay_player::hls::parse(text, &base) {
        let total = pl.duration();
        assert!(total.is_finite() && total >= 0.0);
        let _ = pl.locate(total / 2.0);
    }
});
