//! Rich messages over the wire: edits (with history and the edit window), deletions
//! (tombstones whose text is gone from the database), reactions, replies, mentions and
//! Markdown — live to other members, caught up by a member who was offline, and every refusal
//! — on SQLite and on a throwaway PostgreSQL.

mod common;

use std::time::Duration;

use common::{pg::PgServer, Account, TestServer};
use serde_json::{json, Value};
use sqlx::AnyPool;

async fn database(server: &TestServer) -> AnyPool {
    sqlx::any::install_default_drivers();
    AnyPool::connect(&server.database_url).await.unwrap()
}

/// Sends over HTTP (as a non-browser client would) and returns the stored message.
async fn send(who: &Account, room: i64, client_id: &str, content: &str, reply_to: Option<i64>) -> Value {
    let body = json!({"room_id": room, "client_id": client_id, "content": content, "reply_to": reply_to});
    let (status, message) = who.post("/api/messages/send", body).await;
    assert_eq!(status, 200, "{message}");
    message
}

fn id(message: &Value) -> i64 {
    message["id"].as_i64().unwrap()
}

async fn summary(who: &Account, room: i64) -> Value {
    let (_, rooms) = who.get("/api/rooms").await;
    rooms.as_array().unwrap().iter().find(|s| s["room"]["id"] == room).cloned().unwrap()
}

