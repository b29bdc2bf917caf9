//! The Confab server: axum + Leptos SSR over an embedded SQLite file or PostgreSQL.
//!
//! Layout (the data path of a message reads top to bottom):
//!
//! - [`config`]: command line and environment;
//! - [`ws`]: the `/ws` WebSocket transport: client frames in, hub frames out; [`uploads`]: the
//!   file upload and download routes, streaming to and from the [`blobs`] store;
//! - [`service`]: Confab's rules per domain (accounts, rooms, messages, the message writer),
//!   also serving the Leptos server functions through [`app::backend::ChatBackend`];
//! - [`storage`]: SQLite/PostgreSQL persistence behind one interface, with each room's change
//!   sequence;
//! - [`events`] and [`bus`]: what the domain publishes after each commit, in process or across
//!   nodes through PostgreSQL `LISTEN/NOTIFY`;
//! - [`relay`]: each node's bus subscriber: orders room changes by seq, loads what a notice
//!   only names, carries presence between nodes;
//! - [`hub`]: this node's connections, fan-out, presence and typing, with no transport code;
//!   [`outbox`]: the per-connection queue it fills;
//! - [`auth`]: argon2id passwords, hashed session tokens, login rate limits; [`extract`]: the
//!   authenticated caller; [`proxy`]: client addresses behind trusted proxies;
//! - [`origin`]: Origin checks; [`error`]: logging causes, hiding internals;
//! - [`metrics`]: counters served on `/metrics`.

#![recursion_limit = "256"]

