//! `confab-loadgen`: a load generator for a running Confab server (a benchmark, not a test).
//!
//! `fanout`: N members in one group, S of them sending R messages/s in total for D seconds,
//! spread evenly (each sender's ticks are offset, so messages arrive at a steady rate, not in
//! bursts). Reports delivered/s, send→receive and send→ack latency, lost messages, the
//! generator's own CPU (near 100 % means the figures measure the generator) and, given the
//! server's pid, server CPU time per delivery. With `--url-b`, members alternate between two
//! nodes on one PostgreSQL (the cross-node figures), each node's CPU reported against the
//! deliveries its own members received. `idle`: opens C idle WebSockets and reports the
//! server's resident memory per connection. `floor`: no Confab at all, the kernel's cost of
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

    let base = Instant::now();
    let histogram = Arc::new(Mutex::new(Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?));
    let acks = Arc::new(Mutex::new(Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?));
    let delivered = Arc::new(AtomicU64::new(0));
    // Deliveries to members on node B (the rest are node A's).
    let delivered_b = Arc::new(AtomicU64::new(0));
    let acked = Arc::new(AtomicU64::new(0));
    let seen = Arc::new(Mutex::new(HashSet::<(usize, u64)>::new()));
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
            let mut mine = HashSet::new();
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
                // content: "<sent at, µs since start> <global sequence>"
                let Some(start) = text.find(r#""content":""#).map(|i| i + 11) else { continue };
                let content = &text[start..text[start..].find('"').map_or(text.len(), |e| start + e)];
                let mut parts = content.split(' ');
                let sent_us: u64 = parts.next().and_then(|p| p.parse().ok()).unwrap_or_default();
                let seq: u64 = parts.next().and_then(|p| p.parse().ok()).unwrap_or_default();
                let latency = (base.elapsed().as_micros() as u64).saturating_sub(sent_us).max(1);
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
    for (s, mut sink) in sinks.into_iter().enumerate() {
        let seq = seq.clone();
        send_tasks.push(tokio::spawn(async move {
            let interval = Duration::from_secs_f64(1.0 / per_sender);
            // Senders are spread over the interval: together they send at a steady rate rather
            // than in bursts of one message each.
            let offset = interval.mul_f64(s as f64 / senders as f64);
            let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + offset, interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
            for i in 0..total_per_sender {
                tick.tick().await;
                let n = seq.fetch_add(1, Ordering::Relaxed);
                let content = format!("{} {n}", base.elapsed().as_micros());
                let frame = json!({"type": "send_message", "room_id": room_id, "client_id": format!("s{s}-{i}"), "content": content});
                if sink.send(Message::text(frame.to_string())).await.is_err() {
                    break;
                }
            }
            sink
        }));
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
    if !h.is_empty() {
        println!(
            "latency send→receive   p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            h.value_at_quantile(0.5) as f64 / 1000.0,
            h.value_at_quantile(0.99) as f64 / 1000.0,
            h.max() as f64 / 1000.0
        );
    }
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
