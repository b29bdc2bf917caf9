import { expect, Locator, Page } from "@playwright/test";
import { createGroup, newUser, openRoomFromSidebar, openRoomId, send, startPrivateChat, test } from "./helpers";

/** A message row by its text (its own body, not a quote of it). */
function messageWithText(page: Page, text: string): Locator {
  return page
    .getByTestId("message-list")
    .getByTestId("message")
    .filter({ has: page.getByTestId("message-body").filter({ hasText: text }) });
}

/** The same message in any page, by id. */
function messageById(page: Page, id: string): Locator {
  return page.getByTestId("message-list").locator(`[data-testid="message"][data-message-id="${id}"]`);
}

async function idOf(message: Locator): Promise<string> {
  const id = await message.getAttribute("data-message-id");
  expect(id).toBeTruthy();
  return id as string;
}

/** The actions of a message, which show while the pointer is over it. */
async function actionsOf(message: Locator): Promise<Locator> {
  await message.hover();
  const actions = message.getByTestId("message-actions");
  await expect(actions).toBeVisible();
  return actions;
}

/** Sends a message over the HTTP API with the page's session; returns the stored message. */
async function apiSend(page: Page, room: number, content: string, replyTo?: number): Promise<{ id: number }> {
  const data: Record<string, unknown> = {
    room_id: room,
    client_id: `e2e-${Date.now()}-${Math.random().toString(36).slice(2)}`,
    content,
  };
  if (replyTo !== undefined) data.reply_to = replyTo;
  const response = await page.request.post("/api/messages/send", { data });
  expect(response.status(), await response.text()).toBe(200);
  return (await response.json()) as { id: number };
}

