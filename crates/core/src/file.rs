//! Files read and written by tasks on pool threads: only regular files are read (a FIFO, a
//! device or a socket is refused before any read that could block), reads are bounded by a byte
//! limit and checked for cancellation between pieces, and writes replace the target atomically.

use crate::error::{Error, ErrorKind, Result};
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Bytes read between two cancellation checks.
pub const CHUNK: usize = 1 << 20;

/// Opens `path` for reading if it is a regular file; returns it with its size. The open itself
/// never blocks (`O_NONBLOCK`: opening a FIFO without a writer would), and the type is taken from
/// the opened descriptor (`fstat`), so a path swapped between a check and the open cannot slip
/// through. A directory is `EISDIR`; a FIFO, device or socket is `ERR_NOT_REGULAR_FILE`.
pub fn open_regular(path: &Path) -> Result<(File, u64)> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    let meta = file.metadata()?;
    if meta.is_dir() {
        return Err(Error::new(
            ErrorKind::IsDirectory,
            format!(
                "EISDIR: illegal operation on a directory, read '{}'",
                path.display()
            ),
        ));
    }
    if !meta.is_file() {
        return Err(Error::new(
            ErrorKind::NotRegularFile,
            format!(
                "Not a regular file (a FIFO, device or socket is not read): '{}'",
                path.display()
            ),
        ));
    }
    Ok((file, meta.len()))
}

/// The error for a file over `limit` bytes (the option is named `name` in JS).
pub fn too_large(name: &str, size: u64, limit: u64) -> Error {
    Error::new(
        ErrorKind::FileTooLarge,
        format!("File size ({size}) is greater than {name} ({limit})"),
    )
}

/// Reads up to `len` bytes from the current position of `file` into `buf`, in [`CHUNK`] pieces with
/// `cancelled` checked before each; stops early at the end of the file.
pub fn read_into(
    file: &mut File,
    buf: &mut Vec<u8>,
    len: usize,
    cancelled: &dyn Fn() -> bool,
) -> Result<()> {
    let end = buf.len().saturating_add(len);
    while buf.len() < end {
        if cancelled() {
            return Err(Error::aborted());
        }
        let want = (end - buf.len()).min(CHUNK);
        let at = buf.len();
        buf.resize(at + want, 0);
        match file.read(&mut buf[at..]) {
            Ok(n) => {
                buf.truncate(at + n);
                if n == 0 {
                    break;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => buf.truncate(at),
            Err(e) => {
                buf.truncate(at);
                return Err(e.into());
            }
        }
    }
    Ok(())
}

/// The whole regular file at `path`, refused with `ERR_FS_FILE_TOO_LARGE` when over `limit` bytes
/// (named `name` in messages), read in [`CHUNK`] pieces with `cancelled` checked between them.
/// Costs one allocation of the file's size; a file that grows while read stops at `limit + 1`.
pub fn read_limited(
    path: &Path,
    limit: u64,
    name: &str,
    cancelled: &dyn Fn() -> bool,
) -> Result<Vec<u8>> {
    let (mut file, size) = open_regular(path)?;
    if size > limit {
        return Err(too_large(name, size, limit));
    }
    let cap = usize::try_from(limit.saturating_add(1)).unwrap_or(usize::MAX);
    let mut buf = Vec::new();
    buf.try_reserve_exact(usize::try_from(size).unwrap_or(usize::MAX))
        .map_err(|_| Error::new(ErrorKind::Io, format!("cannot allocate {size} bytes")))?;
    read_into(&mut file, &mut buf, cap, cancelled)?;
    if buf.len() as u64 > limit {
        return Err(too_large(name, buf.len() as u64, limit));
    }
    Ok(buf)
}

/// A name in `path`'s directory for a temporary file, unique in this process.
fn temporary(path: &Path) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let name = path
        .file_name()
        .map_or_else(Default::default, |n| n.to_string_lossy());
    let tmp = format!(".{name}.{}-{n}.tmp", std::process::id());
    path.with_file_name(tmp)
}

/// Writes `data` to `path` through a temporary file in the same directory renamed over it, so a
/// reader (or a concurrent writer of the same path) sees the old file or one whole new one, never
/// a mix. As a plain write would: a symlink at `path` is written through (its target replaced) and
/// an existing file's permissions are kept. The temporary file is removed on failure. Not fsynced:
/// atomic, not durable.
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<()> {
    let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    // A dangling link cannot be resolved: the link itself is replaced.
    let path = if is_link {
        std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
    } else {
        path.to_path_buf()
    };
    let existing = std::fs::metadata(&path).ok().map(|m| m.permissions());
    let tmp = temporary(&path);
    let result = File::options()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .and_then(|mut f| {
            if let Some(p) = existing {
                f.set_permissions(p)?;
            }
            f.write_all(data)
        })
        .and_then(|()| std::fs::rename(&tmp, &path));
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(e.into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn never() -> bool {
        false
    }

    #[test]
    fn refuses_what_is_not_a_regular_file() {
        let dir = std::env::temp_dir();
        assert_eq!(
            open_regular(&dir).unwrap_err().kind(),
            ErrorKind::IsDirectory
        );
        let dev = open_regular(Path::new("/dev/zero")).unwrap_err();
        assert_eq!(dev.code(), "ERR_NOT_REGULAR_FILE");
        let fifo = dir.join(format!("offthread-fifo-{}", std::process::id()));
        let c = std::ffi::CString::new(fifo.to_string_lossy().as_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        // No writer: a blocking open would hang here.
        let e = open_regular(&fifo).unwrap_err();
        std::fs::remove_file(&fifo).unwrap();
        assert_eq!(e.kind(), ErrorKind::NotRegularFile);
    }

    #[test]
    fn reads_within_the_limit_and_stops_at_cancel() {
        let path = std::env::temp_dir().join(format!("offthread-read-{}", std::process::id()));
        std::fs::write(&path, vec![7u8; 3 * CHUNK + 5]).unwrap();
        let all = read_limited(&path, 4 * CHUNK as u64, "maxInputBytes", &never).unwrap();
        assert_eq!(all.len(), 3 * CHUNK + 5);
        let big = read_limited(&path, 1000, "maxInputBytes", &never).unwrap_err();
        assert_eq!(big.code(), "ERR_FS_FILE_TOO_LARGE");
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let cancel = || calls.fetch_add(1, Ordering::Relaxed) >= 2;
        let e = read_limited(&path, u64::MAX, "maxInputBytes", &cancel).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Aborted);
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temporary() {
        let dir = std::env::temp_dir().join(format!("offthread-write-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("out.bin");
        write_atomic(&path, b"first, longer").unwrap();
        write_atomic(&path, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        // Written through a symlink, keeping the target's permissions.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        let link = dir.join("link.bin");
        std::os::unix::fs::symlink(&path, &link).unwrap();
        write_atomic(&link, b"third").unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read(&path).unwrap(), b"third");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 2);
        let missing = write_atomic(&dir.join("no/such/dir"), b"x").unwrap_err();
        assert_eq!(missing.kind(), ErrorKind::FileNotFound);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
