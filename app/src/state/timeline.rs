//! A room's loaded history: messages sorted by id, each id at most once. Pure logic, so the
//! "nothing lost, nothing twice, same order for everyone" rules are unit-tested here.

use crate::types::{Message, MessageId};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timeline {
    /// Oldest first, unique ids.
    pub messages: Vec<Message>,
    /// Older history exists on the server.
    pub has_more_before: bool,
    /// The newest page has been loaded (before that, live messages are not kept).
    pub loaded: bool,
}

impl Timeline {
    /// Inserts or replaces one message, keeping id order. Returns true if it was new.
    pub fn upsert(&mut self, message: Message) -> bool {
        match self.messages.binary_search_by_key(&message.id, |m| m.id) {
            Ok(i) => {
                self.messages[i] = message;
                false
            }
            Err(i) => {
                self.messages.insert(i, message);
                true
            }
        }
    }

    /// Merges a page (from history or catch-up); returns how many messages were new.
    pub fn merge(&mut self, page: impl IntoIterator<Item = Message>) -> usize {
        page.into_iter().map(|m| self.upsert(m)).filter(|&new| new).count()
    }

    pub fn first_id(&self) -> Option<MessageId> {
        self.messages.first().map(|m| m.id)
    }

    pub fn last_id(&self) -> Option<MessageId> {
        self.messages.last().map(|m| m.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{MessageKind, RoomId, UserId};

    fn msg(id: i64) -> Message {
        Message {
            id: MessageId(id),
            room_id: RoomId(1),
            sender_id: UserId(1),
            sender_name: "A".into(),
            kind: MessageKind::Text,
            content: format!("m{id}"),
            client_id: None,
            created_at: id,
            edited_at: None,
        }
    }

    #[test]
    fn out_of_order_and_duplicate_deliveries_converge() {
        let mut a = Timeline::default();
        let mut b = Timeline::default();
        assert_eq!(a.merge([msg(3), msg(1), msg(2)]), 3);
        assert_eq!(b.merge([msg(2), msg(3)]), 2);
        assert_eq!(b.merge([msg(1), msg(2), msg(3)]), 1, "catch-up overlapping live delivery");
        assert_eq!(a, b);
        assert_eq!(a.messages.iter().map(|m| m.id.0).collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!((a.first_id(), a.last_id()), (Some(MessageId(1)), Some(MessageId(3))));
    }

    #[test]
    fn upsert_replaces_in_place() {
        let mut t = Timeline::default();
        t.upsert(msg(5));
        let mut edited = msg(5);
        edited.content = "edited".into();
        assert!(!t.upsert(edited));
        assert_eq!(t.messages.len(), 1);
        assert_eq!(t.messages[0].content, "edited");
    }
}
