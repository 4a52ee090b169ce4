//! The path from a track URN or soundcloud.com URL to the first media segment, counted in
//! round trips with the emulator's request log: every answer held back 300 ms, requests
//! that arrive together are one round trip. And no trust roots are read for plain HTTP; a
//! soundcloud.com URL played before skips `/resolve`, unless the page moved.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use scplay_emulator::{Fault, FaultKind, LoggedRequest, Origin, catalog};
use scplay_player::{Player, PlayerOptions, Sink};

/// Every answer this late: far above the scheduling jitter of a loaded machine, so requests
/// of one round trip arrive together and the next round trip's `LATENCY` later.
const LATENCY: Duration = Duration::from_millis(300);

/// A media segment (or init segment): not a playlist.
fn is_segment(r: &LoggedRequest) -> bool {
    r.origin == Origin::Cdn && !r.path.ends_with(".m3u8")
}

/// Plays `target` until its first media segment was asked for; returns the requests made,
/// and how many round trips (groups of requests arriving together) it took up to the one
/// that asked for the first segment.
fn round_trips(target: &str) -> (Vec<LoggedRequest>, usize) {
    round_trips_with(target, PlayerOptions::default())
}

/// [`round_trips`] with `opts`, against a new emulator (new ports) each time.
fn round_trips_with(target: &str, opts: PlayerOptions) -> (Vec<LoggedRequest>, usize) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let emu = rt.block_on(emulator());
    let client = client(&emu);
    // The token is fetched (and stored) first, as an earlier run would have.
    rt.block_on(client.track(catalog::TRACK_PLAYABLE)).unwrap();
    emu.add_fault(Fault::on("/", FaultKind::Latency(LATENCY)));
    emu.clear_requests();
    let player = Player::new(Some(client), Sink::Null, opts).unwrap();
    player.play(target).unwrap();
    assert!(
        wait_until(Duration::from_secs(20), || emu
            .requests()
            .iter()
            .any(is_segment)),
        "no media segment was fetched: {:?}",
        emu.requests()
    );
    drop(player);
    let mut log = emu.requests();
    log.sort_by_key(|r| r.at);
    let first_segment = log.iter().find(|r| is_segment(r)).unwrap().at;
    let arrivals: Vec<Duration> = log
        .iter()
        .map(|r| r.at)
        .filter(|at| *at <= first_segment)
        .collect();
    let trips = 1 + arrivals
        .windows(2)
        .filter(|w| w[1] - w[0] > LATENCY / 2)
        .count();
    (log, trips)
}

fn paths(log: &[LoggedRequest]) -> Vec<String> {
    log.iter()
        .map(|r| format!("{:?} {} {}", r.origin, r.path, r.at.as_millis()))
        .collect()
}

#[test]
fn a_track_urn_reaches_its_first_segment_in_four_round_trips() {
    let (log, trips) = round_trips(&format!("soundcloud:tracks:{}", catalog::TRACK_PLAYABLE));
    // metadata + /streams together, the stream hop, the playlist, init + first segment.
    assert_eq!(trips, 4, "{:#?}", paths(&log));
    // The stored token was used as it was: no call to the token endpoint.
    assert!(
        log.iter().all(|r| r.origin != Origin::Auth),
        "{:#?}",
        paths(&log)
    );
    // A direct or API target on plain HTTP reads no certificate.
    assert!(!scplay_core::tls::roots_loaded());
}

#[test]
fn a_soundcloud_url_reaches_its_first_segment_in_five_round_trips() {
    // /resolve, then the metadata and /streams together, the hop, the playlist, segments.
    let (log, trips) = round_trips("https://soundcloud.com/scplay-demo/first-light");
    assert_eq!(trips, 5, "{:#?}", paths(&log));
    assert!(
        log.iter().all(|r| r.origin != Origin::Auth),
        "{:#?}",
        paths(&log)
    );
}

