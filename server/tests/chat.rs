//! The real-time chat core end to end on one real server: HTTP API, WebSocket frames,
//! delivery semantics, typing and presence, with real clients.

mod common;

use std::time::Duration;

use common::{Account, Pair, TestServer, Ws};
use serde_json::{json, Value};

fn ids(frames: &[Value]) -> Vec<i64> {
    frames.iter().map(|f| f["message"]["id"].as_i64().unwrap()).collect()
}

#[tokio::test]
async fn two_users_exchange_messages_in_a_private_room() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let room = alice.private_room_with(&bob).await;
    assert_eq!(bob.private_room_with(&alice).await, room, "one private room per pair");

    let mut a = alice.connect().await;
    let mut b = bob.connect().await;
    let ack = a.send_message(room, "a-1", "Hello Bob").await;
    assert_eq!(ack["client_id"], "a-1");
    assert_eq!(ack["message"]["content"], "Hello Bob");
    assert_eq!(ack["message"]["sender_name"], "Alice");
    let got = b.recv_type("receive_message").await;
    assert_eq!(got["message"], ack["message"]);

    let reply = b.send_message(room, "b-1", "สวัสดี Alice").await;
    let got = a.recv_type("receive_message").await;
    assert_eq!(got["message"]["content"], "สวัสดี Alice");
    assert!(reply["message"]["id"].as_i64() > ack["message"]["id"].as_i64());

    // Both are persisted, in id order, and the room list shows the latest with unread counts.
    let (status, page) = alice.get(&format!("/api/rooms/messages?room_id={room}")).await;
    assert_eq!(status, 200);
    let contents: Vec<&str> =
        page["messages"].as_array().unwrap().iter().map(|m| m["content"].as_str().unwrap()).collect();
    assert_eq!(contents, ["Hello Bob", "สวัสดี Alice"]);
    let (_, rooms) = alice.get("/api/rooms").await;
    assert_eq!(rooms[0]["room"]["id"], room);
    assert_eq!(rooms[0]["title"], "Bob");
    assert_eq!(rooms[0]["last_message"]["content"], "สวัสดี Alice");
    assert_eq!(rooms[0]["unread"], 1);

    // mark_read over the socket clears it, and tells the room (read receipts; the reader's
    // other tabs clear their badges).
    assert_eq!(reply["seq"], 2, "the second change in the room");
    a.send(json!({"type": "mark_read", "room_id": room, "seq": reply["seq"]})).await;
    let receipt = b.recv_type("read_marker").await;
    assert_eq!((receipt["user_id"].as_i64(), &receipt["seq"]), (Some(alice.id), &reply["seq"]));
    a.recv_type("read_marker").await;
    let (_, rooms) = alice.get("/api/rooms").await;
    assert_eq!(rooms[0]["unread"], 0);
}

