//! Resilience: the fault matrix (each fault kind at each stage against the fault-free output),
//! Range resumes, stalls, giving up, the play quota, token expiry mid-playback, the watchdog
//! and a lost audio device. The matrix is printed (`--nocapture`) and kept in TESTING.md.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use scplay_emulator::{Emulator, EmulatorConfig, Fault, FaultKind, Origin, catalog};
use scplay_player::{
    Format, Player, PlayerError, PlayerEvent, PlayerOptions, SampleWriter, Sink, Target, read_wav,
};

/// Quick to give up and to call a silent connection dropped, so faults resolve in seconds.
fn opts() -> PlayerOptions {
    PlayerOptions {
        retry_for: Duration::from_secs(4),
        stall_timeout: Duration::from_secs(1),
        ..PlayerOptions::default()
    }
}

fn play(emu: &Emulator, target: Target, name: &str, o: PlayerOptions) -> PlayResult {
    let path = temp_wav(name);
    let player = Player::new(Some(client(emu)), Sink::Wav(path.clone()), o).unwrap();
    let events = player.events();
    player.play_all(vec![target]);
    let result = player.wait();
    let stats = player.stats();
    drop(player);
    let samples = read_wav(&std::fs::read(&path).unwrap_or_default())
        .map(|(_, s)| s)
        .unwrap_or_default();
    let _ = std::fs::remove_file(&path);
    PlayResult {
        samples,
        result,
        skipped: stats.packets_skipped,
        events: events.try_iter().collect(),
    }
}

struct PlayResult {
    samples: Vec<f32>,
    result: Result<(), PlayerError>,
    skipped: u64,
    events: Vec<PlayerEvent>,
}

