//! A real `redis-server` for tests: started on a free loopback port in a temporary folder,
//! without persistence, and stopped (by its own process id) when dropped.
#![allow(dead_code, clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct RedisServer {
    pub port: u16,
    dir: PathBuf,
    child: Option<Child>,
    /// TLS only, with this certificate and key (PEM files).
    tls: Option<(PathBuf, PathBuf)>,
    /// More arguments (a password, ACL users).
    extra: Vec<String>,
}

pub use scplay_testkit::free_port as unused_port;

fn binary() -> &'static str {
    if std::path::Path::new("/usr/bin/redis-server").exists() {
        "/usr/bin/redis-server"
    } else {
        "redis-server"
    }
}

impl RedisServer {
    /// A server on a free port (fails the test when redis-server is missing: `make deps`).
    pub fn start() -> Self {
        Self::start_on(unused_port())
    }

    /// A server on a free port with more arguments, e.g. `["--requirepass", "pw"]`.
    pub fn start_with(extra: &[&str]) -> Self {
        Self::start_inner(unused_port(), extra.iter().map(|a| a.to_string()).collect())
    }

    /// A server on `port` (nothing may listen there).
    pub fn start_on(port: u16) -> Self {
        Self::start_inner(port, Vec::new())
    }

    fn start_inner(port: u16, extra: Vec<String>) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "scplay-redis-{}-{port}-{}",
            std::process::id(),
            getrandom_suffix()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let mut s = Self {
            port,
            dir,
            child: None,
            tls: None,
            extra,
        };
        s.spawn();
        s
    }

    /// A server speaking TLS only (`rediss://`) on a free port, its certificate for
    /// 127.0.0.1 signed by a fresh test CA (made with the `openssl` command); returns the CA's
    /// certificate, for the client to trust.
    pub fn start_tls() -> (Self, PathBuf) {
        let port = unused_port();
        let dir = std::env::temp_dir().join(format!(
            "scplay-redis-tls-{}-{port}-{}",
            std::process::id(),
            getrandom_suffix()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let ext = dir.join("ext.cnf");
        std::fs::write(
            &ext,
            "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n\
             keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        let openssl = |args: &[&str]| {
            let ok = Command::new("openssl")
                .args(args)
                .current_dir(&dir)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .expect("the openssl command must be installed (make deps installs it)");
            assert!(ok.success(), "openssl {args:?} failed");
        };
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=scplay test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
        ]);
        openssl(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            "key.pem",
            "-out",
            "req.csr",
        ]);
        openssl(&[
            "x509",
            "-req",
            "-in",
            "req.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
            "-out",
            "cert.pem",
        ]);
        let mut s = Self {
            port,
            child: None,
            tls: Some((dir.join("cert.pem"), dir.join("key.pem"))),
            extra: Vec::new(),
            dir: dir.clone(),
        };
        s.spawn();
        (s, dir.join("ca.pem"))
    }

    fn spawn(&mut self) {
        let mut cmd = Command::new(binary());
        match &self.tls {
            None => cmd.args(["--port", &self.port.to_string()]),
            Some((cert, key)) => cmd
                .args(["--port", "0", "--tls-port", &self.port.to_string()])
                .args(["--tls-auth-clients", "no", "--tls-cert-file"])
                .arg(cert)
                .arg("--tls-key-file")
                .arg(key),
        };
        let child = cmd
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(&self.extra)
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server must be installed (make deps installs it)");
        let mut child = child;
        let started = scplay_testkit::wait_until(Duration::from_secs(10), || {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("redis-server exited ({status}) on port {}", self.port);
            }
            self.answers_ping()
        });
        self.child = Some(child);
        assert!(started, "redis-server did not start");
    }

    fn answers_ping(&self) -> bool {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        if self.tls.is_some() || !self.extra.is_empty() {
            // Listening is enough: the client under test does the TLS or the AUTH.
            return true;
        }
        let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
        let mut buf = [0u8; 7];
        s.write_all(b"PING\r\n").is_ok() && s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n"
    }

    /// `redis://127.0.0.1:PORT/0`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// Kills the server (SIGKILL: nothing is saved, and it was not persisting anyway).
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Kills the server and starts an empty one on the same port.
    pub fn restart_empty(&mut self) {
        self.kill();
        self.spawn();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn getrandom_suffix() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(Instant::now().elapsed().as_nanos() as u64);
    h.finish()
}
