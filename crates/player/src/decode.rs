//! Decoding (on its own thread): one continuous stream across segments. AAC in fragmented
//! MP4 goes through our streaming demuxer ([`crate::fmp4`]) with the edit list's priming
//! trimmed (symphonia leaves it); MP3 and the rest through symphonia's readers, whose gapless
//! mode trims MP3 encoder delay and padding. A bad packet is skipped and counted; damaged
//! fMP4 boxes skip to the next segment; a stream that cannot go on is an error, never a quiet
//! end. A new init segment or a reset gets a new decoder.

use std::io::{Cursor, Read};

use symphonia::core::codecs::audio::{AudioCodecParameters, AudioDecoder, AudioDecoderOptions};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::probe::{Hint, Probe};
use symphonia::core::formats::{FormatOptions, FormatReader, TrackType};
use symphonia::core::io::{MediaSourceStream, MediaSourceStreamOptions, ReadOnlySource};
use symphonia::core::meta::MetadataOptions;
use symphonia::core::packet::Packet;

use crate::PlayerError;
use crate::fmp4::{self, Fmp4Demuxer};
use crate::output::Format;
use crate::ring::ByteReader;

type Input = std::io::Chain<Cursor<Vec<u8>>, ByteReader>;

enum Demux {
    /// AAC in fragmented MP4: our own streaming demuxer (flat memory).
    Fmp4(Box<Fmp4Demuxer<Input>>),
    /// Everything else (MP3, ADTS, …): symphonia's readers, and the track to decode.
    Symphonia(Box<dyn FormatReader + 'static>, u32),
}

/// A decoder over a byte ring.
pub struct Decoder {
    demux: Demux,
    dec: Box<dyn AudioDecoder>,
    format: Format,
    buf: Vec<f32>,
    /// Frames still to drop from the front (seek offset, priming).
    skip: u64,
    /// Decode time (samples) where the stream's audio ends and encoder padding begins.
    end: Option<u64>,
    /// Decode time of the latest packet.
    packet_ts: Option<u64>,
    /// Longest time without audio before [`PlayerError::Stalled`], and when audio last came.
    watchdog: Option<std::time::Duration>,
    last_audio: std::time::Instant,
    /// Packets that failed to decode and were skipped.
    skipped_packets: u64,
    /// Init segments the decoder is configured for (fMP4).
    inits: u64,
}

/// The containers the player reads through symphonia: MP3 (progressive and MP3 HLS), ADTS
/// AAC and WAV. Fragmented MP4 has its own demuxer ([`crate::fmp4`]); symphonia's general MP4
/// reader is left out, since it panics on some malformed input (found by fuzzing).
fn probe() -> &'static Probe {
    static PROBE: std::sync::OnceLock<Probe> = std::sync::OnceLock::new();
    PROBE.get_or_init(|| {
        let mut p = Probe::default();
        p.register_format::<symphonia::default::formats::MpaReader<'_>>();
        p.register_format::<symphonia::default::formats::AdtsReader<'_>>();
        p.register_format::<symphonia::default::formats::WavReader<'_>>();
        p
    })
}

/// Runs a call into symphonia, turning a panic on hostile input into an error (the stream
/// ends; the engine thread lives on). Builds with `panic = "abort"` rely on the probe above.
fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, PlayerError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .map_err(|_| PlayerError::decode("the decoder failed on malformed data"))
}

fn format_of(params: &AudioCodecParameters) -> Result<Format, PlayerError> {
    let rate = params
        .sample_rate
        .ok_or_else(|| PlayerError::decode("unknown sample rate"))?;
    let channels = params.channels.as_ref().map_or(0, |c| c.count()) as u16;
    if channels == 0 || rate == 0 {
        return Err(PlayerError::decode("unknown channel layout"));
    }
    Ok(Format { rate, channels })
}

fn make_decoder(params: &AudioCodecParameters) -> Result<Box<dyn AudioDecoder>, PlayerError> {
    symphonia::default::get_codecs()
        .make_audio_decoder(params, &AudioDecoderOptions::default())
        .map_err(PlayerError::Unsupported)
}

