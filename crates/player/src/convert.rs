//! Format conversion on the decode thread, only when the sink needs it: channel mapping and
//! resampling to the device's rate (rubato's FFT resampler, its delay trimmed so the timing
//! stays exact).

use audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Indexing, Resampler};

use crate::PlayerError;
use crate::output::Format;

/// Input frames per resampler call.
const CHUNK: usize = 1024;

/// Converts interleaved f32 from one [`Format`] to another.
pub struct Converter {
    from: Format,
    to: Format,
    resampler: Option<Fft<f32>>,
    /// Channel-mapped input waiting for a full chunk.
    pending: Vec<f32>,
    mapped: Vec<f32>,
    out: Vec<f32>,
    /// Output frames still to drop (the resampler's delay).
    delay: usize,
    /// Frames taken in and given out, to end at exactly the converted length.
    frames_in: u64,
    frames_out: u64,
}

/// Maps interleaved `input` with `from` channels to `to` channels, appending to `out`:
/// mono is copied to every output channel, more to fewer is averaged down to mono or the
/// first channels kept, fewer to more leaves the extra channels silent.
pub fn map_channels(input: &[f32], from: usize, to: usize, out: &mut Vec<f32>) {
    if from == to {
        out.extend_from_slice(input);
        return;
    }
    for frame in input.chunks_exact(from) {
        match (from, to) {
            (1, _) => out.extend(std::iter::repeat_n(frame[0], to)),
            (_, 1) => out.push(frame.iter().sum::<f32>() / from as f32),
            _ => {
                let keep = from.min(to);
                out.extend_from_slice(&frame[..keep]);
                out.extend(std::iter::repeat_n(0.0, to - keep));
            }
        }
    }
}

impl Converter {
    /// A converter, or `None` when the formats are the same.
    pub fn new(from: Format, to: Format) -> Result<Option<Self>, PlayerError> {
        if from == to {
            return Ok(None);
        }
        let resampler = if from.rate != to.rate {
            let r = Fft::<f32>::new(
                from.rate as usize,
                to.rate as usize,
                CHUNK,
                usize::from(to.channels),
                FixedSync::Input,
            )
            .map_err(|e| {
                PlayerError::output_from(
                    format!("cannot resample {} Hz to {} Hz", from.rate, to.rate),
                    e,
                )
            })?;
            Some(r)
        } else {
            None
        };
        let delay = resampler.as_ref().map_or(0, Resampler::output_delay);
        Ok(Some(Self {
            from,
            to,
            resampler,
            pending: Vec::new(),
            mapped: Vec::new(),
            out: Vec::new(),
            delay,
            frames_in: 0,
            frames_out: 0,
        }))
    }

    fn run_chunk(&mut self, frames: usize, partial: Option<usize>) -> Result<(), PlayerError> {
        let Some(r) = &mut self.resampler else {
            return Ok(());
        };
        let ch = usize::from(self.to.channels);
        let need = r.input_frames_next();
        let mut padded = Vec::new();
        let input: &[f32] = if frames < need {
            padded.extend_from_slice(&self.pending[..frames * ch]);
            padded.resize(need * ch, 0.0);
            &padded
        } else {
            &self.pending[..need * ch]
        };
        let max_out = r.output_frames_max();
        let start = self.out.len();
        self.out.resize(start + max_out * ch, 0.0);
        let adapter_in = InterleavedSlice::new(input, ch, need)
            .map_err(|e| PlayerError::output_from("resampler input", e))?;
        let mut adapter_out = InterleavedSlice::new_mut(&mut self.out[start..], ch, max_out)
            .map_err(|e| PlayerError::output_from("resampler output", e))?;
        let indexing = partial.map(|p| Indexing {
            input_offset: 0,
            output_offset: 0,
            partial_len: Some(p),
            active_channels_mask: None,
        });
        let (used, made) = r
            .process_into_buffer(&adapter_in, &mut adapter_out, indexing.as_ref())
            .map_err(|e| PlayerError::output_from("resampling failed", e))?;
        self.out.truncate(start + made * ch);
        let used = used.min(frames);
        self.pending.drain(..used * ch);
        // Drop the resampler's delay from the front of the output.
        if self.delay > 0 {
            let drop = self.delay.min(made);
            self.out.drain(start..start + drop * ch);
            self.delay -= drop;
        }
        Ok(())
    }

