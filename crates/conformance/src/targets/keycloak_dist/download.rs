//! Fetches the distribution zip from Maven Central through `mvn dependency:get` into the local
//! Maven repository (`~/.m2`, with its `.sha1`), verifies it and unpacks it once into the cache.

use super::checksum::verify_sha1;
use super::{DistError, VERSION, progress};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// The zip in the local Maven repository.
fn m2_zip() -> PathBuf {
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
    home.join(".m2/repository/org/keycloak/keycloak-quarkus-dist")
        .join(VERSION)
        .join(format!("keycloak-quarkus-dist-{VERSION}.zip"))
}

/// The unpacked distribution in `root`, downloading, verifying and unpacking it the first time.
pub(super) fn unpack(root: &Path) -> Result<PathBuf, DistError> {
    let home = root.join(format!("keycloak-{VERSION}"));
    if home.join("bin").join("kc.sh").is_file() && home.join("lib").is_dir() {
        return Ok(home);
    }
    let zip = fetch()?;
    verify_sha1(&zip)?;
    let staging = root.join(format!(".unpack-{}", std::process::id()));
    let _ = fs::remove_dir_all(&staging);
    progress(format_args!("unpacking {} into {}", zip.display(), root.display()));
    let status = Command::new("unzip")
        .arg("-q")
        .arg(&zip)
        .arg("-d")
        .arg(&staging)
        .stdin(Stdio::null())
        .status()
        .map_err(DistError::tool("unzip"))?;
    if !status.success() {
        let _ = fs::remove_dir_all(&staging);
        return Err(DistError::Unzip { zip, status });
    }
    let unpacked = staging.join(format!("keycloak-{VERSION}"));
    let renamed = fs::rename(&unpacked, &home);
    let _ = fs::remove_dir_all(&staging);
    match renamed {
        Ok(()) => Ok(home),
        // Another run unpacked it first.
        Err(_) if home.join("bin").join("kc.sh").is_file() => Ok(home),
        Err(source) => Err(DistError::Move {
            from: unpacked,
            to: home,
            source,
        }),
    }
}

/// The zip in the local Maven repository, downloaded from Maven Central when absent.
fn fetch() -> Result<PathBuf, DistError> {
    let zip = m2_zip();
    if zip.is_file() {
        return Ok(zip);
    }
    let artifact = format!("org.keycloak:keycloak-quarkus-dist:{VERSION}:zip");
    progress(format_args!("downloading {artifact} from Maven Central (about 180 MB)"));
    let started = Instant::now();
    // Without -Dtransitive=false Maven resolves the distribution's dependencies, some of which
    // only repository.jboss.org has.
    let output = Command::new("mvn")
        .args(["-q", "-B", "dependency:get", "-Dtransitive=false"])
        .arg(format!("-Dartifact={artifact}"))
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::null())
        .output()
        .map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                DistError::MvnMissing(source)
            } else {
                DistError::ToolFailed { tool: "mvn", source }
            }
        })?;
    if !output.status.success() {
        let text = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = text.lines().rev().take(15).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(DistError::Mvn {
            artifact,
            status: output.status,
            tail: tail.join("\n"),
        });
    }
    if !zip.is_file() {
        return Err(DistError::MvnNoZip { zip });
    }
    progress(format_args!("downloaded in {} s", started.elapsed().as_secs()));
    Ok(zip)
}
