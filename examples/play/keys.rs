//! Keys on a terminal: space pauses and resumes, ←/→ seek 10 s, n/p next and previous track,
//! q (or Ctrl-C, which raw mode turns into a key) stops. The terminal is put back as it was
//! when [`Keys`] is dropped.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use scplay::player::Player;

use crate::stop::{Stop, StopReason};

/// The key reader: a thread polling the terminal, the terminal in raw mode meanwhile.
pub struct Keys {
    done: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Keys {
    /// Starts reading keys when stdin is a terminal (whatever stdout is: `--json` on a
    /// terminal keeps its keys); `None` otherwise.
    pub fn start(player: Arc<Player>, stop: Stop) -> Option<Self> {
        use crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
        if !std::io::stdin().is_terminal() || crossterm::terminal::enable_raw_mode().is_err() {
            return None;
        }
        let done = Arc::new(AtomicBool::new(false));
        let d = done.clone();
        let thread = std::thread::spawn(move || {
            let mut paused = false;
            while !d.load(Ordering::Acquire) {
                if !event::poll(Duration::from_millis(100)).unwrap_or(false) {
                    continue;
                }
                let Ok(Event::Key(k)) = event::read() else {
                    continue;
                };
                if k.kind != KeyEventKind::Press {
                    continue;
                }
                match k.code {
                    KeyCode::Char(' ') => {
                        paused = !paused;
                        if paused {
                            player.pause()
                        } else {
                            player.resume()
                        }
                    }
                    KeyCode::Left => {
                        player.seek(player.position().saturating_sub(Duration::from_secs(10)))
                    }
                    KeyCode::Right => player.seek(player.position() + Duration::from_secs(10)),
                    KeyCode::Char('n') => player.next(),
                    KeyCode::Char('p') => player.previous(),
                    // Quitting ends this thread too, so nothing waits for its next poll.
                    KeyCode::Char('q') => {
                        stop.request(StopReason::Interrupted);
                        break;
                    }
                    KeyCode::Char('c') if k.modifiers.contains(KeyModifiers::CONTROL) => {
                        stop.request(StopReason::Interrupted);
                        break;
                    }
                    _ => {}
                }
            }
        });
        Some(Self {
            done,
            thread: Some(thread),
        })
    }
}

impl Drop for Keys {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let _ = crossterm::terminal::disable_raw_mode();
    }
}
