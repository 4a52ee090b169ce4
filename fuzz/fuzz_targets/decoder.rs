//! The byte ring and the decoder (our fMP4 demuxer, symphonia's MP3/ADTS readers and
//! decoders) on any bytes: an error or silence, never a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte picks the container hint, as the player's stream kinds do.
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let ext = ["mp4", "mp3", "aac"][usize::from(pick % 3)];
    let _ = scplay_player::decode::decode_all(body, Some(ext), |b| {
        assert!(b.iter().all(|s| s.is_finite()));
    });
});