    /// The format it converts from.
    pub fn input_format(&self) -> Format {
        self.from
    }

    /// Whether it resamples (its output then lags its input by the resampler's delay).
    pub fn resamples(&self) -> bool {
        self.resampler.is_some()
    }

    /// Output frames that correspond to the input taken so far: where the next input frame
    /// will come out, counted from the converter's first output frame.
    pub fn output_position(&self) -> u64 {
        (self.frames_in as f64 * f64::from(self.to.rate) / f64::from(self.from.rate)).round()
            as u64
    }

    /// Converts a block; the returned slice is valid until the next call.
    pub fn push(&mut self, input: &[f32]) -> Result<&[f32], PlayerError> {
        self.out.clear();
        self.mapped.clear();
        map_channels(
            input,
            usize::from(self.from.channels),
            usize::from(self.to.channels),
            &mut self.mapped,
        );
        if self.resampler.is_none() {
            return Ok(&self.mapped);
        }
        self.pending.extend_from_slice(&self.mapped);
        let ch = usize::from(self.to.channels);
        self.frames_in += (self.mapped.len() / ch) as u64;
        while self
            .resampler
            .as_ref()
            .is_some_and(|r| self.pending.len() / ch >= r.input_frames_next())
        {
            let frames = self.pending.len() / ch;
            self.run_chunk(frames, None)?;
        }
        self.frames_out += (self.out.len() / ch) as u64;
        Ok(&self.out)
    }

    /// Converts what is left at the end of the stream, and the resampler's delayed tail, so
    /// the output is exactly as long as the input at the new rate.
    pub fn finish(&mut self) -> Result<&[f32], PlayerError> {
        self.out.clear();
        if self.resampler.is_none() {
            return Ok(&self.out);
        }
        let ch = usize::from(self.to.channels);
        let total = (self.frames_in as f64 * f64::from(self.to.rate) / f64::from(self.from.rate))
            .round() as u64;
        // The remainder, then silence until the delayed tail is out (bounded).
        for _ in 0..4 {
            if self.frames_out + (self.out.len() / ch) as u64 >= total {
                break;
            }
            let rest = self.pending.len() / ch;
            self.run_chunk(rest, Some(rest))?;
        }
        let want = total.saturating_sub(self.frames_out) as usize;
        self.out.truncate(want.min(self.out.len() / ch) * ch);
        self.frames_out += (self.out.len() / ch) as u64;
        Ok(&self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_channels() {
        let mut out = Vec::new();
        map_channels(&[0.5, -0.5], 1, 2, &mut out);
        assert_eq!(out, [0.5, 0.5, -0.5, -0.5]);
        out.clear();
        map_channels(&[1.0, 0.0, 0.5, 0.5], 2, 1, &mut out);
        assert_eq!(out, [0.5, 0.5]);
    }

    #[test]
    fn resamples_44k1_to_48k_keeping_length_and_pitch() {
        let from = Format {
            rate: 44_100,
            channels: 1,
        };
        let to = Format {
            rate: 48_000,
            channels: 1,
        };
        let mut c = Converter::new(from, to)
            .ok()
            .flatten()
            .unwrap_or_else(|| unreachable!());
        let input: Vec<f32> = (0..44_100)
            .map(|i| (i as f32 * 2.0 * std::f32::consts::PI * 1000.0 / 44_100.0).sin())
            .collect();
        let mut out = Vec::new();
        for block in input.chunks(777) {
            out.extend_from_slice(c.push(block).unwrap_or(&[]));
        }
        out.extend_from_slice(c.finish().unwrap_or(&[]));
        assert_eq!(out.len(), 48_000, "exactly one second at the new rate");
        // A 1 kHz tone stays 1 kHz: count zero crossings over the middle.
        let mid = &out[5000..43_000];
        let crossings = mid.windows(2).filter(|w| w[0] < 0.0 && w[1] >= 0.0).count();
        let expected = 38_000.0 / 48.0;
        assert!(
            (crossings as f64 - expected).abs() < 3.0,
            "{crossings} vs {expected}"
        );
    }
}
