//! Two nodes on one throwaway PostgreSQL: node A is a separate process (so it can be killed
//! with SIGKILL), node B runs in the test. Cross-node delivery in seq order (edits and
//! reactions included), a listener
//! connection killed during a burst, a node killed mid-stream, presence across nodes (a dead
//! node's users go offline), and logout closing sockets on the other node.

mod common;

use std::time::Duration;

use common::{pg::PgServer, Account, ChildServer, TestServer, Ws};
use serde_json::{json, Value};

fn on(node: &str, account: &Account) -> Account {
    Account { base: node.to_string(), ..account.clone() }
}

/// People's messages (system lines skipped) until `n` have arrived: (seq, content) pairs.
async fn receive(ws: &mut Ws, n: usize, wait: Duration) -> Vec<(i64, String)> {
    let mut got = Vec::new();
    while got.len() < n {
        let f = ws.recv_type_within("receive_message", wait).await;
        if f["message"]["kind"] != "SYSTEM" {
            got.push((f["seq"].as_i64().unwrap(), f["message"]["content"].as_str().unwrap().to_string()));
        }
    }
    got
}

async fn send_many(ws: &mut Ws, room: i64, prefix: &str, n: usize) -> Vec<i64> {
    for i in 0..n {
        let frame = json!({"type": "send_message", "room_id": room, "client_id": format!("{prefix}{i}"), "content": format!("{prefix} {i}")});
        ws.send(frame).await;
    }
    let mut seqs = Vec::new();
    while seqs.len() < n {
        seqs.push(ws.recv_type_within("message_ack", Duration::from_secs(30)).await["seq"].as_i64().unwrap());
    }
    seqs
}