#[tokio::test]
async fn non_members_are_refused_join_send_and_history() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let eve = server.register("eve").await;
    let room = alice.private_room_with(&bob).await;
    let mut e = eve.connect().await;

    e.send(json!({"type": "join_room", "room_id": room})).await;
    let err = e.recv_type("error").await;
    assert_eq!(err["code"], "not_found");

    e.send(json!({"type": "send_message", "room_id": room, "client_id": "x", "content": "let me in"})).await;
    let err = e.recv_type("error").await;
    assert_eq!((err["code"].as_str(), err["client_id"].as_str()), (Some("not_found"), Some("x")));

    e.send(json!({"type": "user_typing", "room_id": room, "typing": true})).await;
    assert_eq!(e.recv_type("error").await["code"], "not_found");

    let (status, body) = eve.get(&format!("/api/rooms/messages?room_id={room}")).await;
    assert_eq!(status, 404, "{body}");
    let (status, _) = eve.get(&format!("/api/rooms/details?room_id={room}")).await;
    assert_eq!(status, 404);
    let (status, _) = eve.post("/api/rooms/read", json!({"room_id": room, "seq": 1})).await;
    assert_eq!(status, 404);
    let (status, _) = eve.get(&format!("/api/rooms/changes?room_id={room}&since=0")).await;
    assert_eq!(status, 404);

    // Nothing Eve tried was stored.
    let (_, page) = alice.get(&format!("/api/rooms/messages?room_id={room}")).await;
    assert_eq!(page["messages"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn an_idempotent_retry_yields_one_message() {
    let Pair { server: _server, alice, room, mut a, mut b, .. } = Pair::start().await;

    let first = a.send_message(room, "same-key", "once").await;
    let retry = a.send_message(room, "same-key", "once").await;
    assert_eq!(first["message"], retry["message"], "the retry returns the original");
    // Even from another tab (a reconnect), the same key is the same message.
    let mut a2 = alice.connect().await;
    let third = a2.send_message(room, "same-key", "once").await;
    assert_eq!(third["message"]["id"], first["message"]["id"]);

    let delivered = b.collect_type("receive_message", Duration::from_millis(500)).await;
    assert_eq!(delivered.len(), 1, "fanned out once");
    let (_, page) = alice.get(&format!("/api/rooms/messages?room_id={room}")).await;
    assert_eq!(page["messages"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_reconnect_catches_up_exactly() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let room = alice.group("Team", &[&bob]).await;
    let mut a = alice.connect().await;

    let mut b = bob.connect().await;
    let seen = a.send_message(room, "m0", "seen by bob").await;
    let got = b.recv_message().await;
    assert_eq!(got["message"]["id"], seen["message"]["id"]);
    let last_seen = got["seq"].as_i64().unwrap();
    drop(b); // Bob's connection dies

    let mut sent = Vec::new();
    for i in 1..=7 {
        sent.push(
            a.send_message(room, &format!("m{i}"), &format!("missed {i}")).await["message"]["id"].as_i64().unwrap(),
        );
    }

    let mut b = bob.connect().await;
    let (caught_up, joined) = b.join(room, Some(last_seen)).await;
    assert_eq!(joined["seq"].as_i64(), Some(last_seen + 7));
    assert_eq!(joined.get("reset"), None);
    assert_eq!(ids(&caught_up), sent, "every missed message, in order, once");
    let seqs: Vec<i64> = caught_up.iter().map(|f| f["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (last_seen + 1..=last_seen + 7).collect::<Vec<_>>());

    // Live delivery continues after catch-up, without repeats.
    let live = a.send_message(room, "m8", "live again").await;
    let next = b.recv_message().await;
    assert_eq!(next["message"]["id"], live["message"]["id"]);
    assert!(b.collect_type("receive_message", Duration::from_millis(300)).await.is_empty());
}

#[tokio::test]
async fn typing_is_relayed_and_expires_after_five_seconds() {
    let Pair { server: _server, room, mut a, mut b, .. } = Pair::start().await;

    a.send(json!({"type": "user_typing", "room_id": room, "typing": true})).await;
    let t = b.recv_type("user_typing").await;
    assert_eq!((t["typing"].as_bool(), t["user"]["display_name"].as_str()), (Some(true), Some("Alice")));
    let started = std::time::Instant::now();
    let t = b.recv_type_within("user_typing", Duration::from_secs(8)).await;
    assert_eq!(t["typing"], false);
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(4_500) && waited < Duration::from_millis(7_000), "{waited:?}");

    // Sending a message ends typing at once.
    a.send(json!({"type": "user_typing", "room_id": room, "typing": true})).await;
    assert_eq!(b.recv_type("user_typing").await["typing"], true);
    a.send_message(room, "t1", "done typing").await;
    assert_eq!(b.recv_type("user_typing").await["typing"], false);

    // A flood of typing frames reaches the others as a handful; the connection goes on.
    for i in 0..60 {
        a.send(json!({"type": "user_typing", "room_id": room, "typing": i % 2 == 0})).await;
    }
    let seen = b.collect_type("user_typing", Duration::from_millis(800)).await;
    assert!(!seen.is_empty() && seen.len() <= 10, "{} typing frames", seen.len());
    a.send(json!({"type": "ping"})).await;
    a.recv_type("pong").await;
}

#[tokio::test]
async fn presence_holds_across_two_tabs_and_ends_after_the_last() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let stranger = server.register("stranger").await;
    alice.private_room_with(&bob).await;
    let mut watcher = bob.connect().await;
    let mut outsider = stranger.connect().await;

    let tab1 = alice.connect().await;
    let f = watcher.recv_type("user_online").await;
    assert_eq!((f["user_id"].as_i64(), f["online"].as_bool()), (Some(alice.id), Some(true)));
    let tab2 = alice.connect().await;
    drop(tab1);
    assert!(
        watcher.collect_type("user_online", Duration::from_secs(4)).await.is_empty(),
        "one tab closing while another is open changes nothing"
    );
    // A third client sees Alice online in its hello; someone who shares no room with her does
    // not, and hears nothing of her.
    let online = |base: &str, token: &str| {
        let (base, token) = (base.to_string(), token.to_string());
        async move {
            let url = format!("{}/ws", base.replacen("http", "ws", 1));
            let mut req = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(url).unwrap();
            req.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
            let (mut stream, _) = tokio_tungstenite::connect_async(req).await.unwrap();
            let first = futures_util::StreamExt::next(&mut stream).await.unwrap().unwrap();
            let hello: serde_json::Value = serde_json::from_str(first.to_text().unwrap()).unwrap();
            hello["online"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect::<Vec<_>>()
        }
    };
    assert!(online(&bob.base, &bob.token).await.contains(&alice.id));
    assert!(!online(&stranger.base, &stranger.token).await.contains(&alice.id));
    drop(tab2);
    let f = watcher.recv_type_within("user_online", Duration::from_secs(6)).await;
    assert_eq!((f["user_id"].as_i64(), f["online"].as_bool()), (Some(alice.id), Some(false)));
    assert!(outsider.collect_type("user_online", Duration::from_millis(200)).await.is_empty());
}

#[tokio::test]
async fn a_slow_consumer_is_cut_off_while_others_keep_receiving() {
    let server = TestServer::start_with(|c| c.ws_queue = 8).await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let carol = server.register("carol").await;
    let room = alice.group("Busy", &[&bob, &carol]).await;

    let mut a = alice.connect().await;
    let mut b = bob.connect().await;
    // Carol connects with a tiny receive window and then never reads.
    let mut slow = Ws::connect_slow(&carol.base, &carol.token).await;

    // 12 KB frames (Thai is 3 bytes a character): more than loopback's socket buffers hold.
    let text = "ก".repeat(4_000);
    let total = 600;
    let reader = tokio::spawn(async move {
        let mut got = Vec::new();
        while got.len() < total {
            let f = b.recv_type_within("receive_message", Duration::from_secs(20)).await;
            got.push(f["message"]["id"].as_i64().unwrap());
        }
        got
    });
    let mut sent = Vec::new();
    for i in 0..total {
        a.send(json!({"type": "send_message", "room_id": room, "client_id": format!("s{i}"), "content": text})).await;
        if i % 50 == 49 {
            // keep Alice's own queue drained
            while let Some(f) = a.try_recv(Duration::from_millis(1)).await {
                if f["type"] == "message_ack" {
                    sent.push(f["message"]["id"].as_i64().unwrap());
                }
            }
        }
    }
    while sent.len() < total {
        let f = a.recv_type_within("message_ack", Duration::from_secs(20)).await;
        sent.push(f["message"]["id"].as_i64().unwrap());
    }
    let got = reader.await.unwrap();
    assert_eq!(got, sent, "Bob got everything, in order, while Carol stalled");

    let metrics = reqwest::get(server.url("/metrics")).await.unwrap().text().await.unwrap();
    assert!(metrics.contains("confab_slow_consumers_dropped_total 1"), "{metrics}");
    // Carol's socket ends with "try again later" once she reads what was buffered.
    assert_eq!(slow.drain_until_close().await, Some(1013));
}

/// A connection flooded with deliveries still reads and answers its own client: its frames are
/// taken between batches of queued ones, never only once the flood is over.
#[tokio::test]
async fn a_flooded_connection_still_answers_its_client() {
    let Pair { server: _server, alice, room, mut a, mut b, .. } = Pair::start().await;

    let total = 1_500;
    let flood = tokio::spawn(async move {
        for i in 0..total {
            a.send(json!({"type": "send_message", "room_id": room, "client_id": format!("f{i}"), "content": "flood"}))
                .await;
        }
        for _ in 0..total {
            a.recv_type_within("message_ack", Duration::from_secs(30)).await;
        }
    });

    // Bob answers mid-flood, three times: each reply is acknowledged while Alice's messages are
    // still arriving.
    let mut received = 0;
    let mut pending: Option<usize> = None;
    let mut answered = Vec::new();
    while received < total {
        let f = b.try_recv(Duration::from_secs(30)).await.expect("frames keep coming");
        match f["type"].as_str() {
            Some("receive_message") if f["message"]["sender_id"] == alice.id => received += 1,
            Some("message_ack") if f["message"]["content"] == "reply" => {
                answered.push((pending.take().expect("a reply was sent"), received));
            }
            _ => {}
        }
        if pending.is_none() && [100, 400, 700].contains(&received) && !answered.iter().any(|&(at, _)| at == received) {
            let reply = json!({"type": "send_message", "room_id": room, "client_id": format!("b{received}"), "content": "reply"});
            b.send(reply).await;
            pending = Some(received);
        }
    }
    assert_eq!(answered.iter().map(|&(sent, _)| sent).collect::<Vec<_>>(), [100, 400, 700]);
    assert!(answered.iter().all(|&(sent, acked)| acked < sent + 300), "answered within the flood: {answered:?}");
    flood.await.unwrap();
}

/// Under load, messages arriving within the commit interval share one commit (and one write
/// per recipient): all are still acknowledged, stored and delivered once, in id order.
#[tokio::test]
async fn messages_within_the_commit_interval_share_a_commit() {
    let server = TestServer::start_with(|c| c.commit_interval_ms = 300).await;
    let owner = server.register("owner").await;
    let mut senders = Vec::new();
    for i in 0..8 {
        senders.push(server.register(&format!("sender{i}")).await);
    }
    let room = owner.group("Busy", &senders.iter().collect::<Vec<_>>()).await;
    let mut listener = owner.connect().await;
    let mut sockets = Vec::new();
    for s in &senders {
        sockets.push(s.connect().await);
    }

    // One message first: the writer was quiet, so it is stored and delivered alone, at once.
    let first = sockets[0].send_message(room, "first", "warm-up").await;
    assert_eq!(listener.recv_type("receive_message").await["message"], first["message"]);
    // Eight more from eight connections, 20 ms apart: each would be committed alone if the
    // writer did not wait out the interval.
    for (i, ws) in sockets.iter_mut().enumerate() {
        let (id, text) = (format!("m{i}"), format!("message {i}"));
        ws.send(json!({"type": "send_message", "room_id": room, "client_id": id, "content": text})).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut acked = Vec::new();
    for ws in &mut sockets {
        acked.push(ws.recv_type("message_ack").await["message"]["id"].as_i64().unwrap());
    }
    acked.sort();
    let mut heard = Vec::new();
    for _ in 0..8 {
        heard.push(listener.recv_type("receive_message").await);
    }
    assert_eq!(ids(&heard), acked, "the listener hears each once, in id order");
    assert!(listener.collect_type("receive_message", Duration::from_millis(200)).await.is_empty(), "nothing twice");

    let metrics = reqwest::get(server.url("/metrics")).await.unwrap().text().await.unwrap();
    assert!(metrics.contains("confab_messages_stored_total 9"), "{metrics}");
    let commits: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("confab_message_commits_total "))
        .and_then(|v| v.parse().ok())
        .unwrap();
    assert!(commits <= 3, "the eight shared a commit or two, not eight: {commits}");
}

#[tokio::test]
async fn a_three_member_group_with_roles_leave_and_rename() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let carol = server.register("carol").await;
    let dave = server.register("dave").await;
    let room = alice.group("Trio", &[&bob, &carol]).await;
    let mut b = bob.connect().await;
    let mut c = carol.connect().await;
    let mut a = alice.connect().await;

    a.send_message(room, "g1", "hi both").await;
    assert_eq!(b.recv_message().await["message"]["content"], "hi both");
    assert_eq!(c.recv_message().await["message"]["content"], "hi both");

    // Members cannot add people; the owner can, and the newcomer hears the room at once.
    let (status, body) = bob.post("/api/rooms/participants", json!({"room_id": room, "user_ids": [dave.id]})).await;
    assert_eq!(status, 403, "{body}");
    let mut d = dave.connect().await;
    let (status, details) =
        alice.post("/api/rooms/participants", json!({"room_id": room, "user_ids": [dave.id]})).await;
    assert_eq!(status, 200, "{details}");
    assert_eq!(details["participants"].as_array().unwrap().len(), 4);
    d.recv_type("room_updated").await;
    // Everyone in the room sees it as a timeline entry, in order.
    let line = b.recv_type("receive_message").await;
    assert_eq!(
        (line["message"]["kind"].as_str(), line["message"]["content"].as_str()),
        (Some("SYSTEM"), Some("Alice added Dave"))
    );
    assert_eq!(line["message"]["system"]["event"], "members_added");
    a.send_message(room, "g2", "welcome dave").await;
    assert_eq!(d.recv_message().await["message"]["content"], "welcome dave");

    // Carol leaves: she stops receiving; the others are told the room changed.
    let (status, _) = carol.post("/api/rooms/leave", json!({"room_id": room})).await;
    assert_eq!(status, 200);
    assert_eq!(c.recv_type("room_removed").await["room_id"], room);
    a.send_message(room, "g3", "after carol left").await;
    assert!(c.collect_messages(Duration::from_millis(400)).await.is_empty());
    let (status, _) = carol.get(&format!("/api/rooms/messages?room_id={room}")).await;
    assert_eq!(status, 404);

    // Renaming is for the group's owners and admins.
    let (status, body) = bob.post("/api/rooms/rename", json!({"room_id": room, "name": "Bob's"})).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("forbidden")), "{body}");
    let (status, renamed) = alice.post("/api/rooms/rename", json!({"room_id": room, "name": "  Quartet "})).await;
    assert_eq!(status, 200);
    assert_eq!(renamed["title"], "Quartet");
    // The rename is in the timeline: Dave's history shows every change in seq order.
    let (_, page) = dave.get(&format!("/api/rooms/messages?room_id={room}")).await;
    let lines: Vec<&str> =
        page["messages"].as_array().unwrap().iter().map(|m| m["content"].as_str().unwrap()).collect();
    assert_eq!(
        lines,
        [
            "Alice created the group \u{201c}Trio\u{201d}",
            "hi both",
            "Alice added Dave",
            "welcome dave",
            "Carol left",
            "after carol left",
            "Alice renamed the group to \u{201c}Quartet\u{201d}"
        ]
    );
    let (status, body) = bob.post("/api/rooms/rename", json!({"room_id": room, "name": ""})).await;
    assert_eq!((status, body["field"].as_str()), (422, Some("name")));
}

/// Bob left his private room with Alice; when she opens it again he is back, the socket he
/// already has open hears the room at once, and the timeline says who came back.
#[tokio::test]
async fn a_private_room_opened_again_brings_back_who_left() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let room = alice.private_room_with(&bob).await;
    let mut b = bob.connect().await;
    assert_eq!(bob.post("/api/rooms/leave", json!({"room_id": room})).await.0, 200);
    assert_eq!(b.recv_type("room_removed").await["room_id"], room);

    assert_eq!(alice.private_room_with(&bob).await, room, "the same room");
    assert_eq!(b.recv_type("room_updated").await["room_id"], room);
    let mut a = alice.connect().await;
    a.send_message(room, "back-1", "welcome back").await;
    assert_eq!(b.recv_message().await["message"]["content"], "welcome back");

    // Alice leaves and opens it again herself: "Alice rejoined".
    assert_eq!(alice.post("/api/rooms/leave", json!({"room_id": room})).await.0, 200);
    assert_eq!(alice.private_room_with(&bob).await, room);
    let (_, page) = bob.get(&format!("/api/rooms/messages?room_id={room}")).await;
    let lines: Vec<&str> =
        page["messages"].as_array().unwrap().iter().map(|m| m["content"].as_str().unwrap()).collect();
    assert_eq!(lines, ["Bob left", "Alice added Bob", "welcome back", "Alice left", "Alice rejoined"]);
}

#[tokio::test]
async fn the_http_api_validates_and_paginates() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let bob = server.register("bobby").await;
    server.register("bobcat").await;
    let room = alice.private_room_with(&bob).await;
    let mut a = alice.connect().await;
    let mut all = Vec::new();
    for i in 0..30 {
        all.push(a.send_message(room, &format!("p{i}"), &format!("n{i}")).await["message"]["id"].as_i64().unwrap());
    }
    let page = |q: String| {
        let alice = alice.clone();
        async move { alice.get(&format!("/api/rooms/messages?room_id={room}{q}")).await }
    };
    let (_, p) = page("&limit=10".into()).await;
    let got: Vec<i64> = p["messages"].as_array().unwrap().iter().map(|m| m["id"].as_i64().unwrap()).collect();
    assert_eq!(got, all[20..]);
    assert_eq!(p["has_more"], true);
    assert_eq!(p["seq"], 30);
    let (_, p) = page(format!("&limit=10&before={}", all[20])).await;
    let got: Vec<i64> = p["messages"].as_array().unwrap().iter().map(|m| m["id"].as_i64().unwrap()).collect();
    assert_eq!(got, all[10..20]);
    let (_, p) = page(format!("&limit=100&after={}", all[27])).await;
    assert_eq!(p["messages"].as_array().unwrap().len(), 2);
    assert_eq!(p["has_more"], false);
    let (status, body) = page("&limit=101".into()).await;
    assert_eq!((status, body["field"].as_str()), (422, Some("limit")));

    // Bad frames get clear errors and lose nothing.
    a.send(json!({"type": "send_message", "room_id": room, "client_id": "e1", "content": "   "})).await;
    let err = a.recv_type("error").await;
    assert_eq!((err["code"].as_str(), err["client_id"].as_str()), (Some("invalid"), Some("e1")));
    a.send(json!({"type": "send_message", "room_id": room, "client_id": "e2", "content": "x".repeat(4001)})).await;
    assert_eq!(a.recv_type("error").await["code"], "invalid");
    a.send(json!({"type": "dance"})).await;
    assert_eq!(a.recv_type("error").await["code"], "bad_request");
    a.send(json!({"type": "ping"})).await;
    a.recv_type("pong").await;

    let (_, found) = alice.get("/api/users/search?query=BOB").await;
    let names: Vec<&str> = found.as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap()).collect();
    assert_eq!(names, ["bobby", "bobcat"]);
    let (status, _) = alice.post("/api/rooms/private", json!({"user_id": alice.id})).await;
    assert_eq!(status, 422);
    let (status, _) = alice.post("/api/rooms/private", json!({"user_id": 999_999})).await;
    assert_eq!(status, 404);
    let (status, body) = alice.post("/api/rooms/group", json!({"name": "Ghosts", "members": [999_999]})).await;
    assert_eq!((status, body["field"].as_str()), (422, Some("members")));
}

