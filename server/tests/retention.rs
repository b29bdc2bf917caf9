//! Retention over the wire, on SQLite and on a throwaway PostgreSQL: the server's default and
//! a group's own policy (owners only), the job removing old messages with their reactions,
//! files and search entries, members told live and on catch-up, and what remains intact.

mod common;

use std::time::Duration;

use common::{download, pg::PgServer, upload, Account, TestServer};
use serde_json::{json, Value};
use server::storage::{Dialect, Storage};

const DAY_MS: i64 = 24 * 3600 * 1000;

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

async fn details(who: &Account, room: i64) -> Value {
    let (status, d) = who.get(&format!("/api/rooms/details?room_id={room}")).await;
    assert_eq!(status, 200, "{d}");
    d
}

/// How many entries of SQLite's search index hold "needle".
async fn indexed_needles(storage: &Storage) -> i64 {
    let sql = "SELECT COUNT(*) FROM message_search WHERE message_search MATCH 'needle'";
    sqlx::query_scalar(sql).fetch_one(storage.pool()).await.unwrap()
}

/// How many attachment rows name message `id`.
async fn attachments_of(storage: &Storage, id: i64) -> i64 {
    let sql = "SELECT COUNT(*) FROM attachments WHERE message_id = $1";
    sqlx::query_scalar(sql).bind(id).fetch_one(storage.pool()).await.unwrap()
}

