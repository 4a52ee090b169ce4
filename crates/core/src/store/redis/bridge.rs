//! The synchronous face of an async Redis connection: [`TokenStore`](super::super::TokenStore)
//! is called from blocking code and from async code alike, so every command runs on a small
//! runtime of its own (one thread, `scplay-redis`) and the caller waits for its answer, never
//! longer than the command timeout.

use std::sync::Arc;
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, FromRedisValue, RedisResult};
use tokio::sync::Mutex;

use crate::{Error, Result};

/// One connection, opened on first use and again after any failure.
pub(super) struct Bridge {
    rt: Option<tokio::runtime::Runtime>,
    client: redis::Client,
    conn: Arc<Mutex<Option<MultiplexedConnection>>>,
    timeout: Duration,
}

impl Bridge {
    pub fn new(client: redis::Client, timeout: Duration) -> Result<Self> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("scplay-redis")
            .enable_all()
            .build()
            .map_err(|e| Error::io("starting the Redis connection's thread", e))?;
        Ok(Self {
            rt: Some(rt),
            client,
            conn: Arc::new(Mutex::new(None)),
            timeout,
        })
    }

    /// Sends `req` and waits for its answer (at most the timeout). A connection that broke
    /// since its last use (Redis restarted) is replaced and the request sent once more.
    pub fn run<T>(&self, what: &str, req: impl Into<Request>) -> Result<T>
    where
        T: FromRedisValue + Send + 'static,
    {
        let Some(rt) = self.rt.as_ref() else {
            return Err(unavailable(
                what,
                std::io::ErrorKind::NotConnected,
                "shut down",
            ));
        };
        let req = req.into();
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let (client, slot, timeout) = (self.client.clone(), self.conn.clone(), self.timeout);
        rt.spawn(async move {
            let answer = tokio::time::timeout(timeout, send(&client, &slot, timeout, &req)).await;
            let answer = match answer {
                Ok(Ok(v)) => Ok(v),
                Ok(Err(e)) => Err((kind_of(&e), e.to_string())),
                Err(_) => Err((std::io::ErrorKind::TimedOut, "no answer in time".into())),
            };
            if answer.is_err() {
                // Reconnect on the next request rather than reuse a connection in doubt.
                *slot.lock().await = None;
            }
            let _ = tx.send(answer);
        });
        match rx.recv_timeout(timeout + Duration::from_millis(250)) {
            Ok(Ok(v)) => Ok(v),
            Ok(Err((kind, message))) => Err(unavailable(what, kind, &message)),
            Err(_) => Err(unavailable(
                what,
                std::io::ErrorKind::TimedOut,
                "no answer in time",
            )),
        }
    }
}

/// One command, or several in one round trip.
pub(super) enum Request {
    Cmd(redis::Cmd),
    Pipe(redis::Pipeline),
}

impl From<redis::Cmd> for Request {
    fn from(c: redis::Cmd) -> Self {
        Request::Cmd(c)
    }
}

impl From<redis::Pipeline> for Request {
    fn from(p: redis::Pipeline) -> Self {
        Request::Pipe(p)
    }
}

impl Request {
    async fn query<T: FromRedisValue>(&self, c: &mut MultiplexedConnection) -> RedisResult<T> {
        match self {
            Request::Cmd(cmd) => cmd.query_async(c).await,
            Request::Pipe(p) => p.query_async(c).await,
        }
    }
}

async fn send<T: FromRedisValue>(
    client: &redis::Client,
    slot: &Mutex<Option<MultiplexedConnection>>,
    timeout: Duration,
    req: &Request,
) -> RedisResult<T> {
    let (mut conn, reused) = connection(client, slot, timeout).await?;
    match req.query(&mut conn).await {
        Err(e)
            if reused
                && (e.is_io_error() || e.is_connection_dropped() || e.is_unrecoverable_error()) =>
        {
            *slot.lock().await = None;
            let (mut conn, _) = connection(client, slot, timeout).await?;
            req.query(&mut conn).await
        }
        answer => answer,
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        // Allowed from async code too (a plain drop of a runtime is not).
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

async fn connection(
    client: &redis::Client,
    slot: &Mutex<Option<MultiplexedConnection>>,
    timeout: Duration,
) -> RedisResult<(MultiplexedConnection, bool)> {
    let mut slot = slot.lock().await;
    if let Some(c) = slot.as_ref() {
        return Ok((c.clone(), true));
    }
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(timeout))
        .set_response_timeout(Some(timeout));
    let c = client
        .get_multiplexed_async_connection_with_config(&config)
        .await?;
    *slot = Some(c.clone());
    Ok((c, false))
}

fn kind_of(e: &redis::RedisError) -> std::io::ErrorKind {
    if e.is_timeout() {
        std::io::ErrorKind::TimedOut
    } else if e.is_connection_refusal() {
        std::io::ErrorKind::ConnectionRefused
    } else if e.is_connection_dropped() {
        std::io::ErrorKind::ConnectionReset
    } else {
        std::io::ErrorKind::Other
    }
}

/// A [`Error::StoreUnavailable`]; `message` is the driver's, which names no password.
pub(super) fn unavailable(what: &str, kind: std::io::ErrorKind, message: &str) -> Error {
    Error::StoreUnavailable {
        context: what.to_string(),
        source: std::io::Error::new(kind, message.to_string()),
    }
}
