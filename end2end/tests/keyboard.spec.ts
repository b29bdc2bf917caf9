import { expect, Page } from "@playwright/test";
import { createGroup, hydrated, newUser, send, startPrivateChat, test } from "./helpers";

/**
 * The core flow by keyboard alone: from the chat list, open a room, send, reply, react and
 * search, with Tab, Enter, Escape and the arrows only; dialogs take focus, keep it and give it
 * back.
 */

/** Presses Tab (or Shift+Tab) until the focused element matches, or fails after `max` presses. */
async function tabTo(page: Page, selector: string, { back = false, max = 80 } = {}) {
  for (let i = 0; i < max; i++) {
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
    await page.keyboard.press(back ? "Shift+Tab" : "Tab");
  }
  throw new Error(`Tab never reached ${selector}`);
}

test("open a room, send, reply, react and search by keyboard alone", async ({ browser }) => {
  test.setTimeout(60_000);
  const alice = await newUser(browser, "kfa", "Kfa");
  const bob = await newUser(browser, "kfb", "Kfb");
  await startPrivateChat(bob.page, alice.username, "Kfa");
  await send(bob.page, "Lunch at noon?");

  const page = alice.page;
  await page.goto("/chat");
  await hydrated(page);
  await expect(page.getByTestId("room-item").filter({ hasText: "Kfb" })).toBeVisible();

  // Open the room from the sidebar.
  await page.locator("body").focus();
  await tabTo(page, '[data-testid="room-item"] a');
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("room-title")).toHaveText("Kfb");

  // Send.
  await tabTo(page, '[data-testid="message-input"]');
  await page.keyboard.type("Sounds good");
  await page.keyboard.press("Enter");
  const list = page.getByTestId("message-list");
  await expect(list.getByTestId("message").filter({ hasText: "Sounds good" })).toBeVisible();

  // Reply to Bob's message: back into the list to its toolbar, which is one Tab stop, then
  // along it with the arrows.
  const bobs = list.getByTestId("message").filter({ hasText: "Lunch at noon?" });
  const bobsId = await bobs.getAttribute("data-message-id");
  // By id from here: the reply below will quote this message's text too.
  const bobsRow = list.locator(`[data-message-id="${bobsId}"]`);
  const toolbar = `[data-message-id="${bobsId}"] [role="toolbar"]`;
  const replyButton = page.locator(`${toolbar} [data-testid="reply"]`);
  await expect(page.locator(`${toolbar} button:not([tabindex="-1"])`)).toHaveCount(1);
  await tabTo(page, `${toolbar} button[tabindex="0"]`, { back: true });
  // Six quick reactions and the picker come first.
  for (let i = 0; i < 7; i++) await page.keyboard.press("ArrowRight");
  await expect(replyButton).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("message-input")).toBeFocused();
  await page.keyboard.type("See you there");
  await page.keyboard.press("Enter");
  const reply = list.getByTestId("message").filter({ hasText: "See you there" });
  await expect(reply).toContainText("Lunch at noon?");

  // React to it with 👍: Tab comes back to the button last used (Reply), Home goes to the first.
  await tabTo(page, `${toolbar} button[tabindex="0"]`, { back: true });
  await expect(replyButton).toBeFocused();
  await page.keyboard.press("Home");
  await expect(page.locator(`${toolbar} > .reaction-tool:first-child`)).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(bobsRow.getByTestId("reaction").filter({ hasText: "👍" })).toBeVisible();
  // The message changes in place: focus stays on the same button, so Enter again takes the
  // reaction back.
  const thumbsUp = page.locator(`${toolbar} > .reaction-tool:first-child`);
  await expect(thumbsUp).toBeFocused();
  await expect(thumbsUp).toHaveAttribute("aria-pressed", "true");
  await page.keyboard.press("Enter");
  await expect(bobsRow.getByTestId("reaction")).toHaveCount(0);
  await expect(thumbsUp).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(bobsRow.getByTestId("reaction").filter({ hasText: "👍" })).toBeVisible();
  // A reaction's chip keeps focus the same way; once the last is taken back, focus stays on
  // its message.
  const chip = bobsRow.getByTestId("reaction").filter({ hasText: "👍" });
  await chip.focus();
  await page.keyboard.press("Enter");
  await expect(bobsRow.getByTestId("reaction")).toHaveCount(0);
  await expect(bobsRow).toBeFocused();
  // Focus that left for nothing stays there when the message changes later (Bob reacts to
  // it); the row and its text are the same elements as before, changed in place.
  await page.evaluate(() => (document.activeElement as HTMLElement).blur());
  const body = await bobsRow.getByTestId("message-body").elementHandle();
  const bobsOwn = bob.page.locator(`[data-message-id="${bobsId}"]`);
  await bobsOwn.hover();
  await bobsOwn.getByRole("button", { name: "React with 🎉" }).click();
  await expect(bobsRow.getByTestId("reaction").filter({ hasText: "🎉" })).toBeVisible();
  expect(await page.evaluate(() => document.activeElement === document.body)).toBe(true);
  expect(await body!.evaluate((el) => el.isConnected)).toBe(true);
  // A chip that goes while it has focus (Bob takes his 🎉 back) leaves focus on its message.
  await bobsRow.getByTestId("reaction").filter({ hasText: "🎉" }).focus();
  await bobsOwn.hover();
  await bobsOwn.getByRole("button", { name: "React with 🎉" }).click();
  await expect(bobsRow.getByTestId("reaction")).toHaveCount(0);
  await expect(bobsRow).toBeFocused();

  // Search, pick the result with the arrows.
  await page.keyboard.press("Control+k");
  await expect(page.getByTestId("search-input")).toBeFocused();
  await page.keyboard.type("lunch");
  await expect(page.getByTestId("search-result").first()).toBeVisible();
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("search-panel")).toBeHidden();
  await expect(list.locator(`[data-message-id="${bobsId}"]`)).toBeFocused();

  await alice.context.close();
  await bob.context.close();
});

