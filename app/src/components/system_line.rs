//! A line Confab wrote in the timeline ("Bob left"): centred and muted, never a bubble.

use leptos::prelude::*;

use crate::{
    i18n::{use_i18n, Locale},
    types::{Message, SystemEvent},
};

#[component]
pub fn SystemLine(message: Message) -> impl IntoView {
    let i18n = use_i18n();
    let clock = crate::time::use_clock();
    let created = message.created_at;
    let time = move || clock.date_time(created);
    let id = message.id.0;
    let text = move || match &message.system {
        Some(event) => system_text(i18n.get_locale(), event, &message.sender_name),
        None => message.shown_text().to_string(),
    };
    view! {
        <p class="system-line" data-testid="system-line" data-message-id=id title=time>
            {text}
        </p>
    }
}

/// The line for `event` in `locale`, `actor` being the name of who did it.
pub fn system_text(locale: Locale, event: &SystemEvent, actor: &str) -> String {
    event.describe_in(locale, actor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{UserId, UserRef};

    fn events() -> Vec<SystemEvent> {
        let user = |id, name: &str| UserRef { id: UserId(id), name: name.into() };
        vec![
            SystemEvent::GroupCreated { name: "Team".into() },
            SystemEvent::MembersAdded { users: vec![user(2, "Bob"), user(3, "Cy")] },
            SystemEvent::MemberLeft,
            SystemEvent::MemberReturned,
            SystemEvent::Renamed { name: "Crew".into() },
            SystemEvent::OwnerChanged { user: user(2, "Bob") },
        ]
    }

    #[test]
    fn english_lines_read_as_the_server_describes_them() {
        for event in events() {
            assert_eq!(system_text(Locale::en, &event, "Alice"), event.describe("Alice"));
        }
    }

    #[test]
    fn thai_lines_name_the_same_people() {
        let lines: Vec<String> = events().iter().map(|e| system_text(Locale::th, e, "Alice")).collect();
        assert_eq!(
            lines,
            [
                "Alice สร้างกลุ่ม “Team”",
                "Alice เพิ่ม Bob, Cy",
                "Alice ออกจากกลุ่ม",
                "Alice กลับมาร่วมการสนทนา",
                "Alice เปลี่ยนชื่อกลุ่มเป็น “Crew”",
                "Bob เป็นเจ้าของกลุ่มแล้ว",
            ]
        );
    }
}
