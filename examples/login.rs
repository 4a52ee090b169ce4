//! `login`: sign in to SoundCloud (authorization code + PKCE) and save the token where `play`
//! and `sc` find it.
//!
//! ```text
//! cargo run --example login -- --client-id ID --client-secret SECRET
//! cargo run --example login -- --redirect-uri https://example.com/callback   # then paste the URL
//! ```
//!
//! With a loopback redirect URI (`http://127.0.0.1:PORT/…`, the default) it listens there for
//! the browser; with any other it asks you to paste the address the browser ended on (handy
//! when signing in from a phone for a headless box).

use std::io::BufRead;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

#[path = "common/cli.rs"]
mod cli;

/// Sign in to SoundCloud and save the token for `play` and `sc`.
#[derive(Debug, Parser)]
#[command(name = "login", version)]
struct Args {
    #[command(flatten)]
    api: cli::ApiArgs,
    /// The redirect URI registered for your app.
    #[arg(
        long,
        env = "SOUNDCLOUD_REDIRECT_URI",
        default_value = "http://127.0.0.1:8765/callback"
    )]
    redirect_uri: String,
    /// Paste the redirected URL instead of listening on the loopback redirect URI.
    #[arg(long)]
    paste: bool,
    /// Use the mobile-optimised sign-in page (display=popup).
    #[arg(long)]
    popup: bool,
    /// Seconds to wait for the browser.
    #[arg(long, default_value_t = 300)]
    timeout: u64,
}

async fn run(args: Args) -> Result<(), (u8, String)> {
    let client = args
        .api
        .client(Some(&args.redirect_uri))
        .map_err(|e| (2, e))?
        .ok_or((
            2,
            "--client-id (or SOUNDCLOUD_CLIENT_ID) is required.".to_string(),
        ))?;
    let loopback = args.redirect_uri.starts_with("http://127.0.0.1")
        || args.redirect_uri.starts_with("http://localhost");
    if loopback && !args.paste {
        // Checked before printing the address: a port in use would fail only after the
        // user had signed in.
        port_free(&args.redirect_uri)?;
    }
    let request = client
        .authorization_request(args.popup)
        .map_err(|e| (1, e.to_string()))?;
    println!(
        "Open this address to sign in to SoundCloud:\n{}",
        request.url()
    );
    let result = if loopback && !args.paste {
        eprintln!("Waiting for the browser on {} …", args.redirect_uri);
        request
            .listen(&client, Duration::from_secs(args.timeout))
            .await
    } else {
        eprintln!("After signing in, paste the address the browser shows, then press Enter:");
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| (1, e.to_string()))?;
        request.finish_with_redirect(&client, line.trim()).await
    };
    result.map_err(|e| (if e.is_auth() { 4 } else { 1 }, format!("{e}.")))?;
    let me = client.me().await.map_err(|e| (4, format!("{e}.")))?;
    println!(
        "Signed in as {}; the token is saved in {}.",
        me.user.username.as_deref().unwrap_or("?"),
        args.api.store_label()
    );
    Ok(())
}

/// Fails with what to do when the loopback redirect URI's port cannot be listened on.
fn port_free(redirect_uri: &str) -> Result<(), (u8, String)> {
    let authority = redirect_uri
        .strip_prefix("http://")
        .and_then(|r| r.split('/').next())
        .unwrap_or_default();
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (
            h,
            p.parse::<u16>().map_err(|_| {
                (
                    2,
                    format!("--redirect-uri {redirect_uri:?} has no valid port."),
                )
            })?,
        ),
        None => (authority, 80),
    };
    match std::net::TcpListener::bind((host, port)) {
        Ok(_) => Ok(()),
        Err(e) => Err((
            1,
            format!(
                "cannot listen on {host}:{port} for the browser ({e}): another login may be \
                 running, or another program holds the port. Stop it, or sign in with --paste \
                 (on any device, then paste the address it ends on), or register another \
                 loopback redirect URI for your app and pass --redirect-uri \
                 http://127.0.0.1:PORT/callback."
            ),
        )),
    }
}

fn main() -> ExitCode {
    cli::main_with("login", run)
}
