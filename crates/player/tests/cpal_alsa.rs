//! The real cpal path on a machine without a sound card: an ALSA `file` PCM (with `null` as
//! its slave) defined in a test-only config records exactly what the cpal sink plays.
#![cfg(feature = "cpal")]
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use scplay_emulator::catalog;
use scplay_player::{Player, PlayerOptions, Sink};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cpal_plays_through_alsa_what_the_stream_holds() {
    let system_conf = std::path::Path::new("/usr/share/alsa/alsa.conf");
    assert!(
        system_conf.exists(),
        "libasound2 is installed by the README's commands"
    );
    let dir = std::env::temp_dir().join(format!("scplay-alsa-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let capture = dir.join("capture.raw");
    let conf = dir.join("asound.conf");
    std::fs::write(
        &conf,
        format!("pcm.scplaycap {{\n type file\n slave.pcm \"null\"\n file \"{}\"\n format \"raw\"\n}}\n", capture.display()),
    )
    .unwrap();
    // SAFETY: this test binary holds this one test and sets the variable before anything in
    // the process reads the environment or opens ALSA.
    unsafe {
        std::env::set_var(
            "ALSA_CONFIG_PATH",
            format!("{}:{}", system_conf.display(), conf.display()),
        );
    }
    let emu = emulator().await;
    let url = emu.sign_cdn_path(
        &format!("/{}.128.mp3", catalog::TRACK_DEMO_2),
        Duration::from_secs(300),
    );
    let (data, _, _) = download(&url).await;
    let want = tokio::task::spawn_blocking(move || reference_decode(data, "mp3", 0))
        .await
        .unwrap();
    tokio::task::spawn_blocking(move || {
        let sink = Sink::Cpal {
            device: Some("alsa:scplaycap".into()),
        };
        let player = Player::new(None, sink, PlayerOptions::default()).unwrap();
        player.play(&url).unwrap();
        player.wait().unwrap();
    })
    .await
    .unwrap();
    // Read, then removed before anything can fail (the capture is large).
    let raw = std::fs::read(&capture).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    let got: Vec<f32> = raw
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    // ALSA's null device takes audio as fast as it comes, so the callback can outrun the
    // decoder and fill silence (an underrun, as the sink reports). The music itself holds no
    // runs of exact zeros: drop those runs on both sides and compare what played.
    let strip = |v: &[f32]| -> Vec<f32> {
        v.chunks(2)
            .filter(|f| f.iter().any(|s| *s != 0.0))
            .flatten()
            .copied()
            .collect()
    };
    let (want, got) = (strip(&want.2), strip(&got));
    assert_eq!(
        got.len(),
        want.len(),
        "every sample of the stream was played once"
    );
    let snr = snr_db(&want, &got);
    assert!(snr >= 90.0, "SNR {snr:.1} dB");
}
