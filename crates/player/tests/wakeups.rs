//! What playback costs a small CPU between bursts of work: how often the engine thread wakes
//! (`StatsSnapshot::engine_wakeups`), unpaced and through a network stall.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use scplay_emulator::{Fault, FaultKind, Origin, catalog};
use scplay_player::{Player, PlayerEvent, PlayerOptions, Sink};

/// A player playing `url` in real time to the null sink, and its events.
fn playing_in_real_time(url: &str) -> (Player, std::sync::mpsc::Receiver<PlayerEvent>) {
    let opts = PlayerOptions {
        realtime: true,
        ..PlayerOptions::default()
    };
    let player = Player::new(None, Sink::Null, opts).unwrap();
    let events = player.events();
    player.play(url).unwrap();
    (player, events)
}

/// Unpaced, the threads hand audio on in bursts of half a ring: a few wake-ups per second of
/// audio, not one per block or per 5 ms timer (about 14 a second before).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unpaced_playback_hands_audio_on_in_bursts() {
    let emu = emulator().await;
    let url = emu.sign_cdn_path(
        &format!("/aac/{}/160/playlist.m3u8", catalog::TRACK_THREE_MINUTES),
        Duration::from_secs(300),
    );
    let stats = tokio::task::spawn_blocking(move || {
        let player = Player::new(None, Sink::Null, PlayerOptions::default()).unwrap();
        player.play(&url).unwrap();
        player.wait().unwrap();
        player.stats()
    })
    .await
    .unwrap();
    // The three-minute track: 180 s of audio.
    let per_audio_second = stats.engine_wakeups as f64 / 180.0;
    eprintln!(
        "{} engine wake-ups for 180 s of audio",
        stats.engine_wakeups
    );
    assert!(
        per_audio_second < 5.0,
        "{} wake-ups for 180 s of audio ({per_audio_second:.1} a second)",
        stats.engine_wakeups
    );
}

/// Paced, while the network stalls and the output has run dry the engine sleeps until audio
/// comes (the item wakes it), instead of looking every 5 ms (200 times a second before).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_network_stall_is_slept_through_not_polled() {
    let emu = emulator().await;
    // A progressive file: about a second of audio, then nothing for 3 s.
    let url = stalled_mp3(&emu);
    let (wakeups, starved) = tokio::task::spawn_blocking(move || {
        let (player, events) = playing_in_real_time(&url);
        wait_event(&events, Duration::from_secs(10), |e| {
            matches!(e, PlayerEvent::Underrun)
        })
        .expect("the output runs dry");
        let (from, since) = (player.stats().engine_wakeups, Instant::now());
        wait_event(&events, Duration::from_secs(10), |e| {
            matches!(e, PlayerEvent::Buffering { percent: 100 })
        })
        .expect("audio flows again");
        let got = (player.stats().engine_wakeups - from, since.elapsed());
        player.stop();
        got
    })
    .await
    .unwrap();
    assert!(
        starved > Duration::from_millis(500),
        "the stall lasted {starved:?}"
    );
    let per_second = wakeups as f64 / starved.as_secs_f64();
    eprintln!("{wakeups} engine wake-ups in {starved:?} without audio");
    assert!(
        per_second < 20.0,
        "{wakeups} wake-ups in {starved:?} without audio ({per_second:.0} a second)"
    );
}

/// Paced, after a seek far outside what was fetched the output waits for the new audio (no
/// underrun); the engine sleeps until the item has it instead of looking every few
/// milliseconds (about 100 times a second before).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wait_after_a_seek_is_slept_through_not_polled() {
    let emu = emulator().await;
    let url = emu.sign_cdn_path(
        &format!("/aac/{}/160/playlist.m3u8", catalog::TRACK_HOUR),
        Duration::from_secs(300),
    );
    let emu = std::sync::Arc::new(emu);
    let e = emu.clone();
    let (wakeups, waited) = tokio::task::spawn_blocking(move || {
        let (player, events) = playing_in_real_time(&url);
        wait_event(&events, Duration::from_secs(10), |e| {
            matches!(e, PlayerEvent::Playing { .. })
        })
        .expect("playing");
        // Half an hour in is far outside what was fetched; the CDN answers a second late.
        e.add_fault(Fault::on("/", FaultKind::Latency(Duration::from_secs(1))).at(Origin::Cdn));
        let (from, since) = (player.stats().engine_wakeups, Instant::now());
        player.seek(Duration::from_secs(1800));
        wait_event(&events, Duration::from_secs(10), |e| {
            matches!(e, PlayerEvent::Seeked(_))
        })
        .expect("the seek's audio comes");
        let got = (player.stats().engine_wakeups - from, since.elapsed());
        player.stop();
        got
    })
    .await
    .unwrap();
    eprintln!("{wakeups} engine wake-ups in the {waited:?} after a seek");
    assert!(waited > Duration::from_millis(900), "waited {waited:?}");
    let per_second = wakeups as f64 / waited.as_secs_f64();
    assert!(
        per_second < 25.0,
        "{wakeups} wake-ups in the {waited:?} after a seek ({per_second:.0} a second)"
    );
}
