//! A CSV output file that is written under a temporary name in the target
//! directory and renamed into place only once it is complete, so a failure
//! never leaves a half-written file under the final name.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use firnml::{Error, Result};

/// Bytes buffered before a write system call.
const CHUNK: usize = 4 << 20;

/// A file being generated: rows are appended to [`AtomicCsv::buf`] and flushed in
/// large chunks; [`AtomicCsv::finish`] syncs it and [`AtomicCsv::commit`] renames it.
/// Dropped uncommitted, it deletes its temporary file.
#[derive(Debug)]
pub(crate) struct AtomicCsv {
    file: Option<File>,
    tmp: PathBuf,
    dest: PathBuf,
    committed: bool,
    /// The pending bytes; callers append whole rows, then call [`AtomicCsv::row_done`].
    pub(crate) buf: Vec<u8>,
}

impl AtomicCsv {
    /// Creates `.{name}.tmp-{pid}` in `dir`, to become `dir/name` on commit.
    pub(crate) fn create(dir: &Path, name: &str) -> Result<Self> {
        let dest = dir.join(name);
        let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
        let file = File::create(&tmp)
            .map_err(|e| Error::io(format!("creating '{}'", tmp.display()), e))?;
        Ok(AtomicCsv {
            file: Some(file),
            tmp,
            dest,
            committed: false,
            buf: Vec::with_capacity(CHUNK + 4096),
        })
    }

    /// Writes the buffer out once it holds a full chunk.
    pub(crate) fn row_done(&mut self) -> Result<()> {
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        let file = self.file.as_mut().ok_or_else(|| closed(&self.tmp))?;
        file.write_all(&self.buf)
            .map_err(|e| Error::io(format!("writing '{}'", self.tmp.display()), e))?;
        self.buf.clear();
        Ok(())
    }

    /// Flushes the remaining bytes and syncs the temporary file to disk.
    pub(crate) fn finish(&mut self) -> Result<()> {
        self.flush()?;
        let file = self.file.take().ok_or_else(|| closed(&self.tmp))?;
        file.sync_all()
            .map_err(|e| Error::io(format!("syncing '{}'", self.tmp.display()), e))
    }

    /// Renames the finished file to its final name.
    pub(crate) fn commit(mut self) -> Result<PathBuf> {
        if self.file.is_some() {
            self.finish()?;
        }
        fs::rename(&self.tmp, &self.dest).map_err(|e| {
            Error::io(
                format!(
                    "renaming '{}' to '{}'",
                    self.tmp.display(),
                    self.dest.display()
                ),
                e,
            )
        })?;
        self.committed = true;
        Ok(self.dest.clone())
    }
}

fn closed(path: &Path) -> Error {
    Error::io(
        format!("writing '{}'", path.display()),
        std::io::Error::other("file already finished"),
    )
}

impl Drop for AtomicCsv {
    fn drop(&mut self) {
        if !self.committed {
            self.file = None;
            // Best effort: the temporary name never shadows a real file.
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_renames_and_drop_cleans_up() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| Error::io("tempdir", e))?;
        let mut a = AtomicCsv::create(dir.path(), "a.csv")?;
        a.buf.extend_from_slice(b"x\n");
        a.row_done()?;
        assert!(!dir.path().join("a.csv").exists());
        a.commit()?;
        let text = fs::read(dir.path().join("a.csv")).map_err(|e| Error::io("read", e))?;
        assert_eq!(text, b"x\n");

        let mut b = AtomicCsv::create(dir.path(), "b.csv")?;
        b.buf.extend_from_slice(b"partial");
        drop(b);
        let names: Vec<_> = fs::read_dir(dir.path())
            .map_err(|e| Error::io("read_dir", e))?
            .filter_map(|e| e.ok().map(|e| e.file_name()))
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("a.csv")]);
        Ok(())
    }
}