pub mod auth;
pub mod backup;
pub mod blobs;
pub mod bus;
pub mod config;
pub mod error;
pub mod events;
pub mod extract;
pub mod hub;
pub mod metrics;
pub mod monitor;
pub mod origin;
pub mod outbox;
pub mod proxy;
pub mod relay;
pub mod service;
pub mod site;
pub mod storage;
pub mod uploads;
pub mod ws;

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use app::{
    backend::{ChatBackend, ClientIp},
    shell, App,
};
use axum::{
    body::Body,
    extract::{ConnectInfo, FromRef, Query, State},
    http::{header, HeaderValue, Request, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tokio::net::TcpListener;
use tower_http::{
    compression::{
        predicate::{DefaultPredicate, Predicate},
        CompressionLayer,
    },
    limit::RequestBodyLimitLayer,
    set_header::SetResponseHeaderLayer,
    trace::TraceLayer,
};

use crate::{
    auth::{LoginLimiter, LoginLimits},
    bus::{Bus, InProcessBus, PgBus},
    config::Config,
    events::NodeId,
    hub::{Hub, HubConfig},
    relay::RelayParts,
    service::{access::Access, ChatService, ServiceConfig},
    storage::{Dialect, Storage},
};

/// Request bodies larger than this are refused with 413 (forms and JSON are small).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub service: Arc<ChatService>,
    pub config: Arc<Config>,
    /// The relay task, stopped when the server is.
    pub relay: Arc<tokio::task::AbortHandle>,
    /// Marks the data directory as in use while the server runs (`restore` refuses it).
    pub in_use: Arc<std::fs::File>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// The Leptos options from cargo-leptos' environment, with defaults for plain `cargo run`.
pub fn leptos_options() -> anyhow_lite::Result<LeptosOptions> {
    // cargo-leptos names the output at build or run time; a plain `cargo build` does neither,
    // and Leptos would then print a confusing warning at every start.
    if option_env!("LEPTOS_OUTPUT_NAME").is_none() && std::env::var_os("LEPTOS_OUTPUT_NAME").is_none() {
        let var = |key: &str, default: &str| std::env::var(key).unwrap_or_else(|_| default.to_string());
        let addr = var("LEPTOS_SITE_ADDR", "127.0.0.1:3000");
        return Ok(LeptosOptions::builder()
            .output_name("confab")
            .site_root(var("LEPTOS_SITE_ROOT", "target/site"))
            .site_pkg_dir(var("LEPTOS_SITE_PKG_DIR", "pkg"))
            .site_addr(
                addr.parse::<SocketAddr>()
                    .map_err(|e| anyhow_lite::Error(format!("LEPTOS_SITE_ADDR {addr:?}: {e}")))?,
            )
            .build());
    }
    let mut options = get_configuration(None).map_err(|e| anyhow_lite::Error(e.to_string()))?.leptos_options;
    if options.output_name.is_empty() {
        options.output_name = "confab".into();
    }
    Ok(options)
}

/// Opens storage, applies migrations, and starts the bus, the relay and the service.
pub async fn build_state(config: Config, leptos_options: LeptosOptions) -> anyhow_lite::Result<AppState> {
    let fail = |e: &dyn std::fmt::Display| anyhow_lite::Error(e.to_string());
    std::fs::create_dir_all(&config.data_dir)
        .map_err(|e| anyhow_lite::Error(format!("cannot create {}: {e}", config.data_dir.display())))?;
    let in_use = crate::blobs::mark_in_use(&config.data_dir)
        .map_err(|e| anyhow_lite::Error(format!("cannot lock {}: {e}", config.data_dir.display())))?;
    let node: NodeId = Arc::from(config.node_id());
    let storage = Arc::new(Storage::connect(&config.database_url, node.clone()).await.map_err(|e| fail(&e))?);
    storage.set_scan(crate::storage::search::SCAN_WINDOW, config.search_read_limit);
    let (hub, presence) = Hub::new(HubConfig { queue_capacity: config.ws_queue.max(8), ..HubConfig::default() });
    let access = Access::new(storage.clone());
    let (to_relay, incoming) = tokio::sync::mpsc::unbounded_channel();
    let bus: Arc<dyn Bus> = match storage.dialect() {
        Dialect::Sqlite => Arc::new(InProcessBus::new(to_relay)),
        Dialect::Postgres => PgBus::start(&config.database_url, storage.pool().clone(), node.clone(), to_relay),
    };
    let limiter = LoginLimiter::new(LoginLimits {
        per_user_burst: config.login_burst_per_user,
        per_ip_burst: config.login_burst_per_ip,
        ..LoginLimits::default()
    });
    let service_config = ServiceConfig {
        session_ttl: config.session_ttl(),
        secure_cookies: config.secure_cookies,
        commit_interval: Duration::from_millis(config.commit_interval_ms),
        edit_window: Duration::from_secs(config.edit_window_mins * 60),
        files: config.file_limits(),
        blobs_dir: config.data_dir.join("blobs"),
        retain_days: config.retain_days,
    };
    let service = ChatService::new(node.clone(), storage, hub, bus, access, limiter, service_config)
        .await
        .map_err(|e| fail(&e))?;
    // Started after the service: events published meanwhile wait in its channel.
    let parts = RelayParts {
        node: node.clone(),
        storage: service.storage.clone(),
        hub: service.hub.clone(),
        access: service.access.clone(),
        bus: service.bus.clone(),
        monitor: service.monitor.clone(),
    };
    let relay = relay::spawn(parts, incoming, presence).abort_handle();
    tracing::info!(node = %node, "node ready");
    Ok(AppState { leptos_options, service, config: Arc::new(config), relay: Arc::new(relay), in_use: Arc::new(in_use) })
}

/// All of Confab's HTTP surface.
pub fn router(state: AppState) -> Router {
    let options = state.leptos_options.clone();
    let routes = generate_route_list(App);
    let backend: Arc<dyn ChatBackend> = state.service.clone();
    let not_found = not_found_page(&state);
    let files = tower::service_fn(move |req: Request<Body>| {
        let mut not_found = not_found.clone();
        async move {
            match site::file(req.method(), req.uri().path(), req.headers()) {
                Some(file) => Ok(file),
                None => tower::Service::call(&mut not_found, req).await,
            }
        }
    });
    let mut pages =
        Router::new().leptos_routes_with_context(&state, routes, move || provide_context(backend.clone()), {
            let options = options.clone();
            move || shell(options.clone())
        });
    // A debug build reads the site from disk as cargo-leptos writes it; a release binary
    // without the client explains itself rather than serving pages whose script is missing.
    if !cfg!(debug_assertions) && !site::has_client(&options) {
        tracing::error!("this binary has no web client: build it with `bash .ci/build.sh`");
        pages = pages.layer(middleware::from_fn(site::without_client));
    }

    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics::render))
        .route("/ws", get(ws::upgrade))
        .route("/api/emoji", get(emoji_catalog))
        .merge(pages)
        .fallback_service(files)
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        // Uploads stream large bodies, bounded by the upload and quota limits instead.
        .route("/api/files", post(uploads::upload))
        .route("/api/files/{id}", get(uploads::download))
        .route("/api/files/{id}/{variant}", get(uploads::download_variant))
        .layer(middleware::from_fn_with_state(state.clone(), origin::check_origin))
        .layer(middleware::from_fn_with_state(state.clone(), client_ip))
        .layer(middleware::from_fn(metrics::track))
        .layer(middleware::from_fn(error::server_fn_status))
        .layer(CompressionLayer::new().compress_when(DefaultPredicate::new().and(not_a_download)))
        // No other site may frame a page (clickjacking a Delete or a Leave), and nothing is
        // sniffed; a download keeps its own, stricter policy.
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("frame-ancestors 'none'"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// What answers a path that is neither a route nor a file (with status 404): a browser asking
/// for a page gets the app's own not-found page, with the navbar and a way back; anything else
/// an empty 404.
fn not_found_page(
    state: &AppState,
) -> impl tower::Service<
    Request<Body>,
    Response = Response,
    Error = std::convert::Infallible,
    Future = impl Future<Output = Result<Response, std::convert::Infallible>> + Send + 'static,
> + Clone
       + Send
       + Sync
       + 'static {
    let backend: Arc<dyn ChatBackend> = state.service.clone();
    let options = state.leptos_options.clone();
    let render = leptos_axum::render_app_to_stream_with_context(
        move || provide_context(backend.clone()),
        move || shell(options.clone()),
    );
    tower::service_fn(move |req: Request<Body>| {
        let render = render.clone();
        async move {
            if !site::wants_page(&req) {
                return Ok(StatusCode::NOT_FOUND.into_response());
            }
            let mut page = render(req).await;
            // It shows who is logged in: never stored by a shared cache.
            page.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            Ok(page)
        }
    })
}

/// Downloads go out as stored: compressing them would waste CPU on compressed formats and
/// break byte ranges.
fn not_a_download(
    _: StatusCode,
    _: axum::http::Version,
    headers: &axum::http::HeaderMap,
    _: &axum::http::Extensions,
) -> bool {
    !headers.contains_key(header::CONTENT_DISPOSITION)
}

/// `GET /healthz`: 200 when the database answers.
async fn healthz(State(state): State<AppState>) -> Response {
    match state.service.storage.ping().await {
        Ok(()) => Json(serde_json::json!({"status": "ok"})).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, Json(serde_json::json!({"status": "unavailable"}))).into_response()
        }
    }
}

