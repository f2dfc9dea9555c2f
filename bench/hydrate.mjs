// Loads a page N times in headless Chromium and prints, as a JSON array, the milliseconds from the
// start of each navigation until the page has hydrated (kassa marks <body data-hydrated> when its
// WASM has taken over, so the page answers input). Run from end2end/, where Playwright is installed.
import { createRequire } from "node:module";

// Playwright is end2end's package: resolve it from the working folder, not from this file's.
const { chromium } = createRequire(`${process.cwd()}/`)("playwright");

const [url, loads = "20"] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium" });
const times = [];
for (let i = 0; i < Number(loads); i++) {
  // A fresh context each time: nothing cached, as for a buyer opening the link.
  const context = await browser.newContext();
  const page = await context.newPage();
  // Measured in the page, from the navigation's start, when the mark appears.
  await page.addInitScript(() => {
    new MutationObserver((_, observer) => {
      if (document.body?.hasAttribute("data-hydrated")) {
        window.__hydratedAt = performance.now();
        observer.disconnect();
      }
    }).observe(document, { attributes: true, subtree: true, attributeFilter: ["data-hydrated"] });
  });
  await page.goto(url, { waitUntil: "commit" });
  await page.locator("body[data-hydrated]").waitFor({ state: "attached" });
  times.push(await page.evaluate(() => window.__hydratedAt));
  await context.close();
}
await browser.close();
console.log(JSON.stringify(times));
