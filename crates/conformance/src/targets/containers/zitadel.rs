//! `container:zitadel`: PostgreSQL 17 and ZITADEL v4 on a network of their own, configured as
//! compose/zitadel.yml is, except where a run needs its own values: the published port (ZITADEL
//! routes by Host and derives its issuer from `ZITADEL_EXTERNALDOMAIN`/`ZITADEL_EXTERNALPORT`,
//! so the host port is chosen first and the same number is published and advertised), the
//! database host (this run's PostgreSQL container) and where the IAM_OWNER PAT is written.

use super::definition::{self, ContainerDef, FileCopy, PortMap};
use crate::targets::ContainerError;
use std::time::{Duration, Instant};
use testcontainers::{ContainerAsync, GenericImage};

/// ZITADEL's image.
pub(crate) const IMAGE: &str = "ghcr.io/zitadel/zitadel";
/// ZITADEL's tag.
pub(crate) const TAG: &str = "v4.16.0";
/// PostgreSQL's image.
pub(crate) const DB_IMAGE: &str = "postgres";
/// PostgreSQL's tag.
pub(crate) const DB_TAG: &str = "17";
/// How long both containers may take to become ready, the PAT included.
pub(crate) const READY: Duration = Duration::from_secs(240);
/// ZITADEL's HTTP port in the container.
const HTTP_PORT: u16 = 8080;
/// The host name ZITADEL serves and advertises (its instance domain).
const EXTERNAL_DOMAIN: &str = "localhost";
/// A directory created for the PAT: the image has no shell or `/tmp` to rely on.
const PAT_DIR: &str = "/idp-harness";
/// Where ZITADEL writes the IAM_OWNER PAT at first start.
pub(crate) const PAT_PATH: &str = "/idp-harness/admin.pat";
/// What PostgreSQL prints once when its init server is up and once when the real one is.
const DB_READY: &str = "database system is ready to accept connections";

/// The names of one run's network and database container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Names {
    /// The user-defined network both containers join.
    pub(crate) network: String,
    /// The PostgreSQL container's name, ZITADEL's database host.
    pub(crate) db: String,
}

impl Names {
    /// Names unique to this run.
    pub(crate) fn unique() -> Names {
        let suffix = definition::unique_suffix();
        Names {
            network: format!("idp-harness-zitadel-{suffix}"),
            db: format!("idp-harness-zitadel-db-{suffix}"),
        }
    }
}

/// The issuer when ZITADEL is published on `port`.
pub(crate) fn issuer(port: u16) -> String {
    format!("http://{EXTERNAL_DOMAIN}:{port}")
}

/// PostgreSQL as compose/zitadel.yml runs it, named for ZITADEL to find it.
pub(crate) fn database(names: &Names) -> ContainerDef {
    let mut def =
        ContainerDef::new(DB_IMAGE, DB_TAG, READY).env(&[("PGUSER", "postgres"), ("POSTGRES_PASSWORD", "postgres")]);
    def.name = Some(names.db.clone());
    def.network = Some(names.network.clone());
    def.ready_log = Some((DB_READY.to_owned(), 2));
    def
}

