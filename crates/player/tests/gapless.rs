//! Gapless joins: the emulator's set (one continuous encode cut into three items, each with
//! its own priming and padding) played through the queue must come out as the continuous
//! recording, sample for sample, and with 50 ms per request no silence may enter a join.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use scplay_emulator::{Fault, FaultKind, Origin, catalog};
use scplay_player::{Player, PlayerOptions, Prefer, Sink, StatsSnapshot, Target};

/// Source samples (per channel) of the set and where its items join.
const SET_FRAMES: usize = 780_570;
const JOINS: [usize; 2] = [149_947, 617_413];

/// The continuous encode, decoded by symphonia on its own (priming trimmed), 2 channels.
fn continuous(file: &str, priming: u64) -> Vec<f32> {
    let path = format!("{}/../emulator/fixtures/{file}", env!("CARGO_MANIFEST_DIR"));
    let ext = file.rsplit('.').next().unwrap();
    let (rate, ch, mut s) = reference_decode(std::fs::read(path).unwrap(), ext, priming);
    assert_eq!((rate, ch), (44_100, 2));
    s.truncate(SET_FRAMES * 2);
    s
}

/// The lag (frames, within ±`reach`) at which `got` best matches `want` around frame `at`.
fn best_lag(want: &[f32], got: &[f32], at: usize, reach: isize) -> isize {
    let (from, to) = (at.saturating_sub(2048), (at + 2048).min(want.len() / 2));
    (-reach..=reach)
        .min_by(|a, b| {
            let err = |lag: isize| -> f64 {
                (from..to)
                    .map(|i| {
                        let j = i as isize + lag;
                        let g = if j < 0 {
                            0.0
                        } else {
                            got.get(j as usize * 2).copied().unwrap_or(0.0)
                        };
                        f64::from(g - want[i * 2]).powi(2)
                    })
                    .sum()
            };
            err(*a).total_cmp(&err(*b))
        })
        .unwrap()
}

/// Plays `targets` as one queue to a WAV file; its samples and the player's counters.
fn play_queue_to_wav(
    c: scplay_core::Client,
    targets: Vec<Target>,
    opts: PlayerOptions,
    name: &str,
) -> (Vec<f32>, StatsSnapshot) {
    let path = temp_wav(name);
    let player = Player::new(Some(c), Sink::Wav(path.clone()), opts).unwrap();
    player.play_all(targets);
    player.wait().unwrap();
    let stats = player.stats();
    drop(player);
    let (f, s) = take_wav(&path);
    assert_eq!((f.rate, f.channels), (44_100, 2));
    (s, stats)
}

/// Items 1 and 3 of the set.
fn first_and_last() -> Vec<Target> {
    vec![
        Target::Track(catalog::TRACK_SET_1.into()),
        Target::Track(catalog::TRACK_SET_3.into()),
    ]
}

fn check_joins(kind: &str, want: &[f32], got: &[f32]) {
    assert_eq!(
        got.len(),
        want.len(),
        "{kind}: the set plays exactly its length"
    );
    for at in JOINS {
        let lag = best_lag(want, got, at, 64);
        assert_eq!(lag, 0, "{kind}: the join at {at} is {lag} frames off");
    }
    let snr = snr_db(want, got);
    eprintln!("{kind}: joins 0 frames off, whole-set SNR {snr:.1} dB");
    assert!(snr >= 90.0, "{kind}: SNR {snr:.1} dB");
}

