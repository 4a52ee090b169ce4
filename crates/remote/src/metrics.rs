//! `GET /metrics`: the player's counters in the Prometheus text format (version 0.0.4,
//! [`CONTENT_TYPE`]). Counters count since the remote started over its player.
//!
//! | metric | type | meaning |
//! | --- | --- | --- |
//! | `scplay_time_to_first_audio_seconds` | histogram ([`FIRST_AUDIO_BUCKETS`]) | from asking for an item (play, next, previous, a jump) to its first audio heard |
//! | `scplay_underruns_total` | counter | times the output ran dry while more audio was expected |
//! | `scplay_silence_frames_total` | counter | frames of silence played because audio was late |
//! | `scplay_xruns_total` | counter | sound-card glitches (ALSA xruns) recovered by the card |
//! | `scplay_bytes_fetched_total` | counter | media bytes received |
//! | `scplay_media_requests_total` | counter | media requests made (playlists excluded) |
//! | `scplay_url_refreshes_total` | counter | signed stream URLs resolved again after they expired |
//! | `scplay_retries_total` | counter | media requests tried again after a transient failure |
//! | `scplay_packets_skipped_total` | counter | audio packets that failed to decode |
//! | `scplay_engine_wakeups_total` | counter | times the player's engine thread woke up to work (its CPU cost between bursts) |
//! | `scplay_tracks_finished_total` | counter | queue items finished (played, skipped, stopped, failed) |
//! | `scplay_token_renewals_total` | counter | new access tokens from the token endpoint (0 without a client) |
//! | `scplay_errors_total{kind}` | counter | `error` events by their stable code |
//! | `scplay_skipped_total{kind}` | counter | `skipped` events by their stable code |
//! | `scplay_state{state}` | gauge | 1 for the current state (`idle`, `loading`, `playing`, `paused`, `stopped`) |
//! | `scplay_position_seconds` | gauge | the position in the item heard |
//! | `scplay_volume` | gauge | the volume, 0–1 |
//! | `scplay_queue_length` | gauge | items in the queue |
//! | `scplay_event_streams` | gauge | open `/api/events` streams |

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use scplay_core::Client;
use scplay_player::{Player, StatsSnapshot};

/// The upper bounds of the time-to-first-audio histogram's buckets, in seconds.
pub const FIRST_AUDIO_BUCKETS: [f64; 8] = [0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0];

/// The content type of the answer.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Counters kept from events (the rest is read from the player when scraped).
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    /// Observations per bucket (not cumulative; summed when rendered).
    buckets: [AtomicU64; FIRST_AUDIO_BUCKETS.len()],
    /// Observations above the last bucket.
    over: AtomicU64,
    sum_us: AtomicU64,
    /// The latest time to first audio observed, in µs (a gapless join keeps the previous
    /// value: it is no new start, and is not observed again).
    last_us: AtomicU64,
    errors: Mutex<BTreeMap<&'static str, u64>>,
    skipped: Mutex<BTreeMap<&'static str, u64>>,
}

impl Metrics {
    /// A track began to be heard; `ttfa` is the player's latest time to first audio.
    pub fn first_audio(&self, ttfa: Option<Duration>) {
        let Some(t) = ttfa else { return };
        let us = t.as_micros().max(1) as u64;
        if self.last_us.swap(us, Ordering::AcqRel) == us {
            return;
        }
        let secs = t.as_secs_f64();
        match FIRST_AUDIO_BUCKETS.iter().position(|&b| secs <= b) {
            Some(i) => self.buckets[i].fetch_add(1, Ordering::Relaxed),
            None => self.over.fetch_add(1, Ordering::Relaxed),
        };
        self.sum_us.fetch_add(us, Ordering::Relaxed);
    }

    /// An `error` event of this kind.
    pub fn error(&self, code: &'static str) {
        if let Ok(mut m) = self.errors.lock() {
            *m.entry(code).or_default() += 1;
        }
    }

    /// A `skipped` event of this kind.
    pub fn skipped(&self, code: &'static str) {
        if let Ok(mut m) = self.skipped.lock() {
            *m.entry(code).or_default() += 1;
        }
    }

