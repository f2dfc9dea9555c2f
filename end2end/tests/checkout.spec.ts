// A buyer on kassa's hosted checkout: every journey runs twice, with JavaScript and without.
import {
  choose, createCustomer, createEuroPrice, createSession, createSubscription, demo, expireSession,
  fillBuyer, fillCard, open, priceId,
  expect,
  test,
} from "./support";

test("pay a one-time price and land on the merchant's page", async ({ page, request, javaScriptEnabled, baseURL }) => {
  const id = await createSession(request, {
    line_items: [{ price: priceId("espresso-beans") }],
    success_url: `${baseURL}/?session={CHECKOUT_SESSION_ID}`,
  });
  await open(page, id, javaScriptEnabled);
  await expect(page).toHaveTitle(/Pay Demo Coffee Roasters/);
  await expect(page.getByRole("list", { name: "Your order" })).toContainText("Espresso beans, 1 kg");
  await fillBuyer(page);
  await fillCard(page, "4242 4242 4242 4242");
  await page.getByRole("button", { name: "Pay $24.00" }).click();
  await expect(page).toHaveURL(`${baseURL}/?session=${id}`);
  // the session's page is now its receipt
  await page.goto(`/checkout/${id}`);
  await expect(page.getByRole("heading", { name: "Thank you for your order" })).toBeVisible();
  await expect(page.getByText("Paid $24.00 with Visa •••• 4242")).toBeVisible();
});

test("start a subscription with a trial", async ({ page, request, javaScriptEnabled }) => {
  const id = await createSession(request, { line_items: [{ price: priceId("coffee-club-monthly") }], trial_period_days: 7 });
  await open(page, id, javaScriptEnabled);
  await expect(page.getByText("Free for 7 days, then $15.00 per month.")).toBeVisible();
  await fillBuyer(page);
  await fillCard(page, "4242424242424242");
  await page.getByRole("button", { name: "Start trial" }).click();
  await expect(page.getByRole("heading", { name: "Your trial has started" })).toBeVisible();
  await expect(page.getByText("Nothing was charged today. Visa •••• 4242 is saved for later payments.")).toBeVisible();
  await expect(page.getByText(/Your trial ends on \d{4}-\d{2}-\d{2}\./)).toBeVisible();
});

test("apply a promotion code", async ({ page, request, javaScriptEnabled }) => {
  const id = await createSession(request, { line_items: [{ price: priceId("espresso-beans") }], allow_promotion_codes: true });
  await open(page, id, javaScriptEnabled);
  await page.getByLabel("Promotion code").fill("nope");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByText("This code is not valid.")).toBeVisible();
  await page.getByLabel("Promotion code").fill(demo().promotion_codes[0]);
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByText("WELCOME10 (10% off) applied.")).toBeVisible();
  await fillBuyer(page);
  await fillCard(page, "4242 4242 4242 4242");
  await page.getByRole("button", { name: "Pay $21.60" }).click();
  await expect(page.getByText("Paid $21.60 with Visa •••• 4242")).toBeVisible();
});

test("change a quantity", async ({ page, request, javaScriptEnabled }) => {
  const id = await createSession(request, {
    line_items: [{ price: priceId("espresso-beans"), quantity: 1, adjustable_quantity: { enabled: true, maximum: 5 } }],
  });
  await open(page, id, javaScriptEnabled);
  if (javaScriptEnabled) {
    await page.getByRole("button", { name: "More" }).click();
    await page.getByRole("button", { name: "More" }).click();
  } else {
    await page.getByLabel("Quantity of Espresso beans, 1 kg").fill("3");
    await page.getByRole("button", { name: "Update quantities" }).click();
  }
  await expect(page.getByRole("button", { name: "Pay $72.00" })).toBeVisible();
  await fillBuyer(page);
  await fillCard(page, "4242 4242 4242 4242");
  await page.getByRole("button", { name: "Pay $72.00" }).click();
  await expect(page.getByText("Paid $72.00 with Visa •••• 4242")).toBeVisible();
  await expect(page.getByRole("list", { name: "What you bought" })).toContainText("× 3");
});

test("see a decline, then pay with another card", async ({ page, request, javaScriptEnabled }) => {
  const id = await createSession(request, { line_items: [{ price: priceId("espresso-beans") }] });
  await open(page, id, javaScriptEnabled);
  await fillBuyer(page);
  await fillCard(page, "4000 0000 0000 9995");
  await page.getByRole("button", { name: "Pay $24.00" }).click();
  await expect(page.getByRole("alert")).toContainText("declined");
  await expect(page.getByRole("alert")).toContainText("insufficient funds");
  await expect(page.getByLabel("Email", { exact: true })).toHaveValue("ada@example.com");
  if (!javaScriptEnabled) await fillBuyer(page);
  await fillCard(page, "5555 5555 5555 4444");
  await page.getByRole("button", { name: "Pay $24.00" }).click();
  await expect(page.getByText("Paid $24.00 with Mastercard •••• 4444")).toBeVisible();
});

test("pass a 3-D Secure challenge", async ({ page, request, javaScriptEnabled }) => {
  const id = await createSession(request, { line_items: [{ price: priceId("espresso-beans") }] });
  await open(page, id, javaScriptEnabled);
  await fillBuyer(page);
  await fillCard(page, "4000 0025 0000 3155");
  await page.getByRole("button", { name: "Pay $24.00" }).click();
  await expect(page.getByRole("heading", { name: "Authenticate your payment" })).toBeVisible();
  await page.getByRole("button", { name: "Complete authentication" }).click();
  await expect(page.getByText("Paid $24.00 with Visa •••• 3155")).toBeVisible();
});

