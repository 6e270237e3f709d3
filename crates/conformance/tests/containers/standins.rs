//! The stand-ins for ZITADEL and WSO2 IS: an in-process `MockIdp` of the provider's flavor at
//! the public URL the container's configuration advertises, behind a small router that answers
//! the provider's admin API calls (the ones `providers::<provider>::setup::plan` makes) itself
//! and forwards everything else to the mock; for WSO2 a TLS terminator with a self-signed
//! certificate in front. Every request the router sees is recorded.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use mock_idp::{MockIdp, Provider, World};
use providers::ClientKind;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{oneshot, watch};

/// One request the stand-in's router saw.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    /// Whether the admin fake answered it (else it went to the mock).
    pub admin: bool,
    /// The method.
    pub method: String,
    /// The path (no query).
    pub path: String,
    /// The `Authorization` header, empty when absent.
    pub authorization: String,
    /// The JSON body (`null` when none or not JSON).
    pub body: Value,
    /// The status answered.
    pub status: u16,
}

/// What a stand-in recorded, shared with the engine's container record.
#[derive(Debug, Clone, Default)]
pub(crate) struct Recording {
    seen: Arc<Mutex<Vec<Seen>>>,
    handshakes: Arc<AtomicUsize>,
}

impl Recording {
    /// Every request so far, in arrival order.
    pub(crate) fn seen(&self) -> Vec<Seen> {
        self.seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The TLS handshakes the terminator completed.
    pub(crate) fn handshakes(&self) -> usize {
        self.handshakes.load(Ordering::SeqCst)
    }

    fn push(&self, seen: Seen) {
        self.seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(seen);
    }
}

/// Which admin API the router answers.
#[derive(Debug, Clone)]
pub(crate) enum Admin {
    /// ZITADEL's Management, Admin and User v2 APIs (`/management/`, `/admin/`, `/v2/`),
    /// authenticated with `Bearer <pat>`.
    Zitadel {
        /// The IAM_OWNER PAT the container wrote.
        pat: String,
    },
    /// WSO2's SCIM 2 (`/scim2/`) and DCR (`/api/identity/`), authenticated as `admin:admin`.
    Wso2,
}

impl Admin {
    fn handles(&self, path: &str) -> bool {
        let prefixes: &[&str] = match self {
            Admin::Zitadel { .. } => &["/management/", "/admin/", "/v2/"],
            Admin::Wso2 => &["/scim2/", "/api/identity/"],
        };
        prefixes.iter().any(|prefix| path.starts_with(prefix))
    }

    fn authorized(&self, authorization: &str) -> bool {
        match self {
            Admin::Zitadel { pat } => authorization == format!("Bearer {pat}"),
            Admin::Wso2 => authorization == "Basic YWRtaW46YWRtaW4=",
        }
    }

