//! One room's loaded history and its place in the room's change sequence. Pure logic, so the
//! "nothing lost, nothing twice, same order for everyone, never an older state over a newer
//! one" rules are unit-tested here without a browser.

use crate::types::{Message, MessageId, MessagePage, Seq};

#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    /// Oldest first, unique ids, each in the newest state seen.
    pub messages: Vec<Message>,
    /// Older history exists on the server.
    pub has_more_before: bool,
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
            seq: page.seq,
            ahead: Vec::new(),
            catching_up: false,
        };
        timeline.merge_older(page.messages, page.has_more);
        timeline
    }

    /// Applies one change (`seq` is its place in the room's sequence). Returns `Some(since)`
    /// when it reveals a gap and no catch-up is under way: the caller asks for the changes
    /// after `since`.
    pub fn apply(&mut self, seq: Seq, message: Message) -> Option<Seq> {
        // A change to a message older than the loaded window would open a hole in the history
        // shown; that page brings its current state when the reader scrolls up.
        let outside = self.has_more_before && self.first_id().is_some_and(|first| message.id < first);
        if !outside {
            self.upsert(message);
        }
        let gap = self.advance(seq);
        (gap && !self.catching_up).then(|| self.begin_catch_up())
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

    /// Merges a page of older history (current states, so the change-seq rule still applies).
    pub fn merge_older(&mut self, page: impl IntoIterator<Item = Message>, has_more: bool) {
        for message in page {
            self.upsert(message);
        }
        self.has_more_before = has_more;
    }

    pub fn first_id(&self) -> Option<MessageId> {
        self.messages.first().map(|m| m.id)
    }

    /// Inserts a message in id order, or replaces a stored one with a newer state: an older
    /// change arriving late (a live edit overtaken by catch-up) never wins.
    fn upsert(&mut self, message: Message) {
        match self.messages.binary_search_by_key(&message.id, |m| m.id) {
            Ok(i) if self.messages[i].change_seq < message.change_seq => self.messages[i] = message,
            Ok(_) => {}
            Err(i) => self.messages.insert(i, message),
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
            client_id: None,
            created_at: seq,
            edited_at: None,
            deleted_at: None,
            seq: Seq(seq),
            change_seq: Seq(seq),
            system: None,
        }
    }

    /// The message created at `created`, edited by the change at `seq`.
    fn edited(created: i64, seq: i64) -> Message {
        Message { content: format!("edit{seq}"), edited_at: Some(seq), change_seq: Seq(seq), ..msg(created) }
    }

    fn page(seqs: &[i64], has_more: bool, seq: i64) -> MessagePage {
        MessagePage { messages: seqs.iter().map(|&s| msg(s)).collect(), has_more, seq: Seq(seq) }
    }

    fn ids(t: &Timeline) -> Vec<i64> {
        t.messages.iter().map(|m| m.id.0 / 10).collect()
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
}
