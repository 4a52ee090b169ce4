//! Pause, resume, stop, volume, attribution and counters.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use scplay_emulator::catalog;
use scplay_player::{Player, PlayerEvent, PlayerOptions, Sink};

fn realtime() -> PlayerOptions {
    PlayerOptions {
        realtime: true,
        ..PlayerOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_resume_and_stop_behave() {
    let emu = emulator().await;
    let c = client(&emu);
    tokio::task::spawn_blocking(move || {
        let player = Player::new(Some(c), Sink::Null, realtime()).unwrap();
        let events = player.events();
        player.play(&catalog::TRACK_DEMO_2.to_string()).unwrap();
        let t = Instant::now();
        while player.position() < Duration::from_millis(500) {
            assert!(t.elapsed() < Duration::from_secs(10), "never started");
            std::thread::sleep(Duration::from_millis(10));
        }
        player.pause();
        std::thread::sleep(Duration::from_millis(100));
        let paused_at = player.position();
        std::thread::sleep(Duration::from_millis(400));
        assert!(
            player.position() <= paused_at + Duration::from_millis(20),
            "the position holds while paused"
        );
        player.resume();
        std::thread::sleep(Duration::from_millis(400));
        assert!(
            player.position() >= paused_at + Duration::from_millis(250),
            "it moves again"
        );
        player.stop();
        player.wait_timeout(Duration::from_secs(5)).unwrap();
        let seen: Vec<_> = events.try_iter().collect();
        for want in ["Playing", "Paused", "Resumed", "Stopped"] {
            assert!(
                seen.iter().any(|e| format!("{e:?}").starts_with(want)),
                "{want} in {seen:?}"
            );
        }
        assert!(!seen.iter().any(|e| matches!(e, PlayerEvent::EndOfTrack(_))));
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_credit_the_uploader() {
    let emu = emulator().await;
    let c = client(&emu);
    let (seen, stats) = tokio::task::spawn_blocking(move || {
        let player = Player::new(Some(c), Sink::Null, PlayerOptions::default()).unwrap();
        let events = player.events();
        player
            .play("https://soundcloud.com/scplay-demo/first-light")
            .unwrap();
        player.wait().unwrap();
        (events.try_iter().collect::<Vec<_>>(), player.stats())
    })
    .await
    .unwrap();
    let info = seen
        .iter()
        .find_map(|e| match e {
            PlayerEvent::Playing {
                info,
                preview: false,
                ..
            } => Some(info.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(info.uploader.as_deref(), Some("scplay-demo"));
    assert_eq!(
        info.link.as_deref(),
        Some("https://soundcloud.com/scplay-demo/first-light")
    );
    assert!(seen.iter().any(
        |e| matches!(e, PlayerEvent::EndOfTrack(i) if i.title.as_deref() == Some("First Light"))
    ));
    assert!(
        stats.time_to_first_audio.is_some()
            && stats.bytes_fetched > 100_000
            && stats.packets_skipped == 0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_tracks_credit_the_profile() {
    let emu = emulator().await;
    let c = client(&emu);
    let url = format!(
        "https://soundcloud.com/lena-tide/secret-sketch/{}",
        catalog::SECRET_TOKEN_TRACK
    );
    let seen = tokio::task::spawn_blocking(move || {
        let player = Player::new(Some(c), Sink::Null, PlayerOptions::default()).unwrap();
        let events = player.events();
        player.play(&url).unwrap();
        player.wait().unwrap();
        events.try_iter().collect::<Vec<_>>()
    })
    .await
    .unwrap();
    assert!(seen.iter().any(|e| matches!(e, PlayerEvent::Playing { info, .. } if info.link.as_deref() == Some("https://soundcloud.com/lena-tide"))), "{seen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn volume_scales_the_output() {
    let emu = emulator().await;
    let url = emu.sign_cdn_path(
        &format!("/aac/{}/160/playlist.m3u8", catalog::TRACK_DEMO_1),
        Duration::from_secs(300),
    );
    let url2 = url.clone();
    let full = tokio::task::spawn_blocking(move || {
        play_to_wav(None, &url, "vol-full", PlayerOptions::default())
    })
    .await
    .unwrap();
    let half = tokio::task::spawn_blocking(move || {
        play_to_wav(
            None,
            &url2,
            "vol-half",
            PlayerOptions {
                volume: 0.5,
                ..PlayerOptions::default()
            },
        )
    })
    .await
    .unwrap();
    assert_eq!(full.2.len(), half.2.len());
    assert!(
        full.2
            .iter()
            .zip(&half.2)
            .all(|(a, b)| (a * 0.5 - b).abs() < 1e-6)
    );
}

#[test]
fn bad_targets_are_refused_at_once() {
    let player = Player::new(None, Sink::Null, PlayerOptions::default()).unwrap();
    assert!(player.play("ftp://example.com/a.mp3").is_err());
    assert!(player.play("not a thing").is_err());
    assert!(player.play("soundcloud:users:1").is_err());
}
