//! What soundcloud.com pages resolved to: a page URL → the API location `/resolve` sent it
//! to, remembered for the player's life and, with [`crate::PlayerOptions::page_cache`], in a
//! file across restarts. A page seen before skips `/resolve`: its track and `/streams` are
//! asked for at once, one round trip sooner. The answer is checked: the resource must still
//! carry the permalink it had when it was remembered, or the page is resolved again.
//!
//! The file is one line per page (`url`, `location`, `permalink`, tab-separated, newest
//! last; the oldest remembered goes first), mode 0600 on Unix (a private link's token is in
//! its URL), replaced atomically. What cannot be read or parsed is ignored line by line (and
//! replaced at the next save): it only costs the round trip it would have saved.

use std::collections::VecDeque;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Pages remembered at most (the oldest go first).
const MAX_PAGES: usize = 256;
/// Longest URL, location or permalink kept, in bytes.
const MAX_FIELD: usize = 2048;
/// The file is not read past this many bytes (the largest file this writes).
const MAX_FILE: u64 = (HEADER.len() as u64 + 1) + (3 * MAX_FIELD as u64 + 3) * MAX_PAGES as u64;
const HEADER: &str = "scplay-pages 1";

/// One remembered page.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Page {
    pub url: String,
    /// The API URL `/resolve` answered with, relative to the API origin (`/tracks/…?…`).
    pub location: String,
    /// The resource's `permalink_url` then.
    pub permalink: String,
}

/// The remembered pages. Its `Debug` shows only how many (URLs may hold private tokens).
pub(crate) struct Pages {
    file: Option<PathBuf>,
    pages: Mutex<VecDeque<Page>>,
}

impl std::fmt::Debug for Pages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.pages.lock().map_or(0, |p| p.len());
        f.debug_struct("Pages").field("pages", &n).finish()
    }
}

fn valid(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_FIELD && !s.contains(['\t', '\n', '\r'])
}

impl Pages {
    /// The pages in `file` (none when it is `None`, missing or unreadable).
    pub fn open(file: Option<PathBuf>) -> Self {
        let pages = file.as_deref().map(read).unwrap_or_default();
        Self {
            file,
            pages: Mutex::new(pages),
        }
    }

    /// Where `url` led last time.
    pub fn get(&self, url: &str) -> Option<Page> {
        let pages = self.pages.lock().ok()?;
        pages.iter().rev().find(|p| p.url == url).cloned()
    }

    /// Remembers `page` (and saves the file); the oldest page goes beyond [`MAX_PAGES`].
    pub fn put(&self, page: Page) {
        if !valid(&page.url) || !valid(&page.location) || !valid(&page.permalink) {
            return;
        }
        let Ok(mut pages) = self.pages.lock() else {
            return;
        };
        if pages.back() == Some(&page) {
            return;
        }
        pages.retain(|p| p.url != page.url);
        pages.push_back(page);
        while pages.len() > MAX_PAGES {
            pages.pop_front();
        }
        if let Some(file) = &self.file
            && let Err(e) = write(file, &pages)
        {
            tracing::warn!(file = %file.display(), error = %e, "could not save the page cache");
        }
    }

    /// Forgets `url` (it no longer leads where it did).
    pub fn forget(&self, url: &str) {
        let Ok(mut pages) = self.pages.lock() else {
            return;
        };
        let before = pages.len();
        pages.retain(|p| p.url != url);
        if pages.len() != before
            && let Some(file) = &self.file
            && let Err(e) = write(file, &pages)
        {
            tracing::warn!(file = %file.display(), error = %e, "could not save the page cache");
        }
    }
}

