import { expect } from "@playwright/test";
import { newUser, openRoomFromSidebar, openRoomId, send, sendMany, startPrivateChat, test } from "./helpers";

test("two people chat privately in real time, with typing and presence", async ({ browser }) => {
  const alice = await newUser(browser, "alice", "Alice");
  const bob = await newUser(browser, "bob", "Bob");

  // Alice starts a private chat with Bob from the dialog.
  await startPrivateChat(alice.page, bob.username, "Bob");
  await expect(alice.page).toHaveURL(/\/chat\/\d+$/);

  // Bob's sidebar learns about the room without a reload.
  await openRoomFromSidebar(bob.page, "Alice");

  // Presence: each sees the other online.
  const bobDot = alice.page.getByTestId("member").filter({ hasText: "Bob" }).getByTestId("presence-dot");
  await expect(bobDot).toHaveClass(/online/);
  await expect(alice.page.getByTestId("room-subtitle")).toHaveText("online");

  await send(alice.page, "Hello Bob 👋");
  await expect(bob.page.getByTestId("message-list")).toContainText("Hello Bob 👋");

  // Typing indicator appears while Bob types, and goes away when he sends.
  await bob.page.getByTestId("message-input").fill("Hi Alice, typing");
  await expect(alice.page.getByTestId("typing")).toHaveText("Bob is typing…");
  await bob.page.getByTestId("message-input").press("Enter");
  await expect(alice.page.getByTestId("message-list")).toContainText("Hi Alice, typing");
  await expect(alice.page.getByTestId("typing")).toHaveText("");

  // Shift+Enter adds a line instead of sending; Thai text round-trips.
  const input = alice.page.getByTestId("message-input");
  await input.fill("บรรทัดแรก");
  await input.press("Shift+Enter");
  await input.pressSequentially("second line");
  await input.press("Enter");
  await expect(bob.page.getByTestId("message-list")).toContainText("บรรทัดแรก\nsecond line");

  // History survives a reload, in order, under the day it was written (from the server's
  // HTML, as hydrated).
  await bob.page.reload();
  await expect(bob.page.getByTestId("message").last()).toContainText("second line");
  await expect(bob.page.getByTestId("day-divider")).toHaveText(["Today"]);
  const texts = await bob.page.getByTestId("message").allInnerTexts();
  expect(texts.join("\n")).toMatch(/Hello Bob 👋[\s\S]*Hi Alice, typing[\s\S]*บรรทัดแรก/);

  // Bob goes away: Alice sees him offline after the grace period.
  await bob.context.close();
  await expect(bobDot).not.toHaveClass(/online/, { timeout: 15_000 });
  await alice.context.close();
});

test("unread badges count messages in rooms that are not open", async ({ browser }) => {
  const alice = await newUser(browser, "ann", "Ann");
  const bob = await newUser(browser, "ben", "Ben");
  await startPrivateChat(alice.page, bob.username, "Ben");

  // Bob stays on /chat with no room open.
  await expect(bob.page.getByTestId("room-item").filter({ hasText: "Ann" })).toBeVisible();
  await send(alice.page, "one");
  await send(alice.page, "two");
  const badge = bob.page.getByTestId("room-item").filter({ hasText: "Ann" }).getByTestId("unread-badge");
  await expect(badge).toHaveText("2");
  await expect(bob.page).toHaveTitle(/^\(2\) Chat/);
  await openRoomFromSidebar(bob.page, "Ann");
  await expect(badge).toHaveCount(0);
  await alice.context.close();
  await bob.context.close();
});

test("the room list says it is loading, never 'no conversations', and says when it cannot load", async ({
  browser,
  expectConsoleError,
}) => {
  // The aborted request below is the point of the test.
  expectConsoleError(/Failed to load resource|net::ERR_FAILED/);
  const alice = await newUser(browser, "lal", "Lal");
  const bob = await newUser(browser, "lbo", "Lbo");
  await startPrivateChat(alice.page, bob.username, "Lbo");
  const page = bob.page;
  await expect(page.getByTestId("room-item").filter({ hasText: "Lal" })).toBeVisible();

  // The server's page is what a reader sees until the WASM has loaded: Bob has a room, so
  // it must not claim he has none.
  const html = await (await page.request.get("/chat")).text();
  expect(html).toContain("Loading chats…");
  expect(html).not.toContain("No conversations yet");

  // A refetch that fails (here: the room list after Alice starts a group) says so, and the
  // rooms already listed stay.
  await page.route((url) => url.pathname === "/api/rooms", (route) => route.abort());
  const dialog = alice.page.getByTestId("new-chat-dialog");
  await alice.page.getByTestId("new-chat").click();
  await dialog.getByRole("tab", { name: "New group" }).click();
  await dialog.getByTestId("group-name").fill("Pair");
  await dialog.getByTestId("user-search").fill(bob.username);
  await dialog.getByTestId("user-result").filter({ hasText: bob.username }).getByRole("button", { name: "Add" }).click();
  await dialog.getByTestId("create-group").click();
  await expect(page.getByTestId("rooms-error")).toBeVisible();
  await expect(page.getByTestId("room-item").filter({ hasText: "Lal" })).toBeVisible();
  await expect(page.getByText("No conversations yet")).toHaveCount(0);
  await alice.context.close();
  await bob.context.close();
});

