//! Why a `container:<provider>` target could not be started or set up: one variant per cause,
//! each rendering on one line (foreign errors folded), with the cause as its source where there
//! is one.

/// Why a `container:<provider>` target could not be started or set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ContainerError {
    /// conformance was built without its `containers` feature.
    #[error("the container target needs conformance's `containers` feature (on by default)")]
    FeatureOff,
    /// The provider has no container definition.
    #[error("no container for this provider (container targets: keycloak, zitadel, wso2)")]
    NoContainer,
    /// `DOCKER_HOST` names a scheme container targets do not speak.
    #[error("unsupported DOCKER_HOST `{0}` (container targets speak to unix://, tcp:// or http:// engines)")]
    UnsupportedHost(String),
    /// The engine's host name does not resolve.
    #[error("cannot resolve the Docker engine address `{authority}`: {source}")]
    Resolve {
        /// The `host:port` of `DOCKER_HOST`.
        authority: String,
        /// What the resolver said.
        #[source]
        source: std::io::Error,
    },
    /// Nothing accepted a connection where the engine should be.
    #[error("no Docker engine reachable at {host} ({address}: {source})")]
    Unreachable {
        /// `DOCKER_HOST` as given.
        host: String,
        /// The socket address or path last tried.
        address: String,
        /// Why the connection failed.
        #[source]
        source: std::io::Error,
    },
    /// No free loopback port to publish the provider on.
    #[error("no free port: {0}")]
    Port(#[source] std::io::Error),
    /// The HTTP client that waits for and sets up the provider could not be built.
    #[error("HTTP client: {0}")]
    HttpClient(#[source] reqwest::Error),
    /// The Keycloak realm file could not be written.
    #[error("realm export: {0}")]
    RealmExport(#[source] serde_json::Error),
    /// testcontainers could not reach the engine.
    #[cfg(feature = "containers")]
    #[error("Docker client: {}", one_line(.0))]
    DockerClient(#[source] testcontainers::core::client::ClientError),
    /// Pulling an image took longer than its budget.
    #[error("pulling {image} took longer than {seconds} s")]
    PullTimeout {
        /// `image:tag`.
        image: String,
        /// The budget.
        seconds: u64,
    },
    /// The engine could not pull an image.
    #[cfg(feature = "containers")]
    #[error("cannot pull {image}: {}", pull_error(.source))]
    Pull {
        /// `image:tag`.
        image: String,
        /// What testcontainers said.
        #[source]
        source: testcontainers::TestcontainersError,
    },
    /// The engine could not create or start a container.
    #[cfg(feature = "containers")]
    #[error("cannot start {image}: {}", one_line(.source))]
    Start {
        /// `image:tag`.
        image: String,
        /// What testcontainers said.
        #[source]
        source: testcontainers::TestcontainersError,
    },
    /// Creating and starting a container took longer than its budget.
    #[error("{image} did not start within {seconds} s")]
    StartTimeout {
        /// `image:tag`.
        image: String,
        /// The budget.
        seconds: u64,
    },
    /// Starting failed and the container it left could not be removed either.
    #[error("{failure}; {cleanup}")]
    LeftBehind {
        /// Why starting failed.
        #[source]
        failure: Box<ContainerError>,
        /// Why the leftover was not removed.
        cleanup: Box<ContainerError>,
    },
    /// The engine could not list the containers a failed start left.
    #[cfg(feature = "containers")]
    #[error("cannot list containers labelled {label}: {}", one_line(.source))]
    List {
        /// `label=value`.
        label: String,
        /// What the engine said.
        #[source]
        source: testcontainers::bollard::errors::Error,
    },
    /// The engine could not remove a container a failed start left.
    #[cfg(feature = "containers")]
    #[error("container {id} left behind: {}", one_line(.source))]
    Remove {
        /// The container id.
        id: String,
        /// What the engine said.
        #[source]
        source: testcontainers::bollard::errors::Error,
    },
    /// Removing a failed start's containers took longer than its budget.
    #[error("removing the containers labelled {label} took longer than {seconds} s")]
    RemoveTimeout {
        /// `label=value`.
        label: String,
        /// The budget.
        seconds: u64,
    },
    /// The container stopped before the provider answered.
    #[error("{image} exited (code {}) before {url} answered; last log: {log}", code.map_or_else(|| "unknown".to_owned(), |code| code.to_string()))]
    Exited {
        /// The image name.
        image: String,
        /// Its exit code, when the engine reports one.
        code: Option<i64>,
        /// The URL that was polled.
        url: String,
        /// The last lines of its output, joined with ` | `.
        log: String,
    },
    /// The provider did not answer within its start-up budget.
    #[error("{image} was not ready after {seconds} s ({url}); last log: {log}")]
    NotReady {
        /// The image name.
        image: String,
        /// The budget.
        seconds: u64,
        /// The URL that was polled.
        url: String,
        /// The last lines of its output, joined with ` | `.
        log: String,
    },
    /// ZITADEL's start-up budget ran out before its database and server were started.
    #[error("ZITADEL was not ready after {seconds} s")]
    ZitadelNotReady {
        /// The budget.
        seconds: u64,
    },
    /// ZITADEL did not write the admin's personal access token.
    #[error("ZITADEL wrote no PAT to {path} within {seconds} s; last log: {log}")]
    NoPat {
        /// Where ZITADEL writes it.
        path: String,
        /// The budget.
        seconds: u64,
        /// The last lines of its output, joined with ` | `.
        log: String,
    },
    /// Setting up the World over the admin API took longer than its budget.
    #[error("setting up the World took longer than {seconds} s")]
    SetupTimeout {
        /// The budget.
        seconds: u64,
    },
    /// A setup step failed.
    #[cfg(feature = "containers")]
    #[error("setting up the World: {}", one_line(.0))]
    Setup(#[source] super::containers::ProvisionError),
    /// The World could not be rebound to the ids and secrets the provider generated.
    #[cfg(feature = "containers")]
    #[error("binding the World: {}", one_line(.0))]
    Bind(#[source] super::containers::ProvisionError),
}

/// `error`'s text with its line breaks folded, so an error stays on one line.
#[cfg(feature = "containers")]
pub(crate) fn one_line(error: &impl std::fmt::Display) -> String {
    error.to_string().split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Why a pull failed, without testcontainers' repetition of the image name.
#[cfg(feature = "containers")]
fn pull_error(err: &testcontainers::TestcontainersError) -> String {
    use testcontainers::core::client::ClientError;
    match err {
        testcontainers::TestcontainersError::Client(ClientError::PullImage { err, .. }) => one_line(err),
        other => one_line(other),
    }
}
