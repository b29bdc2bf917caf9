import { expect } from "@playwright/test";
import { hydrated, test } from "./helpers";

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
