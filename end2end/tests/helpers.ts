import { Browser, BrowserContext, expect, Page, test as base } from "@playwright/test";

/**
 * Every test fails on a console error or an uncaught page error in any of its pages, in every
 * browser context it opens. A test that provokes a failure on purpose (an aborted request)
 * names the console or page error text it expects with `expectConsoleError`.
 */
export const test = base.extend<{ consoleGuard: void; expectConsoleError: (pattern: RegExp) => void }>({
  expectConsoleError: async ({}, use, testInfo) => {
    const expected: RegExp[] = [];
    (testInfo as any)._confabExpected = expected;
    await use((pattern: RegExp) => expected.push(pattern));
  },
  consoleGuard: [
    async ({ browser, context, expectConsoleError }, use, testInfo) => {
      void expectConsoleError;
      const problems: string[] = [];
      const expected: RegExp[] = (testInfo as any)._confabExpected ?? [];
      const watchPage = (page: Page) => {
        page.on("console", (msg) => {
          if (msg.type() === "error" && !expected.some((re) => re.test(msg.text()))) {
            problems.push(`console error on ${page.url()}: ${msg.text()}`);
          }
        });
        page.on("pageerror", (err) => {
          if (!expected.some((re) => re.test(err.message))) {
            problems.push(`uncaught error on ${page.url()}: ${err.message}`);
          }
        });
      };
      const watchContext = (ctx: BrowserContext) => {
        ctx.pages().forEach(watchPage);
        ctx.on("page", watchPage);
      };
      watchContext(context);
      const newContext = browser.newContext.bind(browser);
      const opened: BrowserContext[] = [];
      (browser as Browser).newContext = async (...args: Parameters<Browser["newContext"]>) => {
        const ctx = await newContext(...args);
        opened.push(ctx);
        watchContext(ctx);
        return ctx;
      };
      await use();
      (browser as Browser).newContext = newContext;
      // A page left open would go on polling and talking to the server during later tests.
      await Promise.all(opened.map((ctx) => ctx.close()));
      expect(problems, "console errors and uncaught page errors").toEqual([]);
    },
    { auto: true },
  ],
});

let counter = 0;

/** A username unique to this run (3–32 chars of a-z0-9_.-). */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}_${Date.now().toString(36)}${counter}`.slice(0, 32);
}

export const PASSWORD = "correct horse battery";

/** Waits until the WASM bundle has hydrated the page, so clicks go to Leptos handlers. */
export async function hydrated(page: Page) {
  await page.waitForFunction(() => (window as any).__confab_hydrated === true);
}

export async function register(page: Page, username: string, displayName: string) {
  await page.goto("/register");
  await hydrated(page);
  const form = page.getByTestId("register-form");
  await form.getByLabel("Username").fill(username);
  await form.getByLabel("Display name").fill(displayName);
  await form.getByLabel("Password").fill(PASSWORD);
  await form.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/chat$/);
}

export async function login(page: Page, username: string, password = PASSWORD) {
  await page.goto("/login");
  await hydrated(page);
  const form = page.getByTestId("login-form");
  await form.getByLabel("Username").fill(username);
  await form.getByLabel("Password").fill(password);
  await form.getByRole("button", { name: "Log in" }).click();
}

export async function logout(page: Page) {
  await page.getByTestId("user-menu").click();
  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page).toHaveURL(/\/login/);
}

/** A new user, registered and connected in a browser context of its own. */
export async function newUser(browser: Browser, prefix: string, display: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const username = uniqueName(prefix);
  await register(page, username, display);
  await expect(page.getByTestId("connection")).toHaveText("Connected");
  return { context, page, username, display };
}

/** The room open in `page`, from its URL. */
export function openRoomId(page: Page): number {
  return Number(page.url().split("/").pop());
}

export async function openRoomFromSidebar(page: Page, title: string) {
  const item = page.getByTestId("room-item").filter({ hasText: title });
  await expect(item).toBeVisible();
  await item.getByRole("link").click();
  await expect(page.getByTestId("room-title")).toHaveText(title);
}

export async function startPrivateChat(page: Page, username: string, title: string) {
  await page.getByTestId("new-chat").click();
  await page.getByTestId("user-search").fill(username);
  await page.getByTestId("user-result").filter({ hasText: username }).getByRole("button", { name: "Message" }).click();
  await expect(page.getByTestId("room-title")).toHaveText(title);
}

export async function send(page: Page, text: string) {
  const input = page.getByTestId("message-input");
  await input.fill(text);
  await input.press("Enter");
  await expect(page.getByTestId("message-list").getByTestId("message").filter({ hasText: text })).toBeVisible();
}

/** Sends `count` messages `${prefix}0`, `${prefix}1`, … into a room over a second WebSocket of
 * the page's user (same cookie), `gapMs` apart (all at once by default), and waits until every
 * one is acknowledged. Their client ids follow the prefix: another prefix sends new messages,
 * the same one is a retry. */
export async function sendMany(page: Page, room: number, count: number, prefix = "m", gapMs = 0) {
  await page.evaluate(
    async ({ room, count, prefix, gapMs }) => {
      const ws = new WebSocket(`ws://${location.host}/ws`);
      await new Promise((ok) => ws.addEventListener("open", ok));
      let acked = 0;
      const done = new Promise<void>((ok) =>
        ws.addEventListener("message", (ev) => {
          if (JSON.parse(ev.data).type === "message_ack" && ++acked === count) ok();
        }),
      );
      for (let i = 0; i < count; i++) {
        ws.send(JSON.stringify({ type: "send_message", room_id: room, client_id: `bulk-${prefix}-${i}`, content: `${prefix}${i}` }));
        if (gapMs > 0) await new Promise((ok) => setTimeout(ok, gapMs));
      }
      await done;
      ws.close();
    },
    { room, count, prefix, gapMs },
  );
}

/** Creates a group from the "New chat" dialog and waits until it is open. */
export async function createGroup(page: Page, name: string, members: string[]) {
  const dialog = page.getByTestId("new-chat-dialog");
  await page.getByTestId("new-chat").click();
  await dialog.getByRole("tab", { name: "New group" }).click();
  await dialog.getByTestId("group-name").fill(name);
  for (const username of members) {
    await dialog.getByTestId("user-search").fill(username);
    await dialog.getByTestId("user-result").filter({ hasText: username }).getByRole("button", { name: "Add" }).click();
  }
  await dialog.getByTestId("create-group").click();
  await expect(page.getByTestId("room-title")).toHaveText(name);
}
