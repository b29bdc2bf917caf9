import { expect, Page } from "@playwright/test";
import { newUser, openRoomFromSidebar, send, startPrivateChat, test } from "./helpers";

/** Opens the open room's menu and clicks one of its items. */
async function roomMenu(page: Page, item: string) {
  await page.getByTestId("room-menu").click();
  await page.getByTestId(item).click();
}

/** Records every browser notification the page creates (in `window.__notes`), still asking
 * the real API for the permission the context was granted. Chromium without a desktop shows
 * none, so the page's own calls are what the test can see. */
async function recordNotifications(page: Page) {
  await page.addInitScript(() => {
    const Real = window.Notification;
    const notes: any[] = [];
    (window as any).__notes = notes;
    function Recorded(this: any, title: string, options?: NotificationOptions) {
      const n: any = new EventTarget();
      Object.assign(n, { title, body: options?.body, tag: options?.tag, closed: false, onclick: null });
      n.close = () => (n.closed = true);
      notes.push(n);
      return n;
    }
    Object.defineProperty(Recorded, "permission", { get: () => Real.permission });
    (Recorded as any).requestPermission = Real.requestPermission.bind(Real);
    (window as any).Notification = Recorded;
  });
}

/** Makes the page believe it is in a background tab. */
async function hide(page: Page) {
  await page.evaluate(() => {
    Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
    Object.defineProperty(document, "hidden", { configurable: true, get: () => true });
    document.hasFocus = () => false;
    document.dispatchEvent(new Event("visibilitychange"));
  });
}

test("a muted room stays quiet; unmuted, a message elsewhere shows a toast and counts in the title", async ({
  browser,
}) => {
  const alice = await newUser(browser, "nal", "Nal");
  const bob = await newUser(browser, "nbo", "Nbo");
  await startPrivateChat(alice.page, bob.username, "Nbo");
  await openRoomFromSidebar(bob.page, "Nal");
  await roomMenu(bob.page, "mute-forever");
  const item = bob.page.getByTestId("room-item").filter({ hasText: "Nal" });
  await expect(item).toHaveClass(/muted-room/);
  await bob.page.getByTestId("room-menu").click();
  await expect(bob.page.getByTestId("muted-note")).toHaveText("Muted");
  await bob.page.getByTestId("room-menu").click();

  // Bob is elsewhere: the muted room only counts, dimmed, out of the title.
  await bob.page.getByRole("link", { name: "Chat", exact: true }).click();
  await expect(bob.page).toHaveURL(/\/chat$/);
  await send(alice.page, "while muted");
  await expect(item.getByTestId("unread-badge")).toHaveText("1");
  await bob.page.waitForTimeout(500);
  await expect(bob.page.getByTestId("toast")).toHaveCount(0);
  await expect(bob.page).toHaveTitle(/^Chat · Confab$/);

  // Unmuted: a toast, announced politely, that opens the room; the count is in the title.
  await openRoomFromSidebar(bob.page, "Nal");
  await roomMenu(bob.page, "unmute");
  await expect(item).not.toHaveClass(/muted-room/);
  await bob.page.getByRole("link", { name: "Chat", exact: true }).click();
  await send(alice.page, "now you hear me");
  const toast = bob.page.getByTestId("toast");
  await expect(toast).toContainText("Nal");
  await expect(toast).toContainText("now you hear me");
  await expect(bob.page.getByTestId("toasts")).toHaveAttribute("aria-live", "polite");
  await expect(bob.page).toHaveTitle(/^\(1\) Chat · Confab$/);
  const icon = await bob.page.locator("link[rel=icon]").getAttribute("href");
  expect(icon).toMatch(/^data:image\/svg\+xml,.*%3E1%3C\/text%3E/);
  await toast.getByRole("link").click();
  await expect(bob.page.getByTestId("room-title")).toHaveText("Nal");
  await expect(bob.page).toHaveTitle(/^Nal · Confab$/);
  await expect(bob.page.locator("link[rel=icon]")).toHaveAttribute("href", "/favicon.svg");

  // A room opened another way (the sidebar) takes its toast away at once: it has nothing
  // left to say. (A toast lasts 6 s by itself.)
  await bob.page.getByRole("link", { name: "Chat", exact: true }).click();
  await send(alice.page, "once more");
  await expect(toast).toContainText("once more");
  await openRoomFromSidebar(bob.page, "Nal");
  await expect(toast).toHaveCount(0, { timeout: 1_500 });
  await alice.context.close();
  await bob.context.close();
});

