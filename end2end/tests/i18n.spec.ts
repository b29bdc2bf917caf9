import { expect, Page } from "@playwright/test";
import * as fs from "node:fs";
import * as path from "node:path";
import { createGroup, hydrated, login, newUser, register, send, startPrivateChat, test, uniqueName } from "./helpers";

/** Every string of one language's catalogue, by namespace-qualified key. */
function catalogue(lang: string): Map<string, string> {
  const dir = path.resolve(__dirname, "../../app/locales", lang);
  const out = new Map<string, string>();
  const walk = (prefix: string, value: unknown) => {
    if (typeof value === "string") out.set(prefix, value);
    else if (value && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) walk(prefix ? `${prefix}.${k}` : k, v);
    }
  };
  for (const file of fs.readdirSync(dir)) walk(file.replace(/\.json$/, ""), JSON.parse(fs.readFileSync(path.join(dir, file), "utf8")));
  return out;
}

const en = catalogue("en");
const th = catalogue("th");

/** English strings a Thai screen must not show: each one that Thai says differently, as a pattern. */
const englishOnly: { key: string; pattern: RegExp }[] = [...en.entries()]
  .filter(([key, value]) => th.get(key) !== value && /[A-Za-z]{2}/.test(value.replace(/\{\{[^}]*\}\}/g, "")))
  .map(([key, value]) => {
    const parts = value.split(/\{\{[^}]*\}\}/).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
    return { key, pattern: new RegExp(`^${parts.join(".+")}$`, "s") };
  });

/** What the page says: visible text nodes and the names given to controls. */
async function screenStrings(page: Page, lang = "th"): Promise<string[]> {
  return page.evaluate((lang) => {
    const out: string[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const parent = node.parentElement;
      // User content, and words deliberately in another language ("English" in the language choice).
      if (!parent || parent.closest("script, style, template, .md, .text, [data-user-content]")) continue;
      if (parent.closest("[lang]")?.getAttribute("lang") !== lang) continue;
      const text = (node.textContent ?? "").trim();
      if (text) out.push(text);
    }
    for (const el of document.querySelectorAll("[aria-label], [placeholder], [title], [alt]")) {
      if (el.closest("[lang]")?.getAttribute("lang") !== lang) continue;
      for (const attr of ["aria-label", "placeholder", "title", "alt"]) {
        const v = el.getAttribute(attr)?.trim();
        if (v) out.push(v);
      }
    }
    return out;
  }, lang);
}

async function expectNoEnglish(page: Page, screen: string) {
  const strings = await screenStrings(page);
  const english = strings.flatMap((s) => englishOnly.filter(({ pattern }) => pattern.test(s)).map(({ key }) => `${screen}: "${s}" (${key})`));
  expect(english, `English UI strings on the Thai ${screen}`).toEqual([]);
}

test("the server renders the chosen language: the cookie, then Accept-Language", async ({ request }) => {
  const logIn = { en: en.get("auth.log_in") ?? "Log in", th: th.get("auth.log_in") ?? "" };
  expect(logIn.th, "auth.log_in is the login button").toMatch(/[\u0E00-\u0E7F]/);

  const english = await (await request.get("/login", { headers: { "Accept-Language": "en-US,en;q=0.9" } })).text();
  expect(english).toMatch(/<html[^>]*lang="en"/);
  expect(english).toContain(logIn.en);

  // No JavaScript involved: the HTML itself is Thai.
  const byHeader = await (await request.get("/login", { headers: { "Accept-Language": "th-TH,th;q=0.9,en;q=0.5" } })).text();
  expect(byHeader).toMatch(/<html[^>]*lang="th"/);
  expect(byHeader).toContain(logIn.th);
  expect(byHeader).toContain(`<meta name="description" content="${th.get("common.meta_description")}"`);

  const byCookie = await (
    await request.get("/login", { headers: { "Accept-Language": "en-US", Cookie: "confab_lang=th" } })
  ).text();
  expect(byCookie).toMatch(/<html[^>]*lang="th"/);
  expect(byCookie).toContain(logIn.th);
});

