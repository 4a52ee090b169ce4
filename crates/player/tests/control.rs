//! Pause, resume, stop, volume, attribution and counters.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use scplay_emulator::catalog;
use scplay_player::{Player, PlayerError, PlayerEvent, PlayerOptions, PlayerState, Sink};

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
        assert!(
            wait_until(Duration::from_secs(10), || player.position()
                >= Duration::from_millis(500)),
            "never started"
        );
        player.pause();
        assert!(
            wait_until(Duration::from_secs(5), || player.state()
                == PlayerState::Paused),
            "paused"
        );
        // Paused, the output plays one 10 ms ramp down and then nothing; the position is
        // published at least every 250 ms, so it may still catch up by that much, no further.
        let paused_at = player.position();
        assert!(
            !wait_until(Duration::from_secs(1), || player.position()
                > paused_at + Duration::from_millis(300)),
            "the position holds while paused: {:?} from {paused_at:?}",
            player.position()
        );
        let paused_at = player.position();
        player.resume();
        assert!(
            wait_until(Duration::from_secs(5), || player.position()
                >= paused_at + Duration::from_millis(250)),
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

/// A pipe whose reader goes away after `left` bytes.
struct ClosingPipe {
    left: usize,
}

impl std::io::Write for ClosingPipe {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            return Err(std::io::ErrorKind::BrokenPipe.into());
        }
        let n = buf.len().min(self.left);
        self.left -= n;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_pipe_ends_playback_instead_of_reopening_it() {
    let emu = emulator().await;
    let url = emu.sign_cdn_path(
        &format!("/aac/{}/160/playlist.m3u8", catalog::TRACK_PLAYABLE),
        Duration::from_secs(300),
    );
    tokio::task::spawn_blocking(move || {
        let sink = Sink::Pipe(Box::new(ClosingPipe { left: 100 }));
        let player = Player::new(None, sink, PlayerOptions::default()).unwrap();
        let events = player.events();
        player.play(&url).unwrap();
        let start = Instant::now();
        let result = player.wait_timeout(Duration::from_secs(10));
        assert!(
            player.is_idle(),
            "still playing after {:?}",
            start.elapsed()
        );
        assert!(
            matches!(result, Err(PlayerError::OutputClosed)),
            "{result:?}"
        );
        let seen: Vec<_> = events.try_iter().collect();
        assert!(
            !seen
                .iter()
                .any(|e| matches!(e, PlayerEvent::DeviceLost(_) | PlayerEvent::DeviceRestored)),
            "{seen:?}"
        );
    })
    .await
    .unwrap();
}

#[test]
fn volumes_that_are_not_numbers_from_0_to_1_are_refused() {
    for bad in [f32::NAN, f32::INFINITY, -0.1, 1.5] {
        let opts = PlayerOptions {
            volume: bad,
            ..PlayerOptions::default()
        };
        assert!(matches!(
            Player::new(None, Sink::Null, opts),
            Err(PlayerError::InvalidVolume(_))
        ));
    }
    let player = Player::new(None, Sink::Null, PlayerOptions::default()).unwrap();
    assert!(matches!(
        player.set_volume(f32::NAN),
        Err(PlayerError::InvalidVolume(v)) if v.is_nan()
    ));
    assert!(player.set_volume(f32::NEG_INFINITY).is_err());
    assert!(player.set_volume(0.0).is_ok() && player.set_volume(1.0).is_ok());
}

#[test]
fn bad_targets_are_refused_at_once() {
    let player = Player::new(None, Sink::Null, PlayerOptions::default()).unwrap();
    assert!(player.play("ftp://example.com/a.mp3").is_err());
    assert!(player.play("not a thing").is_err());
    assert!(player.play("soundcloud:users:1").is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resamples_and_maps_channels_when_the_sink_needs_it() {
    let emu = emulator().await;
    let url = emu.sign_cdn_path(
        &format!("/{}.128.mp3", catalog::TRACK_DEMO_1),
        Duration::from_secs(300),
    );
    let (data, _, _) = download(&url).await;
    let want = tokio::task::spawn_blocking(move || reference_decode(data, "mp3", 0))
        .await
        .unwrap();
    let target: scplay_player::Target = url.parse().unwrap();
    let got = tokio::task::spawn_blocking(move || play_to_48k_mono(None, vec![target]))
        .await
        .unwrap();
    let expected_len = (want.2.len() as f64 / 2.0 * 48_000.0 / 44_100.0).round() as usize;
    assert!(
        (got.len() as i64 - expected_len as i64).abs() <= 1,
        "{} frames, expected {expected_len}",
        got.len()
    );
    let approx = to_48k_mono(&want.2, expected_len);
    let snr = snr_db(&approx, &got);
    assert!(
        snr > 25.0,
        "resampled audio does not follow the stream (SNR {snr:.1} dB)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_is_an_error_not_a_hang() {
    let emu = emulator().await;
    // JSON where audio should be: the decoder refuses it, the fetch is stopped, play returns.
    let url = format!(
        "{}/oembed?format=json&url=https://soundcloud.com/lena-tide/tidal-lines",
        emu.web_base()
    );
    let err = tokio::task::spawn_blocking(move || {
        let player = Player::new(None, Sink::Null, PlayerOptions::default()).unwrap();
        player.play(&url).unwrap();
        player.wait_timeout(Duration::from_secs(20)).unwrap_err()
    })
    .await
    .unwrap();
    // Not audio: a typed error that says the item cannot be played (not a network failure).
    assert!(
        matches!(err, scplay_player::PlayerError::Unsupported(_)),
        "{err}"
    );
    assert!(err.is_not_playable() && !err.is_transient());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_before_play_holds_the_next_track() {
    let emu = emulator().await;
    let url = emu.sign_cdn_path(
        &format!("/aac/{}/160/playlist.m3u8", catalog::TRACK_DEMO_1),
        Duration::from_secs(300),
    );
    tokio::task::spawn_blocking(move || {
        let player = Player::new(None, Sink::Null, realtime()).unwrap();
        let events = player.events();
        player.pause();
        player.play(&url).unwrap();
        while !matches!(
            events.recv_timeout(Duration::from_secs(10)),
            Ok(PlayerEvent::Buffering { percent: 100 })
        ) {}
        assert!(
            !wait_until(Duration::from_millis(400), || player.position()
                > Duration::ZERO),
            "nothing plays while paused"
        );
        player.resume();
        assert!(wait_until(Duration::from_secs(5), || player.position()
            > Duration::from_millis(200)));
        player.stop();
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_media_failures_are_retried() {
    use scplay_emulator::{Fault, FaultKind, Origin};
    let emu = emulator().await;
    let url = emu.sign_cdn_path(
        &format!("/aac/{}/160/playlist.m3u8", catalog::TRACK_PLAYABLE),
        Duration::from_secs(300),
    );
    let url2 = url.clone();
    let clean = tokio::task::spawn_blocking(move || {
        play_to_wav(None, &url2, "retry-clean", PlayerOptions::default())
    })
    .await
    .unwrap();
    emu.add_fault(
        Fault::on("/1.m4s", FaultKind::Status(503))
            .at(Origin::Cdn)
            .times(2),
    );
    emu.add_fault(
        Fault::on("/2.m4s", FaultKind::DropAfter(1000))
            .at(Origin::Cdn)
            .times(1),
    );
    let faulty = tokio::task::spawn_blocking(move || {
        play_to_wav(None, &url, "retry-faulty", PlayerOptions::default())
    })
    .await
    .unwrap();
    assert_eq!(faulty.2, clean.2, "the output is the fault-free output");
    let hits = emu
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/1.m4s"))
        .count();
    assert_eq!(
        hits, 4,
        "two 503s, then success (twice: clean and faulty runs)"
    );
}
