//! `Player::status` (the read-only snapshot remotes show) and the retry counter.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use scplay_emulator::{Fault, FaultKind, Origin, catalog};
use scplay_player::{Player, PlayerEvent, PlayerOptions, PlayerState, Repeat, Sink};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_shows_the_item_heard_the_queue_and_the_settings() {
    let emu = emulator().await;
    let c = client(&emu);
    tokio::task::spawn_blocking(move || {
        let opts = PlayerOptions {
            realtime: true,
            ..PlayerOptions::default()
        };
        let player = Player::new(Some(c), Sink::Null, opts).unwrap();
        let before = player.status();
        assert_eq!(before.state, PlayerState::Idle);
        assert_eq!((before.track.clone(), before.queue_len), (None, 0));
        let events = player.events();
        player.play(&catalog::TRACK_DEMO_1.to_string()).unwrap();
        player.enqueue(&catalog::TRACK_DEMO_2.to_string()).unwrap();
        player.set_repeat(Repeat::All);
        player.set_volume(0.25).unwrap();
        assert!(
            wait_event(&events, Duration::from_secs(10), |e| matches!(
                e,
                PlayerEvent::TrackChanged { index: 0, .. }
            ))
            .is_some(),
            "the first track is heard"
        );
        assert!(wait_until(Duration::from_secs(5), || {
            let s = player.status();
            s.state == PlayerState::Playing
                && s.queue_len == 2
                && s.repeat == Repeat::All
                && s.volume == 0.25
        }));
        let s = player.status();
        let track = s.track.unwrap();
        assert_eq!((track.index, s.queue_index), (0, Some(0)));
        assert_eq!(track.info.uploader.as_deref(), Some("scplay-demo"));
        assert!(track.info.duration_ms.is_some());
        player.next();
        assert!(
            wait_event(&events, Duration::from_secs(10), |e| matches!(
                e,
                PlayerEvent::TrackChanged { index: 1, .. }
            ))
            .is_some(),
            "the second track is heard"
        );
        let s = player.status();
        assert_eq!(s.track.map(|t| t.index), Some(1));
        assert_eq!(s.queue_index, Some(1));
        player.shuffle(Some(7));
        assert!(wait_until(Duration::from_secs(5), || player
            .status()
            .shuffle
            == Some(7)));
        player.stop();
        assert!(wait_until(Duration::from_secs(5), || {
            let s = player.status();
            s.state == PlayerState::Idle && s.track.is_none()
        }));
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_retries_are_counted() {
    let emu = emulator().await;
    let url = emu.sign_cdn_path(
        &format!("/aac/{}/160/playlist.m3u8", catalog::TRACK_PLAYABLE),
        Duration::from_secs(300),
    );
    emu.add_fault(
        Fault::on("/1.m4s", FaultKind::Status(503))
            .at(Origin::Cdn)
            .times(2),
    );
    tokio::task::spawn_blocking(move || {
        let player = Player::new(None, Sink::Null, PlayerOptions::default()).unwrap();
        assert_eq!(player.stats().retries, 0);
        player.play(&url).unwrap();
        player.wait_timeout(Duration::from_secs(60)).unwrap();
        assert_eq!(player.stats().retries, 2, "two 503s, each tried again");
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn underruns_and_silence_show_while_the_output_is_open() {
    let emu = emulator().await;
    // About a second of audio, then nothing for 3 s: an underrun mid-track.
    let url = stalled_mp3(&emu);
    tokio::task::spawn_blocking(move || {
        let opts = PlayerOptions {
            realtime: true,
            ..PlayerOptions::default()
        };
        let player = Player::new(None, Sink::Null, opts).unwrap();
        let events = player.events();
        player.play(&url).unwrap();
        assert!(
            wait_event(&events, Duration::from_secs(10), |e| matches!(
                e,
                PlayerEvent::Underrun
            ))
            .is_some(),
            "an underrun"
        );
        // Counted before the session ends (a kiosk's session may never end).
        assert!(wait_until(Duration::from_secs(2), || {
            let s = player.stats();
            s.underruns >= 1 && s.silence_frames > 0
        }));
        assert_ne!(player.state(), PlayerState::Idle, "still playing");
        let during = player.stats();
        player.wait_timeout(Duration::from_secs(30)).unwrap();
        let after = player.stats();
        assert!(
            after.underruns >= during.underruns,
            "{during:?} → {after:?}"
        );
        assert!(after.silence_frames >= during.silence_frames);
    })
    .await
    .unwrap();
}
