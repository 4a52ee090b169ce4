//! Time to first PCM: from `play` to the first samples reaching a sink (shared by the
//! `compare` example and the `pipeline` bench).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use scplay_player::{Format, Player, PlayerOptions, SampleWriter, Sink};

/// Records when the first samples arrive.
struct FirstSample(Arc<Mutex<Option<Instant>>>);

impl SampleWriter for FirstSample {
    fn begin(&mut self, _: Format) -> std::io::Result<()> {
        Ok(())
    }
    fn write(&mut self, s: &[f32]) -> std::io::Result<()> {
        if !s.is_empty()
            && let Ok(mut t) = self.0.lock()
        {
            t.get_or_insert_with(Instant::now);
        }
        Ok(())
    }
    fn end(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// From `play(url)` to the first PCM in the sink (the player is made beforehand, and
/// stopped after); `None` if nothing played within 20 s.
pub fn first_pcm(url: &str) -> Option<Duration> {
    let first = Arc::new(Mutex::new(None));
    let player = Player::new(
        None,
        Sink::Writer(Box::new(FirstSample(first.clone()))),
        PlayerOptions::default(),
    )
    .ok()?;
    let start = Instant::now();
    player.play(url).ok()?;
    while first.lock().ok()?.is_none() && start.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_micros(100));
    }
    let t = first.lock().ok()?.map(|t| t - start);
    player.stop();
    t
}
