import { expect } from "@playwright/test";
import { hydrated, login, newUser, PASSWORD, test } from "./helpers";

test("settings: a new display name shows at once; a password change logs out the other browser", async ({
  browser,
  expectConsoleError,
}) => {
  // The other browser's socket may be reconnecting (a new display name asks it to) when its
  // session ends: its refused attempt is what tells it.
  expectConsoleError(/WebSocket connection to .* failed/);
  const alice = await newUser(browser, "sea", "Sea");
  // The same person in a second browser, on the chat screen.
  const laptop = await browser.newContext();
  const other = await laptop.newPage();
  await login(other, alice.username);
  await expect(other.getByTestId("connection")).toHaveText("Connected");

  await alice.page.getByTestId("user-menu").click();
  await alice.page.getByTestId("settings-link").click();
  await expect(alice.page).toHaveURL(/\/settings$/);
  await hydrated(alice.page);
  const profile = alice.page.getByTestId("profile-form");
  await profile.getByLabel("Display name").fill("Sea Breeze");
  await profile.getByRole("button", { name: "Save" }).click();
  await expect(profile.getByRole("status")).toHaveText("✓ Saved.");
  await expect(alice.page.getByTestId("user-menu")).toContainText("Sea Breeze");
  // The new name makes the other browser's socket reconnect (1013); the server greets it by
  // the new name, which its menu then shows without a reload.
  await expect(other.getByTestId("connection")).toHaveText("Connected");
  await expect(other.getByTestId("user-menu")).toContainText("Sea Breeze");

  const notify = alice.page.getByTestId("notify-form");
  await notify.getByLabel("Mentions only").check();
  await notify.getByTestId("sound").uncheck();
  await notify.getByRole("button", { name: "Save" }).click();
  await expect(notify.getByRole("status")).toHaveText("✓ Saved.");
  await alice.page.reload();
  await hydrated(alice.page);
  await expect(notify.getByLabel("Mentions only")).toBeChecked();
  await expect(notify.getByTestId("sound")).not.toBeChecked();

  const password = alice.page.getByTestId("password-form");
  await password.getByLabel("Current password").fill(PASSWORD);
  await password.getByLabel("New password", { exact: true }).fill("a whole new secret");
  await password.getByLabel("Confirm the new password").fill("a different one");
  await password.getByRole("button", { name: "Change password" }).click();
  await expect(password.getByRole("alert")).toHaveText("The new password and its confirmation differ.");
  // The field to fix is marked and has focus.
  const confirm = password.getByLabel("Confirm the new password");
  await expect(confirm).toHaveAttribute("aria-invalid", "true");
  await expect(confirm).toBeFocused();
  await expect(password.getByLabel("Current password")).toHaveAttribute("aria-invalid", "false");
  await password.getByLabel("Confirm the new password").fill("a whole new secret");
  await password.getByRole("button", { name: "Change password" }).click();
  await expect(password.getByRole("status")).toContainText("Password changed");
  // The other browser's socket is closed and its session is over.
  await expect(other).toHaveURL(/\/login/, { timeout: 5_000 });
  await expect(alice.page.getByTestId("user-menu")).toBeVisible();
  await laptop.close();
  await alice.context.close();
});

test("the theme is kept on the account and rendered by the server, so the first paint matches", async ({
  browser,
}) => {
  const alice = await newUser(browser, "thm", "Thm");
  const page = alice.page;
  const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  await expect(page.locator("html")).toHaveAttribute("data-theme", "system");
  await page.emulateMedia({ colorScheme: "light" });
  expect(await background()).toBe("rgb(247, 247, 251)");

  await page.goto("/settings");
  await hydrated(page);
  await page.getByTestId("theme-choices").getByLabel("Dark").check();
  await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
  expect(await background()).toBe("rgb(18, 19, 24)");
  await expect(page.getByText("✓ Saved.")).toBeVisible();

  // The server's HTML itself is dark: nothing paints light first, even before any script.
  const html = await (await page.request.get("/chat")).text();
  expect(html).toMatch(/<html[^>]*data-theme="dark"/);
  expect(html).toContain('<meta name="color-scheme" content="dark"');
  await page.reload();
  await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
  expect(await background()).toBe("rgb(18, 19, 24)");

  // Another browser takes it from the account when logging in.
  const other = await browser.newContext({ colorScheme: "light" });
  const second = await other.newPage();
  await login(second, alice.username);
  await expect(second).toHaveURL(/\/chat$/);
  await second.reload();
  await expect(second.locator("html")).toHaveAttribute("data-theme", "dark");
  await other.close();
  await alice.context.close();
});
