//! Search over HTTP on SQLite and on a throwaway PostgreSQL (created with a UTF-8 ctype):
//! substrings in Thai, Chinese and emoji, case-insensitive English, accents and full-width
//! letters folded (Thai tone marks kept), short terms, only rooms
//! the searcher is in now, deleted and edited messages, filters, paging — the same results on
//! both engines.

mod common;

use common::{pg::PgServer, Account, TestServer};
use serde_json::{json, Value};

async fn send(who: &Account, room: i64, client_id: &str, content: &str) -> i64 {
    let body = json!({"room_id": room, "client_id": client_id, "content": content});
    let (status, message) = who.post("/api/messages/send", body).await;
    assert_eq!(status, 200, "{message}");
    message["id"].as_i64().unwrap()
}

/// The ids found by `q` (with extra query parameters), and the raw answer.
async fn search(who: &Account, q: &str, extra: &str) -> (Vec<i64>, Value) {
    let url = format!("/api/search?q={}{extra}", percent(q));
    let (status, found) = who.get(&url).await;
    assert_eq!(status, 200, "{q}: {found}");
    let ids = found["hits"].as_array().unwrap().iter().map(|h| h["message"]["id"].as_i64().unwrap()).collect();
    (ids, found)
}

fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Every case from the issue, returning what each search found (to compare engines).
async fn search_cases(server: &TestServer) -> Vec<(String, usize)> {
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let carol = server.register("carol").await;
    let group = alice.group("Food club", &[&bob, &carol]).await;
    let private = alice.private_room_with(&bob).await;

    let thai = send(&alice, group, "t1", "ฉันชอบกินข้าวมันไก่มาก").await;
    let chinese = send(&bob, group, "t2", "我家在上海东边").await;
    let party = send(&carol, group, "t3", "Launch day 🎉 everyone").await;
    let hello = send(&alice, private, "t4", "hello from the private room").await;
    let shout = send(&bob, private, "t5", "HELLO again, Alice").await;
    let cafe = send(&carol, group, "t6", "Un café crème au ＢＡＲ, เสื้อขาว").await;

    let mut seen = Vec::new();
    let mut check = |q: &str, found: &(Vec<i64>, Value), want: &[i64]| {
        assert_eq!(found.0, want, "{q}");
        seen.push((q.to_string(), found.0.len()));
    };
    check("ข้าวมันไก่", &search(&bob, "ข้าวมันไก่", "").await, &[thai]);
    check("ไก่ (three code points)", &search(&bob, "ไก่", "").await, &[thai]);
    check("มา (two characters)", &search(&bob, "มา", "").await, &[thai]);
    check("กิน", &search(&bob, "กิน", "").await, &[thai]);
    check("上海", &search(&bob, "上海", "").await, &[chinese]);
    check("🎉", &search(&bob, "🎉", "").await, &[party]);
    check("Hello", &search(&bob, "Hello", "").await, &[shout, hello]);
    check("hello private", &search(&bob, "hello private", "").await, &[hello]);
    check("nothing", &search(&bob, "pineapple", "").await, &[]);
    // Accents and compatibility forms fold away; Thai tone marks do not (ข้าว is not ขาว).
    check("cafe", &search(&bob, "cafe", "").await, &[cafe]);
    check("CRÈME", &search(&bob, "CRÈME", "").await, &[cafe]);
    check("bar (full-width in the text)", &search(&bob, "bar", "").await, &[cafe]);
    check("ขาว", &search(&bob, "ขาว", "").await, &[cafe]);
    check("ข้าว", &search(&bob, "ข้าว", "").await, &[thai]);

    // The snippet marks the match in the text as written.
    let (_, found) = search(&bob, "ข้าวมันไก่", "").await;
    let hit = &found["hits"][0];
    assert_eq!(hit["room_title"], "Food club");
    assert_eq!(hit["snippet"], json!([{"text": "ฉันชอบกิน"}, {"text": "ข้าวมันไก่", "hit": true}, {"text": "มาก"}]));
    let (_, found) = search(&bob, "cafe bar", "").await;
    let marked: Vec<&str> = found["hits"][0]["snippet"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["hit"] == true)
        .map(|p| p["text"].as_str().unwrap())
        .collect();
    assert_eq!(marked, ["café", "ＢＡＲ"]);

    // Filters, in the box and as parameters, combine.
    check("from:bob hello", &search(&alice, "from:bob hello", "").await, &[shout]);
    check("hello in room", &search(&alice, "hello", &format!("&room_id={private}&from=alice")).await, &[hello]);
    check("in:bob hello", &search(&alice, "in:bob hello", "").await, &[shout, hello]);
    check("in:food (the start of a name)", &search(&alice, "🎉 in:Food", "").await, &[party]);
    let (status, err) = alice.get(&format!("/api/search?q={}", percent("x in:nowhere"))).await;
    assert_eq!((status, err["field"].as_str()), (422, Some("q")), "{err}");
    check("after:2000-01-01", &search(&alice, "hello after:2000-01-01", "").await, &[shout, hello]);
    check("before:2000-01-01", &search(&alice, "hello before:2000-01-01", "").await, &[]);
    let (status, err) = alice.get(&format!("/api/search?q={}", percent("hello before:soon"))).await;
    assert_eq!((status, err["field"].as_str()), (422, Some("q")), "{err}");

    // Only rooms I am in now.
    assert_eq!(search(&carol, "hello", "").await.0, Vec::<i64>::new(), "carol is not in the private room");
    let (status, _) = carol.get(&format!("/api/search?q=hello&room_id={private}")).await;
    assert_eq!(status, 404);
    carol.post("/api/rooms/leave", json!({"room_id": group})).await;
    check("after leaving", &search(&carol, "上海", "").await, &[]);

    // Deleted messages are never found; an edit is found by its new text only.
    bob.post("/api/messages/delete", json!({"room_id": group, "message_id": chinese})).await;
    check("deleted", &search(&alice, "上海", "").await, &[]);
    alice.post("/api/messages/edit", json!({"room_id": group, "message_id": thai, "content": "ฉันชอบกินส้มตำ"})).await;
    check("old text", &search(&bob, "ข้าวมันไก่", "").await, &[]);
    check("new text", &search(&bob, "ส้มตำ", "").await, &[thai]);

    // Once indexed (SQLite indexes in batches every half second), the same answers.
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    check("indexed: new text", &search(&bob, "ส้มตำ", "").await, &[thai]);
    check("indexed: deleted", &search(&alice, "上海", "").await, &[]);
    check("indexed: Hello", &search(&bob, "Hello", "").await, &[shout, hello]);
    check("indexed: cafe", &search(&bob, "cafe", "").await, &[cafe]);
    check("indexed: ขาว", &search(&bob, "ขาว", "").await, &[cafe]);

    // Pages: newest first, keyset cursor, across what is indexed and what is not yet.
    let mut ids = Vec::new();
    for i in 0..15 {
        ids.push(send(&alice, private, &format!("p{i}"), &format!("page test {i}")).await);
    }
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    for i in 15..25 {
        ids.push(send(&alice, private, &format!("p{i}"), &format!("page test {i}")).await);
    }
    ids.reverse();
    let (first, found) = search(&bob, "page test", "").await;
    assert_eq!(first, ids[..20]);
    let cursor = found["next_cursor"].as_i64().unwrap();
    let (second, found) = search(&bob, "page test", &format!("&cursor={cursor}")).await;
    assert_eq!(second, ids[20..]);
    assert!(found.get("next_cursor").is_none());
    seen
}

