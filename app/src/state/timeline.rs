//! One room's loaded history and its place in the room's change sequence. Pure logic, so the
//! "nothing lost, nothing twice, same order for everyone, never an older state over a newer
//! one" rules are unit-tested here without a browser.

use crate::types::{Message, MessageId, MessagePage, Quote, Seq};

/// The most messages a timeline holds. Reading further back drops the newest ones (the window
/// detaches from the live end, as after a jump) and paging down again drops the oldest, so a
/// room with years of history costs the page what a few hundred rows cost: each change copies
/// and compares the window, and the browser lays out every row in it.
pub const WINDOW: usize = 300;

#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    /// Oldest first, unique ids, each in the newest state seen.
    pub messages: Vec<Message>,
    /// Older history exists on the server.
    pub has_more_before: bool,
    /// The window ends before the room's newest message (the reader jumped to an old one):
    /// new messages wait on the server until the reader scrolls down to them, so the history
    /// shown never has a hole in it.
    pub has_more_after: bool,
    /// Every change up to here has been applied: the `since` of the next catch-up and the
    /// read marker to report.
    pub seq: Seq,
    /// Changes applied beyond `seq` with a hole before them, ascending; the cursor absorbs them
    /// once the hole is filled, so out-of-order delivery does not cost a catch-up. (A sorted
    /// `Vec`: it is short, and a `BTreeSet` costs the WASM 10 KB.)
    ahead: Vec<Seq>,
    /// A `join_room` (or a reload) is under way: another gap asks for nothing more until the
    /// `joined` frame says where the catch-up ended.
    catching_up: bool,
}

impl Timeline {
    /// The room's newest page: everything up to `page.seq` is in it, later changes follow as
    /// catch-up or live frames.
    pub fn from_page(page: MessagePage) -> Self {
        let mut timeline = Self {
            messages: Vec::with_capacity(page.messages.len()),
            has_more_before: page.has_more,
            has_more_after: false,
            seq: page.seq,
            ahead: Vec::new(),
            catching_up: false,
        };
        timeline.merge_older(page.messages, page.has_more);
        timeline
    }

    /// A page centred on a message (`around`): detached from the live end when newer messages
    /// exist after it.
    pub fn around(page: MessagePage) -> Self {
        let has_more_after = page.has_more_after;
        let mut timeline = Self::from_page(page);
        timeline.has_more_after = has_more_after;
        timeline
    }

    /// The page around `target`, to jump to it, if the page holds it: a message quoted or found
    /// earlier may be gone since (its history removed), and a page without it would only move
    /// the reader somewhere they did not ask to go.
    pub fn at(page: MessagePage, target: MessageId) -> Option<Self> {
        page.messages.iter().any(|m| m.id == target).then(|| Self::around(page))
    }

    /// Applies one change (`seq` is its place in the room's sequence). Returns `Some(since)`
    /// when it reveals a gap and no catch-up is under way: the caller asks for the changes
    /// after `since`.
    pub fn apply(&mut self, seq: Seq, message: Message) -> Option<Seq> {
        // A change to a message outside the loaded window would open a hole in the history
        // shown; the page that holds it brings its current state when the reader scrolls there.
        // The seq still counts as applied, so gap detection is unaffected.
        if self.outside(&message) {
            // Replies on screen still show what their target says now.
            self.refresh_quotes(&Quote::of(&message));
        } else {
            self.upsert(message);
        }
        let gap = self.advance(seq);
        (gap && !self.catching_up).then(|| self.begin_catch_up())
    }

    /// A message I just created through HTTP (an upload), from the server's answer: shown at
    /// once, because the same change on the socket may come later or, offline, not until the
    /// catch-up. Its seq is left to that change, so gap detection sees every seq once.
    pub fn show(&mut self, message: Message) {
        if !self.outside(&message) {
            self.upsert(message);
        }
    }

    /// Whether a message lies beyond the loaded window (before it while older history exists,
    /// after it while detached), where showing it would open a hole in the history.
    fn outside(&self, message: &Message) -> bool {
        let above = self.has_more_before && self.first_id().is_some_and(|first| message.id < first);
        let below = self.has_more_after && self.last_id().is_some_and(|last| message.id > last);
        above || below
    }

