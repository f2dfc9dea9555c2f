// A buyer whose order ships: the address in its country's format, the phone number, billed to
// where it ships, shown on the receipt, read back through Stripe's Python SDK.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { demo, expect, fillCard, open, priceId, test } from "./support";

const python = join(__dirname, "..", "..", "target", "sdk-python", "bin", "python");

function stripeSdk(baseURL: string, ...args: string[]): string {
  const run = spawnSync(python, [join(__dirname, "..", "sdk", "stripe_shipping.py"), ...args], {
    env: { ...process.env, KASSA_BASE_URL: baseURL, KASSA_SECRET_KEY: demo().secret_key, KASSA_PRICE: priceId("espresso-beans") },
    encoding: "utf8",
    timeout: 60_000,
  });
  expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
  return run.stdout.trim();
}

test("a shipped order: the address on the receipt and through Stripe's SDK", async ({ page, javaScriptEnabled, baseURL }) => {
  const id = stripeSdk(baseURL!, "create");
  await open(page, id, javaScriptEnabled);
  await page.getByLabel("Email", { exact: true }).fill("grace@example.com");
  await page.getByLabel("Name", { exact: true }).fill("Grace Hopper");
  await page.getByLabel("Phone number").fill("(650) 253-0000");
  const shipping = page.getByRole("group", { name: "Shipping address" });
  // Only the countries the merchant ships to; the buyer's own (from their language) first chosen.
  await expect(shipping.getByLabel("Country").locator("option")).toHaveText(["Select your country", "Canada", "United States of America"]);
  await expect(shipping.getByLabel("Country")).toHaveValue("US");
  await shipping.getByLabel("Full name").fill("Grace Hopper");
  await shipping.getByLabel("Address", { exact: true }).fill("1600 Amphitheatre Pkwy");
  await shipping.getByLabel("City").fill("Mountain View");
  await shipping.getByLabel("State").fill("ca");
  await shipping.getByLabel("ZIP code").fill("9404");
  await expect(page.getByLabel("Billing address is the same as shipping")).toBeChecked();
  if (javaScriptEnabled) {
    // Billed where it ships: the billing lines are not asked for.
    await expect(page.getByRole("group", { name: /Billing address/ })).toBeHidden();
  }
  await fillCard(page, "4242 4242 4242 4242");
  await page.getByRole("button", { name: "Pay $24.00" }).click();
  // The ZIP code is one digit short: said under the field, and nothing typed is lost.
  await expect(shipping.getByText("Your postal code is invalid.")).toBeVisible();
  await expect(shipping.getByLabel("City")).toHaveValue("Mountain View");
  await expect(page.getByLabel("Phone number")).toHaveValue("(650) 253-0000");
  await shipping.getByLabel("ZIP code").fill("94043");
  if (!javaScriptEnabled) await fillCard(page, "4242 4242 4242 4242");
  await page.getByRole("button", { name: "Pay $24.00" }).click();
  await expect(page.getByText("Paid $24.00 with Visa •••• 4242")).toBeVisible();
  const shippedTo = page.getByRole("region", { name: "Shipping to" });
  await expect(shippedTo).toContainText("Grace Hopper");
  await expect(shippedTo).toContainText("1600 Amphitheatre Pkwy");
  await expect(shippedTo).toContainText("Mountain View, CA 94043");
  expect(stripeSdk(baseURL!, "check", id)).toMatch(/shipping checks passed/);
});

test("the order summary stays at the top of its column as the form grows", async ({ page, javaScriptEnabled, baseURL }) => {
  await page.setViewportSize({ width: 1200, height: 700 });
  const id = stripeSdk(baseURL!, "create");
  await open(page, id, javaScriptEnabled);
  await fillCard(page, "4242 4242 4242 4242");
  // Nothing else filled: a banner and an error under most fields make the form much longer.
  await page.getByRole("button", { name: "Pay $24.00" }).click();
  await expect(page.getByText("Enter the name to ship to.")).toBeVisible();
  const top = async (selector: string) =>
    page.locator(selector).evaluate((e) => e.getBoundingClientRect().top + window.scrollY);
  const summary = await top("section.summary");
  expect(Math.abs(summary - (await top("section.pay")))).toBeLessThan(2);
  // Scrolled to the end of the form, the summary is still where its column starts.
  await page.getByRole("button", { name: "Pay $24.00" }).scrollIntoViewIfNeeded();
  await page.mouse.wheel(0, 2000);
  await expect.poll(() => page.evaluate(() => window.scrollY)).toBeGreaterThan(100);
  expect(Math.abs((await top("section.summary")) - summary)).toBeLessThan(2);
});
