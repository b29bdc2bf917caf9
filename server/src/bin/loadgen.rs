//! `confab-loadgen`: a load generator for a running Confab server (a benchmark, not a test).
//!
//! `fanout`: N members in one group, S of them sending R messages/s in total for D seconds,
//! spread evenly (each sender's ticks are offset, so messages arrive at a steady rate, not in
//! bursts). Reports delivered/s, send→receive and send→ack latency, lost messages, the
//! generator's own CPU (near 100 % means the figures measure the generator) and, given the
//! server's pid, server CPU time per delivery. With `--url-b`, members alternate between two
//! nodes on one PostgreSQL (the cross-node figures), each node's CPU reported against the
//! deliveries its own members received. `idle`: opens C idle WebSockets and reports the
//! server's resident memory per connection. `crowd`: 100,000 authenticated WebSockets at once
//! (memory per socket, connect rate) carrying a load spread over 100 rooms, held by child
//! processes of this one and spread over one node or several (`--nodes`). `floor`: no Confab at all, the kernel's cost of
//! the fan-out's writes on this machine. See the README's performance section.

use std::{
    collections::HashSet,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use clap::{Parser, Subcommand};
use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use parking_lot::Mutex;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::{client::IntoClientRequest, http::HeaderValue, Message};

#[derive(Parser)]
#[command(name = "confab-loadgen", about = "Load generator for a running Confab server")]
struct Args {
    /// Base URL of the server
    #[arg(long, default_value = "http://127.0.0.1:3000")]
    url: String,
    /// The server's pid, to read its CPU time and memory from /proc
    #[arg(long)]
    server_pid: Option<u32>,
    /// A second node on the same database: odd-numbered members connect there
    #[arg(long)]
    url_b: Option<String>,
    /// The second node's pid
    #[arg(long)]
    server_pid_b: Option<u32>,
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Subcommand)]
enum Scenario {
    /// One room, many members, a steady message rate
    Fanout {
        #[arg(long, default_value_t = 100)]
        members: usize,
        #[arg(long, default_value_t = 10)]
        senders: usize,
        /// Messages per second, all senders together
        #[arg(long, default_value_t = 1000)]
        rate: u64,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
    /// Many idle connections
    Idle {
        #[arg(long, default_value_t = 10_000)]
        connections: usize,
    },
    /// C authenticated WebSockets held at once, from several loopback source addresses (one
    /// address has fewer ports than that), as the tabs of R rooms' members (U users a room,
    /// each with C / (R·U) tabs); then M msg/s spread over the rooms while all are connected
    Crowd {
        #[arg(long, default_value_t = 100_000)]
        connections: usize,
        #[arg(long, default_value_t = 100)]
        rooms: usize,
        #[arg(long, default_value_t = 10)]
        users_per_room: usize,
        /// Messages per second in all, spread evenly over the rooms
        #[arg(long, default_value_t = 100)]
        rate: u64,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Loopback source addresses to connect from (127.0.0.2, 127.0.0.3, …)
        #[arg(long, default_value_t = 8)]
        sources: u8,
        /// More nodes on the same PostgreSQL (comma-separated URLs): the tabs are spread over
        /// `--url` and these, so that each node holds its share (a process may have only so
        /// many open files)
        #[arg(long, value_delimiter = ',')]
        nodes: Vec<String>,
        /// Their pids, in the same order (memory and CPU are summed over all nodes)
        #[arg(long, value_delimiter = ',')]
        node_pids: Vec<u32>,
        /// Tabs per generator process (each is a child process of this one, for the same
        /// reason)
        #[arg(long, default_value_t = 18_000)]
        tabs_per_process: usize,
    },
    /// (Internal) a process of `crowd`'s tabs: reads its job on stdin
    #[command(hide = true)]
    CrowdTabs,
    /// No HTTP: a generated corpus (half Thai, a quarter English, the rest Chinese and emoji)
    /// stored through the server's storage layer with group-commit batches into a fresh
    /// database, then searched as the API does: insert rate, latency of 3+ and 2-character
    /// terms with and without a room filter, index and table sizes
    Search {
        /// A fresh database: sqlite://path or postgres://…
        #[arg(long)]
        database_url: String,
        #[arg(long, default_value_t = 1_000_000)]
        messages: usize,
        #[arg(long, default_value_t = 200)]
        rooms: usize,
        /// Searches per kind of term
        #[arg(long, default_value_t = 200)]
        queries: usize,
        /// Drop the search index first (to measure what it costs the inserts)
        #[arg(long)]
        no_index: bool,
        /// Search a corpus an earlier run left in this database instead of making one
        #[arg(long)]
        existing: bool,
        /// Then time the upgrade that folds accents (migration `*_search_folding.sql`):
        /// the migration, the search texts computed again at start-up, the index rebuilt
        #[arg(long)]
        upgrade: bool,
    },
    /// Uploads of fresh random files of `mib` MiB, one after another: throughput and the
    /// server's CPU per MB
    Upload {
        #[arg(long, default_value_t = 20)]
        mib: usize,
        #[arg(long, default_value_t = 5)]
        repeats: usize,
    },
    /// No server: the time and this process's peak memory to make the thumbnails of a
    /// `megapixels` JPEG (a photo-like gradient with noise), as the server does for an upload
    Thumbs {
        #[arg(long, default_value_t = 12)]
        megapixels: u32,
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// No Confab: the kernel's own cost of the fan-out's writes. One thread on core 0 writes
    /// WebSocket-sized frames to C loopback sockets, k frames per write, at R frames/s per
    /// socket; one thread on core 1 reads them. Reports the writer's CPU per frame, a floor
    /// for the server's CPU per delivery on this machine.
    Floor {
        #[arg(long, default_value_t = 100)]
        connections: usize,
        /// Frames per second to each socket
        #[arg(long, default_value_t = 1000)]
        rate: u64,
        #[arg(long, default_value_t = 1)]
        frames_per_write: usize,
        #[arg(long, default_value_t = 200)]
        frame_bytes: usize,
        #[arg(long, default_value_t = 5)]
        seconds: u64,
    },
}

type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

struct Member {
    id: i64,
    token: String,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let args = Args::parse();
    let run =
        format!("{:x}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis() % 0xff_ffff);
    match args.scenario {
        Scenario::Fanout { members, senders, rate, seconds } => {
            let nodes =
                Nodes { a: (&args.url, args.server_pid), b: args.url_b.as_deref().map(|u| (u, args.server_pid_b)) };
            fanout(&nodes, &run, members, senders.clamp(1, members), rate, seconds).await
        }
        Scenario::Idle { connections } => idle(&args.url, args.server_pid, &run, connections).await,
        Scenario::Crowd {
            connections,
            rooms,
            users_per_room,
            rate,
            seconds,
            sources,
            nodes,
            node_pids,
            tabs_per_process,
        } => {
            let more = nodes.into_iter().enumerate().map(|(i, url)| (url, node_pids.get(i).copied()));
            let nodes = std::iter::once((args.url.clone(), args.server_pid)).chain(more).collect();
            let users_per_room = users_per_room.max(1);
            let shape = Crowd { connections, rooms, users_per_room, rate, seconds, sources, nodes, tabs_per_process };
            crowd(&run, shape).await
        }
        Scenario::CrowdTabs => crowd_tabs().await,
        Scenario::Upload { mib, repeats } => upload(&args.url, args.server_pid, &run, mib, repeats).await,
        Scenario::Thumbs { megapixels, runs } => thumbs(megapixels, runs),
        Scenario::Search { database_url, messages, rooms, queries, no_index, existing, upgrade } => {
            search::run(&database_url, messages, rooms, queries, no_index, existing).await?;
            if upgrade {
                search::upgrade(&database_url).await?;
            }
            Ok(())
        }
        Scenario::Floor { connections, rate, frames_per_write, frame_bytes, seconds } => {
            floor::run(connections, rate, frames_per_write.max(1), frame_bytes, seconds).await
        }
    }
}

async fn register(http: &reqwest::Client, url: &str, username: &str) -> Result<Member> {
    let res = http
        .post(format!("{url}/api/register"))
        .form(&[("username", username), ("password", "loadgen password")])
        .send()
        .await?;
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("confab_session="))
        .and_then(|v| v.split(';').next())
        .map(str::to_string);
    let status = res.status();
    let user: Value = res.json().await?;
    match (status.is_success(), cookie) {
        (true, Some(token)) => Ok(Member { id: user["id"].as_i64().unwrap_or_default(), token }),
        _ => Err(format!("register {username}: {status} {user}").into()),
    }
}

async fn register_many(url: &str, run: &str, n: usize) -> Result<Vec<Member>> {
    let http = reqwest::Client::new();
    let mut members = Vec::with_capacity(n);
    for chunk in (0..n).collect::<Vec<_>>().chunks(8) {
        let batch = chunk.iter().map(|i| {
            let http = http.clone();
            let name = format!("lg{run}_{i}");
            async move { register(&http, url, &name).await }
        });
        for m in futures_util::future::join_all(batch).await {
            members.push(m?);
        }
    }
    Ok(members)
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(url: &str, token: &str) -> Result<Socket> {
    let mut req = format!("{}/ws", url.replacen("http", "ws", 1)).into_client_request()?;
    req.headers_mut().insert("authorization", HeaderValue::from_str(&format!("Bearer {token}"))?);
    let (ws, _) = tokio_tungstenite::connect_async(req).await?;
    Ok(ws)
}

async fn upload(url: &str, pid: Option<u32>, run: &str, mib: usize, repeats: usize) -> Result<()> {
    let members = register_many(url, run, 2).await?;
    let http = reqwest::Client::new();
    let room: Value = http
        .post(format!("{url}/api/rooms/private"))
        .bearer_auth(&members[0].token)
        .json(&json!({"user_id": members[1].id}))
        .send()
        .await?
        .json()
        .await?;
    let room = room["room"]["id"].as_i64().ok_or("no room")?;
    let mut rates = Vec::new();
    let mut cpu_per_mb = Vec::new();
    for i in 0..repeats {
        // Fresh content each time: a repeat would be stored once, but is streamed all the same.
        let mut bytes = vec![0u8; mib * 1024 * 1024];
        let mut x = 0x9e37_79b9_7f4a_7c15u64 ^ (i as u64 + 1);
        for b in bytes.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
        let cpu = pid.and_then(cpu_seconds);
        let started = Instant::now();
        let res = http
            .post(format!("{url}/api/files"))
            .query(&[("room_id", room.to_string()), ("client_id", format!("up{i}")), ("name", format!("f{i}.bin"))])
            .bearer_auth(&members[0].token)
            .body(bytes)
            .send()
            .await?;
        let status = res.status();
        let took = started.elapsed().as_secs_f64();
        if !status.is_success() {
            return Err(format!("upload: {status} {}", res.text().await?).into());
        }
        let mb = (mib * 1024 * 1024) as f64 / 1e6;
        rates.push(mb / took);
        if let (Some(before), Some(after)) = (cpu, pid.and_then(cpu_seconds)) {
            cpu_per_mb.push((after - before) * 1000.0 / mb);
        }
    }
    let range = |v: &[f64]| {
        let min = v.iter().cloned().fold(f64::INFINITY, f64::min);
        let max = v.iter().cloned().fold(0.0, f64::max);
        format!("{min:.0}–{max:.0}")
    };
    println!("upload of {mib} MiB × {repeats}: {} MB/s", range(&rates));
    if !cpu_per_mb.is_empty() {
        let min = cpu_per_mb.iter().cloned().fold(f64::INFINITY, f64::min);
        let max = cpu_per_mb.iter().cloned().fold(0.0, f64::max);
        println!("server CPU per MB: {min:.1}–{max:.1} ms");
    }
    Ok(())
}

fn thumbs(megapixels: u32, runs: usize) -> Result<()> {
    let width = ((f64::from(megapixels) * 1e6 * 4.0 / 3.0).sqrt()) as u32;
    let height = width * 3 / 4;
    let dir = std::env::temp_dir().join(format!("confab-thumbs-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("photo.jpg");
    {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let img = image::RgbImage::from_fn(width, height, |px, py| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let noise = (x % 24) as u32;
            image::Rgb([
                ((px * 255 / width) + noise).min(255) as u8,
                ((py * 255 / height) + noise).min(255) as u8,
                (((px + py) * 128 / (width + height)) + noise).min(255) as u8,
            ])
        });
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path)?);
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90).encode_image(&img)?;
    }
    let before = peak_rss_kib();
    let mut times = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        server::service::files::make_thumbnails(&path).map_err(|e| e.to_string())?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    let _ = std::fs::remove_dir_all(&dir);
    let min = times.iter().cloned().fold(f64::INFINITY, f64::min);
    let max = times.iter().cloned().fold(0.0, f64::max);
    println!("thumbnails of a {width}×{height} JPEG: {min:.0}–{max:.0} ms over {runs} runs");
    println!("peak memory of this process: {} MiB (before thumbnailing: {} MiB)", peak_rss_kib() / 1024, before / 1024);
    Ok(())
}

/// This process's peak resident memory (VmHWM), from /proc.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find_map(|l| l.strip_prefix("VmHWM:")).map(str::to_string))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// (user + system) CPU seconds of a process, from /proc.
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// The node(s) under load: member `i` uses node B when there is one and `i` is odd.
struct Nodes<'a> {
    a: (&'a str, Option<u32>),
    b: Option<(&'a str, Option<u32>)>,
}

impl Nodes<'_> {
    fn of(&self, member: usize) -> (&str, Option<u32>) {
        match self.b {
            Some(b) if member % 2 == 1 => b,
            _ => self.a,
        }
    }
}

/// How one sender paces its messages: `per_second`, offset by its `slot` (index, of how
/// many) within the interval so that all senders together send at a steady rate rather than
/// in bursts, `count` in all.
#[derive(Clone, Copy)]
struct Pace {
    per_second: f64,
    slot: (usize, usize),
    count: u64,
}

/// Sends load messages into `room` (content: "<[`clock_us`] when sent> <global number from
/// `numbers`>", client ids `<tag>-<i>`); gives the sink back when done.
async fn send_load(
    mut sink: futures_util::stream::SplitSink<Socket, Message>,
    room: i64,
    tag: String,
    pace: Pace,
    numbers: Arc<AtomicU64>,
) -> futures_util::stream::SplitSink<Socket, Message> {
    let interval = Duration::from_secs_f64(1.0 / pace.per_second.max(0.001));
    let offset = interval.mul_f64(pace.slot.0 as f64 / pace.slot.1.max(1) as f64);
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + offset, interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    for i in 0..pace.count {
        tick.tick().await;
        let n = numbers.fetch_add(1, Ordering::Relaxed);
        let content = format!("{} {n}", clock_us());
        let frame =
            json!({"type": "send_message", "room_id": room, "client_id": format!("{tag}-{i}"), "content": content});
        if sink.send(Message::text(frame.to_string())).await.is_err() {
            break;
        }
    }
    sink
}

/// Microseconds on the machine's monotonic clock, which every process on it shares: the
/// crowd's tabs live in processes of their own and measure latency against the sender's.
fn clock_us() -> u64 {
    // SAFETY: clock_gettime fills the struct it is given.
    let now = unsafe {
        let mut now: libc::timespec = std::mem::zeroed();
        libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now);
        now
    };
    now.tv_sec as u64 * 1_000_000 + now.tv_nsec as u64 / 1_000
}

