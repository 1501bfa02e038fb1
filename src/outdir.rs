//! The output folder, treated as untrusted input: it arrives with cloned
//! repositories and pull requests, and other processes (another parasol,
//! an editor) may be working in it.
//!
//! Everything that touches it goes through here:
//! - paths are walked component by component without following links, so
//!   nothing is read, written, renamed or deleted through a link at or
//!   below the root, or between it and the folder the user named
//!   (`link_problem`); passes over the whole tree go through folder
//!   handles instead (`Reader`);
//! - writes go to a temporary sibling with a name unique to the run, then a
//!   rename, so a file holds its old or its new content;
//! - one run at a time per output root, through an exclusive lock on
//!   `.parasol/lock` (read-only runs take a shared one when it exists);
//! - leftover temporary files of a killed run are removed by the next.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::model::names::is_windows_device_name;

/// The folder parasol keeps its state in, inside each output root.
pub const STATE_DIR: &str = ".parasol";
/// The lock file, relative to the output root.
pub const LOCK_PATH: &str = ".parasol/lock";
/// Keeps the lock out of version control.
const GITIGNORE_PATH: &str = ".parasol/.gitignore";
/// Every temporary file parasol makes ends with this.
const TMP_SUFFIX: &str = ".parasol-tmp";

/// Checks a planned path: relative, `/`-separated, no `..`, no characters or
/// names that some file system refuses. A failure here is a parasol bug or a
/// name validation missed, so nothing is written.
pub fn check_relative_path(path: &str) -> Result<(), String> {
    if path.is_empty() || path.starts_with('/') || path.len() > 1024 {
        return Err(format!("`{path}` is not a relative path"));
    }
    for part in path.split('/') {
        if part.is_empty() || part == "." || part == ".." {
            return Err(format!("`{path}` has an empty, `.` or `..` component"));
        }
        if part
            .chars()
            .any(|c| c.is_control() || matches!(c, '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|'))
        {
            return Err(format!("`{path}` has a character file systems refuse"));
        }
        if is_windows_device_name(part) || part.ends_with(['.', ' ']) || part.len() > 255 {
            return Err(format!("`{path}` has a component Windows cannot create"));
        }
    }
    Ok(())
}

/// What is at a relative path under a root, seen without following links.
#[derive(Debug)]
pub enum OnDisk {
    Missing,
    File(Vec<u8>),
    /// Cannot be written: a link, a folder, or a link or file on the way.
    Blocked(String),
}

/// Why `root` cannot be written to, if it cannot: it, or a folder between
/// `named` (the folder the user named, which may be a link, as may any
/// folder above it) and it, is a symbolic link. Those folders are parasol's
/// (`rust/`, the context's folder), and a link planted there by whoever
/// wrote the output folder would send the run's writes outside it.
pub fn link_problem(named: &Path, root: &Path) -> Option<String> {
    let below = root.strip_prefix(named).unwrap_or(Path::new(""));
    let mut current = named.to_path_buf();
    let mut parts: Vec<&std::ffi::OsStr> = below.iter().collect();
    if parts.is_empty() {
        // Not below what the user named: only the root itself is parasol's.
        current = root.parent().map(Path::to_path_buf).unwrap_or_default();
        parts = root.file_name().into_iter().collect();
    }
    for part in parts {
        current.push(part);
        if std::fs::symlink_metadata(&current).is_ok_and(|m| m.file_type().is_symlink()) {
            return Some(format!(
                "`{}` is a symbolic link: parasol writes only inside the output folder, never through a link",
                crate::diag::display_path(&current)
            ));
        }
    }
    None
}

/// Why `root` cannot be an output folder, if it cannot: it, or a folder on
/// the way to it, is a file.
pub fn root_problem(root: &Path) -> Option<String> {
    for ancestor in root.ancestors() {
        match std::fs::metadata(ancestor) {
            Ok(meta) if meta.is_dir() => return None,
            Ok(_) if ancestor == root => {
                return Some(format!(
                    "the output folder `{}` is a file",
                    crate::diag::display_path(root)
                ));
            }
            Ok(_) => {
                return Some(format!(
                    "the output folder `{}` cannot be created: `{}` is a file",
                    crate::diag::display_path(root),
                    crate::diag::display_path(ancestor)
                ));
            }
            Err(_) => {}
        }
    }
    None
}

