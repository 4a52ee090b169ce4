use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{StoreLock, TokenStore};
use crate::{Error, Result, Token};

/// Keeps the token in a JSON file, mode 0600, replaced atomically (temp file, fsync, rename,
/// fsync of the folder), with an advisory lock file beside it so several processes on one
/// machine share one token instead of each fetching or refreshing its own.
///
/// The temporary file has an unpredictable name (`<file>.tmp-<128 random bits>`) and is
/// created with `O_CREAT|O_EXCL|O_NOFOLLOW`, mode 0600; the lock file (`<file>.lock`) is
/// opened with `O_NOFOLLOW`. A symlink planted at any of these names (or at the file itself,
/// which the rename replaces) cannot redirect a write: the save or the lock fails instead.
///
/// ```no_run
/// use scplay_core::FileStore;
/// let store = FileStore::new("/var/lib/kiosk/soundcloud-token.json");
/// ```
#[derive(Debug, Clone)]
pub struct FileStore {
    path: PathBuf,
    #[cfg(test)]
    fail_at: Option<SaveStep>,
}

/// The steps of a save, in order (a crash can happen between any two).
#[cfg(test)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SaveStep {
    Create,
    Write,
    Sync,
    Rename,
}

impl FileStore {
    /// A store at `path` (its folder is created on first save).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            #[cfg(test)]
            fail_at: None,
        }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn sibling(&self, suffix: &str) -> PathBuf {
        let mut name = self
            .path
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_default();
        name.push(suffix);
        self.path.with_file_name(name)
    }

    /// Creates a fresh temporary beside the file, its path left in `tmp` (a name already
    /// taken, by chance or by a planted link, is skipped for another random one).
    fn create_temp(&self, tmp: &mut PathBuf) -> std::io::Result<File> {
        let mut last = None;
        for _ in 0..8 {
            let path = self.sibling(&temp_suffix()?);
            match create_private(&path) {
                Ok(f) => {
                    *tmp = path;
                    return Ok(f);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| std::io::Error::other("no free temporary name")))
    }

    #[allow(unused_variables)]
    fn step(&self, step_name: &str) -> Result<()> {
        #[cfg(test)]
        if let Some(f) = self.fail_at
            && format!("{f:?}") == step_name
        {
            return Err(Error::io(
                format!("saving {} failed at {step_name}", self.path.display()),
                std::io::Error::other("simulated crash"),
            ));
        }
        Ok(())
    }
}

/// Creates `path`, which must not exist (not even as a symlink), writable by its owner only.
fn create_private(path: &Path) -> std::io::Result<File> {
    let mut o = OpenOptions::new();
    o.write(true).create_new(true);
    no_follow(&mut o);
    o.open(path)
}

/// Mode 0600 for a file created by `o`, and `O_NOFOLLOW`: a symlink is refused, not followed.
fn no_follow(o: &mut OpenOptions) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    #[cfg(not(unix))]
    let _ = o;
}

/// `<file>.tmp-<32 hex digits>`, from the OS's random source.
fn temp_suffix() -> std::io::Result<String> {
    let a = getrandom::u64().map_err(|e| std::io::Error::other(e.to_string()))?;
    let b = getrandom::u64().map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(format!(".tmp-{a:016x}{b:016x}"))
}