/// Edit, delete, react and reply, seen live by another member; the edit history; the text of
/// a deleted message gone from every table.
async fn happy_paths(server: &TestServer, tag: &str) {
    let alice = server.register(&format!("alice{tag}")).await;
    let bob = server.register(&format!("bob{tag}")).await;
    let room = alice.group("Team", &[&bob]).await;
    let mut b = bob.connect().await;
    b.join(room, None).await;

    let first = send(&alice, room, "m1", "helo **world**", None).await;
    assert_eq!(first["html"], "<p>helo <strong>world</strong></p>\n");
    assert_eq!(b.recv_message().await["message"]["id"], first["id"]);

    // Edit: everyone gets the new state; the old text is in the history.
    let body = json!({"room_id": room, "message_id": id(&first), "content": "hello **world**"});
    let (status, edited) = alice.post("/api/messages/edit", body.clone()).await;
    assert_eq!(status, 200, "{edited}");
    assert!(edited["edited_at"].is_i64());
    assert!(edited["change_seq"].as_i64() > edited["seq"].as_i64());
    let live = b.recv_type("message_updated").await;
    assert_eq!(live["message"]["content"], "hello **world**");
    assert_eq!(live["message"]["html"], "<p>hello <strong>world</strong></p>\n");
    assert_eq!(live["seq"], live["message"]["change_seq"]);
    let (status, again) = alice.post("/api/messages/edit", body).await;
    assert_eq!((status, &again["change_seq"]), (200, &edited["change_seq"]), "the same text again changes nothing");
    let (status, history) = bob.get(&format!("/api/messages/edits?room_id={room}&message_id={}", id(&first))).await;
    assert_eq!(status, 200);
    assert_eq!(history.as_array().unwrap().len(), 1);
    assert_eq!(history[0]["content"], "helo **world**");

    // Reactions: 👍 with and without U+FE0F is one reaction; counts and who.
    let react = |emoji: &str, add: bool| json!({"room_id": room, "message_id": id(&first), "emoji": emoji, "add": add});
    let (status, m) = bob.post("/api/messages/react", react("👍", true)).await;
    assert_eq!(status, 200, "{m}");
    let (_, m) = alice.post("/api/messages/react", react("👍\u{fe0f}", true)).await;
    assert_eq!(m["reactions"].as_array().unwrap().len(), 1);
    assert_eq!(m["reactions"][0]["emoji"], "👍");
    let names: Vec<i64> =
        m["reactions"][0]["users"].as_array().unwrap().iter().map(|u| u["id"].as_i64().unwrap()).collect();
    assert_eq!(names, [bob.id, alice.id]);
    let (_, unchanged) = alice.post("/api/messages/react", react("👍", true)).await;
    assert_eq!(unchanged["change_seq"], m["change_seq"], "a retried reaction changes nothing");
    let (_, m) = alice.post("/api/messages/react", react("👍", false)).await;
    assert_eq!(m["reactions"][0]["users"].as_array().unwrap().len(), 1);
    let live = b.collect_type("message_updated", Duration::from_millis(300)).await;
    assert_eq!(live.last().unwrap()["message"]["reactions"], m["reactions"]);

    // Reply: the quote is the target's current state, through edits and a deletion.
    let reply = send(&bob, room, "m2", "agreed", Some(id(&first))).await;
    assert_eq!(reply["reply_to"]["id"], first["id"]);
    // Quoted as it reads: Markdown's marks are not part of it.
    assert_eq!(reply["reply_to"]["content"], "hello world");
    let secret = send(&alice, room, "m3", "the secret is swordfish", None).await;
    alice
        .post(
            "/api/messages/edit",
            json!({"room_id": room, "message_id": id(&secret), "content": "the secret is tuna"}),
        )
        .await;
    alice
        .post("/api/messages/react", json!({"room_id": room, "message_id": id(&secret), "emoji": "🎉", "add": true}))
        .await;
    let quoting = send(&bob, room, "m4", "ok", Some(id(&secret))).await;
    assert_eq!(quoting["reply_to"]["content"], "the secret is tuna");
    let (status, tombstone) =
        alice.post("/api/messages/delete", json!({"room_id": room, "message_id": id(&secret)})).await;
    assert_eq!(status, 200, "{tombstone}");
    assert_eq!(tombstone["content"], "");
    assert!(tombstone["deleted_at"].is_i64());
    assert!(tombstone.get("reactions").is_none() && tombstone.get("html").is_none());
    let (_, page) = bob.get(&format!("/api/rooms/messages?room_id={room}")).await;
    let quote =
        page["messages"].as_array().unwrap().iter().find(|m| m["id"] == quoting["id"]).unwrap()["reply_to"].clone();
    assert_eq!((quote["deleted"].as_bool(), quote["content"].as_str()), (Some(true), Some("")));
    let stored = page["messages"].as_array().unwrap().iter().find(|m| m["id"] == reply["id"]).unwrap();
    assert_eq!(stored["reply_to"]["content"], "hello world", "read back from storage the same way");
    let db = database(server).await;
    for sql in [
        "SELECT COUNT(*) FROM messages WHERE content LIKE '%swordfish%' OR content LIKE '%tuna%'",
        "SELECT COUNT(*) FROM message_edits WHERE content LIKE '%swordfish%' OR content LIKE '%tuna%'",
    ] {
        let n: i64 = sqlx::query_scalar(sql).fetch_one(&db).await.unwrap();
        assert_eq!(n, 0, "{sql}");
    }
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM reactions WHERE message_id = $1")
        .bind(id(&secret))
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(n, 0, "its reactions are gone too");
    db.close().await;

    // History around a message: the page is centred on it.
    let mut fillers = Vec::new();
    for i in 0..30 {
        fillers.push(id(&send(&alice, room, &format!("fill{i}"), &format!("filler {i}"), None).await));
    }
    let middle = fillers[15];
    let (status, page) = bob.get(&format!("/api/rooms/messages?room_id={room}&around={middle}&limit=10")).await;
    assert_eq!(status, 200, "{page}");
    let ids: Vec<i64> = page["messages"].as_array().unwrap().iter().map(id).collect();
    assert_eq!(ids, fillers[10..20], "five before it, it, and four after");
    assert_eq!((page["has_more"].as_bool(), page["has_more_after"].as_bool()), (Some(true), Some(true)));
}

