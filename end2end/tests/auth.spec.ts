import { expect } from "@playwright/test";
import { hydrated, login, logout, PASSWORD, register, test, uniqueName } from "./helpers";

test("register, land on /chat, log out, log in again as the same user", async ({ page }) => {
  const username = uniqueName("alice");
  await register(page, username, "Alice Example");
  await expect(page.getByTestId("user-menu")).toContainText("Alice Example");

  await logout(page);
  await page.goto("/chat");
  await expect(page).toHaveURL(/\/login\?next=\/chat/);

  await login(page, username);
  await expect(page).toHaveURL(/\/chat$/);
  await expect(page.getByTestId("user-menu")).toContainText("Alice Example");
  const me = await page.evaluate(async () => (await fetch("/api/me")).json());
  expect(me.username).toBe(username);
});

test("a taken username and a short password are explained on the form", async ({ expectConsoleError, page, browser }) => {
  // The server refuses these on purpose; the browser logs each refusal.
  expectConsoleError(/status of 409|status of 422/);
  const username = uniqueName("taken");
  await register(page, username, "First");

  const other = await browser.newContext();
  const p2 = await other.newPage();
  await p2.goto("/register");
  await hydrated(p2);
  const form = p2.getByTestId("register-form");
  await form.getByLabel("Username").fill(username.toUpperCase());
  await form.getByLabel("Password").fill(PASSWORD);
  await form.getByRole("button", { name: "Create account" }).click();
  await expect(p2.getByRole("alert")).toContainText("That username is taken");
  await expect(p2).toHaveURL(/\/register/);

  await form.getByLabel("Username").fill(uniqueName("fresh"));
  await form.getByLabel("Password").fill("short");
  // the browser's own minlength check is not set on password, so the server answers
  await form.getByRole("button", { name: "Create account" }).click();
  await expect(p2.getByRole("alert")).toContainText("at least 8 characters");
  // Focus goes to the field to fix, its text selected to type over.
  await expect(form.getByLabel("Password")).toBeFocused();
  const selection = await form.getByLabel("Password").evaluate((el: HTMLInputElement) => [el.selectionStart, el.selectionEnd]);
  expect(selection).toEqual([0, "short".length]);

  // Everything wrong at once is said at once, and each field is marked.
  await form.getByLabel("Username").fill("a!");
  await form.getByLabel("Password").fill("x");
  await form.getByRole("button", { name: "Create account" }).click();
  const alert = p2.getByRole("alert");
  await expect(alert).toContainText("Usernames are 3 to 32 characters long.");
  await expect(alert).toContainText("Passwords need at least 8 characters.");
  await expect(form.getByLabel("Username")).toHaveAttribute("aria-invalid", "true");
  await expect(form.getByLabel("Password")).toHaveAttribute("aria-invalid", "true");
  await expect(form.getByLabel("Username")).toBeFocused();
  await other.close();
});

test("wrong credentials get one generic message", async ({ expectConsoleError, page }) => {
  // The server refuses these on purpose; the browser logs each refusal.
  expectConsoleError(/status of 401/);
  const username = uniqueName("bob");
  await register(page, username, "Bob");
  await logout(page);
  await login(page, username, "not the password");
  await expect(page.getByRole("alert")).toContainText("Wrong username or password.");
  // Focus is on the password, to try again, not lost to the page.
  await expect(page.getByLabel("Password")).toBeFocused();
  await login(page, uniqueName("nobody"), "whatever123");
  await expect(page.getByRole("alert")).toContainText("Wrong username or password.");
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("a plain form logs in and out, and errors still show", async ({ page, request }) => {
    const username = uniqueName("nojs");
    const res = await request.post("/api/register", {
      form: { username, display_name: "No Script", password: PASSWORD },
    });
    expect(res.ok()).toBeTruthy();

    await page.goto("/chat");
    await expect(page).toHaveURL(/\/login\?next=\/chat/);
    await page.getByLabel("Username").fill(username);
    await page.getByLabel("Password").fill("wrong password");
    await page.getByRole("button", { name: "Log in" }).click();
    await expect(page.getByRole("alert")).toContainText("Wrong username or password.");

    await page.getByLabel("Username").fill(username);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Log in" }).click();
    await expect(page).toHaveURL(/\/chat$/);
    await expect(page.getByTestId("user-menu")).toContainText("No Script");

    await page.getByTestId("user-menu").click();
    await page.getByRole("button", { name: "Log out" }).click();
    await expect(page).toHaveURL(/\/login/);
    await page.goto("/chat");
    await expect(page).toHaveURL(/\/login/);
  });
});
