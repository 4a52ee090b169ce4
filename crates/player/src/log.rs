//! What the player logs through `tracing` (target `scplay_player::…`): the lifecycle at
//! `info` (loads, track changes, pause, resume, seeks, stop, the queue's end, a restored
//! device), recoverable trouble at `warn` (retries, skipped items, underruns, xruns, a lost
//! device), what ends an item at `error`, detail at `debug`. Never from the audio callback
//! (events are logged on the engine thread) and never a secret: URLs are logged without
//! their query (the CDN's signature), pages without a private link's `s-…` token.

use tracing::{debug, error, info, warn};

use crate::events::PlayerEvent;
use crate::plan::TrackInfo;

fn title(i: &TrackInfo) -> Option<&str> {
    i.title.as_deref()
}

/// Logs a player event at its level (positions and buffering are not logged: they come
/// several times a second).
pub(crate) fn event(e: &PlayerEvent) {
    match e {
        PlayerEvent::Loading(i) if *i != TrackInfo::default() => {
            debug!(urn = i.urn.as_deref(), title = title(i), "loading");
        }
        PlayerEvent::Loading(_) | PlayerEvent::Buffering { .. } | PlayerEvent::Position(_) => {}
        PlayerEvent::Playing {
            info,
            preview,
            kind,
        } => debug!(
            urn = info.urn.as_deref(),
            stream = kind.name(),
            preview,
            "first audio heard"
        ),
        PlayerEvent::TrackChanged {
            index,
            info,
            preview,
        } => info!(
            index,
            urn = info.urn.as_deref(),
            title = title(info),
            artist = info.uploader.as_deref(),
            preview,
            "playing"
        ),
        PlayerEvent::Skipped {
            index,
            info,
            reason,
            code,
        } => warn!(
            index,
            urn = info.urn.as_deref(),
            title = title(info),
            code,
            reason = %reason,
            "skipped"
        ),
        PlayerEvent::Error { code, message } => error!(code, message = %message, "playback failed"),
        PlayerEvent::QueueEnded => info!("queue ended"),
        PlayerEvent::DeviceLost(m) => warn!(reason = %m, "audio device lost; reopening it"),
        PlayerEvent::DeviceRestored => info!("audio device restored"),
        PlayerEvent::Paused => info!("paused"),
        PlayerEvent::Resumed => info!("resumed"),
        PlayerEvent::Seeked(s) => info!(position_s = *s, "seeked"),
        PlayerEvent::Underrun => warn!("underrun: the output ran dry"),
        PlayerEvent::Xrun { count } => warn!(count, "xrun: the sound card glitched"),
        PlayerEvent::EndOfTrack(i) => debug!(urn = i.urn.as_deref(), "end of track"),
        PlayerEvent::Stopped => info!("stopped"),
    }
}