/// ZITADEL with the environment of compose/zitadel.yml, advertising `localhost:{port}`.
pub(crate) fn definition(names: &Names, port: u16) -> ContainerDef {
    let port_text = port.to_string();
    let mut def = ContainerDef::new(IMAGE, TAG, READY).env(&[
        ("ZITADEL_EXTERNALDOMAIN", EXTERNAL_DOMAIN),
        ("ZITADEL_EXTERNALPORT", port_text.as_str()),
        ("ZITADEL_EXTERNALSECURE", "false"),
        ("ZITADEL_TLS_ENABLED", "false"),
        ("ZITADEL_DATABASE_POSTGRES_HOST", names.db.as_str()),
        ("ZITADEL_DATABASE_POSTGRES_PORT", "5432"),
        ("ZITADEL_DATABASE_POSTGRES_DATABASE", "zitadel"),
        ("ZITADEL_DATABASE_POSTGRES_ADMIN_USERNAME", "postgres"),
        ("ZITADEL_DATABASE_POSTGRES_ADMIN_PASSWORD", "postgres"),
        ("ZITADEL_DATABASE_POSTGRES_ADMIN_SSL_MODE", "disable"),
        ("ZITADEL_DATABASE_POSTGRES_USER_USERNAME", "zitadel"),
        ("ZITADEL_DATABASE_POSTGRES_USER_PASSWORD", "zitadel"),
        ("ZITADEL_DATABASE_POSTGRES_USER_SSL_MODE", "disable"),
        ("ZITADEL_DEFAULTINSTANCE_FEATURES_LOGINV2_REQUIRED", "false"),
        ("ZITADEL_FIRSTINSTANCE_ORG_HUMAN_PASSWORDCHANGEREQUIRED", "false"),
        ("ZITADEL_FIRSTINSTANCE_PATPATH", PAT_PATH),
        ("ZITADEL_FIRSTINSTANCE_ORG_MACHINE_MACHINE_USERNAME", "admin"),
        (
            "ZITADEL_FIRSTINSTANCE_ORG_MACHINE_MACHINE_NAME",
            "Automatically Initialized IAM_OWNER",
        ),
        (
            "ZITADEL_FIRSTINSTANCE_ORG_MACHINE_PAT_EXPIRATIONDATE",
            "2029-01-01T00:00:00Z",
        ),
    ]);
    def.cmd = [
        "start-from-init",
        "--masterkey",
        "MasterkeyNeedsToHave32Characters",
        "--tlsMode",
        "disabled",
    ]
    .map(str::to_owned)
    .to_vec();
    // As in compose: root, so ZITADEL may write the PAT into the directory created for it.
    def.user = Some("0".to_owned());
    def.network = Some(names.network.clone());
    def.ports.push(PortMap {
        host: port,
        container: HTTP_PORT,
    });
    def.files.push(FileCopy {
        path: format!("{PAT_DIR}/README"),
        content: b"ZITADEL writes the IAM_OWNER PAT of this test instance here.\n".to_vec(),
        mode: 0o644,
    });
    def
}

/// Both containers (ZITADEL first, so it stops before its database), the issuer and the
/// IAM_OWNER PAT.
#[derive(Debug)]
pub(crate) struct Started {
    /// ZITADEL, then PostgreSQL.
    pub(crate) containers: Vec<ContainerAsync<GenericImage>>,
    /// `http://localhost:{port}`.
    pub(crate) issuer: String,
    /// The IAM_OWNER personal access token.
    pub(crate) pat: String,
}

/// Starts PostgreSQL and ZITADEL, waits for ZITADEL's discovery document and reads the PAT.
pub(crate) async fn start(target: &str, client: &reqwest::Client) -> Result<Started, ContainerError> {
    let started = Instant::now();
    let names = Names::unique();
    let mut db = database(&names);
    db.startup = remaining(started)?;
    let db = definition::start(target, &db).await?;
    let port = definition::free_port()?;
    let mut app = definition(&names, port);
    app.startup = remaining(started)?;
    let app = definition::start(target, &app).await?;
    let issuer = issuer(port);
    let discovery = format!("{issuer}/.well-known/openid-configuration");
    definition::wait_http(client, &discovery, &app, started, READY).await?;
    let pat = read_pat(&app, started).await?;
    definition::progress(
        target,
        format_args!("ready after {} s, issuer {issuer}", started.elapsed().as_secs()),
    );
    Ok(Started {
        containers: vec![app, db],
        issuer,
        pat,
    })
}

/// What is left of the start-up budget.
fn remaining(started: Instant) -> Result<Duration, ContainerError> {
    let left = READY.saturating_sub(started.elapsed());
    if left.is_zero() {
        return Err(ContainerError::ZitadelNotReady {
            seconds: READY.as_secs(),
        });
    }
    Ok(left)
}

