//! Options the command-line examples share: where the API is, the app's credentials, and
//! where tokens are kept.

use std::path::PathBuf;

use scplay::core::{Client, FileStore};

/// API and credentials.
#[derive(Debug, Clone, clap::Args)]
pub struct ApiArgs {
    /// API origin.
    #[arg(
        long,
        global = true,
        env = "SOUNDCLOUD_API_BASE",
        default_value = "https://api.soundcloud.com"
    )]
    pub api_base: String,
    /// OAuth origin.
    #[arg(
        long,
        global = true,
        env = "SOUNDCLOUD_AUTH_BASE",
        default_value = "https://secure.soundcloud.com"
    )]
    pub auth_base: String,
    /// Your app's client id.
    #[arg(long, global = true, env = "SOUNDCLOUD_CLIENT_ID")]
    pub client_id: Option<String>,
    /// Your app's client secret.
    #[arg(
        long,
        global = true,
        env = "SOUNDCLOUD_CLIENT_SECRET",
        hide_env_values = true
    )]
    pub client_secret: Option<String>,
    /// Token file (default: scplay/token.json in the platform config folder, mode 0600; the
    /// `login` example writes a user token there, and a client-credentials token is kept there
    /// otherwise).
    #[arg(long, global = true)]
    pub token_file: Option<PathBuf>,
}

/// `$XDG_CONFIG_HOME/scplay`, else `~/.config/scplay`.
pub fn config_dir() -> PathBuf {
    std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .unwrap_or_else(|| PathBuf::from("."))
        .join("scplay")
}

impl ApiArgs {
    /// The token file in use.
    pub fn token_path(&self) -> PathBuf {
        self.token_file
            .clone()
            .unwrap_or_else(|| config_dir().join("token.json"))
    }

    /// A client, or `None` without a client id.
    pub fn client(&self, redirect_uri: Option<&str>) -> Result<Option<Client>, String> {
        let Some(id) = &self.client_id else {
            return Ok(None);
        };
        let mut b = Client::builder()
            .client_id(id)
            .api_base(&self.api_base)
            .auth_base(&self.auth_base)
            .token_store(FileStore::new(self.token_path()));
        if let Some(s) = &self.client_secret {
            b = b.client_secret(s.as_str());
        }
        if let Some(r) = redirect_uri {
            b = b.redirect_uri(r);
        }
        b.build().map(Some).map_err(|e| format!("{e}"))
    }
}

/// Parses the arguments, runs `run` on a tokio runtime, and turns its failure (an exit code
/// and one sentence, empty when there is nothing to say) into the process's exit, prefixed
/// with the program's `name`.
#[allow(dead_code)] // `play` drives its own runtime and does not use it.
pub fn main_with<A, F>(name: &str, run: impl FnOnce(A) -> F) -> std::process::ExitCode
where
    A: clap::Parser,
    F: std::future::Future<Output = Result<(), (u8, String)>>,
{
    use std::process::ExitCode;
    let args = match A::try_parse() {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("{name}: cannot start: {e}.");
            return ExitCode::from(1);
        }
    };
    match rt.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err((code, message)) => {
            if !message.is_empty() {
                eprintln!("{name}: {message}");
            }
            ExitCode::from(code)
        }
    }
}
