import AxeBuilder from "@axe-core/playwright";
import { Browser, BrowserContext, expect, Page } from "@playwright/test";
import { createGroup, hydrated, newUser, send, startPrivateChat, test } from "./helpers";

/**
 * axe-core (WCAG 2.0/2.1 A and AA) finds nothing on every screen, in both themes, both
 * languages and at desktop and phone sizes: login, register, the chat list, a private room and
 * a group room with messages, search with results, and settings.
 */

type Setup = { storage: Awaited<ReturnType<BrowserContext["storageState"]>>; privateRoom: string; groupRoom: string };
let setup: Setup;

test.beforeAll(async ({ browser }) => {
  test.setTimeout(90_000);
  const alice = await newUser(browser, "axa", "Ada Axe");
  const bob = await newUser(browser, "axb", "Bo Axe");
  await startPrivateChat(alice.page, bob.username, "Bo Axe");
  const privateRoom = alice.page.url();
  await send(alice.page, "Hello Bo, the report is ready 📄");
  await send(alice.page, "รายงานเสร็จแล้ว ส่งให้ทีมได้เลย");
  await createGroup(alice.page, "Launch crew", [bob.username]);
  const groupRoom = alice.page.url();
  // Markdown: what the list shows is the rendering.
  await alice.page.getByTestId("message-input").fill("**Launch** at 10:00, see `notes.md`");
  await alice.page.getByTestId("message-input").press("Enter");
  await expect(alice.page.getByTestId("message").filter({ hasText: "Launch at 10:00, see notes.md" })).toBeVisible();
  await send(alice.page, "พรุ่งนี้ประชุมกี่โมง");
  setup = { storage: await alice.context.storageState(), privateRoom, groupRoom };
  await alice.context.close();
  await bob.context.close();
});

const themes = ["light", "dark"] as const;
const languages = ["en", "th"] as const;
const sizes = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } } as const;

async function contextFor(browser: Browser, theme: string, lang: string, size: keyof typeof sizes, loggedIn: boolean) {
  const context = await browser.newContext({
    viewport: sizes[size],
    colorScheme: theme as "light" | "dark",
    storageState: loggedIn ? setup.storage : undefined,
  });
  const url = test.info().project.use.baseURL ?? "http://127.0.0.1:3300";
  await context.addCookies([
    { name: "confab_theme", value: theme, url },
    { name: "confab_lang", value: lang, url },
  ]);
  return context;
}

/** axe's findings on the page as it is now, one line each (every screen is scanned before the test judges). */
async function violations(page: Page, screen: string): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  return results.violations.map(
    (v) => `${screen}: ${v.id} (${v.impact}) — ${v.nodes.map((n) => n.target.join(" ")).slice(0, 4).join(", ")}`,
  );
}

for (const theme of themes) {
  for (const lang of languages) {
    for (const size of Object.keys(sizes) as (keyof typeof sizes)[]) {
      test(`axe: no violations, ${theme} theme, ${lang}, ${size}`, async ({ browser }) => {
        test.setTimeout(120_000);
        const found: string[] = [];
        const visitor = await contextFor(browser, theme, lang, size, false);
        const page = await visitor.newPage();
        for (const path of ["/login", "/register"]) {
          await page.goto(path);
          await hydrated(page);
          await expect(page.locator("html")).toHaveAttribute("lang", lang);
          found.push(...(await violations(page, path)));
        }
        await visitor.close();

        const member = await contextFor(browser, theme, lang, size, true);
        const chat = await member.newPage();
        await chat.goto("/chat");
        await hydrated(chat);
        await expect(chat.getByTestId("room-item").first()).toBeVisible();
        found.push(...(await violations(chat, "chat list")));
        await chat.getByTestId("new-chat").click();
        await expect(chat.getByTestId("new-chat-dialog").getByTestId("user-search")).toBeFocused();
        found.push(...(await violations(chat, "new chat dialog")));
        await chat.keyboard.press("Escape");

        for (const [screen, url] of [
          ["private room", setup.privateRoom],
          ["group room", setup.groupRoom],
        ]) {
          await chat.goto(url);
          await hydrated(chat);
          await expect(chat.getByTestId("message").first()).toBeVisible();
          found.push(...(await violations(chat, screen)));
        }

        // Search, open with a result.
        await chat.getByTestId("message-input").focus();
        await chat.keyboard.press("Control+k");
        await chat.getByTestId("search-input").pressSequentially("report");
        await expect(chat.getByTestId("search-result").first()).toBeVisible();
        found.push(...(await violations(chat, "search")));

        await chat.goto("/settings");
        await hydrated(chat);
        found.push(...(await violations(chat, "settings")));
        await member.close();
        expect(found, "axe violations").toEqual([]);
      });
    }
  }
}
