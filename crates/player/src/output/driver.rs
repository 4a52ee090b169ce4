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

impl SinkSlot {
    /// The default device, for a named device that cannot be opened again.
    pub fn fallback(&self) -> Option<SinkSlot> {
        match self {
            #[cfg(feature = "cpal")]
            SinkSlot::Cpal(Some(_)) => Some(SinkSlot::Cpal(None)),
            _ => None,
        }
    }
}

/// What an output hands back when it stops: the ring's read end (queued audio included) and
/// samples it had taken but not written.
pub(crate) struct Reclaimed {
    pub cons: Option<PcmConsumer>,
    pub leftover: Vec<f32>,
}

type DrainResult = (Box<dyn SampleWriter>, PcmConsumer, Vec<f32>);

/// A running output.
pub(crate) enum Running {
    Thread {
        handle: JoinHandle<DrainResult>,
        stop: Arc<AtomicBool>,
    },
    #[cfg(feature = "cpal")]
    Cpal(super::cpal_sink::CpalOutput),
}

impl Running {
    /// Stops now, gives the writer back to `slot`, and returns what was queued.
    pub fn stop(self, slot: &mut SinkSlot) -> Reclaimed {
        match self {
            Running::Thread { handle, stop } => {
                stop.store(true, Ordering::Release);
                handle.thread().unpark();
                match handle.join() {
                    Ok((w, cons, leftover)) => {
                        // Refutable only with the `cpal` feature.
                        #[allow(irrefutable_let_patterns)]
                        if let SinkSlot::Writer(s) = slot {
                            *s = Some(w);
                        }
                        Reclaimed {
                            cons: Some(cons),
                            leftover,
                        }
                    }
                    Err(_) => Reclaimed {
                        cons: None,
                        leftover: Vec::new(),
                    },
                }
            }
            #[cfg(feature = "cpal")]
            Running::Cpal(c) => Reclaimed {
                cons: c.stop(),
                leftover: Vec::new(),
            },
        }
    }
}

/// How to start an output.
pub(crate) struct OutputSpec {
    pub format: Format,
    pub status: Arc<OutputStatus>,
    pub ramp: Duration,
    pub realtime: bool,
    /// Samples to write before the ring's (what a failed output had taken).
    pub leftover: Vec<f32>,
}

/// Starts output of a stream reading `cons`; on failure the ring's read end comes back.
pub(crate) fn start(
    slot: &mut SinkSlot,
    spec: OutputSpec,
    cons: PcmConsumer,
) -> Result<Running, (PlayerError, PcmConsumer)> {
    let OutputSpec {
        format,
        status,
        ramp,
        realtime,
        leftover,
    } = spec;
    let ramp_frames = (ramp.as_secs_f64() * f64::from(format.rate)) as u32;
    match slot {
        SinkSlot::Writer(w) => {
            let Some(mut writer) = w.take() else {
                return Err((PlayerError::Output("the sink is busy".into()), cons));
            };
            if let Err(e) = writer.begin(format) {
                *w = Some(writer);
                return Err((PlayerError::Output(e.to_string()), cons));
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
                    drain(writer, d, leftover)
                });
            match handle {
                Ok(handle) => Ok(Running::Thread { handle, stop }),
                // The closure (writer and ring end) is gone with the failed spawn.
                Err(e) => Err((
                    PlayerError::Output(format!("cannot start the output thread: {e}")),
                    super::pcm_ring(format, 0.0).1,
                )),
            }
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

fn drain(mut writer: Box<dyn SampleWriter>, d: Drain, mut leftover: Vec<f32>) -> DrainResult {
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
    if !leftover.is_empty() {
        if writer.write(&leftover).is_err() {
            status.failed.store(true, Ordering::Release);
            return (writer, cons, leftover);
        }
        status
            .frames_played
            .fetch_add((leftover.len() / channels) as u64, Ordering::AcqRel);
        leftover.clear();
    }
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
            // Paused: sleep until resumed, flushed or stopped (each wakes this thread).
            status.wake.writer_wait(Duration::from_millis(500), || {
                stop.load(Ordering::Acquire)
                    || !status.paused.load(Ordering::Acquire)
                    || status.flush.load(Ordering::Acquire)
            });
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
                if !status.drained.swap(true, Ordering::AcqRel) {
                    status.wake.wake_decoder();
                }
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
                        return (writer, cons, leftover);
                    }
                    frames += f as u64;
                    status.silence_frames.fetch_add(f as u64, Ordering::AcqRel);
                    continue;
                }
            }
            // Until the engine has queued a good amount (it wakes this thread), or, in real
            // time, until the audio would be late.
            let half = cons.capacity().get() / 2;
            let max = if realtime {
                let due = Duration::from_secs_f64(frames as f64 / f64::from(format.rate));
                due.saturating_sub(started.elapsed()) + Duration::from_millis(11)
            } else if status.drained.load(Ordering::Acquire) {
                Duration::from_millis(100)
            } else {
                Duration::from_millis(20)
            };
            status.wake.writer_wait(max, || {
                cons.occupied_len() >= half
                    || stop.load(Ordering::Acquire)
                    || status.flush.load(Ordering::Acquire)
                    || (status.input_done.load(Ordering::Acquire)
                        && !status.drained.load(Ordering::Acquire))
            });
            continue;
        }
        status.wake.wake_decoder();
        in_underrun = false;
        gain.apply(&mut buf[..n], channels, target);
        if writer.write(&buf[..n]).is_err() {
            // Kept, so a reopened output plays it first: a lost device loses nothing.
            leftover.extend_from_slice(&buf[..n]);
            status.failed.store(true, Ordering::Release);
            return (writer, cons, leftover);
        }
        let f = (n / channels) as u64;
        frames += f;
        status.frames_played.fetch_add(f, Ordering::AcqRel);
        if realtime {
            // Paced like a sound card: sleep until this block is due (a stop wakes us).
            let due = Duration::from_secs_f64(frames as f64 / f64::from(format.rate));
            while let Some(wait) = due.checked_sub(started.elapsed()) {
                if stop.load(Ordering::Acquire) || wait < Duration::from_micros(200) {
                    break;
                }
                std::thread::park_timeout(wait);
            }
        }
    }
    if writer.end().is_err() {
        status.failed.store(true, Ordering::Release);
    }
    (writer, cons, leftover)
}
