//! Options the command-line examples share: where the API is, the app's credentials, and
//! where tokens are kept.

use std::path::PathBuf;
use std::sync::Arc;

use scplay::core::{Client, FileStore, TokenStore};

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
    /// Where tokens are kept, overriding --token-file: `file:PATH`, or
    /// `redis://[user:pass@]HOST:PORT/DB` (`rediss://…` for TLS, `?account=NAME` for a
    /// separate token) to share one token across a fleet of players (docs/fleet.md).
    #[arg(
        long,
        env = "SOUNDCLOUD_TOKEN_STORE",
        hide_env_values = true,
        value_name = "STORE"
    )]
    pub token_store: Option<String>,
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

    /// Where tokens are kept, for messages (a Redis URL without its password).
    #[allow(dead_code)] // `play` does not print it.
    pub fn store_label(&self) -> String {
        match self.token_store.as_deref() {
            Some(s) if s.starts_with("redis://") || s.starts_with("rediss://") => {
                let (scheme, rest) = s.split_once("://").unwrap_or(("redis", s));
                let rest = rest.split(['?', '#']).next().unwrap_or("");
                let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
                format!("{scheme}://{rest}")
            }
            Some(s) => s.strip_prefix("file:").unwrap_or(s).to_string(),
            None => self.token_path().display().to_string(),
        }
    }

    /// The token store `--token-store` (or the token file) names, for the app `client_id`.
    pub fn open_store(&self, client_id: &str) -> Result<Arc<dyn TokenStore>, String> {
        let Some(spec) = self.token_store.as_deref() else {
            return Ok(Arc::new(FileStore::new(self.token_path())));
        };
        if let Some(path) = spec.strip_prefix("file:") {
            if path.is_empty() {
                return Err("--token-store file: needs a path (file:PATH)".into());
            }
            return Ok(Arc::new(FileStore::new(path)));
        }
        if spec.starts_with("redis://") || spec.starts_with("rediss://") {
            #[cfg(feature = "redis")]
            return scplay::core::store::RedisStore::open(spec, client_id, Default::default())
                .map(|s| Arc::new(s) as Arc<dyn TokenStore>)
                .map_err(|e| e.to_string());
            #[cfg(not(feature = "redis"))]
            return Err("this build has no Redis support (the `redis` feature)".into());
        }
        let _ = client_id;
        Err("--token-store takes file:PATH, redis://HOST:PORT/DB or rediss://HOST:PORT/DB".into())
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
            .shared_token_store(self.open_store(id)?);
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
