//! The process's one TLS set-up (`scplay_core::tls`): plain HTTP reads no trust root; the
//! roots are read on the first certificate there is to check, and an untrusted certificate
//! is refused. One test in this file: the roots are loaded once per process.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use scplay_core::tls;
use scplay_emulator::catalog;
use tokio::io::AsyncWriteExt;

/// A TLS server on loopback with a fresh self-signed certificate for `localhost` (in no
/// root store), answering every connection with a fixed HTTP response. Returns its port.
async fn untrusted_server(dir: &std::path::Path) -> u16 {
    let (key, cert) = (dir.join("key.pem"), dir.join("cert.pem"));
    let made = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args([
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl (make test-deps installs it)");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let certs = vec![CertificateDer::from_pem_file(&cert).unwrap()];
    let key = PrivateKeyDer::from_pem_file(&key).unwrap();
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(mut tls) = acceptor.accept(tcp).await {
                    let _ = tls
                        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                        .await;
                }
            });
        }
    });
    port
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_reads_no_roots_and_the_first_handshake_checks_against_them() {
    let emu = common::emulator().await;
    let client = common::app_client(&emu);
    client.track(catalog::TRACK_PLAYABLE).await.unwrap();
    assert!(
        !tls::roots_loaded(),
        "a client on plain-HTTP origins read the platform's trust roots"
    );

    let dir = std::env::temp_dir().join(format!("scplay-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = untrusted_server(&dir).await;
    let http = tls::client_builder().build().unwrap();
    let err = http
        .get(format!("https://localhost:{port}/"))
        .send()
        .await
        .expect_err("a self-signed certificate must be refused");
    let mut chain = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        chain.push_str(&format!(": {s}"));
        source = s.source();
    }
    assert!(chain.contains("certificate"), "{chain}");
    assert!(tls::roots_loaded(), "the handshake checked no root store");
    let _ = std::fs::remove_dir_all(&dir);
}
