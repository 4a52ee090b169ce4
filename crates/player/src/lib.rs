//! # scplay-player
//!
//! The low-latency streaming player of scplay: a Pi or kiosk calls [`Player::play`] and sound
//! comes out at once, in a few MiB of memory.
//!
//! ```text
//!  Player ──commands──► engine thread ──events──► subscribers
//!                         │
//!  plan: Track + /streams ──► StreamPlan (HLS AAC fMP4 | HLS MP3 | progressive MP3, preview?)
//!                         │
//!  fetch (tokio): playlist → init + first segment together → prefetch ──► byte ring (SPSC)
//!                         │   reader waits when empty, EOF when the fetcher is done
//!  decode (engine thread): symphonia → trim priming → f32 ──► PCM ring (SPSC, 200 ms)
//!                         │
//!  output: cpal callback (pop, silence-fill, gain ramp, atomics) | WAV | pipe | null
//! ```
//!
//! - [`plan`]: `blocked` is refused before any media request, `preview` plays the 30 s preview
//!   (and says so in [`PlayerEvent::Playing`]), otherwise AAC 160 → AAC 96 → MP3 HLS → a full
//!   progressive MP3; encrypted (DRM) playlists are refused; stream URLs are followed with the
//!   token, the CDN is fetched without it.
//! - Every track event carries its attribution ([`TrackInfo`]): uploader, SoundCloud link
//!   (the profile for private tracks) and artwork, as SoundCloud's terms ask.
//! - Budgets ([`PlayerOptions`]): byte ring 512 KiB, PCM ring 200 ms, 2 segments prefetched;
//!   memory does not grow with the track's length.
//! - A queue ([`Player::enqueue`], [`Repeat`], shuffle): the next item is preloaded 10 s before
//!   the current one ends and joins it gaplessly in the same output (AAC priming and padding
//!   from the edit list, MP3 from the LAME header), or crossfades.
//! - Signed URLs that expire mid-stream (the CDN's 403) are re-resolved and the stream goes on
//!   at the same segment.
//! - Even loudness without metadata ([`PlayerOptions::normalize`], [`Loudness`]): EBU R128
//!   measured in the first seconds of each item (or set), one gain held after that, a
//!   true-peak limiter at −1 dBTP.
//!
//! Cargo feature `cpal` (default): the sound-card sink. Without it the crate builds without
//! ALSA; WAV, pipe, null and your own [`SampleWriter`] remain.

pub mod convert;
pub mod decode;
mod engine;
mod error;
mod events;
pub mod fetch;
pub mod fmp4;
pub mod hls;
mod loudness;
mod options;
mod output;
mod pipeline;
pub mod plan;
mod player;
mod queue;
pub mod ring;

pub use engine::PlayerState;
pub use error::PlayerError;
pub use events::{PlayerEvent, StatsSnapshot};
pub use loudness::{Loudness, LoudnessMode};
pub use options::{PlayerOptions, Prefer};
pub use output::Format;
#[cfg(feature = "cpal")]
pub use output::cpal_sink::list_devices;
pub use output::sink::{NullWriter, PipeWriter, SampleWriter, Sink};
pub use output::wav::{WavWriter, read_wav};
pub use plan::{Source, StreamPlan, Target, TrackInfo};
pub use player::Player;
pub use queue::Repeat;
pub use scplay_core as core;