/// Every refusal, with the same codes as the rest of the API.
async fn refusals(server: &TestServer, tag: &str) {
    let alice = server.register(&format!("ann{tag}")).await;
    let bob = server.register(&format!("ben{tag}")).await;
    let eve = server.register(&format!("eve{tag}")).await;
    let room = alice.group("Team", &[&bob]).await;
    let mine = send(&alice, room, "r1", "mine", None).await;
    let theirs = send(&bob, room, "r2", "theirs", None).await;
    let post = |who: &Account, path: &'static str, body: Value| {
        let who = who.clone();
        async move { who.post(path, body).await }
    };
    let edit = |m: &Value, text: &str| json!({"room_id": room, "message_id": id(m), "content": text});
    let delete = |m: &Value| json!({"room_id": room, "message_id": id(m)});

    let (status, err) = post(&alice, "/api/messages/edit", edit(&theirs, "mine now")).await;
    assert_eq!((status, err["code"].as_str()), (403, Some("forbidden")), "{err}");
    let (status, _) = post(&bob, "/api/messages/delete", delete(&mine)).await;
    assert_eq!(status, 403, "a member cannot delete someone else's message");
    let (status, _) = post(&alice, "/api/messages/delete", delete(&theirs)).await;
    assert_eq!(status, 200, "the group's owner can");
    let (status, err) = post(&bob, "/api/messages/edit", edit(&theirs, "back")).await;
    assert_eq!((status, err["code"].as_str()), (409, Some("conflict")), "a deleted message stays deleted: {err}");
    let (status, err) = post(&alice, "/api/messages/edit", edit(&mine, " ")).await;
    assert_eq!((status, err["field"].as_str()), (422, Some("content")));

    // Outsiders: the room does not exist for them.
    for (path, body) in [
        ("/api/messages/edit", edit(&mine, "x")),
        ("/api/messages/delete", delete(&mine)),
        ("/api/messages/react", json!({"room_id": room, "message_id": id(&mine), "emoji": "👍", "add": true})),
        ("/api/messages/send", json!({"room_id": room, "client_id": "e1", "content": "hi"})),
    ] {
        let (status, err) = post(&eve, path, body).await;
        assert_eq!((status, err["code"].as_str()), (404, Some("not_found")), "{path}");
    }
    let (status, _) = eve.get(&format!("/api/messages/edits?room_id={room}&message_id={}", id(&mine))).await;
    assert_eq!(status, 404);

    // Reactions: only emoji, at most 20 different ones.
    let react = |emoji: &str| json!({"room_id": room, "message_id": id(&mine), "emoji": emoji, "add": true});
    for bad in ["x", ":+1:", "👍👍", "<script>"] {
        let (status, err) = post(&bob, "/api/messages/react", react(bad)).await;
        assert_eq!((status, err["field"].as_str()), (422, Some("emoji")), "{bad}");
    }
    let twenty = [
        "😀", "😃", "😄", "😁", "😆", "😅", "🤣", "😂", "🙂", "🙃", "😉", "😊", "😇", "🥰", "😍", "🤩", "😘", "😗",
        "😚", "😙",
    ];
    for e in twenty {
        assert_eq!(post(&bob, "/api/messages/react", react(e)).await.0, 200, "{e}");
    }
    let (status, err) = post(&bob, "/api/messages/react", react("🐙")).await;
    assert_eq!((status, err["field"].as_str()), (422, Some("emoji")), "{err}");
    assert_eq!(post(&alice, "/api/messages/react", react("😀")).await.0, 200, "an emoji already there can be added to");

    // Replies only to live messages of the same room.
    let other_room = alice.private_room_with(&bob).await;
    let body = json!({"room_id": other_room, "client_id": "r3", "content": "hi", "reply_to": id(&mine)});
    assert_eq!(post(&alice, "/api/messages/send", body).await.0, 404);
    let body = json!({"room_id": room, "client_id": "r4", "content": "hi", "reply_to": id(&theirs)});
    assert_eq!(post(&alice, "/api/messages/send", body).await.0, 422);

    // @room is for owners and admins in groups; anyone in a private room.
    let body = json!({"room_id": room, "client_id": "r5", "content": "@room look"});
    let (status, err) = post(&bob, "/api/messages/send", body).await;
    assert_eq!((status, err["code"].as_str()), (403, Some("forbidden")), "{err}");
    assert_eq!(
        post(&alice, "/api/messages/send", json!({"room_id": room, "client_id": "r6", "content": "@room look"}))
            .await
            .0,
        200
    );
    let body = json!({"room_id": other_room, "client_id": "r7", "content": "@room hi"});
    assert_eq!(post(&bob, "/api/messages/send", body).await.0, 200);

    // The edit window: a message sent long ago cannot be edited (but can be deleted).
    let db = database(server).await;
    sqlx::query("UPDATE messages SET created_at = created_at - 3600000 WHERE id = $1")
        .bind(id(&mine))
        .execute(&db)
        .await
        .unwrap();
    db.close().await;
    let (status, err) = post(&alice, "/api/messages/edit", edit(&mine, "too late")).await;
    assert_eq!(status, 403);
    assert_eq!(err["message"], "Messages can only be edited for 15 minutes after sending.");
    assert_eq!(post(&alice, "/api/messages/delete", delete(&mine)).await.0, 200);

    // Over the socket, a refusal comes back tagged with the request's client_id.
    let mut b = bob.connect().await;
    b.send(
        json!({"type": "edit_message", "room_id": room, "message_id": id(&mine), "content": "x", "client_id": "e-9"}),
    )
    .await;
    let err = b.recv_type("error").await;
    assert_eq!((err["code"].as_str(), err["client_id"].as_str()), (Some("forbidden"), Some("e-9")));
}