#[tokio::test]
async fn search_finds_the_same_on_sqlite_and_postgres() {
    let sqlite = TestServer::start().await;
    let on_sqlite = search_cases(&sqlite).await;
    let Some(pg) = PgServer::start() else {
        return;
    };
    let server = TestServer::start_on(tempfile::tempdir().unwrap(), &pg.url, |_| {}).await;
    let on_postgres = search_cases(&server).await;
    assert_eq!(on_sqlite, on_postgres, "identical results on both engines");
}

/// A server that reads 10 messages for a page when no index narrows the search (SQLite): a
/// short term comes back a page of reading at a time, each page saying how far back it
/// searched, until every message has been read once. Every room's messages count toward
/// the limit; only the searcher's are found.
/// PostgreSQL reads to the end at once: the same answer in one page.
async fn short_terms_read_a_page_at_a_time(server: TestServer, cut: bool) {
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let carol = server.register("carol").await;
    let group = alice.group("Many", &[&bob]).await;
    let elsewhere = carol.private_room_with(&alice).await;
    let started = server::service::now_ms();
    let oldest = send(&alice, group, "z0", "the zq at the start").await;
    send(&carol, elsewhere, "z1", "zq where bob is not").await;
    let mut ok = Vec::new();
    for i in 0..25 {
        ok.push(send(&alice, group, &format!("ok{i}"), &format!("ok {i}")).await);
    }
    // Every page, following `next_cursor`: the ids found and how far back each page read.
    let pages = |q: &'static str| {
        let bob = &bob;
        async move {
            let (mut all, mut reads, mut cursor) = (Vec::new(), Vec::new(), String::new());
            loop {
                let (ids, page) = search(bob, q, &cursor).await;
                all.extend(ids);
                reads.push(page["searched_back_to"].as_i64());
                match page["next_cursor"].as_i64() {
                    Some(next) => cursor = format!("&cursor={next}"),
                    None => return (all, reads),
                }
                assert!(reads.len() < 20, "{q}: pages without end");
            }
        }
    };
    let (found, reads) = pages("zq").await;
    assert_eq!(found, [oldest]);
    let (cut_short, last) = reads.split_at(reads.len() - 1);
    assert_eq!(last, [None], "the last page read to the start");
    if cut {
        assert!(reads.len() >= 3, "about 28 messages, 10 a page: {reads:?}");
        assert!(cut_short.iter().all(|r| r.is_some_and(|ms| ms >= started)), "{reads:?}");
        assert!(cut_short.windows(2).all(|w| w[0] >= w[1]), "each page reads further back: {reads:?}");
    } else {
        assert_eq!(reads, [None]);
    }
    let (found, _) = pages("ok").await;
    ok.reverse();
    assert_eq!(found, ok, "every match once, newest first, across pages cut short");
}