/// Looks at `rel` (`/`-separated, already checked relative) under `root`
/// without following any link, reading it when it is a file.
pub fn inspect(root: &Path, rel: &str) -> OnDisk {
    walk(root, rel, true)
}

/// Like `inspect`, without reading the file (`File` holds no bytes).
fn inspect_entry(root: &Path, rel: &str) -> OnDisk {
    walk(root, rel, false)
}

fn walk(root: &Path, rel: &str, read: bool) -> OnDisk {
    let mut current = root.to_path_buf();
    let parts: Vec<&str> = rel.split('/').collect();
    for (i, part) in parts.iter().enumerate() {
        current.push(part);
        let last = i + 1 == parts.len();
        let shown = || parts[..=i].join("/");
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return OnDisk::Blocked(format!(
                    "`{}` is a symbolic link; parasol never reads, writes or deletes through links",
                    shown()
                ));
            }
            Ok(meta) if !last && !meta.is_dir() => {
                return OnDisk::Blocked(format!(
                    "`{}` is a file where a folder is needed",
                    shown()
                ));
            }
            Ok(meta) if last && meta.is_dir() => {
                return OnDisk::Blocked("a folder is in the way".into());
            }
            Ok(meta) if last && !meta.is_file() => {
                return OnDisk::Blocked("not a regular file".into());
            }
            Ok(_) if last && !read => return OnDisk::File(Vec::new()),
            Ok(_) if last => {
                return match std::fs::read(&current) {
                    Ok(bytes) => OnDisk::File(bytes),
                    Err(e) => OnDisk::Blocked(format!("cannot read it: {e}")),
                };
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return OnDisk::Missing,
            Err(e) => return OnDisk::Blocked(e.to_string()),
        }
    }
    OnDisk::Missing
}

/// Reads many files of one output folder, as `inspect` does each: for
/// the passes that read the whole tree (the read-ahead of a plan, checking
/// an unchanged one). On Unix, each folder on the way is opened once, never
/// through a link, and a file is opened relative to its folder's handle,
/// never through a link either: a few system calls per file instead of one
/// lookup of the whole path per folder on the way, and no moment between
/// checking a path and opening it. Anything else than a regular file read
/// whole is looked at again by `inspect`, which says what it is.
pub struct Reader<'r> {
    root: &'r Path,
    #[cfg(unix)]
    handles: handles::Handles,
}

impl<'r> Reader<'r> {
    pub fn new(root: &'r Path) -> Self {
        Reader {
            root,
            #[cfg(unix)]
            handles: handles::Handles::default(),
        }
    }

    /// What `inspect(root, rel)` gives.
    pub fn inspect(&mut self, rel: &str) -> OnDisk {
        #[cfg(unix)]
        if let Some(bytes) = self.handles.read(self.root, rel) {
            return OnDisk::File(bytes);
        }
        inspect(self.root, rel)
    }

    /// The SHA-256 of `rel` if `inspect` would find a file there. Read in
    /// pieces through one buffer: a pass over a large tree that only needs
    /// hashes then holds no file whole, and allocates nothing per file.
    pub fn sha256(&mut self, rel: &str) -> Option<String> {
        #[cfg(unix)]
        if let Some(sha) = self.handles.sha256(self.root, rel) {
            return Some(sha);
        }
        match inspect(self.root, rel) {
            OnDisk::File(bytes) => Some(crate::hash::sha256(&bytes)),
            _ => None,
        }
    }
}

#[cfg(unix)]
mod handles {
    use std::io::Read as _;
    use std::os::fd::OwnedFd;
    use std::path::Path;

    use rustix::fs::{FileType, Mode, OFlags};

    /// The folders of the last path read, each with its handle.
    #[derive(Default)]
    pub struct Handles {
        root: Option<OwnedFd>,
        open: Vec<(String, OwnedFd)>,
        /// Reused by `sha256`.
        buffer: Vec<u8>,
    }

