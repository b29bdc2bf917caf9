//! The same storage scenarios against SQLite (a real file) and a throwaway PostgreSQL 15.

mod common;

use app::types::{MessageId, MessageKind, Role, RoomId, RoomKind, Seq, SystemEvent, User, UserId};
use server::{
    service::search::{normalize, search_text},
    storage::{
        edits::NewText,
        messages::{NewMessage, Rich},
        search::Filter,
        Dialect, Storage, StorageError,
    },
};

async fn connect(url: &str) -> Storage {
    Storage::connect(url, "test-node".into()).await.unwrap()
}

async fn user(s: &Storage, name: &str) -> User {
    s.create_user(name, &name.to_uppercase(), "hash", 1).await.unwrap()
}

async fn post(s: &Storage, room: RoomId, sender: &User, client_id: &str, content: &str) -> MessageId {
    let new = NewMessage {
        room,
        sender,
        kind: MessageKind::Text,
        content,
        client_id: Some(client_id),
        rich: Default::default(),
    };
    s.insert_message(new, server::service::now_ms()).await.unwrap().message.id
}

async fn accounts_and_sessions(s: &Storage) {
    let alice = user(s, "alice").await;
    assert!(matches!(s.create_user("alice", "Again", "h", 2).await, Err(StorageError::Conflict)));
    let creds = s.credentials("alice").await.unwrap().unwrap();
    assert_eq!(creds.user, alice);
    assert_eq!(creds.password_hash, "hash");
    assert!(s.credentials("nobody").await.unwrap().is_none());

    s.create_session("live", alice.id, 10, 1_000).await.unwrap();
    s.create_session("old", alice.id, 10, 20).await.unwrap();
    assert_eq!(s.session_user("live", 500).await.unwrap(), Some(alice.clone()));
    assert_eq!(s.session_user("old", 500).await.unwrap(), None, "expired");
    assert_eq!(s.delete_expired_sessions(500).await.unwrap(), 1);
    assert_eq!(s.delete_session("live").await.unwrap(), Some(alice.id), "says whose session ended");
    assert_eq!(s.delete_session("live").await.unwrap(), None);
    assert_eq!(s.session_user("live", 500).await.unwrap(), None);

    user(s, "al_bert").await;
    user(s, "bob").await;
    let found = s.search_users("al", UserId(-1), 10).await.unwrap();
    assert_eq!(found.iter().map(|u| u.username.as_str()).collect::<Vec<_>>(), ["al_bert", "alice"]);
    // LIKE wildcards in the query are taken literally
    let found = s.search_users("_", UserId(-1), 10).await.unwrap();
    assert_eq!(found.iter().map(|u| u.username.as_str()).collect::<Vec<_>>(), ["al_bert"]);
}