#[tokio::test]
async fn websocket_upgrades_need_a_session_and_the_right_origin() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    assert_eq!(Ws::connect(&server.base, None, None).await.err(), Some(401));
    assert_eq!(Ws::connect(&server.base, Some("forged"), None).await.err(), Some(401));
    assert_eq!(Ws::connect(&server.base, Some(&alice.token), Some("http://evil.example")).await.err(), Some(403));
    assert!(Ws::connect(&server.base, Some(&alice.token), Some(&server.base)).await.is_ok());
}

#[tokio::test]
async fn messages_survive_a_server_restart() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let room = alice.private_room_with(&bob).await;
    let before = alice.connect().await.send_message(room, "r1", "before restart").await;
    let dir = server.stop().await;

    let url = format!("sqlite://{}/confab.db", dir.path().display());
    let server = TestServer::start_on(dir, &url, |_| {}).await;
    let alice = Account { base: server.base.clone(), ..alice };
    let after = alice.connect().await.send_message(room, "r2", "after restart").await;
    assert!(after["message"]["id"].as_i64() > before["message"]["id"].as_i64());
    let (_, page) = alice.get(&format!("/api/rooms/messages?room_id={room}")).await;
    let contents: Vec<&str> =
        page["messages"].as_array().unwrap().iter().map(|m| m["content"].as_str().unwrap()).collect();
    assert_eq!(contents, ["before restart", "after restart"]);
    // The session survived too (it is in the database, not in memory).
    let (status, _) = alice.get("/api/rooms").await;
    assert_eq!(status, 200);
}
