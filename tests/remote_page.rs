//! The remote's phone page in a real headless browser: Debian's `chromium`, driven through
//! `chromedriver` with the W3C WebDriver protocol (plain HTTP). It loads the page, clicks
//! pause and sees the state change on the page and in `/api/status`, resumes, clicks next and
//! sees the track change, and takes a screenshot (`SCPLAY_SCREENSHOT=docs/remote.png` keeps
//! it: that is how the one in the docs is made). `make test-deps` installs chromium and
//! chromium-driver.
#![allow(clippy::unwrap_used)]

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use scplay_testkit::eventually_some;

use base64::Engine as _;
use scplay::core::MemoryStore;
use scplay::player::{Player, PlayerOptions, Sink};
use scplay::remote::{Remote, RemoteOptions};
use scplay_emulator::catalog;
use serde_json::{Value, json};

mod common;
use common::remote::status_until;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
/// The key of an element reference in WebDriver answers.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// chromedriver on a free loopback port, ended when dropped.
struct Driver {
    child: Child,
    base: String,
    http: reqwest::Client,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    async fn start() -> Self {
        for bin in [CHROMEDRIVER, CHROMIUM] {
            assert!(
                std::path::Path::new(bin).exists(),
                "{bin} is missing: `make test-deps` installs chromium and chromium-driver"
            );
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let d = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            http: scplay_testkit::http(),
        };
        let ready = async || {
            let r = d.http.get(format!("{}/status", d.base)).send().await.ok()?;
            let v = r.json::<Value>().await.ok()?;
            (v["value"]["ready"] == true).then_some(())
        };
        eventually_some("chromedriver to start", Duration::from_secs(20), ready).await;
        d
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let ok = r.status().is_success();
        let v: Value = r.json().await.unwrap();
        assert!(ok, "{path}: {v}");
        v["value"].clone()
    }

    /// A headless session with a phone-sized window.
    async fn session(&self) -> Session<'_> {
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=400,820",
                         "--hide-scrollbars", "--force-device-scale-factor=1"]
            }
        }}});
        let v = self
            .call(reqwest::Method::POST, "/session", Some(caps))
            .await;
        Session {
            driver: self,
            id: v["sessionId"].as_str().unwrap().to_string(),
        }
    }
}

struct Session<'a> {
    driver: &'a Driver,
    id: String,
}

