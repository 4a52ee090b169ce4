//! `POST /tracks`: uploads streamed from disk (memory does not grow with the file) with a
//! progress callback.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::StreamExt;
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use tokio_util::io::ReaderStream;

use super::TrackFields;
use crate::http::{Body, Req};
use crate::models::Track;
use crate::{Client, Error, Result};

/// Called with (bytes sent, total bytes) as an upload proceeds.
pub type Progress = Arc<dyn Fn(u64, u64) + Send + Sync>;

/// A track to upload: the audio file (AIFF, WAVE, FLAC, OGG, MP2, MP3, AAC, AMR or WMA), its
/// metadata (a title is required), optional artwork and a progress callback.
#[derive(Clone, Default)]
pub struct TrackUpload {
    /// The audio file.
    pub audio: PathBuf,
    /// Metadata; `title` is required.
    pub fields: TrackFields,
    /// Artwork (JPEG or PNG).
    pub artwork: Option<PathBuf>,
    /// Progress of the audio file.
    pub progress: Option<Progress>,
}

impl std::fmt::Debug for TrackUpload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrackUpload")
            .field("audio", &self.audio)
            .field("fields", &self.fields)
            .field("artwork", &self.artwork)
            .finish_non_exhaustive()
    }
}

/// A file checked to exist, streamed into a multipart part (opened anew per attempt).
#[derive(Debug, Clone)]
pub(crate) struct FilePart {
    path: PathBuf,
    len: u64,
    name: String,
}

impl FilePart {
    pub async fn open(path: &Path) -> Result<Self> {
        let meta = tokio::fs::metadata(path)
            .await
            .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
        if !meta.is_file() {
            return Err(Error::InvalidArgument(format!(
                "{} is not a file",
                path.display()
            )));
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "upload".into());
        Ok(Self {
            path: path.to_path_buf(),
            len: meta.len(),
            name,
        })
    }

    /// A part streaming the file in 256 KiB chunks, reporting progress.
    pub fn part(&self, progress: Option<Progress>) -> Result<Part> {
        let file = std::fs::File::open(&self.path)
            .map_err(|e| Error::io(format!("opening {}", self.path.display()), e))?;
        let reader = ReaderStream::with_capacity(tokio::fs::File::from_std(file), 256 * 1024);
        let total = self.len;
        let sent = Arc::new(AtomicU64::new(0));
        let stream = reader.map(move |chunk| {
            if let (Ok(c), Some(p)) = (&chunk, &progress) {
                let now = sent.fetch_add(c.len() as u64, Ordering::Relaxed) + c.len() as u64;
                p(now, total);
            }
            chunk
        });
        Ok(
            Part::stream_with_length(reqwest::Body::wrap_stream(stream), self.len)
                .file_name(self.name.clone()),
        )
    }
}

impl Client {
    /// `POST /tracks`: uploads a track (needs a user token). Not retried after it was sent (a
    /// repeated upload would make a duplicate track).
    pub async fn upload_track(&self, upload: &TrackUpload) -> Result<Track> {
        if upload
            .fields
            .title
            .as_deref()
            .is_none_or(|t| t.trim().is_empty())
        {
            return Err(Error::InvalidArgument("an upload needs a title".into()));
        }
        let audio = FilePart::open(&upload.audio).await?;
        let artwork = match &upload.artwork {
            Some(p) => Some(FilePart::open(p).await?),
            None => None,
        };
        let text = upload.fields.form_fields();
        let progress = upload.progress.clone();
        let mut req = Req::new(Method::POST, self.api_url("/tracks")?).user_only();
        req.no_timeout = true;
        req.body = Body::Multipart(Box::new(move || {
            let mut form = Form::new();
            for (k, v) in &text {
                form = form.text(k.clone(), v.clone());
            }
            form = form.part("track[asset_data]", audio.part(progress.clone())?);
            if let Some(a) = &artwork {
                form = form.part("track[artwork_data]", a.part(None)?);
            }
            Ok(form)
        }));
        self.json(req).await
    }
}
