//! A 32-bit float WAV writer (`WAVE_FORMAT_IEEE_FLOAT`), sizes patched at the end.

use std::fs::File;
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::PathBuf;

use super::Format;
use super::sink::SampleWriter;

/// Writes a WAV file at the stream's own rate and channels. Several tracks of one format
/// join into one file; a change of format is an error.
#[derive(Debug)]
pub struct WavWriter {
    path: PathBuf,
    file: Option<BufWriter<File>>,
    format: Option<Format>,
    data_bytes: u64,
}

impl WavWriter {
    /// A writer creating `path` when the first stream begins.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            file: None,
            format: None,
            data_bytes: 0,
        }
    }

    fn header(format: Format, data_bytes: u32) -> Vec<u8> {
        let ch = format.channels;
        let block = u32::from(ch) * 4;
        let mut h = Vec::with_capacity(44);
        h.extend_from_slice(b"RIFF");
        h.extend_from_slice(&(36u32.saturating_add(data_bytes)).to_le_bytes());
        h.extend_from_slice(b"WAVEfmt ");
        h.extend_from_slice(&16u32.to_le_bytes());
        h.extend_from_slice(&3u16.to_le_bytes()); // IEEE float
        h.extend_from_slice(&ch.to_le_bytes());
        h.extend_from_slice(&format.rate.to_le_bytes());
        h.extend_from_slice(&(format.rate * block).to_le_bytes());
        h.extend_from_slice(&(block as u16).to_le_bytes());
        h.extend_from_slice(&32u16.to_le_bytes());
        h.extend_from_slice(b"data");
        h.extend_from_slice(&data_bytes.to_le_bytes());
        h
    }
}

impl SampleWriter for WavWriter {
    fn begin(&mut self, format: Format) -> io::Result<()> {
        match self.format {
            Some(f) if f == format => return Ok(()),
            Some(f) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "the WAV file is {} Hz × {}, the next track {} Hz × {}",
                        f.rate, f.channels, format.rate, format.channels
                    ),
                ));
            }
            None => {}
        }
        let mut w = BufWriter::new(File::create(&self.path)?);
        w.write_all(&Self::header(format, 0))?;
        self.file = Some(w);
        self.format = Some(format);
        Ok(())
    }

    fn write(&mut self, samples: &[f32]) -> io::Result<()> {
        let Some(w) = self.file.as_mut() else {
            return Err(io::Error::other("WAV writer not started"));
        };
        for s in samples {
            w.write_all(&s.to_le_bytes())?;
        }
        self.data_bytes += samples.len() as u64 * 4;
        Ok(())
    }

    fn end(&mut self) -> io::Result<()> {
        let (Some(w), Some(format)) = (self.file.as_mut(), self.format) else {
            return Ok(());
        };
        let size = u32::try_from(self.data_bytes).unwrap_or(u32::MAX);
        w.flush()?;
        let f = w.get_mut();
        f.seek(SeekFrom::Start(0))?;
        f.write_all(&Self::header(format, size))?;
        f.seek(SeekFrom::End(0))?;
        f.sync_all()
    }
}

/// Reads a float WAV written by [`WavWriter`]: (format, interleaved samples).
#[cfg_attr(not(feature = "unstable-internals"), allow(dead_code))]
pub fn read_wav(bytes: &[u8]) -> Option<(Format, Vec<f32>)> {
    if bytes.len() < 44 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return None;
    }
    let channels = u16::from_le_bytes([bytes[22], bytes[23]]);
    let rate = u32::from_le_bytes([bytes[24], bytes[25], bytes[26], bytes[27]]);
    let data = &bytes[44..];
    let samples = data
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    Some((Format { rate, channels }, samples))
}
