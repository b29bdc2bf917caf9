import AxeBuilder from "@axe-core/playwright";
import { expect, Page, Request } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { hydrated, newUser, test } from "./helpers";

/** The server binary's `admin` command on the suite's database, as an operator runs it. */
function admin(flag: "--grant" | "--revoke", username: string): string {
  const data = process.env.CONFAB_E2E_DATA!;
  return execFileSync(process.env.CONFAB_E2E_SERVER!, ["admin", flag, username], {
    env: { ...process.env, DATABASE_URL: `sqlite://${data}/confab.db`, CONFAB_DATA_DIR: data, RUST_LOG: "warn" },
    encoding: "utf8",
  });
}

async function samples(page: Page, chart: string): Promise<number> {
  return Number(await page.getByTestId("admin-node").first().getByTestId(chart).getAttribute("data-samples"));
}

test("instance admins watch the live monitor; others are refused; rights apply at once", async ({
  browser,
  expectConsoleError,
}) => {
  test.setTimeout(90_000);
  // The monitor is asked for by the browser (the page's code is a chunk of its own), and the
  // browser logs the refusal's status.
  expectConsoleError(/status of 403 \(Forbidden\)/);
  // Not the database's first account (that one is an admin from the start).
  await newUser(browser, "adf", "Adf");
  const { page, username } = await newUser(browser, "adm", "Adm");

  await page.goto("/admin");
  await hydrated(page);
  await expect(page.getByTestId("admin-error")).toHaveText("Only instance admins can see the monitor.");
  await expect(page.getByRole("heading", { name: "Monitor" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Back to your chats" })).toBeVisible();
  // A refusal is not asked again every sampling interval (5 s).
  let asked = 0;
  const count = (request: Request) => {
    if (request.url().includes("/api/admin/monitor")) asked += 1;
  };
  page.on("request", count);
  await page.waitForTimeout(6_000);
  page.off("request", count);
  expect(asked, "requests for the monitor after a refusal").toBe(0);
  await page.goto("/settings");
  await expect(page.getByTestId("settings")).toBeVisible();
  await expect(page.getByTestId("admin-link")).toHaveCount(0);

  expect(admin("--grant", username)).toContain("is now an instance admin");
  await page.goto("/settings");
  await page.getByTestId("admin-link").click();
  await expect(page).toHaveURL(/\/admin$/);
  const node = page.getByTestId("admin-node");
  await expect(node).toHaveCount(1);
  for (const chart of ["connections", "messages", "deliveries", "latency", "memory", "database"]) {
    await expect(node.getByTestId(`chart-${chart}`)).toBeVisible();
  }
  // This page's own socket is a connection; the process and its database have a size.
  await expect(node.getByTestId("chart-connections").getByTestId("metric-latest")).not.toHaveText("0");
  await expect(node.getByTestId("chart-memory").getByTestId("metric-latest")).toHaveText(/MiB|GiB/);
  await expect(node.getByTestId("chart-database").getByTestId("metric-latest")).toHaveText(/MiB|GiB/);
  await expect(node.getByTestId("chart-latency").locator("svg")).toHaveAttribute("aria-label", /p50 .*p99 /);
  // The scale says what it is: the window's highest value, at its dashed line.
  await expect(node.getByTestId("chart-memory").locator(".metric-scale")).toHaveText(/^highest \d.* (MiB|GiB)$/);

  // The monitor is as accessible as every other screen (WCAG 2.1 A and AA), in both themes.
  for (const scheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    const axe = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
    expect(axe.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(" ")}`), scheme).toEqual([]);
  }

  // New samples arrive without a reload.
  const before = await samples(page, "chart-connections");
  await expect.poll(() => samples(page, "chart-connections"), { timeout: 20_000 }).toBeGreaterThan(before);

  expect(admin("--revoke", username)).toContain("is no longer an instance admin");
  await page.reload();
  await expect(page.getByTestId("admin-error")).toBeVisible();
  expect(() => admin("--grant", "nobody-by-that-name")).toThrow(/no account named/);
});