test("a three-member group works for everyone", async ({ browser }) => {
  const alice = await newUser(browser, "gal", "Gal");
  const bob = await newUser(browser, "gbo", "Gbo");
  const carol = await newUser(browser, "gca", "Gca");

  const dialog = alice.page.getByTestId("new-chat-dialog");
  await alice.page.getByTestId("new-chat").click();
  await dialog.getByRole("tab", { name: "New group" }).click();
  await dialog.getByTestId("group-name").fill("Trio");
  for (const u of [bob, carol]) {
    await dialog.getByTestId("user-search").fill(u.username);
    await dialog.getByTestId("user-result").filter({ hasText: u.username }).getByRole("button", { name: "Add" }).click();
  }
  await dialog.getByTestId("create-group").click();
  await expect(alice.page.getByTestId("room-title")).toHaveText("Trio");
  await expect(alice.page.getByTestId("member")).toHaveCount(3);

  await openRoomFromSidebar(bob.page, "Trio");
  await openRoomFromSidebar(carol.page, "Trio");

  await send(alice.page, "hello trio");
  await expect(bob.page.getByTestId("message-list")).toContainText("hello trio");
  await expect(carol.page.getByTestId("message-list")).toContainText("hello trio");

  await send(carol.page, "carol here");
  await expect(alice.page.getByTestId("message-list")).toContainText("carol here");
  await expect(bob.page.getByTestId("message-list")).toContainText("carol here");

  for (const u of [alice, bob, carol]) await u.context.close();
});

test("a burst of messages keeps an open room at the newest, and read", async ({ browser }) => {
  const alice = await newUser(browser, "bua", "Bua");
  const bob = await newUser(browser, "bub", "Bub");
  await startPrivateChat(alice.page, bob.username, "Bub");
  const roomId = openRoomId(alice.page);
  await send(alice.page, "before the burst");
  await openRoomFromSidebar(bob.page, "Bua");
  // Reading a message is no reason to fetch the room list again (nor the room's details).
  let refetches = 0;
  for (const page of [alice.page, bob.page]) {
    page.on("request", (r) => {
      if (new URL(r.url()).pathname.startsWith("/api/rooms")) refetches += 1;
    });
  }
  // A bot's pace: each message comes while the list is still scrolling to the one before.
  await sendMany(alice.page, roomId, 60, "burst", 25);
  const last = bob.page.getByTestId("message").last();
  await expect(last).toContainText("burst59");
  await expect(last).toBeInViewport();
  await expect(bob.page.getByTestId("new-messages-pill")).toHaveCount(0);
  await expect(bob.page).toHaveTitle("Bua · Confab");
  await expect(alice.page.getByTestId("read-receipt")).toHaveText("Seen");
  expect(refetches).toBeLessThan(5);
  await alice.context.close();
  await bob.context.close();
});

test("a room opened by its URL is read once it is live", async ({ browser }) => {
  const alice = await newUser(browser, "ula", "Ula");
  const bob = await newUser(browser, "ulb", "Ulb");
  await startPrivateChat(alice.page, bob.username, "Ulb");
  const roomId = openRoomId(alice.page);
  await send(alice.page, "one");
  await send(alice.page, "two");
  const item = bob.page.getByTestId("room-item").filter({ hasText: "Ula" });
  await expect(item.getByTestId("unread-badge")).toHaveText("2");
  // A reload, a bookmark, a shared link: the room is the page's first screen.
  await bob.page.goto(`/chat/${roomId}`);
  await expect(bob.page.getByTestId("message").last()).toContainText("two");
  await expect(item.getByTestId("unread-badge")).toHaveCount(0);
  await expect(bob.page).toHaveTitle("Ula · Confab");
  await expect(alice.page.getByTestId("read-receipt")).toHaveText("Seen");
  await alice.context.close();
  await bob.context.close();
});

