//! Decoding (on its own thread): symphonia reads the byte ring as one continuous stream
//! across segments; AAC priming declared by the MP4 edit list is trimmed (symphonia leaves it),
//! MP3 encoder delay and padding by symphonia's gapless mode; a bad packet is skipped and
//! counted, never fatal.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use symphonia::core::codecs::audio::{AudioDecoder, AudioDecoderOptions};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, TrackType};
use symphonia::core::io::{MediaSourceStream, MediaSourceStreamOptions};
use symphonia::core::meta::MetadataOptions;

use crate::PlayerError;
use crate::output::Format;
use crate::ring::ByteReader;

/// A decoder over a byte ring.
pub struct Decoder {
    reader: Box<dyn FormatReader + 'static>,
    dec: Box<dyn AudioDecoder>,
    track_id: u32,
    format: Format,
    buf: Vec<f32>,
    /// Frames still to drop from the front (seek offset, priming).
    skip: u64,
    priming: Arc<AtomicU64>,
    priming_added: bool,
    /// Packets that failed to decode and were skipped.
    pub skipped_packets: u64,
}

impl Decoder {
    /// Probes the stream in `reader`. `ext` hints the container (`mp4`, `mp3`); `priming` is
    /// read once the first samples decode (the fetcher learns it from the init segment).
    pub fn open(
        reader: ByteReader,
        ext: Option<&str>,
        priming: Arc<AtomicU64>,
    ) -> Result<Self, PlayerError> {
        let mss = MediaSourceStream::new(Box::new(reader), MediaSourceStreamOptions::default());
        let mut hint = Hint::new();
        if let Some(e) = ext {
            hint.with_extension(e);
        }
        let reader = symphonia::default::get_probe()
            .probe(
                &hint,
                mss,
                FormatOptions::default(),
                MetadataOptions::default(),
            )
            .map_err(|e| PlayerError::Decode(format!("unrecognised stream: {e}")))?;
        let track = reader
            .default_track(TrackType::Audio)
            .ok_or_else(|| PlayerError::Decode("no audio track".into()))?;
        let track_id = track.id;
        let params = track
            .codec_params
            .as_ref()
            .and_then(|p| p.audio())
            .ok_or_else(|| PlayerError::Decode("no audio codec parameters".into()))?
            .clone();
        let dec = symphonia::default::get_codecs()
            .make_audio_decoder(&params, &AudioDecoderOptions::default())
            .map_err(|e| PlayerError::Decode(format!("unsupported codec: {e}")))?;
        let rate = params
            .sample_rate
            .ok_or_else(|| PlayerError::Decode("unknown sample rate".into()))?;
        let channels = params.channels.as_ref().map_or(0, |c| c.count()) as u16;
        if channels == 0 || rate == 0 {
            return Err(PlayerError::Decode("unknown channel layout".into()));
        }
        Ok(Self {
            reader,
            dec,
            track_id,
            format: Format { rate, channels },
            buf: Vec::with_capacity(8192),
            skip: 0,
            priming,
            priming_added: false,
            skipped_packets: 0,
        })
    }

    /// The stream's format.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Drops `frames` more frames from the front (a seek inside a segment).
    pub fn skip_frames(&mut self, frames: u64) {
        self.skip += frames;
    }

    /// The next block of interleaved samples, or `None` at the end of the stream.
    pub fn next(&mut self) -> Result<Option<&[f32]>, PlayerError> {
        loop {
            let packet = match self.reader.next_packet() {
                Ok(Some(p)) => p,
                Ok(None) => return Ok(None),
                // The ring ended in the middle of a packet: the stream is over.
                Err(SymError::IoError(_)) => return Ok(None),
                Err(SymError::DecodeError(_)) => {
                    self.skipped_packets += 1;
                    continue;
                }
                Err(SymError::ResetRequired) => return Ok(None),
                Err(e) => return Err(PlayerError::Decode(e.to_string())),
            };
            if packet.track_id != self.track_id {
                continue;
            }
            let decoded = match self.dec.decode(&packet) {
                Ok(d) => d,
                Err(SymError::DecodeError(_)) | Err(SymError::IoError(_)) => {
                    self.skipped_packets += 1;
                    continue;
                }
                Err(e) => return Err(PlayerError::Decode(e.to_string())),
            };
            self.buf.clear();
            decoded.copy_to_vec_interleaved::<f32>(&mut self.buf);
            if !self.priming_added {
                self.priming_added = true;
                self.skip += self.priming.load(Ordering::Acquire);
            }
            let ch = usize::from(self.format.channels);
            let frames = (self.buf.len() / ch) as u64;
            if self.skip >= frames {
                self.skip -= frames;
                continue;
            }
            let from = (self.skip as usize) * ch;
            self.skip = 0;
            return Ok(Some(&self.buf[from..]));
        }
    }
}
