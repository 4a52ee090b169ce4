//! The hour-long soak: the 60-minute track with 5 s signed-URL lifetimes and a fault every
//! half second plays to its end unpaced, its output identical to the fault-free run and
//! its memory flat. (Its own test binary, so the RSS it reads is its own.)
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::*;
use scplay_emulator::{Emulator, EmulatorConfig, Fault, FaultKind, Origin, catalog};
use scplay_player::{Format, Player, PlayerOptions, SampleWriter, Sink};

/// Keeps an FNV-1a hash and a count of the samples instead of an hour of audio.
struct HashWriter(Arc<(AtomicU64, AtomicU64)>);

impl SampleWriter for HashWriter {
    fn begin(&mut self, _: Format) -> std::io::Result<()> {
        Ok(())
    }
    fn write(&mut self, s: &[f32]) -> std::io::Result<()> {
        let mut h = self.0.0.load(Ordering::Relaxed);
        for x in s {
            for b in x.to_bits().to_le_bytes() {
                h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
            }
        }
        self.0.0.store(h, Ordering::Relaxed);
        self.0.1.fetch_add(s.len() as u64, Ordering::Relaxed);
        Ok(())
    }
    fn end(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Plays the hour; returns (hash, samples, url refreshes, RSS samples in KiB).
fn play_hour(emu: &Emulator, faults: bool) -> (u64, u64, u64, Vec<u64>) {
    let acc = Arc::new((AtomicU64::new(0xcbf2_9ce4_8422_2325), AtomicU64::new(0)));
    let player = Player::new(
        Some(client(emu)),
        Sink::Writer(Box::new(HashWriter(acc.clone()))),
        PlayerOptions {
            retry_for: Duration::from_secs(10),
            stall_timeout: Duration::from_secs(1),
            ..PlayerOptions::default()
        },
    )
    .unwrap();
    let done = AtomicBool::new(false);
    let mut rss = vec![];
    std::thread::scope(|s| {
        s.spawn(|| {
            // At most one fault every 500 ms, of each kind in turn, on the media segments (the hour plays
            // unpaced in well under a minute).
            let kinds = [
                FaultKind::Status(503),
                FaultKind::DropAfter(50_000),
                FaultKind::Stall {
                    after_bytes: 10_000,
                    pause: Duration::from_millis(1500),
                },
                FaultKind::TooManyRequests {
                    retry_after_secs: 0,
                },
                FaultKind::Status(403),
                FaultKind::Latency(Duration::from_millis(300)),
            ];
            // A fault waits for the previous one to be taken and two clean segment requests
            // after it: faults never pile up on one segment (that would be an outage, which
            // `resilience.rs` tests on its own).
            let segments = || {
                emu.arrivals()
                    .iter()
                    .filter(|(_, p)| p.ends_with(".m4s"))
                    .count()
            };
            let ended = || done.load(Ordering::Acquire);
            let mut i = 0;
            // The first fault at once, each next one once three more segments were asked for.
            while faults && !ended() {
                emu.add_fault(
                    Fault::on(".m4s", kinds[i % kinds.len()].clone())
                        .at(Origin::Cdn)
                        .times(1),
                );
                i += 1;
                let last = segments();
                wait_until(Duration::from_secs(900), || {
                    ended() || segments() >= last + 3
                });
            }
        });
        player.play(&catalog::TRACK_HOUR.to_string()).unwrap();
        let start = Instant::now();
        while !player.is_idle() {
            rss.push(rss_kib());
            // Sampled every 100 ms until playback ends.
            let _ = player.wait_timeout(Duration::from_millis(100));
            assert!(start.elapsed() < Duration::from_secs(900), "took too long");
        }
        done.store(true, Ordering::Release);
        player.wait().unwrap();
    });
    let refreshes = player.stats().url_refreshes;
    drop(player);
    (
        acc.0.load(Ordering::Relaxed),
        acc.1.load(Ordering::Relaxed),
        refreshes,
        rss,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_hour_with_expiring_urls_and_constant_faults_plays_identically_in_flat_memory() {
    let clean_emu = Arc::new(emulator().await);
    let e = clean_emu.clone();
    let clean = tokio::task::spawn_blocking(move || play_hour(&e, false))
        .await
        .unwrap();
    let emu = Arc::new(
        Emulator::start(EmulatorConfig {
            cdn_url_ttl: Duration::from_secs(5),
            ..EmulatorConfig::default()
        })
        .await
        .unwrap(),
    );
    let e = emu.clone();
    let started = Instant::now();
    let (hash, samples, refreshes, rss) = tokio::task::spawn_blocking(move || play_hour(&e, true))
        .await
        .unwrap();
    let faults = emu.requests().iter().filter(|r| r.status >= 400).count();
    eprintln!(
        "hour: {:.0} s, {samples} samples, {refreshes} URL refreshes, {faults} failed requests, RSS {}..{} KiB",
        started.elapsed().as_secs_f64(),
        rss.iter().min().unwrap_or(&0),
        rss.iter().max().unwrap_or(&0)
    );
    assert_eq!(samples, clean.1, "same length");
    assert_eq!(hash, clean.0, "identical output");
    assert!(faults >= 5, "faults were hit: {faults}");
    assert!(refreshes >= 2, "expired URLs were refreshed: {refreshes}");
    // Flat: after the first fifth, memory does not keep growing.
    let settled = rss[rss.len() / 5..].iter().copied();
    let (lo, hi) = settled.fold((u64::MAX, 0), |(lo, hi), r| (lo.min(r), hi.max(r)));
    assert!(
        hi.saturating_sub(lo) < 4 * 1024,
        "RSS moved from {lo} to {hi} KiB"
    );
}