    const DIR: OFlags = OFlags::RDONLY
        .union(OFlags::DIRECTORY)
        .union(OFlags::NOFOLLOW)
        .union(OFlags::CLOEXEC);
    // Non-blocking: opening a FIFO must not wait for a writer.
    const FILE: OFlags = OFlags::RDONLY
        .union(OFlags::NOFOLLOW)
        .union(OFlags::NONBLOCK)
        .union(OFlags::CLOEXEC);

    impl Handles {
        /// The bytes of `rel` if it is a regular file reached through
        /// folders, none of them a link; `None` for anything else.
        pub fn read(&mut self, root: &Path, rel: &str) -> Option<Vec<u8>> {
            let (fd, len) = self.open_file(root, rel)?;
            let mut bytes = Vec::with_capacity(len);
            std::fs::File::from(fd).read_to_end(&mut bytes).ok()?;
            Some(bytes)
        }

        /// The SHA-256 of what `read` would give, read through `buffer`.
        pub fn sha256(&mut self, root: &Path, rel: &str) -> Option<String> {
            use sha2::Digest as _;
            let (fd, _) = self.open_file(root, rel)?;
            let mut file = std::fs::File::from(fd);
            self.buffer.resize(1 << 16, 0);
            let mut hasher = sha2::Sha256::new();
            loop {
                match file.read(&mut self.buffer) {
                    Ok(0) => break,
                    Ok(n) => hasher.update(&self.buffer[..n]),
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => return None,
                }
            }
            Some(crate::hash::hex(&hasher.finalize()))
        }

        /// `rel` opened for reading if it is a regular file reached through
        /// folders, none of them a link, with its length.
        fn open_file(&mut self, root: &Path, rel: &str) -> Option<(OwnedFd, usize)> {
            if self.root.is_none() {
                // Not through a link at the root either (`link_problem`).
                self.root = Some(rustix::fs::open(root, DIR, Mode::empty()).ok()?);
            }
            let mut parts: Vec<&str> = rel.split('/').collect();
            // Only plain names: `inspect` answers for anything else.
            if parts.iter().any(|p| matches!(*p, "" | "." | "..")) {
                return None;
            }
            let name = parts.pop()?;
            // Keep the folders this path shares with the last one.
            let mut shared = 0;
            while shared < self.open.len()
                && shared < parts.len()
                && self.open[shared].0 == parts[shared]
            {
                shared += 1;
            }
            self.open.truncate(shared);
            for part in &parts[shared..] {
                let parent = self.open.last().map_or(self.root.as_ref()?, |(_, fd)| fd);
                let fd = rustix::fs::openat(parent, *part, DIR, Mode::empty()).ok()?;
                self.open.push(((*part).to_string(), fd));
            }
            let parent = self.open.last().map_or(self.root.as_ref()?, |(_, fd)| fd);
            let fd = rustix::fs::openat(parent, name, FILE, Mode::empty()).ok()?;
            let stat = rustix::fs::fstat(&fd).ok()?;
            if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
                return None;
            }
            Some((fd, usize::try_from(stat.st_size).unwrap_or(0)))
        }
    }
}

