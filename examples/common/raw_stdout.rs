//! stdout for raw audio (`--sink pipe`): its own descriptor, written straight through. std's
//! stdout is line-buffered, and audio is full of newline bytes: each block would be searched
//! for the last one and split into two writes.

use std::os::fd::AsFd;

/// A writer on a copy of the stdout descriptor (stdout itself if it cannot be copied).
pub fn raw_stdout() -> Box<dyn std::io::Write + Send> {
    match std::io::stdout().as_fd().try_clone_to_owned() {
        Ok(fd) => Box::new(std::fs::File::from(fd)),
        Err(_) => Box::new(std::io::stdout()),
    }
}