test("an edit, a deletion, reactions and a reply reach the other side without a reload", async ({ browser }) => {
  test.setTimeout(90_000);
  const alice = await newUser(browser, "ral", "Ral");
  const bob = await newUser(browser, "rbo", "Rbo");
  await startPrivateChat(alice.page, bob.username, "Rbo");
  await openRoomFromSidebar(bob.page, "Ral");

  await send(alice.page, "first draft");
  const id = await idOf(messageWithText(alice.page, "first draft"));
  const mine = messageById(alice.page, id);
  const theirs = messageById(bob.page, id);
  await expect(theirs).toContainText("first draft");

  // Alice edits in place: Enter saves; Bob sees the new text, marked as edited.
  await (await actionsOf(mine)).getByRole("button", { name: "Edit" }).click();
  const editor = alice.page.getByRole("textbox", { name: "Edit message" });
  await expect(editor).toBeFocused();
  await editor.fill("final text");
  await editor.press("Enter");
  await expect(theirs.getByTestId("message-body")).toHaveText("final text");
  await expect(theirs.getByTestId("edited-mark")).toBeVisible();
  // Bob's copy offers neither Edit nor Delete: it is not his message.
  const bobActions = await actionsOf(theirs);
  await expect(bobActions.getByRole("button", { name: "Edit" })).toHaveCount(0);
  await expect(bobActions.getByRole("button", { name: "Delete" })).toHaveCount(0);

  // The edit history lists the previous text.
  await theirs.getByTestId("edited-mark").click();
  const history = bob.page.getByRole("dialog", { name: "Edit history" });
  await expect(history).toContainText("first draft");
  await expect(history).toContainText("final text");
  await bob.page.keyboard.press("Escape");
  await expect(history).toHaveCount(0);

  // Bob reacts from the quick row; Alice sees who, and adds hers by clicking the chip.
  await (await actionsOf(theirs)).getByRole("button", { name: "React with 👍" }).click();
  const aliceChip = mine.getByTestId("reaction").filter({ hasText: "👍" });
  await expect(aliceChip).toHaveAttribute("aria-label", "👍 1: Rbo");
  await expect(aliceChip).toHaveAttribute("aria-pressed", "false");
  await aliceChip.click();
  await expect(aliceChip).toHaveAttribute("aria-label", "👍 2: Rbo, Ral");
  await expect(aliceChip).toHaveAttribute("aria-pressed", "true");
  const bobChip = theirs.getByTestId("reaction").filter({ hasText: "👍" });
  await expect(bobChip).toHaveAttribute("aria-label", "👍 2: Rbo, Ral");
  await expect(bobChip).toHaveAttribute("aria-pressed", "true");

  // The full picker: search by name, Enter picks.
  await (await actionsOf(theirs)).getByRole("button", { name: "Add reaction" }).click();
  const picker = bob.page.getByRole("dialog", { name: "Add reaction" });
  // By shortcode too, as in Slack: `smile` is 😄, whose name says "smiling".
  await picker.getByRole("combobox", { name: "Search emoji" }).fill("smile");
  await expect(picker.getByRole("option", { name: "grinning face with smiling eyes" })).toBeVisible();
  await picker.getByRole("combobox", { name: "Search emoji" }).fill("party popper");
  await expect(picker.getByRole("option", { name: "party popper" })).toBeVisible();
  await bob.page.keyboard.press("Enter");
  await expect(picker).toHaveCount(0);
  await expect(mine.getByTestId("reaction").filter({ hasText: "🎉" })).toHaveAttribute("aria-label", "🎉 1: Rbo");

  // Bob replies; the reply quotes Alice's message on both sides.
  await (await actionsOf(theirs)).getByRole("button", { name: "Reply" }).click();
  await expect(bob.page.getByTestId("reply-bar")).toContainText("Replying to Ral");
  await bob.page.getByTestId("message-input").fill("a reply");
  await bob.page.getByTestId("message-input").press("Enter");
  await expect(bob.page.getByTestId("reply-bar")).toHaveCount(0);
  const reply = messageWithText(alice.page, "a reply");
  await expect(reply.getByTestId("reply-quote")).toContainText("Ral");
  await expect(reply.getByTestId("reply-quote")).toContainText("final text");
  const replyId = await idOf(reply);

  // The quote follows its target: an edit shows in it (as it reads, without Markdown's
  // marks, live and after a reload), then the deletion. Bob had focus on the quote: it is
  // brought up to date in place and keeps it.
  const bobsReply = messageById(bob.page, replyId);
  const quote = bobsReply.getByTestId("reply-quote");
  await quote.focus();
  await (await actionsOf(mine)).getByRole("button", { name: "Edit" }).click();
  await editor.fill("**final** text v2");
  await editor.press("Enter");
  await expect(quote).toContainText("final text v2");
  await expect(quote).toBeFocused();
  await bob.page.reload();
  await expect(messageById(bob.page, replyId).getByTestId("reply-quote")).toContainText("final text v2");
  // So does the "edited" mark on the next edit. A link in the text is drawn anew by the one
  // after: focus on it goes to its message, not to the page.
  await theirs.getByTestId("edited-mark").focus();
  await (await actionsOf(mine)).getByRole("button", { name: "Edit" }).click();
  await editor.fill("final text v3, [the notes](https://example.com/notes)");
  await editor.press("Enter");
  await expect(theirs.getByRole("link", { name: "the notes" })).toBeVisible();
  await expect(theirs.getByTestId("edited-mark")).toBeFocused();
  await theirs.getByRole("link", { name: "the notes" }).focus();
  await (await actionsOf(mine)).getByRole("button", { name: "Edit" }).click();
  await editor.fill("final text v4");
  await editor.press("Enter");
  await expect(theirs.getByTestId("message-body")).toHaveText("final text v4");
  await expect(theirs).toBeFocused();

  await (await actionsOf(mine)).getByRole("button", { name: "Delete" }).click();
  const confirm = alice.page.getByRole("dialog", { name: "Delete message" });
  await expect(confirm).toContainText("Delete this message?");
  await expect(confirm).toContainText("This can't be undone.");
  await confirm.getByRole("button", { name: "Delete" }).click();
  await expect(theirs.getByTestId("tombstone")).toHaveText("This message was deleted");
  await expect(theirs.getByTestId("reaction")).toHaveCount(0);
  await expect(theirs.getByTestId("message-actions")).toHaveCount(0);
  await expect(messageById(bob.page, replyId).getByTestId("reply-quote")).toHaveText(
    /Original message was deleted/,
  );
  await expect(mine.getByTestId("tombstone")).toBeVisible();
  // The Delete button that had focus back from the dialog went with the message's body: focus
  // is on the message, not lost to the page.
  await expect(mine).toBeFocused();

  // Up in the empty composer edits my last message.
  await send(alice.page, "tpyo here");
  const input = alice.page.getByTestId("message-input");
  await input.focus();
  await input.press("ArrowUp");
  await expect(editor).toHaveValue("tpyo here");
  await editor.fill("typo fixed");
  await editor.press("Enter");
  await expect(messageWithText(bob.page, "typo fixed")).toBeVisible();
  await expect(alice.page.getByTestId("message-editor")).toHaveCount(0);

  await alice.context.close();
  await bob.context.close();
});

