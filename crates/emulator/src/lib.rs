//! # scplay-emulator
//!
//! A faithful SoundCloud on loopback, for tests, benchmarks and the demo: the public API
//! (every operation of SoundCloud's OpenAPI spec, plus `/resolve`, `/oembed` and the
//! `/streams` hop), OAuth 2.1 with PKCE and single-use refresh tokens, a separate CDN origin
//! with signed, expiring URLs, real encoded media (AAC-LC in fMP4 HLS, MP3 HLS as byte ranges,
//! progressive MP3 with Range, 30 s previews), and fault injection with a request log.
//!
//! ```text
//!  api_base  (API)  ── /tracks/{urn}/streams ── API stream URL ──302──► cdn_base (signed URL)
//!  auth_base (OAuth: /authorize, /oauth/token, /sign-out)
//!  web_base  (the public site: /oembed)
//! ```
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use scplay_emulator::{Emulator, EmulatorConfig, catalog};
//! let emu = Emulator::start(EmulatorConfig::default()).await?;
//! println!("API at {}, track {}", emu.api_base(), catalog::TRACK_PLAYABLE);
//! # Ok(()) }
//! ```
//!
//! The seeded catalog is deterministic; [`catalog`] names its resources. Faults
//! ([`Fault`]) apply to matching requests on any origin; [`Emulator::requests`] returns
//! what every origin saw.

#![recursion_limit = "256"]

mod api;
pub mod catalog;
mod cdn;
mod config;
mod errors;
mod faults;
mod log;
mod media;
mod model;
mod oauth;
mod render;
mod seed;
mod server;
mod signing;
mod time;

pub use config::{App, EmulatorConfig, RateLimit};
pub use faults::{Fault, FaultKind};
pub use log::{LoggedRequest, Origin};
pub use oauth::GrantCounts;
pub use server::Emulator;
