//! Where audio goes: the [`Sink`] choice and the [`SampleWriter`] trait behind file-like sinks.

use std::io::{self, Write};
use std::path::PathBuf;

use super::Format;

/// Something that takes interleaved f32 samples: a file, a pipe, nothing, or your own.
pub trait SampleWriter: Send {
    /// The format this writer wants for a stream in `stream` (the player converts: channel
    /// mapping, resampling). Default: the stream's own.
    fn format_for(&self, stream: Format) -> Format {
        stream
    }
    /// Called before the first samples of a stream.
    fn begin(&mut self, format: Format) -> io::Result<()>;
    /// Takes interleaved samples.
    fn write(&mut self, samples: &[f32]) -> io::Result<()>;
    /// Called when playback ends (flush, finish headers).
    fn end(&mut self) -> io::Result<()>;
}

/// The audio output of a [`crate::Player`].
pub enum Sink {
    /// The sound card through cpal: the default device, or one named (see
    /// [`crate::list_devices`]).
    #[cfg(feature = "cpal")]
    Cpal {
        /// Device name; `None` for the default output.
        device: Option<String>,
    },
    /// A 32-bit float WAV file at the stream's own rate and channels.
    Wav(PathBuf),
    /// Raw f32 little-endian samples to a writer such as stdout.
    Pipe(Box<dyn Write + Send>),
    /// Nowhere (benchmarks, headless checks).
    Null,
    /// Any [`SampleWriter`].
    Writer(Box<dyn SampleWriter>),
}

impl std::fmt::Debug for Sink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            #[cfg(feature = "cpal")]
            Sink::Cpal { device } => f.debug_struct("Cpal").field("device", device).finish(),
            Sink::Wav(p) => f.debug_tuple("Wav").field(p).finish(),
            Sink::Pipe(_) => f.write_str("Pipe"),
            Sink::Null => f.write_str("Null"),
            Sink::Writer(_) => f.write_str("Writer"),
        }
    }
}

/// Discards everything.
#[derive(Debug, Default)]
pub struct NullWriter;

impl SampleWriter for NullWriter {
    fn begin(&mut self, _: Format) -> io::Result<()> {
        Ok(())
    }
    fn write(&mut self, _: &[f32]) -> io::Result<()> {
        Ok(())
    }
    fn end(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Raw f32le to a writer, in large writes (stdout is line-buffered: raw audio is full of
/// newline bytes, and small writes would each become a system call).
pub struct PipeWriter {
    out: Box<dyn Write + Send>,
    bytes: Vec<u8>,
}

impl PipeWriter {
    /// Writes to `out`.
    pub fn new(out: Box<dyn Write + Send>) -> Self {
        Self {
            out,
            bytes: Vec::with_capacity(64 * 1024),
        }
    }
}

impl SampleWriter for PipeWriter {
    fn begin(&mut self, _: Format) -> io::Result<()> {
        Ok(())
    }
    fn write(&mut self, samples: &[f32]) -> io::Result<()> {
        if cfg!(target_endian = "little") {
            // f32 in memory is already f32le.
            return self.out.write_all(bytemuck::cast_slice(samples));
        }
        self.bytes.clear();
        self.bytes
            .extend(samples.iter().flat_map(|s| s.to_le_bytes()));
        self.out.write_all(&self.bytes)
    }
    fn end(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
