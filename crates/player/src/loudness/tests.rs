#![allow(clippy::unwrap_used)]

use super::gain::{Gain, RAMP_SECS};
use super::limiter::Limiter;
use super::*;
use ebur128::{EbuR128, Mode};

const RATE: u32 = 44_100;

/// Deterministic noise with a 1 kHz tone, stereo, peak about `amp`.
fn signal(frames: usize, amp: f32, seed: u32) -> Vec<f32> {
    let mut x = seed;
    let mut out = Vec::with_capacity(frames * 2);
    for i in 0..frames {
        let tone = (i as f32 * 1000.0 * std::f32::consts::TAU / RATE as f32).sin();
        for _ in 0..2 {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let noise = (x >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0;
            out.push(amp * (0.5 * tone + 0.5 * noise));
        }
    }
    out
}

fn true_peak_db(s: &[f32]) -> f64 {
    let mut m = EbuR128::new(2, RATE, Mode::TRUE_PEAK).unwrap();
    m.add_frames_f32(s).unwrap();
    20.0 * m.true_peak(0).unwrap().max(m.true_peak(1).unwrap()).log10()
}

fn lufs(s: &[f32]) -> f64 {
    let mut m = EbuR128::new(2, RATE, Mode::I).unwrap();
    m.add_frames_f32(s).unwrap();
    m.loudness_global().unwrap()
}

/// Runs `input` through a limiter in blocks of `block` samples, then drains it.
fn limit(input: &[f32], block: usize) -> Vec<f32> {
    let mut l = Limiter::new(2, RATE, -1.0);
    let mut out = Vec::new();
    for chunk in input.chunks(block) {
        let from = out.len();
        out.extend_from_slice(chunk);
        l.process(&mut out, from);
    }
    assert!(l.held_frames() > 0);
    l.drain(&mut out);
    assert_eq!(l.held_frames(), 0);
    out
}

#[test]
fn the_limiter_gives_every_frame_back_in_order_and_untouched_below_the_ceiling() {
    let input = signal(20_000, 0.5, 1);
    for block in [2, 94, 8192] {
        let out = limit(&input, block);
        assert_eq!(out, input, "block {block}");
    }
}

#[test]
fn boosted_peaks_stay_under_the_true_peak_ceiling_with_ramps_not_steps() {
    // Quiet, then a burst 8 dB over full scale, then quiet again.
    let mut input = signal(RATE as usize, 0.2, 2);
    input.extend(signal(RATE as usize / 2, 2.5, 3));
    input.extend(signal(RATE as usize, 0.2, 4));
    let out = limit(&input, 1000);
    assert_eq!(out.len(), input.len());
    let ceil = 10f32.powf(-1.0 / 20.0);
    assert!(
        out.iter().all(|s| s.abs() <= ceil),
        "no sample above −1 dBFS"
    );
    let tp = true_peak_db(&out);
    assert!(tp <= -1.0, "true peak {tp:.2} dBTP");
    // The gain (out / in) never steps by more than 1/look (look = 5 ms) per frame.
    let max_step = 1.0 / (0.005 * f64::from(RATE)).floor();
    let gains: Vec<(usize, f64)> = input
        .chunks(2)
        .zip(out.chunks(2))
        .enumerate()
        .filter(|(_, (i, _))| i[0].abs() > 0.01)
        .map(|(k, (i, o))| (k, f64::from(o[0]) / f64::from(i[0])))
        .collect();
    let mut worst = 0.0f64;
    for w in gains.windows(2) {
        let ((k0, g0), (k1, g1)) = (w[0], w[1]);
        worst = worst.max((g1 - g0).abs() / (k1 - k0) as f64);
    }
    assert!(worst <= max_step * 1.01, "gain step {worst} > {max_step}");
    // And it did limit: the burst came down by more than 8 dB.
    assert!(gains.iter().any(|&(_, g)| g < 0.4));
}

#[test]
fn non_finite_samples_come_out_as_silence() {
    let mut input = signal(1000, 0.3, 5);
    input[100] = f32::NAN;
    input[101] = f32::INFINITY;
    let out = limit(&input, 256);
    assert_eq!(out.len(), input.len());
    assert_eq!((out[100], out[101]), (0.0, 0.0));
    assert!(out.iter().all(|s| s.is_finite()));
}

/// Feeds `input` through a gain in blocks of 4096 samples.
fn apply(g: &mut Gain, input: &[f32]) -> Vec<f32> {
    input
        .chunks(4096)
        .flat_map(|c| g.apply(c).to_vec())
        .collect()
}

#[test]
fn the_gain_settles_within_the_first_seconds_then_holds_whatever_the_music_does() {
    let mut g = Gain::new(2, RATE, -14.0, 12.0);
    let quiet = signal(4 * RATE as usize, 0.1, 6);
    let before = lufs(&quiet);
    let out = apply(&mut g, &quiet);
    assert!(g.is_settled(), "held after 4 s");
    let held = g.linear();
    // The last second is at the target.
    let tail = lufs(&out[out.len() - 2 * RATE as usize..]);
    assert!(
        (tail + 14.0).abs() < 0.5,
        "{before:.1} LUFS became {tail:.1}"
    );
    // A loud passage later changes nothing: no pumping.
    let loud = signal(2 * RATE as usize, 0.8, 7);
    let out = apply(&mut g, &loud);
    assert_eq!(g.linear(), held);
    assert_eq!(out[1000], loud[1000] * held);
}

#[test]
fn how_the_audio_is_cut_into_calls_changes_nothing() {
    // The engine hands over whatever the item's ring holds, so the same track comes in
    // different cuts from one play to the next; it must come out the same.
    let quiet = signal(4 * RATE as usize, 0.1, 9);
    let cut = |sizes: &mut dyn FnMut() -> usize| {
        let mut g = Gain::new(2, RATE, -14.0, 12.0);
        let mut out = Vec::with_capacity(quiet.len());
        let mut rest = &quiet[..];
        while !rest.is_empty() {
            let (piece, tail) = rest.split_at(sizes().min(rest.len()));
            out.extend_from_slice(g.apply(piece));
            rest = tail;
        }
        out
    };
    let whole = cut(&mut || 4096);
    assert_eq!(whole.len(), quiet.len());
    assert_ne!(whole, quiet, "the gain moved");
    for fixed in [2, 94, 17_640, 1 << 20] {
        assert!(cut(&mut || fixed) == whole, "cut every {fixed} samples");
    }
    let mut x = 7u32;
    let mut uneven = || {
        x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        2 * (1 + (x >> 20) as usize)
    };
    assert!(cut(&mut uneven) == whole, "cut unevenly");
}

#[test]
fn the_gain_moves_by_ramps_and_boosts_at_most_12_db() {
    let mut g = Gain::new(2, RATE, -14.0, 12.0);
    let input = signal(4 * RATE as usize, 0.01, 8); // about −40 LUFS
    let out = apply(&mut g, &input);
    let want = 10f32.powf(12.0 / 20.0);
    assert!(
        (g.linear() - want).abs() < 1e-3,
        "capped at +12 dB: {}",
        g.linear()
    );
    // Per frame, the gain moves by at most (final gain − 1) over the ramp.
    let max_step = (want - 1.0) / (RAMP_SECS * f64::from(RATE)) as f32 * 1.001;
    let gains: Vec<(usize, f32)> = input
        .chunks(2)
        .zip(out.chunks(2))
        .enumerate()
        .filter(|(_, (i, _))| i[0].abs() > 1e-3)
        .map(|(k, (i, o))| (k, o[0] / i[0]))
        .collect();
    for w in gains.windows(2) {
        let ((k0, g0), (k1, g1)) = (w[0], w[1]);
        let step = (g1 - g0).abs() / (k1 - k0) as f32;
        assert!(step <= max_step + 1e-4, "{g0} → {g1} at frame {k1}");
    }
}

#[test]
fn silence_leaves_the_gain_alone() {
    let mut g = Gain::new(2, RATE, -14.0, 12.0);
    let out = apply(&mut g, &vec![0.0; 2 * RATE as usize]);
    assert_eq!(g.linear(), 1.0);
    assert!(!g.is_settled(), "still waiting for something to measure");
    assert!(out.iter().all(|s| *s == 0.0));
}

#[test]
fn track_mode_measures_each_item_album_mode_keeps_one_gain() {
    let f = Format {
        rate: RATE,
        channels: 2,
    };
    let quiet = signal(4 * RATE as usize, 0.05, 9);
    let loud = signal(4 * RATE as usize, 0.6, 10);
    for (mode, same) in [(LoudnessMode::Track, false), (LoudnessMode::Album, true)] {
        let opts = Loudness {
            mode,
            ..Loudness::default()
        };
        let mut n = Normalizer::new(opts, f);
        n.begin_item(0);
        for c in quiet.chunks(4096) {
            n.gain(c);
        }
        let first = n.gain.linear();
        n.begin_item(1);
        for c in loud.chunks(4096) {
            n.gain(c);
        }
        assert_eq!(n.gain.linear() == first, same, "{mode:?}");
    }
}

#[test]
fn settings_out_of_range_are_brought_into_it() {
    let o = Loudness {
        target_lufs: f32::NAN,
        mode: LoudnessMode::Album,
        max_boost_db: 100.0,
        ceiling_dbtp: 3.0,
    }
    .sane();
    assert_eq!(
        (o.target_lufs, o.max_boost_db, o.ceiling_dbtp),
        (-14.0, 24.0, 0.0)
    );
}

#[test]
fn a_new_measurement_starts_no_higher_than_unity() {
    let mut g = Gain::new(2, RATE, -14.0, 12.0);
    apply(&mut g, &signal(4 * RATE as usize, 0.01, 11));
    assert!(g.linear() > 3.9, "the quiet item was boosted");
    g.restart();
    // A loud item next: within 50 ms it plays as mastered, not 12 dB over.
    let out = apply(&mut g, &signal(RATE as usize / 10, 0.9, 12));
    assert_eq!(g.linear(), 1.0);
    assert!(out[out.len() - 1].abs() <= 0.9);
}