/// Mentions: resolved to members only, never in code; unread-mention counts per reader; an
/// edit that adds a mention counts only for the newly mentioned.
async fn mentions(server: &TestServer, tag: &str) {
    let alice = server.register(&format!("amy{tag}")).await;
    let bob = server.register(&format!("boris{tag}")).await;
    let carol = server.register(&format!("cat{tag}")).await;
    let dave = server.register(&format!("dan{tag}")).await;
    let room = alice.group("Team", &[&bob, &carol]).await;
    let text = format!("hi @{} and @{}, `@{}` is code", bob.username, dave.username, carol.username);
    let m = send(&alice, room, "n1", &text, None).await;
    assert_eq!(m["mentions"], json!([bob.id]), "dave is not in the room; code mentions no one");
    let html = m["html"].as_str().unwrap();
    assert!(
        html.contains(&format!("<span class=\"mention\" data-user-id=\"{}\">@{}</span>", bob.id, bob.username)),
        "{html}"
    );
    assert_eq!(summary(&bob, room).await["unread_mentions"], 1);
    assert_eq!(summary(&carol, room).await["unread_mentions"], 0);

    let body = json!({"room_id": room, "message_id": id(&m), "content": format!("hi @{} and @{}", bob.username, carol.username)});
    let (_, edited) = alice.post("/api/messages/edit", body).await;
    assert_eq!(edited["mentions"], json!([bob.id, carol.id]));
    assert_eq!(summary(&bob, room).await["unread_mentions"], 1, "bob was mentioned already");
    assert_eq!(summary(&carol, room).await["unread_mentions"], 1, "carol is newly mentioned");

    let seq = summary(&carol, room).await["last_seq"].clone();
    carol.post("/api/rooms/read", json!({"room_id": room, "seq": seq})).await;
    assert_eq!(summary(&carol, room).await["unread_mentions"], 0);
    let standup = send(&alice, room, "n2", "@room standup", None).await;
    assert_eq!(summary(&carol, room).await["unread_mentions"], 1);
    assert_eq!(summary(&alice, room).await["unread_mentions"], 0, "not by my own message");
    let seq = summary(&carol, room).await["last_seq"].clone();
    carol.post("/api/rooms/read", json!({"room_id": room, "seq": seq})).await;
    let body = json!({"room_id": room, "message_id": id(&standup), "content": "@room standup at 10"});
    assert_eq!(alice.post("/api/messages/edit", body).await.0, 200);
    assert_eq!(summary(&carol, room).await["unread_mentions"], 0, "an edit keeping @room mentions no one anew");
    assert_eq!(summary(&bob, room).await["unread_mentions"], 2, "bob has read neither");
    alice.post("/api/messages/delete", json!({"room_id": room, "message_id": id(&m)})).await;
    assert_eq!(summary(&bob, room).await["unread_mentions"], 1, "a deleted message mentions no one");
}

