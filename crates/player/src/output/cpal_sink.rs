//! The sound card through cpal. The callback only pops from the preallocated PCM ring, fills
//! any shortfall with silence, applies the gain ramp and reports through atomics: no locks, no
//! allocation, no logging.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use ringbuf::traits::{Consumer, Observer};

use super::{Format, Gain, OutputStatus, PcmConsumer};
use crate::PlayerError;

/// A playing cpal stream (dropping it stops the device).
pub(crate) struct CpalOutput {
    stream: cpal::Stream,
    /// Where the PCM ring's read end comes back when the stream is dropped.
    reclaim: std::sync::mpsc::Receiver<PcmConsumer>,
}

/// Owns the ring's read end inside the callback and sends it back when the stream (and so
/// the callback) is dropped, off the audio thread, so a lost device loses no queued audio.
struct Reclaim {
    cons: Option<PcmConsumer>,
    back: std::sync::mpsc::Sender<PcmConsumer>,
}

impl Drop for Reclaim {
    fn drop(&mut self) {
        if let Some(c) = self.cons.take() {
            let _ = self.back.send(c);
        }
    }
}

impl CpalOutput {
    /// Stops the stream and returns the ring's read end.
    pub fn stop(self) -> Option<PcmConsumer> {
        drop(self.stream);
        self.reclaim.try_recv().ok()
    }
}

/// The output devices cpal can see, as `host:device` ids usable with [`crate::Sink::Cpal`].
pub fn list_devices() -> Vec<String> {
    let host = cpal::default_host();
    let Ok(devices) = host.output_devices() else {
        return Vec::new();
    };
    devices
        .filter_map(|d| d.id().ok().map(|id| id.to_string()))
        .collect()
}

fn open_device(name: Option<&str>) -> Result<cpal::Device, PlayerError> {
    let host = cpal::default_host();
    match name {
        None => host
            .default_output_device()
            .ok_or_else(|| PlayerError::Output("no default audio output device".into())),
        Some(n) => {
            let id: cpal::DeviceId = n.parse().map_err(|e| {
                PlayerError::Output(format!(
                    "bad device id {n:?} (expected host:device, e.g. alsa:default): {e}"
                ))
            })?;
            host.device_by_id(&id)
                .ok_or_else(|| PlayerError::Output(format!("no audio device {n}")))
        }
    }
}

/// The format the device plays a stream in: the stream's own when the device takes it,
/// otherwise the nearest rate and channel count it offers (the player converts).
pub(crate) fn negotiate(device: Option<&str>, stream: Format) -> Result<Format, PlayerError> {
    let dev = open_device(device)?;
    let configs: Vec<_> = dev
        .supported_output_configs()
        .map_err(|e| PlayerError::Output(format!("cannot query the audio device: {e}")))?
        .filter(|c| c.sample_format() == cpal::SampleFormat::F32)
        .collect();
    let fits = |c: &cpal::SupportedStreamConfigRange| {
        c.min_sample_rate() <= stream.rate && stream.rate <= c.max_sample_rate()
    };
    if configs
        .iter()
        .any(|c| c.channels() == stream.channels && fits(c))
    {
        return Ok(stream);
    }
    let pick = configs
        .iter()
        .find(|c| c.channels() == stream.channels)
        .or_else(|| configs.iter().find(|c| c.channels() >= 2))
        .or_else(|| configs.first())
        .ok_or_else(|| {
            PlayerError::Output("the audio device offers no 32-bit float output".into())
        })?;
    Ok(Format {
        rate: stream
            .rate
            .clamp(pick.min_sample_rate(), pick.max_sample_rate()),
        channels: pick.channels(),
    })
}

impl CpalOutput {
    pub fn start(
        device: Option<&str>,
        format: Format,
        cons: PcmConsumer,
        status: Arc<OutputStatus>,
        mut gain: Gain,
    ) -> Result<Self, (PlayerError, PcmConsumer)> {
        let dev = match open_device(device) {
            Ok(d) => d,
            Err(e) => return Err((e, cons)),
        };
        let (back, reclaim) = std::sync::mpsc::channel();
        let mut owner = Reclaim {
            cons: Some(cons),
            back,
        };
        let config = cpal::StreamConfig {
            channels: format.channels,
            sample_rate: format.rate,
            buffer_size: cpal::BufferSize::Default,
        };
        let channels = usize::from(format.channels.max(1));
        let st = status.clone();
        let data = move |out: &mut [f32], _: &cpal::OutputCallbackInfo| {
            let Some(cons) = owner.cons.as_mut() else {
                out.fill(0.0);
                return;
            };
            if st.flush.swap(false, Ordering::AcqRel) {
                let n = cons.occupied_len();
                cons.skip(n);
                gain.silence();
            }
            let paused = st.paused.load(Ordering::Acquire);
            let target = if paused { 0.0 } else { st.volume() };
            if paused && gain.is_silent(0.0) {
                out.fill(0.0);
                return;
            }
            let n = cons.pop_slice(out);
            let n = n - n % channels;
            out[n..].fill(0.0);
            if n < out.len() {
                if st.input_done.load(Ordering::Acquire) {
                    st.drained.store(true, Ordering::Release);
                } else {
                    st.underruns.fetch_add(1, Ordering::Relaxed);
                }
            }
            gain.apply(&mut out[..n], channels, target);
            st.frames_played
                .fetch_add((n / channels) as u64, Ordering::AcqRel);
        };
        let st = status.clone();
        let on_error = move |_: cpal::Error| st.failed.store(true, Ordering::Release);
        let built = dev.build_output_stream::<f32, _, _>(config, data, on_error, None);
        let stream = match built {
            Ok(s) => s,
            Err(e) => {
                let e = PlayerError::Output(format!(
                    "cannot open the audio device at {} Hz × {}: {e}",
                    format.rate, format.channels
                ));
                // The callback was dropped with the failed build: its ring end came back.
                return match reclaim.try_recv() {
                    Ok(c) => Err((e, c)),
                    Err(_) => Err((e, crate::output::pcm_ring(format, 0.0).1)),
                };
            }
        };
        if let Err(e) = stream.play() {
            let e = PlayerError::Output(format!("cannot start the audio device: {e}"));
            let out = Self { stream, reclaim };
            return match out.stop() {
                Some(c) => Err((e, c)),
                None => Err((e, crate::output::pcm_ring(format, 0.0).1)),
            };
        }
        Ok(Self { stream, reclaim })
    }
}