async fn rooms_and_membership(s: &Storage) {
    let a = user(s, "ann").await;
    let b = user(s, "ben").await;
    let c = user(s, "cat").await;
    let opened = s.open_private_room(&a, b.id, 5).await.unwrap();
    let again = s.open_private_room(&b, a.id, 6).await.unwrap();
    let (p1, p2) = (opened.room, again.room);
    assert_eq!(p1, p2, "one private room per pair");
    assert!(opened.created && !again.created);
    assert_eq!((opened.added, again.added), (vec![a.id, b.id], vec![]));
    assert!(opened.line.is_none() && again.line.is_none());
    assert_eq!(s.room(p1).await.unwrap().unwrap().kind, RoomKind::Private);
    assert_eq!(s.role(p1, c.id).await.unwrap(), None);

    let (g, created) = s.create_group(&a, "Team", &[b.id, b.id], 7).await.unwrap();
    assert_eq!(created.system, Some(SystemEvent::GroupCreated { name: "Team".into() }));
    assert_eq!(created.seq, Seq(1), "a group's timeline starts at seq 1");
    assert_eq!(s.role(g, a.id).await.unwrap(), Some(Role::Owner));
    assert_eq!(s.role(g, b.id).await.unwrap(), Some(Role::Member));
    assert!(matches!(s.create_group(&a, "Bad", &[UserId(999_999)], 8).await, Err(StorageError::NotFound)));

    let (added, line) = s.add_participants(g, &a, &[b.id, c.id], 9).await.unwrap();
    assert_eq!(added, vec![c.id]);
    assert_eq!(line.map(|l| (l.seq, l.content)), Some((Seq(2), "ANN added CAT".to_string())));
    assert_eq!(s.add_participants(g, &a, &[c.id], 9).await.unwrap(), (vec![], None), "nobody new: no line");
    let names: Vec<String> = s.participants(g).await.unwrap().into_iter().map(|p| p.user.username).collect();
    assert_eq!(names, ["ann", "ben", "cat"]);

    // The owner leaves: ownership passes on, and both are timeline entries.
    let lines = s.remove_participant(g, &a, 10).await.unwrap();
    let texts: Vec<&str> = lines.iter().map(|l| l.content.as_str()).collect();
    assert_eq!(texts, ["ANN left", "BEN is now the owner"]);
    assert_eq!(s.role(g, b.id).await.unwrap(), Some(Role::Owner));
    assert!(matches!(s.remove_participant(g, &a, 11).await, Err(StorageError::NotFound)));

    let renamed = s.rename_room(g, &b, "Renamed", 12).await.unwrap();
    assert_eq!(renamed.seq, Seq(5));
    assert_eq!(s.last_seq(g).await.unwrap(), Seq(5));
    // Catch-up replays them all, in seq order, as the timeline shows them.
    let log = s.changes_since(g, Seq(0), 100).await.unwrap();
    let seqs: Vec<i64> = log.iter().map(|m| m.change_seq.0).collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5]);
    assert!(log.iter().all(|m| m.kind == MessageKind::System));
    assert_eq!(s.changes_since(g, Seq(3), 100).await.unwrap().len(), 2);
    let rooms = s.room_summaries(b.id, None).await.unwrap();
    assert_eq!(rooms.len(), 2);
    let group = rooms.iter().find(|r| r.room.id == g).unwrap();
    assert_eq!(group.title, "Renamed");
    let private = rooms.iter().find(|r| r.room.id == p1).unwrap();
    assert_eq!(private.title, "ANN", "private rooms are named after the other person");
    assert_eq!(private.peer.as_ref().unwrap().id, a.id);

    // Who hears of whose presence, several users in one lookup: ann left the group, so she
    // shares only the private room with ben; someone in no room has no contacts.
    let loner = user(s, "loner").await;
    let mut contacts = s.contacts_of(&[a.id, b.id, c.id, loner.id]).await.unwrap();
    for list in contacts.values_mut() {
        list.sort_unstable();
    }
    assert_eq!(contacts.get(&a.id), Some(&vec![a.id, b.id]));
    assert_eq!(contacts.get(&b.id), Some(&vec![a.id, b.id, c.id]));
    assert_eq!(contacts.get(&c.id), Some(&vec![b.id, c.id]));
    assert_eq!(contacts.get(&loner.id), None);
    let mut one = s.contacts(c.id).await.unwrap();
    one.sort_unstable();
    assert_eq!(one, [b.id, c.id], "the single lookup agrees");

    // Someone who left a private room is back when the other opens it again, and the
    // timeline says so.
    s.remove_participant(p1, &b, 13).await.unwrap();
    let back = s.open_private_room(&a, b.id, 14).await.unwrap();
    assert_eq!((back.room, back.created, back.added), (p1, false, vec![b.id]));
    assert_eq!(back.line.map(|l| (l.seq, l.content)), Some((Seq(2), "ANN added BEN".to_string())));
    s.remove_participant(p1, &a, 15).await.unwrap();
    let back = s.open_private_room(&a, b.id, 16).await.unwrap();
    assert_eq!(back.added, vec![a.id]);
    assert_eq!(back.line.map(|l| (l.seq, l.content)), Some((Seq(4), "ANN rejoined".to_string())));
    assert!(s.open_private_room(&b, a.id, 17).await.unwrap().line.is_none(), "nobody had left");
}