#[tokio::test]
async fn short_terms_are_searched_a_page_of_reading_at_a_time() {
    let sqlite = TestServer::start_with(|c| c.search_read_limit = 10).await;
    short_terms_read_a_page_at_a_time(sqlite, true).await;
    let Some(pg) = PgServer::start() else {
        return;
    };
    let server = TestServer::start_on(tempfile::tempdir().unwrap(), &pg.url, |c| c.search_read_limit = 10).await;
    short_terms_read_a_page_at_a_time(server, false).await;
}

/// A database written before search folded accents and width, upgraded: the server computes
/// every message's search text again, and (on SQLite) indexes it all again, before it listens.
async fn upgrade_folds_old_messages(server: TestServer, folding_migration: i64) {
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let room = alice.private_room_with(&bob).await;
    let cafe = send(&alice, room, "u1", "Un CAFÉ, ＡＢＣ").await;
    let plain = send(&alice, room, "u2", "plain words").await;
    let deleted = send(&alice, room, "u3", "a deleted café").await;
    alice.post("/api/messages/delete", json!({"room_id": room, "message_id": deleted})).await;
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    // What a server from before the folding left: NFC and lower case only (indexed so, on
    // SQLite), and its migrations without the folding one.
    let pool = server.state.service.storage.pool().clone();
    sqlx::query("UPDATE messages SET search_text = $1 WHERE id = $2")
        .bind("un café, ａｂｃ")
        .bind(cafe)
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version = $1")
        .bind(folding_migration)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(search(&bob, "cafe", "").await.0, Vec::<i64>::new(), "the old text keeps its accent");
    assert_eq!(search(&bob, "café", "").await.0, Vec::<i64>::new(), "a folded term misses it too");

    let url = server.database_url.clone();
    let dir = server.stop().await;
    let server = TestServer::start_on(dir, &url, |_| {}).await;
    let bob = Account { base: server.base.clone(), ..bob };
    // Ready as soon as the server listens: the texts computed again, and indexed.
    assert_eq!(search(&bob, "cafe", "").await.0, [cafe]);
    assert_eq!(search(&bob, "abc", "").await.0, [cafe]);
    assert_eq!(search(&bob, "plain words", "").await.0, [plain]);
    assert_eq!(search(&bob, "deleted", "").await.0, Vec::<i64>::new(), "deleted messages stay unfound");
    let storage = &server.state.service.storage;
    if storage.dialect() == server::storage::Dialect::Sqlite {
        // The index holds every message, folded, and the old entries are gone.
        assert_eq!((entries_in(storage, "cafe").await, entries_in(storage, "café").await), (1, 0));
        assert_eq!(entries_in(storage, "plain").await, 1);
        let behind: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM messages WHERE id > (SELECT indexed_up_to FROM search_state)")
                .fetch_one(storage.pool())
                .await
                .unwrap();
        assert_eq!(behind, 0, "nothing is left to scan");
        // Stopped in the middle of a rebuild (the texts filled in, the index not): the next
        // start finishes it before it listens.
        sqlx::raw_sql(
            "UPDATE search_state SET indexed_up_to = 0; \
             INSERT INTO message_search (message_search) VALUES ('delete-all');",
        )
        .execute(storage.pool())
        .await
        .unwrap();
        let dir = server.stop().await;
        let server = TestServer::start_on(dir, &url, |_| {}).await;
        let storage = &server.state.service.storage;
        assert_eq!(entries_in(storage, "cafe").await, 1);
        server.stop().await;
        return;
    }
    server.stop().await;
}

async fn entries_in(storage: &server::storage::Storage, term: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM message_search WHERE message_search MATCH $1")
        .bind(term)
        .fetch_one(storage.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn an_upgrade_folds_what_older_servers_stored() {
    upgrade_folds_old_messages(TestServer::start().await, 15).await;
    let Some(pg) = PgServer::start() else {
        return;
    };
    upgrade_folds_old_messages(TestServer::start_on(tempfile::tempdir().unwrap(), &pg.url, |_| {}).await, 14).await;
}
