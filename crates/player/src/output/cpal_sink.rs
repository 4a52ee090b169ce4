//! The sound card through cpal. The callback only runs the render routine
//! ([`super::render::Renderer`]) over the device's buffer and fills any shortfall with
//! silence: no locks, no allocation, no logging. Stream errors are classified: an xrun (ALSA
//! recovers from it on its own) is counted, only a device that is gone or a stream that is no
//! longer valid makes the engine reopen the output.

use std::sync::atomic::Ordering;

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};

use super::backend::{Backend, OutputSpec, Reclaimed, Running};
use super::render::Renderer;
use super::{Format, OutputStatus, PcmConsumer};
use crate::PlayerError;

/// The sound card: a cpal device by id, or the default output.
pub(crate) struct CpalBackend {
    device: Option<String>,
}

impl CpalBackend {
    pub fn new(device: Option<String>) -> Self {
        Self { device }
    }
}

impl Backend for CpalBackend {
    fn negotiate(&self, stream: Format) -> Result<Format, PlayerError> {
        negotiate(self.device.as_deref(), stream)
    }

    fn start(
        &mut self,
        spec: OutputSpec,
        cons: PcmConsumer,
    ) -> Result<Box<dyn Running>, (PlayerError, PcmConsumer)> {
        let renderer = Renderer::new(cons, spec.status, spec.format, spec.ramp);
        CpalOutput::start(self.device.as_deref(), spec.format, renderer)
            .map(|o| Box::new(o) as Box<dyn Running>)
    }

    fn fallback(&self) -> Option<Box<dyn Backend>> {
        self.device
            .as_ref()
            .map(|_| Box::new(CpalBackend::new(None)) as Box<dyn Backend>)
    }
}

impl Running for CpalOutput {
    fn stop(self: Box<Self>) -> Reclaimed {
        Reclaimed {
            cons: (*self).stop(),
            leftover: Vec::new(),
        }
    }
}

/// What a stream error means: an xrun (or a refused real-time priority, a followed route
/// change) is a glitch the backend already recovered from; anything else is a lost output.
fn on_stream_error(status: &OutputStatus, kind: cpal::ErrorKind) {
    match kind {
        cpal::ErrorKind::Xrun
        | cpal::ErrorKind::RealtimeDenied
        | cpal::ErrorKind::DeviceChanged => {
            status.xruns.fetch_add(1, Ordering::AcqRel);
        }
        _ => {
            status.failed.store(true, Ordering::Release);
            // The engine reopens it now, not at its next timer (this is the error callback,
            // not the audio callback: it may take the wake-up's lock).
            status.wake.wake_decoder();
        }
    }
}

/// A playing cpal stream (dropping it stops the device).
pub(crate) struct CpalOutput {
    stream: cpal::Stream,
    /// Where the PCM ring's read end comes back when the stream is dropped.
    reclaim: std::sync::mpsc::Receiver<PcmConsumer>,
}

/// Owns the renderer inside the callback and sends the ring's read end back when the stream
/// (and so the callback) is dropped, off the audio thread, so a lost device loses no queued
/// audio.
struct Reclaim {
    renderer: Option<Renderer>,
    back: std::sync::mpsc::Sender<PcmConsumer>,
}

impl Drop for Reclaim {
    fn drop(&mut self) {
        if let Some(r) = self.renderer.take() {
            let _ = self.back.send(r.into_consumer());
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
            .ok_or_else(|| PlayerError::output("no default audio output device")),
        Some(n) => {
            let id: cpal::DeviceId = n.parse().map_err(|e| {
                PlayerError::output_from(
                    format!("bad device id {n:?} (expected host:device, e.g. alsa:default)"),
                    e,
                )
            })?;
            host.device_by_id(&id)
                .ok_or_else(|| PlayerError::output(format!("no audio device {n}")))
        }
    }
}

/// The format the device plays a stream in: the stream's own when the device takes it,
/// otherwise the nearest rate and channel count it offers (the player converts).
pub(crate) fn negotiate(device: Option<&str>, stream: Format) -> Result<Format, PlayerError> {
    let dev = open_device(device)?;
    let configs: Vec<_> = dev
        .supported_output_configs()
        .map_err(|e| PlayerError::output_from("cannot query the audio device", e))?
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
        .ok_or_else(|| PlayerError::output("the audio device offers no 32-bit float output"))?;
    Ok(Format {
        rate: stream
            .rate
            .clamp(pick.min_sample_rate(), pick.max_sample_rate()),
        channels: pick.channels(),
    })
}

impl CpalOutput {
    fn start(
        device: Option<&str>,
        format: Format,
        renderer: Renderer,
    ) -> Result<Self, (PlayerError, PcmConsumer)> {
        let dev = match open_device(device) {
            Ok(d) => d,
            Err(e) => return Err((e, renderer.into_consumer())),
        };
        let status = renderer.status().clone();
        let (back, reclaim) = std::sync::mpsc::channel();
        let mut owner = Reclaim {
            renderer: Some(renderer),
            back,
        };
        let config = cpal::StreamConfig {
            channels: format.channels,
            sample_rate: format.rate,
            buffer_size: cpal::BufferSize::Default,
        };
        let data = move |out: &mut [f32], _: &cpal::OutputCallbackInfo| {
            let Some(r) = owner.renderer.as_mut() else {
                out.fill(0.0);
                return;
            };
            let n = r.render(out);
            if n < out.len() {
                r.shortfall(&mut out[n..]);
            }
        };
        let on_error = move |e: cpal::Error| on_stream_error(&status, e.kind());
        let built = dev.build_output_stream::<f32, _, _>(config, data, on_error, None);
        let stream = match built {
            Ok(s) => s,
            Err(e) => {
                let e = PlayerError::output_from(
                    format!(
                        "cannot open the audio device at {} Hz × {}",
                        format.rate, format.channels
                    ),
                    e,
                );
                // The callback was dropped with the failed build: its ring end came back.
                return match reclaim.try_recv() {
                    Ok(c) => Err((e, c)),
                    Err(_) => Err((e, crate::output::pcm_ring(format, 0.0).1)),
                };
            }
        };
        if let Err(e) = stream.play() {
            let e = PlayerError::output_from("cannot start the audio device", e);
            let out = Self { stream, reclaim };
            return match out.stop() {
                Some(c) => Err((e, c)),
                None => Err((e, crate::output::pcm_ring(format, 0.0).1)),
            };
        }
        Ok(Self { stream, reclaim })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xruns_are_counted_and_only_a_lost_device_fails_the_output() {
        let status = OutputStatus::new(1.0);
        on_stream_error(&status, cpal::ErrorKind::Xrun);
        on_stream_error(&status, cpal::ErrorKind::Xrun);
        assert_eq!(status.xruns.load(Ordering::Acquire), 2);
        assert!(!status.failed.load(Ordering::Acquire));
        for kind in [
            cpal::ErrorKind::DeviceNotAvailable,
            cpal::ErrorKind::StreamInvalidated,
        ] {
            let status = OutputStatus::new(1.0);
            on_stream_error(&status, kind);
            assert!(status.failed.load(Ordering::Acquire), "{kind:?}");
        }
    }
}