async fn messages_history_and_unread(s: &Storage) {
    let a = user(s, "dan").await;
    let b = user(s, "eve").await;
    let room = s.open_private_room(&a, b.id, 1).await.unwrap().room;
    let mut ids = Vec::new();
    for i in 0..25 {
        let sender = if i % 2 == 0 { &a } else { &b };
        ids.push(post(s, room, sender, &format!("c{i}"), &format!("message {i}")).await);
    }
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids grow in send order");
    assert_eq!(s.last_seq(room).await.unwrap(), Seq(25), "one seq per message, no holes");

    // Idempotent on (sender, client_id).
    let again = NewMessage {
        room,
        sender: &a,
        kind: MessageKind::Text,
        content: "different",
        client_id: Some("c0"),
        rich: Default::default(),
    };
    let stored = s.insert_message(again, 99).await.unwrap();
    assert!(!stored.created);
    assert_eq!(stored.message.id, ids[0]);
    assert_eq!(stored.message.content, "message 0");
    assert_eq!(s.last_seq(room).await.unwrap(), Seq(25), "a retry takes no seq");

    // An older message changed later (as an edit will) is caught up at its new seq, once, in
    // seq order after the messages created before that change.
    let mut tx = s.begin().await.unwrap();
    let edit = s.take_seqs(&mut tx, room, 1).await.unwrap();
    sqlx::query("UPDATE messages SET change_seq = $1 WHERE id = $2")
        .bind(edit.0)
        .bind(ids[3].0)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let changed: Vec<(i64, i64)> =
        s.changes_since(room, Seq(22), 100).await.unwrap().iter().map(|m| (m.id.0, m.change_seq.0)).collect();
    assert_eq!(changed, [(ids[22].0, 23), (ids[23].0, 24), (ids[24].0, 25), (ids[3].0, 26)]);
    assert_eq!(s.changes_since(room, Seq(25), 100).await.unwrap()[0].seq, Seq(4), "keeps its place");
    assert_eq!(s.changes_since(room, Seq(2), 1).await.unwrap()[0].id, ids[2], "paged in seq order");

    // Latest page, then keyset pages backwards and forwards.
    let latest = s.history(room, None, None, 10).await.unwrap();
    assert!(latest.has_more);
    assert_eq!(latest.seq, Seq(26), "the page says where catch-up continues");
    assert_eq!(latest.messages.iter().map(|m| m.id).collect::<Vec<_>>(), ids[15..]);
    let older = s.history(room, Some(ids[15]), None, 10).await.unwrap();
    assert_eq!(older.messages.iter().map(|m| m.id).collect::<Vec<_>>(), ids[5..15]);
    let oldest = s.history(room, Some(ids[5]), None, 10).await.unwrap();
    assert!(!oldest.has_more);
    assert_eq!(oldest.messages.len(), 5);
    let newer = s.history(room, None, Some(ids[20]), 10).await.unwrap();
    assert_eq!(newer.messages.iter().map(|m| m.id).collect::<Vec<_>>(), ids[21..]);
    assert!(!newer.has_more);
    assert_eq!(newer.messages[0].sender_name, "EVE");

    // Unread counts what others sent after the read marker; the marker never moves back.
    let summary = |u: UserId| async move { s.room_summaries(u, Some(room)).await.unwrap().pop().unwrap() };
    assert_eq!(summary(a.id).await.unread, 12);
    assert_eq!(summary(a.id).await.last_message.unwrap().id, ids[24]);
    assert!(s.mark_read(room, a.id, Seq(21), 5).await.unwrap());
    assert_eq!(summary(a.id).await.unread, 2);
    assert_eq!(summary(a.id).await.last_read_seq, Seq(21));
    assert!(!s.mark_read(room, a.id, Seq(11), 6).await.unwrap(), "never backwards");
    assert!(!s.mark_read(room, a.id, Seq(27), 6).await.unwrap(), "never past the room's last seq");
    assert_eq!(summary(a.id).await.unread, 2);
}

