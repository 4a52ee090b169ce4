//! Loading one queue item: resolve what the user named to a [`StreamPlan`], start its fetch
//! task and open its decoder. Runs on an item job's thread (see `engine::job`), never on the
//! engine thread.

use std::sync::Arc;

use scplay_core::{Access, Client, Resource, Streams, Track, TrackUrn};
use tokio::runtime::Runtime;
use tokio::task::JoinHandle;
use url::Url;

use crate::PlayerError;
use crate::decode::Decoder;
use crate::fetch::{self, FetchCounters, FileJob, HlsJob, Refresh, SegmentCache};
use crate::options::PlayerOptions;
use crate::pages::{Page, Pages};
use crate::plan::{self, Source, StreamPlan, Target, TrackInfo};
use crate::ring::{RingCancel, byte_ring};

/// What loading needs; cheap to clone into a job thread. The runtime is shared: it lives
/// until the engine and the last job are gone.
#[derive(Clone)]
pub(crate) struct Ctx {
    pub rt: Arc<Runtime>,
    pub http: reqwest::Client,
    pub client: Option<Client>,
    pub opts: PlayerOptions,
    pub counters: Arc<FetchCounters>,
    /// Where soundcloud.com pages led before.
    pub pages: Arc<Pages>,
    /// The output plays on a clock (a sound card, or a sink paced in real time). An unpaced
    /// output runs at decode speed, where fewer, larger hand-offs between the threads
    /// matter more than how soon a block of audio moves on.
    pub paced: bool,
}

/// A running fetch task and the decoder reading what it writes.
pub(crate) struct Pipeline {
    pub fetch: JoinHandle<Result<(), PlayerError>>,
    pub cancel: RingCancel,
    pub decoder: Decoder,
}

impl Drop for Pipeline {
    /// However a pipeline is left behind (a seek, a stop, an error), its fetch task ends.
    fn drop(&mut self) {
        self.cancel.cancel();
        self.fetch.abort();
    }
}

/// A resolved stream and how to fetch it again.
#[derive(Clone)]
pub(crate) struct Stream {
    pub plan: Arc<StreamPlan>,
    pub refresh: Option<Refresh>,
    pub cache: Arc<SegmentCache>,
    /// Length in seconds, when known (summed once: the decode loop asks for it per block).
    pub duration: Option<f64>,
}

impl Stream {
    fn new(plan: StreamPlan, refresh: Option<Refresh>, cache_bytes: usize) -> Self {
        let duration = match (&plan.source, plan.info.duration_ms) {
            (Source::Hls { playlist, .. }, _) => Some(playlist.duration()),
            (_, Some(ms)) => Some(ms as f64 / 1000.0),
            _ => None,
        };
        Self {
            plan: Arc::new(plan),
            refresh,
            cache: Arc::new(SegmentCache::new(cache_bytes)),
            duration,
        }
    }
}

/// What a queue item turned out to be.
pub(crate) enum Item {
    /// A track: its stream.
    Track(Box<Stream>),
    /// A playlist: these tracks take its place in the queue.
    Playlist(Vec<Target>),
    /// Not playable (blocked, DRM only, …): skip it.
    Skip(TrackInfo, PlayerError),
}

/// The track an API URL names (`…/tracks/123` or `…/tracks/soundcloud:tracks:123`), with
/// the `secret_token` of its query.
fn track_at(location: &url::Url) -> Option<(TrackUrn, Option<String>)> {
    let mut segments = location.path_segments()?.rev();
    let (id, kind) = (segments.next()?, segments.next()?);
    if kind != "tracks" {
        return None;
    }
    let urn = TrackUrn::parse(id).ok()?;
    let secret = location
        .query_pairs()
        .find(|(k, _)| k == "secret_token")
        .map(|(_, v)| v.into_owned());
    Some((urn, secret))
}

/// A track's or playlist's `permalink_url`.
fn permalink(r: &Resource) -> Option<&str> {
    match r {
        Resource::Track(t) => t.permalink_url.as_deref(),
        Resource::Playlist(p) => p.permalink_url.as_deref(),
        Resource::User(_) => None,
    }
}

fn track_targets(tracks: Vec<Track>) -> Vec<Target> {
    tracks
        .into_iter()
        .filter_map(|t| t.track_urn().map(Target::Track))
        .collect()
}

