//! # scplay-player
//!
//! The low-latency streaming player of scplay: resolve a track's transcodings, fetch HLS or
//! progressive media into a lock-free ring, decode and play. It builds on [`scplay_core`],
//! re-exported here as [`core`] so a player needs one dependency.

pub use scplay_core as core;