impl Decoder {
    /// Opens the stream in `reader`: fragmented MP4 by our demuxer, anything else by
    /// symphonia's probe (`ext` hints the container).
    pub fn open(mut reader: ByteReader, ext: Option<&str>) -> Result<Self, PlayerError> {
        let mut head = vec![0u8; 8];
        let mut got = 0;
        while got < head.len() {
            let n = reader
                .read(&mut head[got..])
                .map_err(|e| PlayerError::decode_from("cannot read the stream", e))?;
            if n == 0 {
                break;
            }
            got += n;
        }
        head.truncate(got);
        if got == 0 {
            return Err(PlayerError::decode("the stream is empty"));
        }
        let input: Input = Cursor::new(head.clone()).chain(reader);
        if fmp4::sniff(&head) {
            let demux = Fmp4Demuxer::new(input)
                .map_err(|e| PlayerError::decode_from("bad fMP4 init segment", e))?;
            let params = demux.init.params.clone();
            let skip = demux.init.priming;
            let end = demux.init.length.map(|l| l + skip);
            return Ok(Self {
                end,
                packet_ts: None,
                watchdog: None,
                last_audio: std::time::Instant::now(),
                dec: make_decoder(&params)?,
                format: format_of(&params)?,
                demux: Demux::Fmp4(Box::new(demux)),
                buf: Vec::with_capacity(8192),
                skip,
                skipped_packets: 0,
                inits: 1,
            });
        }
        let mss = MediaSourceStream::new(
            Box::new(ReadOnlySource::new(input)),
            MediaSourceStreamOptions::default(),
        );
        let mut hint = Hint::new();
        if let Some(e) = ext {
            hint.with_extension(e);
        }
        let reader = guarded(|| {
            probe().probe(
                &hint,
                mss,
                FormatOptions::default(),
                MetadataOptions::default(),
            )
        })?
        .map_err(PlayerError::Unsupported)?;
        let track = reader
            .default_track(TrackType::Audio)
            .ok_or_else(|| PlayerError::decode("no audio track"))?;
        let track_id = track.id;
        let params = track
            .codec_params
            .as_ref()
            .and_then(|p| p.audio())
            .ok_or_else(|| PlayerError::decode("no audio codec parameters"))?
            .clone();
        Ok(Self {
            dec: make_decoder(&params)?,
            format: format_of(&params)?,
            demux: Demux::Symphonia(reader, track_id),
            end: None,
            packet_ts: None,
            watchdog: None,
            last_audio: std::time::Instant::now(),
            buf: Vec::with_capacity(8192),
            skip: 0,
            skipped_packets: 0,
            inits: 1,
        })
    }

    /// Packets that could not be decoded (or demuxed) and were skipped.
    pub fn skipped(&self) -> u64 {
        match &self.demux {
            Demux::Fmp4(d) => self.skipped_packets + d.dropped,
            Demux::Symphonia(..) => self.skipped_packets,
        }
    }

    /// The stream's format.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Ends the stream with [`PlayerError::Stalled`] when packets keep coming but none decodes
    /// for `limit`.
    pub fn set_watchdog(&mut self, limit: std::time::Duration) {
        self.watchdog = Some(limit);
        self.last_audio = std::time::Instant::now();
    }

    fn starved(&self) -> Option<PlayerError> {
        let w = self.watchdog?;
        (self.last_audio.elapsed() > w).then_some(PlayerError::Stalled { secs: w.as_secs() })
    }

    /// Drops `frames` more frames from the front (a seek inside a segment).
    pub fn skip_frames(&mut self, frames: u64) {
        self.skip += frames;
    }