    /// Marks a catch-up as under way and returns where it starts.
    pub fn begin_catch_up(&mut self) -> Seq {
        self.catching_up = true;
        self.seq
    }

    /// The connection that carried the catch-up request is gone: the next gap asks again.
    pub fn forget_catch_up(&mut self) {
        self.catching_up = false;
    }

    /// The server's `joined {seq}`: every change up to `seq` has been sent. Returns `Some(since)`
    /// if changes applied beyond it still leave a hole (they came live while catching up).
    pub fn joined(&mut self, seq: Seq) -> Option<Seq> {
        self.catching_up = false;
        if seq > self.seq {
            self.seq = seq;
        }
        self.absorb();
        (!self.ahead.is_empty()).then(|| self.begin_catch_up())
    }

    /// The retention job removed the room's messages up to seq `up_to`: they leave the view,
    /// and so do quotes of them, as the server no longer sends those (a quote offers a jump to
    /// its target). Ids follow seqs in a room, so every message up to the newest id removed
    /// here is gone, loaded or not; a quote of one older than the window, with nothing of the
    /// window removed, stays until the page is read again.
    pub fn purge(&mut self, up_to: Seq) {
        let Some(gone_up_to) = self.messages.iter().filter(|m| m.seq <= up_to).map(|m| m.id).max() else {
            return;
        };
        self.messages.retain(|m| m.seq > up_to);
        for m in &mut self.messages {
            if m.reply_to.as_ref().is_some_and(|q| q.id <= gone_up_to) {
                m.reply_to = None;
            }
        }
    }

    /// Merges a page of older history (current states, so the change-seq rule still applies).
    /// Past the window, the newest messages leave and the window detaches from the live end.
    pub fn merge_older(&mut self, page: impl IntoIterator<Item = Message>, has_more: bool) {
        for message in page {
            self.upsert(message);
        }
        self.has_more_before = has_more;
        if self.messages.len() > WINDOW {
            self.messages.truncate(WINDOW);
            self.has_more_after = true;
        }
    }

    /// Drops the oldest messages beyond the newest `keep`: they come back as a page when the
    /// reader scrolls up to them.
    pub fn keep_newest(&mut self, keep: usize) {
        if let Some(excess) = self.messages.len().checked_sub(keep).filter(|n| *n > 0) {
            self.messages.drain(..excess);
            self.has_more_before = true;
        }
    }

    /// Merges the page read `after` the newest message held, while detached (past the window,
    /// the oldest leave). Returns true when the room must be joined again (from the rewound
    /// `seq`): messages created between the page's read and now were passed over as beyond the
    /// window, and only a catch-up from the page's seq brings them. A page that no longer
    /// continues this window (the timeline was replaced meanwhile) is dropped, as it would
    /// leave a hole.
    pub fn merge_newer(&mut self, after: MessageId, page: MessagePage) -> bool {
        if !self.has_more_after || self.last_id() != Some(after) {
            return false;
        }
        for message in page.messages {
            self.upsert(message);
        }
        self.has_more_after = page.has_more;
        self.keep_newest(WINDOW);
        if !self.has_more_after && page.seq < self.seq {
            self.seq = page.seq;
            return true;
        }
        false
    }

    pub fn first_id(&self) -> Option<MessageId> {
        self.messages.first().map(|m| m.id)
    }

    pub fn last_id(&self) -> Option<MessageId> {
        self.messages.last().map(|m| m.id)
    }

    pub fn get(&self, id: MessageId) -> Option<&Message> {
        self.messages.binary_search_by_key(&id, |m| m.id).ok().map(|i| &self.messages[i])
    }

    /// Inserts a message in id order, or replaces a stored one with a newer state: an older
    /// change arriving late (a live edit overtaken by catch-up) never wins. Replies to it then
    /// quote the state kept.
    fn upsert(&mut self, message: Message) {
        let at = match self.messages.binary_search_by_key(&message.id, |m| m.id) {
            Ok(i) if self.messages[i].change_seq < message.change_seq => {
                self.messages[i] = message;
                i
            }
            Ok(_) => return,
            Err(i) => {
                self.messages.insert(i, message);
                i
            }
        };
        let quote = Quote::of(&self.messages[at]);
        self.refresh_quotes(&quote);
    }

