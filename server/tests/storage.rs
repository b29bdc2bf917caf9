//! The same storage scenarios against SQLite (a real file) and a throwaway PostgreSQL 15.

mod common;

use app::types::{MessageId, MessageKind, Role, RoomId, RoomKind, User, UserId};
use server::storage::{NewMessage, Storage, StorageError};

async fn user(s: &Storage, name: &str) -> User {
    s.create_user(name, &name.to_uppercase(), "hash", 1).await.unwrap()
}

async fn post(s: &Storage, room: RoomId, sender: &User, client_id: &str, content: &str) -> MessageId {
    let new = NewMessage { room, sender, kind: MessageKind::Text, content, client_id: Some(client_id) };
    s.insert_message(new, server::service::now_ms()).await.unwrap().message.id
}

async fn accounts_and_sessions(s: &Storage) {
    let alice = user(s, "alice").await;
    assert!(matches!(s.create_user("alice", "Again", "h", 2).await, Err(StorageError::Conflict)));
    let creds = s.credentials("alice").await.unwrap().unwrap();
    assert_eq!(creds.user, alice);
    assert_eq!(creds.password_hash, "hash");
    assert!(s.credentials("nobody").await.unwrap().is_none());

    s.create_session("live", alice.id, 10, 1_000).await.unwrap();
    s.create_session("old", alice.id, 10, 20).await.unwrap();
    assert_eq!(s.session_user("live", 500).await.unwrap(), Some(alice.clone()));
    assert_eq!(s.session_user("old", 500).await.unwrap(), None, "expired");
    assert_eq!(s.delete_expired_sessions(500).await.unwrap(), 1);
    s.delete_session("live").await.unwrap();
    assert_eq!(s.session_user("live", 500).await.unwrap(), None);

    user(s, "al_bert").await;
    user(s, "bob").await;
    let found = s.search_users("al", UserId(-1), 10).await.unwrap();
    assert_eq!(found.iter().map(|u| u.username.as_str()).collect::<Vec<_>>(), ["al_bert", "alice"]);
    // LIKE wildcards in the query are taken literally
    let found = s.search_users("_", UserId(-1), 10).await.unwrap();
    assert_eq!(found.iter().map(|u| u.username.as_str()).collect::<Vec<_>>(), ["al_bert"]);
}

async fn rooms_and_membership(s: &Storage) {
    let a = user(s, "ann").await;
    let b = user(s, "ben").await;
    let c = user(s, "cat").await;
    let p1 = s.open_private_room(a.id, b.id, 5).await.unwrap();
    let p2 = s.open_private_room(b.id, a.id, 6).await.unwrap();
    assert_eq!(p1, p2, "one private room per pair");
    assert_eq!(s.room(p1).await.unwrap().unwrap().kind, RoomKind::Private);
    assert_eq!(s.role(p1, c.id).await.unwrap(), None);

    let g = s.create_group(a.id, "Team", &[b.id, b.id], 7).await.unwrap();
    assert_eq!(s.role(g, a.id).await.unwrap(), Some(Role::Owner));
    assert_eq!(s.role(g, b.id).await.unwrap(), Some(Role::Member));
    assert!(matches!(s.create_group(a.id, "Bad", &[UserId(999_999)], 8).await, Err(StorageError::NotFound)));

    assert_eq!(s.add_participants(g, &[b.id, c.id], 9).await.unwrap(), vec![c.id]);
    let names: Vec<String> = s.participants(g).await.unwrap().into_iter().map(|p| p.user.username).collect();
    assert_eq!(names, ["ann", "ben", "cat"]);

    // The owner leaves: ownership passes on.
    s.remove_participant(g, a.id, 10).await.unwrap();
    assert_eq!(s.role(g, b.id).await.unwrap(), Some(Role::Owner));
    assert!(matches!(s.remove_participant(g, a.id, 11).await, Err(StorageError::NotFound)));

    s.rename_room(g, "Renamed", 12).await.unwrap();
    let rooms = s.room_summaries(b.id, None).await.unwrap();
    assert_eq!(rooms.len(), 2);
    let group = rooms.iter().find(|r| r.room.id == g).unwrap();
    assert_eq!(group.title, "Renamed");
    let private = rooms.iter().find(|r| r.room.id == p1).unwrap();
    assert_eq!(private.title, "ANN", "private rooms are named after the other person");
    assert_eq!(private.peer.as_ref().unwrap().id, a.id);
}

