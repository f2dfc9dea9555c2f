// Every state of the hosted checkout, and the pages a buyer meets after it, checked by axe-core
// (WCAG 2.1 A and AA) with JavaScript and without; and a payment made with the keyboard alone.
import { createCustomer, createSession, expect, expectNoViolations, expireSession, fillBuyer, fillCard, open, priceId, test } from "./support";

test("the open checkout, its errors, a decline, the 3-D Secure step and the receipt pass axe", async ({ page, request, browser, javaScriptEnabled }) => {
  const check = (what: string) => expectNoViolations(page, what, browser, javaScriptEnabled);
  const beans = priceId("espresso-beans");
  const id = await createSession(request, {
    line_items: [{ price: beans, quantity: 1, adjustable_quantity: { enabled: true, maximum: 5 } }],
    allow_promotion_codes: true,
  });
  await open(page, id, javaScriptEnabled);
  await check("the open checkout");

  // An error under a field (the server's, without JavaScript; the browser's own checks of
  // required fields come first there).
  await fillBuyer(page);
  await fillCard(page, "4242 4242 4242 4241");
  await page.getByRole("button", { name: "Pay $24.00" }).click();
  await expect(page.getByText("Your card number is invalid.")).toBeVisible();
  await check("the checkout with errors");

  // A decline.
  if (!javaScriptEnabled) await fillBuyer(page);
  await fillCard(page, "4000 0000 0000 9995");
  await page.getByRole("button", { name: "Pay $24.00" }).click();
  await expect(page.getByRole("alert")).toContainText("declined");
  await check("the checkout after a decline");

  // The 3-D Secure step, then the receipt.
  if (!javaScriptEnabled) await fillBuyer(page);
  await fillCard(page, "4000 0025 0000 3155");
  await page.getByRole("button", { name: "Pay $24.00" }).click();
  await expect(page.getByRole("heading", { name: "Authenticate your payment" })).toBeVisible();
  await check("the authentication step");
  await page.getByRole("button", { name: "Complete authentication" }).click();
  await expect(page.getByText("Paid $24.00 with Visa •••• 3155")).toBeVisible();
  await check("the receipt");
});

test("a shipped order, a saved card, an expired checkout and none pass axe", async ({ page, request, browser, javaScriptEnabled }) => {
  const check = (what: string) => expectNoViolations(page, what, browser, javaScriptEnabled);
  const beans = priceId("espresso-beans");

  // A shipped order with a phone number: every address field.
  const shipped = await createSession(request, {
    line_items: [{ price: beans }],
    billing_address_collection: "required",
    shipping_address_collection: { allowed_countries: ["US", "CA", "DE"] },
    phone_number_collection: { enabled: true },
  });
  await open(page, shipped, javaScriptEnabled);
  await check("the checkout that ships");

  // A returning customer's saved card.
  const customer = await createCustomer(request);
  const first = await createSession(request, { line_items: [{ price: beans }], customer });
  await open(page, first, javaScriptEnabled);
  await fillBuyer(page);
  await fillCard(page, "4242 4242 4242 4242");
  await page.getByLabel(/for next time/).check();
  await page.getByRole("button", { name: "Pay $24.00" }).click();
  await expect(page.getByText("Paid $24.00 with Visa •••• 4242")).toBeVisible();
  const again = await createSession(request, { line_items: [{ price: beans }], customer });
  await open(page, again, javaScriptEnabled);
  await check("the checkout with a saved card");

  // Expired, and no such checkout.
  const expired = await createSession(request, { line_items: [{ price: beans }] });
  await expireSession(request, expired);
  await page.goto(`/checkout/${expired}`);
  await expect(page.getByRole("heading", { name: /expired/i })).toBeVisible();
  await check("the expired checkout");
  await page.goto("/checkout/cs_test_nothing_here");
  await check("no such checkout");
});

test("a buyer pays with the keyboard alone", async ({ page, request, javaScriptEnabled }) => {
  const id = await createSession(request, { line_items: [{ price: priceId("espresso-beans") }] });
  await open(page, id, javaScriptEnabled);
  /** Tabs forward until the element with `id` has the focus. */
  const tabTo = async (id: string) => {
    for (let i = 0; i < 40; i++) {
      if (await page.evaluate((id) => document.activeElement?.id === id, id)) return;
      await page.keyboard.press("Tab");
    }
    throw new Error(`the keyboard never reached #${id}`);
  };
  for (const [field, text] of [
    ["f-email", "ada@example.com"],
    ["f-name", "Ada Lovelace"],
    ["f-postal_code", "94107"],
    ["f-card_number", "4242424242424242"],
    ["f-card_exp", "1234"],
    ["f-card_cvc", "737"],
  ]) {
    await tabTo(field);
    await page.keyboard.type(text);
  }
  await expect(page.getByLabel("Country")).toHaveValue("US");
  await page.keyboard.press("Tab");
  await page.keyboard.press("Tab");
  await expect(page.getByRole("button", { name: "Pay $24.00" })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page.getByText("Paid $24.00 with Visa •••• 4242")).toBeVisible();
});