impl TokenStore for FileStore {
    fn load(&self) -> Result<Option<Token>> {
        let text = match fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(Error::io(
                    format!("reading token file {}", self.path.display()),
                    e,
                ));
            }
        };
        serde_json::from_str(&text).map(Some).map_err(|e| {
            Error::io(
                format!(
                    "token file {} is not a token (left untouched)",
                    self.path.display()
                ),
                std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()),
            )
        })
    }

    fn save(&self, token: &Token) -> Result<()> {
        let ctx = |what: &str| format!("{what} token file {}", self.path.display());
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(|e| Error::io(ctx("creating the folder of"), e))?;
        }
        let json = serde_json::to_vec_pretty(token)
            .map_err(|e| Error::io(ctx("encoding"), std::io::Error::other(e.to_string())))?;
        let mut tmp = PathBuf::new();
        let result = (|| {
            self.step("Create")?;
            let mut f = self
                .create_temp(&mut tmp)
                .map_err(|e| Error::io(ctx("creating a temporary"), e))?;
            self.step("Write")?;
            f.write_all(&json)
                .map_err(|e| Error::io(ctx("writing"), e))?;
            self.step("Sync")?;
            f.sync_all().map_err(|e| Error::io(ctx("syncing"), e))?;
            self.step("Rename")?;
            fs::rename(&tmp, &self.path).map_err(|e| Error::io(ctx("replacing"), e))
        })();
        if result.is_err() {
            if !tmp.as_os_str().is_empty() {
                let _ = fs::remove_file(&tmp);
            }
            return result;
        }
        // Make the rename itself durable.
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty())
            && let Ok(d) = File::open(dir)
        {
            let _ = d.sync_all();
        }
        Ok(())
    }

    fn clear(&self) -> Result<()> {
        match fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io(
                format!("removing token file {}", self.path.display()),
                e,
            )),
        }
    }

    fn lock(&self) -> Result<StoreLock> {
        let path = self.sibling(".lock");
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(|e| Error::io("creating the token folder", e))?;
        }
        let mut o = OpenOptions::new();
        o.create(true).truncate(false).write(true);
        no_follow(&mut o);
        let f = o
            .open(&path)
            .map_err(|e| Error::io(format!("opening lock file {}", path.display()), e))?;
        f.lock()
            .map_err(|e| Error::io(format!("locking {}", path.display()), e))?;
        // Closing the file releases the lock.
        Ok(StoreLock::holding(Box::new(f)))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::{Secret, TokenKind};

    fn token(n: u32) -> Token {
        Token {
            access_token: Secret::new(format!("access-{n}")),
            refresh_token: Some(Secret::new(format!("refresh-{n}"))),
            expires_at: 4_000_000_000,
            issued_at: 0,
            scope: String::new(),
            kind: TokenKind::User,
            client_id: "c".into(),
        }
    }

    fn temp_dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("scplay-core-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn round_trips_with_private_mode() {
        let dir = temp_dir("roundtrip");
        let store = FileStore::new(dir.join("t.json"));
        assert_eq!(store.load().ok().flatten(), None);
        store.save(&token(1)).ok();
        assert_eq!(store.load().ok().flatten(), Some(token(1)));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(store.path())
                .map(|m| m.permissions().mode() & 0o777)
                .ok();
            assert_eq!(mode, Some(0o600));
        }
        store.clear().ok();
        assert_eq!(store.load().ok().flatten(), None);
        let _ = fs::remove_dir_all(dir);
    }

    #[test]
    fn a_crash_at_any_step_keeps_the_old_token() {
        let dir = temp_dir("crash");
        for step in [
            SaveStep::Create,
            SaveStep::Write,
            SaveStep::Sync,
            SaveStep::Rename,
        ] {
            let path = dir.join(format!("{step:?}.json"));
            let good = FileStore::new(&path);
            good.save(&token(1)).ok();
            let crashing = FileStore {
                path: path.clone(),
                fail_at: Some(step),
            };
            assert!(crashing.save(&token(2)).is_err(), "{step:?}");
            let loaded = good.load().ok().flatten();
            assert_eq!(
                loaded,
                Some(token(1)),
                "after a crash at {step:?} the old token is intact"
            );
            assert!(loaded.is_some_and(|t| t.is_fresh(60)));
            let leftovers = fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
            assert!(leftovers <= 4, "no temp files left behind");
        }
        let _ = fs::remove_dir_all(dir);
    }

    #[test]
    fn a_corrupt_file_is_an_error_not_a_loss() {
        let dir = temp_dir("corrupt");
        let _ = fs::create_dir_all(&dir);
        let path = dir.join("t.json");
        let _ = fs::write(&path, b"{not json");
        let store = FileStore::new(&path);
        assert!(store.load().is_err());
        assert_eq!(
            fs::read(&path).ok(),
            Some(b"{not json".to_vec()),
            "left untouched"
        );
        let _ = fs::remove_dir_all(dir);
    }

    #[cfg(unix)]
    #[test]
    fn a_planted_symlink_cannot_redirect_the_write() {
        use std::os::unix::fs::symlink;
        let dir = temp_dir("symlinks");
        let _ = fs::create_dir_all(&dir);
        let victim = dir.join("victim.txt");
        let _ = fs::write(&victim, b"victim");
        let path = dir.join("t.json");
        let store = FileStore::new(&path);
        // The old predictable temporary name, and the file itself.
        let old_tmp = store.sibling(&format!(".tmp{}", std::process::id()));
        symlink(&victim, &old_tmp).unwrap();
        symlink(&victim, &path).unwrap();
        store.save(&token(1)).unwrap();
        assert_eq!(fs::read(&victim).ok(), Some(b"victim".to_vec()));
        assert!(
            !fs::symlink_metadata(&path)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(store.load().ok().flatten(), Some(token(1)));
        // The lock file: refused, and the link's target is not created.
        let absent = dir.join("absent.txt");
        symlink(&absent, store.sibling(".lock")).unwrap();
        assert!(store.lock().is_err(), "a symlinked lock file is refused");
        assert!(!absent.exists());
        let _ = fs::remove_dir_all(dir);
    }

    #[cfg(unix)]
    #[test]
    fn temporary_names_are_fresh_and_never_reuse_a_taken_one() {
        let dir = temp_dir("tmpnames");
        let _ = fs::create_dir_all(&dir);
        let store = FileStore::new(dir.join("t.json"));
        let mut seen = std::collections::HashSet::new();
        for _ in 0..16 {
            let mut tmp = PathBuf::new();
            let f = store.create_temp(&mut tmp).unwrap();
            drop(f);
            let name = tmp.file_name().unwrap().to_string_lossy().into_owned();
            assert!(name.starts_with("t.json.tmp-") && name.len() == "t.json.tmp-".len() + 32);
            assert!(seen.insert(name), "a fresh name each time");
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&tmp).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
            // create_new: the same name cannot be opened twice.
            assert!(create_private(&tmp).is_err());
        }
        let _ = fs::remove_dir_all(dir);
    }
}
