import { Browser, expect, Page } from "@playwright/test";
import * as zlib from "node:zlib";
import { newUser, openRoomFromSidebar, startPrivateChat, test } from "./helpers";

// The e2e server runs with a 1 MiB upload limit (see playwright.config.ts), so "too large" is
// cheap to provoke.

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (const b of data) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A real RGB PNG of noise (which does not compress, so its size is about 3 bytes a pixel). */
function png(width: number, height: number, seed = 1): Buffer {
  let state = seed;
  const random = () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state >> 16;
  };
  const rows = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    rows[row] = 0;
    for (let i = 1; i <= width * 3; i++) rows[row + i] = random() & 0xff;
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", zlib.deflateSync(rows)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

const PDF = Buffer.from(
  "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n" +
    "trailer << /Root 1 0 R >>\n%%EOF\n",
);

async function privateRoom(browser: Browser, a: string, b: string) {
  const alice = await newUser(browser, a, a.toUpperCase());
  const bob = await newUser(browser, b, b.toUpperCase());
  await startPrivateChat(alice.page, bob.username, bob.display);
  await openRoomFromSidebar(bob.page, alice.display);
  return { alice, bob };
}

/** Pastes files into the composer as the browser does for a screenshot or copied files. */
async function paste(page: Page, files: { name: string; type: string; bytes: Buffer }[]) {
  await page.getByTestId("message-input").evaluate((el, files) => {
    const data = new DataTransfer();
    for (const f of files) data.items.add(new File([new Uint8Array(f.bytes)], f.name, { type: f.type }));
    el.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
  }, files.map((f) => ({ ...f, bytes: [...f.bytes] })));
}

/** Whether an image has loaded (a broken one has no natural width). */
async function loaded(img: ReturnType<Page["locator"]>): Promise<boolean> {
  return img.evaluate((el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth > 0);
}

test("images sent from the picker and by paste show progress, reach the other side and open full size", async ({
  browser,
}) => {
  test.setTimeout(90_000);
  const { alice, bob } = await privateRoom(browser, "pic", "pix");

  // A slow uplink, so the upload's progress is there to be seen.
  const cdp = await alice.context.newCDPSession(alice.page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: 150 * 1024,
  });

  // The picker: the file waits in the tray, with its thumbnail, until the message is sent.
  const photo = png(400, 300, 7);
  await alice.page.getByTestId("file-input").setInputFiles({ name: "photo.png", mimeType: "image/png", buffer: photo });
  const tray = alice.page.getByTestId("attach-tray");
  await expect(tray.getByTestId("attached-file")).toHaveCount(1);
  await expect(tray).toContainText("photo.png");
  await expect(tray.locator("img")).toHaveCount(1);
  const input = alice.page.getByTestId("message-input");
  await expect(input).toHaveAttribute("placeholder", /caption/);
  await input.fill("The view from here");
  // The highest value any progress bar shows, however briefly.
  await alice.page.evaluate(() => {
    const w = window as unknown as { maxProgress: number };
    w.maxProgress = 0;
    new MutationObserver(() => {
      for (const bar of document.querySelectorAll<HTMLProgressElement>("[data-testid=upload-progress]")) {
        w.maxProgress = Math.max(w.maxProgress, bar.value);
      }
    }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["value"] });
  });
  await input.press("Enter");
  await expect(tray).toHaveCount(0);

  await expect(alice.page.getByTestId("upload-progress")).toBeVisible();
  await expect(alice.page.getByTestId("upload")).toHaveCount(0, { timeout: 30_000 });
  expect(await alice.page.evaluate(() => (window as unknown as { maxProgress: number }).maxProgress)).toBeGreaterThan(0);
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: -1,
  });

  // Bob sees it without a reload: the preview in a box of the image's proportions, the caption.
  const bobImages = bob.page.getByTestId("message-list").getByTestId("image-preview");
  await expect(bobImages).toHaveCount(1);
  const first = bobImages.first();
  await expect(first).toHaveAttribute("alt", "photo.png");
  await expect(first).toHaveAttribute("width", "400");
  await expect(first).toHaveAttribute("height", "300");
  await expect(first).toHaveAttribute("loading", "lazy");
  await expect.poll(() => loaded(first)).toBe(true);
  await expect(bob.page.getByTestId("message-list")).toContainText("The view from here");

  // A paste: straight into the tray; sent without a caption.
  await paste(alice.page, [{ name: "screenshot.png", type: "image/png", bytes: png(64, 48, 3) }]);
  await expect(alice.page.getByTestId("attached-file")).toContainText("screenshot.png");
  await input.press("Enter");
  await expect(bobImages).toHaveCount(2);
  await expect.poll(() => loaded(bobImages.nth(1))).toBe(true);
  await expect(alice.page.getByTestId("message-list").getByTestId("image-preview")).toHaveCount(2);

  // The lightbox: full size, arrows between the room's images, Escape gives focus back.
  const opener = bob.page.getByTestId("image-open").first();
  await opener.click();
  const lightbox = bob.page.getByRole("dialog", { name: "Image viewer" });
  await expect(lightbox).toBeVisible();
  await expect(lightbox).toContainText("1 of 2");
  const full = lightbox.getByTestId("lightbox-image");
  await expect(full).toHaveAttribute("alt", "photo.png");
  await expect.poll(() => loaded(full)).toBe(true);
  expect(await full.evaluate((el) => (el as HTMLImageElement).naturalWidth)).toBe(400);
  await bob.page.keyboard.press("ArrowRight");
  await expect(lightbox).toContainText("2 of 2");
  await expect(full).toHaveAttribute("alt", "screenshot.png");
  await bob.page.keyboard.press("ArrowLeft");
  await expect(full).toHaveAttribute("alt", "photo.png");
  await bob.page.keyboard.press("Escape");
  await expect(lightbox).toHaveCount(0);
  await expect(opener).toBeFocused();

  await alice.context.close();
  await bob.context.close();
});

