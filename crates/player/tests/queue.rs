//! The play queue end to end: order, skips, previews, next/previous/jump, repeat, shuffle,
//! playlists, preloading with expired URLs, and seeks that keep what was fetched.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use common::*;
use scplay_emulator::{Emulator, Origin, catalog};
use scplay_player::{Player, PlayerEvent, PlayerOptions, Repeat, Sink, Target};

fn track(id: u64) -> Target {
    Target::Track(id.into())
}

fn realtime() -> PlayerOptions {
    PlayerOptions {
        realtime: true,
        ..PlayerOptions::default()
    }
}

/// The indexes of `TrackChanged` events (waiting up to `timeout` for `n` of them).
fn changes(events: &Receiver<PlayerEvent>, n: usize, timeout: Duration) -> Vec<usize> {
    let start = Instant::now();
    let mut out = vec![];
    while out.len() < n && start.elapsed() < timeout {
        if let Ok(PlayerEvent::TrackChanged { index, .. }) =
            events.recv_timeout(Duration::from_millis(50))
        {
            out.push(index);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_plays_in_order_skipping_blocked_and_marking_previews() {
    let emu = emulator().await;
    let c = client(&emu);
    let (seen, result) = tokio::task::spawn_blocking(move || {
        let player = Player::new(Some(c), Sink::Null, PlayerOptions::default()).unwrap();
        let events = player.events();
        player.play_all(vec![
            track(catalog::TRACK_DEMO_1),
            track(catalog::TRACK_BLOCKED),
            track(catalog::TRACK_PREVIEW),
            track(catalog::TRACK_DEMO_2),
        ]);
        let result = player.wait();
        (events.try_iter().collect::<Vec<_>>(), result)
    })
    .await
    .unwrap();
    let order: Vec<(usize, bool)> = seen
        .iter()
        .filter_map(|e| match e {
            PlayerEvent::TrackChanged { index, preview, .. } => Some((*index, *preview)),
            _ => None,
        })
        .collect();
    assert_eq!(order, [(0, false), (2, true), (3, false)], "{seen:?}");
    let skipped = seen.iter().find_map(|e| match e {
        PlayerEvent::Skipped {
            index,
            info,
            reason,
            code,
        } => {
            assert_eq!(*code, "blocked");
            Some((*index, info.title.clone(), reason.clone()))
        }
        _ => None,
    });
    let (index, title, reason) = skipped.expect("a Skipped event");
    assert_eq!(index, 1);
    assert!(title.is_some(), "the skipped track is named");
    assert!(reason.contains("blocked"), "{reason}");
    assert_eq!(
        seen.iter()
            .filter(|e| matches!(e, PlayerEvent::EndOfTrack(_)))
            .count(),
        3
    );
    assert!(
        matches!(seen.last(), Some(PlayerEvent::QueueEnded)),
        "{seen:?}"
    );
    assert!(
        matches!(result, Err(scplay_player::PlayerError::Blocked { .. })),
        "wait reports the skip: {result:?}"
    );
    // No media request for the blocked track.
    assert!(
        !emu.requests().iter().any(
            |r| r.path.contains(&catalog::TRACK_BLOCKED.to_string()) && r.origin == Origin::Cdn
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn next_previous_and_jump_move_through_the_queue() {
    let emu = emulator().await;
    let c = client(&emu);
    tokio::task::spawn_blocking(move || {
        let player = Player::new(Some(c), Sink::Null, realtime()).unwrap();
        let events = player.events();
        player.play_all(vec![
            track(catalog::TRACK_SET_1),
            track(catalog::TRACK_SET_2),
            track(catalog::TRACK_SET_3),
        ]);
        let long = Duration::from_secs(10);
        assert_eq!(changes(&events, 1, long), [0]);
        player.next();
        assert_eq!(changes(&events, 1, long), [1]);
        // Less than 3 s in: previous goes to the previous item.
        player.previous();
        assert_eq!(changes(&events, 1, long), [0]);
        player.jump_to(2);
        assert_eq!(changes(&events, 1, long), [2]);
        // More than 3 s in: previous restarts the item.
        player.seek(Duration::from_millis(3500));
        assert!(wait_event(&events, long, |e| matches!(e, PlayerEvent::Seeked(_))).is_some());
        player.previous();
        assert!(
            wait_event(
                &events,
                long,
                |e| matches!(e, PlayerEvent::Seeked(p) if *p < 1.0)
            )
            .is_some(),
            "previous more than 3 s in restarts the item"
        );
        assert!(
            player.position() < Duration::from_secs(1),
            "{:?}",
            player.position()
        );
        // Next after the last item ends playback.
        player.next();
        player.wait_timeout(long).unwrap();
        assert!(player.is_idle());
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeat_one_loops_and_repeat_all_wraps() {
    let emu = emulator().await;
    let c = client(&emu);
    tokio::task::spawn_blocking(move || {
        let player = Player::new(Some(c), Sink::Null, PlayerOptions::default()).unwrap();
        let events = player.events();
        player.set_repeat(Repeat::One);
        player.play_all(vec![
            track(catalog::TRACK_SET_1),
            track(catalog::TRACK_SET_3),
        ]);
        assert_eq!(changes(&events, 3, Duration::from_secs(20)), [0, 0, 0]);
        player.set_repeat(Repeat::All);
        let after = changes(&events, 4, Duration::from_secs(20));
        assert!(
            after.windows(2).any(|w| w == [1, 0]),
            "wraps to the start: {after:?}"
        );
        player.stop();
        player.wait_timeout(Duration::from_secs(5)).unwrap();
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shuffle_plays_every_item_once_in_a_seeded_order() {
    let emu = emulator().await;
    let c = client(&emu);
    let orders = tokio::task::spawn_blocking(move || {
        let mut orders = vec![];
        for _ in 0..2 {
            let player =
                Player::new(Some(c.clone()), Sink::Null, PlayerOptions::default()).unwrap();
            let events = player.events();
            player.shuffle(Some(7));
            player.play_all(
                (catalog::FIRST_ORBIT_TRACK..catalog::FIRST_ORBIT_TRACK + 5)
                    .map(track)
                    .chain([track(catalog::TRACK_SET_1)])
                    .collect(),
            );
            let got = changes(&events, 6, Duration::from_secs(60));
            player.stop();
            orders.push(got);
        }
        orders
    })
    .await
    .unwrap();
    let mut sorted = orders[0].clone();
    sorted.sort();
    assert_eq!(sorted, (0..6).collect::<Vec<_>>(), "{orders:?}");
    assert_ne!(orders[0], (0..6).collect::<Vec<_>>(), "shuffled");
    assert_eq!(orders[0], orders[1], "same seed, same order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_playlist_url_expands_into_its_tracks() {
    let emu = emulator().await;
    let c = client(&emu);
    let seen = tokio::task::spawn_blocking(move || {
        let player = Player::new(Some(c), Sink::Null, PlayerOptions::default()).unwrap();
        let events = player.events();
        player
            .play(catalog::TRACK_DEMO_1.to_string().as_str())
            .unwrap();
        player
            .enqueue("https://soundcloud.com/orbit-collective/sets/undertow")
            .unwrap();
        player.wait().unwrap();
        events.try_iter().collect::<Vec<_>>()
    })
    .await
    .unwrap();
    let titles: Vec<String> = seen
        .iter()
        .filter_map(|e| match e {
            PlayerEvent::TrackChanged { info, .. } => info.title.clone(),
            _ => None,
        })
        .collect();
    assert_eq!(titles.len(), 4, "{titles:?}");
    assert!(titles[1].starts_with("Undertow I"), "{titles:?}");
    assert!(titles[3].starts_with("Undertow III"), "{titles:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_preloaded_track_whose_urls_expired_refreshes_them_and_plays_the_same() {
    // Paused until the second item is preloaded; then, when `expire`, every signed URL
    // expires before it resumes.
    let play = |emu: Arc<Emulator>, name: &str, expire: bool| {
        let c = client(&emu);
        let path = temp_wav(name);
        let player =
            Player::new(Some(c), Sink::Wav(path.clone()), PlayerOptions::default()).unwrap();
        player.pause();
        player.play_all(vec![
            track(catalog::TRACK_SET_1),
            track(catalog::TRACK_THREE_MINUTES),
        ]);
        // The second item is preloaded at once (the first is fetched whole); paused, its
        // later segments' signed URLs expire before they are needed.
        let second = format!("/{}/", catalog::TRACK_THREE_MINUTES);
        assert!(wait_until(Duration::from_secs(10), || emu
            .arrivals()
            .iter()
            .any(|(o, p)| *o == Origin::Cdn && p.contains(&second))));
        if expire {
            emu.expire_cdn_urls();
        }
        player.resume();
        player.wait().unwrap();
        let stats = player.stats();
        drop(player);
        (take_wav(&path).1, stats)
    };
    let emu = Arc::new(emulator().await);
    let (clean, clean_stats) =
        tokio::task::spawn_blocking(move || play(emu, "preload-clean", false))
            .await
            .unwrap();
    assert_eq!(clean_stats.url_refreshes, 0);
    let emu = Arc::new(emulator().await);
    let e = emu.clone();
    let (got, stats) = tokio::task::spawn_blocking(move || play(e, "preload-expired", true))
        .await
        .unwrap();
    assert!(stats.url_refreshes >= 1, "{stats:?}");
    assert!(
        emu.requests()
            .iter()
            .any(|r| r.origin == Origin::Cdn && r.status == 403),
        "the CDN refused an expired URL"
    );
    assert_eq!(got.len(), clean.len());
    assert!(got == clean, "the output is the same as without expiry");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeking_into_fetched_segments_needs_no_request_and_keeps_the_preload() {
    let emu = emulator().await;
    let c = client(&emu);
    let emu = std::sync::Arc::new(emu);
    let emu2 = emu.clone();
    tokio::task::spawn_blocking(move || {
        let player = Player::new(Some(c), Sink::Null, realtime()).unwrap();
        let events = player.events();
        player.play_all(vec![
            track(catalog::TRACK_SET_2),
            track(catalog::TRACK_SET_3),
        ]);
        assert_eq!(changes(&events, 1, Duration::from_secs(10)), [0]);
        // Item 3 is preloaded once item 2 is fetched whole.
        let set3 = catalog::TRACK_SET_3.to_string();
        let preloading =
            |r: &scplay_emulator::LoggedRequest| r.origin == Origin::Cdn && r.path.contains(&set3);
        assert!(wait_until(Duration::from_secs(10), || emu2
            .requests()
            .iter()
            .any(preloading)));
        let before = emu2.requests().len();
        // Both segments of item 2 are fetched (and item 3 preloaded): seeking back and forth
        // within them asks the network for nothing; only the preload may still be fetching.
        let long = Duration::from_secs(10);
        let seeked = |e: &PlayerEvent| matches!(e, PlayerEvent::Seeked(_));
        player.seek(Duration::from_millis(9_500));
        assert!(wait_event(&events, long, seeked).is_some());
        player.seek(Duration::from_millis(500));
        assert!(wait_event(&events, long, seeked).is_some());
        player.seek(Duration::from_millis(9_800));
        assert_eq!(changes(&events, 1, Duration::from_secs(10)), [1]);
        let log = emu2.requests();
        let after: Vec<_> = log[before..]
            .iter()
            .filter(|r| !preloading(r))
            .map(|r| format!("{:?} {}", r.origin, r.path))
            .collect();
        assert!(after.is_empty(), "requests after the seeks: {after:?}");
        // Nothing fetched was fetched again: not item 2's segments, not item 3's preload.
        let mut media: Vec<_> = log
            .iter()
            .filter(|r| r.origin == Origin::Cdn)
            .map(|r| (r.path.clone(), r.range.clone()))
            .collect();
        media.sort();
        let again: Vec<_> = media.windows(2).filter(|w| w[0] == w[1]).collect();
        assert!(again.is_empty(), "fetched again: {again:?}");
        // Paused, a seek moves the position without playing.
        player.pause();
        assert!(wait_event(&events, long, |e| matches!(e, PlayerEvent::Paused)).is_some());
        player.seek(Duration::from_secs(2));
        assert!(wait_event(&events, long, seeked).is_some());
        assert!(
            !wait_until(Duration::from_millis(400), || player.position()
                != Duration::from_secs(2)),
            "paused, the position stays where the seek put it: {:?}",
            player.position()
        );
        player.stop();
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seek_is_announced_when_the_audio_from_there_is_in_the_output() {
    let emu = Arc::new(emulator().await);
    let c = client(&emu);
    let emu2 = emu.clone();
    tokio::task::spawn_blocking(move || {
        let player = Player::new(Some(c), Sink::Null, realtime()).unwrap();
        let events = player.events();
        player.play(&catalog::TRACK_HOUR.to_string()).unwrap();
        assert_eq!(changes(&events, 1, Duration::from_secs(10)), [0]);
        // Half an hour in is far outside what was fetched; the CDN answers late.
        emu2.add_fault(
            scplay_emulator::Fault::on(
                "/",
                scplay_emulator::FaultKind::Latency(Duration::from_millis(400)),
            )
            .at(Origin::Cdn),
        );
        let before = emu2.arrivals().len();
        let served_before: Vec<String> = emu2.requests().into_iter().map(|r| r.path).collect();
        player.seek(Duration::from_secs(1800));
        assert!(
            wait_until(Duration::from_secs(2), || player.position()
                >= Duration::from_secs(1800)),
            "the position moves at once: {:?}",
            player.position()
        );
        let at_target =
            |e: &PlayerEvent| matches!(e, PlayerEvent::Seeked(p) if (p - 1800.0).abs() < 0.01);
        assert!(
            wait_event(&events, Duration::from_secs(10), at_target).is_some(),
            "no Seeked(1800)"
        );
        // By then the media from there has been fetched, not merely asked for.
        let asked: Vec<String> = emu2.arrivals()[before..]
            .iter()
            .filter(|(o, _)| *o == Origin::Cdn)
            .map(|(_, p)| p.clone())
            .collect();
        let served: Vec<String> = emu2
            .requests()
            .into_iter()
            .filter(|r| r.origin == Origin::Cdn)
            .map(|r| r.path)
            .collect();
        assert!(
            asked
                .iter()
                .any(|p| served.contains(p) && !served_before.contains(p)),
            "Seeked came before the media it plays: asked {asked:?}"
        );
        player.stop();
    })
    .await
    .unwrap();
}
