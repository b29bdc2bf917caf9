//! Test harness: a real Confab server on port 0 over a real SQLite file (or PostgreSQL), real
//! HTTP and WebSocket clients, and a throwaway PostgreSQL 15 server.

#![allow(dead_code)]

pub mod pg;

use std::{net::SocketAddr, time::Duration};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use server::{build_state, config::Config, leptos_options, run};
use tokio::{net::TcpStream, sync::oneshot, task::JoinHandle};
use tokio_tungstenite::{
    tungstenite::{client::IntoClientRequest, http::HeaderValue, Message},
    MaybeTlsStream, WebSocketStream,
};

pub const PASSWORD: &str = "correct horse battery";

pub struct TestServer {
    pub addr: SocketAddr,
    pub base: String,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<()>>,
    pub dir: tempfile::TempDir,
    /// The database, for tests that look at what is stored.
    pub database_url: String,
    /// The server's state, for tests that run its background jobs on demand.
    pub state: server::AppState,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// A server on a fresh SQLite file, with `tweak` applied to its configuration.
    pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}/confab.db", dir.path().display());
        Self::start_on(dir, &url, tweak).await
    }

    /// A server on an existing database (to test restarts).
    pub async fn start_on(dir: tempfile::TempDir, url: &str, tweak: impl FnOnce(&mut Config)) -> Self {
        let mut config = Config::for_database(url);
        config.data_dir = dir.path().join("data");
        config.addr = None;
        tweak(&mut config);
        let state = build_state(config, leptos_options().unwrap()).await.expect("server state");
        let kept = state.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        let handle = tokio::spawn(async move {
            run(listener, state, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        Self {
            addr,
            base: format!("http://{addr}"),
            shutdown: Some(tx),
            handle: Some(handle),
            dir,
            database_url: url.to_string(),
            state: kept,
        }
    }

    /// Stops the server gracefully and hands back its directory (to restart on the same data).
    pub async fn stop(mut self) -> tempfile::TempDir {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            let _ = tokio::time::timeout(Duration::from_secs(10), h).await;
        }
        let dir = tempfile::tempdir().unwrap();
        std::mem::replace(&mut self.dir, dir)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A client with its own cookie jar (one browser).
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
    }

    /// Registers a user; returns their id and a bearer token.
    pub async fn register(&self, username: &str) -> Account {
        let client = self.client();
        let res = client
            .post(self.url("/api/register"))
            .form(&[("username", username), ("display_name", &display_name(username)), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "register {username}: {}", res.text().await.unwrap());
        let user: Value = res.json().await.unwrap();
        let token: String = client
            .post(self.url("/api/token"))
            .form(&[("username", username), ("password", PASSWORD)])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        Account { id: user["id"].as_i64().unwrap(), username: username.to_string(), token, base: self.base.clone() }
    }

    /// A new bearer token (a new session) for an existing user.
    pub async fn register_token(&self, username: &str) -> String {
        let res = self.client().post(self.url("/api/token")).form(&[("username", username), ("password", PASSWORD)]);
        res.send().await.unwrap().json().await.unwrap()
    }
}

/// A server in a process of its own (the built `server` binary), so a test can kill it with
/// SIGKILL as a crashed node would die.
pub struct ChildServer {
    pub base: String,
    child: std::process::Child,
    _dir: tempfile::TempDir,
}

impl ChildServer {
    pub async fn start(database_url: &str, node: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_server"))
            .env("DATABASE_URL", database_url)
            .env("CONFAB_ADDR", format!("127.0.0.1:{port}"))
            .env("CONFAB_DATA_DIR", dir.path())
            .env("CONFAB_NODE_ID", node)
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("start the server binary");
        let base = format!("http://127.0.0.1:{port}");
        for _ in 0..200 {
            if reqwest::get(format!("{base}/healthz")).await.is_ok_and(|r| r.status() == 200) {
                return Self { base, child, _dir: dir };
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("node {node} did not start");
    }

    /// SIGKILL: no goodbye to clients, no drained writer, no last notice.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        self.kill();
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

pub fn display_name(username: &str) -> String {
    let mut c = username.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// Alice and Bob in their private room, each connected once: how many chat tests begin. Keep
/// `server` bound (`server: _server`): dropping it stops the server.
pub struct Pair {
    pub server: TestServer,
    pub alice: Account,
    pub bob: Account,
    pub room: i64,
    pub a: Ws,
    pub b: Ws,
}

impl Pair {
    pub async fn start() -> Self {
        let server = TestServer::start().await;
        let alice = server.register("alice").await;
        let bob = server.register("bob").await;
        let room = alice.private_room_with(&bob).await;
        let a = alice.connect().await;
        let b = bob.connect().await;
        Self { server, alice, bob, room, a, b }
    }
}

/// A registered user with a bearer token, for API and WebSocket calls.
#[derive(Clone)]
pub struct Account {
    pub id: i64,
    pub username: String,
    pub token: String,
    pub base: String,
}

impl Account {
    pub async fn get(&self, path: &str) -> (u16, Value) {
        let res =
            reqwest::Client::new().get(format!("{}{}", self.base, path)).bearer_auth(&self.token).send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let res = reqwest::Client::new()
            .post(format!("{}{}", self.base, path))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub async fn private_room_with(&self, other: &Account) -> i64 {
        let (status, room) = self.post("/api/rooms/private", json!({"user_id": other.id})).await;
        assert_eq!(status, 200, "{room}");
        room["room"]["id"].as_i64().unwrap()
    }

    pub async fn group(&self, name: &str, members: &[&Account]) -> i64 {
        let ids: Vec<i64> = members.iter().map(|m| m.id).collect();
        let (status, room) = self.post("/api/rooms/group", json!({"name": name, "members": ids})).await;
        assert_eq!(status, 200, "{room}");
        room["room"]["id"].as_i64().unwrap()
    }

    pub async fn connect(&self) -> Ws {
        Ws::connect(&self.base, Some(&self.token), None).await.expect("websocket connects")
    }
}

/// Uploads `bytes` as file `name` into `room` (captioned "look"): the status and the message.
pub async fn upload(who: &Account, room: i64, client_id: &str, name: &str, bytes: Vec<u8>) -> (u16, Value) {
    let res = reqwest::Client::new()
        .post(format!("{}/api/files", who.base))
        .query(&[("room_id", room.to_string().as_str()), ("client_id", client_id), ("name", name), ("caption", "look")])
        .bearer_auth(&who.token)
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// A GET of `path` as `who` (a file download, say), the response as it came.
pub async fn download(who: &Account, path: &str) -> reqwest::Response {
    reqwest::Client::new().get(format!("{}{path}", who.base)).bearer_auth(&who.token).send().await.unwrap()
}

/// A real WebSocket client speaking Confab's JSON frames.
pub struct Ws {
    pub stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Ws {
    pub async fn connect(base: &str, token: Option<&str>, origin: Option<&str>) -> Result<Self, u16> {
        let url = format!("{}/ws", base.replacen("http", "ws", 1));
        let mut req = url.into_client_request().unwrap();
        if let Some(t) = token {
            req.headers_mut().insert("authorization", HeaderValue::from_str(&format!("Bearer {t}")).unwrap());
        }
        if let Some(o) = origin {
            req.headers_mut().insert("origin", HeaderValue::from_str(o).unwrap());
        }
        match tokio_tungstenite::connect_async(req).await {
            Ok((stream, _)) => {
                let mut ws = Self { stream };
                let hello = ws.recv().await;
                assert_eq!(hello["type"], "hello", "{hello}");
                Ok(ws)
            }
            Err(tokio_tungstenite::tungstenite::Error::Http(res)) => Err(res.status().as_u16()),
            Err(e) => panic!("websocket error: {e}"),
        }
    }

    /// A client that reads with a tiny TCP receive window (a slow consumer, once it stops
    /// reading).
    pub async fn connect_slow(base: &str, token: &str) -> Self {
        let addr: SocketAddr = base.trim_start_matches("http://").parse().unwrap();
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        let tcp = socket.connect(addr).await.unwrap();
        let mut req = format!("ws://{addr}/ws").into_client_request().unwrap();
        req.headers_mut().insert("authorization", HeaderValue::from_str(&format!("Bearer {token}")).unwrap());
        let (stream, _) = tokio_tungstenite::client_async(req, MaybeTlsStream::Plain(tcp)).await.unwrap();
        let mut ws = Self { stream };
        assert_eq!(ws.recv().await["type"], "hello");
        ws
    }

    /// Reads everything until the server closes; returns the close code.
    pub async fn drain_until_close(&mut self) -> Option<u16> {
        loop {
            match tokio::time::timeout(Duration::from_secs(20), self.stream.next()).await.ok()?? {
                Ok(Message::Close(frame)) => return frame.map(|f| u16::from(f.code)),
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
    }

    /// Every JSON frame until the server closes, and the close code.
    pub async fn frames_until_close(&mut self) -> (Vec<Value>, Option<u16>) {
        let mut frames = Vec::new();
        loop {
            match tokio::time::timeout(Duration::from_secs(20), self.stream.next()).await {
                Ok(Some(Ok(Message::Text(t)))) => frames.push(serde_json::from_str(t.as_str()).unwrap()),
                Ok(Some(Ok(Message::Close(frame)))) => return (frames, frame.map(|f| u16::from(f.code))),
                Ok(Some(Ok(_))) => continue,
                _ => return (frames, None),
            }
        }
    }

    pub async fn send(&mut self, frame: Value) {
        self.stream.send(Message::text(frame.to_string())).await.unwrap();
    }

    /// The next JSON frame (fails the test after 5 s of silence).
    pub async fn recv(&mut self) -> Value {
        self.try_recv(Duration::from_secs(5)).await.expect("a frame within 5 s")
    }

    pub async fn try_recv(&mut self, wait: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let next = tokio::time::timeout_at(deadline, self.stream.next()).await.ok()??;
            match next {
                Ok(Message::Text(t)) => return Some(serde_json::from_str(t.as_str()).unwrap()),
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => continue,
            }
        }
    }

    /// The next frame of the given type, skipping others (presence, typing, room updates).
    pub async fn recv_type(&mut self, kind: &str) -> Value {
        self.recv_type_within(kind, Duration::from_secs(5)).await
    }

    pub async fn recv_type_within(&mut self, kind: &str, wait: Duration) -> Value {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let frame = self.try_recv(left).await.unwrap_or_else(|| panic!("no {kind} frame within 5 s"));
            if frame["type"] == kind {
                return frame;
            }
        }
    }

    /// Frames of the given type arriving within `wait`.
    pub async fn collect_type(&mut self, kind: &str, wait: Duration) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut out = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.try_recv(left).await {
                Some(f) if f["type"] == kind => out.push(f),
                Some(_) => {}
                None => return out,
            }
        }
    }

    /// The next `receive_message` frame carrying a person's message (system lines skipped).
    pub async fn recv_message(&mut self) -> Value {
        loop {
            let f = self.recv_type("receive_message").await;
            if f["message"]["kind"] != "SYSTEM" {
                return f;
            }
        }
    }

    /// People's messages (not system lines) arriving within `wait`.
    pub async fn collect_messages(&mut self, wait: Duration) -> Vec<Value> {
        let frames = self.collect_type("receive_message", wait).await;
        frames.into_iter().filter(|f| f["message"]["kind"] != "SYSTEM").collect()
    }

    /// Sends `join_room` and gathers the catch-up: the frames before `joined`, and `joined`.
    pub async fn join(&mut self, room: i64, since: Option<i64>) -> (Vec<Value>, Value) {
        self.send(json!({"type": "join_room", "room_id": room, "since": since})).await;
        let mut caught_up = Vec::new();
        loop {
            let f = self.recv().await;
            match f["type"].as_str() {
                Some("receive_message" | "message_updated") if f["message"]["room_id"] == room => caught_up.push(f),
                Some("joined") if f["room_id"] == room => return (caught_up, f),
                _ => {}
            }
        }
    }

    pub async fn send_message(&mut self, room: i64, client_id: &str, content: &str) -> Value {
        self.send(json!({"type": "send_message", "room_id": room, "client_id": client_id, "content": content})).await;
        self.recv_type("message_ack").await
    }
}