test("a Thai screen shows no English UI string; dates and times are Thai and in the reader's zone", async ({
  browser,
  expectConsoleError,
}) => {
  test.setTimeout(90_000);
  // The refused registration at the end: the browser logs the refusal.
  expectConsoleError(/status of 422/);
  const alice = await newUser(browser, "tha", "Tha");
  const bob = await newUser(browser, "thb", "Thb");
  await startPrivateChat(alice.page, bob.username, "Thb");
  await send(alice.page, "สวัสดีครับ");
  await createGroup(alice.page, "ทีมงาน", [bob.username]);
  await send(alice.page, "ประชุม 10 โมง");
  const group = alice.page.url();

  // The check finds English where there is English: the same room in English trips it often.
  const onEnglishScreen = (await screenStrings(alice.page, "en")).filter((s) => englishOnly.some(({ pattern }) => pattern.test(s)));
  expect(onEnglishScreen.length, "English strings on the English screen").toBeGreaterThan(10);

  const storage = await alice.context.storageState();
  const thai = await browser.newContext({ storageState: storage, locale: "th-TH", timezoneId: "Asia/Bangkok" });
  const url = test.info().project.use.baseURL ?? "http://127.0.0.1:3300";
  await thai.addCookies([{ name: "confab_lang", value: "th", url }]);
  const page = await thai.newPage();
  await page.goto(group);
  await hydrated(page);
  await expect(page.locator("html")).toHaveAttribute("lang", "th");
  const message = page.getByTestId("message").filter({ hasText: "ประชุม 10 โมง" });
  await expect(message).toBeVisible();
  await expectNoEnglish(page, "group room");

  // The page was rendered in the zone the browser had kept (this account's first browser's);
  // this browser keeps its own, and the next page is in it.
  await expect.poll(async () => (await thai.cookies()).find((c) => c.name === "confab_tz")?.value).toBe("Asia/Bangkok");
  await page.reload();
  await hydrated(page);
  await expect(message).toBeVisible();
  // The time is Bangkok's wall clock, 24-hour, as Thai readers write it.
  const bangkok = new Intl.DateTimeFormat("en-GB", { timeZone: "Asia/Bangkok", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  const now = Date.now();
  const candidates = [now - 60_000, now, now + 60_000].map((t) => bangkok.format(t));
  const shown = await message.locator("time").first().textContent();
  expect(candidates, `shown time ${shown}`).toContain(shown?.trim());

  // (The server's side of the same zone, jiff's, is the unit test `time::a_zone_moves_the_wall_clock`.)

  for (const screen of ["/chat", "/settings"]) {
    await page.goto(screen);
    await hydrated(page);
    await expectNoEnglish(page, screen);
  }
  // Search, open with its results.
  await page.goto(group);
  await hydrated(page);
  await page.getByTestId("message-input").focus();
  await page.keyboard.press("Control+k");
  await page.getByTestId("search-input").pressSequentially("ประชุม");
  await expect(page.getByTestId("search-result").first()).toBeVisible();
  await expectNoEnglish(page, "search");
  await page.keyboard.press("Escape");

  // The emoji picker names emoji in Thai (CLDR's names) and finds them by Thai words.
  await message.hover();
  await message.getByTestId("add-reaction").click();
  const picker = page.getByTestId("emoji-picker");
  await picker.getByTestId("emoji-search").fill("ยิ้ม");
  await expect(picker.getByRole("option", { name: "หน้ายิ้มตายิ้ม และอ้าปาก" })).toBeVisible();
  await expectNoEnglish(page, "emoji picker");
  await page.keyboard.press("Escape");

  // And before logging in.
  const visitor = await browser.newContext({ locale: "th-TH" });
  const door = await visitor.newPage();
  for (const screen of ["/login", "/register"]) {
    await door.goto(screen);
    await hydrated(door);
    await expect(door.locator("html")).toHaveAttribute("lang", "th");
    await expectNoEnglish(door, screen);
  }
  // A refused form says why in Thai, every field's problem at once.
  await door.locator('input[name="username"]').fill("a!");
  await door.locator('input[name="password"]').fill("x");
  await door.locator('button[type="submit"]').click();
  await expect(door.getByRole("alert")).toContainText("ชื่อผู้ใช้ต้องยาว 3 ถึง 32 ตัวอักษร");
  await expect(door.getByRole("alert")).toContainText("รหัสผ่านต้องมีอย่างน้อย 8 ตัวอักษร");
  await expectNoEnglish(door, "register, refused");
  await visitor.close();
  await thai.close();
  await alice.context.close();
  await bob.context.close();
});

test("the language is chosen in settings, switches at once and follows the account to another browser", async ({
  browser,
}) => {
  const alice = await newUser(browser, "lng", "Lng");
  const page = alice.page;
  await page.goto("/settings");
  await hydrated(page);
  await expect(page.locator("html")).toHaveAttribute("lang", "en");
  await page.getByTestId("language-choices").getByLabel("ไทย").check();
  await expect(page.locator("html")).toHaveAttribute("lang", "th");
  const settingsTitleTh = th.get("settings.title") ?? "";
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(settingsTitleTh);
  await page.reload();
  await expect(page.locator("html")).toHaveAttribute("lang", "th");

  // A new browser with an English Accept-Language takes Thai from the account at login.
  const other = await browser.newContext({ locale: "en-US" });
  const second = await other.newPage();
  await login(second, alice.username);
  await expect(second).toHaveURL(/\/chat$/);
  await second.reload();
  await expect(second.locator("html")).toHaveAttribute("lang", "th");
  await other.close();
  await alice.context.close();
});

test("times are in the reader's time zone from the first page, with no zone cookie yet or last trip's", async ({
  browser,
}) => {
  const context = await browser.newContext({ timezoneId: "Asia/Bangkok" });
  const page = await context.newPage();
  await register(page, uniqueName("tza"), "Tza");
  const bob = await newUser(browser, "tzb", "Tzb");
  await startPrivateChat(page, bob.username, "Tzb");
  await send(page, "what time is it");
  const room = page.url();
  const time = page.getByTestId("message").last().locator(".meta time");
  // The time as a reader in Bangkok (UTC+7 all year) expects it, from the instant it stands for.
  const inBangkok = async () =>
    page.evaluate((iso) => {
      const parts = new Intl.DateTimeFormat("en-US", {
        timeZone: "Asia/Bangkok",
        hour: "numeric",
        minute: "numeric",
        hourCycle: "h23",
      }).formatToParts(new Date(iso!));
      const hour = Number(parts.find((p) => p.type === "hour")!.value);
      const minute = parts.find((p) => p.type === "minute")!.value.padStart(2, "0");
      return `${hour % 12 || 12}:${minute} ${hour < 12 ? "AM" : "PM"}`;
    }, await time.getAttribute("datetime"));
  await expect(time).toHaveText(await inBangkok());
  // A first visit straight to the room (the server has no zone and writes UTC), then a visit
  // after a trip (the cookie still says New York).
  for (const stale of [undefined, "America/New_York"]) {
    await context.clearCookies({ name: "confab_tz" });
    if (stale) await context.addCookies([{ name: "confab_tz", value: stale, domain: new URL(room).hostname, path: "/" }]);
    await page.goto(room);
    await hydrated(page);
    await expect(time).toHaveText(await inBangkok());
  }
  expect((await context.cookies()).find((c) => c.name === "confab_tz")?.value).toBe("Asia/Bangkok");
  await context.close();
  await bob.context.close();
});
