import { expect, Page } from "@playwright/test";

let counter = 0;

/** A username unique to this run (3–32 chars of a-z0-9_.-). */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}_${Date.now().toString(36)}${counter}`.slice(0, 32);
}

export const PASSWORD = "correct horse battery";

/** Waits until the WASM bundle has hydrated the page, so clicks go to Leptos handlers. */
export async function hydrated(page: Page) {
  await page.waitForFunction(() => (window as any).__confab_hydrated === true);
}

export async function register(page: Page, username: string, displayName: string) {
  await page.goto("/register");
  await hydrated(page);
  const form = page.getByTestId("register-form");
  await form.getByLabel("Username").fill(username);
  await form.getByLabel("Display name").fill(displayName);
  await form.getByLabel("Password").fill(PASSWORD);
  await form.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/chat$/);
}

export async function login(page: Page, username: string, password = PASSWORD) {
  await page.goto("/login");
  await hydrated(page);
  const form = page.getByTestId("login-form");
  await form.getByLabel("Username").fill(username);
  await form.getByLabel("Password").fill(password);
  await form.getByRole("button", { name: "Log in" }).click();
}

export async function logout(page: Page) {
  await page.getByTestId("user-menu").click();
  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page).toHaveURL(/\/login/);
}
