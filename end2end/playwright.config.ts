import { defineConfig } from "@playwright/test";
import * as os from "node:os";
import * as path from "node:path";
import * as fs from "node:fs";

// The suite runs against the release build (`.ci/build.sh`), started here on
// its own port with a throwaway SQLite database, and as two nodes on one throwaway PostgreSQL
// (ports +1 and +2, see tests/nodes.spec.ts), and once more with a short search budget
// (port +3), in Debian's Chromium (no browser downloads).
const port = Number(process.env.CONFAB_E2E_PORT ?? 3300);
// Made once, by the runner; its workers (which load this file again) inherit it, so tests can
// reach the server's database (tests/admin.spec.ts runs the binary's `admin` command on it).
process.env.CONFAB_E2E_DATA ??= fs.mkdtempSync(path.join(os.tmpdir(), "confab-e2e-"));
const dataDir = process.env.CONFAB_E2E_DATA;
const root = path.resolve(__dirname, "..");
// .ci/env.sh keeps build output in a cache outside the clone.
const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(root, "target");
process.env.CONFAB_E2E_SERVER = path.join(targetDir, "release/server");

export default defineConfig({
  testDir: "./tests",
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
  webServer: [
    {
    command: path.join(targetDir, "release/server"),
    // From a directory holding nothing but its data: the site is embedded in the binary.
    cwd: dataDir,
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "pipe",
    stderr: "pipe",
    env: {
      CONFAB_ADDR: `127.0.0.1:${port}`,
      DATABASE_URL: `sqlite://${dataDir}/confab.db`,
      CONFAB_DATA_DIR: dataDir,
      RUST_LOG: "warn",
      // Small, so tests/files.spec.ts provokes "too large" without sending 25 MiB.
      CONFAB_UPLOAD_MAX_MIB: "1",
    },
    },
    {
      // A second SQLite server that reads 20 messages for a page of search when no index
      // narrows it (the default is 200,000): tests/search.spec.ts sees pages cut short there.
      command: path.join(targetDir, "release/server"),
      cwd: dataDir,
      url: `http://127.0.0.1:${port + 3}/healthz`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: "pipe",
      stderr: "pipe",
      env: {
        CONFAB_ADDR: `127.0.0.1:${port + 3}`,
        DATABASE_URL: `sqlite://${dataDir}/short-reads.db`,
        CONFAB_DATA_DIR: path.join(dataDir, "short-reads"),
        RUST_LOG: "warn",
        CONFAB_SEARCH_READ_LIMIT: "20",
      },
    },
    {
      command: [
        "bash",
        path.join(__dirname, "scripts/two-nodes.sh"),
        path.join(targetDir, "release/server"),
        String(port + 1),
        String(port + 2),
      ].join(" "),
      // Not the suite's data directory: the script runs PostgreSQL's tools as another user.
      cwd: os.tmpdir(),
      url: `http://127.0.0.1:${port + 2}/healthz`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: "pipe",
      stderr: "pipe",
    },
  ],
});
