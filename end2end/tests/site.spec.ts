import { expect } from "@playwright/test";
import { hydrated, newUser, test } from "./helpers";

// The server under test runs from a directory holding nothing but its data (see
// playwright.config.ts): every file the browser loads comes from inside the binary.
test("the site is served from the binary, precompressed, revalidated and confined", async ({ page, request }) => {
  await page.goto("/login");
  await hydrated(page);

  const wasm = "/pkg/confab.wasm";
  const br = await request.get(wasm, { headers: { "accept-encoding": "br" } });
  expect(br.status()).toBe(200);
  expect(br.headers()["content-encoding"]).toBe("br");
  expect(br.headers()["content-type"]).toBe("application/wasm");
  expect(br.headers()["cache-control"]).toBe("no-cache");
  expect(br.headers()["vary"]).toContain("accept-encoding");
  const etag = br.headers()["etag"];
  expect(etag).toMatch(/^"[0-9a-f]{32}-br"$/);

  const gzip = await request.get(wasm, { headers: { "accept-encoding": "gzip, br;q=0" } });
  expect(gzip.headers()["content-encoding"]).toBe("gzip");

  const plain = await request.get(wasm, { headers: { "accept-encoding": "identity" } });
  expect(plain.headers()["content-encoding"]).toBeUndefined();
  const body = await plain.body();
  // WebAssembly's magic number.
  expect([...body.subarray(0, 4)]).toEqual([0x00, 0x61, 0x73, 0x6d]);

  const again = await request.get(wasm, { headers: { "accept-encoding": "br", "if-none-match": etag } });
  expect(again.status()).toBe(304);

  const icon = await request.get("/favicon.svg", { headers: { "accept-encoding": "identity" } });
  expect(icon.status()).toBe(200);
  expect(icon.headers()["content-type"]).toBe("image/svg+xml");
  expect(icon.headers()["cache-control"]).toBe("public, max-age=3600");

  for (const outside of ["/%2e%2e/Cargo.toml", "/pkg/%2e%2e/%2e%2e/Cargo.toml", "/pkg/nothing.js"]) {
    expect((await request.get(outside)).status(), outside).toBe(404);
  }
  expect((await request.post("/favicon.svg")).status()).toBe(404);
});

// Rarely used screens are chunks of their own (see `app/src/lazy.rs`): a room page loads
// only the main WASM; the first opening of a dialog or of the settings page fetches its chunk.
test("rarely used screens load their own WASM chunks on first use", async ({ browser }) => {
  const { context, page } = await newUser(browser, "chunks", "Chunks");
  const wasm: string[] = [];
  page.on("request", (r) => {
    const path = new URL(r.url()).pathname;
    if (path.endsWith(".wasm")) wasm.push(path);
  });
  await page.reload();
  await hydrated(page);
  expect(wasm).toEqual(["/pkg/confab.wasm"]);

  await page.getByTestId("new-chat").click();
  const search = page.getByTestId("new-chat-dialog").getByTestId("user-search");
  await expect(search).toBeFocused();
  expect(wasm.some((p) => /^\/pkg\/split_new_chat_dialog\.wasm$/.test(p))).toBe(true);
  await search.fill("someone");
  await page.getByTestId("new-chat-dialog").getByRole("button", { name: "Cancel" }).click();
  await expect(page.getByTestId("new-chat-dialog")).toHaveCount(0);
  // Closed means unmounted: it opens again afresh, and its chunk is not fetched twice.
  await page.getByTestId("new-chat").click();
  await expect(search).toBeFocused();
  await expect(search).toHaveValue("");
  expect(wasm.filter((p) => p.includes("split_new_chat_dialog"))).toHaveLength(1);
  await page.keyboard.press("Escape");

  await page.getByTestId("user-menu").click();
  await page.getByTestId("settings-link").click();
  await expect(page).toHaveURL(/\/settings$/);
  await expect(page.getByTestId("profile-form")).toBeVisible();
  expect(wasm.some((p) => /^\/pkg\/split_settings_page\.wasm$/.test(p))).toBe(true);

  // A direct load: the server renders the page around a placeholder, and the forms arrive with
  // their chunk once the page has hydrated.
  wasm.length = 0;
  await page.reload();
  await hydrated(page);
  await page.getByTestId("theme-choices").getByLabel("Dark").check();
  await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
  expect(wasm[0]).toBe("/pkg/confab.wasm");
  expect(wasm.filter((p) => p.includes("/split_"))).toEqual(["/pkg/split_settings_page.wasm"]);
  await context.close();
});

test("a screen whose chunk cannot be fetched says so and offers a reload; the next try loads it", async ({
  browser,
  expectConsoleError,
}) => {
  // The blocked request, and the loader's report of it.
  expectConsoleError(/Failed to load resource|Failed to fetch/);
  const { context, page } = await newUser(browser, "chunkfail", "Chunk Fail");
  const chunk = /\/pkg\/split_new_chat_dialog\.wasm$/;
  await page.route(chunk, (route) => route.abort());
  await page.getByTestId("new-chat").click();
  const error = page.getByTestId("chunk-error");
  await expect(error.getByRole("alert")).toContainText("Reload the page to continue");
  await expect(error.getByRole("button", { name: "Reload" })).toBeFocused();
  await error.getByRole("button", { name: "Close" }).click();
  await expect(error).toHaveCount(0);

  await page.unroute(chunk);
  await page.getByTestId("new-chat").click();
  await expect(page.getByTestId("new-chat-dialog").getByTestId("user-search")).toBeFocused();
  await context.close();
});
