// A long room in Chromium (run by .ci/scroll.sh; a measurement, not a test): seeds a private
// room with N messages over the HTTP API, opens it logged in, scrolls up to the room's first
// message, then reads it all back down to the live end at a steady wheel pace, and prints what
// the page's main thread did meanwhile: frame intervals, long tasks, and how long a message
// arriving at the bottom takes to show. (The list holds a window of rows: pages come in at one
// end and leave at the other.)
//   node end2end/scripts/scroll.mjs BASE_URL [MESSAGES]
import { chromium } from "playwright";

const [base, count = "5000"] = process.argv.slice(2);
const total = Number(count);
const password = "correct horse battery";

async function register(name) {
  const res = await fetch(`${base}/api/register`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: base },
    body: new URLSearchParams({ username: name, password }),
    redirect: "manual",
  });
  const token = /confab_session=([^;]+)/.exec(res.headers.get("set-cookie") ?? "")?.[1];
  if (!token) throw new Error(`register ${name}: ${res.status}`);
  return token;
}
async function api(token, path, body) {
  const res = await fetch(`${base}${path}`, {
    method: body ? "POST" : "GET",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", origin: base },
    body: body && JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

const suffix = Date.now().toString(36);
const alice = await register(`scroll_a_${suffix}`);
const bob = await register(`scroll_b_${suffix}`);
const bobId = (await api(bob, "/api/me")).id;
const room = (await api(alice, "/api/rooms/private", { user_id: bobId })).room.id;
const lines = [
  "วันนี้ประชุมตอนบ่ายสามโมง ห้องใหญ่ชั้นสอง",
  "The **deploy** moved to Thursday; see the `release` checklist",
  "ok 👍",
  "Can someone review https://example.com/pull/42 before lunch?\nIt is small.",
];
let sent = 0;
const seedStart = Date.now();
await Promise.all(
  Array.from({ length: 4 }, async () => {
    while (sent < total) {
      const i = sent++;
      await api(i % 3 ? alice : bob, "/api/messages/send", {
        room_id: room,
        client_id: `scroll-${i}`,
        content: `${i + 1}. ${lines[i % lines.length]}`,
      });
    }
  }),
);
console.log(`seeded ${total} messages in ${((Date.now() - seedStart) / 1000).toFixed(1)} s`);

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run"],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "en-US" });
await context.addCookies([{ name: "confab_session", value: alice, url: base }]);
const page = await context.newPage();
const errors = [];
page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
page.on("pageerror", (e) => errors.push(e.message));
await page.goto(`${base}/chat/${room}`);
const rows = page.getByTestId("message");
await rows.first().waitFor();

// Frame intervals and long tasks, collected in the page between start() and stop().
await page.evaluate(() => {
  const w = window;
  w.__probe = { frames: [], longTasks: [], script: 0, layout: 0, running: false };
  new PerformanceObserver((list) => {
    if (w.__probe.running) for (const e of list.getEntries()) w.__probe.longTasks.push(e.duration);
  }).observe({ type: "longtask", buffered: false });
  // Long animation frames split what a slow frame spent running script from what it spent
  // on style and layout.
  new PerformanceObserver((list) => {
    if (!w.__probe.running) return;
    for (const e of list.getEntries()) {
      const end = e.startTime + e.duration;
      const layoutStart = e.styleAndLayoutStart || end;
      w.__probe.layout += end - layoutStart;
      w.__probe.script += e.scripts.reduce((a, s) => a + s.duration, 0);
    }
  }).observe({ type: "long-animation-frame", buffered: false });
  w.__probeStart = () => {
    w.__probe = { frames: [], longTasks: [], script: 0, layout: 0, running: true };
    let last = performance.now();
    const tick = (now) => {
      if (!w.__probe.running) return;
      w.__probe.frames.push(now - last);
      last = now;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  };
  w.__probeStop = () => {
    w.__probe.running = false;
    return w.__probe;
  };
});
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : 0;
};
const report = (label, ms, probe) => {
  const f = probe.frames;
  const slow = f.filter((x) => x > 50).length;
  const lt = probe.longTasks;
  console.log(
    `${label}: ${(ms / 1000).toFixed(1)} s, ${f.length} frames, interval p50 ${pct(f, 50).toFixed(1)} ms, ` +
      `p95 ${pct(f, 95).toFixed(1)} ms, p99 ${pct(f, 99).toFixed(1)} ms, max ${Math.max(0, ...f).toFixed(0)} ms; ` +
      `frames over 50 ms: ${slow} (${((100 * slow) / Math.max(1, f.length)).toFixed(1)} %); ` +
      `long tasks: ${lt.length}, ${lt.reduce((a, b) => a + b, 0).toFixed(0)} ms in all, longest ${Math.max(0, ...lt).toFixed(0)} ms ` +
      `(in long frames: script ${probe.script.toFixed(0)} ms, style and layout ${probe.layout.toFixed(0)} ms)`,
  );
};

// 1. Scroll up to the room's first message (a page of 50 loads each time the top comes near).
const list = page.getByTestId("message-list");
const beginning = list.getByText("This is the beginning of the conversation.");
const live = page.getByTestId("jump-latest");
await list.hover();
let t0 = Date.now();
await page.evaluate(() => window.__probeStart());
while (!(await beginning.isVisible())) {
  await page.mouse.wheel(0, -3000);
  await page.waitForTimeout(30);
  if (Date.now() - t0 > 600_000) throw new Error(`the first message not reached after 10 min`);
}
report(`scrolling up through all ${total}`, Date.now() - t0, await page.evaluate(() => window.__probeStop()));
console.log(`rows in the page at the first message: ${await rows.count()}`);

// 2. Read it all back down to the live end at a steady pace (a wheel step a frame).
await page.evaluate(() => {
  const el = document.querySelector("[data-testid=message-list]");
  el.scrollTop = 0;
});
await page.waitForTimeout(500);
t0 = Date.now();
await page.evaluate(() => window.__probeStart());
for (;;) {
  await page.mouse.wheel(0, 400);
  await page.waitForTimeout(16);
  const left = await list.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight);
  if (left < 2 && !(await live.isVisible())) break;
  if (Date.now() - t0 > 600_000) throw new Error(`the live end not reached after 10 min`);
}
report(`scrolling through ${total} top to bottom`, Date.now() - t0, await page.evaluate(() => window.__probeStop()));

// 3. Back at the live end, messages arriving at the bottom: time from the API's answer to the
// row on screen.
const arrive = [];
await page.evaluate(() => window.__probeStart());
for (let i = 0; i < 20; i++) {
  const content = `live ${i} ${suffix}`;
  const shown = list.getByTestId("message-body").getByText(content, { exact: true });
  await api(bob, "/api/messages/send", { room_id: room, client_id: `live-${i}`, content });
  const t = Date.now();
  await shown.waitFor();
  arrive.push(Date.now() - t);
}
const arriving = await page.evaluate(() => window.__probeStop());
console.log(
  `a new message after reading all ${total}: shown ${pct(arrive, 50)} ms after its acknowledgement (p50), ` +
    `${Math.max(...arrive)} ms at most; long tasks: ${arriving.longTasks.length}, ` +
    `longest ${Math.max(0, ...arriving.longTasks).toFixed(0)} ms`,
);
const nodes = await page.evaluate(() => document.getElementsByTagName("*").length);
const heap = await page.evaluate(() => performance.memory?.usedJSHeapSize ?? 0);
console.log(`DOM elements: ${nodes}; JS heap: ${(heap / 1048576).toFixed(1)} MiB`);
if (errors.length) console.log(`console errors:\n  ${errors.join("\n  ")}`);
await browser.close();
