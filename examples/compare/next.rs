//! `next` to a queue item that is not preloaded: from the command to the new item's first
//! frame in the sink (its `TrackChanged`), in process, a track URN through the API with a
//! token already held, at 0 and 50 ms per answer.

use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use scplay_emulator::{Emulator, Fault, FaultKind, catalog};
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

/// Prints the `next` rows: `runs` runs per latency, medians.
pub fn table(
    emu: &Emulator,
    rt: &tokio::runtime::Runtime,
    runs: usize,
    median: fn(Vec<Duration>) -> Option<Duration>,
) {
    let client = Client::builder()
        .client_id(catalog::CLIENT_ID)
        .client_secret(catalog::CLIENT_SECRET)
        .api_base(emu.api_base())
        .auth_base(emu.auth_base())
        .build();
    let Ok(client) = client else {
        return;
    };
    emu.clear_faults();
    // The token is fetched once, before any row.
    let _ = rt.block_on(client.track(catalog::TRACK_PLAYABLE));
    println!();
    println!(
        "`next` to an item not preloaded (track URN via the API) -> its first frame in the sink; {runs} runs, medians"
    );
    for latency in [0u64, 50] {
        emu.clear_faults();
        if latency > 0 {
            let d = Duration::from_millis(latency);
            emu.add_fault(Fault::on("/", FaultKind::Latency(d)));
        }
        let times: Vec<Duration> = (0..runs).filter_map(|_| one(&client)).collect();
        let shown = median(times).map_or("n/a".into(), |d| {
            format!("{:.1} ms", d.as_secs_f64() * 1000.0)
        });
        println!("{:<10} {:>12}", format!("{latency} ms"), shown);
    }
    emu.clear_faults();
}
