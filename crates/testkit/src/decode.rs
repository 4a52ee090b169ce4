//! The reference decoder: a whole file decoded by symphonia in one go, the way the player's
//! output is judged.

use symphonia::core::codecs::audio::AudioDecoderOptions;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, TrackType};
use symphonia::core::io::{MediaSourceStream, MediaSourceStreamOptions, ReadOnlySource};
use symphonia::core::meta::MetadataOptions;

/// A decoded file.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// Samples per second.
    pub rate: u32,
    /// Channels.
    pub channels: u16,
    /// Interleaved samples, everything the decoder gave (priming included).
    pub samples: Vec<f32>,
    /// Packets the decoder refused.
    pub bad_packets: u64,
}

impl Decoded {
    /// Frames decoded.
    pub fn frames(&self) -> u64 {
        (self.samples.len() / usize::from(self.channels.max(1))) as u64
    }

    /// The samples after the first `frames` (an encoder's priming).
    pub fn without_priming(mut self, frames: u64) -> Vec<f32> {
        let skip = usize::try_from(frames)
            .unwrap_or(usize::MAX)
            .saturating_mul(usize::from(self.channels))
            .min(self.samples.len());
        self.samples.split_off(skip)
    }
}

/// Decodes all of `data` (`ext` hints the container: `mp3`, `mp4`, `wav`, …). Panics when it
/// is not audio or its container is damaged: a reference must be sound.
pub fn reference_decode(data: Vec<u8>, ext: &str) -> Decoded {
    let src = ReadOnlySource::new(std::io::Cursor::new(data));
    let mss = MediaSourceStream::new(Box::new(src), MediaSourceStreamOptions::default());
    let mut hint = Hint::new();
    hint.with_extension(ext);
    let mut reader = symphonia::default::get_probe()
        .probe(
            &hint,
            mss,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .expect("the format probes");
    let track = reader
        .default_track(TrackType::Audio)
        .expect("an audio track")
        .clone();
    let params = track
        .codec_params
        .as_ref()
        .and_then(|p| p.audio())
        .expect("audio parameters")
        .clone();
    let mut dec = symphonia::default::get_codecs()
        .make_audio_decoder(&params, &AudioDecoderOptions::default())
        .expect("a decoder");
    let rate = params.sample_rate.expect("a sample rate");
    let channels = params.channels.as_ref().map_or(0, |c| c.count()) as u16;
    let (mut samples, mut buf, mut bad_packets) = (Vec::new(), Vec::new(), 0);
    loop {
        match reader.next_packet() {
            Ok(Some(p)) if p.track_id != track.id => {}
            Ok(Some(p)) => match dec.decode(&p) {
                Ok(d) => {
                    d.copy_to_vec_interleaved::<f32>(&mut buf);
                    samples.extend_from_slice(&buf);
                }
                Err(_) => bad_packets += 1,
            },
            Ok(None) => break,
            Err(e) => panic!("demux error after {} samples: {e}", samples.len()),
        }
    }
    Decoded {
        rate,
        channels,
        samples,
        bad_packets,
    }
}
