//! `RedisStore` against a real redis-server: a fleet shares one app token, one renewer at a
//! time, through Redis failures.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "common/redis_server.rs"]
mod redis_server;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use redis_server::{RedisServer, unused_port};
use scplay_core::store::{FleetEvent, RedisOptions, RedisStore};
use scplay_core::{Client, Secret, TokenStore};
use scplay_emulator::{Emulator, Fault, FaultKind, catalog};

fn options() -> RedisOptions {
    RedisOptions {
        lock_ttl: Duration::from_secs(5),
        retry: Duration::from_millis(100),
        ..RedisOptions::default()
    }
}

fn store(url: &str, options: RedisOptions) -> Arc<RedisStore> {
    Arc::new(RedisStore::open(url, catalog::CLIENT_ID, options).unwrap())
}

/// `machines` stores (one per machine, each its own connection and memory), each shared
/// by `per_machine` clients.
fn fleet(emu: &Emulator, url: &str, machines: usize, per_machine: usize) -> Vec<Client> {
    (0..machines)
        .flat_map(|_| {
            let s: Arc<dyn TokenStore> = store(url, options());
            (0..per_machine).map(move |_| s.clone()).collect::<Vec<_>>()
        })
        .map(|s| client_with_store(emu, s))
        .collect()
}

async fn all_fetch_a_track(clients: &[Client]) {
    let calls: Vec<_> = clients
        .iter()
        .map(|c| {
            let c = c.clone();
            tokio::spawn(async move { c.track(2001).await })
        })
        .collect();
    for c in calls {
        c.await.unwrap().unwrap();
    }
}

