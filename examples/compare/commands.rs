//! Commands that need new audio, in process, at 0 and 50 ms per answer, with a token already
//! held:
//! - `next` to a queue item that is not preloaded (a track URN through the API): from the
//!   command to the new item's first frame in the sink (its `TrackChanged`);
//! - `seek` inside what was fetched (the segment cache) and outside it (half an hour ahead in
//!   the hour-long track): from the command to the first audio from there in the output (its
//!   `Seeked`).

use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use scplay_emulator::{Emulator, catalog};
use scplay_player::core::Client;
use scplay_player::{Player, PlayerEvent, PlayerOptions, Sink, Target};

/// Waits up to 20 s for an event matching `pred`.
fn wait(events: &Receiver<PlayerEvent>, pred: impl Fn(&PlayerEvent) -> bool) -> bool {
    let end = Instant::now() + Duration::from_secs(20);
    while let Some(left) = end.checked_duration_since(Instant::now()) {
        match events.recv_timeout(left) {
            Ok(e) if pred(&e) => return true,
            Ok(_) => {}
            Err(_) => return false,
        }
    }
    false
}

/// One `next`: the hour-long track plays (unpaced, so no preload is due), then `next` to a
/// 36 s track that nothing has resolved yet.
fn one(client: &Client) -> Option<Duration> {
    let player = Player::new(Some(client.clone()), Sink::Null, PlayerOptions::default()).ok()?;
    let events = player.events();
    player.play_all(vec![
        Target::Track(catalog::TRACK_HOUR.into()),
        Target::Track(catalog::TRACK_PLAYABLE.into()),
    ]);
    if !wait(&events, |e| matches!(e, PlayerEvent::Playing { .. })) {
        return None;
    }
    let start = Instant::now();
    player.next();
    wait(&events, |e| {
        matches!(e, PlayerEvent::TrackChanged { index: 1, .. })
    })
    .then(|| start.elapsed())
}

/// One `seek` in the hour-long track, played in real time: `inside` seeks back to 2 s (its
/// first segment is in the cache), otherwise to `far` seconds, where nothing was fetched.
fn seek(client: &Client, inside: bool, far: u64) -> Option<Duration> {
    let opts = PlayerOptions {
        realtime: true,
        ..PlayerOptions::default()
    };
    let player = Player::new(Some(client.clone()), Sink::Null, opts).ok()?;
    let events = player.events();
    player.play_target(Target::Track(catalog::TRACK_HOUR.into()));
    if !wait(&events, |e| matches!(e, PlayerEvent::Playing { .. })) {
        return None;
    }
    let to = if inside { 2 } else { far };
    let start = Instant::now();
    player.seek(Duration::from_secs(to));
    wait(&events, |e| matches!(e, PlayerEvent::Seeked(_))).then(|| start.elapsed())
}

/// A client of the emulator's app, its token fetched.
fn client(emu: &Emulator, rt: &tokio::runtime::Runtime) -> Option<Client> {
    let client = Client::builder()
        .client_id(catalog::CLIENT_ID)
        .client_secret(catalog::CLIENT_SECRET)
        .api_base(emu.api_base())
        .auth_base(emu.auth_base())
        .build()
        .ok()?;
    let _ = rt.block_on(client.track(catalog::TRACK_PLAYABLE));
    Some(client)
}

fn shown(d: Option<Duration>) -> String {
    d.map_or("n/a".into(), |d| {
        format!("{:.1} ms", d.as_secs_f64() * 1000.0)
    })
}

/// Prints the `next` and `seek` rows: `runs` runs per latency, medians.
pub fn table(
    emu: &Emulator,
    rt: &tokio::runtime::Runtime,
    runs: usize,
    median: fn(Vec<Duration>) -> Option<Duration>,
) {
    emu.clear_faults();
    let Some(client) = client(emu, rt) else {
        return;
    };
    println!();
    println!(
        "command -> its first audio, in process (`next`: to a track URN not preloaded, until its TrackChanged; `seek`: until its Seeked); {runs} runs, medians"
    );
    println!(
        "{:<10} {:>12} {:>20} {:>20}",
        "latency", "next", "seek, in cache", "seek, not fetched"
    );
    for ms in [0u64, 50] {
        super::every_answer_late(emu, ms);
        let next: Vec<Duration> = (0..runs).filter_map(|_| one(&client)).collect();
        let inside: Vec<Duration> = (0..runs).filter_map(|_| seek(&client, true, 0)).collect();
        // A new place each run, so no run finds another's segments.
        let outside: Vec<Duration> = (0..runs as u64)
            .filter_map(|i| seek(&client, false, 1200 + 60 * i))
            .collect();
        println!(
            "{:<10} {:>12} {:>20} {:>20}",
            format!("{ms} ms"),
            shown(median(next)),
            shown(median(inside)),
            shown(median(outside))
        );
    }
    emu.clear_faults();
}
