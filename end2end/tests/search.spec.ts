import { expect, Page } from "@playwright/test";
import { newUser, openRoomId, register, send, sendMany, startPrivateChat, test, uniqueName } from "./helpers";

/** Sends a message over the HTTP API with the page's session; returns the stored message. */
async function apiSend(page: Page, room: number, content: string): Promise<{ id: number }> {
  const data = { room_id: room, client_id: `e2e-${Date.now()}-${Math.random().toString(36).slice(2)}`, content };
  const response = await page.request.post("/api/messages/send", { data });
  expect(response.status(), await response.text()).toBe(200);
  return (await response.json()) as { id: number };
}

test("a Thai word inside a sentence is found, and choosing it opens the room at the message", async ({ browser }) => {
  test.setTimeout(90_000);
  const alice = await newUser(browser, "sal", "Sal");
  const bob = await newUser(browser, "sbo", "Sbo");
  const carol = await newUser(browser, "sca", "Sca");
  await startPrivateChat(alice.page, bob.username, "Sbo");
  const room = openRoomId(alice.page);
  // Bob reads another room meanwhile.
  await startPrivateChat(bob.page, carol.username, "Sca");

  // The target, then enough messages that the room's newest page no longer holds it.
  const target = await apiSend(alice.page, room, "ฉันชอบกินข้าวมันไก่มาก");
  for (let i = 0; i < 60; i++) await apiSend(alice.page, room, `filler ${i}`);

  // Ctrl+K from the composer; results come as Bob types.
  const composer = bob.page.getByTestId("message-input");
  await composer.focus();
  await bob.page.keyboard.press("Control+k");
  const field = bob.page.getByRole("combobox", { name: "Search messages" });
  await expect(field).toBeFocused();
  await field.pressSequentially("ข้าวมันไก่");
  const results = bob.page.getByRole("listbox", { name: "Search results" });
  const result = results.getByRole("option");
  await expect(result).toHaveCount(1);
  await expect(result).toHaveAttribute("data-message-id", String(target.id));
  await expect(result.locator("mark")).toHaveText("ข้าวมันไก่");
  await expect(result.getByTestId("search-snippet")).toHaveText("ฉันชอบกินข้าวมันไก่มาก");
  await expect(result).toContainText("Sal");
  await expect(bob.page.getByTestId("search-status")).toHaveText("1 result");

  // The keyboard picks it.
  await field.press("ArrowDown");
  await expect(result).toHaveAttribute("aria-selected", "true");
  await expect(field).toHaveAttribute("aria-activedescendant", "search-option-0");
  await field.press("Enter");

  await expect(bob.page).toHaveURL(new RegExp(`/chat/${room}$`));
  await expect(bob.page.getByTestId("room-title")).toHaveText("Sal");
  await expect(bob.page.getByTestId("search-panel")).toBeHidden();
  const message = bob.page.getByTestId("message-list").locator(`[data-message-id="${target.id}"]`);
  await expect(message).toBeInViewport();
  await expect(message).toHaveClass(/highlight/);
  await expect(message).toBeFocused();
  // Loaded in context: the room's newest messages are not on screen.
  await expect(bob.page.getByTestId("message-body").filter({ hasText: /^filler 59$/ })).toHaveCount(0);
  await expect(bob.page.getByTestId("jump-latest")).toBeVisible();

  await alice.context.close();
  await bob.context.close();
  await carol.context.close();
});

