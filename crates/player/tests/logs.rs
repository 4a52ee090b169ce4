//! What the player logs while a token and the CDN's signed URLs expire mid-playback, a media
//! request fails once and a blocked item is skipped: the renewal, the URL refresh, the retry
//! (with its attempt and delay), the skip and the track change, and never a token, the
//! client secret or a signed URL's query. One test: the subscriber is global (the player
//! logs from its own threads).
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use scplay_emulator::{Emulator, EmulatorConfig, Fault, FaultKind, Origin, catalog};
use scplay_player::{Player, PlayerError, PlayerEvent, PlayerOptions, Sink, Target};
use scplay_testkit::logs::{capture_global, line};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renewals_refreshes_retries_and_skips_are_logged_without_secrets() {
    let logs = capture_global();

    let emu = Arc::new(Emulator::start(EmulatorConfig::default()).await.unwrap());
    // One media segment fails once: the fetch tries it again.
    emu.add_fault(
        Fault::on("/2.m4s", FaultKind::Status(503))
            .at(Origin::Cdn)
            .times(1),
    );
    let e = emu.clone();
    let (tokens, stats) = tokio::task::spawn_blocking(move || {
        let api = client(&e);
        let rt = tokio::runtime::Handle::current();
        let player = Player::new(Some(api.clone()), Sink::Null, PlayerOptions::default()).unwrap();
        player.pause();
        let events = player.events();
        player.play_all(vec![
            Target::Track(catalog::TRACK_BLOCKED.into()),
            Target::Track(catalog::TRACK_THREE_MINUTES.into()),
        ]);
        assert!(
            wait_event(&events, Duration::from_secs(10), |e| {
                matches!(e, PlayerEvent::Buffering { percent: 100 })
            })
            .is_some()
        );
        let first = rt.block_on(api.token()).unwrap().unwrap();
        // The token and the signed URLs expire while paused: the segments beyond the ring
        // need fresh URLs, which need a fresh token.
        e.expire_access_tokens();
        e.expire_cdn_urls();
        player.resume();
        // What `wait` reports is the skipped item's refusal; the other one played out.
        let r = player.wait();
        assert!(matches!(r, Err(PlayerError::Blocked { .. })), "{r:?}");
        assert_eq!(player.finished_tracks(), 2);
        let second = rt.block_on(api.token()).unwrap().unwrap();
        (vec![first, second], player.stats())
    })
    .await
    .unwrap();
    assert!(stats.url_refreshes >= 1, "{stats:?}");

    let text = logs.text();
    line(
        &text,
        &["INFO", "scplay_player", "loading", "soundcloud:tracks:2004"],
    );
    line(
        &text,
        &[
            "WARN",
            "skipped",
            "soundcloud:tracks:2004",
            "code=\"blocked\"",
        ],
    );
    line(
        &text,
        &["INFO", "playing", "soundcloud:tracks:2009", "title="],
    );
    line(&text, &["INFO", "scplay_core", "app token granted"]);
    line(
        &text,
        &["INFO", "scplay_core", "refused the access token (401)"],
    );
    let renewals = text
        .lines()
        .filter(|l| l.contains("app token granted") || l.contains("access token renewed"))
        .count();
    assert!(
        renewals >= 2,
        "a token at the start and a renewal after the 401:\n{text}"
    );
    let refresh = line(&text, &["INFO", "signed URL expired", "refresh=1"]);
    assert!(refresh.contains("url="), "{refresh}");
    let retry = line(
        &text,
        &["WARN", "media request failed; retrying", "attempt=1"],
    );
    assert!(
        retry.contains("/2.m4s") && retry.contains("delay_ms="),
        "{retry}"
    );
    line(&text, &["INFO", "resumed"]);
    line(&text, &["INFO", "queue ended"]);

    let mut secrets = vec![catalog::CLIENT_SECRET.to_string()];
    for t in &tokens {
        secrets.push(t.access_token.expose().to_string());
        if let Some(r) = &t.refresh_token {
            secrets.push(r.expose().to_string());
        }
    }
    for s in &secrets {
        assert!(!text.contains(s.as_str()), "a secret in the logs:\n{text}");
    }
    for signed in ["Signature=", "expires=", "?"] {
        assert!(!text.contains(signed), "{signed:?} in the logs:\n{text}");
    }
}
