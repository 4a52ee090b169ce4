//! Pagination guards and retry behaviour against the emulator.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use common::*;
use futures_util::{StreamExt, TryStreamExt};
use scplay_core::{Error, ListOptions, RetryPolicy, TrackSearch};
use scplay_emulator::{EmulatorConfig, Fault, FaultKind, Origin};

#[tokio::test]
async fn pages_through_a_large_collection_once() {
    let emu = emulator().await;
    let client = app_client(&emu);
    let opts = ListOptions {
        limit: Some(37),
        ..ListOptions::default()
    };
    let users: Vec<_> = client
        .user_followers(1001, &opts)
        .try_collect()
        .await
        .unwrap();
    let urns: HashSet<_> = users.iter().map(|u| u.urn.unwrap()).collect();
    assert_eq!(urns.len(), users.len());
    let expected = client.user(1001).await.unwrap().followers_count.unwrap() as usize;
    assert_eq!(users.len(), expected);
    let pages = emu
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/followers"))
        .count();
    assert_eq!(pages, expected.div_ceil(37));
    // Only what is consumed is fetched.
    emu.clear_requests();
    let first: Vec<_> = client.user_followers(1001, &opts).take(5).collect().await;
    assert_eq!(first.len(), 5);
    assert_eq!(
        emu.requests()
            .iter()
            .filter(|r| r.path.ends_with("/followers"))
            .count(),
        1
    );
}

#[tokio::test]
async fn limits_outside_1_to_200_are_refused_locally() {
    let emu = emulator().await;
    let client = app_client(&emu);
    for bad in [0, 201] {
        let r: Result<Vec<_>, _> = client
            .search_tracks(&TrackSearch::new("").limit(bad))
            .try_collect()
            .await;
        assert!(matches!(r, Err(Error::InvalidArgument(_))), "{bad}");
    }
    assert!(emu.requests().iter().all(|r| r.path != "/tracks"));
}

#[tokio::test]
async fn a_repeated_next_href_ends_the_stream() {
    let emu = emulator_with(EmulatorConfig {
        repeat_next_href: true,
        ..EmulatorConfig::default()
    })
    .await;
    let client = app_client(&emu);
    let opts = ListOptions {
        limit: Some(50),
        ..ListOptions::default()
    };
    let users: Vec<_> = client
        .user_followers(1001, &opts)
        .try_collect()
        .await
        .unwrap();
    // Page 1, then page 2 which links to itself: two pages, no loop.
    assert_eq!(users.len(), 100);
}

#[tokio::test]
async fn a_next_href_on_another_host_is_refused_without_the_token() {
    let emu = emulator().await;
    let web = emu.web_base().to_string();
    emu.update_config(|c| c.next_href_origin = Some(web));
    let client = app_client(&emu);
    let opts = ListOptions {
        limit: Some(50),
        ..ListOptions::default()
    };
    let mut stream = client.user_followers(1001, &opts);
    let mut ok = 0;
    let mut err = None;
    while let Some(item) = stream.next().await {
        match item {
            Ok(_) => ok += 1,
            Err(e) => err = Some(e),
        }
    }
    assert_eq!(ok, 50, "the first page is delivered");
    assert!(matches!(err, Some(Error::ForeignOrigin { .. })), "{err:?}");
    assert!(
        emu.requests().iter().all(|r| r.origin != Origin::Web),
        "nothing was sent to the other host"
    );
}

#[tokio::test]
async fn five_hundred_threes_back_off_and_recover() {
    let emu = emulator().await;
    let client = app_client(&emu);
    client.track(2001).await.unwrap();
    emu.add_fault(
        Fault::on("/tracks/soundcloud:tracks:2001", FaultKind::Status(503))
            .at(Origin::Api)
            .times(2),
    );
    client.track(2001).await.unwrap();
    let hits = emu
        .requests()
        .iter()
        .filter(|r| r.path == "/tracks/soundcloud:tracks:2001")
        .count();
    assert_eq!(hits, 4, "one success, two 503s, one success");
    emu.add_fault(Fault::on(
        "/tracks/soundcloud:tracks:2001",
        FaultKind::Status(503),
    ));
    let err = client.track(2001).await.unwrap_err();
    assert!(matches!(err, Error::Unavailable { .. }) && err.is_retryable());
}