impl Ctx {
    fn client(&self) -> Result<&Client, PlayerError> {
        self.client.as_ref().ok_or_else(|| {
            PlayerError::InvalidTarget("playing SoundCloud tracks needs an API client".into())
        })
    }

    async fn track_stream(
        &self,
        track: &Track,
        streams: Option<scplay_core::Result<Streams>>,
    ) -> Result<Stream, PlayerError> {
        let client = self.client()?;
        let (prefer, net) = (self.opts.prefer, self.opts.net());
        let plan = plan::resolve_track(client, &self.http, track, streams, prefer, net).await?;
        let refresh = plan::refresher(client, track, plan.kind);
        Ok(Stream::new(plan, refresh, self.opts.segment_cache_bytes))
    }

    /// What a soundcloud.com URL names. A page seen before goes straight to where it led
    /// (checked by its permalink; resolved again if that changed or failed); otherwise
    /// `/resolve` says where. When that is a track, its `/streams` are asked for (into
    /// `streams`) while its metadata is fetched.
    async fn page(
        &self,
        url: &str,
        streams: &mut Option<scplay_core::Result<Streams>>,
    ) -> Result<Resource, PlayerError> {
        let client = self.client()?;
        let api = client.config().api_base.as_str().trim_end_matches('/');
        if let Some(known) = self.pages.get(url)
            && let Ok(location) = Url::parse(&format!("{api}{}", known.location))
        {
            match self.resource(client, &location, streams).await {
                Ok(r) if permalink(&r) == Some(known.permalink.as_str()) => return Ok(r),
                // Moved or gone: resolved again below. Anything else (the network, the
                // token, a 5xx) is the answer: what was remembered stays.
                Ok(_) | Err(PlayerError::Api(scplay_core::Error::NotFound { .. })) => {}
                Err(PlayerError::Api(scplay_core::Error::Forbidden { .. })) => {}
                Err(e) => return Err(e),
            }
            tracing::debug!(page = %Target::Page(url.into()).shown(), "the page moved: resolving it again");
            self.pages.forget(url);
            *streams = None;
        }
        let location = client.resolve_location(url).await?;
        let resource = self.resource(client, &location, streams).await?;
        if let (Some(permalink), Some(rest)) =
            (permalink(&resource), location.as_str().strip_prefix(api))
            && rest.starts_with('/')
        {
            self.pages.put(Page {
                url: url.to_string(),
                location: rest.to_string(),
                permalink: permalink.to_string(),
            });
        }
        Ok(resource)
    }

    /// The resource at an API `location`; a track's `/streams` are asked for together.
    async fn resource(
        &self,
        client: &Client,
        location: &Url,
        streams: &mut Option<scplay_core::Result<Streams>>,
    ) -> Result<Resource, PlayerError> {
        let Some((urn, secret)) = track_at(location) else {
            return Ok(client.resource_at(location).await?);
        };
        let (resource, found) = tokio::join!(
            client.resource_at(location),
            client.streams(urn, secret.as_deref())
        );
        *streams = Some(found);
        Ok(resource?)
    }

    /// A playlist's tracks.
    async fn playlist_tracks(
        &self,
        urn: scplay_core::PlaylistUrn,
    ) -> Result<Vec<Track>, PlayerError> {
        Ok(self
            .client()?
            .playlist(urn, true, None)
            .await?
            .tracks
            .unwrap_or_default())
    }

