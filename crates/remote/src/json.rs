//! The JSON shapes shared by `play --json` and the remote: one object per [`PlayerEvent`]
//! (`event` names it; failures carry a stable `code`; track events the queue `index`;
//! seconds rounded to hundredths), and the status (`GET /api/status`).

use serde_json::{Value, json};

use scplay_player::{PlayerEvent, PlayerState, PlayerStatus, Repeat, TrackInfo};

/// Seconds rounded to hundredths (positions need no more; 2.0433560090 becomes 2.04).
pub fn secs(s: f64) -> f64 {
    (s * 100.0).round() / 100.0
}

/// A track's attribution: `urn`, `title`, `uploader`, `link`, `artwork_url`, `duration_ms`.
pub fn track(i: &TrackInfo) -> Value {
    json!({"urn": i.urn, "title": i.title, "uploader": i.uploader, "link": i.link,
           "artwork_url": i.artwork_url, "duration_ms": i.duration_ms})
}

/// Whether nothing at all is known of a track (a load that has not resolved yet).
fn unknown(i: &TrackInfo) -> bool {
    *i == TrackInfo::default()
}

/// The JSON object of `e`, or `None` for an event that says nothing (a `loading` before
/// anything is known). `index` is the queue index of the item heard (from `track_changed`).
pub fn event(e: &PlayerEvent, index: Option<usize>) -> Option<Value> {
    Some(match e {
        PlayerEvent::Loading(i) if unknown(i) => return None,
        PlayerEvent::Loading(i) => json!({"event": "loading", "track": track(i)}),
        PlayerEvent::Buffering { percent } => json!({"event": "buffering", "percent": percent}),
        PlayerEvent::Playing {
            info: i,
            preview,
            kind,
        } => json!({"event": "playing", "index": index, "track": track(i), "preview": preview,
                    "stream": kind.name()}),
        PlayerEvent::Paused => json!({"event": "paused"}),
        PlayerEvent::Resumed => json!({"event": "resumed"}),
        PlayerEvent::Position(p) => {
            json!({"event": "position", "index": index, "seconds": secs(*p)})
        }
        PlayerEvent::Seeked(p) => json!({"event": "seeked", "index": index, "seconds": secs(*p)}),
        PlayerEvent::Underrun => json!({"event": "underrun"}),
        PlayerEvent::Xrun { count } => json!({"event": "xrun", "count": count}),
        PlayerEvent::EndOfTrack(i) => {
            json!({"event": "end_of_track", "index": index, "track": track(i)})
        }
        PlayerEvent::Stopped => json!({"event": "stopped"}),
        PlayerEvent::Error { code, message } => {
            json!({"event": "error", "code": code, "message": message})
        }
        PlayerEvent::TrackChanged {
            index,
            info: i,
            preview,
        } => {
            json!({"event": "track_changed", "index": index, "track": track(i), "preview": preview})
        }
        PlayerEvent::Skipped {
            index,
            info: i,
            reason,
            code,
        } => json!({"event": "skipped", "index": index, "track": track(i), "code": code,
                    "reason": reason}),
        PlayerEvent::QueueEnded => json!({"event": "queue_ended"}),
        PlayerEvent::DeviceLost(m) => json!({"event": "device_lost", "message": m}),
        PlayerEvent::DeviceRestored => json!({"event": "device_restored"}),
    })
}

/// The name of a state as the remote shows it: `idle`, `loading`, `playing`, `paused` or
/// `stopped` (idle after a stop). An output being reopened shows as `loading` (nothing is
/// heard until it is back).
pub fn state_name(state: PlayerState, stopped: bool) -> &'static str {
    match state {
        PlayerState::Idle if stopped => "stopped",
        PlayerState::Idle => "idle",
        PlayerState::Playing => "playing",
        PlayerState::Paused => "paused",
        _ => "loading",
    }
}

/// The name of a repeat mode: `off`, `one` or `all`.
pub fn repeat_name(r: Repeat) -> &'static str {
    match r {
        Repeat::Off => "off",
        Repeat::One => "one",
        Repeat::All => "all",
    }
}

/// `GET /api/status`: `state`, `position` and `duration` (seconds; `duration` null when
/// unknown), `volume` (0–1), `track` (`title`, `uploader`, `link`, `artwork`, `urn`,
/// `preview`; null when nothing is heard), `queue` (`index`, `length`), `repeat`,
/// `shuffle` (bool).
pub fn status(s: &PlayerStatus, stopped: bool) -> Value {
    let track = s.track.as_ref().map(|t| {
        json!({"title": t.info.title, "uploader": t.info.uploader, "link": t.info.link,
               "artwork": t.info.artwork_url, "urn": t.info.urn, "preview": t.preview})
    });
    let duration = s
        .track
        .as_ref()
        .and_then(|t| t.info.duration_ms)
        .map(|ms| secs(ms as f64 / 1000.0));
    json!({
        "state": state_name(s.state, stopped),
        "position": secs(s.position.as_secs_f64()),
        "duration": duration,
        "volume": secs(f64::from(s.volume)),
        "track": track,
        "queue": {"index": s.queue_index, "length": s.queue_len},
        "repeat": repeat_name(s.repeat),
        "shuffle": s.shuffle.is_some(),
    })
}
