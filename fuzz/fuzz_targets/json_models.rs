//! The API's JSON models on any bytes: an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scplay_core::{Comment, Me, Page, Playlist, Streams, Track, User};

fuzz_target!(|data: &[u8]| {
    let _ = serde_json::from_slice::<Track>(data);
    let _ = serde_json::from_slice::<Playlist>(data);
    let _ = serde_json::from_slice::<User>(data);
    let _ = serde_json::from_slice::<Me>(data);
    let _ = serde_json::from_slice::<Comment>(data);
    let _ = serde_json::from_slice::<Streams>(data);
    let _ = serde_json::from_slice::<Page<Track>>(data);
});
