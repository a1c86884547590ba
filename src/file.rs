//! Writing a file safely (every file tokenfit writes: `-o FILE`, charts, the local
//! calibration, the saved machine): a regular file (or a new
//! one) is written to a uniquely named temporary file in the same directory and renamed over
//! the target only when complete, so a failed run never leaves half a file and two runs never
//! share a temporary; a symlink is followed and its target written; a FIFO, character device
//! or other special file is opened and written like a shell redirection; a read-only file is
//! refused. Every error names the path the user gave.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// A file being written; [`OutputFile::commit`] makes it the user's file.
#[derive(Debug)]
pub struct OutputFile {
    file: File,
    user_path: PathBuf,
    /// The temporary file and the target it replaces, for regular files.
    rename: Option<(PathBuf, PathBuf)>,
}

fn named(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

/// Counts temporaries within one process.
static SEQ: AtomicU32 = AtomicU32::new(0);

impl OutputFile {
    /// Opens `path` for writing as described in the module docs.
    pub fn create(path: &Path) -> io::Result<OutputFile> {
        let target = resolve_links(path).map_err(|e| named(path, e))?;
        match std::fs::metadata(&target) {
            Ok(m) if !m.is_file() && !m.is_dir() => {
                // A FIFO, a device: write to it as `>` would.
                let file = OpenOptions::new()
                    .write(true)
                    .truncate(true)
                    .open(&target)
                    .map_err(|e| named(path, e))?;
                return Ok(OutputFile {
                    file,
                    user_path: path.to_path_buf(),
                    rename: None,
                });
            }
            Ok(m) if m.is_dir() => {
                return Err(named(
                    path,
                    io::Error::new(io::ErrorKind::IsADirectory, "is a directory"),
                ))
            }
            Ok(m) if m.permissions().readonly() => {
                return Err(named(
                    path,
                    io::Error::new(io::ErrorKind::PermissionDenied, "the file is read-only"),
                ))
            }
            _ => {}
        }
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "output".into());
        let (file, tmp) = create_temporary(&dir, &name).map_err(|e| named(path, e))?;
        Ok(OutputFile {
            file,
            user_path: path.to_path_buf(),
            rename: Some((tmp, target)),
        })
    }

    /// Flushes and, for a regular file, renames the temporary over the target.
    pub fn commit(mut self) -> io::Result<()> {
        let user = self.user_path.clone();
        self.file.flush().map_err(|e| named(&user, e))?;
        if let Some((tmp, target)) = self.rename.take() {
            if let Err(e) = std::fs::rename(&tmp, &target) {
                let _ = std::fs::remove_file(&tmp);
                return Err(named(&user, e));
            }
        }
        Ok(())
    }
}

impl Write for OutputFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf).map_err(|e| named(&self.user_path, e))
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.flush().map_err(|e| named(&self.user_path, e))
    }
}

impl Drop for OutputFile {
    fn drop(&mut self) {
        // Not committed: the temporary goes, the user's file stays as it was.
        if let Some((tmp, _)) = self.rename.take() {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

/// Writes `bytes` to `path` as [`OutputFile`] does.
pub fn write_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = OutputFile::create(path)?;
    f.write_all(bytes)?;
    f.commit()
}

/// Writes `path` with a writer that needs a path of its own (a chart backend): `draw` writes
/// a temporary file, which then replaces the target as [`OutputFile`] does (for a special
/// file, its bytes are copied in).
pub fn write_via(path: &Path, draw: impl FnOnce(&Path) -> io::Result<()>) -> io::Result<()> {
    let target = resolve_links(path).map_err(|e| named(path, e))?;
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() && d.is_dir() => d.to_path_buf(),
        _ => std::env::temp_dir(),
    };
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    // The temporary keeps the target's extension: chart backends choose by it.
    let (file, tmp) = create_temporary(&dir, &name).map_err(|e| named(path, e))?;
    drop(file);
    let drawn = draw(&tmp).and_then(|()| std::fs::read(&tmp));
    let _ = std::fs::remove_file(&tmp);
    write_file(path, &drawn.map_err(|e| named(path, e))?)
}

/// Follows a chain of symlinks to the path that is written (a dangling link: its target,
/// created).
fn resolve_links(path: &Path) -> io::Result<PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let to = std::fs::read_link(&p)?;
                p = match p.parent() {
                    Some(dir) if to.is_relative() => dir.join(to),
                    _ => to,
                };
            }
            _ => return Ok(p),
        }
    }
    Err(io::Error::other("too many levels of symbolic links"))
}

/// A new file `.PID.N.NAME` in `dir` (the name last, so its extension is the target's),
/// never one that exists.
fn create_temporary(dir: &Path, name: &str) -> io::Result<(File, PathBuf)> {
    loop {
        let n = SEQ.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".{}.{n}.{name}", std::process::id()));
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => return Ok((f, tmp)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("tokenfit-file-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn a_regular_file_is_replaced_only_on_commit() {
        let d = scratch("regular");
        let p = d.join("x.csv");
        std::fs::write(&p, "old").unwrap();
        let mut f = OutputFile::create(&p).unwrap();
        f.write_all(b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "old");
        drop(f);
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "old");
        assert_eq!(
            std::fs::read_dir(&d).unwrap().count(),
            1,
            "no temporary left"
        );
        let mut f = OutputFile::create(&p).unwrap();
        f.write_all(b"new").unwrap();
        f.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "new");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_is_written_through() {
        let d = scratch("link");
        let target = d.join("real.txt");
        std::fs::write(&target, "old").unwrap();
        let link = d.join("link.txt");
        std::os::unix::fs::symlink("real.txt", &link).unwrap();
        let mut f = OutputFile::create(&link).unwrap();
        f.write_all(b"new").unwrap();
        f.commit().unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
    }

    #[test]
    fn a_read_only_file_is_refused_by_its_name() {
        let d = scratch("ro");
        let p = d.join("ro.txt");
        std::fs::write(&p, "keep").unwrap();
        let mut perm = std::fs::metadata(&p).unwrap().permissions();
        perm.set_readonly(true);
        std::fs::set_permissions(&p, perm).unwrap();
        let e = OutputFile::create(&p).unwrap_err();
        assert!(e.to_string().contains("ro.txt"), "{e}");
        assert!(e.to_string().contains("read-only"), "{e}");
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "keep");
    }

    #[cfg(unix)]
    #[test]
    fn a_character_device_is_written_in_place() {
        let mut f = OutputFile::create(Path::new("/dev/null")).unwrap();
        f.write_all(b"x").unwrap();
        f.commit().unwrap();
        assert!(std::fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device_like());
    }

    /// `FileTypeExt::is_char_device` under a name that reads in the assertion.
    trait CharDevice {
        fn is_char_device_like(&self) -> bool;
    }
    #[cfg(unix)]
    impl CharDevice for std::fs::FileType {
        fn is_char_device_like(&self) -> bool {
            std::os::unix::fs::FileTypeExt::is_char_device(self)
        }
    }
}