async fn group_commit_keeps_order_and_idempotency(s: &Storage) {
    let a = user(s, "hal").await;
    let b = user(s, "ivy").await;
    let room = s.open_private_room(&a, b.id, 1).await.unwrap().room;
    let other = s.open_private_room(&a, user(s, "jon").await.id, 1).await.unwrap().room;
    let earlier = post(s, room, &a, "g0", "stored before").await;
    fn msg<'a>(room: RoomId, sender: &'a User, client_id: &'a str, content: &'a str) -> NewMessage<'a> {
        NewMessage {
            room,
            sender,
            kind: MessageKind::Text,
            content,
            client_id: Some(client_id),
            rich: Default::default(),
        }
    }
    let batch = [
        msg(room, &a, "g1", "first"),
        msg(room, &b, "g1", "same key, other sender"),
        msg(room, &a, "g0", "retry of an earlier message"),
        msg(room, &a, "g1", "retry inside the batch"),
        msg(other, &a, "g3", "another room"),
        msg(room, &b, "g2", "last"),
    ];
    let stored = s.insert_messages(&batch, server::service::now_ms()).await.unwrap();
    let created: Vec<bool> = stored.iter().map(|s| s.created).collect();
    assert_eq!(created, [true, true, false, false, true, true]);
    let seqs: Vec<i64> = stored.iter().map(|s| s.message.seq.0).collect();
    assert_eq!(seqs, [2, 3, 1, 2, 1, 4], "each room's seqs in batch order, without holes");
    let stored: Vec<_> = stored.into_iter().filter(|s| s.message.room_id == room).collect();
    assert_eq!(stored[2].message.id, earlier);
    assert_eq!(stored[3].message.id, stored[0].message.id);
    assert_eq!(stored[3].message.content, "first");
    assert!(stored[0].message.id < stored[1].message.id && stored[1].message.id < stored[4].message.id);
    let page = s.history(room, None, None, 10).await.unwrap();
    let contents: Vec<&str> = page.messages.iter().map(|m| m.content.as_str()).collect();
    assert_eq!(contents, ["stored before", "first", "same key, other sender", "last"]);
}

async fn reopen_keeps_ids_increasing(url: &str) {
    let s = connect(url).await;
    let a = user(&s, "fay").await;
    let b = user(&s, "gus").await;
    let room = s.open_private_room(&a, b.id, 1).await.unwrap().room;
    let first = post(&s, room, &a, "x1", "before restart").await;
    s.close().await;
    let s = connect(url).await;
    let second = post(&s, room, &a, "x2", "after restart").await;
    assert!(second > first);
    let page = s.history(room, None, None, 10).await.unwrap();
    assert_eq!(page.messages.len(), 2);
}

/// Two writers on one database (two nodes on PostgreSQL; on SQLite, two connections taking
/// turns): ids never collide, and in each room seq order is commit order with no holes.
async fn concurrent_writers_share_one_sequence(url: &str) {
    let one = connect(url).await;
    let two = connect(url).await;
    let a = user(&one, "kim").await;
    let b = user(&one, "lee").await;
    let room = one.open_private_room(&a, b.id, 1).await.unwrap().room;
    async fn write(s: &Storage, a: &User, room: RoomId, who: &str) -> Vec<app::types::Message> {
        let mut out = Vec::new();
        for i in 0..40 {
            let key = format!("{who}{i}");
            let new = NewMessage {
                room,
                sender: a,
                kind: MessageKind::Text,
                content: "x",
                client_id: Some(&key),
                rich: Default::default(),
            };
            out.push(s.insert_message(new, server::service::now_ms()).await.unwrap().message);
        }
        out
    }
    let (x, y) = tokio::join!(write(&one, &a, room, "one-"), write(&two, &a, room, "two-"));
    let mut all: Vec<_> = x.into_iter().chain(y).collect();
    all.sort_by_key(|m| m.seq);
    let seqs: Vec<i64> = all.iter().map(|m| m.seq.0).collect();
    assert_eq!(seqs, (1..=80).collect::<Vec<_>>());
    assert!(all.windows(2).all(|w| w[0].id < w[1].id), "id order is seq order is commit order");
    one.close().await;
    two.close().await;
}

