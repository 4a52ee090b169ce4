//! [`PlayerOptions`]: budgets and preferences, with documented defaults.

use std::time::Duration;

/// Which codec to try first when a track has several.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Prefer {
    /// AAC HLS 160 → AAC HLS 96 → MP3 HLS 128 → full-length progressive MP3 (the default).
    #[default]
    Aac,
    /// MP3 HLS 128 → AAC HLS 160 → AAC HLS 96 → full-length progressive MP3.
    Mp3,
}

/// Player settings. `Default` gives the documented budgets.
#[derive(Debug, Clone, PartialEq)]
pub struct PlayerOptions {
    /// Codec preference. Default [`Prefer::Aac`].
    pub prefer: Prefer,
    /// Size of the ring between the network and the decoder, in bytes queued: one per item
    /// loading or playing (two while the next one preloads). HLS segments wait in it as the
    /// very buffers the segment cache keeps (no second copy); a progressive body's bytes are
    /// its own. Default 512 KiB (about 26 s of AAC at 160 kbit/s, 33 s of MP3 at 128).
    pub byte_ring_bytes: usize,
    /// Length of the ring between the decoder and the output. Default 200 ms. An output that
    /// is not paced (a file, pipe or null sink without `realtime`) takes at least 1 s: it
    /// runs at decode speed, and a longer ring means fewer hand-offs between the threads
    /// (its commands still act at once: a seek or a jump drops the ring, a pause holds it).
    pub pcm_ring: Duration,
    /// HLS segments fetched ahead of the one being written into the byte ring (each in flight
    /// on its own connection, with its own read buffer). Default 0: the next segment is
    /// requested as soon as the last one is in the ring, which already holds about 25 s of
    /// AAC 160 ahead, so one request at a time refills it many times faster than it plays
    /// even at 1 s round trips; a segment in flight cost 0.1–0.2 MiB at the start of every
    /// stream. An output that is not paced (a file, pipe or null sink without `realtime`)
    /// fetches at least 1 ahead: it runs at decode speed, where a round trip per segment
    /// would add up (18 s per audio hour at 50 ms).
    pub prefetch_segments: usize,
    /// Initial volume, 0.0–1.0 ([`crate::Player::new`] refuses anything else). Default 1.0.
    pub volume: f32,
    /// Length of the volume ramp on pause, resume, seek and stop (no clicks). Default 10 ms.
    pub ramp: Duration,
    /// Pace file, pipe and null sinks in real time instead of running as fast as possible;
    /// when the decoder falls behind they then get silence, as a sound card would.
    /// Default `false`.
    pub realtime: bool,
    /// How often position events are sent. Default 250 ms of audio.
    pub position_interval: Duration,
    /// Start loading the next queue item this long before the current one ends (or as soon
    /// as the current one is fully downloaded), so it joins without a network round trip.
    /// Default 10 s.
    pub preload_before: Duration,
    /// Crossfade between queue items; zero (the default) joins them gaplessly, sample for
    /// sample.
    pub crossfade: Duration,
    /// Bytes of recently fetched HLS segments kept per stream, so seeking into what was just
    /// fetched or prefetched needs no request. Default 1 MiB, the player's largest buffer once
    /// it has filled (docs/kiosk.md, "Memory", has what each buffer costs).
    pub segment_cache_bytes: usize,
    /// How long a media request keeps being retried (network errors, 5xx, 429; jittered
    /// backoff, `Retry-After` honoured) without progress before the track fails with an
    /// error saying what failed. Default 30 s.
    pub retry_for: Duration,
    /// A response that sends nothing for this long counts as a dropped connection (retried,
    /// resuming where it stopped). Default 10 s.
    pub stall_timeout: Duration,
    /// Release the audio device after being paused this long, and reopen it on resume (kiosks
    /// that share a DAC); what was queued plays on from where it paused. `None` (the
    /// default) keeps it open while paused. Whenever the queue is idle the device is
    /// released anyway.
    pub release_after_pause: Option<Duration>,
    /// A stream that yields no audio for this long (no data, or nothing decodable) ends with
    /// [`crate::PlayerError::Stalled`] instead of hanging. Default 45 s.
    pub watchdog: Duration,
    /// Loudness normalisation ([`crate::Loudness`]: −14 LUFS by default, per track or per
    /// set, a −1 dBTP limiter). `None` (the default) plays the audio as it is.
    pub normalize: Option<crate::Loudness>,
    /// A file remembering where soundcloud.com pages led (`/resolve`'s answer), so a page
    /// played again, after a restart too, starts one round trip sooner; each use is checked
    /// against the resource's permalink. At most 256 pages, mode 0600. `None` (the default)
    /// remembers them only while the player lives.
    pub page_cache: Option<std::path::PathBuf>,
}

impl PlayerOptions {
    pub(crate) fn net(&self) -> crate::fetch::NetPolicy {
        crate::fetch::NetPolicy {
            retry_for: self.retry_for,
            stall: self.stall_timeout,
        }
    }
}

impl Default for PlayerOptions {
    fn default() -> Self {
        Self {
            prefer: Prefer::Aac,
            byte_ring_bytes: 512 * 1024,
            pcm_ring: Duration::from_millis(200),
            prefetch_segments: 0,
            volume: 1.0,
            ramp: Duration::from_millis(10),
            realtime: false,
            position_interval: Duration::from_millis(250),
            preload_before: Duration::from_secs(10),
            crossfade: Duration::ZERO,
            segment_cache_bytes: 1 << 20,
            retry_for: Duration::from_secs(30),
            stall_timeout: Duration::from_secs(10),
            watchdog: Duration::from_secs(45),
            release_after_pause: None,
            normalize: None,
            page_cache: None,
        }
    }
}