test("fail a 3-D Secure challenge, then pay", async ({ page, request, javaScriptEnabled }) => {
  const id = await createSession(request, { line_items: [{ price: priceId("espresso-beans") }] });
  await open(page, id, javaScriptEnabled);
  await fillBuyer(page);
  await fillCard(page, "4000002500003155");
  await page.getByRole("button", { name: "Pay $24.00" }).click();
  await page.getByRole("button", { name: "Fail authentication" }).click();
  await expect(page.getByRole("alert")).toContainText("declined");
  if (javaScriptEnabled) await expect(page.locator("body[data-hydrated]")).toBeAttached();
  await fillBuyer(page);
  await fillCard(page, "4242424242424242");
  await page.getByRole("button", { name: "Pay $24.00" }).click();
  await expect(page.getByText("Paid $24.00 with Visa •••• 4242")).toBeVisible();
});

test("a SEPA debit is pending, then succeeds", async ({ page, request, javaScriptEnabled }) => {
  const euros = await createEuroPrice(request);
  const id = await createSession(request, { line_items: [{ price: euros }], payment_method_types: ["card", "sepa_debit"] });
  await open(page, id, javaScriptEnabled);
  await fillBuyer(page, "DE", "10115");
  await choose(page, "SEPA Direct Debit");
  await page.getByLabel("IBAN").fill("DE89 3704 0044 0532 0130 00");
  await page.getByLabel("Account holder").fill("Ada Lovelace");
  await page.getByRole("button", { name: "Pay €19.99" }).click();
  await expect(page.getByRole("heading", { name: "Your payment is processing" })).toBeVisible();
  if (javaScriptEnabled) {
    // the page asks every second and reloads itself when the debit settles
    await expect(page.getByRole("heading", { name: "Thank you for your order" })).toBeVisible({ timeout: 15_000 });
  } else {
    await expect(async () => {
      await page.getByRole("link", { name: "Check again" }).click();
      await expect(page.getByRole("heading", { name: "Thank you for your order" })).toBeVisible({ timeout: 1_000 });
    }).toPass({ timeout: 15_000 });
  }
  await expect(page.getByText("Paid €19.99 with SEPA Direct Debit •••• 3000")).toBeVisible();
});

test("save a card", async ({ page, request, javaScriptEnabled }) => {
  const customer = await createCustomer(request);
  const id = await createSession(request, { type: "add_payment_method", customer });
  await open(page, id, javaScriptEnabled);
  await expect(page.getByRole("heading", { name: "Save a payment method" })).toBeVisible();
  await expect(page.getByLabel("Email", { exact: true })).toHaveAttribute("readonly", "");
  await fillBuyer(page);
  await fillCard(page, "4242 4242 4242 4242");
  await page.getByRole("button", { name: "Save card" }).click();
  await expect(page.getByRole("heading", { name: "Payment method saved" })).toBeVisible();
  await expect(page.getByText("Visa •••• 4242 is saved for later payments.")).toBeVisible();
});

test("activate a subscription", async ({ page, request, javaScriptEnabled }) => {
  const customer = await createCustomer(request);
  const subscription = await createSubscription(request, customer);
  const id = await createSession(request, { type: "activate_subscription", customer, target_subscription: subscription });
  await open(page, id, javaScriptEnabled);
  await fillBuyer(page);
  await fillCard(page, "4242 4242 4242 4242");
  await page.getByRole("button", { name: "Activate subscription" }).click();
  await expect(page.getByRole("heading", { name: "Subscription activated" })).toBeVisible();
  await expect(page.getByText("Paid $15.00 with Visa •••• 4242")).toBeVisible();
});

test("open an expired session", async ({ page, request }) => {
  const id = await createSession(request, { line_items: [{ price: priceId("espresso-beans") }], cancel_url: "https://shop.example/cart" });
  await expireSession(request, id);
  await page.goto(`/checkout/${id}`);
  await expect(page.getByRole("heading", { name: "This checkout has expired" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Return to Demo Coffee Roasters" })).toHaveAttribute("href", "https://shop.example/cart");
  await expect(page.getByRole("button", { name: /Pay/ })).toHaveCount(0);
});

test("an unknown checkout is not found", async ({ page }) => {
  const response = await page.goto("/checkout/cs_test_doesnotexist");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Checkout not found" })).toBeVisible();
});

test("fields are checked by their label, in words a buyer understands", async ({ page, request, javaScriptEnabled }) => {
  const id = await createSession(request, { line_items: [{ price: priceId("espresso-beans") }] });
  await open(page, id, javaScriptEnabled);
  // The country starts as the browser's language's (en-US here); a buyer may clear it.
  await expect(page.getByLabel("Country")).toHaveValue("US");
  await page.getByLabel("Country").selectOption("");
  await page.getByRole("button", { name: "Pay $24.00" }).click();
  await expect(page.getByText("Choose your country.")).toBeVisible();
  await expect(page.getByLabel("Country")).toHaveAttribute("aria-invalid", "true");
  // The list is the server's; with JavaScript the island still follows the choice as it is made.
  await page.getByLabel("Country").selectOption("DE");
  if (javaScriptEnabled) await expect(page.getByText("Choose your country.")).toBeHidden();
  await fillBuyer(page);
  await fillCard(page, "4242 4242 4242 4241");
  await page.getByLabel("Expiry (MM / YY)").fill("01 / 20");
  await page.getByRole("button", { name: "Pay $24.00" }).click();
  await expect(page.getByText("Your card number is invalid.")).toBeVisible();
  await expect(page.getByText("Your card's expiry date is in the past.")).toBeVisible();
  await expect(page.getByLabel("Card number")).toHaveAttribute("aria-invalid", "true");
});