    /// The whole page.
    pub fn render(
        &self,
        player: &Player,
        client: Option<&Client>,
        stopped: bool,
        streams: usize,
    ) -> String {
        let s: StatsSnapshot = player.stats();
        let mut out = String::with_capacity(4096);
        self.histogram(&mut out);
        let counters: [(&str, &str, u64); 10] = [
            (
                "underruns_total",
                "Times the output ran dry while more audio was expected.",
                s.underruns,
            ),
            (
                "silence_frames_total",
                "Frames of silence played because audio was late.",
                s.silence_frames,
            ),
            (
                "xruns_total",
                "Sound card glitches (ALSA xruns) it recovered from on its own.",
                s.xruns,
            ),
            (
                "bytes_fetched_total",
                "Media bytes received.",
                s.bytes_fetched,
            ),
            (
                "media_requests_total",
                "Media requests made (playlists excluded).",
                s.media_requests,
            ),
            (
                "url_refreshes_total",
                "Signed stream URLs resolved again after they expired.",
                s.url_refreshes,
            ),
            (
                "retries_total",
                "Media requests tried again after a transient failure.",
                s.retries,
            ),
            (
                "packets_skipped_total",
                "Audio packets that failed to decode and were skipped.",
                s.packets_skipped,
            ),
            (
                "engine_wakeups_total",
                "Times the player's engine thread woke up to work.",
                s.engine_wakeups,
            ),
            (
                "tracks_finished_total",
                "Queue items finished (played, skipped, stopped or failed).",
                player.finished_tracks(),
            ),
        ];
        for (name, help, v) in counters {
            metric(&mut out, name, "counter", help);
            let _ = writeln!(out, "scplay_{name} {v}");
        }
        metric(
            &mut out,
            "token_renewals_total",
            "counter",
            "New access tokens this process got from the token endpoint (refreshes and grants).",
        );
        let renewals = client.map_or(0, Client::token_renewals);
        let _ = writeln!(out, "scplay_token_renewals_total {renewals}");
        labelled(
            &mut out,
            "errors_total",
            "Playback errors, by kind (the stable code of the error event).",
            &self.errors,
        );
        labelled(
            &mut out,
            "skipped_total",
            "Queue items passed over, by kind (blocked, not playable, failed to load...).",
            &self.skipped,
        );
        metric(
            &mut out,
            "state",
            "gauge",
            "The player's state: 1 for the current one, 0 for the others.",
        );
        let status = player.status();
        let now = crate::json::state_name(status.state, stopped);
        for name in ["idle", "loading", "playing", "paused", "stopped"] {
            let v = u8::from(name == now);
            let _ = writeln!(out, "scplay_state{{state=\"{name}\"}} {v}");
        }
        let gauges = [
            (
                "position_seconds",
                "The playback position in the item heard, in seconds.",
                status.position.as_secs_f64(),
            ),
            ("volume", "The volume, 0 to 1.", f64::from(status.volume)),
            (
                "queue_length",
                "Items in the queue.",
                status.queue_len as f64,
            ),
            (
                "event_streams",
                "Event streams (GET /api/events) open now.",
                streams as f64,
            ),
        ];
        for (name, help, v) in gauges {
            metric(&mut out, name, "gauge", help);
            let _ = writeln!(out, "scplay_{name} {v}");
        }
        out
    }

    fn histogram(&self, out: &mut String) {
        metric(
            out,
            "time_to_first_audio_seconds",
            "histogram",
            "From asking for an item (play, next, previous, a jump) to its first audio heard, in seconds.",
        );
        let mut cumulative = 0;
        for (i, bound) in FIRST_AUDIO_BUCKETS.iter().enumerate() {
            cumulative += self.buckets[i].load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "scplay_time_to_first_audio_seconds_bucket{{le=\"{bound}\"}} {cumulative}"
            );
        }
        cumulative += self.over.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "scplay_time_to_first_audio_seconds_bucket{{le=\"+Inf\"}} {cumulative}"
        );
        let sum = self.sum_us.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "scplay_time_to_first_audio_seconds_sum {sum}");
        let _ = writeln!(out, "scplay_time_to_first_audio_seconds_count {cumulative}");
    }
}

/// `# HELP` and `# TYPE` of `scplay_{name}`.
fn metric(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP scplay_{name} {help}");
    let _ = writeln!(out, "# TYPE scplay_{name} {kind}");
}

/// A counter with a `kind` label per code seen.
fn labelled(out: &mut String, name: &str, help: &str, counts: &Mutex<BTreeMap<&'static str, u64>>) {
    metric(out, name, "counter", help);
    if let Ok(m) = counts.lock() {
        for (code, n) in m.iter() {
            // Codes are fixed snake_case names: nothing to escape.
            let _ = writeln!(out, "scplay_{name}{{kind=\"{code}\"}} {n}");
        }
    }
}
