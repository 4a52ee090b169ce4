//! The request log tests assert on.

use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;

/// Which of the emulator's origins served a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Origin {
    /// The API (`api_base`).
    Api,
    /// OAuth (`auth_base`).
    Auth,
    /// The media CDN (`cdn_base`).
    Cdn,
    /// The public site (`web_base`: oEmbed).
    Web,
}

/// One request as the emulator saw it.
#[derive(Debug, Clone)]
pub struct LoggedRequest {
    /// The origin that served it.
    pub origin: Origin,
    /// HTTP method.
    pub method: String,
    /// Path, without the query.
    pub path: String,
    /// The raw query string (signatures included; it holds no client secrets).
    pub query: Option<String>,
    /// Response status.
    pub status: u16,
    /// When it arrived, since the emulator started.
    pub at: Duration,
    /// The client's address: one TCP connection per distinct value.
    pub connection: SocketAddr,
    /// Whether it carried an `Authorization` header (any scheme).
    pub authorization: bool,
    /// Its `Range` header, if any.
    pub range: Option<String>,
}

/// Shared, append-only log: requests as they complete, and the paths of requests as they
/// arrive (a request held by a fault shows there before it completes).
#[derive(Debug, Default)]
pub struct RequestLog(Mutex<Vec<LoggedRequest>>, Mutex<Vec<(Origin, String)>>);

impl RequestLog {
    pub fn arrived(&self, origin: Origin, path: &str) {
        if let Ok(mut v) = self.1.lock() {
            v.push((origin, path.to_string()));
        }
    }

    pub fn arrivals(&self) -> Vec<(Origin, String)> {
        self.1.lock().map(|v| v.clone()).unwrap_or_default()
    }

    pub fn push(&self, r: LoggedRequest) {
        if let Ok(mut v) = self.0.lock() {
            v.push(r);
        }
    }

    pub fn snapshot(&self) -> Vec<LoggedRequest> {
        self.0.lock().map(|v| v.clone()).unwrap_or_default()
    }

    pub fn clear(&self) {
        if let Ok(mut v) = self.0.lock() {
            v.clear();
        }
        if let Ok(mut v) = self.1.lock() {
            v.clear();
        }
    }
}