async fn policy_and_purge(server: &TestServer) {
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let room = alice.group("Ephemeral", &[&bob]).await;
    let kept = alice.group("Archive", &[&bob]).await;

    // The policy: the server's default (forever here), then the group's own; owners only.
    assert_eq!(details(&bob, room).await["retention"], json!({"server_days": 0}));
    let (status, err) = bob.post("/api/rooms/retention", json!({"room_id": room, "days": 7})).await;
    assert_eq!(status, 403, "{err}");
    assert_eq!(err["message"], "Only the group's owner can change how long messages are kept.");
    let (status, err) = alice.post("/api/rooms/retention", json!({"room_id": room, "days": 100_000})).await;
    assert_eq!(status, 422, "{err}");
    assert_eq!(err["field"], "days");
    let (status, d) = alice.post("/api/rooms/retention", json!({"room_id": room, "days": 1})).await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(d["retention"], json!({"own": 1, "server_days": 0}));
    assert_eq!(details(&bob, room).await["retention"]["own"], 1, "members see the policy");

    // Old history: messages, a reaction, a file; the other group keeps everything.
    let mut a = alice.connect().await;
    a.join(room, None).await;
    let first = a.send_message(room, "old-1", "needle one").await;
    a.send_message(room, "old-2", "needle two").await;
    let first_id = first["message"]["id"].as_i64().unwrap();
    a.send(json!({"type": "react", "room_id": room, "message_id": first_id, "emoji": "👍", "add": true})).await;
    a.recv_type("message_updated").await;
    let (status, file) = upload(&alice, room, "old-file", "old.txt", b"old file".to_vec()).await;
    assert_eq!(status, 200, "{file}");
    let file_id = file["id"].as_i64().unwrap();
    a.send_message(kept, "kept-1", "needle kept").await;

    // Bob is away with what he had seen; the job runs two days on.
    let mut b = bob.connect().await;
    let (_, joined) = b.join(room, None).await;
    let bob_seq = joined["seq"].as_i64().unwrap();
    drop(b);
    let mut live = alice.connect().await;
    live.join(room, None).await;
    let storage = &server.state.service.storage;
    // SQLite's trigram index is filled and emptied by the indexer (PostgreSQL's is on the
    // column and goes with the rows).
    let sqlite = storage.dialect() == Dialect::Sqlite;
    while storage.index_pending().await.unwrap() > 0 {}
    assert_eq!(attachments_of(storage, file_id).await, 1);
    if sqlite {
        assert_eq!(indexed_needles(storage).await, 3, "all three are in the search index");
    }
    let trimmed = server.state.service.retention.run(now_ms() + 2 * DAY_MS).await.unwrap();
    assert_eq!(trimmed, 1, "one room had expired messages");
    let purged = live.recv_type("history_purged").await;
    assert_eq!(purged["room_id"], room);
    let up_to = purged["up_to"].as_i64().unwrap();
    assert_eq!(up_to, bob_seq, "everything up to the last message went");

    // Gone from history, changes, search and the file store; the policy stays.
    let (_, page) = bob.get(&format!("/api/rooms/messages?room_id={room}")).await;
    assert_eq!(page["messages"], json!([]), "{page}");
    let (_, changes) = bob.get(&format!("/api/rooms/changes?room_id={room}&since=0")).await;
    assert_eq!(changes["changes"], json!([]), "{changes}");
    assert_eq!(changes["purged_up_to"], up_to);
    let (_, found) = bob.get("/api/search?q=needle").await;
    let hits: Vec<&str> =
        found["hits"].as_array().unwrap().iter().map(|r| r["message"]["content"].as_str().unwrap()).collect();
    assert_eq!(hits, vec!["needle kept"], "{found}");
    assert_eq!(download(&bob, &format!("/api/files/{file_id}")).await.status(), 404);
    assert_eq!(attachments_of(storage, file_id).await, 0, "the attachment row went with its message");
    // The index lets go of their entries in the indexer's next steps.
    while storage.search_index_step().await.unwrap() {}
    if sqlite {
        assert_eq!(indexed_needles(storage).await, 1, "only the other group's is still indexed");
    }

    // Bob, back, hears of it before his catch-up ends; new messages take the next seqs.
    let mut b = bob.connect().await;
    b.send(json!({"type": "join_room", "room_id": room, "since": 1})).await;
    let told = b.recv_type("history_purged").await;
    assert_eq!(told["up_to"], up_to);
    let joined = b.recv_type("joined").await;
    assert_eq!(joined["seq"], up_to);
    let next = a.send_message(room, "new-1", "fresh").await;
    assert_eq!(next["seq"].as_i64(), Some(up_to + 1));
    assert_eq!(server.state.service.retention.run(now_ms()).await.unwrap(), 0, "nothing new is old");
    let (_, page) = bob.get(&format!("/api/rooms/messages?room_id={kept}")).await;
    assert_eq!(page["messages"].as_array().unwrap().len(), 2, "the creation line and the message: {page}");

    // Back to the server's policy.
    let (status, d) = alice.post("/api/rooms/retention", json!({"room_id": room, "days": null})).await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(d["retention"], json!({"server_days": 0}));
    tokio::time::sleep(Duration::from_millis(10)).await;
}

#[tokio::test]
async fn retention_on_sqlite() {
    policy_and_purge(&TestServer::start().await).await;
}

#[tokio::test]
async fn retention_on_postgres() {
    let Some(pg) = PgServer::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    policy_and_purge(&TestServer::start_on(dir, &pg.url, |_| {}).await).await;
}

#[tokio::test]
async fn the_servers_default_applies_to_rooms_without_their_own() {
    let server = TestServer::start_with(|c| c.retain_days = 30).await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let room = alice.private_room_with(&bob).await;
    assert_eq!(details(&alice, room).await["retention"], json!({"server_days": 30}));
    let mut a = alice.connect().await;
    a.send_message(room, "m1", "hello").await;
    let retention = &server.state.service.retention;
    assert_eq!(retention.run(now_ms() + 29 * DAY_MS).await.unwrap(), 0, "not old enough yet");
    assert_eq!(retention.run(now_ms() + 31 * DAY_MS).await.unwrap(), 1);
    let (_, page) = alice.get(&format!("/api/rooms/messages?room_id={room}")).await;
    assert_eq!(page["messages"], json!([]));
    let (status, _) = alice.post("/api/rooms/retention", json!({"room_id": room, "days": 0})).await;
    assert_eq!(status, 403, "a private room follows the server");
}
