//! `--control ADDR:PORT`: the remote control (`scplay::remote`) over this run's player. Its
//! URL is said on stderr (and as a `control` event with `--json`); `POST /api/quit` stops
//! the run (exit 0). With it, `play` stays up when the queue ends, until quit or a signal.

use std::net::SocketAddr;
use std::sync::Arc;

use scplay::core::Client;
use scplay::player::Player;
use scplay::remote::{BearerToken, Remote, RemoteOptions};

use crate::fail::Fail;
use crate::json;
use crate::out::Out;
use crate::stop::{Stop, StopReason};

/// Checks `--control` and `--control-token` (no network): the options, or `None` without
/// `--control`. A non-loopback address without a token is refused (exit 2).
pub fn options(
    addr: Option<&str>,
    token: Option<BearerToken>,
) -> Result<Option<RemoteOptions>, Fail> {
    // A token alone (SCPLAY_CONTROL_TOKEN left in the environment) serves nothing.
    let Some(addr) = addr else {
        return Ok(None);
    };
    let addr: SocketAddr = addr.parse().map_err(|_| {
        Fail::usage(format!(
            "--control takes ADDR:PORT (127.0.0.1:8080, [::1]:8080, 0.0.0.0:8080; port 0 picks one), not {addr:?}."
        ))
    })?;
    if token.is_none() && !addr.ip().is_loopback() {
        return Err(Fail::usage(format!(
            "--control {addr} is reachable from the network: give --control-token TOKEN (or SCPLAY_CONTROL_TOKEN), or listen on 127.0.0.1."
        )));
    }
    Ok(Some(RemoteOptions {
        addr,
        token,
        ..RemoteOptions::default()
    }))
}

/// `--control-token`'s parser: the token kept as a secret (never shown by `Debug`).
pub fn token(text: &str) -> Result<BearerToken, String> {
    BearerToken::new(text).ok_or_else(|| "the token must not be empty".to_string())
}

/// The running remote.
pub struct Control {
    remote: Remote,
}

impl Control {
    /// Serves `player` on `rt`, says where, and stops the run on `POST /api/quit`.
    pub fn start(
        rt: &tokio::runtime::Runtime,
        player: &Arc<Player>,
        client: Option<Client>,
        opts: RemoteOptions,
        stop: &Stop,
        out: &Out,
        as_json: bool,
    ) -> Result<Self, Fail> {
        let remote = rt
            .block_on(Remote::start(player.clone(), client, opts))
            .map_err(|e| Fail::other("control", format!("{e}{}.", source_of(&e))))?;
        let url = remote.url();
        out.say(&format!("play: remote control on {url}"));
        if as_json {
            let _ = out.json(&json::control(&url));
        }
        let quit = remote.quit_requested();
        let stop = stop.clone();
        rt.spawn(async move {
            quit.await;
            stop.request(StopReason::Quit);
        });
        Ok(Self { remote })
    }

    /// Stops serving (requests under way finish first), so the player can go.
    pub fn shutdown(self, rt: &tokio::runtime::Runtime) {
        rt.block_on(self.remote.shutdown());
    }
}

/// `: why`, when the error has a cause.
fn source_of(e: &(dyn std::error::Error + 'static)) -> String {
    e.source().map_or_else(String::new, |s| format!(": {s}"))
}
