//! Images and files over HTTP: upload → message → download by members only, sniffed types,
//! limits refused before the body is read, quotas, safe names and headers, content stored
//! once, and deletion removing the blob — on SQLite and on a throwaway PostgreSQL.

mod common;

use std::{io::Cursor, path::Path, time::Duration};

use common::{download, pg::PgServer, upload, TestServer};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn png(width: u32, height: u32) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image::DynamicImage::new_rgb8(width, height).write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// Files under the blob store (thumbnails included), temporary files and the store's lock
/// excluded.
fn blob_files(server: &TestServer) -> Vec<String> {
    fn walk(dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "tmp") {
                    walk(&path, out);
                }
            } else if !path.file_name().unwrap().to_string_lossy().starts_with('.') {
                out.push(path.file_name().unwrap().to_string_lossy().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(&server.dir.path().join("data").join("blobs"), &mut out);
    out.sort();
    out
}

async fn files_end_to_end(server: &TestServer, tag: &str) {
    let alice = server.register(&format!("alice{tag}")).await;
    let bob = server.register(&format!("bob{tag}")).await;
    let eve = server.register(&format!("eve{tag}")).await;
    let room = alice.private_room_with(&bob).await;
    let mut b = bob.connect().await;
    b.join(room, None).await;

    // An image: sniffed, measured, thumbnailed, delivered live.
    let (status, image) = upload(&alice, room, "f1", "holiday.txt", png(1200, 900)).await;
    assert_eq!(status, 200, "{image}");
    assert_eq!(image["kind"], "IMAGE", "a PNG named .txt is an image");
    assert_eq!(image["content"], "look");
    assert_eq!(
        image["attachment"],
        json!({"name": "holiday.txt", "size": png(1200, 900).len(), "mime": "image/png", "width": 1200, "height": 900})
    );
    let live = b.recv_message().await;
    assert_eq!(live["message"]["attachment"]["mime"], "image/png");
    let id = image["id"].as_i64().unwrap();
    let res = download(&bob, &format!("/api/files/{id}")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert!(res.headers()["content-disposition"].to_str().unwrap().starts_with("inline;"));
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert_eq!(res.headers()["cache-control"], "private, max-age=86400");
    let etag = res.headers()["etag"].clone();
    assert_eq!(res.bytes().await.unwrap().to_vec(), png(1200, 900), "the same bytes");
    let again = reqwest::Client::new()
        .get(format!("{}/api/files/{id}", bob.base))
        .bearer_auth(&bob.token)
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    let part = reqwest::Client::new()
        .get(format!("{}/api/files/{id}", bob.base))
        .bearer_auth(&bob.token)
        .header("range", "bytes=0-7")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.bytes().await.unwrap().to_vec(), png(1200, 900)[..8]);
    for (variant, size) in [("preview", (800, 600)), ("thumb", (160, 160))] {
        let res = download(&bob, &format!("/api/files/{id}/{variant}")).await;
        assert_eq!(res.status(), 200, "{variant}");
        assert_eq!(res.headers()["content-type"], "image/jpeg");
        let img = image::load_from_memory(&res.bytes().await.unwrap()).unwrap();
        assert_eq!((img.width(), img.height()), size, "{variant}");
    }

    // Members only, with the same answer as for a file that does not exist.
    assert_eq!(download(&eve, &format!("/api/files/{id}")).await.status(), 404);
    assert_eq!(download(&eve, &format!("/api/files/{id}/thumb")).await.status(), 404);
    assert_eq!(download(&bob, "/api/files/12345").await.status(), 404);
    let (status, _) = upload(&eve, room, "e1", "x.png", png(2, 2)).await;
    assert_eq!(status, 404);

    // A retry with the same client_id returns the first message; identical content is
    // stored once.
    let (_, retried) = upload(&alice, room, "f1", "holiday.txt", png(1200, 900)).await;
    assert_eq!(retried["id"], image["id"]);
    let (_, same) = upload(&bob, room, "f2", "copy.png", png(1200, 900)).await;
    assert_ne!(same["id"], image["id"]);
    assert_eq!(blob_files(server).len(), 3, "one original and its two thumbnails: {:?}", blob_files(server));

    // An SVG (or HTML) is a file, downloaded as an attachment, never rendered; a hostile name
    // is only a name.
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>"#.to_vec();
    let (status, file) = upload(&alice, room, "f3", "../../evil.svg", svg.clone()).await;
    assert_eq!(status, 200, "{file}");
    assert_eq!(file["kind"], "FILE");
    assert_eq!(file["attachment"]["name"], "evil.svg");
    let res = download(&bob, &format!("/api/files/{}", file["id"])).await;
    assert_eq!(res.headers()["content-type"], "application/octet-stream");
    assert_eq!(res.headers()["content-disposition"], "attachment; filename=\"evil.svg\"; filename*=UTF-8''evil.svg");
    assert_eq!(res.headers()["content-security-policy"], "default-src 'none'; sandbox");
    assert_eq!(res.bytes().await.unwrap().to_vec(), svg);
    assert!(
        !server.dir.path().join("evil.svg").exists() && !server.dir.path().parent().unwrap().join("evil.svg").exists()
    );
    let (_, thai) = upload(&alice, room, "f4", "รายงาน.pdf", b"%PDF-1.4\n%\xe2\xe3\n".to_vec()).await;
    let res = download(&bob, &format!("/api/files/{}", thai["id"])).await;
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let disposition = res.headers()["content-disposition"].to_str().unwrap().to_string();
    assert!(
        disposition.ends_with("filename*=UTF-8''%E0%B8%A3%E0%B8%B2%E0%B8%A2%E0%B8%87%E0%B8%B2%E0%B8%99.pdf"),
        "{disposition}"
    );

    // A file sent without a caption is quoted by its name.
    let res = reqwest::Client::new()
        .post(format!("{}/api/files", alice.base))
        .query(&[("room_id", room.to_string().as_str()), ("client_id", "f6"), ("name", "notes.txt")])
        .bearer_auth(&alice.token)
        .body(b"plain notes".to_vec())
        .send()
        .await
        .unwrap();
    let bare: Value = res.json().await.unwrap();
    assert_eq!(bare["content"], "");
    let body = json!({"room_id": room, "client_id": "f7", "content": "read this", "reply_to": bare["id"]});
    let (status, reply) = bob.post("/api/messages/send", body).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["reply_to"]["content"], "notes.txt");
    let (_, page) = bob.get(&format!("/api/rooms/messages?room_id={room}")).await;
    let quoted =
        page["messages"].as_array().unwrap().iter().find(|m| m["id"] == reply["id"]).unwrap()["reply_to"].clone();
    assert_eq!(quoted["content"], "notes.txt", "read back from the database too");

    // Empty files and bombs are refused.
    let (status, err) = upload(&alice, room, "f5", "empty.bin", Vec::new()).await;
    assert_eq!((status, err["field"].as_str()), (422, Some("file")));

    // Deleting the message: its download is gone, and its blob once nothing references it.
    let (status, _) = bob.post("/api/messages/delete", json!({"room_id": room, "message_id": same["id"]})).await;
    assert_eq!(status, 200);
    assert_eq!(blob_files(server).len(), 6, "still referenced by the first image (and the SVG, the PDF, the notes)");
    let (status, _) = alice.post("/api/messages/delete", json!({"room_id": room, "message_id": id})).await;
    assert_eq!(status, 200);
    assert_eq!(download(&bob, &format!("/api/files/{id}")).await.status(), 404);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while blob_files(server).len() != 3 {
        assert!(tokio::time::Instant::now() < deadline, "the unreferenced blob is removed: {:?}", blob_files(server));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn files_on_sqlite() {
    let server = TestServer::start().await;
    files_end_to_end(&server, "").await;
}

#[tokio::test]
async fn files_on_postgres() {
    let Some(pg) = PgServer::start() else {
        return;
    };
    let server = TestServer::start_on(tempfile::tempdir().unwrap(), &pg.url, |_| {}).await;
    files_end_to_end(&server, "").await;
}

/// Too large is refused from the declared length, before any of the body is sent; a body
/// longer than it declared, or over the quota, is cut off and leaves nothing behind.
fn small_limits(c: &mut server::config::Config) {
    c.upload_max_mib = 1;
    c.quota_mib = 2;
}

#[tokio::test]
async fn limits_on_sqlite() {
    limits_are_enforced_early_and_leave_nothing(&TestServer::start_with(small_limits).await).await;
}

#[tokio::test]
async fn limits_on_postgres() {
    let Some(pg) = PgServer::start() else {
        return;
    };
    let server = TestServer::start_on(tempfile::tempdir().unwrap(), &pg.url, small_limits).await;
    limits_are_enforced_early_and_leave_nothing(&server).await;
}

async fn limits_are_enforced_early_and_leave_nothing(server: &TestServer) {
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let room = alice.private_room_with(&bob).await;

    // Headers only, declaring 30 MiB: the answer comes without the body.
    let mut tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let head = format!(
        "POST /api/files?room_id={room}&client_id=big&name=big.bin HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\n\
         Content-Length: {}\r\n\r\n",
        server.addr,
        alice.token,
        30 * 1024 * 1024
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(5), tcp.read(&mut answer))
        .await
        .expect("an answer before the body")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]).to_string();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("Files can be at most 1.0 MB"), "{answer}");

    // The browser's check before sending: the same answer, without a body.
    let (status, err) = alice.get(&format!("/api/files/check?room_id={room}&size={}", 30 * 1024 * 1024)).await;
    assert_eq!((status, err["code"].as_str()), (413, Some("payload_too_large")), "{err}");
    assert_eq!(alice.get(&format!("/api/files/check?room_id={room}&size=1000")).await.0, 200);

    // A caption refused by the rules of any message is refused before the file is stored.
    let long = "x".repeat(5000);
    let query =
        [("room_id", room.to_string()), ("client_id", "c1".into()), ("name", "c.bin".into()), ("caption", long)];
    let res = reqwest::Client::new()
        .post(format!("{}/api/files", alice.base))
        .query(&query)
        .bearer_auth(&alice.token)
        .body(vec![9u8; 1000])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert_eq!(res.json::<Value>().await.unwrap()["field"], "caption");
    // A malformed address gets the API's JSON error, as everything else does.
    let res = download(&alice, "/api/files/not-an-id").await;
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "bad_request");

    // Quota: 2 MiB in all.
    let mib = |n: usize, fill: u8| vec![fill; n * 1024 * 1024 - 1000];
    assert_eq!(upload(&alice, room, "q1", "a.bin", mib(1, 1)).await.0, 200);
    assert_eq!(upload(&alice, room, "q2", "b.bin", mib(1, 2)).await.0, 200);
    let (status, err) = upload(&alice, room, "q3", "c.bin", mib(1, 3)).await;
    assert_eq!((status, err["code"].as_str()), (413, Some("payload_too_large")), "{err}");
    assert!(err["message"].as_str().unwrap().contains("storage quota"));
    assert_eq!(blob_files(server).len(), 2, "nothing of the refused upload is kept");
    let tmp = server.dir.path().join("data").join("blobs").join("tmp");
    assert_eq!(std::fs::read_dir(&tmp).unwrap().count(), 0, "no temporary file left behind");
    assert_eq!(upload(&bob, room, "q4", "d.bin", mib(1, 4)).await.0, 200, "the quota is per user");

    // Uploads in parallel count each other against the quota: two fit in 2 MiB, a third not.
    let carl = server.register("carl").await;
    let room = carl.private_room_with(&bob).await;
    let (one, two, three) = tokio::join!(
        upload(&carl, room, "p1", "a.bin", mib(1, 5)),
        upload(&carl, room, "p2", "b.bin", mib(1, 6)),
        upload(&carl, room, "p3", "c.bin", mib(1, 7)),
    );
    let mut statuses = [one.0, two.0, three.0];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 200, 413]);
}
