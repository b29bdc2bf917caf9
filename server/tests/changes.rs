//! The change log over the wire: catch-up by seq after renames and membership changes, `reset`
//! beyond the bound, the HTTP changes endpoint, and sessions and shutdowns closing sockets —
//! on SQLite and on a throwaway PostgreSQL.

mod common;

use std::time::Duration;

use common::{pg::PgServer, Account, TestServer, Ws};
use serde_json::{json, Value};

async fn on_sqlite() -> TestServer {
    TestServer::start().await
}

async fn on_postgres(pg: &PgServer) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    TestServer::start_on(dir, &pg.url, |_| {}).await
}

fn contents(frames: &[Value]) -> Vec<String> {
    frames.iter().map(|f| f["message"]["content"].as_str().unwrap().to_string()).collect()
}

/// Bob is offline while the group is renamed and Carol is added and leaves: on reconnect,
/// `join_room {since}` replays each change as a timeline entry, in seq order, then `joined`.
async fn offline_member_catches_up_on_changes(server: &TestServer, tag: &str) {
    let alice = server.register(&format!("alice{tag}")).await;
    let bob = server.register(&format!("bob{tag}")).await;
    let carol = server.register(&format!("carol{tag}")).await;
    let room = alice.group("Team", &[&bob]).await;
    let mut a = alice.connect().await;
    let mut b = bob.connect().await;
    let (_, joined) = b.join(room, None).await;
    let since = joined["seq"].as_i64().unwrap();
    assert_eq!(since, 1, "the group's creation is its first change");
    drop(b);

    alice.post("/api/rooms/rename", json!({"room_id": room, "name": "Ops"})).await;
    alice.post("/api/rooms/participants", json!({"room_id": room, "user_ids": [carol.id]})).await;
    carol.post("/api/rooms/leave", json!({"room_id": room})).await;
    a.send_message(room, "x1", "while you were out").await;

    let mut b = bob.connect().await;
    let (caught_up, joined) = b.join(room, Some(since)).await;
    let alice_name = common::display_name(&alice.username);
    let carol_name = common::display_name(&carol.username);
    assert_eq!(
        contents(&caught_up),
        [
            format!("{alice_name} renamed the group to \u{201c}Ops\u{201d}"),
            format!("{alice_name} added {carol_name}"),
            format!("{carol_name} left"),
            "while you were out".to_string(),
        ]
    );
    let seqs: Vec<i64> = caught_up.iter().map(|f| f["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, [2, 3, 4, 5]);
    assert_eq!(joined["seq"], 5);

    // The same over HTTP, a page at a time.
    let (status, page) = bob.get(&format!("/api/rooms/changes?room_id={room}&since=3")).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(
        (page["seq"].as_i64(), page["has_more"].as_bool(), page["reset"].as_bool()),
        (Some(5), Some(false), Some(false))
    );
    assert_eq!(page["changes"].as_array().unwrap().len(), 2);
    let (status, body) = bob.get(&format!("/api/rooms/changes?room_id={room}&since=-1")).await;
    assert_eq!((status, body["field"].as_str()), (422, Some("since")));

    // Unread counts and read markers work by seq: system lines are not unread.
    let (_, rooms) = bob.get("/api/rooms").await;
    let summary = rooms.as_array().unwrap().iter().find(|r| r["room"]["id"] == room).unwrap().clone();
    assert_eq!((summary["unread"].as_i64(), summary["last_seq"].as_i64()), (Some(1), Some(5)));
    let (status, _) = bob.post("/api/rooms/read", json!({"room_id": room, "seq": 5})).await;
    assert_eq!(status, 200);
    let (_, rooms) = bob.get("/api/rooms").await;
    let summary = rooms.as_array().unwrap().iter().find(|r| r["room"]["id"] == room).unwrap().clone();
    assert_eq!((summary["unread"].as_i64(), summary["last_read_seq"].as_i64()), (Some(0), Some(5)));
}

/// A client further behind than the replay bound (1,000 changes) is told to reset rather than
/// silently given a partial history.
async fn a_gap_beyond_the_bound_resets(server: &TestServer, tag: &str) {
    let alice = server.register(&format!("amy{tag}")).await;
    let bob = server.register(&format!("ben{tag}")).await;
    let room = alice.private_room_with(&bob).await;
    let mut a = alice.connect().await;
    for i in 0..1002 {
        a.send(json!({"type": "send_message", "room_id": room, "client_id": format!("r{i}"), "content": "x"})).await;
    }
    for _ in 0..1002 {
        a.recv_type_within("message_ack", Duration::from_secs(30)).await;
    }
    let mut b = bob.connect().await;
    let (caught_up, joined) = b.join(room, Some(1)).await;
    assert!(caught_up.is_empty());
    assert_eq!((joined["seq"].as_i64(), joined["reset"].as_bool()), (Some(1002), Some(true)));
    let (caught_up, joined) = b.join(room, Some(2)).await;
    assert_eq!(
        (caught_up.len(), joined["seq"].as_i64(), joined.get("reset")),
        (1000, Some(1002), None),
        "within the bound"
    );
    let (_, page) = bob.get(&format!("/api/rooms/changes?room_id={room}&since=0")).await;
    assert_eq!(page["reset"], true);
    let (_, page) = bob.get(&format!("/api/rooms/changes?room_id={room}&since=2")).await;
    assert_eq!((page["changes"].as_array().unwrap().len(), page["has_more"].as_bool()), (200, Some(true)));
}

/// Logging out closes that session's sockets at once (code 4401), not the user's other sessions.
async fn logout_closes_that_sessions_sockets(server: &TestServer, tag: &str) {
    let alice = server.register(&format!("alf{tag}")).await;
    let other = Account { token: login(server, &alice.username).await, ..alice.clone() };
    let mut doomed = alice.connect().await;
    let mut stays = other.connect().await;
    let res = reqwest::Client::new().post(server.url("/api/logout")).bearer_auth(&alice.token).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let closed = tokio::time::timeout(Duration::from_secs(1), doomed.drain_until_close()).await;
    assert_eq!(closed.ok().flatten(), Some(4401), "closed within a second");
    stays.send(json!({"type": "ping"})).await;
    stays.recv_type("pong").await;
    assert_eq!(Ws::connect(&server.base, Some(&alice.token), None).await.err(), Some(401));
}

async fn login(server: &TestServer, username: &str) -> String {
    let res = reqwest::Client::new()
        .post(server.url("/api/token"))
        .form(&[("username", username), ("password", common::PASSWORD)])
        .send()
        .await
        .unwrap();
    res.json().await.unwrap()
}

#[tokio::test]
async fn change_log_on_sqlite() {
    let server = on_sqlite().await;
    offline_member_catches_up_on_changes(&server, "").await;
    a_gap_beyond_the_bound_resets(&server, "").await;
    logout_closes_that_sessions_sockets(&server, "").await;
}

#[tokio::test]
async fn change_log_on_postgres() {
    let Some(pg) = PgServer::start() else {
        return;
    };
    let server = on_postgres(&pg).await;
    offline_member_catches_up_on_changes(&server, "").await;
    a_gap_beyond_the_bound_resets(&server, "").await;
    logout_closes_that_sessions_sockets(&server, "").await;
}

#[tokio::test]
async fn shutdown_closes_sockets_with_going_away() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let mut ws = alice.connect().await;
    let stopping = tokio::spawn(server.stop());
    assert_eq!(ws.drain_until_close().await, Some(1001), "clients move to another node");
    stopping.await.unwrap();
}

#[tokio::test]
async fn the_connection_cap_refuses_with_503() {
    let server = TestServer::start_with(|c| c.max_connections = 2).await;
    let alice = server.register("alice").await;
    let _one = alice.connect().await;
    let _two = alice.connect().await;
    assert_eq!(Ws::connect(&server.base, Some(&alice.token), None).await.err(), Some(503));
}

/// Behind a trusted proxy each client has its own login limit; an untrusted peer cannot
/// choose its address with the header.
#[tokio::test]
async fn login_limits_use_forwarded_addresses_only_from_trusted_proxies() {
    let attempt = |server: &TestServer, forwarded: &'static str| {
        let url = server.url("/api/token");
        async move {
            reqwest::Client::new()
                .post(url)
                .header("x-forwarded-for", forwarded)
                .form(&[("username", "nobody"), ("password", "wrong password")])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let trusted = TestServer::start_with(|c| {
        c.login_burst_per_ip = 2;
        c.login_burst_per_user = 100;
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    for _ in 0..2 {
        assert_eq!(attempt(&trusted, "198.51.100.1").await, 401);
    }
    assert_eq!(attempt(&trusted, "198.51.100.1").await, 429, "that client is throttled");
    assert_eq!(attempt(&trusted, "198.51.100.2").await, 401, "another client behind the proxy is not");

    let untrusted = TestServer::start_with(|c| {
        c.login_burst_per_ip = 2;
        c.login_burst_per_user = 100;
    })
    .await;
    assert_eq!(attempt(&untrusted, "198.51.100.1").await, 401);
    assert_eq!(attempt(&untrusted, "198.51.100.2").await, 401);
    assert_eq!(attempt(&untrusted, "198.51.100.3").await, 429, "the header is ignored: one peer, one limit");
}