/// `GET /api/emoji[?lang=th]`: every emoji with its name, search keywords and group, for the
/// reaction picker, names in the reader's language (see [`service::emoji::catalog_json`]).
/// The data is served (compressed, cached for a day) when the picker first opens instead of
/// being built into the WASM bundle.
async fn emoji_catalog(Query(query): Query<EmojiQuery>) -> Response {
    let names = service::emoji::Names::of(query.lang.as_deref());
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("application/json")),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400")),
        ],
        service::emoji::catalog_json(names),
    )
        .into_response()
}

#[derive(serde::Deserialize)]
struct EmojiQuery {
    lang: Option<String>,
}

/// Records the client's address for rate limits, where server functions can read it: the
/// peer, or behind a trusted proxy the address it forwards (see [`proxy`]).
async fn client_ip(State(state): State<AppState>, mut req: Request<Body>, next: Next) -> Response {
    if let Some(ConnectInfo(addr)) = req.extensions().get::<ConnectInfo<SocketAddr>>().copied() {
        let forwarded: Vec<&str> =
            req.headers().get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
        let ip = proxy::client_ip(addr.ip(), &forwarded, &state.config.trusted_proxies);
        req.extensions_mut().insert(ClientIp(ip));
    }
    next.run(req).await
}

/// Serves until `shutdown` resolves. Then closes every WebSocket with 1001 (clients move to
/// another node), drains in-flight requests and the message writer (everything accepted is
/// committed and published), and stops. Also runs housekeeping.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let service = state.service.clone();
    let housekeeping = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(600));
        loop {
            tick.tick().await;
            service.housekeeping().await;
        }
    });
    let service = state.service.clone();
    let relay = state.relay.clone();
    let hub = state.service.hub.clone();
    let shutdown = async move {
        shutdown.await;
        let closed = hub.close_all(app::protocol::CLOSE_GOING_AWAY, "server shutting down");
        tracing::info!(sockets = closed, "closing WebSockets");
    };
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    // Chat frames are small: without TCP_NODELAY, Nagle's algorithm meets delayed ACKs and a
    // frame can wait 40 ms.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!(error = %e, "cannot set TCP_NODELAY");
        }
        // A peer that stops reading (a phone asleep behind a NAT) would hold a WebSocket's
        // write, and its heartbeat behind it, for as long as TCP keeps probing: the kernel
        // gives up on data left unacknowledged for a minute instead.
        #[cfg(target_os = "linux")]
        if let Err(e) = socket2::SockRef::from(&*tcp).set_tcp_user_timeout(Some(Duration::from_secs(60))) {
            tracing::warn!(error = %e, "cannot set TCP_USER_TIMEOUT");
        }
    });
    let result = axum::serve(listener, app).with_graceful_shutdown(shutdown).await;
    service.messages.writer.drain().await;
    housekeeping.abort();
    relay.abort();
    service.storage.close().await;
    result
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}

/// A tiny error type for start-up failures (no need for anyhow's weight in the binary).
pub mod anyhow_lite {
    #[derive(Debug)]
    pub struct Error(pub String);
    impl std::fmt::Display for Error {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(&self.0)
        }
    }
    impl std::error::Error for Error {}
    pub type Result<T> = std::result::Result<T, Error>;
}
