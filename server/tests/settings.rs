//! Settings and notifications over the wire: my display name and notification defaults, a
//! room's level and mute, read receipts reaching the other members live, who may rename a
//! group, and a password change that ends every other session (their sockets closed within a
//! second) — on SQLite and on a throwaway PostgreSQL. Also the app's own not-found page.

mod common;

use std::time::Duration;

use common::{pg::PgServer, Account, TestServer, Ws};
use serde_json::{json, Value};

const MUTED_FOREVER: i64 = 253_402_300_799_000;

async fn summary(who: &Account, room: i64) -> Value {
    let (_, rooms) = who.get("/api/rooms").await;
    rooms.as_array().unwrap().iter().find(|s| s["room"]["id"] == room).cloned().unwrap()
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

async fn settings_and_room_notifications(server: &TestServer, tag: &str) {
    let alice = server.register(&format!("alice{tag}")).await;
    let bob = server.register(&format!("bob{tag}")).await;
    let carol = server.register(&format!("carol{tag}")).await;

    let (status, mine) = alice.get("/api/settings").await;
    assert_eq!(status, 200, "{mine}");
    assert_eq!((mine["notify"].as_str(), mine["sound"].as_bool()), (Some("all"), Some(true)), "the defaults");
    let mut open_tab = alice.connect().await;
    let (status, saved) = alice
        .post("/api/settings/save", json!({"display_name": "  Ally  ", "notify": "mentions", "sound": false}))
        .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["user"]["display_name"], "Ally");
    let (_, again) = alice.get("/api/settings").await;
    assert_eq!((again["notify"].as_str(), again["sound"].as_bool()), (Some("mentions"), Some(false)));
    let (_, me) = alice.get("/api/me").await;
    assert_eq!(me["display_name"], "Ally", "the new name is the account's");
    // A socket holds who it belongs to: it is asked to reconnect, and then speaks as Ally.
    let closed = tokio::time::timeout(Duration::from_secs(1), open_tab.drain_until_close()).await;
    assert_eq!(closed.ok().flatten(), Some(1013));
    let mut open_tab = alice.connect().await;
    // Only what is given changes; the theme comes back as a cookie for the pages.
    let res = reqwest::Client::new()
        .post(server.url("/api/settings/save"))
        .bearer_auth(&alice.token)
        .json(&json!({"theme": "dark"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("confab_theme=dark;"), "{cookie}");
    let saved: Value = res.json().await.unwrap();
    assert_eq!(
        (saved["theme"].as_str(), saved["notify"].as_str(), saved["user"]["display_name"].as_str()),
        (Some("dark"), Some("mentions"), Some("Ally"))
    );
    // The language: kept on the account and pinned in this browser by a cookie; `auto` clears
    // the cookie so the browser's Accept-Language decides again.
    let language = |value: &'static str| {
        reqwest::Client::new()
            .post(server.url("/api/settings/save"))
            .bearer_auth(&alice.token)
            .json(&json!({"language": value}))
            .send()
    };
    let res = language("th").await.unwrap();
    let cookies: Vec<String> =
        res.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_string()).collect();
    assert!(cookies.iter().any(|c| c.starts_with("confab_lang=th;")), "{cookies:?}");
    let saved: Value = res.json().await.unwrap();
    assert_eq!((saved["language"].as_str(), saved["theme"].as_str()), (Some("th"), Some("dark")));
    let res = language("auto").await.unwrap();
    let cookies: Vec<String> =
        res.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_string()).collect();
    assert!(cookies.iter().any(|c| c.starts_with("confab_lang=;") && c.contains("Max-Age=0")), "{cookies:?}");
    assert_eq!(language("fr").await.unwrap().status(), 400, "an unknown language is refused");
    let long = "x".repeat(65);
    let (status, err) =
        alice.post("/api/settings/save", json!({"display_name": long, "notify": "all", "sound": true})).await;
    assert_eq!((status, err["field"].as_str()), (422, Some("display_name")), "{err}");
    let (status, _) =
        alice.post("/api/settings/save", json!({"display_name": "A", "notify": "loud", "sound": true})).await;
    assert_eq!(status, 400, "an unknown level is refused");

    // A room's own level and mute: mine alone, and my other tabs hear of it.
    let room = alice.group("Launch", &[&bob]).await;
    let ack = open_tab.send_message(room, "n-1", "hello").await;
    assert_eq!(ack["message"]["sender_name"], "Ally");
    let mut other_tab = alice.connect().await;
    let (status, s) = alice.post("/api/rooms/notify", json!({"room_id": room, "level": "nothing", "mute": "8h"})).await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(s["notify"], "nothing");
    let until = s["muted_until"].as_i64().unwrap();
    assert!((until - (now_ms() + 8 * 3_600_000)).abs() < 60_000, "muted for eight hours");
    assert_eq!(other_tab.recv_type("room_updated").await["room_id"], room);
    assert_eq!(summary(&alice, room).await["notify"], "nothing");
    assert!(summary(&bob, room).await.get("notify").is_none(), "bob's own settings are untouched");
    let (_, s) = alice.post("/api/rooms/notify", json!({"room_id": room, "level": "mentions"})).await;
    assert_eq!(
        (s["notify"].as_str(), s["muted_until"].as_i64()),
        (Some("mentions"), Some(until)),
        "a new level without a mute keeps the mute as it was"
    );
    let (_, s) = alice.post("/api/rooms/notify", json!({"room_id": room, "level": "all", "mute": "forever"})).await;
    assert_eq!((s["notify"].as_str(), s["muted_until"].as_i64()), (Some("all"), Some(MUTED_FOREVER)));
    let (_, s) = alice.post("/api/rooms/notify", json!({"room_id": room, "mute": "off"})).await;
    assert!(s.get("notify").is_none() && s.get("muted_until").is_none(), "back to my default, unmuted: {s}");
    let (status, _) = carol.post("/api/rooms/notify", json!({"room_id": room, "level": "all"})).await;
    assert_eq!(status, 404, "not carol's room");
    let (status, _) = alice.post("/api/rooms/notify", json!({"room_id": room, "mute": "1y"})).await;
    assert_eq!(status, 400);

    // Renaming is for a group's owners and admins.
    let (status, err) = bob.post("/api/rooms/rename", json!({"room_id": room, "name": "Mine now"})).await;
    assert_eq!((status, err["code"].as_str()), (403, Some("forbidden")), "{err}");
    let (status, _) = alice.post("/api/rooms/rename", json!({"room_id": room, "name": "ทีมงาน Launch"})).await;
    assert_eq!(status, 200);
}

