//! The loopback redirect listener of the authorization-code flow: it binds the host the
//! redirect URI names, reads each connection's request head with its own deadline (many at
//! once, so an idle or slow connection blocks nobody), answers callbacks that are not for
//! this sign-in with an error page and keeps waiting, and finishes the sign-in with the one
//! that carries its `state`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use reqwest::Url;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tracing::debug;

use super::authorization_code::AuthorizationRequest;
use crate::origin::is_loopback;
use crate::{Client, Error, Result, Token};

/// How long one connection may take to send its request head before it is closed. Other
/// connections are served meanwhile.
pub const CONNECTION_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections whose request head is awaited at once; further ones are closed on arrival
/// until one of them is done.
pub const MAX_PENDING_CONNECTIONS: usize = 32;

/// The longest request head read, in bytes.
const MAX_HEAD: usize = 8192;

const DONE_PAGE: &str = "<!doctype html><meta charset=utf-8><title>scplay</title>\
<body style=\"font-family:sans-serif\"><h1>Signed in</h1><p>You can close this tab.</p>";
const FAIL_PAGE: &str = "<!doctype html><meta charset=utf-8><title>scplay</title>\
<body style=\"font-family:sans-serif\"><h1>Sign-in failed</h1><p>Return to the app for details.</p>";
const FOREIGN_PAGE: &str = "<!doctype html><meta charset=utf-8><title>scplay</title>\
<body style=\"font-family:sans-serif\"><h1>Not this sign-in</h1>\
<p>This link does not belong to the sign-in the app is waiting for.</p>";

impl AuthorizationRequest {
    /// Listens on the loopback redirect URI for the callback, shows a "you can close this
    /// tab" page, and finishes the sign-in. Gives up after `timeout`.
    ///
    /// The host of the redirect URI is the one bound: `127.0.0.1`, `[::1]`, or for
    /// `localhost` both (whichever of them this machine has). Callbacks whose `state` is not
    /// this sign-in's (any web page can make the browser send one) are answered with an error
    /// page and ignored; each connection has [`CONNECTION_READ_TIMEOUT`] to send its request.
    pub async fn listen(&self, client: &Client, timeout: Duration) -> Result<Token> {
        let redirect = Url::parse(&self.redirect_uri)
            .map_err(|e| Error::Config(format!("redirect_uri: {e}")))?;
        if redirect.scheme() != "http" || !is_loopback(&redirect) {
            return Err(Error::Config(
                "the loopback listener needs an http://127.0.0.1:PORT/… (or localhost, or [::1]) redirect URI; paste the redirect URL instead".into(),
            ));
        }
        let listeners = bind(&redirect).await?;
        tokio::time::timeout(timeout, self.serve(client, &redirect, &listeners))
            .await
            .map_err(|_| Error::SignIn(format!("no sign-in within {} s", timeout.as_secs())))?
    }

    async fn serve(
        &self,
        client: &Client,
        redirect: &Url,
        listeners: &[TcpListener],
    ) -> Result<Token> {
        let mut pending = FuturesUnordered::new();
        loop {
            let accept =
                futures_util::future::select_all(listeners.iter().map(|l| Box::pin(l.accept())));
            tokio::select! {
                (accepted, _, _) = accept => {
                    let (sock, _) =
                        accepted.map_err(|e| Error::io("accepting the sign-in redirect", e))?;
                    if pending.len() < MAX_PENDING_CONNECTIONS {
                        pending.push(read_target(sock));
                    }
                }
                Some((mut sock, target)) = pending.next(), if !pending.is_empty() => {
                    let Some(url) = target.and_then(|t| redirect.join(&t).ok()) else {
                        continue;
                    };
                    if url.path() != redirect.path() {
                        answer(&mut sock, "404 Not Found", "").await;
                        continue;
                    }
                    if !self.is_for_me(&url) {
                        debug!("a callback for another sign-in was ignored");
                        answer(&mut sock, "400 Bad Request", FOREIGN_PAGE).await;
                        continue;
                    }
                    debug!("sign-in redirect received");
                    let result = self.finish(client, &url).await;
                    let page = if result.is_ok() { DONE_PAGE } else { FAIL_PAGE };
                    answer(&mut sock, "200 OK", page).await;
                    return result;
                }
            }
        }
    }
}

/// Binds the redirect URI's host and port: `localhost` means both loopback addresses, and
/// succeeds if either can be bound.
async fn bind(redirect: &Url) -> Result<Vec<TcpListener>> {
    let port = redirect.port().unwrap_or(80);
    let hosts: Vec<IpAddr> = match redirect.host() {
        Some(url::Host::Ipv4(ip)) => vec![ip.into()],
        Some(url::Host::Ipv6(ip)) => vec![ip.into()],
        _ => vec![Ipv4Addr::LOCALHOST.into(), Ipv6Addr::LOCALHOST.into()],
    };
    let mut bound = Vec::new();
    let mut last = None;
    for ip in hosts {
        match TcpListener::bind((ip, port)).await {
            Ok(l) => bound.push(l),
            Err(e) => last = Some((ip, e)),
        }
    }
    match (bound.is_empty(), last) {
        (true, Some((ip, e))) => Err(Error::io(
            format!("listening on {ip}:{port} for the sign-in redirect"),
            e,
        )),
        _ => Ok(bound),
    }
}

/// Reads a request head (at most [`MAX_HEAD`] bytes, within [`CONNECTION_READ_TIMEOUT`]) and
/// returns its target; `None` when the connection was idle, slow or not HTTP.
async fn read_target(mut sock: TcpStream) -> (TcpStream, Option<String>) {
    let read = async {
        let mut buf = vec![0u8; MAX_HEAD];
        let mut n = 0;
        while n < buf.len() {
            let got = sock.read(&mut buf[n..]).await.unwrap_or(0);
            if got == 0 {
                break;
            }
            n += got;
            if buf[..n].windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
        buf.truncate(n);
        buf
    };
    let head = tokio::time::timeout(CONNECTION_READ_TIMEOUT, read).await;
    let target = head.ok().and_then(|buf| {
        let head = String::from_utf8_lossy(&buf).into_owned();
        let mut words = head.split_whitespace();
        (words.next() == Some("GET"))
            .then(|| words.next().map(str::to_string))
            .flatten()
    });
    (sock, target)
}

async fn answer(sock: &mut TcpStream, status: &str, page: &str) {
    let resp = format!(
        "HTTP/1.1 {status}\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{page}",
        page.len()
    );
    let _ = sock.write_all(resp.as_bytes()).await;
}