async fn listener_pid(pg: &PgServer, node: &str) -> Option<i32> {
    let pool = sqlx::PgPool::connect(&pg.url).await.unwrap();
    let pid: Option<i32> = sqlx::query_scalar("SELECT pid FROM pg_stat_activity WHERE application_name = $1")
        .bind(format!("confab-listener {node}"))
        .fetch_optional(&pool)
        .await
        .unwrap();
    pool.close().await;
    pid
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_on_one_postgres() {
    let Some(pg) = PgServer::start() else {
        return;
    };
    let mut a = ChildServer::start(&pg.url, "node-a").await;
    let b = TestServer::start_on(tempfile::tempdir().unwrap(), &pg.url, |c| c.node_id = Some("node-b".into())).await;
    let alice = b.register("alice").await;
    let bob = b.register("bob").await;
    let carol = b.register("carol").await;
    let dave = b.register("dave").await;
    let room = alice.group("Across", &[&bob, &carol, &dave]).await;

    // A message sent on node A reaches a member on node B, in seq order.
    let mut alice_a = on(&a.base, &alice).connect().await;
    let mut bob_b = bob.connect().await;
    let sent = send_many(&mut alice_a, room, "hello", 20).await;
    let got = receive(&mut bob_b, 20, Duration::from_secs(5)).await;
    assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), sent, "every message, in seq order");

    // An edit and a reaction made on node A reach node B as the message's full current state.
    let ack = alice_a.send_message(room, "rich-1", "typo").await;
    receive(&mut bob_b, 1, Duration::from_secs(5)).await;
    let id = ack["message"]["id"].clone();
    alice_a.send(json!({"type": "edit_message", "room_id": room, "message_id": id, "content": "fixed"})).await;
    alice_a.send(json!({"type": "react", "room_id": room, "message_id": id, "emoji": "🎉", "add": true})).await;
    let edited = bob_b.recv_type("message_updated").await;
    assert_eq!(edited["message"]["content"], "fixed");
    let reacted = bob_b.recv_type("message_updated").await;
    assert_eq!(reacted["message"]["reactions"][0]["emoji"], "🎉");
    assert_eq!(reacted["message"]["content"], "fixed");
    assert_eq!(reacted["seq"].as_i64(), edited["seq"].as_i64().map(|s| s + 1));

    // Bob reads on node B: Alice's read receipt on node A moves.
    bob_b.send(json!({"type": "mark_read", "room_id": room, "seq": reacted["seq"]})).await;
    let receipt = alice_a.recv_type("read_marker").await;
    assert_eq!((receipt["user_id"].as_i64(), &receipt["seq"]), (Some(bob.id), &reacted["seq"]));

    // Leaving on node A stops the room's frames on node B at once, and node B's cached role
    // is gone with it: Erin, connected to node B, is refused straight after.
    let erin = b.register("erin").await;
    let (status, _) = alice.post("/api/rooms/participants", json!({"room_id": room, "user_ids": [erin.id]})).await;
    assert_eq!(status, 200);
    let mut erin_b = erin.connect().await;
    erin_b.send_message(room, "e1", "hello before leaving").await;
    let (status, _) = on(&a.base, &erin).post("/api/rooms/leave", json!({"room_id": room})).await;
    assert_eq!(status, 200);
    assert_eq!(erin_b.recv_type_within("room_removed", Duration::from_secs(1)).await["room_id"], room);
    erin_b.send(json!({"type": "send_message", "room_id": room, "client_id": "e2", "content": "still here?"})).await;
    assert_eq!(erin_b.recv_type("error").await["code"], "not_found");
    send_many(&mut alice_a, room, "after erin", 1).await;
    assert!(erin_b.collect_messages(Duration::from_millis(300)).await.is_empty());
    let got = receive(&mut bob_b, 2, Duration::from_secs(5)).await;
    assert_eq!(got.iter().map(|g| g.1.as_str()).collect::<Vec<_>>(), ["hello before leaving", "after erin 0"]);
    let bob_seq = got[1].0;

    // Presence crosses nodes: Dave, only on node A, is online for Bob on node B.
    let mut dave_a = on(&a.base, &dave).connect().await;
    loop {
        let f = bob_b.recv_type_within("user_online", Duration::from_secs(5)).await;
        if f["user_id"].as_i64() == Some(dave.id) {
            assert_eq!(f["online"], true);
            break;
        }
    }

    // Logging out on node B closes the same session's socket on node A within a second.
    let res = reqwest::Client::new().post(b.url("/api/logout")).bearer_auth(&dave.token).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let closed = tokio::time::timeout(Duration::from_secs(1), dave_a.drain_until_close()).await;
    assert_eq!(closed.ok().flatten(), Some(4401));
    let dave = Account { token: b.register_token("dave").await, ..dave };

    // Node B's listener connection is killed during a burst of 1,000 messages from node A.
    // What node B missed meanwhile may be more than messages (a leave, a logout), so once its
    // listener is back it closes its sockets as a restarting server does (1001); Bob,
    // reconnecting to node B from the last seq he had, gets all 1,000, once each, in order.
    let burst = tokio::spawn(async move {
        let seqs = send_many(&mut alice_a, room, "burst", 1000).await;
        (alice_a, seqs)
    });
    tokio::time::sleep(Duration::from_millis(150)).await;
    let pid = listener_pid(&pg, "node-b").await.expect("node B's listener is connected");
    let pool = sqlx::PgPool::connect(&pg.url).await.unwrap();
    let killed: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1)").bind(pid).fetch_one(&pool).await.unwrap();
    assert!(killed);
    let (frames, code) = bob_b.frames_until_close().await;
    assert_eq!(code, Some(1001), "node B closes its sockets once its listener is back");
    let seq_of = |f: &Value| {
        (f["type"] == "receive_message" && f["message"]["kind"] != "SYSTEM").then(|| f["seq"].as_i64().unwrap())
    };
    let mut got: Vec<i64> = frames.iter().filter_map(seq_of).collect();
    let mut bob_b = bob.connect().await;
    let (caught_up, _) = bob_b.join(room, Some(got.last().copied().unwrap_or(bob_seq))).await;
    got.extend(caught_up.iter().filter_map(seq_of));
    let (alice_a, seqs) = burst.await.unwrap();
    // A new connection hears the room live from its start, so live frames may come before
    // and inside the catch-up: the browser merges them by seq, as here.
    got.sort_unstable();
    got.dedup();
    got.extend(
        receive(&mut bob_b, seqs.len().saturating_sub(got.len()), Duration::from_secs(20)).await.iter().map(|g| g.0),
    );
    assert_eq!(got, seqs, "all 1,000, in order");
    assert!(bob_b.collect_messages(Duration::from_millis(300)).await.is_empty(), "nothing more");
    assert!(listener_pid(&pg, "node-b").await.is_some_and(|p| p != pid), "the listener reconnected");

    // Node A is killed (SIGKILL) while Bob streams from node B: Carol, who was on node A,
    // reconnects to node B and catches up exactly.
    let mut carol_a = on(&a.base, &carol).connect().await;
    let (_, joined) = carol_a.join(room, None).await;
    let mut carol_seq = joined["seq"].as_i64().unwrap();
    let mut dave_a = on(&a.base, &dave).connect().await;
    bob_b.recv_type_within("user_online", Duration::from_secs(5)).await;
    let mut bob_sender = bob.connect().await;
    let stream = tokio::spawn(async move { send_many(&mut bob_sender, room, "stream", 300).await });
    let mut carol_got: Vec<(i64, String)> = Vec::new();
    while carol_got.len() < 50 {
        let f = carol_a.recv_type_within("receive_message", Duration::from_secs(5)).await;
        carol_seq = f["seq"].as_i64().unwrap();
        carol_got.push((carol_seq, f["message"]["content"].as_str().unwrap().to_string()));
    }
    a.kill();
    assert_eq!(carol_a.drain_until_close().await, None, "no goodbye from a killed node");
    assert_eq!(dave_a.drain_until_close().await, None);
    let streamed = stream.await.unwrap();
    let mut carol_b = carol.connect().await;
    let (caught_up, joined) = carol_b.join(room, Some(carol_seq)).await;
    assert_eq!(joined.get("reset"), None);
    carol_got.extend(
        caught_up.iter().map(|f| (f["seq"].as_i64().unwrap(), f["message"]["content"].as_str().unwrap().to_string())),
    );
    let carol_seqs: Vec<i64> = carol_got.iter().map(|g| g.0).collect();
    assert_eq!(carol_seqs, streamed, "everything streamed, once, in order, across the crash");
    drop(alice_a);

    // The dead node's users go offline for everyone else within 30 s.
    let started = std::time::Instant::now();
    loop {
        let f = bob_b.recv_type_within("user_online", Duration::from_secs(30)).await;
        if f["user_id"].as_i64() == Some(dave.id) && f["online"] == false {
            break;
        }
    }
    assert!(started.elapsed() < Duration::from_secs(30), "{:?}", started.elapsed());
}