test("history loads upwards on scroll, and new messages wait in a pill", async ({ browser }) => {
  const alice = await newUser(browser, "hal", "Hal");
  const bob = await newUser(browser, "hbo", "Hbo");
  await startPrivateChat(alice.page, bob.username, "Hbo");
  const roomId = openRoomId(alice.page);

  await sendMany(alice.page, roomId, 120);

  await openRoomFromSidebar(bob.page, "Hal");
  const messages = bob.page.getByTestId("message");
  await expect(messages).toHaveCount(50);
  await expect(messages.last()).toContainText("m119");

  const list = bob.page.getByTestId("message-list");
  await list.evaluate((el) => el.scrollTo(0, 0));
  await expect(messages).toHaveCount(100);
  // The reader's place is kept: what was the first message is still on screen.
  await expect(messages.nth(50)).toContainText("m70");
  await expect(messages.nth(50)).toBeInViewport();
  await list.evaluate((el) => el.scrollTo(0, 0));
  await expect(messages).toHaveCount(120);
  await expect(list).toContainText("This is the beginning of the conversation.");
  await expect(messages.first()).toContainText("m0");

  // Scrolled up, Bob is not yanked down by a new message: a pill counts it instead.
  await list.evaluate((el) => el.scrollTo(0, 0));
  await send(alice.page, "fresh news");
  const pill = bob.page.getByTestId("new-messages-pill");
  await expect(pill).toHaveText("1 new message ↓");
  await pill.click();
  await expect(pill).toHaveCount(0);
  await expect(messages.last()).toBeInViewport();
  await expect(messages.last()).toContainText("fresh news");

  // At the bottom, the next message simply appears in view.
  await send(alice.page, "and more");
  await expect(messages.last()).toContainText("and more");
  await expect(messages.last()).toBeInViewport();
  await expect(pill).toHaveCount(0);
  await alice.context.close();
  await bob.context.close();
});

test("a long history holds a window of rows: reading far back detaches from the live end, and back down is live", async ({
  browser,
}) => {
  // 400 messages and about twenty pages each way: 25–32 s on this kind of machine.
  test.setTimeout(60_000);
  const alice = await newUser(browser, "wal", "Wal");
  const bob = await newUser(browser, "wbo", "Wbo");
  await startPrivateChat(alice.page, bob.username, "Wbo");
  const roomId = openRoomId(alice.page);
  await sendMany(alice.page, roomId, 400);

  await openRoomFromSidebar(bob.page, "Wal");
  const list = bob.page.getByTestId("message-list");
  const messages = list.getByTestId("message");
  const jump = bob.page.getByTestId("jump-latest");
  await expect(messages.last()).toContainText("m399");

  // Up to the first message, a page at a time; the reader's place is kept at every step,
  // also when the window drops the newest rows in the same step.
  const beginning = list.getByText("This is the beginning of the conversation.");
  while (!(await beginning.isVisible())) {
    const first = await messages.first().getAttribute("data-message-id");
    await list.evaluate((el) => el.scrollTo(0, 0));
    await expect(messages.first()).not.toHaveAttribute("data-message-id", first ?? "");
    await expect(list.locator(`[data-message-id="${first}"]`)).toBeInViewport();
  }
  await expect(messages).toHaveCount(300);
  await expect(messages.first()).toContainText("m0");
  await expect(messages.last()).toContainText("m299");
  await expect(jump).toBeVisible();

  // A message arriving meanwhile waits beyond the window (no hole opens).
  await send(alice.page, "while far back");
  await expect(messages.last()).toContainText("m299");

  // Back down, a page at a time, until the list is live again and shows it.
  while (await jump.isVisible()) {
    await list.evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await bob.page.waitForTimeout(100);
  }
  await expect(messages.last()).toContainText("while far back");
  await expect(messages).toHaveCount(300);
  await expect(messages.first()).not.toContainText("m0");

  // Far back once more, Bob writes: his list goes to the latest messages to show it.
  await list.evaluate((el) => el.scrollTo(0, 0));
  await expect(jump).toBeVisible();
  await send(bob.page, "back to now");
  await expect(jump).toHaveCount(0);
  await expect(messages.last()).toContainText("back to now");
  await expect(messages.last()).toBeInViewport();
  await expect(alice.page.getByTestId("message-list")).toContainText("back to now");
  await alice.context.close();
  await bob.context.close();
});

test("a message typed offline waits in the outbox and is sent on reconnect", async ({ browser, expectConsoleError }) => {
  // Going offline makes the browser report the dropped socket and failed reconnects.
  expectConsoleError(/WebSocket connection to .* failed|Failed to load resource|net::ERR_INTERNET_DISCONNECTED/);
  const alice = await newUser(browser, "oal", "Oal");
  const bob = await newUser(browser, "obo", "Obo");
  await startPrivateChat(alice.page, bob.username, "Obo");
  await openRoomFromSidebar(bob.page, "Oal");

  await alice.context.setOffline(true);
  // Going offline is noticed when the socket drops; force it like a network change would.
  await alice.page.evaluate(() => window.dispatchEvent(new Event("offline")));
  const input = alice.page.getByTestId("message-input");
  await input.fill("sent while offline");
  await input.press("Enter");
  await expect(alice.page.getByTestId("pending-message")).toContainText("sending…");
  await alice.context.setOffline(false);
  await alice.page.evaluate(() => window.dispatchEvent(new Event("online")));
  await expect(bob.page.getByTestId("message-list")).toContainText("sent while offline", { timeout: 20_000 });
  await expect(alice.page.getByTestId("pending-message")).toHaveCount(0, { timeout: 20_000 });
  await expect(alice.page.getByTestId("message").filter({ hasText: "sent while offline" })).toHaveCount(1);
  await alice.context.close();
  await bob.context.close();
});