    /// Resolves `target` (the API for tracks and pages, nothing for direct URLs). A track's
    /// metadata and its `/streams` are asked for together: one round trip, not two.
    pub async fn resolve(&self, target: &Target) -> Result<Item, PlayerError> {
        let mut streams = None;
        let track = match target {
            Target::Direct(url) => {
                let plan = plan::resolve_direct(&self.http, url, self.opts.net()).await?;
                let stream = Stream::new(plan, None, self.opts.segment_cache_bytes);
                return Ok(Item::Track(Box::new(stream)));
            }
            Target::Track(urn) => {
                let client = self.client()?;
                let (track, found) = tokio::join!(client.track(*urn), client.streams(*urn, None));
                streams = Some(found);
                track?
            }
            Target::Playlist(urn) => {
                let tracks = self.playlist_tracks(*urn).await?;
                return Ok(Item::Playlist(track_targets(tracks)));
            }
            Target::Page(url) => match self.page(url, &mut streams).await? {
                Resource::Track(t) => *t,
                Resource::Playlist(p) => {
                    let tracks = match p.tracks {
                        Some(t) => t,
                        None => {
                            let urn = p.playlist_urn().ok_or_else(|| {
                                PlayerError::InvalidTarget("the playlist has no id".into())
                            })?;
                            self.playlist_tracks(urn).await?
                        }
                    };
                    return Ok(Item::Playlist(track_targets(tracks)));
                }
                Resource::User(_) => {
                    return Err(PlayerError::InvalidTarget(
                        "that is a profile, not a track or playlist".into(),
                    ));
                }
            },
        };
        let info = TrackInfo::from_track(&track);
        if track.access == Some(Access::Blocked) {
            let title = info.title.clone().unwrap_or_default();
            return Ok(Item::Skip(info, PlayerError::Blocked { title }));
        }
        match self.track_stream(&track, streams).await {
            Ok(s) => Ok(Item::Track(Box::new(s))),
            Err(e) if e.is_not_playable() => Ok(Item::Skip(info, e)),
            Err(e) => Err(e),
        }
    }

    /// Starts fetching `stream` from `at` seconds: the fetch task is spawned on the runtime
    /// and writes into a new byte ring, whose reader comes back for the decoder. A
    /// progressive seek asks for the file's length first (one HEAD).
    pub async fn start(&self, stream: &Stream, at: f64) -> Started {
        let (prod, mut reader, cancel) = byte_ring(self.opts.byte_ring_bytes);
        reader.set_watchdog(self.opts.watchdog);
        let plan = &stream.plan;
        let (fetch, ext, skip_secs) = match &plan.source {
            Source::Hls { playlist, .. } => {
                let (k, seg_start) = playlist.locate(at).unwrap_or((0, 0.0));
                // A direct playlist's container: fMP4 segments come with an init segment.
                let ext = plan.kind.container().unwrap_or(
                    if playlist.segments.get(k).is_some_and(|s| s.init.is_some()) {
                        "mp4"
                    } else {
                        "mp3"
                    },
                );
                let job = HlsJob {
                    http: self.http.clone(),
                    playlist: Arc::clone(playlist),
                    from: k,
                    // An unpaced output consumes at decode speed: a round trip per segment
                    // would show there, so one more is always on its way.
                    prefetch: if self.paced {
                        self.opts.prefetch_segments
                    } else {
                        self.opts.prefetch_segments.max(1)
                    },
                    counters: self.counters.clone(),
                    cache: stream.cache.clone(),
                    refresh: stream.refresh.clone(),
                    policy: self.opts.net(),
                };
                (
                    self.rt.spawn(fetch::run_hls(job, prod)),
                    ext,
                    at - seg_start,
                )
            }
            Source::File { url } => {
                // Progressive seeks start at the byte of the target at the stream's mean rate
                // (CBR MP3): the decoder resyncs at the next frame.
                let offset = match (at > 0.0, plan.info.duration_ms) {
                    (true, Some(ms)) if ms > 0 => {
                        content_length(&self.http, url, self.opts.stall_timeout)
                            .await
                            .map_or(0, |len| (len as f64 * at * 1000.0 / ms as f64) as u64)
                    }
                    _ => 0,
                };
                let skip = if offset > 0 { 0.0 } else { at };
                let job = FileJob {
                    http: self.http.clone(),
                    url: url.clone(),
                    offset,
                    counters: self.counters.clone(),
                    refresh: stream.refresh.clone(),
                    policy: self.opts.net(),
                };
                // A direct file's extension hints its container (the probe reads its bytes).
                let ext = plan.kind.container().unwrap_or_else(|| file_ext(url));
                (self.rt.spawn(fetch::run_file(job, prod)), ext, skip)
            }
        };
        Started {
            fetch,
            reader,
            cancel,
            ext,
            skip_secs,
        }
    }
}

/// A fetch that has started, and the reader its decoder is opened on.
pub(crate) struct Started {
    pub fetch: JoinHandle<Result<(), PlayerError>>,
    pub reader: crate::ring::ByteReader,
    pub cancel: RingCancel,
    /// The container, for the probe.
    pub ext: &'static str,
    /// Seconds to drop after the decoder's first sample (the target within its segment).
    pub skip_secs: f64,
}