/// Search through every plan: the index (SQLite's batches, PostgreSQL's own), the messages
/// newer than SQLite's index, and a term common enough (over 2,000 matches) that one room is
/// scanned instead — all give the same, complete, newest-first answers.
async fn search_plans(s: &Storage) {
    let a = user(s, "sam").await;
    let b = user(s, "sue").await;
    let (busy, _) = s.create_group(&a, "Busy", &[b.id], 1).await.unwrap();
    let (quiet, _) = s.create_group(&a, "Quiet", &[b.id], 1).await.unwrap();
    let texts: Vec<String> = (0..2100).map(|i| format!("needle {i}")).collect();
    let found_by: Vec<Option<String>> = texts.iter().map(|t| search_text(t, None)).collect();
    for chunk in (0..texts.len()).collect::<Vec<_>>().chunks(256) {
        let batch: Vec<NewMessage> = chunk
            .iter()
            .map(|&i| NewMessage {
                room: busy,
                sender: &a,
                kind: MessageKind::Text,
                content: &texts[i],
                client_id: None,
                rich: Rich { search_text: found_by[i].as_deref(), ..Rich::default() },
            })
            .collect();
        s.insert_messages(&batch, 2).await.unwrap();
    }
    let quiet_text = search_text("a needle in the quiet room", None);
    let quiet_message = NewMessage {
        room: quiet,
        sender: &b,
        kind: MessageKind::Text,
        content: "a needle in the quiet room",
        client_id: None,
        rich: Rich { search_text: quiet_text.as_deref(), ..Rich::default() },
    };
    let early = s.insert_message(quiet_message, 3).await.unwrap().message.id;
    while s.index_pending().await.unwrap() > 0 {}
    let late = s.insert_message(NewMessage { client_id: None, ..quiet_message }, 4).await.unwrap().message.id;
    let search = |room: Option<RoomId>, cursor: Option<MessageId>| {
        let filter = Filter { terms: vec![normalize("Needle")], room, cursor, ..Filter::default() };
        async move { s.search(b.id, &filter, 21).await.unwrap().hits }
    };
    let ids = |found: &[(app::types::Message, String)]| found.iter().map(|(m, _)| m.id).collect::<Vec<_>>();
    // One room, a common term: the room's two, the newest first, one of them not indexed yet.
    assert_eq!(ids(&search(Some(quiet), None).await), [late, early]);
    let busy_page = search(Some(busy), None).await;
    assert_eq!(busy_page.len(), 21);
    assert!(busy_page.iter().all(|(m, title)| m.room_id == busy && title == "Busy"));
    // All rooms: through the index and the newer tail, newest first, then on by cursor.
    let first = search(None, None).await;
    assert_eq!(ids(&first[..2]), [late, early]);
    assert!(ids(&first).windows(2).all(|w| w[0] > w[1]));
    let next = search(None, Some(first[20].0.id)).await;
    assert!(next[0].0.id < first[20].0.id && next.len() == 21);

    // A short term: no index narrows it, so SQLite reads messages a window at a time. Across
    // many small windows, the same pages as in one, and a term found nowhere reads them all.
    let short = |term: &'static str, cursor: Option<MessageId>| {
        let filter = Filter { terms: vec![normalize(term)], cursor, ..Filter::default() };
        async move { ids(&s.search(b.id, &filter, 21).await.unwrap().hits) }
    };
    let whole = short("17", None).await;
    let whole_next = short("17", Some(whole[20])).await;
    assert_eq!((whole.len(), whole_next.len()), (21, 21));
    s.set_scan(100, i64::MAX);
    assert_eq!(short("17", None).await, whole);
    assert_eq!(short("17", Some(whole[20])).await, whole_next);
    assert_eq!(short("zq", None).await, Vec::<MessageId>::new());

    // With a budget of 500 messages a page, a page that found too few says how far back it
    // read, and the next reads on from there: together the pages find what unlimited ones
    // find, in every room or in one, and a term found nowhere is read through once. (On
    // PostgreSQL every page reads to the end: it has no budget.)
    let every = |term: &'static str, room: Option<RoomId>| async move {
        let (mut all, mut pages, mut cursor, mut last_read) = (Vec::new(), 0, None, i64::MAX);
        loop {
            let filter = Filter { terms: vec![normalize(term)], room, cursor, ..Filter::default() };
            let page = s.search(b.id, &filter, 21).await.unwrap();
            pages += 1;
            all.extend(ids(&page.hits));
            cursor = match page.read_back_to {
                Some(read) => {
                    assert!(page.hits.len() < 21, "only a page that found too few is cut short");
                    assert!(read.id.0 < last_read && page.hits.iter().all(|(m, _)| m.id >= read.id));
                    assert!(read.created_at > 0);
                    last_read = read.id.0;
                    Some(read.id)
                }
                None if page.hits.len() == 21 => all.last().copied(),
                None => break,
            };
        }
        (all, pages)
    };
    let unlimited = every("17", None).await;
    let in_busy = every("17", Some(busy)).await;
    assert_eq!(&unlimited.0[..42], [whole.clone(), whole_next.clone()].concat());
    assert_eq!((unlimited.1, in_busy.0.len()), (unlimited.0.len() / 21 + 1, unlimited.0.len()));
    s.set_scan(100, 500);
    let (cut, pages) = every("17", None).await;
    assert_eq!(cut, unlimited.0);
    assert_eq!(every("17", Some(busy)).await.0, in_busy.0);
    let (nowhere, nowhere_pages) = every("zq", None).await;
    let (nowhere_in_busy, busy_pages) = every("zq", Some(busy)).await;
    assert!(nowhere.is_empty() && nowhere_in_busy.is_empty());
    if s.dialect() == Dialect::Sqlite {
        assert!(pages > unlimited.1, "{pages} pages");
        assert!(nowhere_pages > 2100 / 500, "{nowhere_pages} pages");
        assert_eq!(busy_pages, 2100 / 500 + 1, "the room's own messages, 500 a page");
    } else {
        assert_eq!((pages, nowhere_pages, busy_pages), (unlimited.1, 1, 1));
    }
    // A budget spent on a room's oldest message leaves nothing to read on into.
    let in_quiet: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM messages WHERE room_id = $1")
        .bind(quiet.0)
        .fetch_one(s.pool())
        .await
        .unwrap();
    let filter = Filter { terms: vec![normalize("zq")], room: Some(quiet), ..Filter::default() };
    for (budget, more) in [(in_quiet, false), (in_quiet - 1, s.dialect() == Dialect::Sqlite)] {
        s.set_scan(1, budget);
        let page = s.search(b.id, &filter, 21).await.unwrap();
        assert_eq!(page.read_back_to.is_some(), more, "a budget of {budget} in {in_quiet} messages");
    }
    // `after` ends the reading: no message below its first id was written since (SQLite's ids
    // carry their time). A message from a millisecond of its own is the only one read.
    let fresh_message = NewMessage {
        room: quiet,
        sender: &b,
        kind: MessageKind::Text,
        content: "a fresh zq",
        client_id: None,
        rich: Rich { search_text: Some("a fresh zq"), ..Rich::default() },
    };
    let fresh = s.insert_message(fresh_message, server::service::now_ms() + 5).await.unwrap().message;
    s.set_scan(100, 500);
    let filter = Filter { terms: vec![normalize("zq")], after: Some(fresh.created_at), ..Filter::default() };
    let page = s.search(b.id, &filter, 21).await.unwrap();
    assert_eq!(ids(&page.hits), [fresh.id]);
    assert_eq!(page.read_back_to, None, "only the messages since `after` were read");
    // And `before` is where it starts: reading one message a page, the one between the two.
    let fresher = NewMessage { content: "a fresher zq", ..fresh_message };
    let fresher = s.insert_message(fresher, server::service::now_ms() + 10).await.unwrap().message;
    s.set_scan(1, 1);
    let filter = Filter { before: Some(fresher.created_at), ..filter };
    let page = s.search(b.id, &filter, 21).await.unwrap();
    assert_eq!((ids(&page.hits), page.read_back_to), (vec![fresh.id], None));
    s.set_scan(server::storage::search::SCAN_WINDOW, server::storage::search::SCAN_BUDGET);
}

