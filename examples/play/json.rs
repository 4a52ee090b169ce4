//! `--json`: one JSON object per line for supervisors. Every object has `event`; failures
//! carry a stable `code` (see `PlayerError::code`); track events carry the queue `index`;
//! seconds are rounded to hundredths.

use serde_json::{Value, json};

use scplay::player::{PlayerEvent, TrackInfo};

/// Seconds rounded to hundredths (positions need no more; 2.0433560090 becomes 2.04).
pub fn secs(s: f64) -> f64 {
    (s * 100.0).round() / 100.0
}

fn info(i: &TrackInfo) -> Value {
    json!({"urn": i.urn, "title": i.title, "uploader": i.uploader, "link": i.link,
           "artwork_url": i.artwork_url, "duration_ms": i.duration_ms})
}

/// Whether nothing at all is known of a track (a load that has not resolved yet).
fn unknown(i: &TrackInfo) -> bool {
    *i == TrackInfo::default()
}

/// The JSON line of `e`, or `None` for an event that says nothing (a `loading` before
/// anything is known). `index` is the queue index of the item heard (from `track_changed`).
pub fn event(e: &PlayerEvent, index: Option<usize>) -> Option<Value> {
    Some(match e {
        PlayerEvent::Loading(i) if unknown(i) => return None,
        PlayerEvent::Loading(i) => json!({"event": "loading", "track": info(i)}),
        PlayerEvent::Buffering { percent } => json!({"event": "buffering", "percent": percent}),
        PlayerEvent::Playing {
            info: i,
            preview,
            kind,
        } => json!({"event": "playing", "index": index, "track": info(i), "preview": preview,
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
            json!({"event": "end_of_track", "index": index, "track": info(i)})
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
            json!({"event": "track_changed", "index": index, "track": info(i), "preview": preview})
        }
        PlayerEvent::Skipped {
            index,
            info: i,
            reason,
            code,
        } => json!({"event": "skipped", "index": index, "track": info(i), "code": code,
                    "reason": reason}),
        PlayerEvent::QueueEnded => json!({"event": "queue_ended"}),
        PlayerEvent::DeviceLost(m) => json!({"event": "device_lost", "message": m}),
        PlayerEvent::DeviceRestored => json!({"event": "device_restored"}),
    })
}

/// A warning that is not a player event (no sound card, a fallback taken).
pub fn warning(code: &str, message: &str) -> Value {
    json!({"event": "warning", "code": code, "message": message})
}

/// The end of the run when it is not "played to the end": the exit status, a stable code and
/// the sentence also printed on stderr.
pub fn exit(status: u8, code: &str, message: &str) -> Value {
    json!({"event": "exit", "status": status, "code": code, "message": message})
}
