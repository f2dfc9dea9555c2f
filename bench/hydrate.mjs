// Loads a page N times in headless Chromium and prints, as a JSON array, one object per load with
// the milliseconds from the start of its navigation until: the page's HTML, its scripts and its
// wasm had arrived (`document`, `js`, `wasm`: the last byte of the last such response); the first
// contentful paint (`paint`); DOMContentLoaded and load had been handled (`dom_content_loaded`,
// `load`); Leptos's island script got the requestIdleCallback it waits for (`idle`; 0 if nothing
// asked); the wasm began and finished compiling and instantiating (`instantiating`,
// `instantiated`); and the page had hydrated (`hydrated`: kassa marks <body data-hydrated> when its
// WASM has taken over, so the page answers input). Run from end2end/, where Playwright is installed.
import { createRequire } from "node:module";

// Playwright is end2end's package: resolve it from the working folder, not from this file's.
const { chromium } = createRequire(`${process.cwd()}/`)("playwright");

const [url, loads = "20"] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium" });
const timings = [];
for (let i = 0; i < Number(loads); i++) {
  // A fresh context each time: nothing cached, as for a buyer opening the link.
  const context = await browser.newContext();
  const page = await context.newPage();
  // Measured in the page, from the navigation's start: when Leptos's island script got its idle
  // callback (it starts loading the bundle from there), when the wasm had been compiled and
  // instantiated, and when the mark appears.
  await page.addInitScript(() => {
    const idle = window.requestIdleCallback;
    window.requestIdleCallback = (callback, options) =>
      idle.call(window, (deadline) => {
        window.__idleAt ??= performance.now();
        callback(deadline);
      }, options);
    for (const name of ["instantiate", "instantiateStreaming"]) {
      const original = WebAssembly[name];
      WebAssembly[name] = (...args) => {
        window.__instantiatingAt ??= performance.now();
        return original(...args).then((result) => {
          window.__instantiatedAt ??= performance.now();
          return result;
        });
      };
    }
    new MutationObserver((_, observer) => {
      if (document.body?.hasAttribute("data-hydrated")) {
        window.__hydratedAt = performance.now();
        observer.disconnect();
      }
    }).observe(document, { attributes: true, subtree: true, attributeFilter: ["data-hydrated"] });
  });
  await page.goto(url, { waitUntil: "commit" });
  await page.locator("body[data-hydrated]").waitFor({ state: "attached" });
  // The load event may end after hydration: wait for it, so that `load` is always its time.
  await page.waitForLoadState("load");
  // Where the time went: when the page's own response, its script and its wasm had arrived.
  timings.push(
    await page.evaluate(() => {
      const arrived = (suffix) =>
        Math.max(0, ...performance.getEntriesByType("resource")
          .filter((entry) => entry.name.split("?")[0].endsWith(suffix))
          .map((entry) => entry.responseEnd));
      const navigation = performance.getEntriesByType("navigation")[0];
      return {
        document: navigation.responseEnd,
        js: arrived(".js"),
        wasm: arrived(".wasm"),
        paint: performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? 0,
        dom_content_loaded: navigation.domContentLoadedEventEnd,
        load: navigation.loadEventEnd,
        idle: window.__idleAt ?? 0,
        instantiating: window.__instantiatingAt ?? 0,
        instantiated: window.__instantiatedAt ?? 0,
        hydrated: window.__hydratedAt,
      };
    }),
  );
  await context.close();
}
await browser.close();
console.log(JSON.stringify(timings));