/// The fill of missing search texts never overwrites a message another node changed between
/// the fill's read and its write: the texts are computed between its two statements, and
/// there one message is deleted and another edited. (Needs a runtime with two threads.)
async fn fill_keeps_what_changed_meanwhile(s: &Storage) {
    let a = user(s, "filler").await;
    let (room, _) = s.create_group(&a, "Fill", &[], 1).await.unwrap();
    let gone = post(s, room, &a, "f1", "deleted meanwhile").await;
    let edited = post(s, room, &a, "f2", "edited meanwhile").await;
    let kept = post(s, room, &a, "f3", "left alone").await;
    let meanwhile = std::sync::Once::new();
    let filled = s
        .fill_search_text(|content, name| {
            meanwhile.call_once(|| {
                tokio::task::block_in_place(|| {
                    tokio::runtime::Handle::current().block_on(async {
                        s.delete_message(room, gone, 5).await.unwrap();
                        let text = NewText {
                            content: "the new words",
                            html: None,
                            mentions: &[],
                            mentions_room: false,
                            search_text: Some("the new words"),
                        };
                        s.edit_message(room, edited, text, 5).await.unwrap();
                    })
                })
            });
            search_text(content, name)
        })
        .await
        .unwrap();
    assert!(meanwhile.is_completed() && filled >= 1);
    let stored = |id: MessageId| async move {
        sqlx::query_scalar::<_, Option<String>>("SELECT search_text FROM messages WHERE id = $1")
            .bind(id.0)
            .fetch_one(s.pool())
            .await
            .unwrap()
    };
    assert_eq!(stored(gone).await, None, "a deleted message gets no text back");
    assert_eq!(stored(edited).await.as_deref(), Some("the new words"), "an edit's text is kept");
    assert_eq!(stored(kept).await.as_deref(), Some("left alone"));
}

