//! `backup` and `restore` on a real SQLite file: a snapshot taken while a burst of messages is
//! being written holds every message acknowledged before it began, with its room's seqs
//! whole, and a server started on the restored data serves them and their files.

mod common;

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use common::{download, upload, TestServer};
use server::{
    backup::{backup, restore, BackupError, DATABASE_FILE},
    config::Config,
};
use sqlx::{Connection, SqliteConnection};

const BURST: usize = 1_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_during_a_burst_restores_every_message_acknowledged_before_it() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let room = alice.private_room_with(&bob).await;
    let (status, file) = upload(&alice, room, "file-1", "notes.txt", b"kept in the backup".to_vec()).await;
    assert_eq!(status, 200, "{file}");
    let file_id = file["id"].as_i64().unwrap();

    // The burst: each message waits for its acknowledgement, which means it is committed.
    let acked = Arc::new(Mutex::new(Vec::<i64>::new()));
    let mut ws = alice.connect().await;
    let sender = tokio::spawn({
        let acked = acked.clone();
        async move {
            for i in 0..BURST {
                let ack = ws.send_message(room, &format!("burst-{i}"), &format!("message {i}")).await;
                acked.lock().unwrap().push(ack["message"]["id"].as_i64().unwrap());
            }
        }
    });
    while acked.lock().unwrap().len() < BURST / 4 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let before: Vec<i64> = acked.lock().unwrap().clone();
    let dir = tempfile::tempdir().unwrap();
    let to = dir.path().join("backup");
    let config = Config { data_dir: server.dir.path().join("data"), ..Config::for_database(&server.database_url) };
    let summary = backup(&config, &to).await.expect("backup while the server writes");
    sender.await.unwrap();
    assert_eq!(acked.lock().unwrap().len(), BURST);
    assert!(summary.messages as usize > before.len(), "{summary}: the file and the burst so far");
    assert!((summary.messages as usize) < BURST, "{summary}: the burst went on after the snapshot");
    assert_eq!(summary.blobs, 1, "{summary}");
    assert!(matches!(backup(&config, &to).await, Err(BackupError::Refused(_))), "never over a backup");

    // Restored elsewhere: every acknowledged-before message, the room's seqs without a hole.
    let restored = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/confab.db", restored.path().display());
    let target = Config { data_dir: restored.path().join("data"), ..Config::for_database(&url) };
    let back = restore(&target, &to, false).await.expect("restore into an empty place");
    assert_eq!(back, summary);
    let mut db = SqliteConnection::connect(&url).await.unwrap();
    let ids: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM messages WHERE room_id = ?").bind(room).fetch_all(&mut db).await.unwrap();
    for id in &before {
        assert!(ids.contains(id), "message {id} was acknowledged before the backup began");
    }
    let seqs: Vec<i64> = sqlx::query_scalar("SELECT seq FROM messages WHERE room_id = ? ORDER BY seq")
        .bind(room)
        .fetch_all(&mut db)
        .await
        .unwrap();
    let last: i64 =
        sqlx::query_scalar("SELECT last_seq FROM rooms WHERE id = ?").bind(room).fetch_one(&mut db).await.unwrap();
    assert_eq!(seqs.last().copied(), Some(last), "the room's seq matches its messages");
    assert!(seqs.windows(2).all(|w| w[1] > w[0]));
    db.close().await.unwrap();
    assert!(
        matches!(restore(&target, &to, false).await, Err(BackupError::Refused(_))),
        "an existing database is only replaced when asked"
    );
    restore(&target, &to, true).await.expect("replaced when asked");
    let kept_aside = std::fs::read_dir(restored.path())
        .unwrap()
        .flatten()
        .any(|e| e.file_name().to_string_lossy().starts_with("confab.db.before-restore-"));
    assert!(kept_aside, "the replaced database is kept");

    let err = restore(&config, &to, true).await.unwrap_err();
    assert!(err.to_string().contains("a server is running"), "never under a running server: {err}");

    // A server on the restored data: the same session, the history, the file.
    server.stop().await;
    let server = TestServer::start_on(restored, &url, |_| {}).await;
    let alice = common::Account { base: server.base.clone(), ..alice };
    let (status, page) = alice.get(&format!("/api/rooms/messages?room_id={room}")).await;
    assert_eq!(status, 200, "{page}");
    let shown = page["messages"].as_array().unwrap();
    assert!(shown.iter().any(|m| m["id"] == before[before.len() - 1]), "the last acknowledged message is shown");
    let res = download(&alice, &format!("/api/files/{file_id}")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"kept in the backup");
    let mut ws = alice.connect().await;
    let ack = ws.send_message(room, "after-restore", "still writable").await;
    assert_eq!(ack["seq"].as_i64(), Some(last + 1), "seqs continue from the snapshot");
    assert!(to.join(DATABASE_FILE).is_file());
}

#[tokio::test]
async fn backup_and_restore_explain_what_they_cannot_do() {
    let pg = Config::for_database("postgres://confab@127.0.0.1:1/postgres");
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(backup(&pg, dir.path()).await, Err(BackupError::NotSqlite)));
    let missing = Config::for_database(&format!("sqlite://{}/none.db", dir.path().display()));
    let err = backup(&missing, &dir.path().join("b")).await.unwrap_err();
    assert!(err.to_string().contains("no database"), "{err}");
    let err = restore(&missing, &dir.path().join("nothing"), false).await.unwrap_err();
    assert!(err.to_string().contains("holds no confab.db"), "{err}");
}
