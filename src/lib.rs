//! # scplay
//!
//! A SoundCloud client and low-latency streaming playback engine. This facade re-exports the
//! workspace's crates: [`core`] (API and OAuth 2.1 client) and [`player`] (the streaming
//! player). The emulator (`scplay-emulator`) is a development dependency for tests, benches and
//! the demo.

pub use scplay_core as core;
pub use scplay_player as player;