/// A batch removes a room's oldest messages in seq order, at most `batch` of them, and stops at
/// the first one too new even when older ones follow it (their clocks disagree across nodes).
/// A blob uploaded since the cutoff is not collected, even unreferenced: another node may be
/// about to commit the message that names it.
async fn blobs_just_uploaded_are_left_alone(s: &Storage) {
    let sha = "c0".repeat(32);
    s.touch_blob(&sha, 10, 5_000).await.unwrap();
    assert!(!s.unreferenced_blobs(5_000).await.unwrap().contains(&sha), "uploaded at the cutoff");
    assert!(!s.forget_blob(&sha, 5_000).await.unwrap());
    assert!(s.unreferenced_blobs(5_001).await.unwrap().contains(&sha));
    s.touch_blob(&sha, 10, 9_000).await.unwrap();
    assert!(!s.forget_blob(&sha, 5_001).await.unwrap(), "uploaded again after it was listed");
    assert!(s.forget_blob(&sha, 9_001).await.unwrap());
    assert!(!s.unreferenced_blobs(i64::MAX).await.unwrap().contains(&sha));
}

async fn retention_removes_a_prefix(s: &Storage) {
    let a = user(s, "max").await;
    let b = user(s, "ned").await;
    let room = s.open_private_room(&a, b.id, 1).await.unwrap().room;
    let ids = [
        post(s, room, &a, "r1", "one").await,
        post(s, room, &b, "r2", "two").await,
        post(s, room, &a, "r3", "three, stamped later").await,
        post(s, room, &b, "r4", "four").await,
    ];
    let later = server::service::now_ms() + 60_000;
    sqlx::query("UPDATE messages SET created_at = $1 WHERE id = $2")
        .bind(later)
        .bind(ids[2].0)
        .execute(s.pool())
        .await
        .unwrap();
    let seq_of = |page: &app::types::MessagePage, id: MessageId| page.messages.iter().find(|m| m.id == id).unwrap().seq;
    let before = s.history(room, None, None, 10).await.unwrap();
    let cutoff = later - 1;
    assert_eq!(s.purge_batch(room, cutoff, 1).await.unwrap(), Some(seq_of(&before, ids[0])), "one at most");
    assert_eq!(s.purge_batch(room, cutoff, 10).await.unwrap(), Some(seq_of(&before, ids[1])), "up to the one too new");
    assert_eq!(s.purge_batch(room, cutoff, 10).await.unwrap(), None, "the one too new stops it");
    assert_eq!(s.retention_of(room).await.unwrap().1, seq_of(&before, ids[1]), "the room's purged_seq moved");
    let left: Vec<MessageId> = s.history(room, None, None, 10).await.unwrap().messages.iter().map(|m| m.id).collect();
    assert_eq!(left, ids[2..]);
    assert_eq!(s.purge_batch(room, later + 1, 10).await.unwrap(), Some(seq_of(&before, ids[3])));
    assert_eq!(s.retention_of(room).await.unwrap().1, seq_of(&before, ids[3]));
}