/// Bob is offline during an edit, a delete and a reaction: after reconnecting, `join_room
/// {since}` brings all three, as `message_updated`, in seq order.
async fn offline_member_sees_changes(server: &TestServer, tag: &str) {
    let alice = server.register(&format!("albert{tag}")).await;
    let bob = server.register(&format!("bert{tag}")).await;
    let room = alice.private_room_with(&bob).await;
    let one = send(&alice, room, "o1", "one", None).await;
    let two = send(&alice, room, "o2", "two", None).await;
    let three = send(&alice, room, "o3", "three", None).await;
    let mut b = bob.connect().await;
    let (_, joined) = b.join(room, None).await;
    let since = joined["seq"].as_i64().unwrap();
    drop(b);

    alice.post("/api/messages/edit", json!({"room_id": room, "message_id": id(&one), "content": "one, edited"})).await;
    alice.post("/api/messages/delete", json!({"room_id": room, "message_id": id(&two)})).await;
    alice
        .post("/api/messages/react", json!({"room_id": room, "message_id": id(&three), "emoji": "❤", "add": true}))
        .await;

    let mut b = bob.connect().await;
    let (caught_up, joined) = b.join(room, Some(since)).await;
    let kinds: Vec<&str> = caught_up.iter().map(|f| f["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["message_updated"; 3]);
    assert_eq!(caught_up[0]["message"]["content"], "one, edited");
    assert!(caught_up[1]["message"]["deleted_at"].is_i64());
    assert_eq!(caught_up[2]["message"]["reactions"][0]["emoji"], "❤\u{fe0f}");
    let seqs: Vec<i64> = caught_up.iter().map(|f| f["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, [since + 1, since + 2, since + 3]);
    assert_eq!(joined["seq"], since + 3);
}

#[tokio::test]
async fn rich_messages_on_sqlite() {
    let server = TestServer::start().await;
    happy_paths(&server, "").await;
    refusals(&server, "").await;
    mentions(&server, "").await;
    offline_member_sees_changes(&server, "").await;
}

#[tokio::test]
async fn rich_messages_on_postgres() {
    let Some(pg) = PgServer::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_on(dir, &pg.url, |_| {}).await;
    happy_paths(&server, "").await;
    refusals(&server, "").await;
    mentions(&server, "").await;
    offline_member_sees_changes(&server, "").await;
}

#[tokio::test]
async fn the_emoji_catalog_is_served_as_cacheable_data() {
    let server = TestServer::start().await;
    let res = reqwest::get(server.url("/api/emoji")).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "public, max-age=86400");
    let all: Vec<Value> = res.json().await.unwrap();
    assert!(all.iter().any(|e| e["e"] == "🎉" && e["n"] == "party popper"));
    // In Thai: the Thai name, and the English one still found in the keywords.
    let thai: Vec<Value> = reqwest::get(server.url("/api/emoji?lang=th")).await.unwrap().json().await.unwrap();
    let party = thai.iter().find(|e| e["e"] == "🎉").unwrap();
    assert_eq!(party["n"], "ปาร์ตี้");
    assert!(party["k"].as_str().unwrap().contains("party popper"), "{party}");
}