/// The PAT, read through the engine's archive API (the image has no `cat`): ZITADEL writes it
/// once the first instance is set up, which may be after the discovery document answers.
async fn read_pat(app: &ContainerAsync<GenericImage>, started: Instant) -> Result<String, ContainerError> {
    loop {
        if let Ok(bytes) = app.copy_file_from(PAT_PATH, Vec::new()).await {
            let pat = String::from_utf8_lossy(&bytes).trim().to_owned();
            if !pat.is_empty() {
                return Ok(pat);
            }
        }
        if started.elapsed() > READY {
            return Err(ContainerError::NoPat {
                path: PAT_PATH.to_owned(),
                seconds: READY.as_secs(),
                log: definition::log_tail(app, 3).await,
            });
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use std::collections::BTreeMap;

    const COMPOSE: &str = include_str!("../../../../../compose/zitadel.yml");

    /// `KEY: value` lines of the compose file, quotes removed.
    fn compose_env() -> BTreeMap<String, String> {
        COMPOSE
            .lines()
            .filter_map(|line| line.trim().split_once(": "))
            .filter(|(key, _)| {
                key.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            })
            .map(|(key, value)| (key.to_owned(), value.trim_matches('"').to_owned()))
            .collect()
    }

    fn names() -> Names {
        Names {
            network: "net-1".into(),
            db: "db-1".into(),
        }
    }

    #[test]
    fn zitadel_advertises_the_published_port_and_finds_its_database() {
        let def = definition(&names(), 41555);
        assert_eq!(def.descriptor(), "ghcr.io/zitadel/zitadel:v4.16.0");
        assert_eq!(
            def.cmd,
            [
                "start-from-init",
                "--masterkey",
                "MasterkeyNeedsToHave32Characters",
                "--tlsMode",
                "disabled"
            ]
        );
        assert_eq!(def.env_var("ZITADEL_EXTERNALPORT"), Some("41555"));
        assert_eq!(def.env_var("ZITADEL_EXTERNALDOMAIN"), Some("localhost"));
        assert_eq!(def.env_var("ZITADEL_DATABASE_POSTGRES_HOST"), Some("db-1"));
        assert_eq!(def.env_var("ZITADEL_FIRSTINSTANCE_PATPATH"), Some(PAT_PATH));
        assert_eq!(
            def.ports,
            [PortMap {
                host: 41555,
                container: 8080
            }]
        );
        assert_eq!(def.network.as_deref(), Some("net-1"));
        assert_eq!(def.user.as_deref(), Some("0"));
        assert!(def.files.iter().any(|file| file.path.starts_with(PAT_DIR)));
        assert!(PAT_PATH.starts_with(PAT_DIR));
        assert_eq!(issuer(41555), "http://localhost:41555");
    }

    #[test]
    fn the_database_is_the_one_zitadel_names() {
        let def = database(&names());
        assert_eq!(def.descriptor(), "postgres:17");
        assert_eq!(def.name.as_deref(), Some("db-1"));
        assert_eq!(def.network.as_deref(), Some("net-1"));
        assert_eq!(def.env_var("POSTGRES_PASSWORD"), Some("postgres"));
        assert_eq!(def.ready_log, Some((DB_READY.to_owned(), 2)));
        assert!(def.ports.is_empty(), "the database is not published");
    }

    #[test]
    fn the_environment_is_compose_s_except_port_database_host_and_pat_path() {
        let compose = compose_env();
        let def = definition(&names(), 41555);
        let per_run = [
            "ZITADEL_EXTERNALPORT",
            "ZITADEL_DATABASE_POSTGRES_HOST",
            "ZITADEL_FIRSTINSTANCE_PATPATH",
        ];
        for (key, value) in &def.env {
            if per_run.contains(&key.as_str()) {
                continue;
            }
            assert_eq!(compose.get(key), Some(value), "{key} differs from compose/zitadel.yml");
        }
        for key in compose.keys().filter(|key| key.starts_with("ZITADEL_")) {
            assert!(def.env_var(key).is_some(), "{key} of compose/zitadel.yml is missing");
        }
        for (key, value) in &database(&names()).env {
            assert_eq!(compose.get(key), Some(value), "{key} differs from compose/zitadel.yml");
        }
        assert!(COMPOSE.contains(&format!("image: {IMAGE}:{TAG}")));
        assert!(COMPOSE.contains(&format!("image: {DB_IMAGE}:{DB_TAG}")));
        let command: Vec<String> = COMPOSE
            .lines()
            .find_map(|line| line.trim().strip_prefix("command: "))
            .unwrap()
            .split_whitespace()
            .map(|word| word.trim_matches('"').to_owned())
            .collect();
        assert_eq!(command, def.cmd);
    }

    #[test]
    fn runs_get_their_own_names() {
        let names = Names::unique();
        assert!(names.network.starts_with("idp-harness-zitadel-"));
        assert!(names.db.starts_with("idp-harness-zitadel-db-"));
        assert_ne!(names.network, names.db);
    }
}