test("a reply's quote jumps to its target, loading the history around it", async ({ browser }) => {
  test.setTimeout(90_000);
  const alice = await newUser(browser, "jal", "Jal");
  const bob = await newUser(browser, "jbo", "Jbo");
  await startPrivateChat(alice.page, bob.username, "Jbo");
  const room = openRoomId(alice.page);

  // The target, then enough messages that the newest page no longer holds it, then the reply.
  const target = await apiSend(alice.page, room, "the original question");
  for (let i = 0; i < 70; i++) await apiSend(alice.page, room, `filler ${i}`);
  await apiSend(alice.page, room, "about that question", target.id);

  await openRoomFromSidebar(bob.page, "Jal");
  const reply = messageWithText(bob.page, "about that question");
  await expect(reply).toBeVisible();
  const original = messageById(bob.page, String(target.id));
  await expect(original).toHaveCount(0);

  await reply.getByTestId("reply-quote").click();
  await expect(original).toBeInViewport();
  await expect(original).toHaveClass(/highlight/);
  await expect(original).not.toHaveClass(/highlight/, { timeout: 5_000 });

  // Detached from the live end: a new message waits, no hole opens, and "Jump to latest"
  // brings the newest page back.
  const jump = bob.page.getByTestId("jump-latest");
  await expect(jump).toBeVisible();
  await apiSend(alice.page, room, "sent while Bob reads history");
  await expect(messageWithText(alice.page, "sent while Bob reads history")).toBeVisible();
  // Bob's copy of the frame has arrived by now (it left the server with Alice's); it must not
  // be shown below a window that ends 40 messages earlier.
  await bob.page.waitForTimeout(500);
  await expect(messageWithText(bob.page, "sent while Bob reads history")).toHaveCount(0);
  await jump.click();
  await expect(jump).toHaveCount(0);
  await expect(messageWithText(bob.page, "sent while Bob reads history")).toBeInViewport();
  await expect(messageWithText(bob.page, "filler 69")).toBeVisible();

  // Scrolling down from a jump loads the newer pages until it is live again.
  await reply.getByTestId("reply-quote").click();
  await expect(original).toBeInViewport();
  await expect(jump).toBeVisible();
  const list = bob.page.getByTestId("message-list");
  await expect(async () => {
    await list.evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await expect(jump).toHaveCount(0, { timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  await expect(messageWithText(bob.page, "sent while Bob reads history")).toHaveCount(1);
  const fillers = await bob.page.getByTestId("message-body").filter({ hasText: /^filler \d+$/ }).count();
  expect(fillers).toBe(70);

  await alice.context.close();
  await bob.context.close();
});

test("a mention is completed, highlighted for the person named, and badged in their room list", async ({
  browser,
}) => {
  const alice = await newUser(browser, "mal", "Mal");
  const bob = await newUser(browser, "mbo", "Mbo");
  await startPrivateChat(alice.page, bob.username, "Mbo");
  // Bob stays on /chat, reading no room.
  const bobRoom = bob.page.getByTestId("room-item").filter({ hasText: "Mal" });
  await expect(bobRoom).toBeVisible();

  const input = alice.page.getByTestId("message-input");
  await input.pressSequentially(`hey @${bob.username.slice(0, 5)}`);
  const menu = alice.page.getByRole("listbox", { name: "People to mention" });
  await expect(menu.getByRole("option")).toHaveCount(1);
  await expect(input).toHaveAttribute("aria-controls", "mention-listbox");
  await expect(input).toHaveAttribute("aria-activedescendant", "mention-option-0");
  await input.press("Enter");
  await expect(input).toHaveValue(`hey @${bob.username} `);
  await expect(menu).toHaveCount(0);
  await expect(input).not.toHaveAttribute("aria-controls");
  await input.pressSequentially("look at this");
  await input.press("Enter");

  const badge = bobRoom.getByTestId("mention-badge");
  await expect(badge).toHaveAttribute("aria-label", "1 unread mention");
  await expect(bobRoom.getByTestId("unread-badge")).toHaveText("1");

  await openRoomFromSidebar(bob.page, "Mal");
  const message = messageWithText(bob.page, "look at this");
  await expect(message).toHaveClass(/mentions-me/);
  const mention = message.locator(".mention");
  await expect(mention).toHaveText(`@${bob.username}`);
  await expect(mention).toHaveCSS("font-weight", "700");
  await expect(badge).toHaveCount(0);
  // For Alice it is a mention, not hers.
  const sent = messageWithText(alice.page, "look at this");
  await expect(sent.locator(".mention")).toHaveCSS("font-weight", "600");
  await expect(sent).not.toHaveClass(/mentions-me/);

  await alice.context.close();
  await bob.context.close();
});

test("Markdown renders: a fenced code block, a safe link, and raw HTML as text", async ({ browser }) => {
  const alice = await newUser(browser, "kal", "Kal");
  const bob = await newUser(browser, "kbo", "Kbo");
  await startPrivateChat(alice.page, bob.username, "Kbo");
  await openRoomFromSidebar(bob.page, "Kal");

  const input = alice.page.getByTestId("message-input");
  await input.fill("Try this:\n```\nfn main() {\n    println!(\"hi\");\n}\n```\nSee the [docs](https://example.org/docs), www.example.com and **bold** <img src=x onerror=alert(1)>");
  await input.press("Enter");

  const message = messageWithText(bob.page, "Try this:");
  const code = message.locator(".md pre code");
  await expect(code).toContainText('println!("hi");');
  expect(await code.textContent()).toBe('fn main() {\n    println!("hi");\n}\n');
  await expect(message.locator(".md pre")).toHaveCSS("white-space", "pre");
  const link = message.getByRole("link", { name: "docs" });
  await expect(link).toHaveAttribute("href", "https://example.org/docs");
  await expect(link).toHaveAttribute("rel", /noopener/);
  await expect(link).toHaveAttribute("rel", /noreferrer/);
  await expect(link).toHaveAttribute("rel", /nofollow/);
  await expect(message.getByRole("link", { name: "www.example.com" })).toHaveAttribute("href", "https://www.example.com");
  await expect(message.locator(".md strong")).toHaveText("bold");
  await expect(message.locator("img")).toHaveCount(0);
  await expect(message).toContainText("<img src=x onerror=alert(1)>");

  await alice.context.close();
  await bob.context.close();
});

test("a group's owner deletes anyone's message and may mention @room; members may not", async ({ browser }) => {
  const alice = await newUser(browser, "oal", "Oal");
  const bob = await newUser(browser, "obo", "Obo");
  await createGroup(alice.page, "Mods", [bob.username]);
  await openRoomFromSidebar(bob.page, "Mods");

  await send(bob.page, "off-topic remark");
  const id = await idOf(messageWithText(bob.page, "off-topic remark"));

  // Bob, a member, may not mention everyone; Alice, the owner, may.
  const bobInput = bob.page.getByTestId("message-input");
  await bobInput.pressSequentially("@roo");
  await expect(bob.page.getByRole("listbox", { name: "People to mention" })).toHaveCount(0);
  // Typed out anyway, it is refused: the message says why, and offers no Retry that could
  // never work.
  await bobInput.fill("@room everyone look");
  await bobInput.press("Enter");
  const refused = bob.page.getByTestId("pending-message");
  await expect(refused).toContainText("Only owners and admins can notify the whole group with @room.");
  await expect(refused.getByRole("button", { name: "Retry" })).toHaveCount(0);
  await refused.getByRole("button", { name: "Discard" }).click();
  await expect(refused).toHaveCount(0);
  await bobInput.fill("");
  const aliceInput = alice.page.getByTestId("message-input");
  await aliceInput.pressSequentially("@roo");
  await expect(alice.page.getByRole("option")).toHaveText([/@room/]);
  await aliceInput.press("Tab");
  await expect(aliceInput).toHaveValue("@room ");
  await aliceInput.pressSequentially("please stay on topic");
  await aliceInput.press("Enter");
  await expect(messageWithText(bob.page, "please stay on topic")).toHaveClass(/mentions-me/);

  // The owner deletes Bob's message; Bob sees the tombstone.
  await (await actionsOf(messageById(alice.page, id))).getByRole("button", { name: "Delete" }).click();
  await alice.page.getByRole("dialog", { name: "Delete message" }).getByRole("button", { name: "Delete" }).click();
  await expect(messageById(bob.page, id).getByTestId("tombstone")).toBeVisible();
  // Bob cannot delete Alice's.
  const aliceMessage = messageWithText(bob.page, "please stay on topic");
  await expect((await actionsOf(aliceMessage)).getByRole("button", { name: "Delete" })).toHaveCount(0);

  await alice.context.close();
  await bob.context.close();
});
