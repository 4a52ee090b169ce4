//! The fMP4 demuxer on its own (init segment, then fragments): an error or packets, never a
//! panic, a hang or unbounded memory (run with `-rss_limit_mb=256 -timeout=5`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(mut demux) = scplay_player::fmp4::Fmp4Demuxer::new(std::io::Cursor::new(data)) else {
        return;
    };
    // Far more packets than any input of libFuzzer's sizes can hold honestly.
    for _ in 0..1_000_000 {
        match demux.next_packet() {
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => return,
        }
    }
});
