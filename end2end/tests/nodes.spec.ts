import { expect } from "@playwright/test";
import { register, test, uniqueName } from "./helpers";

// Two nodes on one PostgreSQL (started by playwright.config.ts): one person on each chats in
// real time, typing included.
const base = Number(process.env.CONFAB_E2E_PORT ?? 3300);
const nodeA = `http://127.0.0.1:${base + 1}`;
const nodeB = `http://127.0.0.1:${base + 2}`;

test("two browsers on two different nodes chat in real time", async ({ browser }) => {
  const alice = await (await browser.newContext({ baseURL: nodeA })).newPage();
  const bob = await (await browser.newContext({ baseURL: nodeB })).newPage();
  const aliceName = uniqueName("nal");
  const bobName = uniqueName("nbo");
  await register(alice, aliceName, "Nal");
  await register(bob, bobName, "Nbo");
  await expect(alice.getByTestId("connection")).toHaveText("Connected");
  await expect(bob.getByTestId("connection")).toHaveText("Connected");

  await alice.getByTestId("new-chat").click();
  await alice.getByTestId("user-search").fill(bobName);
  await alice.getByTestId("user-result").filter({ hasText: bobName }).getByRole("button").first().click();
  await expect(alice.getByTestId("room-title")).toHaveText("Nbo");

  // Bob, on the other node, hears of the room and opens it.
  const item = bob.getByTestId("room-item").filter({ hasText: "Nal" });
  await expect(item).toBeVisible();
  await item.getByRole("link").click();
  await expect(bob.getByTestId("room-title")).toHaveText("Nal");

  // Presence crosses nodes.
  await expect(alice.getByTestId("member").filter({ hasText: "Nbo" }).getByTestId("presence-dot")).toHaveClass(/online/);

  const say = async (page: typeof alice, text: string) => {
    const input = page.getByTestId("message-input");
    await input.fill(text);
    await input.press("Enter");
  };
  await say(alice, "hello from node A");
  await expect(bob.getByTestId("message-list")).toContainText("hello from node A");
  await bob.getByTestId("message-input").fill("typing on node B");
  await expect(alice.getByTestId("typing")).toHaveText("Nbo is typing…");
  await bob.getByTestId("message-input").press("Enter");
  await expect(alice.getByTestId("message-list")).toContainText("typing on node B");
  await expect(alice.getByTestId("typing")).toHaveText("");
  for (let i = 0; i < 5; i++) {
    await say(i % 2 ? bob : alice, `ping ${i}`);
  }
  for (const page of [alice, bob]) {
    await expect(page.getByTestId("message").filter({ hasText: "ping 4" })).toBeVisible();
    const texts = (await page.getByTestId("message").allInnerTexts()).join("\n");
    expect(texts).toMatch(/hello from node A[\s\S]*typing on node B[\s\S]*ping 0[\s\S]*ping 1[\s\S]*ping 2[\s\S]*ping 3[\s\S]*ping 4/);
  }
  await alice.context().close();
  await bob.context().close();
});
