//! Writing a card's files all or nothing: each file goes to a temporary name
//! in the output directory first; only when every one is written are they
//! renamed into place, `index.html` last. A failure removes the temporary
//! files and leaves whatever card was there before untouched.

use std::path::{Path, PathBuf};

use firnml::{Error, Result};

/// Writes `files` (name, contents) into `dir`, creating it if needed; returns
/// the paths written, in order. Names must be plain file names.
pub fn write_files(dir: &Path, files: &[(String, String)]) -> Result<Vec<PathBuf>> {
    if dir.is_file() {
        return Err(Error::io(
            format!("cannot write the model card to '{}'", dir.display()),
            std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "it is a file, not a directory",
            ),
        ));
    }
    std::fs::create_dir_all(dir).map_err(|e| {
        Error::io(
            format!("cannot create the output directory '{}'", dir.display()),
            e,
        )
    })?;
    let token = uuid::Uuid::new_v4().simple().to_string();
    let mut written: Vec<(PathBuf, PathBuf)> = Vec::with_capacity(files.len());
    let cleanup = |written: &[(PathBuf, PathBuf)]| {
        for (temporary, _) in written {
            // Best effort: the error being reported matters more.
            let _ = std::fs::remove_file(temporary);
        }
    };
    for (name, contents) in files {
        let temporary = dir.join(format!(".{name}.{token}.tmp"));
        if let Err(e) = std::fs::write(&temporary, contents) {
            cleanup(&written);
            let _ = std::fs::remove_file(&temporary);
            return Err(Error::io(
                format!("cannot write '{}'", dir.join(name).display()),
                e,
            ));
        }
        written.push((temporary, dir.join(name)));
    }
    // index.html (the entry point) last: when it is there, so is everything it shows.
    written.sort_by_key(|(_, target)| target.file_name().is_some_and(|n| n == "index.html"));
    for (i, (temporary, target)) in written.iter().enumerate() {
        if let Err(e) = std::fs::rename(temporary, target) {
            cleanup(&written[i..]);
            return Err(Error::io(format!("cannot write '{}'", target.display()), e));
        }
    }
    Ok(written.into_iter().map(|(_, target)| target).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files() -> Vec<(String, String)> {
        vec![
            ("index.html".into(), "<html></html>".into()),
            ("a.svg".into(), "<svg/>".into()),
        ]
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("read dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn writes_every_file_and_no_temporaries() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("card/nested");
        let written = write_files(&out, &files()).expect("written");
        assert_eq!(written.last(), Some(&out.join("index.html")), "index last");
        assert_eq!(names(&out), ["a.svg", "index.html"]);
        assert_eq!(
            std::fs::read_to_string(out.join("a.svg")).expect("read"),
            "<svg/>"
        );
        // Writing again replaces the files.
        write_files(&out, &[("a.svg".into(), "<svg></svg>".into())]).expect("rewritten");
        assert_eq!(
            std::fs::read_to_string(out.join("a.svg")).expect("read"),
            "<svg></svg>"
        );
    }

    #[test]
    fn a_file_in_the_way_is_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("taken");
        std::fs::write(&file, "x").expect("write");
        let err = write_files(&file, &files()).expect_err("refused");
        assert!(err.to_string().contains("it is a file"), "{err}");
    }

    #[test]
    fn a_failed_rename_leaves_no_temporaries() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("card");
        // A non-empty directory where index.html should go: renaming onto it fails
        // (file permissions cannot be used: tests may run as root).
        std::fs::create_dir_all(out.join("index.html")).expect("mkdir");
        std::fs::write(out.join("index.html/keep"), "x").expect("write");
        let err = write_files(&out, &files()).expect_err("refused");
        assert!(err.to_string().contains("cannot write"), "{err}");
        assert!(
            names(&out).iter().all(|n| !n.ends_with(".tmp")),
            "{:?}",
            names(&out)
        );
    }
}
