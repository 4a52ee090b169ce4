//! End-to-end playback through the emulator, checked against a reference decode.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use scplay_emulator::{Origin, catalog};
use scplay_player::{Player, PlayerError, PlayerEvent, PlayerOptions, Prefer, Sink};

async fn reference_for(
    emu: &scplay_emulator::Emulator,
    track: u64,
    kind: &str,
) -> (u32, u16, Vec<f32>) {
    let c = client(emu);
    let streams = c.streams(track, None).await.unwrap();
    let v = serde_json::to_value(&streams).unwrap();
    let api_url = v[format!("{kind}_url")].as_str().unwrap().to_string();
    let cdn = c.stream_location(&api_url).await.unwrap();
    let (data, priming, ext) = download(cdn.as_str()).await;
    tokio::task::spawn_blocking(move || reference_decode(data, ext, priming))
        .await
        .unwrap()
}

async fn check(track: u64, kind: &str, prefer: Prefer) {
    let emu = emulator().await;
    let want = reference_for(&emu, track, kind).await;
    let c = client(&emu);
    let opts = PlayerOptions {
        prefer,
        ..PlayerOptions::default()
    };
    let name = format!("{track}-{kind}");
    let got =
        tokio::task::spawn_blocking(move || play_to_wav(Some(c), &track.to_string(), &name, opts))
            .await
            .unwrap();
    assert_eq!((got.0, got.1), (want.0, want.1), "format");
    let diff = got.2.len() as i64 - want.2.len() as i64;
    assert!(
        diff.abs() <= 2 * 1152,
        "{kind}: {} samples played, {} expected",
        got.2.len(),
        want.2.len()
    );
    let snr = snr_db(&want.2, &got.2);
    assert!(snr >= 90.0, "{kind}: SNR {snr:.1} dB");
    // The CDN never saw the token.
    assert!(
        emu.requests()
            .iter()
            .filter(|r| r.origin == Origin::Cdn)
            .all(|r| !r.authorization)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aac_hls_matches_the_reference() {
    check(catalog::TRACK_PLAYABLE, "hls_aac_160", Prefer::Aac).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mp3_hls_matches_the_reference() {
    check(catalog::TRACK_PLAYABLE, "hls_mp3_128", Prefer::Mp3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mp3_only_tracks_play_their_mp3_hls() {
    check(catalog::TRACK_MP3_ONLY, "hls_mp3_128", Prefer::Aac).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progressive_mp3_matches_the_reference() {
    let emu = emulator().await;
    let url = emu.sign_cdn_path(
        &format!("/{}.128.mp3", catalog::TRACK_MP3_ONLY),
        Duration::from_secs(300),
    );
    let (data, _, _) = download(&url).await;
    let want = tokio::task::spawn_blocking(move || reference_decode(data, "mp3", 0))
        .await
        .unwrap();
    let got = tokio::task::spawn_blocking(move || {
        play_to_wav(None, &url, "progressive", PlayerOptions::default())
    })
    .await
    .unwrap();
    assert_eq!(got.2.len(), want.2.len());
    assert!(snr_db(&want.2, &got.2) >= 90.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preview_plays_the_preview_and_says_so() {
    let emu = emulator().await;
    let want = reference_for(&emu, catalog::TRACK_PREVIEW, "preview_mp3_128").await;
    let c = client(&emu);
    let got = tokio::task::spawn_blocking(move || {
        let path = temp_wav("preview");
        let player =
            Player::new(Some(c), Sink::Wav(path.clone()), PlayerOptions::default()).unwrap();
        let events = player.events();
        player.play(&catalog::TRACK_PREVIEW.to_string()).unwrap();
        player.wait().unwrap();
        let preview = events
            .try_iter()
            .any(|e| matches!(e, PlayerEvent::Playing { preview: true, .. }));
        drop(player);
        (preview, take_wav(&path).1)
    })
    .await
    .unwrap();
    assert!(got.0, "the Playing event marks the preview");
    assert!(snr_db(&want.2, &got.1) >= 90.0);
    let secs = got.1.len() as f64 / 2.0 / 44_100.0;
    assert!((29.0..31.0).contains(&secs), "{secs}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocked_refuses_without_a_media_request() {
    let emu = emulator().await;
    let c = client(&emu);
    let err = tokio::task::spawn_blocking(move || {
        let player = Player::new(Some(c), Sink::Null, PlayerOptions::default()).unwrap();
        player.play(&catalog::TRACK_BLOCKED.to_string()).unwrap();
        player.wait().unwrap_err()
    })
    .await
    .unwrap();
    assert!(
        matches!(err, PlayerError::Blocked { .. }) && err.is_not_playable(),
        "{err}"
    );
    // `/streams` is asked for with the metadata (and answers 404 for a blocked track); no
    // stream hop and no media request follows.
    assert!(
        emu.requests()
            .iter()
            .all(|r| r.origin != Origin::Cdn && !r.path.contains("/streams/"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drm_only_tracks_are_refused() {
    let emu = emulator().await;
    let c = client(&emu);
    let err = tokio::task::spawn_blocking(move || {
        let player = Player::new(Some(c), Sink::Null, PlayerOptions::default()).unwrap();
        player.play(&catalog::TRACK_DRM.to_string()).unwrap();
        player.wait().unwrap_err()
    })
    .await
    .unwrap();
    assert!(matches!(err, PlayerError::Drm { .. }), "{err}");
    assert!(err.is_not_playable());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direct_playlist_urls_play_without_the_api() {
    let emu = emulator().await;
    let url = emu.sign_cdn_path(
        &format!("/aac/{}/160/playlist.m3u8", catalog::TRACK_DEMO_1),
        Duration::from_secs(300),
    );
    let got = tokio::task::spawn_blocking(move || {
        play_to_wav(None, &url, "direct", PlayerOptions::default())
    })
    .await
    .unwrap();
    let secs = got.2.len() as f64 / f64::from(got.1) / f64::from(got.0);
    assert!((5.9..6.2).contains(&secs), "{secs}");
    assert!(emu.requests().iter().all(|r| r.origin == Origin::Cdn));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn byte_ranges_in_a_direct_playlist_are_honoured() {
    let emu = emulator().await;
    let file = emu.sign_cdn_path(
        &format!("/{}.128.mp3", catalog::TRACK_MP3_ONLY),
        Duration::from_secs(600),
    );
    let len = scplay_testkit::http()
        .get(&file)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .len() as u64;
    // One MP3 cut into three byte ranges: the first with its offset, the others after the
    // previous one (no offset), as the HLS spec allows.
    let (a, b) = (len / 3, 2 * len / 3);
    let playlist = format!(
        "#EXTM3U\n#EXT-X-VERSION:4\n#EXT-X-TARGETDURATION:600\n\
         #EXTINF:1.0,\n#EXT-X-BYTERANGE:{a}@0\n{file}\n\
         #EXTINF:1.0,\n#EXT-X-BYTERANGE:{}\n{file}\n\
         #EXTINF:1.0,\n#EXT-X-BYTERANGE:{}\n{file}\n#EXT-X-ENDLIST\n",
        b - a,
        len - b
    );
    let list = format!(
        "{}/list.m3u8",
        serve(vec![("/list.m3u8".into(), playlist.into_bytes())]).await
    );
    let (whole, cut) = tokio::task::spawn_blocking(move || {
        let o = PlayerOptions::default;
        (
            play_to_wav(None, &file, "byterange-whole", o()),
            play_to_wav(None, &list, "byterange-cut", o()),
        )
    })
    .await
    .unwrap();
    // Without the ranges, every segment is the whole file: three times the audio.
    assert_eq!(cut.2.len(), whole.2.len(), "same length as the file itself");
    assert!(cut.2 == whole.2, "the same samples");
    let ranges: Vec<_> = emu.requests().into_iter().filter_map(|r| r.range).collect();
    assert!(
        ranges.contains(&format!("bytes=0-{}", a - 1))
            && ranges.contains(&format!("bytes={b}-{}", len - 1)),
        "{ranges:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seek_lands_on_the_sample() {
    let emu = emulator().await;
    let want = reference_for(&emu, catalog::TRACK_PLAYABLE, "hls_aac_160").await;
    let c = client(&emu);
    let got = tokio::task::spawn_blocking(move || {
        let path = temp_wav("seek");
        // Paused from the start so nothing plays before the seek.
        let player = Player::new(Some(c), Sink::Wav(path.clone()), PlayerOptions::default()).unwrap();
        let events = player.events();
        player.pause();
        player.play(&catalog::TRACK_PLAYABLE.to_string()).unwrap();
        // Wait until loaded, then seek while paused, then resume.
        while !matches!(events.recv_timeout(Duration::from_secs(10)), Ok(PlayerEvent::Loading(i)) if i.title.is_some()) {}
        player.seek(Duration::from_secs_f64(23.5));
        player.resume();
        player.wait().unwrap();
        drop(player);
        take_wav(&path).1
    })
    .await
    .unwrap();
    let start = (23.5 * 44_100.0) as usize * 2;
    let expected = &want.2[start..];
    // Within one AAC frame (1024 samples) of the target: find the best alignment.
    let probe = &got[4096..4096 + 4096];
    let best = (0..=2048usize)
        .flat_map(|d| {
            [
                start as i64 + 4096 + 2 * d as i64,
                start as i64 + 4096 - 2 * d as i64,
            ]
        })
        .filter(|o| *o >= 0)
        .map(|o| (o, snr_db(&want.2[o as usize..o as usize + 4096], probe)))
        .fold((0i64, f64::MIN), |a, b| if b.1 > a.1 { b } else { a });
    let offset_frames = (best.0 - start as i64 - 4096) / 2;
    eprintln!(
        "seek landed {offset_frames} frames from the target (SNR {:.1} dB)",
        best.1
    );
    assert!(
        offset_frames.abs() <= 1024,
        "landed {offset_frames} frames off (SNR {:.1})",
        best.1
    );
    assert!(
        best.1 > 40.0,
        "no match for the seeked audio (best SNR {:.1} dB)",
        best.1
    );
    assert!(got.len() <= expected.len() + 4096);
}

/// Plays the 36 s track's playlist (four segments) with `opts` and its first media segment
/// held back for 30 s. Once that segment is asked for, gives back the media segments asked
/// for (sorted) as soon as `want` of them were, or when `window` has passed.
async fn segments_asked_while_the_first_is_held(
    opts: PlayerOptions,
    want: usize,
    window: Duration,
) -> Vec<String> {
    use scplay_emulator::{Fault, FaultKind};
    let emu = emulator().await;
    emu.add_fault(
        Fault::on("/160/0.m4s", FaultKind::Latency(Duration::from_secs(30)))
            .at(Origin::Cdn)
            .times(1),
    );
    let url = emu.sign_cdn_path(
        &format!("/aac/{}/160/playlist.m3u8", catalog::TRACK_PLAYABLE),
        Duration::from_secs(300),
    );
    let media = || -> Vec<String> {
        let mut asked: Vec<String> = emu
            .arrivals()
            .into_iter()
            .filter(|(o, p)| *o == Origin::Cdn && p.ends_with(".m4s"))
            .map(|(_, p)| p.rsplit('/').next().unwrap_or_default().to_string())
            .collect();
        asked.sort();
        asked
    };
    // The waits sleep, and dropping the player ends its runtime: off the test's runtime.
    tokio::task::block_in_place(|| {
        let player = Player::new(None, Sink::Null, opts).unwrap();
        player.play(&url).unwrap();
        let first_asked = wait_until(Duration::from_secs(10), || {
            media().iter().any(|s| s == "0.m4s")
        });
        assert!(first_asked, "the first segment is asked for");
        wait_until(window, || media().len() >= want);
        media()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prefetched_segments_are_asked_for_while_one_is_on_its_way() {
    let opts = PlayerOptions {
        prefetch_segments: 2,
        realtime: true,
        ..PlayerOptions::default()
    };
    let asked = segments_asked_while_the_first_is_held(opts, 3, Duration::from_secs(10)).await;
    assert_eq!(asked, ["0.m4s", "1.m4s", "2.m4s"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paced_playback_asks_for_one_segment_at_a_time() {
    // With the defaults nothing else is asked for while the first segment is on its way (a
    // window of 500 ms, where prefetching asks within milliseconds).
    let opts = PlayerOptions {
        realtime: true,
        ..PlayerOptions::default()
    };
    let asked = segments_asked_while_the_first_is_held(opts, 2, Duration::from_millis(500)).await;
    assert_eq!(asked, ["0.m4s"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unpaced_playback_keeps_a_segment_on_its_way() {
    // At decode speed a round trip per segment would add up: the defaults ask for the next
    // segment while one is on its way.
    let asked = segments_asked_while_the_first_is_held(
        PlayerOptions::default(),
        3,
        Duration::from_millis(500),
    )
    .await;
    assert_eq!(asked, ["0.m4s", "1.m4s"]);
}