impl Started {
    /// Opens the decoder (blocking: the probe reads from the ring). A fetch failure explains
    /// an unreadable stream better than the probe does.
    pub fn open(
        self,
        rt: &tokio::runtime::Runtime,
        watchdog: std::time::Duration,
    ) -> Result<Pipeline, PlayerError> {
        let Started {
            mut fetch,
            reader,
            cancel,
            ext,
            skip_secs,
        } = self;
        match Decoder::open(reader, Some(ext)) {
            Ok(mut decoder) => {
                decoder.set_watchdog(watchdog);
                let rate = f64::from(decoder.format().rate);
                decoder.skip_frames((skip_secs.max(0.0) * rate).round() as u64);
                Ok(Pipeline {
                    fetch,
                    cancel,
                    decoder,
                })
            }
            Err(e) => {
                if cancel.timed_out() {
                    fetch.abort();
                    return Err(PlayerError::Stalled {
                        secs: watchdog.as_secs(),
                    });
                }
                // A fetch still running is told to stop first (nobody reads its ring now).
                cancel.cancel();
                let fetched = rt.block_on(async {
                    tokio::time::timeout(std::time::Duration::from_secs(2), &mut fetch).await
                });
                fetch.abort();
                Err(match fetched {
                    Ok(Ok(Err(fe))) => fe,
                    _ => e,
                })
            }
        }
    }
}

/// The length of the file at `url` (a HEAD request, within `timeout`), from its
/// `Content-Length` header (a HEAD response has no body to measure).
async fn content_length(
    http: &reqwest::Client,
    url: &url::Url,
    timeout: std::time::Duration,
) -> Option<u64> {
    let resp = tokio::time::timeout(timeout, http.head(url.clone()).send())
        .await
        .ok()?
        .ok()?;
    if !resp.status().is_success() {
        return None;
    }
    resp.headers()
        .get(reqwest::header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// The container a direct file URL names by its extension (`mp3` when it names none the
/// decoder knows): a hint for the probe, which reads the bytes.
fn file_ext(url: &Url) -> &'static str {
    let path = url.path().to_ascii_lowercase();
    ["wav", "m4a", "mp4", "aac", "mp3"]
        .into_iter()
        .find(|e| path.ends_with(&format!(".{e}")))
        .unwrap_or("mp3")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::StreamKind;

    #[test]
    fn a_resolved_track_location_names_its_track_and_secret() {
        let at = |s: &str| track_at(&url::Url::parse(s).expect("url"));
        let (urn, secret) = at("http://api.test/tracks/123?secret_token=s-x").expect("track");
        assert_eq!((urn.id(), secret.as_deref()), (123, Some("s-x")));
        let (urn, secret) = at("http://api.test/tracks/soundcloud:tracks:7").expect("track");
        assert_eq!((urn.id(), secret), (7, None));
        assert!(at("http://api.test/playlists/123").is_none());
        assert!(at("http://api.test/tracks/abc").is_none());
        assert!(at("http://api.test/users/1/tracks").is_none());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_progressive_seek_knows_the_file_length_from_a_head_request() {
        let emu = scplay_emulator::Emulator::start(Default::default())
            .await
            .expect("emulator");
        let url = emu.sign_cdn_path(
            &format!("/{}.128.mp3", scplay_emulator::catalog::TRACK_MP3_ONLY),
            std::time::Duration::from_secs(60),
        );
        let url = url::Url::parse(&url).expect("url");
        let http = scplay_core::tls::client_builder().build().expect("client");
        let whole = http
            .get(url.clone())
            .send()
            .await
            .expect("get")
            .bytes()
            .await
            .expect("body")
            .len() as u64;
        // A HEAD response has no body: its length is the header's, not 0.
        let len = content_length(&http, &url, std::time::Duration::from_secs(5)).await;
        assert_eq!(len, Some(whole));
    }

    #[test]
    fn the_container_hint_comes_from_the_kind_else_from_the_url() {
        assert_eq!(StreamKind::HlsAac96.container(), Some("mp4"));
        assert_eq!(StreamKind::PreviewMp3.container(), Some("mp3"));
        assert_eq!(StreamKind::Direct.container(), None);
        let url = |s: &str| Url::parse(s).expect("a URL");
        assert_eq!(file_ext(&url("http://h/a/Take.WAV?sig=1")), "wav");
        assert_eq!(file_ext(&url("http://h/a/b.m4a")), "m4a");
        assert_eq!(file_ext(&url("http://h/stream")), "mp3");
    }
}
