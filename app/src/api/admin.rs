//! What instance admins see.

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

#[cfg(feature = "ssr")]
use super::ssr;
use crate::{types::MonitorView, AppError};

/// `GET /api/admin/monitor`: every live node's samples over the last 15 minutes
/// (connections, online users, messages and deliveries per second, delivery latency p50/p99,
/// memory, database size), one every `interval_secs`. 403 for anyone but an instance admin.
#[server(prefix = "/api", endpoint = "admin/monitor", input = GetUrl)]
pub async fn admin_monitor() -> Result<MonitorView, AppError> {
    let me = ssr::me().await?;
    crate::backend::backend()?.monitor(&me).await
}
