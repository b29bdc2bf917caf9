//! The event bus: the one way events reach the relay of every node.
//!
//! The domain calls [`Bus::publish`] after each commit; the [`relay`](crate::relay) of every
//! node receives an [`Incoming`]. Two implementations:
//!
//! - [`InProcessBus`]: one server; the event goes straight to this node's relay.
//! - [`PgBus`]: several servers on one PostgreSQL database. Room changes were already
//!   `NOTIFY`ed by the storage *inside* their transaction (so a notice exists exactly when the
//!   commit does); ephemeral events (typing, presence, heartbeats, ended sessions) are
//!   `NOTIFY`ed here, in order, from one task. A listener task `LISTEN`s on its own connection.
//!   When that connection fails (sqlx reports a reset as `Err`, and drops whatever was sent
//!   meanwhile) it connects again and tells the relay to [`Incoming::Resync`]: catch up by seq
//!   from the tables for every room it serves.
//!
//! The interface is one method and one channel, so NATS or Redis could carry it too (they
//! would publish room changes after the commit instead of inside it).

use std::{str::FromStr, sync::Arc, time::Duration};

use sqlx::{
    postgres::{PgConnectOptions, PgListener, PgPoolOptions},
    AnyPool,
};
use tokio::sync::mpsc;

use crate::events::{Event, NodeId, Notice};

/// The PostgreSQL channel every node `LISTEN`s on.
pub const CHANNEL: &str = "confab_events";

/// What a node's relay receives.
#[derive(Debug)]
pub enum Incoming {
    /// Published on this node: complete, nothing to load.
    Local(Event),
    /// From another node: room changes come without their messages.
    Remote(Event),
    /// The listener was connected (`missed`: connected again, after an outage in which other
    /// nodes' notices may have been lost).
    Resync { missed: bool },
}

pub trait Bus: Send + Sync + 'static {
    /// Hands an event that was just committed (or, for ephemeral ones, just happened) to the
    /// relay of every node, this one's included.
    fn publish(&self, event: Event);
}

/// One server: events go to this node's relay only.
pub struct InProcessBus {
    relay: mpsc::UnboundedSender<Incoming>,
}

impl InProcessBus {
    pub fn new(relay: mpsc::UnboundedSender<Incoming>) -> Self {
        let _ = relay.send(Incoming::Resync { missed: false });
        Self { relay }
    }
}

impl Bus for InProcessBus {
    fn publish(&self, event: Event) {
        let _ = self.relay.send(Incoming::Local(event));
    }
}

/// Several servers on one PostgreSQL database (see the module docs).
pub struct PgBus {
    node: NodeId,
    relay: mpsc::UnboundedSender<Incoming>,
    notices: mpsc::UnboundedSender<String>,
    tasks: [tokio::task::JoinHandle<()>; 2],
}

impl PgBus {
    /// Starts the listener (on its own connection to `url`) and the notice sender (on `pool`).
    pub fn start(url: &str, pool: AnyPool, node: NodeId, relay: mpsc::UnboundedSender<Incoming>) -> Arc<Self> {
        let (notices, queue) = mpsc::unbounded_channel();
        let listener = tokio::spawn(listen(url.to_string(), node.clone(), relay.clone()));
        let sender = tokio::spawn(send_notices(pool, queue));
        Arc::new(Self { node, relay, notices, tasks: [listener, sender] })
    }
}

impl Bus for PgBus {
    fn publish(&self, event: Event) {
        if !event.notified_in_commit() {
            let _ = self.notices.send(event.notice(&self.node).to_json());
        }
        let _ = self.relay.send(Incoming::Local(event));
    }
}

impl Drop for PgBus {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// How long the listener may hear nothing before it is taken for dead: four of this node's
/// own heartbeats ([`crate::relay::HEARTBEAT_EVERY`]), which it hears like any notice.
const LISTENER_SILENT: Duration = Duration::from_secs(20);

/// Sends ephemeral notices one after another, so a node's typing "on" never overtakes its "off".
async fn send_notices(pool: AnyPool, mut queue: mpsc::UnboundedReceiver<String>) {
    while let Some(payload) = queue.recv().await {
        let sent = sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(&payload).execute(&pool).await;
        if let Err(e) = sent {
            tracing::warn!(error = %e, "cannot send a notice to other nodes");
        }
    }
}

/// Listens for other nodes' notices, reconnecting (with backoff) whenever the connection
/// fails, and asking the relay to resync after every (re)connection.
async fn listen(url: String, node: NodeId, relay: mpsc::UnboundedSender<Incoming>) {
    let mut backoff = Duration::from_millis(100);
    let mut connected_before = false;
    loop {
        match connect_listener(&url, &node).await {
            Ok(mut listener) => {
                backoff = Duration::from_millis(100);
                tracing::info!(node = %node, "listening for other nodes' events");
                if relay.send(Incoming::Resync { missed: connected_before }).is_err() {
                    return;
                }
                connected_before = true;
                loop {
                    // This node's own heartbeat comes back every few seconds: a connection
                    // that hears nothing for longer died without a reset (a failover, a NAT
                    // or proxy dropping it), which no read would ever report.
                    let Ok(received) = tokio::time::timeout(LISTENER_SILENT, listener.try_recv()).await else {
                        tracing::warn!(silent = ?LISTENER_SILENT, "listener heard nothing, not even this node's heartbeat; reconnecting");
                        break;
                    };
                    match received {
                        Ok(Some(n)) => match serde_json::from_str::<Notice>(n.payload()) {
                            Ok(notice) if *notice.node == *node => {}
                            Ok(notice) => {
                                if relay.send(Incoming::Remote(notice.into_event())).is_err() {
                                    return;
                                }
                            }
                            Err(e) => tracing::warn!(error = %e, "unreadable notice"),
                        },
                        Ok(None) => {
                            tracing::warn!("listener connection lost; reconnecting");
                            break;
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "listener failed; reconnecting");
                            break;
                        }
                    }
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, retry_in = ?backoff, "cannot listen for other nodes' events");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
}

async fn connect_listener(url: &str, node: &NodeId) -> Result<PgListener, sqlx::Error> {
    // Named, so an operator (or a test) can find the listener's backend in pg_stat_activity.
    let options = PgConnectOptions::from_str(url)?.application_name(&format!("confab-listener {node}"));
    let pool = PgPoolOptions::new().max_connections(1).connect_with(options).await?;
    let mut listener = PgListener::connect_with(&pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}
