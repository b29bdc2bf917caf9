//! Message retention: the server keeps messages `--retain-days` (0: forever), a group's owner
//! may set the group's own policy, and a background job removes older messages.
//!
//! The job removes a room's oldest messages a small batch per statement and pauses between
//! batches, so the message writer (which shares SQLite's one connection) waits for one short
//! statement at most, and the job takes a small share of the server's time. After each batch
//! the room hears `history_purged` with the seq its history now starts after; a client away at
//! the time hears it on its next `join_room`.

use std::{sync::Arc, time::Duration};

use app::{
    types::{limits, Retention as Policy, Role, RoomId, RoomKind, User},
    AppError,
};

use super::{access::Access, files::Files, now_ms};
use crate::{bus::Bus, events::Event, storage::Storage};

/// Messages removed per statement.
const BATCH: u32 = 100;
/// The shortest pause between two batches: at most 100 messages every 30 ms, about 3,300 a
/// second, far more than any team writes in a day's average.
///
/// Measured under the benchmark's fan-out (100 members, 1,000 msg/s) while 100,000 expired
/// messages wait: pausing 10 ms removed them all within the 10-s load, and p99 went from
/// 2.7-3.4 ms (no retention) to 18-22 ms, for the job's share of the one core; 30 ms,
/// 5.5-6.3 ms (3,100 a second). Batches of 25 at the same rate measured the same.
const PAUSE: Duration = Duration::from_millis(30);
/// A pause is at least this many times as long as the batch before it took, so the job backs
/// off when the database is slow or busy (it holds the database at most a twentieth of the time).
/// With both, the same benchmark: p99 6.9-8.6 ms, about 2,300 removed a second.
const BACK_OFF: u32 = 19;
/// How often the job looks for expired messages.
pub const EVERY: Duration = Duration::from_secs(60);
const DAY_MS: i64 = 24 * 3600 * 1000;

pub struct Retention {
    storage: Arc<Storage>,
    bus: Arc<dyn Bus>,
    access: Arc<Access>,
    files: Arc<Files>,
    /// `--retain-days`: 0 keeps messages forever.
    pub default_days: u32,
}

impl Retention {
    pub fn new(
        storage: Arc<Storage>,
        bus: Arc<dyn Bus>,
        access: Arc<Access>,
        files: Arc<Files>,
        default_days: u32,
    ) -> Self {
        Self { storage, bus, access, files, default_days }
    }

    /// A room's policy as its members see it.
    pub async fn of(&self, room: RoomId) -> Result<Policy, AppError> {
        let (own, _) = self.storage.retention_of(room).await?;
        Ok(Policy::new(own, self.default_days))
    }

    /// Sets a group's own policy (`None`: the server's); owners only.
    pub async fn set(&self, me: &User, room: RoomId, days: Option<u32>) -> Result<(), AppError> {
        let role = self.access.require_role(me, room).await?;
        let group = self.storage.room(room).await?.is_some_and(|r| r.kind == RoomKind::Group);
        if !group || role != Role::Owner {
            return Err(AppError::forbidden("Only the group's owner can change how long messages are kept."));
        }
        if days.is_some_and(|d| d > limits::RETAIN_DAYS_MAX) {
            return Err(AppError::invalid(
                "days",
                format!("Messages can be kept for at most {} days (or forever).", limits::RETAIN_DAYS_MAX),
            ));
        }
        self.storage.set_retention(room, days).await?;
        // Members' clients fetch the room again and show the new policy.
        self.bus.publish(Event::RoomMeta { room, added: Vec::new(), removed: Vec::new() });
        Ok(())
    }

    /// Removes every message older than its room's policy allows, as of `now`; returns how
    /// many rooms had messages removed.
    pub async fn run(&self, now: i64) -> Result<usize, AppError> {
        let mut trimmed = 0;
        for room in self.storage.trimmed_rooms(self.default_days).await? {
            let cutoff = now - i64::from(room.days) * DAY_MS;
            let mut removed_any = false;
            loop {
                let started = tokio::time::Instant::now();
                let Some(up_to) = self.storage.purge_batch(room.room, cutoff, BATCH).await? else { break };
                let took = started.elapsed();
                removed_any = true;
                self.bus.publish(Event::HistoryPurged { room: room.room, up_to });
                tokio::time::sleep(pause_after(took)).await;
            }
            trimmed += usize::from(removed_any);
        }
        if trimmed > 0 {
            // Files no remaining message refers to leave the disk.
            self.files.collect_garbage().await;
        }
        Ok(trimmed)
    }
}

/// How long the job waits after a batch that took `took`.
fn pause_after(took: Duration) -> Duration {
    PAUSE.max(took * BACK_OFF)
}

/// Runs the job every [`EVERY`] while the service lives.
pub async fn retention_loop(retention: std::sync::Weak<Retention>) {
    let mut ticks = tokio::time::interval(EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let Some(retention) = retention.upgrade() else { return };
        match retention.run(now_ms()).await {
            Ok(0) => {}
            Ok(rooms) => tracing::info!(rooms, "retention removed old messages"),
            // Shutting down closes the pool under a running job: not a failure.
            Err(_) if retention.storage.pool().is_closed() => return,
            Err(e) => tracing::warn!(error = %e, "retention job failed; it runs again shortly"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_are_paced_and_back_off_when_slow() {
        assert_eq!(pause_after(Duration::from_micros(300)), Duration::from_millis(30), "a quick batch");
        assert_eq!(pause_after(Duration::from_millis(10)), Duration::from_millis(190), "a slow one");
    }
}
