#![allow(missing_docs)] // criterion_group! defines undocumented functions
//! Decode latency, from memory (the network is not measured): for each stream kind the
//! emulator serves — AAC-LC 160 in fragmented MP4 (HLS) and MP3 128 — the time from opening a
//! source to the first decoded frame, the time per decoded packet, and steady-state speed.
//! (SoundCloud's public API no longer serves Opus, and scplay does not decode it.)
//!
//! ```text
//! cargo bench --bench decode_latency
//! ```
//!
//! `whole_file` reports packets per second: time per packet is its inverse; × real time is
//! packets/s × 1024 / 44,100 (AAC) or × 1152 / 44,100 (MP3), also printed before the run.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use scplay_player::decode::{Decoder, decode_all};
use scplay_player::ring::{ByteReader, byte_ring};

/// (name, bytes, container hint, samples per packet): the emulator's 36 s fixtures.
const STREAMS: [(&str, &[u8], &str, u64); 2] = [
    (
        "aac_fmp4_160",
        include_bytes!("../crates/emulator/fixtures/main.aac160.mp4"),
        "mp4",
        1024,
    ),
    (
        "mp3_128",
        include_bytes!("../crates/emulator/fixtures/main.mp3"),
        "mp3",
        1152,
    ),
];

/// A byte ring holding `bytes`, its writer gone (the whole stream has arrived).
fn loaded(bytes: &[u8]) -> ByteReader {
    let (mut prod, reader, _cancel) = byte_ring(bytes.len());
    prod.try_write(bytes);
    reader
}

fn bench(c: &mut Criterion) {
    for (name, bytes, ext, per_packet) in STREAMS {
        // Steady state in plain numbers, once, before criterion's runs.
        let mut best = Duration::MAX;
        let mut frames = 0;
        for _ in 0..3 {
            let t = Instant::now();
            let (format, n) = decode_all(bytes, Some(ext), |b| {
                black_box(b);
            })
            .unwrap_or_else(|e| panic!("{name}: {e}"));
            best = best.min(t.elapsed());
            frames = n;
            assert_eq!(format.rate, 44_100);
        }
        let audio = frames as f64 / 44_100.0;
        println!(
            "{name}: {audio:.1} s of audio decoded in {:.1} ms = {:.0}x real time, {:.2} s CPU per audio hour",
            best.as_secs_f64() * 1000.0,
            audio / best.as_secs_f64(),
            best.as_secs_f64() * 3600.0 / audio
        );
        let packets = frames.div_ceil(per_packet);

        let mut g = c.benchmark_group(name);
        g.sample_size(30).warm_up_time(Duration::from_secs(1));
        g.measurement_time(Duration::from_secs(4));
        g.bench_function("open_to_first_frame", |b| {
            b.iter_batched(
                || loaded(bytes),
                |reader| {
                    let mut dec =
                        Decoder::open(reader, Some(ext)).unwrap_or_else(|e| panic!("{e}"));
                    black_box(dec.next_block().map(|b| b.map(<[f32]>::len)).ok());
                },
                BatchSize::SmallInput,
            );
        });
        g.throughput(Throughput::Elements(packets));
        g.bench_function("whole_file", |b| {
            b.iter_batched(
                || loaded(bytes),
                |reader| {
                    let mut dec =
                        Decoder::open(reader, Some(ext)).unwrap_or_else(|e| panic!("{e}"));
                    while let Ok(Some(block)) = dec.next_block() {
                        black_box(block);
                    }
                },
                BatchSize::SmallInput,
            );
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
