//! What the player logs through `tracing` (target `scplay_player::…`): the lifecycle at
//! `info` (loads, track changes, pause, resume, seeks, stop, the queue's end, a restored
//! device), recoverable trouble at `warn` (retries, skipped items, underruns, xruns, a lost
//! device), what ends an item at `error`, detail at `debug`. Never from the audio callback
//! (events are logged on the engine thread) and never a secret: URLs are logged without
//! their query (the CDN's signature), pages without a private link's `s-…` token.

use tracing::{debug, error, info, warn};

use crate::events::PlayerEvent;
use crate::plan::{Target, TrackInfo};

/// A target as it may be logged: URNs as they are, URLs without query, fragment or secret
/// token.
pub(crate) fn target(t: &Target) -> String {
    match t {
        Target::Track(urn) => urn.to_string(),
        Target::Playlist(urn) => urn.to_string(),
        Target::Direct(url) => crate::error::shown(url),
        Target::Page(page) => page_shown(page),
    }
}

/// A soundcloud.com page without its query and fragment, and with the secret token of a
/// private link (a path segment `s-…`) hidden.
fn page_shown(page: &str) -> String {
    let bare = page.split(['?', '#']).next().unwrap_or("");
    bare.split('/')
        .map(|seg| if seg.starts_with("s-") { "s-…" } else { seg })
        .collect::<Vec<_>>()
        .join("/")
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_lose_query_fragment_and_secret_token() {
        assert_eq!(
            page_shown("https://soundcloud.com/a/b/s-AbC123?si=x&utm=y#t=1"),
            "https://soundcloud.com/a/b/s-…"
        );
        assert_eq!(
            page_shown("https://soundcloud.com/a/sets/b"),
            "https://soundcloud.com/a/sets/b"
        );
    }
}
