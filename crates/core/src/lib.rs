//! # scplay-core
//!
//! The SoundCloud API and OAuth 2.1 client of scplay. It knows nothing of audio.
//!
//! This first cut holds the typed resource ids every other part builds on: SoundCloud names
//! resources by URN (`soundcloud:tracks:123`) and still accepts the deprecated numeric ids;
//! [`Urn`] parses either once, at the edge, and always writes the URN.

mod urn;

pub use urn::{Kind, Urn, UrnError};
