//! Starts the output for one stream: a thread that drains the PCM ring into a
//! [`SampleWriter`] (as fast as possible, or paced in real time), or a cpal stream.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ringbuf::traits::{Consumer, Observer};

use super::sink::SampleWriter;
use super::{Format, Gain, OutputStatus, PcmConsumer};
use crate::PlayerError;

/// Where a player's audio goes between streams.
pub(crate) enum SinkSlot {
    /// A writer, lent to the output thread while a stream plays.
    Writer(Option<Box<dyn SampleWriter>>),
    /// A cpal device (by id, or the default).
    #[cfg(feature = "cpal")]
    Cpal(Option<String>),
}

impl SinkSlot {
    /// The format the sink takes a stream of `stream` in.
    pub fn negotiate(&self, stream: Format) -> Result<Format, PlayerError> {
        match self {
            SinkSlot::Writer(Some(w)) => Ok(w.format_for(stream)),
            SinkSlot::Writer(None) => Err(PlayerError::Output("the sink is busy".into())),
            #[cfg(feature = "cpal")]
            SinkSlot::Cpal(device) => super::cpal_sink::negotiate(device.as_deref(), stream),
        }
    }
}

/// A running output.
pub(crate) enum Running {
    Thread {
        handle: JoinHandle<Box<dyn SampleWriter>>,
        stop: Arc<AtomicBool>,
    },
    #[cfg(feature = "cpal")]
    Cpal(super::cpal_sink::CpalOutput),
}

impl Running {
    /// Stops now (queued audio is dropped) and gives the writer back.
    pub fn stop(self, slot: &mut SinkSlot) {
        match self {
            Running::Thread { handle, stop } => {
                stop.store(true, Ordering::Release);
                if let (Ok(w), SinkSlot::Writer(s)) = (handle.join(), slot) {
                    *s = Some(w);
                }
            }
            #[cfg(feature = "cpal")]
            Running::Cpal(c) => drop(c),
        }
    }
}

/// Starts output of a stream in `format` reading `cons`.
pub(crate) fn start(
    slot: &mut SinkSlot,
    format: Format,
    cons: PcmConsumer,
    status: Arc<OutputStatus>,
    ramp: Duration,
    realtime: bool,
) -> Result<Running, PlayerError> {
    let ramp_frames = (ramp.as_secs_f64() * f64::from(format.rate)) as u32;
    match slot {
        SinkSlot::Writer(w) => {
            let mut writer = w
                .take()
                .ok_or_else(|| PlayerError::Output("the sink is busy".into()))?;
            if let Err(e) = writer.begin(format) {
                *w = Some(writer);
                return Err(PlayerError::Output(e.to_string()));
            }
            let stop = Arc::new(AtomicBool::new(false));
            let stop2 = stop.clone();
            let handle = std::thread::Builder::new()
                .name("scplay-output".into())
                .spawn(move || {
                    let gain = Gain::new(ramp_frames, initial_gain(&status));
                    let d = Drain {
                        format,
                        cons,
                        status,
                        stop: stop2,
                        gain,
                        realtime,
                        ramp_frames: ramp_frames as usize,
                    };
                    drain(writer, d)
                })
                .map_err(|e| PlayerError::Output(format!("cannot start the output thread: {e}")))?;
            Ok(Running::Thread { handle, stop })
        }
        #[cfg(feature = "cpal")]
        SinkSlot::Cpal(device) => {
            let gain = Gain::new(ramp_frames, initial_gain(&status));
            super::cpal_sink::CpalOutput::start(device.as_deref(), format, cons, status, gain)
                .map(Running::Cpal)
        }
    }
}

/// A stream that starts paused starts silent, so nothing is consumed before `resume`.
fn initial_gain(status: &OutputStatus) -> f32 {
    if status.paused.load(Ordering::Acquire) {
        0.0
    } else {
        status.volume()
    }
}

/// The output thread's state.
struct Drain {
    format: Format,
    cons: PcmConsumer,
    status: Arc<OutputStatus>,
    stop: Arc<AtomicBool>,
    gain: Gain,
    realtime: bool,
    ramp_frames: usize,
}

fn drain(mut writer: Box<dyn SampleWriter>, d: Drain) -> Box<dyn SampleWriter> {
    let Drain {
        format,
        mut cons,
        status,
        stop,
        mut gain,
        realtime,
        ramp_frames,
    } = d;
    let channels = usize::from(format.channels.max(1));
    let mut buf = vec![0f32; 4096 * channels];
    let mut started = Instant::now();
    let mut frames: u64 = 0;
    let mut in_underrun = false;
    while !stop.load(Ordering::Acquire) {
        if status.flush.swap(false, Ordering::AcqRel) {
            let n = cons.occupied_len();
            cons.skip(n);
            gain.silence();
        }
        let target = if status.paused.load(Ordering::Acquire) {
            0.0
        } else {
            status.volume()
        };
        if target == 0.0 && gain.is_silent(0.0) && status.paused.load(Ordering::Acquire) {
            let t = Instant::now();
            std::thread::sleep(Duration::from_millis(5));
            // Real-time pacing resumes where it paused.
            started += t.elapsed();
            continue;
        }
        // While pausing, take only the ramp's worth, so the position stops where the ear does.
        let want = if status.paused.load(Ordering::Acquire) {
            (ramp_frames.max(1) * channels).min(buf.len())
        } else {
            buf.len()
        };
        let n = cons.pop_slice(&mut buf[..want]);
        let n = n - n % channels;
        if n == 0 {
            if status.input_done.load(Ordering::Acquire) && cons.is_empty() {
                status.drained.store(true, Ordering::Release);
            } else if !cons.write_is_held() {
                break;
            } else if realtime && !status.paused.load(Ordering::Acquire) {
                // Paced like a sound card: audio that is late leaves silence in its place.
                let due = Duration::from_secs_f64(frames as f64 / f64::from(format.rate));
                let late = started.elapsed().saturating_sub(due);
                if late > Duration::from_millis(10) {
                    let f = ((late.as_secs_f64() * f64::from(format.rate)) as usize)
                        .min(buf.len() / channels);
                    if !in_underrun {
                        in_underrun = true;
                        status.underruns.fetch_add(1, Ordering::AcqRel);
                    }
                    buf[..f * channels].fill(0.0);
                    if writer.write(&buf[..f * channels]).is_err() {
                        status.failed.store(true, Ordering::Release);
                        break;
                    }
                    frames += f as u64;
                    status.silence_frames.fetch_add(f as u64, Ordering::AcqRel);
                    continue;
                }
            }
            std::thread::sleep(Duration::from_millis(1));
            continue;
        }
        in_underrun = false;
        gain.apply(&mut buf[..n], channels, target);
        if writer.write(&buf[..n]).is_err() {
            status.failed.store(true, Ordering::Release);
            break;
        }
        let f = (n / channels) as u64;
        frames += f;
        status.frames_played.fetch_add(f, Ordering::AcqRel);
        if realtime {
            let due = Duration::from_secs_f64(frames as f64 / f64::from(format.rate));
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                std::thread::sleep(wait);
            }
        }
    }
    if writer.end().is_err() {
        status.failed.store(true, Ordering::Release);
    }
    writer
}