test("a file with a Thai name downloads under its name and deletes to a tombstone; one over the limit says so", async ({
  browser,
  expectConsoleError,
}) => {
  test.setTimeout(60_000);
  // The browser logs the refused upload's 413 as a failed resource.
  expectConsoleError(/413|Payload Too Large/);
  const { alice, bob } = await privateRoom(browser, "doc", "dox");

  await alice.page
    .getByTestId("file-input")
    .setInputFiles({ name: "รายงาน.pdf", mimeType: "application/pdf", buffer: PDF });
  await alice.page.getByTestId("message-input").press("Enter");

  const card = bob.page.getByTestId("file-card");
  await expect(card).toBeVisible();
  await expect(card).toContainText("รายงาน.pdf");
  await expect(card).toContainText(/PDF · \d+ B/);
  const [download] = await Promise.all([bob.page.waitForEvent("download"), card.getByTestId("download").click()]);
  expect(download.suggestedFilename()).toBe("รายงาน.pdf");
  const path = await download.path();
  expect(path).toBeTruthy();

  // Deleting the message leaves the usual tombstone in its place, for both.
  const mine = alice.page.getByTestId("message").filter({ has: alice.page.getByTestId("file-card") });
  await mine.hover();
  await mine.getByTestId("message-actions").getByRole("button", { name: "Delete" }).click();
  await alice.page.getByRole("dialog", { name: "Delete message" }).getByRole("button", { name: "Delete" }).click();
  await expect(bob.page.getByTestId("tombstone")).toBeVisible();
  await expect(card).toHaveCount(0);

  // Over the server's limit: the server's words on the file's row, then Discard.
  await alice.page
    .getByTestId("file-input")
    .setInputFiles({ name: "huge.bin", mimeType: "application/octet-stream", buffer: Buffer.alloc(1536 * 1024, 1) });
  await alice.page.getByTestId("message-input").press("Enter");
  const failed = alice.page.getByTestId("upload").filter({ hasText: "huge.bin" });
  await expect(failed.getByTestId("upload-error")).toHaveText(/at most 1\.0 MB/);
  await expect(failed.getByRole("button", { name: "Retry" })).toHaveCount(0);
  await failed.getByRole("button", { name: "Discard" }).click();
  await expect(failed).toHaveCount(0);
  await expect(bob.page.getByTestId("message-list")).not.toContainText("huge.bin");

  await alice.context.close();
  await bob.context.close();
});

test("files dropped on the room wait in the tray and can be taken out", async ({ browser }) => {
  const alice = await newUser(browser, "drp", "Drp");
  const bob = await newUser(browser, "drq", "Drq");
  await startPrivateChat(alice.page, bob.username, "Drq");

  const room = alice.page.getByTestId("chat-room");
  const data = await alice.page.evaluateHandle(() => {
    const dt = new DataTransfer();
    dt.items.add(new File(["hello"], "notes.txt", { type: "text/plain" }));
    dt.items.add(new File(["a,b\n1,2\n"], "ตาราง.csv", { type: "text/csv" }));
    return dt;
  });
  await room.dispatchEvent("dragenter", { dataTransfer: data });
  await expect(alice.page.getByTestId("drop-overlay")).toBeVisible();
  await room.dispatchEvent("drop", { dataTransfer: data });
  await expect(alice.page.getByTestId("drop-overlay")).toHaveCount(0);
  const tray = alice.page.getByTestId("attached-file");
  await expect(tray).toHaveText([/notes\.txt/, /ตาราง\.csv/]);
  await alice.page.getByRole("button", { name: "Remove notes.txt" }).click();
  await expect(tray).toHaveText([/ตาราง\.csv/]);
  await alice.page.getByRole("button", { name: "Remove ตาราง.csv" }).click();
  await expect(alice.page.getByTestId("attach-tray")).toHaveCount(0);

  await alice.context.close();
  await bob.context.close();
});

