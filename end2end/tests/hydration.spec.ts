import { expect } from "@playwright/test";
import { register, test, uniqueName } from "./helpers";

// A room's URL opened directly (a reload, a shared link) must hydrate without a render
// mismatch: on a slow CPU too, every time.
test("a room URL loads 20 times with a 4x CPU throttle without a hydration panic", async ({ browser }) => {
  test.setTimeout(180_000);
  const alice = await (await browser.newContext()).newPage();
  const bob = await (await browser.newContext()).newPage();
  const bobName = uniqueName("hbo");
  await register(bob, bobName, "Hbo");
  await register(alice, uniqueName("hal"), "Hal");
  await alice.getByTestId("new-chat").click();
  await alice.getByTestId("user-search").fill(bobName);
  await alice.getByTestId("user-result").filter({ hasText: bobName }).getByRole("button", { name: "Message Hbo" }).or(
    alice.getByTestId("user-result").filter({ hasText: bobName }).getByRole("button", { name: "Message" }),
  ).first().click();
  await expect(alice.getByTestId("room-title")).toHaveText("Hbo");
  const input = alice.getByTestId("message-input");
  for (let i = 0; i < 60; i++) {
    await input.fill(`message ${i}`);
    await input.press("Enter");
  }
  await expect(alice.getByTestId("message").filter({ hasText: "message 59" })).toBeVisible();
  const url = alice.url();

  const panics: string[] = [];
  alice.on("console", (msg) => {
    if (/panicked|unreachable/.test(msg.text())) panics.push(msg.text());
  });
  const cdp = await alice.context().newCDPSession(alice);
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: 4 });
  for (let i = 0; i < 20; i++) {
    await alice.goto(url);
    await alice.waitForFunction(() => (window as any).__confab_hydrated === true);
    await expect(alice.getByTestId("message").filter({ hasText: "message 59" })).toBeVisible();
  }
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: 1 });
  expect(panics).toEqual([]);
});