    fn answer(&self, method: &str, path: &str, body: &Value) -> Option<(StatusCode, Value)> {
        match self {
            Admin::Zitadel { .. } => {
                crate::zitadel_admin::answer(method, path, body).map(|answer| (StatusCode::OK, answer))
            }
            Admin::Wso2 => wso2_answer(method, path, body),
        }
    }
}

/// WSO2 IS 7's answers to the default World's plan: SCIM ids `scim-<userName>` and
/// `role-<displayName>`, DCR echoing the requested client id and secret; 404 for a path whose
/// placeholders were not filled with those ids.
fn wso2_answer(method: &str, path: &str, body: &Value) -> Option<(StatusCode, Value)> {
    let answer = match (method, path) {
        ("POST", "/scim2/Users") => (
            StatusCode::CREATED,
            json!({"id": format!("scim-{}", body["userName"].as_str()?), "userName": body["userName"]}),
        ),
        ("PATCH", p) if p.starts_with("/scim2/Users/scim-") => {
            (StatusCode::OK, json!({"id": &p["/scim2/Users/".len()..]}))
        }
        ("POST", "/api/identity/oauth2/dcr/v1.1/register") => (
            StatusCode::CREATED,
            json!({
                "client_name": body["client_name"],
                "client_id": body["ext_param_client_id"].as_str()?,
                "client_secret": body["ext_param_client_secret"],
                "redirect_uris": body["redirect_uris"],
                "grant_types": body["grant_types"]
            }),
        ),
        ("POST", "/scim2/v2/Roles") => (
            StatusCode::CREATED,
            json!({"id": format!("role-{}", body["displayName"].as_str()?), "displayName": body["displayName"]}),
        ),
        ("PATCH", p) if p.starts_with("/scim2/v2/Roles/role-") => {
            let members = body["Operations"][0]["value"].as_array()?;
            if !members
                .iter()
                .all(|member| member["value"].as_str().is_some_and(|id| id.starts_with("scim-")))
            {
                return None;
            }
            (StatusCode::OK, json!({"id": &p["/scim2/v2/Roles/".len()..]}))
        }
        _ => return None,
    };
    Some(answer)
}

/// The default World as ZITADEL holds it after the plan ran against [`crate::zitadel_admin`]:
/// every client the plan binds carries the generated id and secret (users' client roles
/// re-keyed), so the mock behind the stand-in knows the clients the target acts as.
pub(crate) fn zitadel_world(world: &World) -> World {
    let mut bound = world.clone();
    for realm in bound.realms.values_mut() {
        let plan = providers::zitadel::setup::plan(realm);
        for binding in &plan.client_bindings {
            let Some(mut client) = realm.clients.remove(&binding.world_client_id) else {
                continue;
            };
            let name = binding.world_client_id.clone();
            // A machine user (ZITADEL's client_credentials client) keeps its user name as id.
            let machine = plan.steps.iter().any(|step| {
                step.path == "/management/v1/users/machine"
                    && step.body.as_ref().is_some_and(|body| body["userName"] == name.as_str())
            });
            if !machine {
                client.id = crate::zitadel_admin::client_id(&name);
            }
            if let ClientKind::Confidential { secret } = &mut client.kind {
                *secret = crate::zitadel_admin::client_secret(&name).into();
            }
            for user in realm.users.values_mut() {
                if let Some(roles) = user.client_roles.remove(&name) {
                    user.client_roles.insert(client.id.clone(), roles);
                }
            }
            realm.clients.insert(client.id.clone(), client);
        }
    }
    bound
}

#[derive(Clone)]
struct Front {
    admin: Admin,
    recording: Recording,
    mock: String,
    client: reqwest::Client,
}

/// What a stand-in serves.
#[derive(Debug, Clone)]
pub(crate) struct StandIn {
    /// The mock's flavor.
    pub provider: Provider,
    /// The World the mock serves.
    pub world: World,
    /// The URL the mock advertises (issuer and endpoints).
    pub public_url: String,
    /// The admin API answered in front of the mock.
    pub admin: Admin,
    /// Whether the published port speaks TLS (self-signed certificate for `localhost`).
    pub tls: bool,
}

/// Starts `stand_in` on `listener` (the published host port): the mock at its public URL, the
/// router with the admin fake in front of it, and with `tls` a TLS terminator on `listener`
/// forwarding to the router. Everything stops when `stop` fires (or its sender is dropped).
/// Must be called inside a Tokio runtime.
pub(crate) fn serve(
    listener: std::net::TcpListener,
    stand_in: StandIn,
    recording: Recording,
    stop: oneshot::Receiver<()>,
) -> Result<(), String> {
    let StandIn {
        provider,
        world,
        public_url,
        admin,
        tls,
    } = stand_in;
    let (stopping, stopped) = watch::channel(false);
    tokio::spawn(async move {
        let _ = stop.await;
        let _ = stopping.send(true);
    });
    let shutdown = move || {
        let mut stopped = stopped.clone();
        async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        }
    };

    let mock_listener = loopback_listener()?;
    let mock_address = mock_listener.local_addr().map_err(|err| err.to_string())?;
    let builder = MockIdp::builder()
        .provider(provider)
        .world(world)
        .public_url(public_url);
    let mock_shutdown = shutdown();
    tokio::spawn(async move {
        let _ = builder.serve_until(mock_listener, |_, _| {}, mock_shutdown).await;
    });