/// What a case must end with.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// Output identical to the fault-free run.
    Same,
    /// Plays to the end, the damaged packets skipped and counted.
    Skips,
    /// Fails with an error.
    Fails,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fault_matrix_recovers_or_fails_as_documented() {
    use Expect::*;
    use FaultKind::*;
    let stages: [(&str, Origin, &str); 5] = [
        ("playlist", Origin::Cdn, "playlist.m3u8"),
        ("init segment", Origin::Cdn, "init.mp4"),
        ("media segment", Origin::Cdn, "/0.m4s"),
        ("API call", Origin::Api, "/streams"),
        ("token", Origin::Auth, "/oauth/token"),
    ];
    let stall = Stall {
        after_bytes: 100,
        pause: Duration::from_secs(3),
    };
    // (kind, label, times, expectation per stage as in `stages`)
    let kinds: Vec<(FaultKind, &str, u32, [Expect; 5])> = vec![
        (Status(503), "503 twice", 2, [Same; 5]),
        (
            TooManyRequests {
                retry_after_secs: 1,
            },
            "429 + Retry-After once",
            1,
            [Same; 5],
        ),
        (
            DropAfter(100),
            "connection dropped after 100 B",
            1,
            [Same; 5],
        ),
        (stall, "3 s stall after 100 B", 1, [Same; 5]),
        (
            Latency(Duration::from_millis(500)),
            "500 ms latency",
            1,
            [Same; 5],
        ),
        (
            Status(403),
            "403 once (expired URL)",
            1,
            [Same, Same, Same, Fails, Fails],
        ),
        (Status(404), "404 always", 0, [Fails; 5]),
        (
            Corrupt {
                offset: 200,
                len: 50,
            },
            "50 bytes corrupted at byte 200",
            1,
            [Fails, Fails, Skips, Fails, Same],
        ),
        (
            Corrupt {
                offset: 30_000,
                len: 400,
            },
            "400 bytes corrupted at byte 30,000",
            1,
            [Same, Same, Skips, Same, Same],
        ),
    ];
    let clean_emu = emulator().await;
    let target = Target::Track(catalog::TRACK_SET_2.into());
    let clean = {
        let t = target.clone();
        let emu = Arc::new(clean_emu);
        tokio::task::spawn_blocking(move || play(&emu, t, "matrix-clean", opts()))
            .await
            .unwrap()
    };
    clean.result.as_ref().unwrap();
    assert!(!clean.samples.is_empty());
    let mut table = String::from("| fault | ");
    table += &stages.map(|s| s.0).join(" | ");
    table += " |\n| --- |";
    table += &" --- |".repeat(stages.len());
    table += "\n";
    let mut wrong = vec![];
    for (kind, label, times, expect) in &kinds {
        table += &format!("| {label} |");
        for (i, (stage, origin, path)) in stages.iter().enumerate() {
            let emu = Arc::new(emulator().await);
            let mut fault = Fault::on(*path, kind.clone()).at(*origin);
            if *times > 0 {
                fault = fault.times(*times);
            }
            emu.add_fault(fault);
            let (t, e) = (target.clone(), emu.clone());
            let started = Instant::now();
            let got = tokio::task::spawn_blocking(move || play(&e, t, "matrix", opts()))
                .await
                .unwrap();
            let secs = started.elapsed().as_secs_f64();
            let outcome = match &got.result {
                Ok(()) if got.samples == clean.samples => Same,
                Ok(()) if got.skipped > 0 => Skips,
                Ok(()) => {
                    wrong.push(format!("{label} at {stage}: output differs"));
                    Same
                }
                Err(_) => Fails,
            };
            let cell = match (&got.result, outcome) {
                (Err(e), _) => format!("error: {e}"),
                (_, Skips) => format!("plays, {} packets skipped", got.skipped),
                _ => "identical".to_string(),
            };
            table += &format!(" {cell} ({secs:.1} s) |");
            if outcome != expect[i] {
                wrong.push(format!(
                    "{label} at {stage}: {outcome:?}, expected {:?} ({cell}; events {:?})",
                    expect[i],
                    got.events.iter().rev().take(3).collect::<Vec<_>>()
                ));
            }
        }
        table += "\n";
    }
    eprintln!("{table}");
    assert!(wrong.is_empty(), "{wrong:#?}\n{table}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_progressive_download_resumes_with_range() {
    let emu = Arc::new(emulator().await);
    let url = emu.sign_cdn_path(
        &format!("/{}.128.mp3", catalog::TRACK_MP3_ONLY),
        Duration::from_secs(300),
    );
    let target: Target = url.parse().unwrap();
    let (e, t) = (emu.clone(), target.clone());
    let clean = tokio::task::spawn_blocking(move || play(&e, t, "range-clean", opts()))
        .await
        .unwrap();
    clean.result.as_ref().unwrap();
    emu.clear_requests();
    emu.add_fault(
        Fault::on(".128.mp3", FaultKind::DropAfter(150_000))
            .at(Origin::Cdn)
            .times(2),
    );
    let e = emu.clone();
    let got = tokio::task::spawn_blocking(move || play(&e, target, "range-dropped", opts()))
        .await
        .unwrap();
    got.result.as_ref().unwrap();
    assert!(got.samples == clean.samples, "identical after two drops");
    let ranges: Vec<_> = emu
        .requests()
        .into_iter()
        .filter(|r| r.origin == Origin::Cdn)
        .filter_map(|r| r.range)
        .collect();
    assert!(
        ranges.iter().any(|r| r.starts_with("bytes=150000-")),
        "resumed where it stopped: {ranges:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stall_shows_as_buffering_and_playback_resumes_by_itself() {
    let emu = emulator().await;
    // A progressive file (its bytes reach the decoder as they arrive): about a second of
    // audio, then nothing for 3 s (under the stall timeout).
    let url = stalled_mp3(&emu);
    let c = client(&emu);
    let (events, stats, result) = tokio::task::spawn_blocking(move || {
        let player = Player::new(
            Some(c),
            Sink::Null,
            PlayerOptions {
                realtime: true,
                ..PlayerOptions::default()
            },
        )
        .unwrap();
        let events = player.events();
        player.play(&url).unwrap();
        let result = player.wait();
        (
            events.try_iter().collect::<Vec<_>>(),
            player.stats(),
            result,
        )
    })
    .await
    .unwrap();
    result.unwrap();
    let i = events
        .iter()
        .position(|e| matches!(e, PlayerEvent::Underrun))
        .expect("an underrun");
    assert!(
        events[i..]
            .iter()
            .any(|e| matches!(e, PlayerEvent::Buffering { percent: 100 })),
        "buffering ends when data returns: {events:?}"
    );
    assert!(matches!(events.last(), Some(PlayerEvent::QueueEnded)));
    assert!(stats.silence_frames > 44_100, "{stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_that_lasts_gives_up_saying_what_failed() {
    let emu = Arc::new(emulator().await);
    emu.add_fault(Fault::on("/1.m4s", FaultKind::Status(503)).at(Origin::Cdn));
    let e = emu.clone();
    let started = Instant::now();
    let got = tokio::task::spawn_blocking(move || {
        play(
            &e,
            Target::Track(catalog::TRACK_SET_2.into()),
            "give-up",
            opts(),
        )
    })
    .await
    .unwrap();
    let err = got.result.unwrap_err().to_string();
    assert!(err.contains("gave up") && err.contains("503"), "{err}");
    assert!(err.contains("/1.m4s") && !err.contains("sig="), "{err}");
    // Pauses of 0.2 s doubling, jittered to 50–100 %, and no pause that would end past the
    // 4 s budget: the first four pauses (at least 0.1 + 0.2 + 0.4 + 0.8 s) always fit, so it
    // gives up after 5 attempts at the earliest, 1.5 s in.
    let attempts: u32 = err
        .split("gave up after ")
        .nth(1)
        .and_then(|r| r.split(' ').next()?.parse().ok())
        .unwrap_or(0);
    assert!(attempts >= 5, "{err}");
    let secs = started.elapsed().as_secs_f64();
    assert!((1.5..10.0).contains(&secs), "gave up after {secs:.1} s");
    // What arrived before the failure was played.
    assert!(!got.samples.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_play_quota_ends_with_its_reset_time() {
    let emu = Arc::new(
        Emulator::start(EmulatorConfig {
            play_quota: scplay_emulator::RateLimit {
                max: 1,
                window: Duration::from_secs(24 * 3600),
            },
            ..EmulatorConfig::default()
        })
        .await
        .unwrap(),
    );
    let e = emu.clone();
    let (first, second) = tokio::task::spawn_blocking(move || {
        let t = || Target::Track(catalog::TRACK_SET_1.into());
        (
            play(&e, t(), "quota-1", opts()),
            play(&e, t(), "quota-2", opts()),
        )
    })
    .await
    .unwrap();
    first.result.unwrap();
    let err = second.result.unwrap_err();
    assert!(
        matches!(
            &err,
            PlayerError::Api(scplay_core::Error::PlayQuota {
                reset_time: Some(_),
                ..
            })
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("resets at"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_mid_playback_is_refreshed_once() {
    let emu = Arc::new(Emulator::start(EmulatorConfig::default()).await.unwrap());
    let e = emu.clone();
    let result = tokio::task::spawn_blocking(move || {
        let player = Player::new(Some(client(&e)), Sink::Null, PlayerOptions::default()).unwrap();
        player.pause();
        let events = player.events();
        player
            .play(&catalog::TRACK_THREE_MINUTES.to_string())
            .unwrap();
        // Paused, the output still fills up: the first segments are fetched.
        assert!(
            wait_event(&events, Duration::from_secs(10), |e| {
                matches!(e, PlayerEvent::Buffering { percent: 100 })
            })
            .is_some()
        );
        // The token and the signed URLs expire while paused: the segments beyond the ring
        // need fresh URLs, which need a fresh token.
        e.expire_access_tokens();
        e.expire_cdn_urls();
        player.resume();
        let r = player.wait();
        (r, player.stats())
    })
    .await
    .unwrap();
    result.0.unwrap();
    assert!(result.1.url_refreshes >= 1, "{:?}", result.1);
    let g = emu.grants();
    assert_eq!(
        g.client_credentials + g.refresh_token,
        2,
        "one token at the start, exactly one after it expired: {g:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_watchdog_ends_a_stream_that_yields_no_audio() {
    let emu = Arc::new(emulator().await);
    emu.add_fault(
        Fault::on(
            "/0.m4s",
            FaultKind::Stall {
                after_bytes: 1_000,
                pause: Duration::from_secs(30),
            },
        )
        .at(Origin::Cdn),
    );
    let e = emu.clone();
    let started = Instant::now();
    let got = tokio::task::spawn_blocking(move || {
        let o = PlayerOptions {
            watchdog: Duration::from_secs(1),
            ..PlayerOptions::default()
        };
        play(
            &e,
            Target::Track(catalog::TRACK_SET_1.into()),
            "watchdog",
            o,
        )
    })
    .await
    .unwrap();
    assert!(
        matches!(got.result, Err(PlayerError::Stalled { secs: 1 })),
        "{:?}",
        got.result
    );
    assert!(started.elapsed() < Duration::from_secs(8));
}

/// Item 1 of the set played without faults.
async fn clean_set_1(emu: &Arc<Emulator>, name: &'static str) -> PlayResult {
    let e = emu.clone();
    let t = Target::Track(catalog::TRACK_SET_1.into());
    tokio::task::spawn_blocking(move || play(&e, t, name, opts()))
        .await
        .unwrap()
}

/// A sink that fails on demand: its `write` fails once after `fail_at` samples, then its
/// `begin` fails `refusals` times (the device is gone), then it works again.
struct FlakyWriter {
    out: Arc<Mutex<Vec<f32>>>,
    fail_at: usize,
    refusals: Arc<AtomicUsize>,
    failed: bool,
}

impl SampleWriter for FlakyWriter {
    fn begin(&mut self, _: Format) -> std::io::Result<()> {
        if self.failed && self.refusals.load(Ordering::Acquire) > 0 {
            self.refusals.fetch_sub(1, Ordering::AcqRel);
            return Err(std::io::Error::other("device busy"));
        }
        Ok(())
    }
    fn write(&mut self, s: &[f32]) -> std::io::Result<()> {
        let mut out = self.out.lock().unwrap();
        if !self.failed && out.len() + s.len() > self.fail_at {
            self.failed = true;
            return Err(std::io::Error::other("device unplugged"));
        }
        out.extend_from_slice(s);
        Ok(())
    }
    fn end(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_device_is_reopened_and_playback_goes_on_where_it_was() {
    let emu = Arc::new(emulator().await);
    let clean = clean_set_1(&emu, "device-clean").await;
    let c = client(&emu);
    let (got, events, refusals) = tokio::task::spawn_blocking(move || {
        let out = Arc::new(Mutex::new(Vec::new()));
        let refusals = Arc::new(AtomicUsize::new(3));
        let writer = FlakyWriter {
            out: out.clone(),
            fail_at: 100_000,
            refusals: refusals.clone(),
            failed: false,
        };
        let player = Player::new(Some(c), Sink::Writer(Box::new(writer)), opts()).unwrap();
        let events = player.events();
        player.play(&catalog::TRACK_SET_1.to_string()).unwrap();
        player.wait().unwrap();
        drop(player);
        let got = out.lock().unwrap().clone();
        (got, events.try_iter().collect::<Vec<_>>(), refusals)
    })
    .await
    .unwrap();
    assert_eq!(
        refusals.load(Ordering::Acquire),
        0,
        "it was refused, then reopened"
    );
    let lost = events
        .iter()
        .position(|e| matches!(e, PlayerEvent::DeviceLost(_)))
        .expect("DeviceLost");
    assert!(
        events[lost..]
            .iter()
            .any(|e| matches!(e, PlayerEvent::DeviceRestored))
    );
    assert_eq!(got.len(), clean.samples.len());
    assert!(got == clean.samples, "not a sample lost or repeated");
}

/// Counts what an output does: `begin`s, `end`s and samples.
struct Counting(Arc<Mutex<(usize, usize, usize)>>);

impl SampleWriter for Counting {
    fn begin(&mut self, _: Format) -> std::io::Result<()> {
        self.0.lock().unwrap().0 += 1;
        Ok(())
    }
    fn write(&mut self, s: &[f32]) -> std::io::Result<()> {
        self.0.lock().unwrap().2 += s.len();
        Ok(())
    }
    fn end(&mut self) -> std::io::Result<()> {
        self.0.lock().unwrap().1 += 1;
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_pause_releases_the_device_and_resume_reopens_it() {
    let emu = Arc::new(emulator().await);
    let clean = clean_set_1(&emu, "release-clean").await;
    let c = client(&emu);
    let (counts, events) = tokio::task::spawn_blocking(move || {
        let counts = Arc::new(Mutex::new((0, 0, 0)));
        let o = PlayerOptions {
            realtime: true,
            release_after_pause: Some(Duration::from_millis(100)),
            ..PlayerOptions::default()
        };
        let player =
            Player::new(Some(c), Sink::Writer(Box::new(Counting(counts.clone()))), o).unwrap();
        let events = player.events();
        player.play(&catalog::TRACK_SET_1.to_string()).unwrap();
        assert!(
            wait_until(Duration::from_secs(10), || player.position()
                >= Duration::from_millis(500)),
            "never started"
        );
        player.pause();
        let released = || {
            let c = *counts.lock().unwrap();
            (c.0, c.1) == (1, 1)
        };
        assert!(
            wait_until(Duration::from_secs(5), released),
            "released while paused: {:?}",
            *counts.lock().unwrap()
        );
        player.resume();
        player.wait().unwrap();
        drop(player);
        let c = *counts.lock().unwrap();
        (c, events.try_iter().collect::<Vec<_>>())
    })
    .await
    .unwrap();
    assert_eq!(
        (counts.0, counts.1),
        (2, 2),
        "reopened on resume, closed at the end"
    );
    assert_eq!(
        counts.2,
        clean.samples.len(),
        "not a sample lost or repeated"
    );
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, PlayerEvent::DeviceLost(_)))
    );
}