#[tokio::test]
async fn retry_after_is_honoured_up_to_the_cap() {
    let emu = emulator().await;
    let client = app_client(&emu);
    client.track(2001).await.unwrap();
    emu.add_fault(
        Fault::on(
            "/tracks/soundcloud:tracks:2002",
            FaultKind::TooManyRequests {
                retry_after_secs: 1,
            },
        )
        .times(1),
    );
    let t = Instant::now();
    client.track(2002).await.unwrap();
    assert!(t.elapsed() >= Duration::from_secs(1));
    let capped = builder(&emu)
        .retry(RetryPolicy {
            max_delay: Duration::from_millis(500),
            ..RetryPolicy::default()
        })
        .build()
        .unwrap();
    emu.add_fault(
        Fault::on(
            "/tracks/soundcloud:tracks:2002",
            FaultKind::TooManyRequests {
                retry_after_secs: 60,
            },
        )
        .times(1),
    );
    let err = capped.track(2002).await.unwrap_err();
    assert!(
        matches!(err, Error::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(60)),
        "{err}"
    );
}

#[tokio::test]
async fn a_504_on_a_post_is_surfaced_not_repeated() {
    let emu = emulator().await;
    let client = user_client(&emu).await;
    emu.add_fault(
        Fault::on(
            "/tracks/soundcloud:tracks:2001/comments",
            FaultKind::Status(504),
        )
        .times(1),
    );
    let err = client
        .post_comment(2001, "hello", Some(1000))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::GatewayTimeout { .. }), "{err}");
    let posts = emu
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/comments"))
        .count();
    assert_eq!(posts, 1);
    // A GET is idempotent: retried.
    emu.add_fault(
        Fault::on(
            "/tracks/soundcloud:tracks:2001/comments",
            FaultKind::Status(504),
        )
        .times(1),
    );
    let comments: Vec<_> = client
        .comments(2001, &ListOptions::default())
        .take(3)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(comments.len(), 3);
}

#[tokio::test]
async fn the_play_quota_names_its_reset_time() {
    let emu = emulator_with(EmulatorConfig {
        play_quota: scplay_emulator::RateLimit {
            max: 1,
            window: Duration::from_secs(3600),
        },
        ..EmulatorConfig::default()
    })
    .await;
    let client = app_client(&emu);
    let streams = client.streams(2001, None).await.unwrap();
    let url = streams.hls_aac_160_url.unwrap();
    client.stream_location(&url).await.unwrap();
    let err = client.stream_location(&url).await.unwrap_err();
    match err {
        Error::PlayQuota {
            reset_time: Some(t),
            max,
        } => {
            assert!(t.unix() > 0);
            assert_eq!(max, Some(1));
        }
        e => panic!("{e}"),
    }
}

#[tokio::test]
async fn a_dropped_connection_on_a_get_is_retried() {
    let emu = emulator().await;
    let client = app_client(&emu);
    client.track(2001).await.unwrap();
    emu.add_fault(
        Fault::on("/users/soundcloud:users:1001", FaultKind::DropAfter(10))
            .at(Origin::Api)
            .times(1),
    );
    let u = client.user(1001).await.unwrap();
    assert_eq!(u.username.as_deref(), Some("lena-tide"));
}

#[tokio::test]
async fn a_502_is_retried_for_a_get_but_never_for_a_post() {
    let emu = emulator().await;
    let client = user_client(&emu).await;
    let count = |method: &str, path: &str| {
        emu.requests()
            .iter()
            .filter(|r| r.method == method && r.path == path)
            .count()
    };
    // A POST that met a 502 may have been carried out: repeating it could make a second
    // playlist (or comment, or upload).
    emu.add_fault(
        Fault::on("/playlists", FaultKind::Status(502))
            .at(Origin::Api)
            .times(1),
    );
    let draft = scplay_core::PlaylistDraft {
        title: Some("once".into()),
        ..Default::default()
    };
    let err = client.create_playlist(&draft).await.unwrap_err();
    assert_eq!(err.status(), Some(502), "{err}");
    assert_eq!(count("POST", "/playlists"), 1, "the POST was not repeated");
    // A GET is safe to repeat.
    emu.add_fault(
        Fault::on("/tracks/soundcloud:tracks:2001", FaultKind::Status(502))
            .at(Origin::Api)
            .times(1),
    );
    client.track(2001).await.unwrap();
    assert_eq!(count("GET", "/tracks/soundcloud:tracks:2001"), 2);
}
