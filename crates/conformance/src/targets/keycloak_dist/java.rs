//! Finds a Java 21+ for Keycloak: `JAVA_HOME`, else the newest JDK under `/usr/lib/jvm`, else
//! the `java` on PATH.

use super::{DistError, VERSION};
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The Java release Keycloak 26 needs at least.
const MIN_JAVA: u32 = 21;

/// Which Java runs Keycloak.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Java {
    /// A JDK directory (`JAVA_HOME`).
    Home(PathBuf),
    /// The `java` on PATH.
    Path,
}

impl fmt::Display for Java {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Java::Home(dir) => write!(f, "JAVA_HOME={}", dir.display()),
            Java::Path => f.write_str("java on PATH"),
        }
    }
}

/// A JDK with Java 21+: `JAVA_HOME`, else the newest under `/usr/lib/jvm`, else `java` on PATH
/// (checked).
pub(super) fn find_java() -> Result<Java, DistError> {
    if let Some(home) = std::env::var_os("JAVA_HOME").map(PathBuf::from)
        && home_major(&home).is_some_and(|major| major >= MIN_JAVA)
    {
        return Ok(Java::Home(home));
    }
    if let Some(home) = newest_jdk(Path::new("/usr/lib/jvm")) {
        return Ok(Java::Home(home));
    }
    let output = Command::new("java")
        .arg("-version")
        .stdin(Stdio::null())
        .output()
        .map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                DistError::JavaMissing {
                    version: VERSION,
                    min: MIN_JAVA,
                    source,
                }
            } else {
                DistError::ToolFailed { tool: "java", source }
            }
        })?;
    let text = String::from_utf8_lossy(&output.stderr).into_owned() + &String::from_utf8_lossy(&output.stdout);
    match version_major(&text) {
        Some(major) if major >= MIN_JAVA => Ok(Java::Path),
        Some(major) => Err(DistError::JavaTooOld {
            version: VERSION,
            min: MIN_JAVA,
            major,
        }),
        None => Err(DistError::JavaVersion(text.trim().to_owned())),
    }
}

/// The newest JDK with Java 21+ in `dir`.
fn newest_jdk(dir: &Path) -> Option<PathBuf> {
    fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|home| home.join("bin").join("java").is_file() && !home.is_symlink())
        .filter_map(|home| Some((home_major(&home)?, home)))
        .filter(|(major, _)| *major >= MIN_JAVA)
        .max_by(|a, b| a.0.cmp(&b.0).then_with(|| b.1.cmp(&a.1)))
        .map(|(_, home)| home)
}

/// The major version of the JDK in `home`, from its `release` file.
fn home_major(home: &Path) -> Option<u32> {
    let release = fs::read_to_string(home.join("release")).ok()?;
    let line = release.lines().find(|line| line.starts_with("JAVA_VERSION="))?;
    version_major(line)
}

/// The major version in the first quoted version string of `text` (`"21.0.2"`, `"1.8.0_402"`).
fn version_major(text: &str) -> Option<u32> {
    let start = text.find('"')? + 1;
    let rest = text.get(start..)?;
    let version = rest.get(..rest.find('"')?)?;
    let mut parts = version.split(['.', '_', '-', '+']);
    let first: u32 = parts.next()?.parse().ok()?;
    if first == 1 {
        parts.next()?.parse().ok()
    } else {
        Some(first)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn java_versions() {
        assert_eq!(version_major(r#"JAVA_VERSION="25.0.3""#), Some(25));
        assert_eq!(version_major(r#"openjdk version "17.0.12" 2024-07-16"#), Some(17));
        assert_eq!(version_major(r#"java version "1.8.0_402""#), Some(8));
        assert_eq!(version_major("no version"), None);
    }

    #[test]
    fn newest_jdk_wants_21_or_later() {
        let dir = std::env::temp_dir().join(format!("kc-dist-jdks-{}", std::process::id()));
        for (name, version) in [
            ("jdk-17", "17.0.1"),
            ("jdk-21", "21.0.2"),
            ("jdk-25", "25.0.3"),
            ("broken", "x"),
        ] {
            let home = dir.join(name);
            fs::create_dir_all(home.join("bin")).unwrap();
            fs::write(home.join("bin/java"), "").unwrap();
            fs::write(home.join("release"), format!("JAVA_VERSION=\"{version}\"\n")).unwrap();
        }
        assert_eq!(newest_jdk(&dir), Some(dir.join("jdk-25")));
        fs::remove_dir_all(dir.join("jdk-25")).unwrap();
        fs::remove_dir_all(dir.join("jdk-21")).unwrap();
        assert_eq!(newest_jdk(&dir), None);
        fs::remove_dir_all(&dir).unwrap();
    }
}