async fn messages_history_and_unread(s: &Storage) {
    let a = user(s, "dan").await;
    let b = user(s, "eve").await;
    let room = s.open_private_room(a.id, b.id, 1).await.unwrap();
    let mut ids = Vec::new();
    for i in 0..25 {
        let sender = if i % 2 == 0 { &a } else { &b };
        ids.push(post(s, room, sender, &format!("c{i}"), &format!("message {i}")).await);
    }
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids grow in send order");

    // Idempotent on (sender, client_id).
    let again = NewMessage { room, sender: &a, kind: MessageKind::Text, content: "different", client_id: Some("c0") };
    let stored = s.insert_message(again, 99).await.unwrap();
    assert!(!stored.created);
    assert_eq!(stored.message.id, ids[0]);
    assert_eq!(stored.message.content, "message 0");

    // Latest page, then keyset pages backwards and forwards.
    let latest = s.history(room, None, None, 10).await.unwrap();
    assert!(latest.has_more);
    assert_eq!(latest.messages.iter().map(|m| m.id).collect::<Vec<_>>(), ids[15..]);
    let older = s.history(room, Some(ids[15]), None, 10).await.unwrap();
    assert_eq!(older.messages.iter().map(|m| m.id).collect::<Vec<_>>(), ids[5..15]);
    let oldest = s.history(room, Some(ids[5]), None, 10).await.unwrap();
    assert!(!oldest.has_more);
    assert_eq!(oldest.messages.len(), 5);
    let newer = s.history(room, None, Some(ids[20]), 10).await.unwrap();
    assert_eq!(newer.messages.iter().map(|m| m.id).collect::<Vec<_>>(), ids[21..]);
    assert!(!newer.has_more);
    assert_eq!(newer.messages[0].sender_name, "EVE");

    // Unread counts what others sent after the read marker; the marker never moves back.
    let summary = |u: UserId| async move { s.room_summaries(u, Some(room)).await.unwrap().pop().unwrap() };
    assert_eq!(summary(a.id).await.unread, 12);
    assert_eq!(summary(a.id).await.last_message.unwrap().id, ids[24]);
    assert!(s.mark_read(room, a.id, ids[20], 5).await.unwrap());
    assert_eq!(summary(a.id).await.unread, 2);
    assert!(!s.mark_read(room, a.id, ids[10], 6).await.unwrap(), "never backwards");
    assert_eq!(summary(a.id).await.unread, 2);
}

async fn group_commit_keeps_order_and_idempotency(s: &Storage) {
    let a = user(s, "hal").await;
    let b = user(s, "ivy").await;
    let room = s.open_private_room(a.id, b.id, 1).await.unwrap();
    let earlier = post(s, room, &a, "g0", "stored before").await;
    fn msg<'a>(room: RoomId, sender: &'a User, client_id: &'a str, content: &'a str) -> NewMessage<'a> {
        NewMessage { room, sender, kind: MessageKind::Text, content, client_id: Some(client_id) }
    }
    let batch = [
        msg(room, &a, "g1", "first"),
        msg(room, &b, "g1", "same key, other sender"),
        msg(room, &a, "g0", "retry of an earlier message"),
        msg(room, &a, "g1", "retry inside the batch"),
        msg(room, &b, "g2", "last"),
    ];
    let stored = s.insert_messages(&batch, server::service::now_ms()).await.unwrap();
    let created: Vec<bool> = stored.iter().map(|s| s.created).collect();
    assert_eq!(created, [true, true, false, false, true]);
    assert_eq!(stored[2].message.id, earlier);
    assert_eq!(stored[3].message.id, stored[0].message.id);
    assert_eq!(stored[3].message.content, "first");
    assert!(stored[0].message.id < stored[1].message.id && stored[1].message.id < stored[4].message.id);
    let page = s.history(room, None, None, 10).await.unwrap();
    let contents: Vec<&str> = page.messages.iter().map(|m| m.content.as_str()).collect();
    assert_eq!(contents, ["stored before", "first", "same key, other sender", "last"]);
}

async fn reopen_keeps_ids_increasing(url: &str) {
    let s = Storage::connect(url).await.unwrap();
    let a = user(&s, "fay").await;
    let b = user(&s, "gus").await;
    let room = s.open_private_room(a.id, b.id, 1).await.unwrap();
    let first = post(&s, room, &a, "x1", "before restart").await;
    s.close().await;
    let s = Storage::connect(url).await.unwrap();
    let second = post(&s, room, &a, "x2", "after restart").await;
    assert!(second > first);
    let page = s.history(room, None, None, 10).await.unwrap();
    assert_eq!(page.messages.len(), 2);
}

async fn suite(url: &str) {
    let s = Storage::connect(url).await.unwrap();
    accounts_and_sessions(&s).await;
    rooms_and_membership(&s).await;
    messages_history_and_unread(&s).await;
    group_commit_keeps_order_and_idempotency(&s).await;
    s.close().await;
    reopen_keeps_ids_increasing(url).await;
}

#[tokio::test]
async fn storage_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    suite(&format!("sqlite://{}/nested/confab.db", dir.path().display())).await;
}

#[tokio::test]
async fn storage_on_postgres() {
    let Some(pg) = common::pg::PgServer::start() else {
        return;
    };
    suite(&pg.url).await;
}

#[tokio::test]
async fn sqlite_history_is_a_range_scan_of_the_clustered_table() {
    let dir = tempfile::tempdir().unwrap();
    let s = Storage::connect(&format!("sqlite://{}/plan.db", dir.path().display())).await.unwrap();
    let rows: Vec<(i64, i64, i64, String)> = sqlx::query_as(
        "EXPLAIN QUERY PLAN SELECT m.id FROM messages m WHERE m.room_id = $1 AND m.id > $2 AND m.id < $3 \
         ORDER BY m.id DESC LIMIT 50",
    )
    .bind(1_i64)
    .bind(0_i64)
    .bind(i64::MAX)
    .fetch_all(s.pool())
    .await
    .unwrap();
    let plan = rows.into_iter().map(|r| r.3).collect::<Vec<_>>().join("; ");
    assert!(plan.contains("SEARCH m USING PRIMARY KEY (room_id=? AND id>? AND id<?)"), "{plan}");
    assert!(!plan.contains("TEMP B-TREE"), "no sort step: {plan}");
}