test("search shows the empty state, the server's errors, more pages and the filters", async ({
  browser,
  expectConsoleError,
}) => {
  test.setTimeout(60_000);
  // The browser logs the refused request (422) of the bad date.
  expectConsoleError(/status of 422/);
  const alice = await newUser(browser, "sde", "Sde");
  const bob = await newUser(browser, "sdf", "Sdf");
  await startPrivateChat(alice.page, bob.username, "Sdf");
  const room = openRoomId(alice.page);
  for (let i = 0; i < 25; i++) await apiSend(alice.page, room, `needle ${i}`);
  const page = alice.page;
  const field = page.getByRole("combobox", { name: "Search messages" });
  const status = page.getByTestId("search-status");
  const results = page.getByRole("listbox", { name: "Search results" }).getByRole("option");

  // `/` in the composer is typed; elsewhere it opens the search.
  const composer = page.getByTestId("message-input");
  await composer.focus();
  await page.keyboard.press("/");
  await expect(composer).toHaveValue("/");
  await composer.fill("");
  await composer.focus();
  await page.keyboard.press("Control+k");
  await expect(field).toBeFocused();
  await expect(page.getByTestId("search-panel")).toContainText("from:name");

  // Nothing found: the empty state. Escape closes and gives the focus back.
  await field.fill("zqxj nothing");
  await expect(status).toHaveText("No messages match “zqxj nothing”.");
  await field.press("Escape");
  await expect(page.getByTestId("search-panel")).toBeHidden();
  await expect(composer).toBeFocused();
  await composer.evaluate((el) => (el as HTMLElement).blur());
  await page.keyboard.press("/");
  await expect(field).toBeFocused();

  // The server's words for a bad filter.
  await field.fill("needle before:2026-13-45");
  await expect(page.getByTestId("search-error")).toContainText("is not a date");

  // Twenty a page, then "Load more".
  await field.fill("needle");
  await expect(status).toHaveText("20+ results");
  await expect(results).toHaveCount(20);
  await expect(results.first()).toContainText("needle 24");
  await page.getByTestId("search-more").click();
  await expect(results).toHaveCount(25);
  await expect(status).toHaveText("25 results");
  await expect(field).toBeFocused();

  // The controls: this room only, then images only.
  const here = page.getByTestId("search-here");
  await here.click();
  await expect(here).toHaveAttribute("aria-pressed", "true");
  await expect(status).toHaveText("20+ results");
  await page.getByTestId("search-kind").selectOption("image");
  await expect(status).toHaveText("No images in this room match “needle”.");
  await expect(results).toHaveCount(0);
  await page.getByTestId("search-kind").selectOption("");

  // From a person, and between dates.
  const from = page.getByTestId("search-from");
  await from.fill(bob.username);
  await expect(results).toHaveCount(0);
  await from.fill(alice.username);
  await expect(status).toHaveText("20+ results");
  await page.getByTestId("search-before").fill("2000-01-01");
  await expect(results).toHaveCount(0);
  await page.getByTestId("search-before").fill("");
  await page.getByTestId("search-after").fill("2000-01-01");
  await expect(status).toHaveText("20+ results");

  await alice.context.close();
  await bob.context.close();
});

test("a rare short word is searched a page of reading at a time, each page saying how far back", async ({
  browser,
}) => {
  // The server on port +3 reads 20 messages a page when no index narrows the search
  // (playwright.config.ts); this test is the only one that writes there.
  const server = `http://127.0.0.1:${Number(process.env.CONFAB_E2E_PORT ?? 3300) + 3}`;
  const alice = await (await browser.newContext({ baseURL: server })).newPage();
  const bob = await (await browser.newContext({ baseURL: server })).newPage();
  const bobName = uniqueName("ssb");
  await register(bob, bobName, "Ssb");
  await register(alice, uniqueName("ssa"), "Ssa");
  await startPrivateChat(alice, bobName, "Ssb");
  const room = openRoomId(alice);
  await sendMany(alice, room, 25, "old ");
  await send(alice, "the zq in the middle");
  await sendMany(alice, room, 30, "ok ");

  const field = alice.getByRole("combobox", { name: "Search messages" });
  const status = alice.getByTestId("search-status");
  const results = alice.getByRole("listbox", { name: "Search results" }).getByRole("option");
  const older = alice.getByTestId("search-more");
  const since = "since \\w{3} \\d{1,2}, \\d{4}, \\d{1,2}:\\d{2} [AP]M";
  await field.fill("zq");
  // The 20 newest messages hold no "zq": an empty page that says how far back it read.
  await expect(status).toHaveText(new RegExp(`^No matching messages ${since}\\.$`));
  await expect(results).toHaveCount(0);
  await expect(older).toHaveText("Search older messages");
  // The next 20 hold it, and older messages are left to read.
  await older.click();
  await expect(results).toHaveCount(1);
  await expect(results.first()).toContainText("the zq in the middle");
  await expect(status).toHaveText(new RegExp(`^1 found in messages ${since}$`));
  await expect(field).toBeFocused();
  // Read on to the oldest message (this test's last 16 on a fresh server): still the one
  // result, and then nothing more to search.
  for (let page = 0; page < 10 && (await older.isVisible()); page++) {
    const answered = alice.waitForResponse((r) => r.url().includes("/api/search"));
    await older.click();
    await answered;
    await expect(older.filter({ hasText: "Loading…" })).toHaveCount(0);
  }
  await expect(status).toHaveText("1 result");
  await expect(older).toBeHidden();
  await expect(results).toHaveCount(1);
  await alice.context().close();
  await bob.context().close();
});