test("a toast keeps clear of the composer, and toasts and previews show the text without its Markdown", async ({
  browser,
}) => {
  const alice = await newUser(browser, "tma", "Tma");
  const bob = await newUser(browser, "tmb", "Tmb");
  const carol = await newUser(browser, "tmc", "Tmc");
  await startPrivateChat(alice.page, bob.username, "Tmb");
  // Bob is writing to Carol when Alice's message comes.
  await startPrivateChat(bob.page, carol.username, "Tmc");
  await bob.page.getByTestId("message-input").fill("half a thought");
  const input = alice.page.getByTestId("message-input");
  await input.fill("**urgent** ping `x < y`");
  await input.press("Enter");
  await expect(alice.page.getByTestId("message").last()).toContainText("urgent ping x < y");
  const toast = bob.page.getByTestId("toast");
  await expect(toast).toContainText("urgent ping x < y");
  await expect(toast).not.toContainText("**");
  const preview = bob.page.getByTestId("room-item").filter({ hasText: "Tma" }).locator(".room-preview");
  await expect(preview).toContainText("urgent ping x < y");
  const overlaps = (a: { x: number; y: number; width: number; height: number }, b: typeof a) =>
    a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
  const box = (await toast.boundingBox())!;
  for (const id of ["message-input", "send"]) {
    expect(overlaps(box, (await bob.page.getByTestId(id).boundingBox())!), `the toast covers ${id}`).toBe(false);
  }
  // On a phone too.
  await bob.page.setViewportSize({ width: 375, height: 700 });
  await send(alice.page, "and again");
  await expect(toast.last()).toContainText("and again");
  const small = (await toast.last().boundingBox())!;
  expect(overlaps(small, (await bob.page.getByTestId("message-input").boundingBox())!)).toBe(false);
  await alice.context.close();
  await bob.context.close();
  await carol.context.close();
});

test("'mentions only' lets a mention through and nothing else", async ({ browser }) => {
  const alice = await newUser(browser, "mal", "Mal");
  const bob = await newUser(browser, "mbo", "Mbo");
  await startPrivateChat(alice.page, bob.username, "Mbo");
  await openRoomFromSidebar(bob.page, "Mal");
  await bob.page.getByTestId("room-menu").click();
  await bob.page.getByTestId("notify-choices").getByLabel("Mentions only").check();
  await bob.page.getByRole("link", { name: "Chat", exact: true }).click();
  await send(alice.page, "just chatting");
  await expect(bob.page.getByTestId("room-item").filter({ hasText: "Mal" }).getByTestId("unread-badge")).toHaveText("1");
  await bob.page.waitForTimeout(500);
  await expect(bob.page.getByTestId("toast")).toHaveCount(0);
  await send(alice.page, `@${bob.username} look`);
  await expect(bob.page.getByTestId("toast")).toContainText("look");
  await alice.context.close();
  await bob.context.close();
});

test("a granted browser notification fires while the page is hidden, once per room, and opens the room", async ({
  browser,
}) => {
  const alice = await newUser(browser, "bal", "Bal");
  const bob = await newUser(browser, "bbo", "Bbo");
  await startPrivateChat(alice.page, bob.username, "Bbo");

  // Never asked on load: the settings page asks, from a click.
  await bob.page.goto("/settings");
  await expect(bob.page.getByTestId("notify-permission")).toContainText("not been asked");
  await bob.context.grantPermissions(["notifications"]);
  await bob.page.getByTestId("ask-notifications").click();
  await expect(bob.page.getByTestId("notify-permission")).toContainText("On:");

  await recordNotifications(bob.page);
  await bob.page.goto("/chat");
  await expect(bob.page.getByTestId("connection")).toHaveText("Connected");
  await hide(bob.page);
  await send(alice.page, "are you there?");
  await send(alice.page, "hello??");
  await expect.poll(() => bob.page.evaluate(() => (window as any).__notes.length)).toBe(2);
  const notes = await bob.page.evaluate(() =>
    (window as any).__notes.map((n: any) => ({ title: n.title, body: n.body, tag: n.tag })),
  );
  expect(notes[0].title).toBe("Bal");
  expect(notes[1].body).toBe("hello??");
  expect(notes[0].tag).toBe(notes[1].tag);
  expect(notes[0].tag).toMatch(/^confab-room-\d+$/);
  await bob.page.evaluate(() => (window as any).__notes[1].onclick());
  await expect(bob.page.getByTestId("room-title")).toHaveText("Bal");
  expect(await bob.page.evaluate(() => (window as any).__notes[1].closed)).toBe(true);
  await alice.context.close();
  await bob.context.close();
});

test("read receipts appear once the other person has read my message", async ({ browser }) => {
  const alice = await newUser(browser, "ral", "Ral");
  const bob = await newUser(browser, "rbo", "Rbo");
  await startPrivateChat(alice.page, bob.username, "Rbo");
  await send(alice.page, "did you read this?");
  await alice.page.waitForTimeout(300);
  await expect(alice.page.getByTestId("read-receipt")).toHaveCount(0);
  await openRoomFromSidebar(bob.page, "Ral");
  await expect(alice.page.getByTestId("read-receipt")).toHaveText("Seen");
  await send(bob.page, "yes");
  await expect(alice.page.getByTestId("read-receipt")).toHaveCount(0);
  await alice.context.close();
  await bob.context.close();
});