#[test]
fn a_private_track_url_carries_its_secret_token_into_streams() {
    // /resolve's redirect names the track with its secret token: /streams is asked for
    // with it while the metadata is fetched, and not refused.
    let target = format!(
        "https://soundcloud.com/lena-tide/secret-sketch/{}",
        catalog::SECRET_TOKEN_TRACK
    );
    let (log, trips) = round_trips(&target);
    assert_eq!(trips, 5, "{:#?}", paths(&log));
    assert!(log.iter().all(|r| r.status < 400), "{:#?}", paths(&log));
}

const FIRST_LIGHT: &str = "https://soundcloud.com/scplay-demo/first-light";

fn page_cache(name: &str) -> (std::path::PathBuf, PlayerOptions) {
    let file = std::env::temp_dir().join(format!("scplay-pages-{}-{name}", std::process::id()));
    let _ = std::fs::remove_file(&file);
    let opts = PlayerOptions {
        page_cache: Some(file.clone()),
        ..PlayerOptions::default()
    };
    (file, opts)
}

fn asked_resolve(log: &[LoggedRequest]) -> bool {
    log.iter().any(|r| r.path == "/resolve")
}

/// The track whose media was fetched (`/aac/ID/…`).
fn media_of(log: &[LoggedRequest]) -> Vec<String> {
    let mut ids: Vec<String> = log
        .iter()
        .filter(|r| is_segment(r))
        .filter_map(|r| r.path.split('/').nth(2).map(str::to_string))
        .collect();
    ids.dedup();
    ids
}

#[test]
fn a_soundcloud_url_played_before_skips_resolve_even_after_a_restart() {
    let (file, opts) = page_cache("restart");
    let (log, trips) = round_trips_with(FIRST_LIGHT, opts.clone());
    assert_eq!(trips, 5, "{:#?}", paths(&log));
    // Another player (and another emulator, on other ports), the same page cache.
    let (log, trips) = round_trips_with(FIRST_LIGHT, opts.clone());
    assert!(!asked_resolve(&log), "{:#?}", paths(&log));
    assert_eq!(trips, 4, "{:#?}", paths(&log));
    assert_eq!(media_of(&log), [catalog::TRACK_DEMO_1.to_string()]);
    // A private link: its secret token travels in the remembered location.
    let private = format!(
        "https://soundcloud.com/lena-tide/secret-sketch/{}",
        catalog::SECRET_TOKEN_TRACK
    );
    round_trips_with(&private, opts.clone());
    let (log, trips) = round_trips_with(&private, opts);
    assert_eq!(trips, 4, "{:#?}", paths(&log));
    assert!(log.iter().all(|r| r.status < 400), "{:#?}", paths(&log));
    let _ = std::fs::remove_file(file);
}

#[test]
fn a_remembered_page_that_moved_or_went_is_resolved_again() {
    for (name, location, permalink) in [
        // The remembered track now has another permalink (the page moved).
        (
            "moved",
            format!("/tracks/{}", catalog::TRACK_PLAYABLE),
            FIRST_LIGHT.to_string(),
        ),
        // The remembered track is gone.
        (
            "gone",
            "/tracks/999999999".to_string(),
            FIRST_LIGHT.to_string(),
        ),
    ] {
        let (file, opts) = page_cache(name);
        std::fs::write(
            &file,
            format!("scplay-pages 1\n{FIRST_LIGHT}\t{location}\t{permalink}\n"),
        )
        .unwrap();
        let (log, _) = round_trips_with(FIRST_LIGHT, opts.clone());
        assert!(asked_resolve(&log), "{name}: {:#?}", paths(&log));
        assert_eq!(
            media_of(&log),
            [catalog::TRACK_DEMO_1.to_string()],
            "{name}: the page's own track plays"
        );
        // What it leads to now is remembered.
        let (log, trips) = round_trips_with(FIRST_LIGHT, opts);
        assert!(!asked_resolve(&log), "{name}: {:#?}", paths(&log));
        assert_eq!(trips, 4, "{name}: {:#?}", paths(&log));
        let _ = std::fs::remove_file(file);
    }
}
