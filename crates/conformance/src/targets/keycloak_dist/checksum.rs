//! Checks the downloaded zip against the `.sha1` Maven keeps next to it (Maven's resolver
//! writes `<artifact>.sha1` into the local repository with every artifact it downloads). Fails
//! closed: a missing or unreadable `.sha1` is an error, so an unverified Keycloak never runs.

use super::DistError;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Checks `zip` against `<zip>.sha1`.
pub(super) fn verify_sha1(zip: &Path) -> Result<(), DistError> {
    let mut sha1_path = zip.as_os_str().to_owned();
    sha1_path.push(".sha1");
    let sha1_path = PathBuf::from(sha1_path);
    let expected = fs::read_to_string(&sha1_path).map_err(|source| DistError::ChecksumMissing {
        zip: zip.to_owned(),
        sha1: sha1_path.clone(),
        source,
    })?;
    let expected = expected
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let actual = sha1_hex(zip)?;
    if actual == expected {
        Ok(())
    } else {
        Err(DistError::ChecksumMismatch {
            zip: zip.to_owned(),
            actual,
            expected,
        })
    }
}

/// The SHA-1 of the file at `path`, in lower-case hex.
pub(super) fn sha1_hex(path: &Path) -> Result<String, DistError> {
    let mut file = fs::File::open(path).map_err(DistError::io("read", path))?;
    let mut context = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY);
    let mut buffer = vec![0; 1 << 20];
    loop {
        let read = file.read(&mut buffer).map_err(DistError::io("read", path))?;
        if read == 0 {
            break;
        }
        context.update(buffer.get(..read).unwrap_or_default());
    }
    Ok(context
        .finish()
        .as_ref()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn sha1_of_a_file() {
        let path = std::env::temp_dir().join(format!("kc-dist-sha1-{}", std::process::id()));
        fs::write(&path, "abc").unwrap();
        assert_eq!(sha1_hex(&path).unwrap(), "a9993e364706816aba3e25717850c26c9cd0d89d");
        fs::write(path.with_extension("sha1"), "0000 -\n").unwrap();
        let mut sha1 = path.as_os_str().to_owned();
        sha1.push(".sha1");
        fs::write(&sha1, "0000000000000000000000000000000000000000\n").unwrap();
        assert!(verify_sha1(&path).unwrap_err().to_string().contains("expected 0000"));
        fs::write(&sha1, "A9993E364706816ABA3E25717850C26C9CD0D89D  file\n").unwrap();
        verify_sha1(&path).unwrap();
        fs::write(&sha1, "").unwrap();
        assert!(
            matches!(verify_sha1(&path), Err(DistError::ChecksumMismatch { .. })),
            "an empty .sha1 verifies nothing"
        );
        for file in [path.clone(), path.with_extension("sha1"), PathBuf::from(sha1)] {
            let _ = fs::remove_file(file);
        }
    }

    /// Regression: a zip without its `.sha1` used to pass unverified.
    #[test]
    fn a_zip_without_its_sha1_is_refused() {
        let path = std::env::temp_dir().join(format!("kc-dist-nosha1-{}", std::process::id()));
        fs::write(&path, "abc").unwrap();
        let err = verify_sha1(&path).expect_err("an unverified zip must not be accepted");
        assert!(matches!(err, DistError::ChecksumMissing { .. }), "{err:?}");
        assert!(err.to_string().contains(".sha1"), "{err}");
        assert_eq!(err.to_string().lines().count(), 1, "{err}");
        let _ = fs::remove_file(&path);
    }
}
