//! A misbehaving token endpoint, through the emulator: it stalls, refuses with 429/503, answers
//! after the caller gave up, or the store cannot save what it answered. No token is lost, no
//! refresh token is spent twice, and every call ends in bounded time.
#![allow(clippy::unwrap_used)]

mod common;

use scplay_testkit::eventually;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use common::*;
use scplay_core::{Client, Error, FileStore, MemoryStore, RetryPolicy, Token, TokenStore};
use scplay_emulator::{Emulator, Fault, FaultKind, Origin};

fn temp_store(name: &str) -> (Arc<dyn TokenStore>, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("scplay-core-tef-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    (Arc::new(FileStore::new(dir.join("token.json"))), dir)
}

/// Signs `client` in as the emulator's user (paste-the-URL path).
async fn sign_in(client: &Client) {
    let req = client.authorization_request(false).unwrap();
    let back = browser(req.url().as_str()).await;
    req.finish_with_redirect(client, &back).await.unwrap();
}

fn token_fault(emu: &Emulator, kind: FaultKind, times: u32) {
    emu.add_fault(
        Fault::on("/oauth/token", kind)
            .at(Origin::Auth)
            .times(times),
    );
}

/// Token requests the endpoint refused as bad grants (a spent or unknown refresh token).
fn refused_grants(emu: &Emulator) -> usize {
    emu.requests()
        .iter()
        .filter(|r| r.path == "/oauth/token" && r.status == 400)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_token_endpoint_gives_up_in_time_and_releases_both_locks() {
    let emu = emulator().await;
    let (store, dir) = temp_store("stall");
    let build = |store: Arc<dyn TokenStore>| {
        builder(&emu)
            .timeout(Duration::from_millis(400))
            .retry(RetryPolicy {
                max_attempts: 2,
                base_delay: Duration::from_millis(20),
                max_delay: Duration::from_millis(200),
            })
            .shared_token_store(store)
            .build()
            .unwrap()
    };
    // Two processes on one token file.
    let first = build(store);
    let second = build(Arc::new(FileStore::new(dir.join("token.json"))));
    let give_up = first.config().give_up_time();
    assert_eq!(give_up, Duration::from_millis(1000));
    // Whoever takes the file lock first meets an endpoint that accepts and never answers.
    token_fault(&emu, FaultKind::Latency(Duration::from_secs(3600)), 2);
    let t = Instant::now();
    let timed = |c: Client| async move {
        let r = c.track(2001).await;
        (r, t.elapsed())
    };
    let both = tokio::time::timeout(Duration::from_secs(10), async {
        tokio::join!(timed(first.clone()), timed(second.clone()))
    })
    .await
    .expect("a stalled token endpoint hung the callers");
    let (err, at) = match both {
        ((Err(e), at), (Ok(_), _)) | ((Ok(_), _), (Err(e), at)) => (e, at),
        (a, b) => panic!(
            "expected one failure and one success: {:?} / {:?}",
            a.0.err(),
            b.0.err()
        ),
    };
    assert!(matches!(err, Error::Network { .. }), "{err}");
    assert!(
        at <= give_up + Duration::from_secs(1),
        "gave up after {at:?}"
    );
    // The in-process lock is free too: the client that gave up works now, on the shared token.
    first.track(2001).await.unwrap();
    second.track(2001).await.unwrap();
    assert_eq!(emu.grants().client_credentials, 1);
    let _ = std::fs::remove_dir_all(dir);
}

async fn refused_refresh_keeps_the_refresh_token(kind: FaultKind, times: u32) {
    let emu = emulator().await;
    let client = user_client(&emu).await;
    let before = client.token().await.unwrap().unwrap();
    emu.expire_access_tokens();
    token_fault(&emu, kind.clone(), times);
    let err = client.me().await.unwrap_err();
    assert!(
        matches!(err, Error::RateLimited { .. } | Error::Unavailable { .. }),
        "{kind:?}: {err}"
    );
    assert!(!err.is_auth(), "{kind:?}: not a sign-out: {err}");
    let kept = client.token().await.unwrap().unwrap();
    assert_eq!(kept.refresh_token, before.refresh_token, "{kind:?}");
    // Later, the same refresh token is spent once, successfully.
    client.me().await.unwrap();
    assert_eq!(emu.grants().refresh_token, 1);
    assert_eq!(emu.grants().refresh_token_reused, 0);
    assert_eq!(refused_grants(&emu), 0);
}

#[tokio::test]
async fn a_429_with_retry_after_on_refresh_keeps_the_refresh_token() {
    // Retry-After 60 s is beyond the policy's max_delay: returned, not waited for.
    refused_refresh_keeps_the_refresh_token(
        FaultKind::TooManyRequests {
            retry_after_secs: 60,
        },
        1,
    )
    .await;
}

#[tokio::test]
async fn a_503_on_refresh_keeps_the_refresh_token() {
    // Every attempt the policy allows (4) is refused.
    refused_refresh_keeps_the_refresh_token(
        FaultKind::Unavailable {
            retry_after_secs: 1,
        },
        4,
    )
    .await;
}

#[tokio::test]
async fn a_refused_refresh_ahead_of_expiry_uses_the_still_valid_token() {
    let emu = emulator().await;
    let client = user_client(&emu).await;
    // Into the refresh window: 30 s left of a long lifetime, still valid at the server.
    let mut t = client.token().await.unwrap().unwrap();
    t.expires_at = t.issued_at + 30;
    t.issued_at -= 3600;
    client.set_token(t.clone()).await.unwrap();
    token_fault(
        &emu,
        FaultKind::TooManyRequests {
            retry_after_secs: 60,
        },
        1,
    );
    client.me().await.unwrap();
    assert_eq!(
        client.token().await.unwrap().unwrap().refresh_token,
        t.refresh_token
    );
    assert_eq!(emu.grants().refresh_token, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_cancelled_after_the_rotation_loses_nothing() {
    let emu = emulator().await;
    let (store, dir) = temp_store("cancel");
    let client = client_with_store(&emu, store.clone());
    sign_in(&client).await;
    let before = client.token().await.unwrap().unwrap();
    emu.expire_access_tokens();
    // The server rotates at once and answers 2 s later; the caller is dropped as soon as
    // the rotation has happened (as a `select!` or a timeout would drop it).
    token_fault(&emu, FaultKind::ResponseLatency(Duration::from_secs(2)), 1);
    let mut call = Box::pin(client.me());
    let reached = eventually(
        "the refresh to reach the server",
        Duration::from_secs(5),
        async || emu.grants().refresh_token > 0,
    );
    tokio::select! {
        r = &mut call => panic!("answered before it could be cancelled: {r:?}"),
        () = reached => {}
    }
    drop(call);
    // The renewal finishes without it: the store gets the new pair.
    eventually(
        "the new pair to be saved",
        Duration::from_secs(10),
        async || store.load().unwrap().unwrap().refresh_token != before.refresh_token,
    )
    .await;
    // This client, and another process on the same file, go on with it.
    client.me().await.unwrap();
    let other = client_with_store(&emu, Arc::new(FileStore::new(dir.join("token.json"))));
    other.me().await.unwrap();
    emu.expire_access_tokens();
    client.me().await.unwrap();
    assert_eq!(emu.grants().refresh_token, 2);
    assert_eq!(emu.grants().refresh_token_reused, 0);
    assert_eq!(refused_grants(&emu), 0, "no invalid_grant");
    let _ = std::fs::remove_dir_all(dir);
}

/// A store whose saves fail while `failing` is set (a read-only or full SD card).
#[derive(Debug, Default)]
struct FlakyStore {
    inner: MemoryStore,
    failing: AtomicBool,
    failed: AtomicU32,
}

impl TokenStore for FlakyStore {
    fn load(&self) -> scplay_core::Result<Option<Token>> {
        self.inner.load()
    }

    fn save(&self, token: &Token) -> scplay_core::Result<()> {
        if self.failing.load(Ordering::SeqCst) {
            self.failed.fetch_add(1, Ordering::SeqCst);
            return Err(Error::Io {
                context: "writing the token file".into(),
                source: std::io::Error::new(
                    std::io::ErrorKind::ReadOnlyFilesystem,
                    "read-only file system",
                ),
            });
        }
        self.inner.save(token)
    }

    fn clear(&self) -> scplay_core::Result<()> {
        self.inner.clear()
    }
}

#[tokio::test]
async fn a_pair_that_cannot_be_saved_is_kept_used_and_saved_later() {
    let emu = emulator().await;
    let store = Arc::new(FlakyStore::default());
    let client = client_with_store(&emu, store.clone());
    sign_in(&client).await;
    store.failing.store(true, Ordering::SeqCst);
    emu.expire_access_tokens();
    client.me().await.unwrap();
    assert_eq!(emu.grants().refresh_token, 1);
    assert!(
        store.failed.load(Ordering::SeqCst) >= 1,
        "the save was tried"
    );
    let in_memory = client.token().await.unwrap().unwrap();
    assert_ne!(
        store.load().unwrap().unwrap(),
        in_memory,
        "the store is behind"
    );
    // The next refresh spends the new refresh token, not the stale one in the store.
    emu.expire_access_tokens();
    client.me().await.unwrap();
    assert_eq!(emu.grants().refresh_token, 2);
    assert_eq!(emu.grants().refresh_token_reused, 0);
    assert_eq!(refused_grants(&emu), 0);
    // Once the store works again, the pair in use reaches it.
    store.failing.store(false, Ordering::SeqCst);
    emu.expire_access_tokens();
    client.me().await.unwrap();
    assert_eq!(
        store.load().unwrap(),
        client.token().await.unwrap(),
        "saved again"
    );
}

#[tokio::test]
async fn user_only_calls_with_an_app_token_cost_no_grants() {
    let emu = emulator().await;
    let client = app_client(&emu);
    client.track(2001).await.unwrap();
    let before = emu.grants();
    for _ in 0..5 {
        let err = client.me().await.unwrap_err();
        assert!(matches!(err, Error::NeedsUser { .. }), "{err}");
        assert!(err.is_auth());
    }
    assert_eq!(emu.grants(), before, "no refresh and no new grant for /me");
    // The app token itself still works for public calls.
    client.track(2001).await.unwrap();
    assert_eq!(emu.grants(), before);
}
