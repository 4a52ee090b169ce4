#![allow(missing_docs)] // criterion_group! defines undocumented functions
//! The pipeline's parts and the whole: the byte ring and the PCM ring per block, resampling per
//! block, and the in-process pipeline from a direct playlist URL on loopback (the emulator) to
//! the first PCM in the sink, with 0 and 50 ms of latency per request.
//!
//! ```text
//! cargo bench --bench pipeline
//! ```

use std::hint::black_box;
use std::io::Read;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ringbuf::HeapRb;
use ringbuf::traits::{Consumer, Producer, Split};
use scplay_emulator::{Emulator, EmulatorConfig, Fault, FaultKind, Origin, catalog};
use scplay_player::Format;
use scplay_player::convert::Converter;
use scplay_player::ring::byte_ring;

/// One block as the decoder hands it over: 1024 stereo frames.
const FRAMES: usize = 1024;

fn rings(c: &mut Criterion) {
    let mut g = c.benchmark_group("rings");
    g.sample_size(50).warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(2));
    let block = vec![0x5au8; 4096];
    let (mut prod, mut reader, _cancel) = byte_ring(512 * 1024);
    let mut out = vec![0u8; 4096];
    g.throughput(Throughput::Bytes(block.len() as u64));
    g.bench_function("byte_ring_push_pop_4KiB", |b| {
        b.iter(|| {
            prod.try_write(black_box(&block));
            let n = reader.read(&mut out).unwrap_or(0);
            black_box(n);
        });
    });
    let samples = vec![0.25f32; FRAMES * 2];
    let (mut p, mut cons) = HeapRb::<f32>::new(44_100 / 5 * 2).split();
    let mut buf = vec![0f32; FRAMES * 2];
    g.throughput(Throughput::Elements(FRAMES as u64));
    g.bench_function("pcm_ring_push_pop_1024_frames", |b| {
        b.iter(|| {
            p.push_slice(black_box(&samples));
            black_box(cons.pop_slice(&mut buf));
        });
    });
    g.finish();
}

fn resampling(c: &mut Criterion) {
    let mut g = c.benchmark_group("resample");
    g.sample_size(50).warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(2));
    let input: Vec<f32> = (0..FRAMES * 2)
        .map(|i| ((i as f32) * 0.01).sin() * 0.5)
        .collect();
    g.throughput(Throughput::Elements(FRAMES as u64));
    for (name, to) in [
        (
            "44k1_to_48k_stereo_1024_frames",
            Format {
                rate: 48_000,
                channels: 2,
            },
        ),
        (
            "44k1_stereo_to_48k_mono_1024_frames",
            Format {
                rate: 48_000,
                channels: 1,
            },
        ),
    ] {
        let mut conv = Converter::new(
            Format {
                rate: 44_100,
                channels: 2,
            },
            to,
        )
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("no converter"));
        g.bench_function(name, |b| {
            b.iter(|| black_box(conv.push(black_box(&input)).map(<[f32]>::len).ok()));
        });
    }
    g.finish();
}

#[path = "../examples/common/first_pcm.rs"]
mod first_pcm;

/// From `play` to the first PCM in the sink.
fn first_pcm(url: &str) -> Duration {
    first_pcm::first_pcm(url).unwrap_or_else(|| panic!("no audio from {url}"))
}

fn whole_pipeline(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    let emu: Emulator = rt
        .block_on(Emulator::start(EmulatorConfig::default()))
        .unwrap_or_else(|e| panic!("{e}"));
    let url = emu.sign_cdn_path(
        &format!("/aac/{}/160/playlist.m3u8", catalog::TRACK_PLAYABLE),
        Duration::from_secs(24 * 3600),
    );
    let mut g = c.benchmark_group("first_pcm_direct_aac_hls");
    g.sample_size(20).warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(5));
    for latency in [0u64, 50] {
        emu.clear_faults();
        if latency > 0 {
            emu.add_fault(
                Fault::on("/", FaultKind::Latency(Duration::from_millis(latency))).at(Origin::Cdn),
            );
        }
        // The requests made before the first audio, once (the critical path is the playlist,
        // then the init and first media segment together; the rest are the next segments).
        emu.clear_requests();
        let t = first_pcm(&url);
        let before: Vec<String> = emu
            .requests()
            .into_iter()
            .filter(|r| r.at <= emu.requests()[0].at + t)
            .map(|r| r.path.rsplit('/').next().unwrap_or_default().to_string())
            .collect();
        println!(
            "{latency} ms per request: {} requests before the first audio ({}); 2 round trips on the critical path (playlist, then init + first segment together)",
            before.len(),
            before.join(", ")
        );
        g.bench_function(format!("{latency}ms_per_request"), |b| {
            b.iter_custom(|n| (0..n).map(|_| first_pcm(&url)).sum());
        });
    }
    g.finish();
}

criterion_group!(benches, rings, resampling, whole_pipeline);
criterion_main!(benches);
