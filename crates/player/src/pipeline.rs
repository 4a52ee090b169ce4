//! Loading one queue item: resolve what the user named to a [`StreamPlan`], start its fetch
//! task and open its decoder. Runs on the engine thread, or on a preload thread while the
//! item before it plays.

use std::sync::Arc;

use scplay_core::{Access, Client, Resource, Track, TrackUrn};
use tokio::runtime::Handle;
use tokio::task::JoinHandle;

use crate::PlayerError;
use crate::decode::Decoder;
use crate::fetch::{self, FetchCounters, FileJob, HlsJob, Refresh, SegmentCache};
use crate::options::PlayerOptions;
use crate::plan::{self, Source, StreamPlan, Target, TrackInfo};
use crate::ring::{RingCancel, byte_ring};

/// What loading needs; cheap to clone into a preload thread.
#[derive(Clone)]
pub(crate) struct Ctx {
    pub rt: Handle,
    pub http: reqwest::Client,
    pub client: Option<Client>,
    pub opts: PlayerOptions,
    pub counters: Arc<FetchCounters>,
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

/// A loaded queue item, decoding from `start` seconds.
pub(crate) struct Loaded {
    /// Its index in the queue.
    pub index: usize,
    pub stream: Stream,
    pub pipe: Pipeline,
    /// Seconds of the track at which the pipeline started.
    pub start: f64,
    /// Frames decoded since (in the stream's own rate).
    pub decoded: u64,
}

impl Loaded {
    /// Seconds of the track decoded so far.
    pub fn decoded_secs(&self) -> f64 {
        self.start + self.decoded as f64 / f64::from(self.pipe.decoder.format().rate.max(1))
    }

    /// Length in seconds, when known.
    pub fn duration(&self) -> Option<f64> {
        self.stream.duration
    }
}

/// What a queue item turned out to be.
pub(crate) enum Item<T> {
    /// A track: its stream, or loaded.
    Track(Box<T>),
    /// A playlist: these tracks take its place in the queue.
    Playlist(Vec<Target>),
    /// Not playable (blocked, DRM only, …): skip it.
    Skip(TrackInfo, PlayerError),
}

fn track_targets(tracks: Vec<Track>) -> Vec<Target> {
    tracks
        .into_iter()
        .filter_map(|t| {
            t.urn
                .as_deref()
                .and_then(|u| TrackUrn::parse(u).ok())
                .or_else(|| t.id.map(TrackUrn::from))
                .map(Target::Track)
        })
        .collect()
}

impl Ctx {
    fn client(&self) -> Result<&Client, PlayerError> {
        self.client.as_ref().ok_or_else(|| {
            PlayerError::InvalidTarget("playing SoundCloud tracks needs an API client".into())
        })
    }

    async fn track_stream(&self, track: &Track) -> Result<Stream, PlayerError> {
        let client = self.client()?;
        let plan = plan::resolve_track(client, &self.http, track, self.opts.prefer).await?;
        let refresh = plan::refresher(client, track, &plan.kind);
        Ok(Stream::new(plan, refresh, self.opts.segment_cache_bytes))
    }

    /// Resolves `target` (the API for tracks and pages, nothing for direct URLs).
    async fn resolve(&self, target: &Target) -> Result<Item<Stream>, PlayerError> {
        let track = match target {
            Target::Direct(url) => {
                let plan = plan::resolve_direct(&self.http, url).await?;
                let stream = Stream::new(plan, None, self.opts.segment_cache_bytes);
                return Ok(Item::Track(Box::new(stream)));
            }
            Target::Track(urn) => self.client()?.track(*urn).await?,
            Target::Page(url) => match self.client()?.resolve(url).await? {
                Resource::Track(t) => *t,
                Resource::Playlist(p) => {
                    let tracks = match p.tracks {
                        Some(t) => t,
                        None => {
                            let urn = p.urn.as_deref().unwrap_or_default();
                            let urn = scplay_core::PlaylistUrn::parse(urn).map_err(|_| {
                                PlayerError::InvalidTarget("the playlist has no id".into())
                            })?;
                            self.client()?
                                .playlist(urn, true, None)
                                .await?
                                .tracks
                                .unwrap_or_default()
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
        match self.track_stream(&track).await {
            Ok(s) => Ok(Item::Track(Box::new(s))),
            Err(e) if e.is_not_playable() => Ok(Item::Skip(info, e)),
            Err(e) => Err(e),
        }
    }

    /// Loads queue item `index` (`target`), decoding from `at` seconds. Blocking.
    pub fn load(
        &self,
        index: usize,
        target: &Target,
        at: f64,
    ) -> Result<Item<Loaded>, PlayerError> {
        let stream = match self.rt.block_on(self.resolve(target)) {
            Ok(Item::Track(s)) => *s,
            Ok(Item::Playlist(tracks)) => return Ok(Item::Playlist(tracks)),
            Ok(Item::Skip(info, e)) => return Ok(Item::Skip(info, e)),
            Err(e) if e.is_not_playable() => return Ok(Item::Skip(TrackInfo::default(), e)),
            Err(e) => return Err(e),
        };
        let pipe = match self.open(&stream, at) {
            Ok(p) => p,
            Err(e) if e.is_not_playable() => {
                return Ok(Item::Skip(stream.plan.info.clone(), e));
            }
            Err(e) => return Err(e),
        };
        Ok(Item::Track(Box::new(Loaded {
            index,
            stream,
            pipe,
            start: at,
            decoded: 0,
        })))
    }

    /// Starts fetching and decoding `stream` from `at` seconds.
    pub fn open(&self, stream: &Stream, at: f64) -> Result<Pipeline, PlayerError> {
        let (prod, mut reader, cancel) = byte_ring(self.opts.byte_ring_bytes);
        reader.set_watchdog(self.opts.watchdog);
        let plan = &stream.plan;
        let (mut fetch, ext, skip_secs) = match &plan.source {
            Source::Hls { playlist, .. } => {
                let (k, seg_start) = playlist.locate(at).unwrap_or((0, 0.0));
                let ext = if playlist.segments.get(k).is_some_and(|s| s.init.is_some()) {
                    "mp4"
                } else {
                    "mp3"
                };
                let job = HlsJob {
                    http: self.http.clone(),
                    playlist: Arc::clone(playlist),
                    from: k,
                    prefetch: self.opts.prefetch_segments,
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
                    (true, Some(ms)) if ms > 0 => self
                        .rt
                        .block_on(content_length(&self.http, url))
                        .map_or(0, |len| (len as f64 * at * 1000.0 / ms as f64) as u64),
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
                (self.rt.spawn(fetch::run_file(job, prod)), "mp3", skip)
            }
        };
        match Decoder::open(reader, Some(ext)) {
            Ok(mut decoder) => {
                decoder.set_watchdog(self.opts.watchdog);
                let rate = f64::from(decoder.format().rate);
                decoder.skip_frames((skip_secs.max(0.0) * rate).round() as u64);
                Ok(Pipeline {
                    fetch,
                    cancel,
                    decoder,
                })
            }
            Err(e) => {
                // A fetch failure explains an unreadable stream better than the probe does;
                // a fetch still running is told to stop first (nobody reads its ring now).
                if cancel.timed_out() {
                    fetch.abort();
                    return Err(PlayerError::Stalled {
                        secs: self.opts.watchdog.as_secs(),
                    });
                }
                cancel.cancel();
                let fetched = self.rt.block_on(async {
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

async fn content_length(http: &reqwest::Client, url: &url::Url) -> Option<u64> {
    http.head(url.clone()).send().await.ok()?.content_length()
}
