// Lighthouse on a room page in a logged-in browser (run by .ci/lighthouse.sh room): log in
// through the form, then a navigation report of the room's URL (mobile, simulated throttling).
import puppeteer from "puppeteer-core";
import { startFlow } from "lighthouse";
const [base, user, room] = process.argv.slice(2);
const browser = await puppeteer.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run"],
});
const page = await browser.newPage();
await page.goto(`${base}/login`, { waitUntil: "networkidle0" });
await page.type("input[name=username]", user);
await page.type("input[name=password]", "correct horse battery");
await Promise.all([page.waitForNavigation({ waitUntil: "networkidle0" }), page.keyboard.press("Enter")]);
const flow = await startFlow(page, { config: { extends: "lighthouse:default", settings: { onlyCategories: ["performance", "accessibility", "best-practices", "seo"] } } });
await flow.navigate(`${base}/chat/${room}`);
// The largest paint as observed (unthrottled) in the page: which element, and when.
const largest = await page.evaluate(
  () =>
    new Promise((ok) =>
      new PerformanceObserver((l) => {
        const e = l.getEntries().at(-1);
        ok(e && `${e.element?.outerHTML?.slice(0, 60)}… at ${Math.round(e.startTime)} ms`);
      }).observe({ type: "largest-contentful-paint", buffered: true }),
    ),
);
const result = (await flow.createFlowResult()).steps[0].lhr;
const scores = Object.entries(result.categories).map(([k, v]) => `${k} ${Math.round(v.score * 100)}`).join(", ");
console.log(`${result.finalDisplayedUrl}: ${scores}`);
for (const id of ["first-contentful-paint", "largest-contentful-paint", "total-blocking-time", "speed-index", "cumulative-layout-shift"]) {
  console.log(`  ${result.audits[id].title}: ${result.audits[id].displayValue}`);
}
console.log(`  Largest paint, observed: ${largest}`);
// What keeps a category below 100.
for (const [name, category] of Object.entries(result.categories)) {
  if (name === "performance") continue;
  for (const ref of category.auditRefs) {
    const audit = result.audits[ref.id];
    if (ref.weight > 0 && audit.score !== null && audit.score < 1) {
      const nodes = (audit.details?.items ?? []).map((i) => i.node?.snippet).filter(Boolean);
      console.log(`  ${name}: ${audit.title}${nodes.length ? `: ${nodes.join(" ")}` : ""}`);
    }
  }
}
const errors = result.audits["errors-in-console"].details?.items ?? [];
for (const e of errors) console.log(`  console: ${e.description}`);
await browser.close();