/// Plays the set preferring `prefer` and checks it against the continuous encode `file`.
async fn set_matches_continuous(prefer: Prefer, file: &str, priming: u64) {
    let emu = emulator().await;
    let c = client(&emu);
    let name = format!("set-{file}");
    let opts = PlayerOptions {
        prefer,
        ..PlayerOptions::default()
    };
    let (got, _) =
        tokio::task::spawn_blocking(move || play_queue_to_wav(c, set_targets(), opts, &name))
            .await
            .unwrap();
    check_joins(file, &continuous(file, priming), &got);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_aac_set_plays_back_as_the_continuous_recording() {
    set_matches_continuous(Prefer::Aac, "set.aac", 1024).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mp3_set_plays_back_as_the_continuous_recording() {
    // symphonia trims the continuous MP3's LAME delay and padding itself.
    set_matches_continuous(Prefer::Mp3, "set.mp3", 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_50_ms_per_request_no_silence_enters_the_join() {
    let emu = emulator().await;
    for origin in [Origin::Api, Origin::Cdn] {
        emu.add_fault(Fault::on("", FaultKind::Latency(Duration::from_millis(50))).at(origin));
    }
    let c = client(&emu);
    let opts = PlayerOptions {
        realtime: true,
        ..PlayerOptions::default()
    };
    // Items 1 and 3 (7.1 s, real time): the second must be ready when the first ends.
    let (samples, stats) = tokio::task::spawn_blocking(move || {
        play_queue_to_wav(c, first_and_last(), opts, "set-latency")
    })
    .await
    .unwrap();
    assert_eq!(stats.silence_frames, 0, "silence inserted: {stats:?}");
    assert_eq!(stats.underruns, 0, "{stats:?}");
    assert_eq!(
        samples.len(),
        (JOINS[0] + (SET_FRAMES - JOINS[1])) * 2,
        "exactly the two items, nothing between"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crossfade_overlaps_the_items_and_leaves_the_rest_untouched() {
    let emu = emulator().await;
    let c = client(&emu);
    let opts = PlayerOptions {
        crossfade: Duration::from_secs(1),
        ..PlayerOptions::default()
    };
    let (got, _) = tokio::task::spawn_blocking(move || {
        play_queue_to_wav(c, first_and_last(), opts, "crossfade")
    })
    .await
    .unwrap();
    let want = continuous("set.aac", 1024);
    let (n1, n3, x) = (JOINS[0], SET_FRAMES - JOINS[1], 44_100);
    assert_eq!(got.len(), (n1 + n3 - x) * 2, "the items overlap by 1 s");
    assert!(
        got[..(n1 - x) * 2] == want[..(n1 - x) * 2],
        "before the fade: item 1 untouched"
    );
    assert!(
        got[n1 * 2..] == want[(JOINS[1] + x) * 2..],
        "after the fade: item 3 untouched"
    );
    // Mid-fade: both items at -3 dB (equal power).
    let mid = n1 - x / 2;
    let g = std::f32::consts::FRAC_1_SQRT_2;
    for i in mid * 2..mid * 2 + 64 {
        let j = i - (n1 - x) * 2;
        let expect = want[i] * g + want[JOINS[1] * 2 + j] * g;
        assert!(
            (got[i] - expect).abs() < 1e-3,
            "{i}: {} vs {expect}",
            got[i]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_are_resampled_into_the_running_output_without_a_break() {
    let emu = emulator().await;
    let c = client(&emu);
    let got = tokio::task::spawn_blocking(move || play_to_48k_mono(Some(c), set_targets()))
        .await
        .unwrap();
    let want = continuous("set.aac", 1024);
    let expected: usize = [JOINS[0], JOINS[1] - JOINS[0], SET_FRAMES - JOINS[1]]
        .iter()
        .map(|n| (*n as f64 * 48_000.0 / 44_100.0).round() as usize)
        .sum();
    assert!(
        (got.len() as i64 - expected as i64).abs() <= 2,
        "{} frames, expected {expected}",
        got.len()
    );
    let approx = to_48k_mono(&want, got.len());
    for at in JOINS {
        let o = (at as f64 * 48_000.0 / 44_100.0) as usize;
        let window = o - 2400..o + 2400;
        let snr = snr_db(&approx[window.clone()], &got[window]);
        assert!(snr > 25.0, "around the join at {at}: SNR {snr:.1} dB");
    }
    let snr = snr_db(&approx, &got);
    assert!(snr > 25.0, "whole set: SNR {snr:.1} dB");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sine_split_across_two_items_resamples_as_the_unsplit_sine() {
    // 2 s of a 441 Hz sine, 44.1 kHz stereo, split at an odd frame into two items; the
    // output wants 48 kHz mono, so both runs go through the resampler.
    let format = scplay_player::Format {
        rate: 44_100,
        channels: 2,
    };
    let sine: Vec<f32> = (0..88_200)
        .flat_map(|i| {
            let v = (i as f32 * 441.0 * std::f32::consts::TAU / 44_100.0).sin() * 0.5;
            [v, v]
        })
        .collect();
    let cut = 2 * 30_011;
    let base = serve(vec![
        ("/whole.wav".into(), wav_bytes("sine-whole", format, &sine)),
        ("/a.wav".into(), wav_bytes("sine-a", format, &sine[..cut])),
        ("/b.wav".into(), wav_bytes("sine-b", format, &sine[cut..])),
    ])
    .await;
    let target = move |p: &str| format!("{base}{p}").parse::<Target>().unwrap();
    let (whole, split) = tokio::task::spawn_blocking(move || {
        (
            play_to_48k_mono(None, vec![target("/whole.wav")]),
            play_to_48k_mono(None, vec![target("/a.wav"), target("/b.wav")]),
        )
    })
    .await
    .unwrap();
    assert!(whole.len() > 95_000, "{} frames", whole.len());
    assert_eq!(split.len(), whole.len(), "same length");
    let worst = whole
        .iter()
        .zip(&split)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(
        worst <= 1e-6,
        "the split differs from the whole by up to {worst}"
    );
}
