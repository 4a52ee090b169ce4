//! Loudness normalisation end to end, measured with an independent meter (ffmpeg's `ebur128`
//! filter; `make deps` installs ffmpeg): a track mastered at −27 LUFS and one at −11 LUFS,
//! made from the emulator's own recording and served as WAV files over loopback, both come
//! out at −14 ± 1.5 LUFS with true peaks ≤ −1 dBTP; no sample above the ceiling; the gain
//! only ever moves by click-free ramps; the output has exactly the input's frames; and in
//! album mode the emulator's gapless set keeps one gain across its joins.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use common::*;
use scplay_emulator::catalog;
use scplay_player::{
    Format, Loudness, LoudnessMode, Player, PlayerOptions, SampleWriter, Sink, Target, WavWriter,
};

const RATE: u32 = 44_100;

fn write_wav(path: &Path, samples: &[f32]) {
    let mut w = WavWriter::new(path);
    w.begin(Format {
        rate: RATE,
        channels: 2,
    })
    .unwrap();
    w.write(samples).unwrap();
    w.end().unwrap();
}

/// The emulator's main recording, decoded, scaled to `lufs` (by ffmpeg's reading).
fn mastered_at(lufs: f64, name: &str) -> Vec<f32> {
    let path = format!(
        "{}/../emulator/fixtures/main.mp3",
        env!("CARGO_MANIFEST_DIR")
    );
    let (rate, ch, mut s) = reference_decode(std::fs::read(path).unwrap(), "mp3", 0);
    assert_eq!((rate, ch), (RATE, 2));
    s.truncate(20 * RATE as usize * 2); // 20 s
    let probe = temp_wav(&format!("{name}-probe"));
    write_wav(&probe, &s);
    let (was, _) = ffmpeg::ebur128(&probe);
    let gain = 10f32.powf(((lufs - was) / 20.0) as f32);
    s.iter_mut().for_each(|x| *x *= gain);
    write_wav(&probe, &s);
    let (now, _) = ffmpeg::ebur128(&probe);
    assert!((now - lufs).abs() <= 0.2, "made {now} LUFS, wanted {lufs}");
    s
}

/// Plays `targets` as one queue to a WAV file; its samples.
fn play(
    c: Option<scplay_core::Client>,
    targets: Vec<Target>,
    opts: PlayerOptions,
    name: &str,
) -> Vec<f32> {
    let path = temp_wav(name);
    let player = Player::new(c, Sink::Wav(path.clone()), opts).unwrap();
    player.play_all(targets);
    player.wait().unwrap();
    drop(player);
    let (f, s) = take_wav(&path);
    assert_eq!((f.rate, f.channels), (RATE, 2));
    s
}

