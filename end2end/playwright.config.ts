import { defineConfig } from "@playwright/test";

// kassa's journeys run in Debian's Chromium (Playwright's own browser download is not reachable
// here), twice: once with JavaScript, once without. Every page must work both ways.
const port = Number(process.env.KASSA_E2E_PORT ?? 3107);
const baseURL = `http://127.0.0.1:${port}`;

const launchOptions = {
  executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
};

export default defineConfig({
  testDir: "./tests",
  timeout: 30_000,
  expect: { timeout: 5_000 },
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: process.env.CI ? 2 : undefined,
  reporter: [["list"]],
  use: { baseURL, launchOptions, trace: "retain-on-failure" },
  projects: [
    // A person's journeys in the browser, once with JavaScript and once without.
    { name: "js", testIgnore: ["api/**", "audit/**"], use: { javaScriptEnabled: true } },
    { name: "nojs", testIgnore: ["api/**", "audit/**"], use: { javaScriptEnabled: false } },
    // Vendors' own SDKs against kassa's API dialects: no browser, run once.
    { name: "api", testMatch: "api/**" },
    // After everything else has paid: what kassa kept and logged holds no card data.
    { name: "audit", testMatch: "audit/**", dependencies: ["js", "nojs", "api"] },
  ],
  // A release build of kassa on a fresh SQLite database with the demo data (serve.sh).
  webServer: {
    command: "./serve.sh",
    url: `${baseURL}/readyz`,
    env: { KASSA_E2E_PORT: String(port) },
    reuseExistingServer: false,
    timeout: 60_000,
  },
});