async fn suite(url: &str) {
    let s = connect(url).await;
    accounts_and_sessions(&s).await;
    rooms_and_membership(&s).await;
    messages_history_and_unread(&s).await;
    group_commit_keeps_order_and_idempotency(&s).await;
    search_plans(&s).await;
    fill_keeps_what_changed_meanwhile(&s).await;
    blobs_just_uploaded_are_left_alone(&s).await;
    retention_removes_a_prefix(&s).await;
    s.close().await;
    reopen_keeps_ids_increasing(url).await;
    if url.starts_with("postgres") {
        concurrent_writers_share_one_sequence(url).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    suite(&format!("sqlite://{}/nested/confab.db", dir.path().display())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_on_postgres() {
    let Some(pg) = common::pg::PgServer::start() else {
        return;
    };
    suite(&pg.url).await;
}

#[tokio::test]
async fn sqlite_history_is_a_range_scan_of_the_clustered_table() {
    let dir = tempfile::tempdir().unwrap();
    let s = connect(&format!("sqlite://{}/plan.db", dir.path().display())).await;
    let rows: Vec<(i64, i64, i64, String)> = sqlx::query_as(
        "EXPLAIN QUERY PLAN SELECT m.id FROM messages m WHERE m.room_id = $1 AND m.id > $2 AND m.id < $3 \
         ORDER BY m.id DESC LIMIT 50",
    )
    .bind(1_i64)
    .bind(0_i64)
    .bind(i64::MAX)
    .fetch_all(s.pool())
    .await
    .unwrap();
    let plan = rows.into_iter().map(|r| r.3).collect::<Vec<_>>().join("; ");
    assert!(plan.contains("SEARCH m USING PRIMARY KEY (room_id=? AND id>? AND id<?)"), "{plan}");
    assert!(!plan.contains("TEMP B-TREE"), "no sort step: {plan}");
}
