//! [`RemoteError`]: why the remote could not start.

use std::net::SocketAddr;

/// Why [`crate::Remote::start`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RemoteError {
    /// The address is not loopback and no token was given: anyone on the network could
    /// steer the player.
    #[error(
        "{0} is not a loopback address: a remote reachable from the network needs a bearer token"
    )]
    TokenRequired(SocketAddr),
    /// The address could not be bound (in use, not ours, no permission).
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A thread the remote needs could not be started.
    #[error("cannot start {what}")]
    Thread {
        /// Which thread.
        what: &'static str,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}