test("several files post in the order they were chosen, the caption with the first", async ({ browser }) => {
  const { alice, bob } = await privateRoom(browser, "ord", "orx");
  // The first is the largest: sent side by side, it would be stored last.
  const files = [
    { name: "order1.txt", mimeType: "text/plain", buffer: Buffer.alloc(600 * 1024, "a") },
    ...[2, 3, 4, 5].map((n) => ({ name: `order${n}.txt`, mimeType: "text/plain", buffer: Buffer.from(`file ${n}`) })),
  ];
  await alice.page.getByTestId("file-input").setInputFiles(files);
  await alice.page.getByTestId("message-input").fill("the whole set");
  await alice.page.getByTestId("message-input").press("Enter");
  const cards = bob.page.getByTestId("message-list").getByTestId("file-card");
  await expect(cards).toHaveCount(5);
  await expect(cards).toHaveText([/order1\.txt/, /order2\.txt/, /order3\.txt/, /order4\.txt/, /order5\.txt/]);
  const first = bob.page.getByTestId("message").filter({ hasText: "order1.txt" });
  await expect(first).toContainText("the whole set");
  await alice.context.close();
  await bob.context.close();
});

test("a file named like a picture that is not one shows the file icon, and its card says what it is", async ({
  browser,
}) => {
  const { alice, bob } = await privateRoom(browser, "mis", "miz");
  // The browser takes the type from the name: a PDF named .jpg gets a thumbnail that fails.
  await alice.page.getByTestId("file-input").setInputFiles({ name: "image.jpg", mimeType: "image/jpeg", buffer: PDF });
  const attached = alice.page.getByTestId("attached-file");
  await expect(attached.locator("svg.file-icon")).toBeVisible();
  await expect(attached.locator("img")).toHaveCount(0);
  await alice.page.getByTestId("message-input").press("Enter");
  // The server sniffed a PDF: a file card, labelled by what the bytes are.
  const card = bob.page.getByTestId("message-list").getByTestId("file-card");
  await expect(card).toContainText("image.jpg");
  await expect(card).toContainText("PDF ·");
  await alice.context.close();
  await bob.context.close();
});

test("a cancelled upload leaves nothing behind; a failed one is retried into one message", async ({
  browser,
  expectConsoleError,
}) => {
  test.setTimeout(60_000);
  expectConsoleError(/ERR_INTERNET_DISCONNECTED|ERR_NETWORK|Failed to load resource/);
  const { alice, bob } = await privateRoom(browser, "can", "cax");
  const cdp = await alice.context.newCDPSession(alice.page);
  await cdp.send("Network.enable");
  const conditions = (offline: boolean, uploadThroughput: number) =>
    cdp.send("Network.emulateNetworkConditions", { offline, latency: 0, downloadThroughput: -1, uploadThroughput });

  // Cancel while it is still sending.
  await conditions(false, 20 * 1024);
  await alice.page
    .getByTestId("file-input")
    .setInputFiles({ name: "slow.png", mimeType: "image/png", buffer: png(300, 300, 5) });
  await alice.page.getByTestId("message-input").press("Enter");
  const row = alice.page.getByTestId("upload").filter({ hasText: "slow.png" });
  await expect(row.getByTestId("upload-progress")).toBeVisible();
  await row.getByRole("button", { name: "Cancel" }).click();
  await expect(row).toHaveCount(0);

  // Offline: the upload fails and says why; back online, Retry sends it once.
  await conditions(true, -1);
  await alice.page
    .getByTestId("file-input")
    .setInputFiles({ name: "retry.png", mimeType: "image/png", buffer: png(40, 30, 9) });
  await alice.page.getByTestId("message-input").press("Enter");
  const failed = alice.page.getByTestId("upload").filter({ hasText: "retry.png" });
  await expect(failed.getByTestId("upload-error")).toContainText("connection");
  await conditions(false, -1);
  await expect(alice.page.getByTestId("connection")).toHaveText("Connected", { timeout: 20_000 });
  await failed.getByRole("button", { name: "Retry" }).click();
  await expect(failed).toHaveCount(0);

  const images = bob.page.getByTestId("message-list").getByTestId("image-preview");
  await expect(images).toHaveCount(1);
  await expect(images).toHaveAttribute("alt", "retry.png");
  // Nothing else arrives: the cancelled file was never stored.
  await bob.page.reload();
  await expect(bob.page.getByTestId("message-list").getByTestId("image-preview")).toHaveCount(1);

  await alice.context.close();
  await bob.context.close();
});