/// Polls `f` until it holds (at most 10 s).
async fn eventually(what: &str, f: impl AsyncFnMut() -> bool) {
    scplay_testkit::eventually(what, Duration::from_secs(10), f).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_machines_make_one_grant_and_one_refresh_per_lifetime() {
    let redis = RedisServer::start();
    let emu = emulator().await;
    let clients = fleet(&emu, &redis.url(), 3, 4);
    all_fetch_a_track(&clients).await;
    assert_eq!(emu.grants().client_credentials, 1);
    for lifetime in 1..=2 {
        emu.expire_access_tokens();
        all_fetch_a_track(&clients).await;
        let g = emu.grants();
        assert_eq!(g.refresh_token, lifetime, "one refresh per lifetime");
        assert_eq!(g.client_credentials, 1, "never another grant");
        assert_eq!(g.refresh_token_reused, 0, "no refresh token refused");
    }
    let stats = clients[0].fleet_stats().await.unwrap().unwrap();
    assert_eq!((stats.grants_12h, stats.refreshes_12h), (1, 2));
    assert_eq!(
        stats.last_renewal.map(|(_, how)| how).as_deref(),
        Some("refresh")
    );
    assert_eq!(
        stats.version,
        Some(3),
        "three pairs written, versions 1 to 3"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_owners_lock_expires() {
    let redis = RedisServer::start();
    let emu = emulator().await;
    let ttl = Duration::from_millis(800);
    let dead = store(
        &redis.url(),
        RedisOptions {
            lock_ttl: ttl,
            ..options()
        },
    );
    // Taken and never released: its process died.
    std::mem::forget(dead.lock().unwrap());
    let started = Instant::now();
    let client = client_with_store(&emu, store(&redis.url(), options()));
    client.track(2001).await.unwrap();
    let waited = started.elapsed();
    assert!(
        waited >= ttl - Duration::from_millis(100),
        "waited {waited:?} for the lock"
    );
    assert!(waited < Duration::from_secs(5), "{waited:?}");
    assert_eq!(emu.grants().client_credentials, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renewer_dropped_right_after_its_renewal_has_released_the_lock() {
    let redis = RedisServer::start();
    let emu = emulator().await;
    for _ in 0..5 {
        // The renewer's client and store are gone as soon as it has its answer.
        let renewer = client_with_store(&emu, store(&redis.url(), options()));
        renewer.track(2001).await.unwrap();
        drop(renewer);
        let next = store(&redis.url(), options());
        let started = Instant::now();
        drop(
            tokio::task::spawn_blocking(move || next.lock().unwrap())
                .await
                .unwrap(),
        );
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "the lock was left to expire ({:?})",
            started.elapsed()
        );
        emu.expire_access_tokens();
    }
}

/// Spends `refresh` at the token endpoint, as a renewer would just before dying.
async fn spend(emu: &Emulator, refresh: &Secret) {
    let r = scplay_core::tls::client_builder()
        .build()
        .unwrap()
        .post(format!(
            "{}/oauth/token",
            emu.auth_base().trim_end_matches('/')
        ))
        .basic_auth(catalog::CLIENT_ID, Some(catalog::CLIENT_SECRET))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.expose()),
        ])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renewer_that_died_mid_refresh_is_never_repeated() {
    let redis = RedisServer::start();
    let emu = emulator().await;
    let a = store(
        &redis.url(),
        RedisOptions {
            lock_ttl: Duration::from_millis(500),
            ..options()
        },
    );
    client_with_store(&emu, a.clone())
        .track(2001)
        .await
        .unwrap();
    let pair = a.load().unwrap().unwrap();
    let rt = pair.refresh_token.clone().unwrap();
    // The renewer: lock, mark, send the refresh token; then it dies (lock never released,
    // answer never saved).
    std::mem::forget(a.lock().unwrap());
    a.refreshing(&rt).unwrap();
    spend(&emu, &rt).await;
    emu.expire_access_tokens();
    let b = client_with_store(&emu, store(&redis.url(), options()));
    b.track(2001).await.unwrap();
    let g = emu.grants();
    assert_eq!(
        g.refresh_token_reused, 0,
        "the spent refresh token was not sent again"
    );
    assert_eq!(g.refresh_token, 1, "only the dead renewer's");
    assert_eq!(g.client_credentials, 2, "a new grant instead");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_killed_during_a_refresh_and_restarted_empty_loses_nothing() {
    let mut redis = RedisServer::start();
    let emu = emulator().await;
    let url = redis.url();
    let clients = fleet(&emu, &url, 3, 2);
    all_fetch_a_track(&clients).await;
    emu.expire_access_tokens();
    // The renewer's refresh is carried out, then its answer waits: Redis dies meanwhile.
    emu.add_fault(
        Fault::on(
            "oauth/token",
            FaultKind::ResponseLatency(Duration::from_millis(600)),
        )
        .times(1),
    );
    let renewer = clients[0].clone();
    let renewal = tokio::spawn(async move { renewer.track(2001).await });
    eventually("the refresh", async || emu.grants().refresh_token == 1).await;
    redis.kill();
    renewal.await.unwrap().unwrap();
    // The new pair is held in memory and used while Redis is away.
    clients[0].track(2001).await.unwrap();
    redis.restart_empty();
    // Its next use saves it to the empty Redis.
    let probe = store(&url, options());
    eventually("the pair saved again", async || {
        clients[0].track(2001).await.unwrap();
        probe.load().ok().flatten().is_some()
    })
    .await;
    all_fetch_a_track(&clients).await;
    let g = emu.grants();
    assert_eq!(g.client_credentials, 1, "no grant storm");
    assert_eq!(g.refresh_token, 1);
    assert_eq!(g.refresh_token_reused, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_at_start_is_not_an_outage() {
    let port = unused_port();
    let url = format!("redis://127.0.0.1:{port}/0");
    let emu = emulator().await;
    let client = client_with_store(&emu, store(&url, options()));
    for _ in 0..3 {
        client.track(2001).await.unwrap();
    }
    assert_eq!(client.local_grants(), 1);
    assert_eq!(
        emu.grants().client_credentials,
        1,
        "one local grant, not one per call"
    );
    // Redis comes up: the locally fetched token is saved, and another machine uses it.
    let _redis = RedisServer::start_on(port);
    let probe = store(&url, options());
    eventually("the local token saved", async || {
        client.track(2001).await.unwrap();
        probe.load().ok().flatten().is_some()
    })
    .await;
    let other = client_with_store(&emu, store(&url, options()));
    other.track(2001).await.unwrap();
    assert_eq!(emu.grants().client_credentials, 1);
    eventually("the local grant counted", async || {
        client.track(2001).await.unwrap();
        other.fleet_stats().await.unwrap().unwrap().local_grants_12h == 1
    })
    .await;
}

#[tokio::test]
async fn a_stale_writer_never_overwrites_a_newer_pair() {
    let redis = RedisServer::start();
    let emu = emulator().await;
    let (a, b) = (
        store(&redis.url(), options()),
        store(&redis.url(), options()),
    );
    client_with_store(&emu, a.clone())
        .track(2001)
        .await
        .unwrap();
    let old = a.load().unwrap().unwrap();
    let _ = b.load().unwrap();
    let mut newer = old.clone();
    newer.access_token = Secret::new("newer");
    {
        let _lock = b.lock().unwrap();
        b.save(&newer).unwrap();
    }
    let mut stale = old.clone();
    stale.access_token = Secret::new("stale");
    a.save(&stale).unwrap();
    assert_eq!(a.load().unwrap().unwrap().access_token.expose(), "newer");
}

#[tokio::test]
async fn plays_are_counted_per_app_and_accounts_are_apart() {
    let redis = RedisServer::start();
    let emu = emulator().await;
    let url = format!("{}?account=shop-1", redis.url());
    let shop = client_with_store(&emu, store(&url, options()));
    let app = client_with_store(&emu, store(&redis.url(), options()));
    for _ in 0..3 {
        shop.note_play_started().await;
    }
    shop.track(2001).await.unwrap();
    app.track(2001).await.unwrap();
    assert_eq!(
        emu.grants().client_credentials,
        2,
        "two accounts, two tokens"
    );
    let stats = app.fleet_stats().await.unwrap().unwrap();
    assert_eq!(stats.plays_24h, 3, "the app's plays, whoever played them");
    assert_eq!(stats.grants_12h, 2);
    let s = store(&redis.url(), options());
    s.record(FleetEvent::PlayStarted).unwrap();
    assert_eq!(s.fleet_stats().unwrap().unwrap().plays_24h, 4);
}

#[test]
fn urls_never_show_their_password() {
    let s = RedisStore::open(
        "redis://kiosk:hunter2@127.0.0.1:6390/3?account=shop",
        "id",
        RedisOptions::default(),
    )
    .unwrap();
    let shown = format!("{s:?} {}", s.target());
    assert!(
        !shown.contains("hunter2") && !shown.contains("kiosk"),
        "{shown}"
    );
    assert_eq!(s.target(), "redis://127.0.0.1:6390/3");
    assert_eq!(s.options().account, "shop");
    // Nothing listens there: the error names the store, not the password.
    let e = s.load().unwrap_err();
    assert!(e.is_store_unavailable());
    assert!(!e.to_string().contains("hunter2"), "{e}");
    for bad in ["http://x", "file:/tmp/x", "not a url"] {
        assert!(
            RedisStore::open(bad, "id", RedisOptions::default()).is_err(),
            "{bad}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_redis_is_tried_again_with_a_doubling_wait() {
    // A "Redis" that accepts connections and closes them at once, counting them.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("redis://{}/0", listener.local_addr().unwrap());
    let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = accepted.clone();
    std::thread::spawn(move || {
        for c in listener.incoming() {
            count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            drop(c);
        }
    });
    let emu = emulator().await;
    let client = client_with_store(&emu, store(&url, options()));
    let started = Instant::now();
    let mut calls = 0;
    while started.elapsed() < Duration::from_millis(1600) {
        client.track(2001).await.unwrap();
        calls += 1;
    }
    // Tries at about 0, 0.1, 0.3, 0.7 and 1.5 s (retry 100 ms, doubling), each of which may
    // connect twice (a reused connection is replaced once) — not one per call.
    let tries = accepted.load(std::sync::atomic::Ordering::Relaxed);
    assert!(calls > 50, "{calls} calls");
    assert!(
        (3..=12).contains(&tries),
        "{tries} connections for {calls} calls"
    );
    assert_eq!(client.local_grants(), 1);
    assert_eq!(emu.grants().client_credentials, 1);
}

/// Real lifetimes: tokens that live 6 s are renewed ahead of expiry (half their lifetime
/// before it), by one player of the fleet each time, while all of them keep calling.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn short_lived_tokens_are_renewed_once_per_lifetime_across_the_fleet() {
    let redis = RedisServer::start();
    let emu = emulator_with(scplay_emulator::EmulatorConfig {
        token_ttl: Duration::from_secs(6),
        ..scplay_emulator::EmulatorConfig::default()
    })
    .await;
    let clients = fleet(&emu, &redis.url(), 3, 3);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(30);
    while emu.grants().refresh_token < 2 {
        assert!(Instant::now() < deadline, "no renewals");
        all_fetch_a_track(&clients).await;
    }
    let elapsed = started.elapsed();
    let g = emu.grants();
    assert_eq!(
        (
            g.client_credentials,
            g.refresh_token,
            g.refresh_token_reused
        ),
        (1, 2, 0)
    );
    // Renewals come every 3 s (6 s lifetimes, renewed 3 s early), give or take the
    // whole-second expiry: two of them take at least 4 s. Two renewers in one lifetime
    // would show as two refreshes within a second.
    assert!(
        elapsed >= Duration::from_secs(4),
        "two refreshes in {elapsed:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_password_and_acl_user_come_from_the_url() {
    let redis = RedisServer::start_with(&[
        "--requirepass",
        "default-pw",
        "--user",
        "kiosk",
        "on",
        ">kiosk-pw",
        "~scplay:*",
        "+@all",
    ]);
    let emu = emulator().await;
    let at = |auth: &str| format!("redis://{auth}@127.0.0.1:{}/0", redis.port);
    let with_password = client_with_store(&emu, store(&at(":default-pw"), options()));
    with_password.track(2001).await.unwrap();
    let acl_user = client_with_store(&emu, store(&at("kiosk:kiosk-pw"), options()));
    acl_user.track(2001).await.unwrap();
    assert_eq!(
        emu.grants().client_credentials,
        1,
        "both read the same pair"
    );
    assert_eq!(acl_user.local_grants(), 0);
    // A wrong password is refused, and the error does not repeat it.
    let wrong = store(&at("kiosk:not-the-pw"), options());
    let e = wrong.load().unwrap_err();
    assert!(e.is_store_unavailable(), "{e}");
    assert!(!e.to_string().contains("not-the-pw"), "{e}");
    let no_password = store(&format!("redis://127.0.0.1:{}/0", redis.port), options());
    assert!(no_password.load().is_err());
}
