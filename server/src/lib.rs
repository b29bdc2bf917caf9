//! The Confab server: axum + Leptos SSR over an embedded SQLite file or PostgreSQL.
//!
//! Layout (the data path of a message reads top to bottom):
//!
//! - [`config`]: command line and environment;
//! - [`ws`]: the `/ws` WebSocket transport: client frames in, hub frames out;
//! - [`service`]: Confab's rules (authorization, validation, idempotency) over storage and hub,
//!   also serving the Leptos server functions through [`app::backend::ChatBackend`];
//! - [`storage`]: SQLite/PostgreSQL persistence behind one interface;
//! - [`hub`]: rooms, fan-out, presence and typing, with no transport code; [`outbox`]: the
//!   per-connection queue it fills;
//! - [`auth`]: argon2id passwords, hashed session tokens, login rate limits;
//! - [`origin`]: Origin checks; [`error`]: logging causes, hiding internals;
//! - [`metrics`]: counters served on `/metrics`.

#![recursion_limit = "256"]

pub mod auth;
pub mod config;
pub mod error;
pub mod hub;
pub mod metrics;
pub mod origin;
pub mod outbox;
pub mod service;
pub mod storage;
pub mod ws;

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use app::{
    backend::{ChatBackend, ClientIp},
    shell, App,
};
use axum::{
    body::Body,
    extract::{ConnectInfo, FromRef, State},
    http::{header, HeaderValue, Request, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tokio::net::TcpListener;
use tower_http::{
    compression::CompressionLayer, limit::RequestBodyLimitLayer, services::ServeDir,
    set_header::SetResponseHeaderLayer, trace::TraceLayer,
};

use crate::{
    auth::{LoginLimiter, LoginLimits},
    config::Config,
    hub::{Hub, HubConfig},
    service::{ChatService, ServiceConfig},
    storage::Storage,
};

/// Request bodies larger than this are refused with 413 (forms and JSON are small).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub service: Arc<ChatService>,
    pub config: Arc<Config>,
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

/// Opens storage, applies migrations and builds the service.
pub async fn build_state(config: Config, leptos_options: LeptosOptions) -> anyhow_lite::Result<AppState> {
    std::fs::create_dir_all(&config.data_dir)
        .map_err(|e| anyhow_lite::Error(format!("cannot create {}: {e}", config.data_dir.display())))?;
    let storage =
        Arc::new(Storage::connect(&config.database_url).await.map_err(|e| anyhow_lite::Error(e.to_string()))?);
    let hub = Hub::new(HubConfig { queue_capacity: config.ws_queue.max(8), ..HubConfig::default() });
    let limiter = LoginLimiter::new(LoginLimits {
        per_user_burst: config.login_burst_per_user,
        per_ip_burst: config.login_burst_per_ip,
        ..LoginLimits::default()
    });
    let service_config = ServiceConfig {
        session_ttl: config.session_ttl(),
        secure_cookies: config.secure_cookies,
        commit_interval: Duration::from_millis(config.commit_interval_ms),
    };
    let service =
        ChatService::new(storage, hub, limiter, service_config).await.map_err(|e| anyhow_lite::Error(e.to_string()))?;
    Ok(AppState { leptos_options, service, config: Arc::new(config) })
}

/// All of Confab's HTTP surface.
pub fn router(state: AppState) -> Router {
    let options = state.leptos_options.clone();
    let routes = generate_route_list(App);
    let backend: Arc<dyn ChatBackend> = state.service.clone();
    let site_root = options.site_root.to_string();
    let pkg_dir = format!("{site_root}/{}", options.site_pkg_dir);

    // Build output keeps its name across builds: revalidate (304 when unchanged) every time.
    let pkg = Router::new()
        .fallback_service(ServeDir::new(pkg_dir).precompressed_br().precompressed_gzip())
        .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static("no-cache")));
    let assets = ServeDir::new(site_root).precompressed_br().precompressed_gzip();

    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics::render))
        .route("/ws", get(ws::upgrade))
        .leptos_routes_with_context(&state, routes, move || provide_context(backend.clone()), {
            let options = options.clone();
            move || shell(options.clone())
        })
        .nest("/pkg", pkg)
        .fallback_service(
            Router::new()
                .fallback_service(assets)
                .layer(SetResponseHeaderLayer::if_not_present(
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=3600"),
                ))
                .with_state(()),
        )
        .layer(middleware::from_fn_with_state(state.clone(), origin::check_origin))
        .layer(middleware::from_fn(client_ip))
        .layer(middleware::from_fn(metrics::track))
        .layer(middleware::from_fn(error::server_fn_status))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
        .with_state(state)
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

/// Records the peer address for rate limits, where server functions can read it.
async fn client_ip(mut req: Request<Body>, next: Next) -> Response {
    if let Some(ConnectInfo(addr)) = req.extensions().get::<ConnectInfo<SocketAddr>>().copied() {
        req.extensions_mut().insert(ClientIp(addr.ip()));
    }
    next.run(req).await
}

/// Serves until `shutdown` resolves, then drains in-flight requests. Also runs housekeeping.
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
    let storage = state.service.storage.clone();
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    // Chat frames are small: without TCP_NODELAY, Nagle's algorithm meets delayed ACKs and a
    // frame can wait 40 ms.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!(error = %e, "cannot set TCP_NODELAY");
        }
    });
    let result = axum::serve(listener, app).with_graceful_shutdown(shutdown).await;
    housekeeping.abort();
    storage.close().await;
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