fn print_latency(h: &Histogram<u64>) {
    if !h.is_empty() {
        println!(
            "latency send→receive   p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            h.value_at_quantile(0.5) as f64 / 1000.0,
            h.value_at_quantile(0.99) as f64 / 1000.0,
            h.max() as f64 / 1000.0
        );
        // Where p99 sits in the distribution: a slower body (p90–p98) is work per message, a
        // longer tail (p99.5, p99.9) is stalls.
        let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
        println!(
            "                       p90 {:.2} ms, p98 {:.2} ms, p99.5 {:.2} ms, p99.9 {:.2} ms",
            ms(0.9),
            ms(0.98),
            ms(0.995),
            ms(0.999)
        );
    }
}

async fn fanout(nodes: &Nodes<'_>, run: &str, n: usize, senders: usize, rate: u64, seconds: u64) -> Result<()> {
    let url = nodes.a.0;
    println!("registering {n} users…");
    let members = register_many(url, run, n).await?;
    let owner = &members[0];
    let ids: Vec<i64> = members[1..].iter().map(|m| m.id).collect();
    let room: Value = reqwest::Client::new()
        .post(format!("{url}/api/rooms/group"))
        .bearer_auth(&owner.token)
        .json(&json!({"name": format!("load {run}"), "members": ids}))
        .send()
        .await?
        .json()
        .await?;
    let room_id = room["room"]["id"].as_i64().ok_or("group creation failed")?;

    let histogram = Arc::new(Mutex::new(Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?));
    let acks = Arc::new(Mutex::new(Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?));
    let delivered = Arc::new(AtomicU64::new(0));
    // Deliveries to members on node B (the rest are node A's).
    let delivered_b = Arc::new(AtomicU64::new(0));
    let acked = Arc::new(AtomicU64::new(0));
    let seen = Arc::new(Mutex::new(HashSet::<(usize, u64)>::new()));
    // Each member's set of what it received is sized for every message up front: grown as it
    // went, all members' sets doubled at the same moment, a pause of the generator that showed
    // as the run's max latency (15-27 ms in 10 s runs, 130-170 ms in 60 s runs).
    let per_member = usize::try_from(rate.saturating_mul(seconds)).unwrap_or(usize::MAX).min(10_000_000);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    println!("connecting {n} WebSockets…");
    let mut sinks = Vec::new();
    let mut readers = Vec::new();
    for (idx, m) in members.iter().enumerate() {
        let on_b = nodes.b.is_some() && nodes.of(idx).0 != url;
        let ws = connect(nodes.of(idx).0, &m.token).await?;
        let (sink, mut stream) = ws.split();
        sinks.push(sink);
        let (histogram, acks, delivered, seen, mut stop) =
            (histogram.clone(), acks.clone(), delivered.clone(), seen.clone(), stopped.clone());
        let (delivered_b, acked) = (delivered_b.clone(), acked.clone());
        readers.push(tokio::spawn(async move {
            let mut local = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("histogram bounds");
            let mut local_acks = local.clone();
            let mut mine = HashSet::with_capacity(per_member);
            loop {
                // No timer per frame: the generator's own cost stays low.
                let msg = tokio::select! {
                    biased;
                    _ = stop.changed() => break,
                    msg = stream.next() => match msg {
                        Some(Ok(msg)) => msg,
                        _ => break,
                    },
                };
                let Message::Text(text) = msg else { continue };
                // A substring scan instead of a JSON parse keeps the generator's own core free,
                // so the latency measured is the server's.
                let text = text.as_str();
                let ack = text.starts_with(r#"{"type":"message_ack""#);
                if !ack && !text.starts_with(r#"{"type":"receive_message""#) {
                    continue;
                }
                let Some((sent_us, seq)) = load_content(text) else { continue };
                let latency = clock_us().saturating_sub(sent_us).max(1);
                if ack {
                    let _ = local_acks.record(latency);
                    acked.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                let _ = local.record(latency);
                delivered.fetch_add(1, Ordering::Relaxed);
                if on_b {
                    delivered_b.fetch_add(1, Ordering::Relaxed);
                }
                mine.insert(seq);
            }
            histogram.lock().add(&local).ok();
            acks.lock().add(&local_acks).ok();
            seen.lock().extend(mine.into_iter().map(|s| (idx, s)));
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    println!("sending {rate} msg/s from {senders} senders for {seconds} s into a {n}-member room…");
    let cpu_before = nodes.a.1.and_then(cpu_seconds);
    let cpu_before_b = nodes.b.and_then(|b| b.1).and_then(cpu_seconds);
    let own_before = cpu_seconds(std::process::id());
    let started = Instant::now();
    let per_sender = rate as f64 / senders as f64;
    let total_per_sender = (per_sender * seconds as f64) as u64;
    let seq = Arc::new(AtomicU64::new(0));
    let mut send_tasks = Vec::new();
    let listeners_only = sinks.split_off(senders);
    for (s, sink) in sinks.into_iter().enumerate() {
        let pace = Pace { per_second: per_sender, slot: (s, senders), count: total_per_sender };
        send_tasks.push(tokio::spawn(send_load(sink, room_id, format!("s{s}"), pace, seq.clone())));
    }
    let mut kept = Vec::new();
    for t in send_tasks {
        kept.push(t.await?);
    }
    let send_window = started.elapsed();
    // Let the last deliveries land.
    let expected_each = seq.load(Ordering::Relaxed);
    let expected = expected_each * (n as u64 - 1);
    let deadline = Instant::now() + Duration::from_secs(5);
    while delivered.load(Ordering::Relaxed) < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let elapsed = started.elapsed();
    let cpu_after = nodes.a.1.and_then(cpu_seconds);
    let cpu_after_b = nodes.b.and_then(|b| b.1).and_then(cpu_seconds);
    let own_after = cpu_seconds(std::process::id());
    let _ = stop.send(true);
    for r in readers {
        let _ = r.await;
    }
    drop(kept);
    drop(listeners_only);
    let got = delivered.load(Ordering::Relaxed);
    let unique = seen.lock().len() as u64;
    let h = histogram.lock();
    println!();
    println!("messages sent          {expected_each} in {:.2} s", send_window.as_secs_f64());
    println!("deliveries expected    {expected}");
    println!("deliveries received    {got} ({unique} unique)");
    println!("lost                   {}", expected.saturating_sub(unique));
    println!("delivered/s            {:.0}", got as f64 / elapsed.as_secs_f64().max(send_window.as_secs_f64()));
    print_latency(&h);
    let a = acks.lock();
    if !a.is_empty() {
        println!(
            "latency send→ack       p50 {:.2} ms, p99 {:.2} ms",
            a.value_at_quantile(0.5) as f64 / 1000.0,
            a.value_at_quantile(0.99) as f64 / 1000.0
        );
    }
    println!("acknowledged/s         {:.0}", acked.load(Ordering::Relaxed) as f64 / send_window.as_secs_f64());
    let got_b = delivered_b.load(Ordering::Relaxed);
    let got_a = if nodes.b.is_some() { got - got_b } else { got };
    if let (Some(a), Some(b)) = (cpu_before, cpu_after) {
        let cpu = b - a;
        let node = if nodes.b.is_some() { "node A CPU " } else { "server CPU " };
        println!("{node}            {cpu:.2} s, {:.2} µs per delivery", cpu * 1e6 / got_a.max(1) as f64);
    }
    if let (Some(a), Some(b)) = (cpu_before_b, cpu_after_b) {
        let cpu = b - a;
        println!("node B CPU             {cpu:.2} s, {:.2} µs per delivery", cpu * 1e6 / got_b.max(1) as f64);
    }
    if let (Some(a), Some(b)) = (own_before, own_after) {
        // Near 100 % the generator itself would be what the latency measures.
        println!("generator CPU          {:.0} % of a core", (b - a) * 100.0 / elapsed.as_secs_f64());
    }
    Ok(())
}

async fn idle(url: &str, pid: Option<u32>, run: &str, connections: usize) -> Result<()> {
    let members = register_many(url, run, 1).await?;
    let token = members[0].token.clone();
    let before = pid.and_then(rss_kib);
    println!("opening {connections} idle WebSockets…");
    let mut sockets = Vec::with_capacity(connections);
    for chunk in (0..connections).collect::<Vec<_>>().chunks(200) {
        let batch = chunk.iter().map(|_| connect(url, &token));
        for ws in futures_util::future::join_all(batch).await {
            let mut ws = ws?;
            let _hello = ws.next().await;
            sockets.push(ws);
        }
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = pid.and_then(rss_kib);
    println!("open connections       {}", sockets.len());
    if let (Some(b), Some(a)) = (before, after) {
        println!("server RSS             {b} KiB → {a} KiB");
        println!("per idle connection    {:.2} KiB", (a.saturating_sub(b)) as f64 / sockets.len() as f64);
    }
    Ok(())
}

struct Crowd {
    connections: usize,
    rooms: usize,
    users_per_room: usize,
    rate: u64,
    seconds: u64,
    sources: u8,
    /// Every node's URL and pid (the first is `--url`); tab `k` connects to node `k % n`.
    nodes: Vec<(String, Option<u32>)>,
    tabs_per_process: usize,
}

/// What one tab process is given on its stdin (one JSON line): tab `k` of `from..to` connects
/// to `urls[k % urls.len()]` as `tokens[k % tokens.len()]` from 127.0.0.(2 + k % `sources`).
#[derive(serde::Serialize, serde::Deserialize)]
struct TabsJob {
    urls: Vec<String>,
    tokens: Vec<String>,
    sources: u8,
    from: usize,
    to: usize,
}

/// A WebSocket from a given loopback address, with a small read buffer (tungstenite's default
/// 128 KiB for each of 100,000 sockets would be 12 GiB of the generator's memory).
async fn connect_from(url: &str, token: &str, source: std::net::Ipv4Addr) -> Result<Socket> {
    let mut req = format!("{}/ws", url.replacen("http", "ws", 1)).into_client_request()?;
    req.headers_mut().insert("authorization", HeaderValue::from_str(&format!("Bearer {token}"))?);
    let host = url.trim_start_matches("http://").trim_end_matches('/');
    let addr: std::net::SocketAddr = host.parse()?;
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind((source, 0).into())?;
    let stream = socket.connect(addr).await?;
    stream.set_nodelay(true)?;
    let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default().read_buffer_size(4096);
    let (ws, _) = tokio_tungstenite::client_async_with_config(
        req,
        tokio_tungstenite::MaybeTlsStream::Plain(stream),
        Some(config),
    )
    .await?;
    Ok(ws)
}

/// The send time and global number carried in a load message's content
/// ("<[`clock_us`] when sent> <n>"), found by a substring scan (a JSON parse per frame would make the
/// generator's core the bottleneck).
fn load_content(text: &str) -> Option<(u64, u64)> {
    let start = text.find(r#""content":""#)? + 11;
    let content = &text[start..text[start..].find('"').map_or(text.len(), |e| start + e)];
    let mut parts = content.split(' ');
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

/// The crowd: users and rooms made here, the tabs held by child processes of this program
/// (`crowd-tabs`, at most `tabs_per_process` each: a process may hold only so many open
/// files), the load sent from here. With several nodes (one PostgreSQL), every room has tabs on
/// every node, so each message also crosses between nodes.
async fn crowd(run: &str, shape: Crowd) -> Result<()> {
    let url = shape.nodes[0].0.clone();
    let pids: Vec<u32> = shape.nodes.iter().filter_map(|n| n.1).collect();
    let users = shape.rooms * shape.users_per_room;
    println!("registering {users} users…");
    let members = register_many(&url, run, users).await?;
    let http = reqwest::Client::new();
    let mut rooms = Vec::with_capacity(shape.rooms);
    for r in 0..shape.rooms {
        let group = &members[r * shape.users_per_room..(r + 1) * shape.users_per_room];
        let ids: Vec<i64> = group[1..].iter().map(|m| m.id).collect();
        let room: Value = http
            .post(format!("{url}/api/rooms/group"))
            .bearer_auth(&group[0].token)
            .json(&json!({"name": format!("crowd {run} {r}"), "members": ids}))
            .send()
            .await?
            .json()
            .await?;
        rooms.push(room["room"]["id"].as_i64().ok_or("group creation failed")?);
    }

    let rss = |pids: &[u32]| pids.iter().map(|&p| rss_kib(p)).sum::<Option<u64>>();
    let cpu = |pids: &[u32]| pids.iter().map(|&p| cpu_seconds(p)).sum::<Option<f64>>();
    let before = rss(&pids);
    let processes = shape.connections.div_ceil(shape.tabs_per_process.max(1)).max(1);
    println!(
        "opening {} WebSockets to {} node(s) from {} source addresses, in {processes} process(es)…",
        shape.connections,
        shape.nodes.len(),
        shape.sources
    );
    let started = Instant::now();
    let urls: Vec<String> = shape.nodes.iter().map(|n| n.0.clone()).collect();
    let tokens: Vec<String> = members.iter().map(|m| m.token.clone()).collect();
    let mut tabs = Vec::with_capacity(processes);
    for p in 0..processes {
        let (from, to) = (shape.connections * p / processes, shape.connections * (p + 1) / processes);
        let job = TabsJob { urls: urls.clone(), tokens: tokens.clone(), sources: shape.sources, from, to };
        tabs.push(TabProcess::start(&job).await?);
    }
    let mut open = 0;
    for t in &mut tabs {
        open += t.connected().await?;
    }
    let connect_time = started.elapsed();
    let idle_cpu = cpu(&pids);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = rss(&pids);
    println!("open connections       {open}");
    if let (Some(a), Some(b)) = (idle_cpu, cpu(&pids)) {
        println!("server CPU when idle   {:.0} % of a core (all nodes)", (b - a) * 100.0 / 3.0);
    }
    println!("connect rate           {:.0} per second", open as f64 / connect_time.as_secs_f64());
    if let (Some(b), Some(a)) = (before, after) {
        println!("server RSS             {b} KiB → {a} KiB (all nodes)");
        println!("per idle connection    {:.2} KiB", (a.saturating_sub(b)) as f64 / open.max(1) as f64);
    }

    // One more connection per room sends (the owner's, on the room's node; its tabs receive).
    let per_room = shape.rate as f64 / shape.rooms as f64;
    let count = (per_room * shape.seconds as f64) as u64;
    println!("sending {} msg/s over {} rooms for {} s…", shape.rate, shape.rooms, shape.seconds);
    let tab_pids: Vec<u32> = tabs.iter().filter_map(|t| t.child.id()).collect();
    let cpu_before = cpu(&pids);
    let own_before = cpu(&[&[std::process::id()][..], &tab_pids].concat());
    let load_started = Instant::now();
    let sent = Arc::new(AtomicU64::new(0));
    let mut senders = Vec::new();
    for (r, &room) in rooms.iter().enumerate() {
        let node = &urls[r % urls.len()];
        let (sink, mut acks) = connect(node, &members[r * shape.users_per_room].token).await?.split();
        // Acknowledgements are read and dropped, so the sender's socket never backs up.
        tokio::spawn(async move { while let Some(Ok(_)) = acks.next().await {} });
        let pace = Pace { per_second: per_room, slot: (r, shape.rooms), count };
        senders.push(tokio::spawn(send_load(sink, room, format!("c{r}"), pace, sent.clone())));
    }
    let mut kept = Vec::new();
    for s in senders {
        kept.push(s.await?);
    }
    // The last deliveries trail the last send: wait for them (or give up after 10 s).
    let tabs_per_room = shape.connections / shape.rooms;
    let expected = sent.load(Ordering::Relaxed) * tabs_per_room as u64;
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let mut got = 0;
        for t in &mut tabs {
            got += t.delivered().await?;
        }
        if got >= expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let elapsed = load_started.elapsed();
    let cpu_after = cpu(&pids);
    let own_after = cpu(&[&[std::process::id()][..], &tab_pids].concat());
    let mut histogram = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let mut got = 0;
    for t in tabs {
        got += t.finish(&mut histogram).await?;
    }
    println!();
    println!("messages sent          {}", sent.load(Ordering::Relaxed));
    println!("deliveries expected    {expected} ({tabs_per_room} tabs a room)");
    println!("deliveries received    {got}");
    println!("delivered/s            {:.0}", got as f64 / elapsed.as_secs_f64());
    print_latency(&histogram);
    if let (Some(a), Some(b)) = (cpu_before, cpu_after) {
        println!("server CPU             {:.2} s, {:.2} µs per delivery", b - a, (b - a) * 1e6 / got.max(1) as f64);
    }
    if let (Some(a), Some(b)) = (own_before, own_after) {
        println!("generator CPU          {:.0} % of a core", (b - a) * 100.0 / elapsed.as_secs_f64());
    }
    drop(kept);
    Ok(())
}

/// A child process holding some of the crowd's tabs. It answers on its stdout:
/// `connected N` once its tabs are open; `delivered N` to each `count` on its stdin; after
/// `stop`, `delivered N`, then the latencies it recorded as `h VALUE COUNT` lines, then `done`.
struct TabProcess {
    child: tokio::process::Child,
    stdin: tokio::process::ChildStdin,
    lines: tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
}

impl TabProcess {
    async fn start(job: &TabsJob) -> Result<Self> {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
        let mut child = tokio::process::Command::new(std::env::current_exe()?)
            .arg("crowd-tabs")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        let mut stdin = child.stdin.take().ok_or("no stdin")?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        stdin.write_all(format!("{}\n", serde_json::to_string(job)?).as_bytes()).await?;
        Ok(Self { child, stdin, lines: tokio::io::BufReader::new(stdout).lines() })
    }

    async fn line(&mut self) -> Result<String> {
        Ok(self.lines.next_line().await?.ok_or("a tab process ended early")?)
    }

    async fn connected(&mut self) -> Result<usize> {
        let line = self.line().await?;
        Ok(line.strip_prefix("connected ").ok_or_else(|| line.clone())?.parse()?)
    }

    /// Asks `command` and reads the `delivered N` answer.
    async fn ask(&mut self, command: &[u8]) -> Result<u64> {
        use tokio::io::AsyncWriteExt;
        self.stdin.write_all(command).await?;
        let line = self.line().await?;
        Ok(line.strip_prefix("delivered ").ok_or_else(|| line.clone())?.parse()?)
    }

    /// Load deliveries so far.
    async fn delivered(&mut self) -> Result<u64> {
        self.ask(b"count\n").await
    }

    async fn finish(mut self, into: &mut Histogram<u64>) -> Result<u64> {
        let delivered = self.ask(b"stop\n").await?;
        loop {
            let line = self.line().await?;
            let Some(entry) = line.strip_prefix("h ") else { break };
            let (value, count) = entry.split_once(' ').ok_or("bad histogram line")?;
            into.record_n(value.parse()?, count.parse()?)?;
        }
        self.child.wait().await?;
        Ok(delivered)
    }
}

/// The `crowd-tabs` child: opens its tabs, reports, counts load deliveries until told to stop.
async fn crowd_tabs() -> Result<()> {
    use tokio::io::AsyncBufReadExt;
    let mut input = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    let job: TabsJob = serde_json::from_str(&input.next_line().await?.ok_or("no job on stdin")?)?;
    let histogram = Arc::new(Mutex::new(Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?));
    let delivered = Arc::new(AtomicU64::new(0));
    let mut readers = Vec::with_capacity(job.to - job.from);
    for chunk in (job.from..job.to).collect::<Vec<_>>().chunks(500) {
        let batch = chunk.iter().map(|&k| {
            let source = std::net::Ipv4Addr::new(127, 0, 0, 2 + (k % usize::from(job.sources.max(1))) as u8);
            connect_from(&job.urls[k % job.urls.len()], &job.tokens[k % job.tokens.len()], source)
        });
        for ws in futures_util::future::join_all(batch).await {
            let mut ws = ws?;
            let _hello = ws.next().await;
            let (histogram, delivered) = (histogram.clone(), delivered.clone());
            readers.push(tokio::spawn(async move {
                while let Some(Ok(msg)) = ws.next().await {
                    let Message::Text(text) = msg else { continue };
                    if !text.as_str().starts_with(r#"{"type":"receive_message""#) {
                        continue;
                    }
                    if let Some((sent_us, _)) = load_content(text.as_str()) {
                        let _ = histogram.lock().record(clock_us().saturating_sub(sent_us).max(1));
                        delivered.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }));
        }
    }
    println!("connected {}", readers.len());
    while let Some(command) = input.next_line().await? {
        println!("delivered {}", delivered.load(Ordering::Relaxed));
        if command == "stop" {
            break;
        }
    }
    for v in histogram.lock().iter_recorded() {
        println!("h {} {}", v.value_iterated_to(), v.count_at_value());
    }
    println!("done");
    for r in readers {
        r.abort();
    }
    Ok(())
}

mod search {
    //! The search benchmark: corpus, inserts, queries, sizes.

    use std::time::Instant;

    use app::types::{MessageKind, RoomId, User};
    use server::{
        events::NodeId,
        service::search::{normalize, search_text},
        storage::{
            messages::{NewMessage, Rich},
            search::{Filter, SCAN_BUDGET, SCAN_WINDOW},
            Dialect, Storage,
        },
    };

    use super::Result;

    const THAI: &[&str] = &[
        "ฉัน",
        "ชอบ",
        "กิน",
        "ข้าวมันไก่",
        "มาก",
        "วันนี้",
        "ประชุม",
        "ตอน",
        "บ่าย",
        "สาม",
        "โมง",
        "ส่ง",
        "รายงาน",
        "ให้",
        "หัวหน้า",
        "ด้วย",
        "นะ",
        "ครับ",
        "ค่ะ",
        "ไป",
        "มา",
        "ทำงาน",
        "ที่",
        "บ้าน",
        "ลูกค้า",
        "โทร",
        "หา",
        "เมื่อวาน",
        "แก้ไข",
        "โค้ด",
        "เสร็จ",
        "แล้ว",
    ];
    const ENGLISH: &[&str] = &[
        "the", "meeting", "is", "moved", "to", "three", "please", "review", "my", "pull", "request", "deploy",
        "tonight", "customer", "called", "about", "invoice", "lunch", "anyone", "coffee", "build", "failed", "again",
        "ok", "thanks", "release", "notes", "ready",
    ];
    const CHINESE: &[&str] = &[
        "我", "家", "在", "上海", "东边", "今天", "开会", "下午", "三点", "请", "看", "报告", "客户", "电话", "发布",
        "好的", "谢谢",
    ];
    const EMOJI: &[&str] = &["🎉", "👍", "😂", "🙏", "🚀", "❤️", "🔥", "✅"];

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
            from[(self.next() % from.len() as u64) as usize]
        }
    }

    fn sentence(rng: &mut Rng, i: usize) -> String {
        let words = 4 + (rng.next() % 10) as usize;
        match i % 4 {
            0 | 1 => (0..words).map(|_| rng.pick(THAI)).collect::<String>(),
            2 => (0..words).map(|_| rng.pick(ENGLISH)).collect::<Vec<_>>().join(" "),
            _ => {
                let mut s: String = (0..words).map(|_| rng.pick(CHINESE)).collect();
                s.push(' ');
                s.push_str(rng.pick(EMOJI));
                s
            }
        }
    }

    pub async fn run(
        url: &str,
        messages: usize,
        rooms: usize,
        queries: usize,
        no_index: bool,
        existing: bool,
    ) -> Result<()> {
        let node: NodeId = "bench".into();
        let storage = Storage::connect(url, node).await?;
        let (searcher, room_ids) = if existing {
            let searcher = storage.user_by_username("searcher").await?.ok_or("no corpus in this database")?;
            let rooms: Vec<RoomId> =
                storage.room_summaries(searcher.id, None).await?.into_iter().map(|s| s.room.id).collect();
            if rooms.is_empty() {
                return Err("the corpus in this database has no rooms".into());
            }
            (searcher, rooms)
        } else {
            corpus(&storage, messages, rooms, no_index).await?
        };
        let rooms = room_ids.len();
        if no_index {
            return Ok(());
        }
        let long = ["ข้าวมันไก่", "ประชุม", "รายงาน", "meeting", "customer", "上海东", "客户电话", "ลูกค้าโทร"];
        let short = ["ไป", "มา", "上海", "ok", "🎉"];
        // In no message of the corpus: a search that finds nothing looks through everything.
        let rare_long = ["pineapple", "ฮิปโปโปเตมัส", "长颈鹿"];
        let rare_short = ["zq", "ฮฬ", "😺"];
        for (label, terms) in [
            ("3+ characters", &long[..]),
            ("2 characters", &short[..]),
            ("3+ characters found nowhere", &rare_long[..]),
            ("2 characters found nowhere", &rare_short[..]),
        ] {
            for filtered in [false, true] {
                let mut times = Vec::with_capacity(queries);
                let mut found = 0;
                for q in 0..queries {
                    let filter = Filter {
                        terms: vec![normalize(terms[q % terms.len()])],
                        room: filtered.then(|| room_ids[q % rooms]),
                        ..Filter::default()
                    };
                    let t = Instant::now();
                    found += storage.search(searcher.id, &filter, 21).await?.hits.len();
                    times.push(t.elapsed().as_secs_f64() * 1000.0);
                }
                times.sort_by(f64::total_cmp);
                let at = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
                println!(
                    "search, {label}{}: p50 {:.1} ms, p99 {:.1} ms ({:.1} results a query)",
                    if filtered { ", one room" } else { ", all rooms" },
                    at(0.5),
                    at(0.99),
                    found as f64 / queries as f64
                );
            }
        }
        // PostgreSQL reads to the end in one statement, holding up no writer: nothing to page.
        if storage.dialect() != Dialect::Sqlite {
            return Ok(());
        }
        for (label, budget) in [("pages of 200,000 messages", SCAN_BUDGET), ("one page to the end", i64::MAX)] {
            storage.set_scan(SCAN_WINDOW, budget);
            read_through(&storage, &searcher, &rare_short, label).await?;
            writer_beside_scans(&storage, &searcher, room_ids[0], &rare_short, label).await?;
        }
        storage.set_scan(SCAN_WINDOW, SCAN_BUDGET);
        Ok(())
    }

    /// A term found nowhere, in every room, page after page until every message is read (with
    /// the storage's read limit, `label`): how many pages, and the time in all.
    async fn read_through(storage: &Storage, searcher: &User, terms: &[&str], label: &str) -> Result<()> {
        let started = Instant::now();
        let mut pages = Vec::new();
        for term in terms {
            let mut cursor = None;
            loop {
                let filter = Filter { terms: vec![normalize(term)], cursor, ..Filter::default() };
                let t = Instant::now();
                let page = storage.search(searcher.id, &filter, 21).await?;
                pages.push(t.elapsed().as_secs_f64() * 1000.0);
                match page.read_back_to {
                    Some(read) => cursor = Some(read.id),
                    None => break,
                }
            }
        }
        let longest = pages.iter().copied().fold(0.0, f64::max);
        println!(
            "2 characters found nowhere, read to the oldest message, {label}: {:.0} ms a term in all, \
             {} pages, the longest {longest:.0} ms",
            started.elapsed().as_secs_f64() * 1000.0 / terms.len() as f64,
            pages.len()
        );
        Ok(())
    }

    /// What the message writer waits while searches that no index narrows read every room
    /// (SQLite: one connection): one insert every 20 ms beside 5 such searches, read a window
    /// at a time (with the storage's read limit, `label`).
    async fn writer_beside_scans(
        storage: &Storage,
        sender: &User,
        room: RoomId,
        terms: &[&str],
        label: &str,
    ) -> Result<()> {
        let done = std::sync::atomic::AtomicBool::new(false);
        let writer = async {
            let mut waits = Vec::new();
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                let message = NewMessage {
                    room,
                    sender,
                    kind: MessageKind::Text,
                    content: "beside a search",
                    client_id: None,
                    rich: Rich::default(),
                };
                let t = Instant::now();
                storage.insert_messages(&[message], server::service::now_ms()).await?;
                waits.push(t.elapsed().as_secs_f64() * 1000.0);
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(waits)
        };
        let searches = async {
            let started = Instant::now();
            for q in 0..5 {
                let filter = Filter { terms: vec![normalize(terms[q % terms.len()])], ..Filter::default() };
                storage.search(sender.id, &filter, 21).await?;
            }
            done.store(true, std::sync::atomic::Ordering::Relaxed);
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(started.elapsed().as_secs_f64() / 5.0)
        };
        let (mut waits, each) = tokio::try_join!(writer, searches)?;
        waits.sort_by(f64::total_cmp);
        let at = |p: f64| waits[((waits.len() as f64 * p) as usize).min(waits.len() - 1)];
        println!(
            "an insert beside 2-character searches found nowhere, {label}: p50 {:.1} ms, max {:.1} ms \
             ({} inserts; {:.0} ms a search)",
            at(0.5),
            at(1.0),
            waits.len(),
            each * 1000.0
        );
        Ok(())
    }

    /// A fresh corpus: the searcher, 10 senders, `rooms` rooms and `messages` messages, 256 per
    /// commit; prints the insert rate and the sizes.
    async fn corpus(storage: &Storage, messages: usize, rooms: usize, no_index: bool) -> Result<(User, Vec<RoomId>)> {
        if no_index {
            let drop = match storage.dialect() {
                Dialect::Sqlite => "DROP TRIGGER message_search_update; DROP TABLE message_search",
                Dialect::Postgres => "DROP INDEX messages_search",
            };
            sqlx::raw_sql(drop).execute(storage.pool()).await?;
        }
        let now = server::service::now_ms();
        let searcher = storage.create_user("searcher", "Searcher", "x", now).await?;
        let mut senders: Vec<User> = Vec::new();
        for i in 0..10 {
            senders.push(storage.create_user(&format!("sender{i}"), &format!("Sender {i}"), "x", now).await?);
        }
        let members: Vec<_> = senders.iter().map(|u| u.id).collect();
        let mut room_ids: Vec<RoomId> = Vec::new();
        for r in 0..rooms {
            room_ids.push(storage.create_group(&searcher, &format!("room {r}"), &members, now).await?.0);
        }
        println!("inserting {messages} messages into {rooms} rooms, 256 per commit…");
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let started = Instant::now();
        let mut done = 0;
        while done < messages {
            let n = 256.min(messages - done);
            let texts: Vec<(String, Option<String>)> = (done..done + n)
                .map(|i| {
                    let t = sentence(&mut rng, i);
                    let found_by = search_text(&t, None);
                    (t, found_by)
                })
                .collect();
            let batch: Vec<NewMessage> = texts
                .iter()
                .enumerate()
                .map(|(k, (t, found_by))| NewMessage {
                    room: room_ids[(done + k) % rooms],
                    sender: &senders[(done + k) % senders.len()],
                    kind: MessageKind::Text,
                    content: t,
                    client_id: None,
                    rich: Rich { search_text: found_by.as_deref(), ..Rich::default() },
                })
                .collect();
            storage.insert_messages(&batch, server::service::now_ms()).await?;
            done += n;
            // What the server's indexer does in the background, counted in the insert rate.
            if !no_index && done % 2048 == 0 {
                storage.search_index_step().await?;
            }
        }
        if !no_index {
            while storage.search_index_step().await? {}
        }
        let took = started.elapsed().as_secs_f64();
        println!(
            "insert rate{}: {:.0} messages/s",
            if no_index { " without the index" } else { "" },
            messages as f64 / took
        );
        sizes(storage).await?;
        Ok((searcher, room_ids))
    }

    /// Times the folding upgrade on the corpus: the migration's statements run again, then
    /// what a server does as it starts (every search text computed again) and, on SQLite,
    /// what its indexer does until the index holds every message again.
    pub async fn upgrade(url: &str) -> Result<()> {
        let storage = Storage::connect(url, "bench".into()).await?;
        let migration = match storage.dialect() {
            Dialect::Sqlite => include_str!("../../../migrations/sqlite/0015_search_folding.sql"),
            Dialect::Postgres => include_str!("../../../migrations/postgres/0014_search_folding.sql"),
        };
        let started = Instant::now();
        sqlx::raw_sql(migration).execute(storage.pool()).await?;
        let migrated = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let filled = storage.fill_search_text(search_text).await?;
        let refilled = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let mut steps = 0;
        while storage.search_index_step().await? {
            steps += 1;
        }
        println!(
            "upgrade: migration {migrated:.1} s, {filled} search texts computed again {refilled:.1} s, \
             index rebuilt {:.1} s in {steps} steps",
            started.elapsed().as_secs_f64()
        );
        Ok(())
    }

    async fn sizes(storage: &Storage) -> Result<()> {
        match storage.dialect() {
            Dialect::Sqlite => {
                let pages: i64 = sqlx::query_scalar("PRAGMA page_count").fetch_one(storage.pool()).await?;
                let size: i64 = sqlx::query_scalar("PRAGMA page_size").fetch_one(storage.pool()).await?;
                println!("database file: {:.0} MB", (pages * size) as f64 / 1e6);
            }
            Dialect::Postgres => {
                let (table, index): (i64, i64) = sqlx::query_as(
                    "SELECT pg_table_size('messages'), COALESCE(pg_relation_size(to_regclass('messages_search')), 0)",
                )
                .fetch_one(storage.pool())
                .await?;
                println!("messages table: {:.0} MB, search index: {:.0} MB", table as f64 / 1e6, index as f64 / 1e6);
            }
        }
        Ok(())
    }
}

/// The `floor` scenario: plain blocking writes on loopback TCP, nothing else.
mod floor {
    use std::{
        io::Write,
        net::{TcpListener, TcpStream},
        time::{Duration, Instant},
    };

    use super::Result;

    pub async fn run(connections: usize, rate: u64, per_write: usize, frame_bytes: usize, seconds: u64) -> Result<()> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let mut writers = Vec::with_capacity(connections);
        let mut readers = Vec::with_capacity(connections);
        for _ in 0..connections {
            let w = TcpStream::connect(addr)?;
            w.set_nodelay(true)?;
            writers.push(w);
            readers.push(listener.accept()?.0);
        }
        println!("{connections} loopback sockets, {rate} frames/s each, {per_write} per write, {frame_bytes} B each…");
        let reader = std::thread::spawn(move || read_all(readers));
        let writer = std::thread::spawn(move || write_all(writers, rate, per_write, frame_bytes, seconds));
        let (frames, writes, cpu) = writer.join().map_err(|_| "writer panicked")??;
        let read = reader.join().map_err(|_| "reader panicked")??;
        println!("frames written         {frames} in {writes} writes ({read} bytes read)");
        println!(
            "writer CPU             {:.2} s, {:.2} µs per frame, {:.2} µs per write",
            cpu,
            cpu * 1e6 / frames as f64,
            cpu * 1e6 / writes as f64
        );
        Ok(())
    }

    /// Pins the calling thread to one core, as the benchmark pins the server and generator.
    fn pin(core: usize) {
        // SAFETY: a zeroed cpu_set_t is a valid empty set; the call only reads it.
        unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(core, &mut set);
            libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
        }
    }

    fn thread_cpu_seconds() -> f64 {
        // SAFETY: getrusage fills the struct it is given.
        let usage = unsafe {
            let mut usage: libc::rusage = std::mem::zeroed();
            libc::getrusage(libc::RUSAGE_THREAD, &mut usage);
            usage
        };
        let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
        secs(usage.ru_utime) + secs(usage.ru_stime)
    }

    fn write_all(
        mut sockets: Vec<TcpStream>,
        rate: u64,
        per_write: usize,
        frame_bytes: usize,
        seconds: u64,
    ) -> Result<(u64, u64, f64)> {
        pin(0);
        let chunk = vec![b'x'; frame_bytes * per_write];
        let tick = Duration::from_secs_f64(per_write as f64 / rate as f64);
        let rounds = (rate * seconds) / per_write as u64;
        let cpu_before = thread_cpu_seconds();
        let mut next = Instant::now();
        for _ in 0..rounds {
            for s in &mut sockets {
                s.write_all(&chunk)?;
            }
            next += tick;
            if let Some(wait) = next.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
        }
        let cpu = thread_cpu_seconds() - cpu_before;
        let writes = rounds * sockets.len() as u64;
        Ok((writes * per_write as u64, writes, cpu))
    }

    fn read_all(sockets: Vec<TcpStream>) -> Result<u64> {
        pin(1);
        // Readers wait in epoll like the generator's: one current-thread runtime for all.
        let rt = tokio::runtime::Builder::new_current_thread().enable_io().build()?;
        rt.block_on(async move {
            let mut tasks = Vec::new();
            for s in sockets {
                s.set_nonblocking(true)?;
                let mut s = tokio::net::TcpStream::from_std(s)?;
                tasks.push(tokio::spawn(async move {
                    use tokio::io::AsyncReadExt;
                    let mut buf = vec![0u8; 64 * 1024];
                    let mut total = 0u64;
                    while let Ok(n @ 1..) = s.read(&mut buf).await {
                        total += n as u64;
                    }
                    total
                }));
            }
            let mut total = 0;
            for t in tasks {
                total += t.await.unwrap_or_default();
            }
            Ok(total)
        })
    }
}
