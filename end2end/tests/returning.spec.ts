// A returning buyer: their first checkout keeps the card when they tick the box; their next
// offers it first, and they pay without typing it again.
import { createCustomer, createSession, expect, fillBuyer, fillCard, open, priceId, test } from "./support";

test("a returning buyer pays with the card they saved", async ({ page, request, javaScriptEnabled }) => {
  const customer = await createCustomer(request);
  const first = await createSession(request, { line_items: [{ price: priceId("espresso-beans") }], customer });
  await open(page, first, javaScriptEnabled);
  // Nothing saved yet: no choice of saved methods.
  await expect(page.getByRole("radiogroup", { name: "Your saved payment methods" })).toHaveCount(0);
  await fillBuyer(page);
  await fillCard(page, "4242 4242 4242 4242");
  await page.getByLabel("Save my payment details with Demo Coffee Roasters for next time").check();
  await page.getByRole("button", { name: "Pay $24.00" }).click();
  await expect(page.getByText("Paid $24.00 with Visa •••• 4242")).toBeVisible();

  const next = await createSession(request, { line_items: [{ price: priceId("espresso-beans") }], customer });
  await open(page, next, javaScriptEnabled);
  const saved = page.getByRole("radio", { name: /Visa •••• 4242/ });
  await expect(saved).toBeChecked();
  if (javaScriptEnabled) await expect(page.getByLabel("Card number")).toBeHidden();
  await fillBuyer(page);
  await page.getByRole("button", { name: "Pay $24.00" }).click();
  await expect(page.getByText("Paid $24.00 with Visa •••• 4242")).toBeVisible();
});

test("a returning buyer can still pay with another card", async ({ page, request, javaScriptEnabled }) => {
  const customer = await createCustomer(request);
  const first = await createSession(request, { line_items: [{ price: priceId("espresso-beans") }], customer });
  await open(page, first, javaScriptEnabled);
  await fillBuyer(page);
  await fillCard(page, "4242 4242 4242 4242");
  await page.getByLabel(/for next time/).check();
  await page.getByRole("button", { name: "Pay $24.00" }).click();
  await expect(page.getByText("Paid $24.00 with Visa •••• 4242")).toBeVisible();

  const next = await createSession(request, { line_items: [{ price: priceId("espresso-beans") }], customer });
  await open(page, next, javaScriptEnabled);
  await page.getByRole("radio", { name: "Use another payment method" }).check();
  await fillBuyer(page);
  await fillCard(page, "5555 5555 5555 4444");
  await page.getByRole("button", { name: "Pay $24.00" }).click();
  await expect(page.getByText("Paid $24.00 with Mastercard •••• 4444")).toBeVisible();
});
