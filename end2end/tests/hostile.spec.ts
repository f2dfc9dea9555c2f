// What an attacker tries against the hosted checkout: framing it under another site, running
// scripts it did not write, putting words in its mouth through the address, and feeding the API
// what no client would. Each twice, with JavaScript and without.
import { test as unwatched } from "@playwright/test";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createSession, demo, fillBuyer, fillCard, open, priceId, expect, test } from "./support";

const beans = () => ({ line_items: [{ price: priceId("espresso-beans") }], success_url: "https://shop.example/thanks" });

// The browser's refusal to frame is itself a policy at work, which the other journeys' watch for
// violations would count: this one runs unwatched.
unwatched("no page of another site can frame the checkout", async ({ page, request, baseURL }) => {
  const id = await createSession(request, beans());
  // Another origin: a server of the test's own on another port of this machine.
  const trick = createServer((_, response) => {
    response.writeHead(200, { "content-type": "text/html" });
    response.end(`<!DOCTYPE html><title>Win a prize</title><iframe id="pay" src="${baseURL}/checkout/${id}"></iframe>`);
  });
  await new Promise<void>((listening) => trick.listen(0, "127.0.0.1", listening));
  try {
    const elsewhere = `http://127.0.0.1:${(trick.address() as AddressInfo).port}/`;
    const answered = page.waitForResponse((r) => r.url().endsWith(`/checkout/${id}`));
    await page.goto(elsewhere);
    // The checkout answered the frame's request, saying no site may frame it, and the browser
    // kept it out: once the page and its frame have loaded, the frame holds no card form.
    const checkout = await answered;
    expect(checkout.headers()["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(checkout.headers()["x-frame-options"]).toBe("DENY");
    await page.waitForLoadState("load");
    await expect(page.frameLocator("#pay").getByLabel("Card number")).toHaveCount(0);
    await expect(page.frameLocator("#pay").getByRole("button", { name: /^Pay/ })).toHaveCount(0);
  } finally {
    trick.close();
  }
});

test("the checkout and the dashboard run only the scripts their policy names", async ({ page, request, javaScriptEnabled }) => {
  const id = await createSession(request, beans());
  for (const path of [`/checkout/${id}`, "/dashboard"]) {
    const response = await page.goto(path);
    const headers = response!.headers();
    const csp = headers["content-security-policy"];
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("unsafe-inline");
    expect(headers["x-frame-options"]).toBe("DENY");
    expect(headers["cache-control"]).toBe("no-store");
    const nonce = /'nonce-([^']+)'/.exec(csp)![1];
    // Every script of the page carries the response's nonce (the browser hides its value from
    // scripts once the page is parsed; the served HTML shows it).
    const html = await response!.text();
    const scripts = html.match(/<script[^>]*>/g) ?? [];
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts) expect(script).toContain(`nonce="${nonce}"`);
    // With JavaScript, they ran: the page hydrated under the policy (the fixture fails the test
    // on any script, style or frame the policy refused).
    if (javaScriptEnabled) await expect(page.locator("body[data-hydrated]")).toBeAttached();
  }
});

test("words put in the checkout's address are not shown as kassa's", async ({ page, request, javaScriptEnabled }) => {
  const id = await createSession(request, beans());
  const forged = new URLSearchParams({
    unavailable: "Our card processor is down: call +1 555 0100 to pay by phone.",
    "error.email": "Send your card number to billing@tricks.example instead.",
  });
  await page.goto(`/checkout/${id}?${forged}`);
  if (javaScriptEnabled) await expect(page.locator("body[data-hydrated]")).toBeAttached();
  await expect(page.getByText("555 0100")).toHaveCount(0);
  await expect(page.getByText("tricks.example")).toHaveCount(0);
  // kassa's own still are: a plain post with a bad email comes back with its message.
  if (!javaScriptEnabled) {
    await open(page, id, false);
    await fillBuyer(page);
    await fillCard(page, "4242 4242 4242 4242");
    // A date the browser lets through and the server refuses.
    await page.getByLabel("Expiry (MM / YY)").fill("12 / 20");
    await page.getByRole("button", { name: /^Pay/ }).click();
    await expect(page).toHaveURL(/notice_sig=/);
    await expect(page.getByText("Your card's expiry date is in the past.")).toBeVisible();
    await expect(page.getByText("tricks.example")).toHaveCount(0);
  }
});

test("the API refuses control characters and oversize bodies, naming what is wrong", async ({ request }) => {
  const auth = { authorization: `Bearer ${demo().secret_key}` };
  const bell = await request.post("/api/checkout-sessions", {
    headers: auth,
    data: { ...beans(), success_url: "https://shop.example/th\u0007anks" },
  });
  expect(bell.status()).toBe(400);
  expect((await bell.json()).error.param).toBe("success_url");

  const lines = Array.from({ length: 40_000 }, (_, n) => ({ price: `price_${n}` }));
  const many = await request.post("/api/checkout-sessions", { headers: auth, data: { line_items: lines } });
  expect(many.status()).toBe(400);
  expect((await many.json()).error.param).toBe("line_items");

  // Refused on its announced length, before it is read: the answer (413) may even arrive while
  // the client is still sending, which then sees the connection closed under it.
  const huge = await request
    .post("/api/checkout-sessions", {
      headers: { ...auth, "content-type": "application/json" },
      data: `{"line_items": [], "metadata": {"pad": "${"x".repeat(3 * 1024 * 1024)}"}}`,
    })
    .then((response) => response.status())
    .catch((error: Error) => {
      expect(error.message).toMatch(/EPIPE|ECONNRESET|socket hang up/);
      return 413;
    });
  expect(huge).toBe(413);
});