/// Per frame (left channel, where the input is not near silence): the gain out / in.
fn gains(input: &[f32], output: &[f32]) -> Vec<(usize, f64)> {
    input
        .chunks(2)
        .zip(output.chunks(2))
        .enumerate()
        .filter(|(_, (i, _))| i[0].abs() > 0.01)
        .map(|(k, (i, o))| (k, f64::from(o[0]) / f64::from(i[0])))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quiet_and_loud_tracks_both_come_out_at_minus_14_lufs_under_minus_1_dbtp() {
    let quiet = mastered_at(-27.0, "quiet");
    let loud = mastered_at(-11.0, "loud");
    let mut files = Vec::new();
    for (name, s) in [("quiet", &quiet), ("loud", &loud)] {
        let p = temp_wav(&format!("{name}-src"));
        write_wav(&p, s);
        files.push((format!("/{name}.wav"), std::fs::read(&p).unwrap()));
    }
    let base = serve(files).await;
    let targets: Vec<Target> = ["quiet", "loud"]
        .iter()
        .map(|n| format!("{base}/{n}.wav").parse::<Target>().unwrap())
        .collect();
    let opts = PlayerOptions {
        normalize: Some(Loudness::default()),
        ..PlayerOptions::default()
    };
    let out = tokio::task::spawn_blocking(move || play(None, targets, opts, "normalized"))
        .await
        .unwrap();

    // Frames out = frames in: the limiter's look-ahead changes neither length nor timeline.
    let input: Vec<f32> = quiet.iter().chain(&loud).copied().collect();
    assert_eq!(out.len(), input.len());

    // The independent meter, on each track as the player wrote it.
    for (name, part) in [
        ("quiet", &out[..quiet.len()]),
        ("loud", &out[quiet.len()..]),
    ] {
        let p = temp_wav(&format!("{name}-out"));
        write_wav(&p, part);
        let (lufs, peak) = ffmpeg::ebur128(&p);
        eprintln!("{name}: {lufs} LUFS, true peak {peak} dBTP");
        assert!((lufs + 14.0).abs() <= 1.5, "{name}: {lufs} LUFS");
        assert!(peak <= -1.0, "{name}: true peak {peak} dBTP");
    }
    let ceiling = 10f32.powf(-1.0 / 20.0);
    let top = out.iter().fold(0.0f32, |m, s| m.max(s.abs()));
    assert!(top <= ceiling, "a sample at {top}");

    // The gain never moves faster than a ramp from nothing to full in 4 ms, anywhere
    // (the join between the two tracks included).
    let g = gains(&input, &out);
    let full = g.iter().fold(0.0f64, |m, &(_, x)| m.max(x));
    let max_step = full / (0.004 * f64::from(RATE));
    for w in g.windows(2) {
        let ((k0, g0), (k1, g1)) = (w[0], w[1]);
        let step = (g1 - g0).abs() / (k1 - k0) as f64;
        assert!(step <= max_step, "gain {g0:.4} → {g1:.4} at frame {k1}");
    }
    // Held after the first seconds: from 4 s into each track the gain only dips (limiter)
    // and comes back, around one level.
    for (from, to) in [(4, 20), (24, 40)] {
        let held: Vec<f64> = g
            .iter()
            .filter(|(k, _)| (from * RATE as usize..to * RATE as usize).contains(k))
            .map(|&(_, x)| x)
            .collect();
        let top = held.iter().fold(0.0f64, |m, &x| m.max(x));
        let at_top = held.iter().filter(|&&x| x > top * 0.999).count();
        assert!(
            at_top * 2 > held.len(),
            "the gain wanders from {from} s: top {top}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn album_mode_keeps_one_gain_across_the_gapless_joins_of_a_set() {
    let emu = emulator().await;
    let c = client(&emu);
    let c2 = c.clone();
    let plain = tokio::task::spawn_blocking(move || {
        play(
            Some(c),
            set_targets(),
            PlayerOptions::default(),
            "set-plain",
        )
    })
    .await
    .unwrap();
    let opts = PlayerOptions {
        normalize: Some(Loudness {
            target_lufs: -16.0,
            mode: LoudnessMode::Album,
            ..Loudness::default()
        }),
        ..PlayerOptions::default()
    };
    let album =
        tokio::task::spawn_blocking(move || play(Some(c2), set_targets(), opts, "set-album"))
            .await
            .unwrap();
    assert_eq!(album.len(), plain.len(), "same frames, same timeline");
    // After the first seconds one gain, the same on every item: the joins (at frames
    // 149,947 and 617,413 of the set; see gapless.rs) are as continuous as without
    // normalisation, which gapless.rs proves sample for sample.
    let g = gains(&plain, &album);
    let settled: Vec<f64> = g
        .iter()
        .filter(|(k, _)| *k >= 4 * RATE as usize)
        .map(|&(_, x)| x)
        .collect();
    let first = settled[0];
    assert!(
        first > 1.0,
        "the set (−16.7 LUFS) was brought up to −16: {first}"
    );
    for x in &settled {
        assert!((x - first).abs() <= 1e-4 * first, "gain {x} vs {first}");
    }
    assert!(
        g.last().unwrap().0 > 617_413 + RATE as usize,
        "measured past the last join"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_crossfade_the_length_is_kept_and_nothing_passes_the_ceiling() {
    let emu = emulator().await;
    let c = client(&emu);
    let demo = || -> Vec<Target> {
        [catalog::TRACK_DEMO_1, catalog::TRACK_DEMO_2]
            .into_iter()
            .map(|id| Target::Track(id.into()))
            .collect()
    };
    let xfade = PlayerOptions {
        crossfade: std::time::Duration::from_secs(1),
        ..PlayerOptions::default()
    };
    let opts = PlayerOptions {
        normalize: Some(Loudness {
            target_lufs: -8.0, // loud: the limiter works through the crossfade
            ..Loudness::default()
        }),
        ..xfade.clone()
    };
    let (c2, d2) = (c.clone(), demo());
    let plain = tokio::task::spawn_blocking(move || play(Some(c2), d2, xfade, "xfade-plain"))
        .await
        .unwrap();
    let loud = tokio::task::spawn_blocking(move || play(Some(c), demo(), opts, "xfade-loud"))
        .await
        .unwrap();
    assert_eq!(loud.len(), plain.len());
    let ceiling = 10f32.powf(-1.0 / 20.0);
    let top = loud.iter().fold(0.0f32, |m, s| m.max(s.abs()));
    assert!(top <= ceiling && top > 0.8, "peak {top}");
}
