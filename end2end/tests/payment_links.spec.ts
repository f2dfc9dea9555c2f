// A payment link made in the dashboard sells to everyone who opens it: two buyers, two sessions,
// two payments; turned off, it stops selling.
import { createProduct, expect, fillBuyer, fillCard, signUp, test, visit } from "./support";

test("a payment link sells twice to two buyers", async ({ page, browser, javaScriptEnabled }) => {
  await signUp(page, "Tea Traders");
  await createProduct(page, "Oolong sampler", "12.50");
  await visit(page, "/dashboard/payment-links");
  await expect(page.getByText("No payment links in this mode yet.")).toBeVisible();
  const price = await page.locator("#f-price option", { hasText: "Oolong sampler" }).getAttribute("value");
  await page.getByLabel("Price").selectOption(price!);
  await page.getByLabel("Quantity", { exact: true }).fill("2");
  await page.getByLabel("Buyer can change the quantity").check();
  await page.getByRole("button", { name: "Create payment link" }).click();
  const card = page.locator(".link-card");
  await expect(card).toHaveCount(1);
  await expect(card).toContainText("2 × Oolong sampler");
  await expect(card.getByRole("img", { name: /^QR code of / })).toBeVisible();
  const url = await card.locator("a.mono").getAttribute("href");
  expect(url).toMatch(/\/l\/plink_test_/);

  // Two buyers, each in their own browser, each with their own session.
  const sessions: string[] = [];
  for (const [email, number, brand] of [
    ["first@example.com", "4242 4242 4242 4242", "Visa"],
    ["second@example.com", "5555 5555 5555 4444", "Mastercard"],
  ]) {
    const context = await browser.newContext({ javaScriptEnabled });
    const buyer = await context.newPage();
    await buyer.goto(url!);
    await expect(buyer).toHaveURL(/\/checkout\/cs_test_/);
    sessions.push(new URL(buyer.url()).pathname);
    if (javaScriptEnabled) await expect(buyer.locator("body[data-hydrated]")).toBeAttached();
    await expect(buyer.locator(".row.total dd")).toHaveText("$25.00");
    await fillBuyer(buyer);
    await buyer.getByLabel("Email", { exact: true }).fill(email);
    await fillCard(buyer, number);
    await buyer.getByRole("button", { name: "Pay $25.00" }).click();
    await expect(buyer.getByText(`Paid $25.00 with ${brand} ••••`)).toBeVisible();
    await context.close();
  }
  expect(sessions[0]).not.toEqual(sessions[1]);

  // Both sales are the merchant's.
  await visit(page, "/dashboard/checkout-sessions");
  for (const path of sessions) await expect(page.locator(`a[href="/dashboard${path.replace("/checkout", "/checkout-sessions")}"]`)).toBeVisible();

  // Turned off, the link sells no more.
  await visit(page, "/dashboard/payment-links");
  await page.locator(".link-card").getByRole("button", { name: "Deactivate" }).click();
  await expect(page.locator(".link-card")).toContainText("inactive");
  const gone = await page.request.get(url!, { maxRedirects: 0 });
  expect(gone.status()).toBe(410);
  await page.locator(".link-card").getByRole("button", { name: "Activate" }).click();
  await expect(page.locator(".link-card")).not.toContainText("inactive");
  const again = await page.request.get(url!, { maxRedirects: 0 });
  expect(again.status()).toBe(303);
});
