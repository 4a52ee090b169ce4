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
    let request = client
        .authorization_request(args.popup)
        .map_err(|e| (1, e.to_string()))?;
    println!(
        "Open this address to sign in to SoundCloud:\n{}",
        request.url()
    );
    let loopback = args.redirect_uri.starts_with("http://127.0.0.1")
        || args.redirect_uri.starts_with("http://localhost");
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

fn main() -> ExitCode {
    cli::main_with("login", run)
}