/// Makes `rel` (a folder under `root`) exist, refusing any link or file on
/// the way: a folder is never created through a link.
pub fn ensure_dir(root: &Path, rel: &str) -> std::io::Result<()> {
    let mut current = root.to_path_buf();
    for part in rel.split('/').filter(|p| !p.is_empty()) {
        current.push(part);
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.is_dir() => {}
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(std::io::Error::other(format!(
                    "`{}` is a symbolic link; parasol never writes through links",
                    crate::diag::display_path(&current)
                )));
            }
            Ok(_) => {
                return Err(std::io::Error::other(format!(
                    "`{}` is a file where a folder is needed",
                    crate::diag::display_path(&current)
                )));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                match std::fs::create_dir(&current) {
                    Ok(()) => {}
                    // Another process made it meanwhile: checked again next turn.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                    Err(e) => return Err(e),
                }
                if std::fs::symlink_metadata(&current)?
                    .file_type()
                    .is_symlink()
                {
                    return Err(std::io::Error::other(
                        "a link appeared while creating folders",
                    ));
                }
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// A temporary name beside `path`, unique to this process and call.
fn temp_path(path: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Long names keep their start: the temporary name must stay a valid name.
    let name: String = name.chars().take(160).collect();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    dir.join(format!(".{name}.{}-{n}{TMP_SUFFIX}", std::process::id()))
}

/// Writes through a temporary sibling (in an existing folder) and a rename,
/// so the file holds either its old or its new content whatever happens.
/// The temporary name is new (`create_new`: never a link or another run's
/// file); the rename replaces a directory entry, never follows a link.
/// Keeps an existing file's permissions. No fsync: atomic against crashes
/// of parasol, not power loss.
pub fn replace_file(
    path: &Path,
    fill: impl FnOnce(&mut File) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let tmp = temp_path(path);
    let result = (|| {
        let mut file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        fill(&mut file)?;
        drop(file);
        if let Ok(meta) = std::fs::symlink_metadata(path)
            && meta.is_file()
        {
            std::fs::set_permissions(&tmp, meta.permissions())?;
        }
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Writes `bytes` to `rel` under `root`, creating folders without
/// following links.
pub fn write_in(root: &Path, rel: &str, bytes: &[u8]) -> std::io::Result<()> {
    if let Some((dir, _)) = rel.rsplit_once('/') {
        ensure_dir(root, dir)?;
    }
    if let OnDisk::Blocked(why) = inspect_entry(root, rel) {
        return Err(std::io::Error::other(why));
    }
    replace_file(&root.join(rel), |file| file.write_all(bytes))
}

/// Removes the file `rel` under `root` if it is there, never through a
/// link (a link or folder in its place is left alone and reported).
pub fn remove_in(root: &Path, rel: &str) -> std::io::Result<()> {
    match inspect_entry(root, rel) {
        OnDisk::Missing => Ok(()),
        OnDisk::File(_) => std::fs::remove_file(root.join(rel)),
        OnDisk::Blocked(why) => Err(std::io::Error::other(why)),
    }
}

/// Removes temporary files a killed run left in `dir` (a folder under
/// `root`, reached without links). Only parasol's own names are touched.
pub fn remove_leftovers(root: &Path, dir: &str) {
    let path = if dir.is_empty() {
        root.to_path_buf()
    } else {
        let mut current = root.to_path_buf();
        for part in dir.split('/') {
            current.push(part);
            match std::fs::symlink_metadata(&current) {
                Ok(meta) if meta.is_dir() => {}
                _ => return,
            }
        }
        current
    };
    let Ok(entries) = std::fs::read_dir(&path) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.')
            && name.ends_with(TMP_SUFFIX)
            && let Ok(meta) = std::fs::symlink_metadata(entry.path())
            && meta.is_file()
        {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Holds the lock on an output root until dropped.
#[derive(Debug)]
pub struct Lock {
    _file: Option<File>,
}

/// Takes the exclusive lock of `root` for a run that writes, creating
/// `.parasol` (never through a link). Waits for another run holding it,
/// saying so once on standard error.
/// Whether `lock_exclusive` would create nothing in `root` (its lock file
/// and the `.gitignore` beside it are there).
pub fn lock_creates_nothing(root: &Path) -> bool {
    [LOCK_PATH, GITIGNORE_PATH]
        .iter()
        .all(|rel| matches!(inspect_entry(root, rel), OnDisk::File(_)))
}

pub fn lock_exclusive(root: &Path) -> std::io::Result<Lock> {
    ensure_dir(root, STATE_DIR)?;
    if let OnDisk::Blocked(why) = inspect_entry(root, LOCK_PATH) {
        return Err(std::io::Error::other(why));
    }
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(root.join(LOCK_PATH))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            crate::term::note(&format!(
                "waiting for another parasol run to finish in {}",
                crate::diag::display_path(root)
            ));
            file.lock()?;
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(e),
    }
    // Only now: the holder of the lock removes other runs' temporary files.
    // The manifest belongs in version control (`check` needs it); the lock does not.
    if matches!(inspect_entry(root, GITIGNORE_PATH), OnDisk::Missing) {
        write_in(root, GITIGNORE_PATH, b"/lock\n")?;
    }
    Ok(Lock { _file: Some(file) })
}

/// Takes a shared lock of `root` for a run that only reads, when a lock
/// file exists (a read-only run creates nothing): it waits for a writing
/// run to finish, so it never sees a tree half written.
pub fn lock_shared(root: &Path) -> Lock {
    if !matches!(inspect_entry(root, LOCK_PATH), OnDisk::File(_)) {
        return Lock { _file: None };
    }
    let Ok(file) = File::open(root.join(LOCK_PATH)) else {
        return Lock { _file: None };
    };
    if let Err(std::fs::TryLockError::WouldBlock) = file.try_lock_shared() {
        crate::term::note(&format!(
            "waiting for another parasol run to finish in {}",
            crate::diag::display_path(root)
        ));
        let _ = file.lock_shared();
    }
    Lock { _file: Some(file) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind of entry a tree may hold where a file is looked for.
    #[cfg(unix)]
    #[test]
    fn a_reader_sees_exactly_what_inspect_sees() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret.rs"), "secret").unwrap();
        for folder in ["src/a/deep", "src/b", "dir.rs"] {
            std::fs::create_dir_all(root.join(folder)).unwrap();
        }
        for (file, text) in [
            ("top.rs", "top"),
            ("src/a/deep/x.rs", "x"),
            ("src/a/y.rs", "y"),
            ("src/b/z.rs", ""),
            ("plain", "a file"),
        ] {
            std::fs::write(root.join(file), text).unwrap();
        }
        symlink(outside.path(), root.join("src/linked")).unwrap();
        symlink(outside.path().join("secret.rs"), root.join("src/b/link.rs")).unwrap();
        symlink("nowhere", root.join("src/b/dangling.rs")).unwrap();
        let fifo = root.join("src/b/fifo.rs");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        let paths = [
            "top.rs",
            "src/a/deep/x.rs",
            "src/a/y.rs",
            "src/a/deep/x.rs",
            "src/b/z.rs",
            "src/linked/secret.rs",
            "src/b/link.rs",
            "src/b/dangling.rs",
            "src/b/fifo.rs",
            "src/b/missing.rs",
            "src/missing/x.rs",
            "plain/x.rs",
            "dir.rs",
            "src/a/../b/z.rs",
            "src//b/z.rs",
            "top.rs",
        ];
        // Larger than the buffer a hash is read through.
        let large: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(root.join("src/a/large.rs"), &large).unwrap();
        let mut reader = Reader::new(root);
        let mut hasher = Reader::new(root);
        for path in paths.iter().chain(&["src/a/large.rs"]) {
            let (seen, expected) = (reader.inspect(path), inspect(root, path));
            assert_eq!(format!("{seen:?}"), format!("{expected:?}"), "{path}");
            let hashed = match expected {
                OnDisk::File(bytes) => Some(crate::hash::sha256(&bytes)),
                _ => None,
            };
            assert_eq!(hasher.sha256(path), hashed, "{path}");
        }
        assert!(matches!(reader.inspect("src/a/y.rs"), OnDisk::File(b) if b == b"y"));
        assert!(matches!(
            reader.inspect("src/linked/secret.rs"),
            OnDisk::Blocked(_)
        ));
    }

    #[test]
    fn temp_names_are_unique_and_recognised() {
        let a = temp_path(Path::new("out/src/lib.rs"));
        let b = temp_path(Path::new("out/src/lib.rs"));
        assert_ne!(a, b);
        let name = a.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with(".lib.rs.") && name.ends_with(TMP_SUFFIX));
    }

    #[test]
    fn leftovers_are_removed_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("src")).unwrap();
        std::fs::write(dir.path().join("src/.lib.rs.1-0.parasol-tmp"), "x").unwrap();
        std::fs::write(dir.path().join("src/lib.rs"), "y").unwrap();
        std::fs::write(dir.path().join("src/.hidden"), "z").unwrap();
        remove_leftovers(dir.path(), "src");
        let mut left: Vec<String> = std::fs::read_dir(dir.path().join("src"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, [".hidden", "lib.rs"]);
    }

    #[cfg(unix)]
    #[test]
    fn folders_are_never_created_through_links() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("src")).unwrap();
        assert!(ensure_dir(dir.path(), "src/modules").is_err());
        assert!(write_in(dir.path(), "src/lib.rs", b"x").is_err());
        assert!(std::fs::read_dir(outside.path()).unwrap().next().is_none());
    }
}