    /// Points every loaded reply to `quote`'s message at its current state.
    fn refresh_quotes(&mut self, quote: &Quote) {
        for reply in &mut self.messages {
            if let Some(q) = reply.reply_to.as_mut().filter(|q| q.id == quote.id && **q != *quote) {
                *q = quote.clone();
            }
        }
    }

    /// Moves the cursor past `seq` if it is the next one; returns true if there is a hole.
    fn advance(&mut self, seq: Seq) -> bool {
        if seq <= self.seq {
            return false;
        }
        if seq.0 == self.seq.0 + 1 {
            self.seq = seq;
            self.absorb();
            return false;
        }
        if let Err(i) = self.ahead.binary_search(&seq) {
            self.ahead.insert(i, seq);
        }
        true
    }

    fn absorb(&mut self) {
        let cursor = self.seq;
        self.ahead.retain(|s| *s > cursor);
        let contiguous = self.ahead.iter().zip(1..).take_while(|(s, n)| s.0 == cursor.0 + n).count();
        if contiguous > 0 {
            self.seq = self.ahead[contiguous - 1];
            self.ahead.drain(..contiguous);
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::types::{MessageKind, RoomId, UserId};

    /// A text message created at `seq` (its id follows the seq, as ids follow commit order).
    pub(crate) fn msg(seq: i64) -> Message {
        Message {
            id: MessageId(seq * 10),
            room_id: RoomId(1),
            sender_id: UserId(2),
            sender_name: "Bob".into(),
            kind: MessageKind::Text,
            content: format!("m{seq}"),
            created_at: seq,
            seq: Seq(seq),
            change_seq: Seq(seq),
            ..Message::default()
        }
    }

    /// The message created at `created`, edited by the change at `seq`.
    fn edited(created: i64, seq: i64) -> Message {
        Message { content: format!("edit{seq}"), edited_at: Some(seq), change_seq: Seq(seq), ..msg(created) }
    }

    fn page(seqs: &[i64], has_more: bool, seq: i64) -> MessagePage {
        MessagePage { messages: seqs.iter().map(|&s| msg(s)).collect(), has_more, has_more_after: false, seq: Seq(seq) }
    }

    /// A page around an old message, with more on both sides.
    fn detached(seqs: &[i64], seq: i64) -> Timeline {
        Timeline::around(MessagePage { has_more_after: true, ..page(seqs, true, seq) })
    }

    fn ids(t: &Timeline) -> Vec<i64> {
        t.messages.iter().map(|m| m.id.0 / 10).collect()
    }

    #[test]
    fn purged_history_leaves_and_later_changes_still_apply() {
        let mut t = Timeline::from_page(page(&[1, 2, 3, 4], false, 4));
        t.purge(Seq(2));
        assert_eq!(ids(&t), vec![3, 4]);
        assert_eq!(t.seq, Seq(4), "removing history is not a change to catch up on");
        assert_eq!(t.apply(Seq(5), msg(5)), None);
        assert_eq!(ids(&t), vec![3, 4, 5]);
    }

    #[test]
    fn purged_history_takes_the_quotes_of_it_along() {
        let mut t = Timeline::from_page(MessagePage {
            messages: vec![msg(2), msg(3), reply(4, &msg(2)), reply(5, &msg(1)), reply(6, &msg(3))],
            has_more: true,
            has_more_after: false,
            seq: Seq(6),
        });
        t.purge(Seq(2));
        let quoted: Vec<Option<i64>> = t.messages.iter().map(|m| m.reply_to.as_ref().map(|q| q.id.0 / 10)).collect();
        assert_eq!(quoted, [None, None, None, Some(3)], "1 was older than 2, so it went too; 3 stays");
        t.purge(Seq(1));
        assert_eq!(ids(&t), [3, 4, 5, 6], "nothing more to remove");
    }

    #[test]
    fn a_page_without_its_target_is_not_jumped_to() {
        let around = MessagePage { has_more_after: true, ..page(&[4, 5, 6], true, 9) };
        assert_eq!(Timeline::at(around.clone(), msg(3).id), None, "removed since it was quoted");
        let t = Timeline::at(around, msg(5).id);
        assert_eq!(t.map(|t| (ids(&t), t.has_more_after)), Some((vec![4, 5, 6], true)));
    }

    #[test]
    fn contiguous_changes_advance_the_cursor() {
        let mut t = Timeline::from_page(page(&[1, 2], false, 2));
        assert_eq!(t.apply(Seq(3), msg(3)), None);
        assert_eq!(t.apply(Seq(4), msg(4)), None);
        assert_eq!(t.seq, Seq(4));
        assert_eq!(ids(&t), [1, 2, 3, 4]);
    }

    #[test]
    fn a_gap_asks_for_one_catch_up_and_joined_closes_it() {
        let mut t = Timeline::from_page(page(&[1, 2], false, 2));
        assert_eq!(t.apply(Seq(5), msg(5)), Some(Seq(2)), "3 and 4 are missing");
        assert_eq!(ids(&t), [1, 2, 5], "the message is kept");
        assert_eq!(t.apply(Seq(6), msg(6)), None, "one catch-up at a time");
        assert_eq!(t.seq, Seq(2));
        // Catch-up sends current states: message 3 was edited at 4, so seq 3 never comes.
        assert_eq!(t.apply(Seq(4), edited(3, 4)), None);
        assert_eq!(t.joined(Seq(6)), None);
        assert_eq!(t.seq, Seq(6));
        assert_eq!(ids(&t), [1, 2, 3, 5, 6]);
        assert_eq!(t.apply(Seq(8), msg(8)), Some(Seq(6)), "a later gap asks again");
    }

    #[test]
    fn a_hole_left_after_joined_asks_again() {
        let mut t = Timeline::from_page(page(&[], false, 2));
        assert_eq!(t.apply(Seq(4), msg(4)), Some(Seq(2)));
        assert_eq!(t.apply(Seq(9), msg(9)), None, "live while catching up");
        assert_eq!(t.joined(Seq(5)), Some(Seq(5)), "6 to 8 are still missing");
        assert_eq!(t.apply(Seq(7), msg(7)), None, "that catch-up is under way");
        assert_eq!(t.joined(Seq(9)), None);
        assert_eq!(t.seq, Seq(9));
    }

    #[test]
    fn duplicates_and_out_of_order_changes_converge() {
        let mut a = Timeline::from_page(page(&[1], false, 1));
        let mut b = a.clone();
        for s in [2, 3, 4] {
            a.apply(Seq(s), msg(s));
        }
        assert_eq!(b.apply(Seq(3), msg(3)), Some(Seq(1)));
        assert_eq!(b.apply(Seq(2), msg(2)), None);
        assert_eq!(b.seq, Seq(3), "the early change is absorbed once the hole fills");
        for s in [4, 3, 2, 4] {
            assert_eq!(b.apply(Seq(s), msg(s)), None, "a duplicate changes nothing");
        }
        b.joined(Seq(4));
        assert_eq!(a.messages, b.messages);
        assert_eq!((a.seq, b.seq), (Seq(4), Seq(4)));
        assert_eq!(ids(&a), [1, 2, 3, 4]);
    }

    #[test]
    fn an_older_change_never_overwrites_a_newer_one() {
        let mut t = Timeline::from_page(page(&[1], false, 1));
        t.apply(Seq(2), msg(2));
        t.apply(Seq(3), edited(2, 3));
        t.apply(Seq(2), msg(2));
        assert_eq!(t.messages[1].content, "edit3");
        let deleted = Message { deleted_at: Some(4), content: String::new(), change_seq: Seq(4), ..msg(2) };
        t.apply(Seq(4), deleted.clone());
        t.apply(Seq(3), edited(2, 3));
        assert_eq!(t.messages[1], deleted, "a tombstone stays a tombstone");
        t.merge_older([msg(2)], false);
        assert_eq!(t.messages[1], deleted, "nor does a page read earlier");
    }

    #[test]
    fn changes_to_messages_above_the_loaded_window_wait_for_their_page() {
        let mut t = Timeline::from_page(page(&[5, 6], true, 6));
        t.apply(Seq(7), edited(1, 7));
        assert_eq!(ids(&t), [5, 6]);
        assert_eq!(t.seq, Seq(7), "the change still counts as applied");
        t.merge_older([edited(1, 7), msg(4)], false);
        assert_eq!(ids(&t), [1, 4, 5, 6]);
        assert_eq!(t.messages[0].content, "edit7");
        assert!(!t.has_more_before);
    }

    #[test]
    fn a_reset_page_replaces_the_timeline() {
        let mut t = Timeline::from_page(page(&[1, 2], false, 2));
        assert_eq!(t.apply(Seq(2000), msg(2000)), Some(Seq(2)));
        t = Timeline::from_page(page(&[1990, 2000], true, 2001));
        assert_eq!(ids(&t), [1990, 2000]);
        assert!(t.has_more_before);
        assert_eq!(t.seq, Seq(2001));
        assert_eq!(t.apply(Seq(2002), msg(2002)), None);
        assert_eq!(t.seq, Seq(2002));
    }

    fn reply(seq: i64, to: &Message) -> Message {
        Message { reply_to: Some(Quote::of(to)), ..msg(seq) }
    }

    #[test]
    fn quotes_follow_their_target() {
        let mut t = Timeline::from_page(page(&[1], false, 1));
        t.apply(Seq(2), reply(2, &msg(1)));
        t.apply(Seq(3), edited(1, 3));
        assert_eq!(t.messages[1].reply_to.as_ref().map(|q| q.content.as_str()), Some("edit3"));
        let deleted = Message { deleted_at: Some(4), content: String::new(), change_seq: Seq(4), ..msg(1) };
        t.apply(Seq(4), deleted);
        let quote = t.messages[1].reply_to.clone();
        assert!(quote.as_ref().is_some_and(|q| q.deleted && q.content.is_empty()), "{quote:?}");
        t.apply(Seq(3), edited(1, 3));
        assert!(t.messages[1].reply_to.as_ref().is_some_and(|q| q.deleted), "a late edit does not revive it");
    }

    #[test]
    fn quotes_of_a_target_outside_the_window_follow_it_too() {
        let mut t = Timeline::from_page(MessagePage {
            messages: vec![reply(5, &msg(1))],
            has_more: true,
            has_more_after: false,
            seq: Seq(5),
        });
        t.apply(Seq(6), edited(1, 6));
        assert_eq!(ids(&t), [5]);
        assert_eq!(t.messages[0].reply_to.as_ref().map(|q| q.content.as_str()), Some("edit6"));
    }

    #[test]
    fn a_detached_window_takes_no_new_messages_beyond_it_but_keeps_count() {
        let mut t = detached(&[10, 11, 12], 20);
        assert!(t.has_more_before && t.has_more_after);
        assert_eq!(t.apply(Seq(21), msg(21)), None);
        assert_eq!(ids(&t), [10, 11, 12], "no hole between 12 and 21");
        assert_eq!(t.seq, Seq(21), "the seq is applied all the same");
        t.apply(Seq(22), edited(11, 22));
        assert_eq!(t.messages[1].content, "edit22", "changes inside the window apply");
        assert_eq!(t.apply(Seq(24), msg(24)), Some(Seq(22)), "gaps are still detected");
    }

    #[test]
    fn paging_down_reattaches_and_rewinds_to_the_last_page() {
        let mut t = detached(&[10, 11], 20);
        t.apply(Seq(21), msg(21));
        // A page that does not continue the window (it was replaced meanwhile) is dropped.
        assert!(!t.merge_newer(MessageId(100), page(&[12], true, 21)));
        assert_eq!(ids(&t), [10, 11]);
        assert!(!t.merge_newer(MessageId(110), page(&[12, 13], true, 21)));
        assert_eq!(ids(&t), [10, 11, 12, 13]);
        assert!(t.has_more_after);
        // Messages 21 and 22 came live while the page was read at seq 20: passed over as beyond
        // the window, so the window catches up from the page's seq.
        t.apply(Seq(22), msg(22));
        assert!(t.merge_newer(MessageId(130), page(&[14, 20], false, 20)));
        assert!(!t.has_more_after);
        assert_eq!(t.seq, Seq(20));
        assert_eq!(t.begin_catch_up(), Seq(20));
        t.apply(Seq(21), msg(21));
        t.apply(Seq(22), msg(22));
        assert_eq!(t.joined(Seq(22)), None);
        assert_eq!(ids(&t), [10, 11, 12, 13, 14, 20, 21, 22]);
        assert_eq!(t.apply(Seq(23), msg(23)), None, "live again");
        assert_eq!(ids(&t).last(), Some(&23));
    }

    #[test]
    fn reading_back_past_the_window_detaches_and_paging_down_comes_back_live() {
        let newest = 1_000;
        let mut t = Timeline::from_page(page(&(951..=newest).collect::<Vec<_>>(), true, newest));
        // Scrolling up, a page of 50 at a time, to the room's first message.
        while t.has_more_before {
            let first = t.first_id().map_or(0, |id| id.0 / 10);
            let older: Vec<i64> = (first.saturating_sub(50).max(1)..first).collect();
            t.merge_older(older.into_iter().map(msg), first > 51);
            assert!(t.messages.len() <= WINDOW);
        }
        assert_eq!(ids(&t), (1..=WINDOW as i64).collect::<Vec<_>>(), "the oldest window, in order");
        assert!(t.has_more_after, "detached: the newest messages left");
        assert_eq!(t.apply(Seq(newest + 1), msg(newest + 1)), None);
        assert_eq!(t.messages.len(), WINDOW, "a new message waits beyond the window");
        assert_eq!(t.seq, Seq(newest + 1));
        // Paging down again, to the live end.
        let mut rejoin = false;
        while t.has_more_after {
            let last = t.last_id().map_or(0, |id| id.0 / 10);
            let newer: Vec<i64> = (last + 1..=(last + 50).min(newest)).collect();
            let more = last + 50 < newest;
            rejoin = t.merge_newer(MessageId(last * 10), page(&newer, more, newest));
            assert!(t.messages.len() <= WINDOW);
        }
        assert!(rejoin, "what came meanwhile is caught up from the last page's seq");
        assert_eq!(t.seq, Seq(newest));
        assert!(t.has_more_before, "the oldest left in turn");
        assert_eq!(ids(&t), ((newest - WINDOW as i64 + 1)..=newest).collect::<Vec<_>>());
    }

    #[test]
    fn keeping_the_newest_drops_the_oldest_and_marks_more_above() {
        let mut t = Timeline::from_page(page(&[1, 2, 3, 4], false, 4));
        t.keep_newest(4);
        assert!(!t.has_more_before, "nothing beyond the window, nothing dropped");
        t.keep_newest(2);
        assert_eq!(ids(&t), [3, 4]);
        assert!(t.has_more_before);
        assert_eq!(t.apply(Seq(2), edited(1, 2)), None, "a change above the window waits for its page");
        assert_eq!(ids(&t), [3, 4]);
    }

    #[test]
    fn a_page_around_a_recent_message_stays_attached() {
        let mut t = Timeline::around(page(&[18, 19, 20], true, 20));
        assert!(t.has_more_before && !t.has_more_after);
        t.apply(Seq(21), msg(21));
        assert_eq!(ids(&t), [18, 19, 20, 21]);
    }

    #[test]
    fn a_last_page_read_after_everything_applied_needs_no_catch_up() {
        let mut t = detached(&[10], 20);
        assert!(!t.merge_newer(MessageId(100), page(&[20], false, 20)));
        assert_eq!(t.seq, Seq(20));
        assert!(!t.has_more_after);
    }

    #[test]
    fn an_uploaded_message_shows_at_once_and_its_change_still_counts() {
        let mut t = Timeline::from_page(page(&[1, 2], false, 2));
        t.show(msg(4));
        assert_eq!(ids(&t), [1, 2, 4]);
        assert_eq!(t.seq, Seq(2), "the seq is the change stream's to move");
        assert_eq!(t.apply(Seq(3), msg(3)), None);
        assert_eq!(t.apply(Seq(4), msg(4)), None, "the same message from the socket");
        assert_eq!((ids(&t), t.seq), (vec![1, 2, 3, 4], Seq(4)));
        let mut away = detached(&[1], 2);
        away.show(msg(4));
        assert_eq!(ids(&away), [1], "not below a detached window");
    }
}