test("a dialog puts focus on its first field, keeps it inside, and gives it back on Escape", async ({ browser }) => {
  const alice = await newUser(browser, "kda", "Kda");
  const page = alice.page;
  await page.locator("body").focus();
  await tabTo(page, '[data-testid="new-chat"]');
  await page.keyboard.press("Enter");
  const dialog = page.getByTestId("new-chat-dialog");
  await expect(dialog).toBeVisible();
  await expect(dialog.getByTestId("user-search")).toBeFocused();

  // Tab around many times: focus never leaves the dialog.
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press("Tab");
    const inside = await page.evaluate(() => !!document.activeElement?.closest('[data-testid="new-chat-dialog"]'));
    expect(inside, `Tab ${i + 1} stays inside the dialog`).toBe(true);
  }

  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId("new-chat")).toBeFocused();
  await alice.context.close();
});

test("what the room's menu opens gives focus back to the menu's button", async ({ browser }) => {
  const alice = await newUser(browser, "kma", "Kma");
  const bob = await newUser(browser, "kmb", "Kmb");
  const page = alice.page;
  await createGroup(page, "Focus crew", [bob.username]);
  const menu = page.getByTestId("room-menu");

  // A dialog: Escape closes it, and focus is back on ⋯, not on the page.
  for (const item of ["room-retention-menu", "leave-room"]) {
    await menu.click();
    await page.getByTestId(item).focus();
    await page.keyboard.press("Enter");
    await expect(page.locator("dialog[open]")).toBeVisible();
    await page.keyboard.press("Escape");
    await expect(page.locator("dialog[open]")).toHaveCount(0);
    await expect(menu).toBeFocused();
  }

  // Renaming: the field opens focused with the name selected; Escape gives up, and Save
  // renames; both end on ⋯.
  await menu.click();
  await page.getByTestId("rename-room").focus();
  await page.keyboard.press("Enter");
  const field = page.getByLabel("Group name");
  await expect(field).toBeFocused();
  await page.keyboard.press("Escape");
  await expect(field).toHaveCount(0);
  await expect(menu).toBeFocused();
  await menu.click();
  await page.getByTestId("rename-room").click();
  await expect(field).toBeFocused();
  await page.keyboard.type("Focus crew 2");
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("room-title")).toHaveText("Focus crew 2");
  await expect(menu).toBeFocused();
  await alice.context.close();
  await bob.context.close();
});