impl Session<'_> {
    async fn post(&self, path: &str, body: Value) -> Value {
        let path = format!("/session/{}{path}", self.id);
        self.driver
            .call(reqwest::Method::POST, &path, Some(body))
            .await
    }

    async fn get(&self, path: &str) -> Value {
        let path = format!("/session/{}{path}", self.id);
        self.driver.call(reqwest::Method::GET, &path, None).await
    }

    async fn element(&self, css: &str) -> String {
        let v = self
            .post("/element", json!({"using": "css selector", "value": css}))
            .await;
        v[ELEMENT].as_str().unwrap().to_string()
    }

    async fn text(&self, css: &str) -> String {
        let e = self.element(css).await;
        self.get(&format!("/element/{e}/text"))
            .await
            .as_str()
            .unwrap()
            .to_string()
    }

    async fn click(&self, css: &str) {
        let e = self.element(css).await;
        self.post(&format!("/element/{e}/click"), json!({})).await;
    }

    /// Sets a range input to `value` and fires its `change`, as letting go of it does.
    async fn slide(&self, css: &str, value: f64) {
        let script = "const e = document.querySelector(arguments[0]); e.value = arguments[1]; \
                      e.dispatchEvent(new Event('input')); e.dispatchEvent(new Event('change'));";
        self.post(
            "/execute/sync",
            json!({"script": script, "args": [css, value]}),
        )
        .await;
    }

    /// Waits until the element's text satisfies `pred`; the text.
    async fn text_until(&self, css: &str, pred: impl Fn(&str) -> bool) -> String {
        let what = format!("{css} to change");
        eventually_some(&what, Duration::from_secs(15), async || {
            Some(self.text(css).await).filter(|t| pred(t))
        })
        .await
    }

    async fn end(self) {
        let path = format!("/session/{}", self.id);
        self.driver.call(reqwest::Method::DELETE, &path, None).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_pauses_and_skips_in_a_real_browser() {
    let driver = Driver::start().await;
    let emu = scplay_testkit::emulator().await;
    let client = scplay_testkit::client_builder(&emu)
        .token_store(MemoryStore::new())
        .build()
        .unwrap();
    let opts = PlayerOptions {
        realtime: true,
        ..PlayerOptions::default()
    };
    let player = Arc::new(Player::new(Some(client.clone()), Sink::Null, opts).unwrap());
    let remote = Remote::start(player.clone(), Some(client), RemoteOptions::default())
        .await
        .unwrap();
    // The three-minute track, then the demo set's first track.
    player
        .play(&catalog::TRACK_THREE_MINUTES.to_string())
        .unwrap();
    player.enqueue(&catalog::TRACK_DEMO_1.to_string()).unwrap();

    let (http, url) = (scplay_testkit::http(), remote.url());
    let s = driver.session().await;
    s.post("/url", json!({"url": url})).await;
    s.text_until("#state", |t| t.eq_ignore_ascii_case("playing"))
        .await;
    let first = s.text("#title").await;
    assert_ne!(first, "Nothing playing");
    assert!(s.text("#by").await.contains("on SoundCloud"), "attribution");
    assert_eq!(s.text("#queue").await, "Track 1 of 2");

    // Pause: the page and the player agree.
    s.click("#toggle").await;
    s.text_until("#state", |t| t.eq_ignore_ascii_case("paused"))
        .await;
    status_until(&http, &url, None, |v| v["state"] == "paused").await;
    // Resume, then next: another track, on the page and in the player.
    s.click("#toggle").await;
    status_until(&http, &url, None, |v| v["state"] == "playing").await;
    // The seek bar and the volume slider, moved as a finger would leave them.
    s.slide("#seek", 60.0).await;
    status_until(&http, &url, None, |v| {
        v["state"] == "playing" && v["position"].as_f64().unwrap() >= 60.0
    })
    .await;
    s.text_until("#pos", |t| t.starts_with("1:0")).await;
    s.slide("#volume", 0.3).await;
    status_until(&http, &url, None, |v| v["volume"] == 0.3).await;
    s.click("#next").await;
    let second = s
        .text_until("#title", |t| t != first && t != "Nothing playing")
        .await;
    let v = status_until(&http, &url, None, |v| {
        v["state"] == "playing" && v["queue"]["index"] == 1
    })
    .await;
    assert_eq!(v["track"]["title"], second.as_str());
    s.text_until("#queue", |t| t == "Track 2 of 2").await;
    s.text_until("#state", |t| t.eq_ignore_ascii_case("playing"))
        .await;

    let png = s.get("/screenshot").await;
    let png = base64::engine::general_purpose::STANDARD
        .decode(png.as_str().unwrap())
        .unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    if let Some(path) = std::env::var_os("SCPLAY_SCREENSHOT") {
        std::fs::write(&path, &png).unwrap();
    }
    s.end().await;

    // A remote with a token: the page asks for it, or takes it from its fragment.
    let token = "page-t0ken";
    let guarded = RemoteOptions {
        token: Some(scplay::remote::BearerToken::new(token).unwrap()),
        ..RemoteOptions::default()
    };
    let locked = Remote::start(player.clone(), None, guarded).await.unwrap();
    player
        .play(&catalog::TRACK_THREE_MINUTES.to_string())
        .unwrap();
    let s = driver.session().await;
    s.post("/url", json!({"url": locked.url()})).await;
    s.text_until("#msg", |t| t.contains("access token")).await;
    s.post(
        "/url",
        json!({"url": format!("{}#token={token}", locked.url())}),
    )
    .await;
    s.text_until("#state", |t| t.eq_ignore_ascii_case("playing"))
        .await;
    assert_eq!(s.text("#queue").await, "Track 1 of 1");
    s.end().await;
    locked.shutdown().await;
    remote.shutdown().await;
}
