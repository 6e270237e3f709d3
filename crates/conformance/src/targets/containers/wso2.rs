//! `container:wso2`: WSO2 Identity Server 7.1 (H2) with compose/wso2-deployment.toml — the one
//! source of its configuration — plus the HTTPS proxy port, so the issuer and every URL it
//! advertises carry the published port: WSO2 builds them from `[server] hostname` and the
//! management transport's `proxyPort` when one is set (`ServiceURLBuilder`/`IdentityUtil` in
//! carbon-identity-framework use `CarbonUtils.getTransportProxyPort` before the transport's own
//! port), while Tomcat keeps listening on 9443 inside the container. Its certificate is the
//! image's self-signed one, so this target's clients accept invalid certificates.

use super::definition::{self, ContainerDef, FileCopy, PortMap};
use crate::targets::ContainerError;
use std::time::{Duration, Instant};
use testcontainers::{ContainerAsync, GenericImage};

/// The image.
pub(crate) const IMAGE: &str = "wso2/wso2is";
/// The tag.
pub(crate) const TAG: &str = "7.1.0";
/// How long WSO2 IS may take to start (its first start migrates H2 for a minute or two).
pub(crate) const READY: Duration = Duration::from_secs(300);
/// The HTTPS port in the container.
const HTTPS_PORT: u16 = 9443;
/// Where the image's entrypoint picks the configuration up from.
const CONFIG_PATH: &str = "/home/wso2carbon/wso2-config-volume/repository/conf/deployment.toml";
/// The configuration compose mounts; the container gets the same plus its proxy port.
pub(crate) const DEPLOYMENT_TOML: &str = include_str!("../../../../../compose/wso2-deployment.toml");

/// compose/wso2-deployment.toml with `[transport.https.properties] proxyPort = {port}`.
pub(crate) fn deployment_toml(port: u16) -> String {
    format!(
        "{}\n# container:wso2: advertise the port published on the host (Tomcat listens on {HTTPS_PORT}).\n\
         [transport.https.properties]\nproxyPort = {port}\n",
        DEPLOYMENT_TOML.trim_end()
    )
}

/// `https://localhost:{port}`: where the admin APIs (SCIM 2, DCR) are.
pub(crate) fn base_url(port: u16) -> String {
    format!("https://localhost:{port}")
}

/// The issuer when WSO2 IS is published on `port`.
pub(crate) fn issuer(port: u16) -> String {
    format!("{}/oauth2/token", base_url(port))
}

/// The container: the image's command, the configuration with the proxy port, `port` on the
/// host forwarded to 9443.
pub(crate) fn definition(port: u16) -> ContainerDef {
    let mut def = ContainerDef::new(IMAGE, TAG, READY);
    def.ports.push(PortMap {
        host: port,
        container: HTTPS_PORT,
    });
    def.files.push(FileCopy {
        path: CONFIG_PATH.to_owned(),
        content: deployment_toml(port).into_bytes(),
        mode: 0o644,
    });
    def
}

/// Starts WSO2 IS and waits for its discovery document; returns the container and the port.
pub(crate) async fn start(
    target: &str,
    client: &reqwest::Client,
) -> Result<(ContainerAsync<GenericImage>, u16), ContainerError> {
    let started = Instant::now();
    let port = definition::free_port()?;
    let container = definition::start(target, &definition(port)).await?;
    let discovery = format!("{}/.well-known/openid-configuration", issuer(port));
    definition::wait_http(client, &discovery, &container, started, READY).await?;
    definition::progress(
        target,
        format_args!("ready after {} s, issuer {}", started.elapsed().as_secs(), issuer(port)),
    );
    Ok((container, port))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn the_configuration_is_compose_s_plus_the_proxy_port() {
        let text = deployment_toml(41999);
        assert!(text.starts_with(DEPLOYMENT_TOML.trim_end()));
        let config: toml::Table = toml::from_str(&text).unwrap();
        assert_eq!(
            config["transport"]["https"]["properties"]["proxyPort"].as_integer(),
            Some(41999)
        );
        assert_eq!(config["server"]["hostname"].as_str(), Some("localhost"));
        assert_eq!(config["super_admin"]["username"].as_str(), Some("admin"));
        assert_eq!(config["super_admin"]["password"].as_str(), Some("admin"));
        // compose's own file stays without a proxy port (it publishes 9443 as 9443).
        let compose: toml::Table = toml::from_str(DEPLOYMENT_TOML).unwrap();
        assert!(compose.get("transport").is_none());
    }

    #[test]
    fn the_container_publishes_9443_on_the_chosen_port() {
        let def = definition(41999);
        assert_eq!(def.descriptor(), "wso2/wso2is:7.1.0");
        assert!(def.cmd.is_empty(), "the image's own command");
        assert_eq!(
            def.ports,
            [PortMap {
                host: 41999,
                container: 9443
            }]
        );
        let [file] = def.files.as_slice() else {
            panic!("one file expected");
        };
        assert_eq!(file.path, CONFIG_PATH);
        assert_eq!(String::from_utf8(file.content.clone()).unwrap(), deployment_toml(41999));
        assert_eq!(def.startup, Duration::from_secs(300));
        assert_eq!(issuer(41999), "https://localhost:41999/oauth2/token");
        assert_eq!(base_url(41999), "https://localhost:41999");
    }

    #[test]
    fn compose_runs_the_same_image_and_mounts_the_same_file() {
        let compose = include_str!("../../../../../compose/wso2.yml");
        assert!(compose.contains(&format!("image: {IMAGE}:{TAG}")));
        assert!(compose.contains(&format!("./wso2-deployment.toml:{CONFIG_PATH}")));
    }
}
