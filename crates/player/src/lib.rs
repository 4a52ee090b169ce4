//! # scplay-player
//!
//! The low-latency streaming player of scplay: a Pi or kiosk calls [`Player::play`] and sound
//! comes out at once, in a few MiB of memory.
//!
//! ```text
//!  Player ──commands──► engine thread ◄── item jobs: resolve → open → decode (own ring)
//!                         │   convert (one resampler per run of items) → crossfade
//!                         ▼
//!                      PCM ring (SPSC, 200 ms) ──► output: cpal callback | WAV | pipe | null
//! ```
//!
//! The threads, states and data path are in the project's `docs/architecture.md`.
//!
//! - Resolution: `blocked` is refused before any media request, `preview` plays the 30 s
//!   preview (and says so in [`PlayerEvent::Playing`]), otherwise AAC 160 → AAC 96 → MP3 HLS →
//!   a full progressive MP3 ([`Prefer`], [`StreamKind`]); encrypted (DRM) playlists are
//!   refused; stream URLs are followed with the token, the CDN is fetched without it.
//! - Every track event carries its attribution ([`TrackInfo`]): uploader, SoundCloud link
//!   (the profile for private tracks) and artwork, as SoundCloud's terms ask.
//! - Budgets ([`PlayerOptions`]): byte ring 512 KiB (HLS segments wait in it as the buffers
//!   the 1 MiB segment cache keeps, not as a second copy), PCM ring 200 ms (at least 1 s for
//!   an unpaced file, pipe or null sink, which runs at decode speed), one segment
//!   requested at a time (the next one on its way too for an unpaced output);
//!   memory does not grow with the track's length.
//! - A queue ([`Player::enqueue`], [`Repeat`], shuffle): the next item is preloaded 10 s before
//!   the current one ends and joins it gaplessly in the same output (AAC priming and padding
//!   from the edit list, MP3 from the LAME header), or crossfades.
//! - Every command takes effect within milliseconds whatever the network is doing
//!   ([`Player::state`] says what the engine is doing).
//! - Signed URLs that expire mid-stream (the CDN's 403) are re-resolved and the stream goes on
//!   at the same segment.
//! - Even loudness without metadata ([`PlayerOptions::normalize`], [`Loudness`]): EBU R128
//!   measured in the first seconds of each item (or set), one gain held after that, a
//!   true-peak limiter at −1 dBTP.
//!
//! Cargo features: `cpal` (default), the sound-card sink; without it the crate builds without
//! ALSA, and WAV, pipe, null and your own [`SampleWriter`] remain. `unstable-internals`
//! exposes the plumbing (decoder, demuxer, playlist parser, rings) to the project's own
//! benchmarks, fuzz targets and tests: not part of the API, no stability promise.

/// Plumbing modules: `pub` (hidden) with the `unstable-internals` feature, for the
/// project's own benchmarks, fuzz targets and tests; crate-private otherwise.
macro_rules! internal {
    ($($name:ident),*) => {$(
        #[cfg(feature = "unstable-internals")]
        #[doc(hidden)]
        pub mod $name;
        #[cfg(not(feature = "unstable-internals"))]
        #[allow(dead_code, unreachable_pub)]
        mod $name;
    )*};
}

internal!(convert, decode, fetch, fmp4, hls, ring);

mod engine;
mod error;
mod events;
mod log;
mod loudness;
mod options;
mod output;
mod pages;
mod pipeline;
mod plan;
mod player;
mod queue;
mod status;

pub use engine::PlayerState;
pub use error::{Cause, PlayerError};
pub use events::{PlayerEvent, StatsSnapshot};
pub use loudness::{Loudness, LoudnessMode};
pub use options::{PlayerOptions, Prefer};
pub use output::Format;
#[cfg(feature = "cpal")]
pub use output::cpal_sink::list_devices;
pub use output::sink::{NullWriter, PipeWriter, SampleWriter, Sink};
pub use output::wav::WavWriter;
/// Reads a WAV file this player wrote (for the project's tests).
#[cfg(feature = "unstable-internals")]
#[doc(hidden)]
pub use output::wav::read_wav;
pub use plan::{StreamKind, Target, TrackInfo};
pub use player::Player;
pub use queue::Repeat;
pub use scplay_core as core;
pub use status::{NowPlaying, PlayerStatus};