fn read(file: &Path) -> VecDeque<Page> {
    use std::io::Read;
    let mut bytes = Vec::new();
    let read = std::fs::metadata(file).and_then(|m| {
        if !m.is_file() {
            // A FIFO would block; a directory cannot be read.
            return Err(std::io::Error::other("not a regular file"));
        }
        std::fs::File::open(file)?
            .take(MAX_FILE)
            .read_to_end(&mut bytes)
            .map(|_| ())
    });
    match read {
        // A stray byte spoils its line only.
        Ok(()) => parse(&String::from_utf8_lossy(&bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => VecDeque::new(),
        Err(e) => {
            tracing::warn!(file = %file.display(), error = %e, "ignoring the page cache");
            VecDeque::new()
        }
    }
}

/// The pages of a file's text; anything else in it (another version, a torn line, a field
/// too long) is left out.
fn parse(text: &str) -> VecDeque<Page> {
    let mut lines = text.lines();
    if lines.next() != Some(HEADER) {
        return VecDeque::new();
    }
    let mut pages: VecDeque<Page> = lines
        .filter_map(|line| {
            let mut f = line.split('\t');
            let page = Page {
                url: f.next()?.to_string(),
                location: f.next()?.to_string(),
                permalink: f.next()?.to_string(),
            };
            let ok = f.next().is_none()
                && valid(&page.url)
                && page.location.starts_with('/')
                && valid(&page.location)
                && valid(&page.permalink);
            ok.then_some(page)
        })
        .collect();
    while pages.len() > MAX_PAGES {
        pages.pop_front();
    }
    pages
}

/// Temporary files made so far by this process (each name is new).
static TEMPS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Replaces `file` with `pages`: a new private temporary file beside it, then a rename.
fn write(file: &Path, pages: &VecDeque<Page>) -> std::io::Result<()> {
    let mut text = String::from(HEADER);
    text.push('\n');
    for p in pages {
        text.push_str(&format!("{}\t{}\t{}\n", p.url, p.location, p.permalink));
    }
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let n = TEMPS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut tmp = file.as_os_str().to_owned();
    tmp.push(format!(".{}-{n}.tmp", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let mut o = std::fs::OpenOptions::new();
    // A new file (never one left behind, nor a link planted there), private from the start.
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let written = o.open(&tmp).and_then(|mut f| f.write_all(text.as_bytes()));
    match written.and_then(|()| std::fs::rename(&tmp, file)) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn page(n: usize) -> Page {
        Page {
            url: format!("https://soundcloud.com/a/t{n}"),
            location: format!("/tracks/{n}"),
            permalink: format!("https://soundcloud.com/a/t{n}"),
        }
    }

    fn temp(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("scplay-pages-{}-{name}", std::process::id()))
    }

    #[test]
    fn pages_survive_a_restart_newest_last_and_bounded() {
        let file = temp("restart");
        let _ = std::fs::remove_file(&file);
        let pages = Pages::open(Some(file.clone()));
        for n in 0..MAX_PAGES + 3 {
            pages.put(page(n));
        }
        pages.put(page(5));
        pages.forget(&page(7).url);
        let again = Pages::open(Some(file.clone()));
        assert!(again.get(&page(5).url) == Some(page(5)));
        assert!(again.get(&page(7).url).is_none(), "forgotten");
        assert!(again.get(&page(1).url).is_none(), "the oldest went");
        assert_eq!(again.pages.lock().unwrap().len(), MAX_PAGES - 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_file(&file).unwrap();
    }

    #[test]
    fn a_damaged_or_foreign_file_is_ignored_line_by_line() {
        let good = "https://soundcloud.com/a/t\t/tracks/1\thttps://soundcloud.com/a/t";
        let long = "x".repeat(MAX_FIELD + 1);
        let text = format!(
            "{HEADER}\n{good}\nonly\ttwo\n{long}\t/tracks/2\tp\nu\thttps://evil.example/x\tp\n\
             u\t/tracks/3\tp\textra\n\u{0}\u{fffd}"
        );
        let pages = parse(&text);
        assert_eq!(pages.len(), 1, "only the good line");
        assert!(parse(&format!("scplay-pages 2\n{good}\n")).is_empty());
        assert!(parse("").is_empty());
        // A file that is not text at all.
        let file = temp("binary");
        std::fs::write(&file, [0xff, 0xfe, 0x00, 0x80]).unwrap();
        assert!(Pages::open(Some(file.clone())).get("u").is_none());
        // A stray byte spoils its own line only.
        let mut bytes = format!("{HEADER}\nbad").into_bytes();
        bytes.push(0xff);
        bytes.extend(format!("\t/tracks/2\tp\n{good}\n").bytes());
        std::fs::write(&file, &bytes).unwrap();
        let pages = Pages::open(Some(file.clone()));
        assert!(pages.get("https://soundcloud.com/a/t").is_some());
        std::fs::remove_file(&file).unwrap();
        // A directory (or a FIFO) is not read.
        assert!(Pages::open(Some(std::env::temp_dir())).get("u").is_none());
    }

    #[test]
    fn a_field_that_would_break_the_file_is_not_kept() {
        let pages = Pages::open(None);
        let mut p = page(1);
        p.url.push('\n');
        pages.put(p.clone());
        assert!(pages.get(&p.url).is_none());
        assert_eq!(format!("{pages:?}"), "Pages { pages: 0 }");
    }
}