    let client = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|err| err.to_string())?;
    let front = Front {
        admin,
        recording: recording.clone(),
        mock: format!("http://{mock_address}"),
        client,
    };
    let app = axum::Router::new().fallback(route).with_state(front);
    listener.set_nonblocking(true).map_err(|err| err.to_string())?;
    let published = tokio::net::TcpListener::from_std(listener).map_err(|err| err.to_string())?;
    if tls {
        let router_listener = loopback_listener()?;
        let router_address = router_listener.local_addr().map_err(|err| err.to_string())?;
        let router_shutdown = shutdown();
        tokio::spawn(async move {
            let _ = axum::serve(router_listener, app)
                .with_graceful_shutdown(router_shutdown)
                .await;
        });
        let acceptor = tls_acceptor()?;
        tokio::spawn(terminate_tls(
            published,
            acceptor,
            router_address,
            recording,
            shutdown(),
        ));
    } else {
        let router_shutdown = shutdown();
        tokio::spawn(async move {
            let _ = axum::serve(published, app)
                .with_graceful_shutdown(router_shutdown)
                .await;
        });
    }
    Ok(())
}

fn loopback_listener() -> Result<tokio::net::TcpListener, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|err| err.to_string())?;
    listener.set_nonblocking(true).map_err(|err| err.to_string())?;
    tokio::net::TcpListener::from_std(listener).map_err(|err| err.to_string())
}

/// A TLS server for `localhost` with a fresh self-signed certificate, on rustls' ring
/// provider (no process-wide default provider needed).
fn tls_acceptor() -> Result<tokio_rustls::TlsAcceptor, String> {
    use tokio_rustls::rustls::ServerConfig;
    use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).map_err(|err| err.to_string())?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der()));
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| err.to_string())?
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .map_err(|err| err.to_string())?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// Accepts TLS connections on `listener` and forwards each, decrypted, to `backend`.
async fn terminate_tls(
    listener: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    backend: SocketAddr,
    recording: Recording,
    shutdown: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => return,
        };
        let Ok((tcp, _)) = accepted else { continue };
        let acceptor = acceptor.clone();
        let recording = recording.clone();
        tokio::spawn(async move {
            let Ok(mut tls) = acceptor.accept(tcp).await else {
                return;
            };
            recording.handshakes.fetch_add(1, Ordering::SeqCst);
            let Ok(mut plain) = tokio::net::TcpStream::connect(backend).await else {
                return;
            };
            let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
        });
    }
}

async fn route(State(front): State<Front>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let path = uri.path().to_owned();
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let admin = front.admin.handles(&path);
    let response = if admin {
        if !front.admin.authorized(&authorization) {
            (
                StatusCode::UNAUTHORIZED,
                "{\"code\":16,\"message\":\"unauthenticated\"}",
            )
                .into_response()
        } else {
            match front.admin.answer(method.as_str(), &path, &json) {
                Some((status, answer)) => {
                    (status, [(header::CONTENT_TYPE, "application/json")], answer.to_string()).into_response()
                }
                None => (StatusCode::NOT_FOUND, "{\"code\":5,\"message\":\"Not Found\"}").into_response(),
            }
        }
    } else {
        proxy(&front, method.clone(), &uri, &headers, body).await
    };
    front.recording.push(Seen {
        admin,
        method: method.to_string(),
        path,
        authorization,
        body: json,
        status: response.status().as_u16(),
    });
    response
}

/// Forwards the request to the mock and its answer back, redirects included.
async fn proxy(front: &Front, method: Method, uri: &Uri, headers: &HeaderMap, body: Bytes) -> Response {
    let target = format!("{}{}", front.mock, uri.path_and_query().map_or("/", |pq| pq.as_str()));
    let mut request = front.client.request(method, target).body(body);
    for (name, value) in headers {
        if ![
            header::HOST,
            header::CONTENT_LENGTH,
            header::CONNECTION,
            header::TRANSFER_ENCODING,
        ]
        .contains(name)
        {
            request = request.header(name, value);
        }
    }
    let answered = match request.send().await {
        Ok(answered) => answered,
        Err(err) => return (StatusCode::BAD_GATEWAY, format!("stand-in: mock unreachable: {err}")).into_response(),
    };
    let status = answered.status();
    let mut forwarded = HeaderMap::new();
    for (name, value) in answered.headers() {
        if ![header::CONTENT_LENGTH, header::CONNECTION, header::TRANSFER_ENCODING].contains(name) {
            forwarded.append(name, value.clone());
        }
    }
    let bytes = answered.bytes().await.unwrap_or_default();
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    *response.headers_mut() = forwarded;
    response
}