/// A member reading a room moves their receipt on every other member's screen.
async fn read_receipts_are_live(server: &TestServer, tag: &str) {
    let alice = server.register(&format!("ralice{tag}")).await;
    let bob = server.register(&format!("rbob{tag}")).await;
    let room = alice.group("Receipts", &[&bob]).await;
    let mut a = alice.connect().await;
    a.join(room, None).await;
    let mut b = bob.connect().await;
    b.join(room, None).await;
    let sent = a.send_message(room, "r-1", "did you see this?").await;
    let seq = sent["seq"].as_i64().unwrap();
    b.recv_message().await;
    b.send(json!({"type": "mark_read", "room_id": room, "seq": seq})).await;
    let receipt = a.recv_type("read_marker").await;
    assert_eq!(receipt, json!({"type": "read_marker", "room_id": room, "user_id": bob.id, "seq": seq}));
    let (_, details) = alice.get(&format!("/api/rooms/details?room_id={room}")).await;
    let bobs = details["participants"].as_array().unwrap().iter().find(|p| p["user"]["id"] == bob.id).unwrap();
    assert_eq!(bobs["last_read_seq"], seq, "a reload shows it too");
}

async fn login(server: &TestServer, username: &str, password: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(server.url("/api/token"))
        .form(&[("username", username), ("password", password)])
        .send()
        .await
        .unwrap()
}

/// Changing my password asks for the current one, then ends every other session of mine —
/// their sockets closed within a second — and keeps this one.
async fn password_change_ends_other_sessions(server: &TestServer, tag: &str) {
    let alice = server.register(&format!("pwd{tag}")).await;
    let laptop: String = login(server, &alice.username, common::PASSWORD).await.json().await.unwrap();
    let laptop = Account { token: laptop, ..alice.clone() };
    let mut laptop_socket = laptop.connect().await;
    let mut this_socket = alice.connect().await;

    let (status, err) =
        alice.post("/api/password", json!({"current_password": "wrong one!", "new_password": "n3w-secret!"})).await;
    assert_eq!((status, err["field"].as_str()), (422, Some("current_password")), "{err}");
    let (status, err) =
        alice.post("/api/password", json!({"current_password": common::PASSWORD, "new_password": "short"})).await;
    assert_eq!((status, err["field"].as_str()), (422, Some("new_password")), "{err}");
    assert_eq!(laptop.get("/api/settings").await.0, 200, "refusals change nothing");

    let (status, body) =
        alice.post("/api/password", json!({"current_password": common::PASSWORD, "new_password": "n3w-secret!"})).await;
    assert_eq!(status, 200, "{body}");
    let closed = tokio::time::timeout(Duration::from_secs(1), laptop_socket.drain_until_close()).await;
    assert_eq!(closed.ok().flatten(), Some(4401), "the other session's socket closed within a second");
    assert_eq!(laptop.get("/api/settings").await.0, 401, "the other session is over");
    assert_eq!(Ws::connect(&server.base, Some(&laptop.token), None).await.err(), Some(401));
    this_socket.send(json!({"type": "ping"})).await;
    this_socket.recv_type("pong").await;
    assert_eq!(alice.get("/api/settings").await.0, 200, "this session stays");
    assert_eq!(login(server, &alice.username, common::PASSWORD).await.status(), 401, "the old password is gone");
    assert_eq!(login(server, &alice.username, "n3w-secret!").await.status(), 200);
}

#[tokio::test]
async fn settings_on_sqlite() {
    let server = TestServer::start().await;
    settings_and_room_notifications(&server, "").await;
    read_receipts_are_live(&server, "").await;
    password_change_ends_other_sessions(&server, "").await;
}

#[tokio::test]
async fn settings_on_postgres() {
    let Some(pg) = PgServer::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_on(dir, &pg.url, |_| {}).await;
    settings_and_room_notifications(&server, "").await;
    read_receipts_are_live(&server, "").await;
    password_change_ends_other_sessions(&server, "").await;
}

/// Unknown paths get the app's own page (status 404) when a browser asks, a bare 404 otherwise.
#[tokio::test]
async fn unknown_pages_render_the_apps_not_found_page() {
    let server = TestServer::start().await;
    let c = server.client();
    let res = c.get(server.url("/profile")).header("accept", "text/html").send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let html = res.text().await.unwrap();
    assert!(html.contains("Page not found") && html.contains("href=\"/chat\""), "{html}");
    let res = c.get(server.url("/missing.png")).header("accept", "image/*").send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert!(res.text().await.unwrap().is_empty());
}
