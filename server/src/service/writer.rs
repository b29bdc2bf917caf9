//! The message writer: the one task that commits messages, many per transaction (group
//! commit), then publishes each room's changes in seq order and answers the senders.

use std::{
    collections::BTreeMap,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use app::{
    types::{Message, MessageKind, Quote, RoomId, User},
    AppError,
};
use tokio::sync::{mpsc, oneshot};

use super::{messages::Draft, now_ms};
use crate::{
    bus::Bus,
    events::{Delivery, Event, RoomChange},
    hub::ConnId,
    storage::{
        files::NewAttachment,
        messages::{NewMessage, Rich},
        Storage,
    },
};

/// Messages waiting for the writer before senders wait too (backpressure).
const WRITE_QUEUE: usize = 4096;
/// The most messages stored in one statement.
const MAX_BATCH: usize = 256;

/// Counters of the message writer: messages per commit is how well group commit batches.
#[derive(Debug, Default)]
pub struct WriteStats {
    pub commits: AtomicU64,
    pub messages: AtomicU64,
}

/// A message on its way to storage, and who is waiting for the stored copy.
pub struct Submission {
    pub room: RoomId,
    pub sender: User,
    pub draft: Draft,
    pub reply_to: Option<Quote>,
    pub attachment: Option<NewAttachment>,
    /// What search finds it by (computed by the sender's task, not the writer's).
    pub search_text: Option<String>,
    pub client_id: String,
    pub origin: Option<ConnId>,
    pub reply: oneshot::Sender<Result<Message, AppError>>,
}

/// The writer's inbox and task.
pub struct Writer {
    queue: parking_lot::Mutex<Option<mpsc::Sender<Submission>>>,
    task: parking_lot::Mutex<Option<tokio::task::JoinHandle<()>>>,
    pub stats: Arc<WriteStats>,
}

impl Writer {
    pub fn start(storage: Arc<Storage>, bus: Arc<dyn Bus>, interval: Duration) -> Self {
        let (tx, rx) = mpsc::channel(WRITE_QUEUE);
        let stats = Arc::new(WriteStats::default());
        let task = tokio::spawn(write_loop(storage, bus, stats.clone(), rx, interval));
        Self { queue: parking_lot::Mutex::new(Some(tx)), task: parking_lot::Mutex::new(Some(task)), stats }
    }

    /// Queues a message and waits for the stored copy.
    pub async fn submit(&self, submission: Submission) -> Result<(), AppError> {
        let queue = self.queue.lock().clone().ok_or_else(shutting_down)?;
        queue.send(submission).await.map_err(|_| shutting_down())
    }

    /// Stops taking messages and waits until every queued one is committed and published.
    pub async fn drain(&self) {
        self.queue.lock().take();
        let task = self.task.lock().take();
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}

fn shutting_down() -> AppError {
    AppError::Internal { message: "The server is restarting. Your message will be sent when you reconnect.".into() }
}

/// Group commit: takes every message waiting, stores them in one transaction (ids and each
/// room's seqs in arrival order), then publishes each room's new messages and answers the
/// senders.
///
/// Commits are at least `interval` apart. A message arriving when the writer has been quiet
/// that long is stored and delivered at once; under load, everything that arrives within an
/// interval shares one commit, and each recipient's connection one write. On loopback TCP a
/// write costs far more than the frames it carries, so this is what bounds the CPU spent per
/// delivery; the price is at most `interval` of added latency, only while busy.
async fn write_loop(
    storage: Arc<Storage>,
    bus: Arc<dyn Bus>,
    stats: Arc<WriteStats>,
    mut queue: mpsc::Receiver<Submission>,
    interval: Duration,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    let mut last_commit: Option<tokio::time::Instant> = None;
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        if let Some(next) = last_commit.map(|at| at + interval) {
            if next > tokio::time::Instant::now() {
                tokio::time::sleep_until(next).await;
                while batch.len() < MAX_BATCH {
                    match queue.try_recv() {
                        Ok(s) => batch.push(s),
                        Err(_) => break,
                    }
                }
            }
        }
        last_commit = Some(tokio::time::Instant::now());
        let news: Vec<NewMessage> = batch
            .iter()
            .map(|s: &Submission| NewMessage {
                room: s.room,
                sender: &s.sender,
                kind: match &s.attachment {
                    Some(a) if a.shown().is_image() => MessageKind::Image,
                    Some(_) => MessageKind::File,
                    None => MessageKind::Text,
                },
                content: &s.draft.content,
                client_id: Some(&s.client_id),
                rich: Rich {
                    html: s.draft.html.as_deref(),
                    mentions: &s.draft.mentions,
                    mentions_room: s.draft.mentions_room,
                    reply_to: s.reply_to.as_ref(),
                    attachment: s.attachment.as_ref(),
                    search_text: s.search_text.as_deref(),
                },
            })
            .collect();
        let result = crate::metrics::timed("insert_messages", storage.insert_messages(&news, now_ms())).await;
        drop(news);
        match result {
            Ok(stored) => {
                stats.commits.fetch_add(1, Ordering::Relaxed);
                let created = stored.iter().filter(|s| s.created).count() as u64;
                stats.messages.fetch_add(created, Ordering::Relaxed);
                crate::metrics::MESSAGES_PER_COMMIT.observe(created);
                let mut changes: BTreeMap<RoomId, Vec<Delivery>> = BTreeMap::new();
                let mut replies = Vec::with_capacity(batch.len());
                for (sub, stored) in batch.drain(..).zip(stored) {
                    let answer = if stored.message.room_id != sub.room {
                        Err(AppError::conflict("client_id", "This client_id was already used for another room."))
                    } else {
                        if stored.created {
                            let message = Arc::new(stored.message.clone());
                            changes.entry(sub.room).or_default().push((message, sub.origin));
                        }
                        Ok(stored.message)
                    };
                    replies.push((sub.reply, answer));
                }
                for (room, messages) in changes {
                    let (first_seq, last_seq) = (messages[0].0.seq, messages[messages.len() - 1].0.seq);
                    bus.publish(Event::Room(RoomChange { room, first_seq, last_seq, messages }));
                }
                for (reply, answer) in replies {
                    let _ = reply.send(answer);
                }
            }
            Err(e) => {
                let err = AppError::from(e);
                for sub in batch.drain(..) {
                    let _ = sub.reply.send(Err(err.clone()));
                }
            }
        }
    }
}