    fn next_packet(&mut self) -> Result<Option<Packet>, PlayerError> {
        loop {
            return match &mut self.demux {
                Demux::Fmp4(d) => match d.next_packet() {
                    Ok(Some(p)) => {
                        self.packet_ts = Some(p.ts);
                        let ts = i64::try_from(p.ts).unwrap_or(i64::MAX);
                        let packet = Packet::new(0, ts.into(), p.duration.into(), p.data.to_vec());
                        if d.inits != self.inits {
                            // A new init segment (a discontinuity): its own decoder.
                            self.inits = d.inits;
                            let params = d.init.params.clone();
                            self.rebuild(&params)?;
                        }
                        Ok(Some(packet))
                    }
                    Ok(None) => Ok(None),
                    // Damaged boxes: what is left of the fragment is skipped, and the stream
                    // goes on at the next segment; when there is none, the item failed.
                    Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                        self.skipped_packets += 1;
                        match d.resync() {
                            Ok(true) => continue,
                            Ok(false) => Err(PlayerError::decode_from(
                                "the stream is damaged and ends there",
                                e,
                            )),
                            Err(e2) if e2.kind() == std::io::ErrorKind::InvalidData => {
                                Err(PlayerError::decode_from("the stream is damaged", e))
                            }
                            Err(_) => Ok(None),
                        }
                    }
                    // The byte ring ended mid-box (the fetch ended: its result says why),
                    // was cancelled, or its watchdog fired (the job reports the stall).
                    Err(_) => Ok(None),
                },
                Demux::Symphonia(reader, track_id) => match guarded(|| reader.next_packet())? {
                    Ok(Some(p)) if p.track_id == *track_id => Ok(Some(p)),
                    Ok(Some(_)) => continue,
                    Ok(None) => Ok(None),
                    Err(SymError::IoError(e)) if e.kind() != std::io::ErrorKind::InvalidData => {
                        Ok(None)
                    }
                    Err(SymError::ResetRequired) => {
                        // A new logical stream: its track, and a decoder for it.
                        let track = reader
                            .default_track(TrackType::Audio)
                            .ok_or_else(|| PlayerError::decode("no audio track after a reset"))?;
                        *track_id = track.id;
                        let params = track
                            .codec_params
                            .as_ref()
                            .and_then(|p| p.audio())
                            .cloned()
                            .ok_or_else(|| PlayerError::decode("no codec parameters after a reset"))?;
                        self.rebuild(&params)?;
                        continue;
                    }
                    Err(SymError::DecodeError(_)) | Err(SymError::IoError(_)) => {
                        self.skipped_packets += 1;
                        if let Some(e) = self.starved() {
                            return Err(e);
                        }
                        continue;
                    }
                    Err(e) => Err(PlayerError::decode_from("cannot read the container", e)),
                },
            };
        }
    }

    /// A new decoder for `params` (a new init segment, a reset); the stream's format must
    /// stay what the output was set up for.
    fn rebuild(&mut self, params: &AudioCodecParameters) -> Result<(), PlayerError> {
        let format = format_of(params)?;
        if format != self.format {
            return Err(PlayerError::decode(format!(
                "the stream changed format mid-way ({} Hz × {} → {} Hz × {})",
                self.format.rate, self.format.channels, format.rate, format.channels
            )));
        }
        self.dec = make_decoder(params)?;
        Ok(())
    }

    /// The next block of interleaved samples, or `None` at the end of the stream.
    pub fn next_block(&mut self) -> Result<Option<&[f32]>, PlayerError> {
        loop {
            let Some(packet) = self.next_packet()? else {
                return Ok(None);
            };
            let dec = &mut self.dec;
            let decoded = match guarded(|| dec.decode(&packet))? {
                Ok(d) => d,
                Err(SymError::DecodeError(_)) | Err(SymError::IoError(_)) => {
                    self.skipped_packets += 1;
                    if let Some(e) = self.starved() {
                        return Err(e);
                    }
                    continue;
                }
                Err(e) => return Err(PlayerError::decode_from("the decoder failed", e)),
            };
            self.buf.clear();
            decoded.copy_to_vec_interleaved::<f32>(&mut self.buf);
            let ch = usize::from(self.format.channels);
            if let (Some(end), Some(ts)) = (self.end, self.packet_ts) {
                // Encoder padding after the edit list's end is not audio.
                let keep = end.saturating_sub(ts) as usize;
                self.buf.truncate(keep.saturating_mul(ch));
            }
            let frames = (self.buf.len() / ch) as u64;
            if self.skip >= frames {
                self.skip -= frames;
                continue;
            }
            let from = (self.skip as usize) * ch;
            self.skip = 0;
            self.last_audio = std::time::Instant::now();
            return Ok(Some(&self.buf[from..]));
        }
    }
}

