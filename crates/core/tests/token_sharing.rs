//! Single-flight refresh and token sharing through a FileStore.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use common::*;
use scplay_core::{FileStore, TokenStore};

fn temp_store(name: &str) -> (Arc<dyn TokenStore>, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("scplay-core-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join("token.json");
    (Arc::new(FileStore::new(&path)), dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_requests_with_an_expired_token_refresh_once() {
    let emu = emulator().await;
    let client = user_client(&emu).await;
    client.me().await.unwrap();
    emu.expire_access_tokens();
    let calls: Vec<_> = (0..50)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.track(2001).await })
        })
        .collect();
    for c in calls {
        c.await.unwrap().unwrap();
    }
    assert_eq!(emu.grants().refresh_token, 1);
    assert_eq!(emu.grants().refresh_token_reused, 0);
}

#[tokio::test]
async fn a_hundred_clients_on_one_file_store_share_one_grant() {
    let emu = emulator().await;
    let (store, dir) = temp_store("hundred");
    for _ in 0..100 {
        let client = client_with_store(&emu, store.clone());
        client.track(2001).await.unwrap();
    }
    assert_eq!(emu.grants().client_credentials, 1);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn clients_sharing_a_store_never_reuse_a_refresh_token() {
    let emu = emulator().await;
    let (store, dir) = temp_store("share");
    let first = client_with_store(&emu, store.clone());
    let token = user_client(&emu).await.token().await.unwrap().unwrap();
    first.set_token(token).await.unwrap();
    // Ten clients (as ten processes would) on one file, all finding the token expired.
    let clients: Vec<_> = (0..10)
        .map(|_| client_with_store(&emu, store.clone()))
        .collect();
    for round in 0..3 {
        emu.expire_access_tokens();
        let calls: Vec<_> = clients
            .iter()
            .map(|c| {
                let c = c.clone();
                tokio::spawn(async move { c.me().await })
            })
            .collect();
        for c in calls {
            c.await
                .unwrap()
                .unwrap_or_else(|e| panic!("round {round}: {e}"));
        }
    }
    assert_eq!(
        emu.grants().refresh_token_reused,
        0,
        "a spent refresh token was sent again"
    );
    assert!(emu.grants().refresh_token >= 3);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_saved_token_survives_a_restart() {
    let emu = emulator().await;
    let (store, dir) = temp_store("restart");
    let path = dir.join("token.json");
    client_with_store(&emu, store).track(2001).await.unwrap();
    // A new process: a new store object on the same file.
    let again = client_with_store(&emu, Arc::new(FileStore::new(&path)));
    again.track(2002).await.unwrap();
    assert_eq!(emu.grants().client_credentials, 1);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("access_token"));
    let _ = std::fs::remove_dir_all(dir);
}
