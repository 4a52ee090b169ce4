// The README is the crate's front page, so its code examples compile with `cargo test`.
#![doc = include_str!("../README.md")]

/// The API and OAuth 2.1 client (`scplay-core`).
pub use scplay_core as core;
/// The streaming player (`scplay-player`).
pub use scplay_player as player;
/// The remote control: HTTP API, Server-Sent Events, Prometheus metrics and the phone page
/// (`scplay-remote`, feature `remote`).
#[cfg(feature = "remote")]
pub use scplay_remote as remote;