/// Decodes a whole stream held in memory (`ext` hints the container: `mp4`, `mp3`, `aac`),
/// handing each block of interleaved samples to `block`; returns the stream's format and the
/// frames decoded. For tools, tests, fuzzing and benchmarks: the player itself streams.
pub fn decode_all(
    bytes: &[u8],
    ext: Option<&str>,
    mut block: impl FnMut(&[f32]),
) -> Result<(Format, u64), PlayerError> {
    let (mut prod, mut reader, _cancel) = crate::ring::byte_ring(bytes.len().max(1));
    reader.set_watchdog(std::time::Duration::from_secs(1));
    prod.try_write(bytes);
    drop(prod);
    let mut dec = Decoder::open(reader, ext)?;
    let format = dec.format();
    let ch = usize::from(format.channels.max(1));
    let mut frames = 0;
    while let Some(b) = dec.next_block()? {
        frames += (b.len() / ch) as u64;
        block(b);
    }
    Ok((format, frames))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fixture's top-level boxes, as (type, bytes).
    fn boxes() -> Vec<([u8; 4], Vec<u8>)> {
        let file: &[u8] = include_bytes!("../../emulator/fixtures/main.aac160.mp4");
        let mut out = Vec::new();
        let mut at = 0;
        while at + 8 <= file.len() {
            let size = u32::from_be_bytes([file[at], file[at + 1], file[at + 2], file[at + 3]]);
            let size = (size as usize).max(8).min(file.len() - at);
            let mut t = [0; 4];
            t.copy_from_slice(&file[at + 4..at + 8]);
            out.push((t, file[at..at + size].to_vec()));
            at += size;
        }
        out
    }

    /// The init segment and the first `n` fragments (styp … mdat each).
    fn stream(n: usize) -> (Vec<u8>, Vec<Vec<u8>>) {
        let all = boxes();
        let init: Vec<u8> = all
            .iter()
            .take_while(|(t, _)| t != b"styp")
            .flat_map(|(_, b)| b.clone())
            .collect();
        let mut frags = Vec::new();
        let mut cur = Vec::new();
        for (t, b) in all.iter().skip_while(|(t, _)| t != b"styp") {
            cur.extend_from_slice(b);
            if t == b"mdat" {
                frags.push(std::mem::take(&mut cur));
            }
        }
        frags.truncate(n);
        (init, frags)
    }

    /// A box claiming more than any `moof` may hold: damaged data, not the end.
    fn damaged() -> Vec<u8> {
        let mut b = 0x7FFF_FFF0u32.to_be_bytes().to_vec();
        b.extend_from_slice(b"moof");
        b.extend_from_slice(&[0xAB; 300]);
        b
    }

    #[test]
    fn a_damaged_fragment_is_skipped_and_the_next_segment_plays() {
        let (init, frags) = stream(2);
        assert_eq!(frags.len(), 2);
        let clean = [init.clone(), frags[0].clone(), frags[1].clone()].concat();
        let (_, want) = decode_all(&clean, Some("mp4"), |_| {}).expect("clean");
        let hurt = [init, frags[0].clone(), damaged(), frags[1].clone()].concat();
        let (_, got) = decode_all(&hurt, Some("mp4"), |_| {}).expect("resynchronised");
        assert_eq!(got, want, "both fragments decoded");
    }

    #[test]
    fn a_stream_that_cannot_go_on_is_an_error_not_its_end() {
        let (init, frags) = stream(1);
        let hurt = [init, frags[0].clone(), damaged()].concat();
        let r = decode_all(&hurt, Some("mp4"), |_| {});
        assert!(matches!(r, Err(PlayerError::Decode { .. })), "{r:?}");
    }

    #[test]
    fn a_new_init_segment_mid_stream_decodes_on() {
        let (init, frags) = stream(2);
        let twice = [init.clone(), frags[0].clone(), init, frags[1].clone()].concat();
        let mut blocks = 0;
        let (_, frames) = decode_all(&twice, Some("mp4"), |_| blocks += 1).expect("decodes");
        assert!(frames > 0 && blocks > 0);
    }
}
