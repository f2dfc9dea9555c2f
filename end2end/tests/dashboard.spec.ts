// A merchant in the dashboard: every journey runs twice, with JavaScript and without.
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import {
  PASSWORD, createProduct, createSession, demo, fillBuyer, fillCard, open, priceId, signUp, visit,
  expect,
  test,
} from "./support";

test("sign up and see the first secret key once", async ({ page }) => {
  await signUp(page, "Tea Traders");
  await expect(page.getByText("Your account is ready.")).toBeVisible();
  const secret = page.getByLabel("Secret key");
  await expect(secret).toHaveValue(/^sk_test_\w{20,}$/);
  await expect(page.locator(".dash-org")).toHaveText("Tea Traders");
  await expect(page.getByText("Test mode", { exact: true })).toBeVisible();
  // the secret is not shown again
  await visit(page, "/dashboard/api-keys");
  await expect(page.getByRole("heading", { name: "API keys" })).toBeVisible();
  await expect(page.getByLabel("Secret key")).toHaveCount(0);
  await expect(page.locator("td.mono").first()).toContainText("sk_test_");
});

test("create a product and a price", async ({ page }) => {
  await signUp(page);
  // a price that is not an amount is refused, naming the field, and keeps what was typed
  await visit(page, "/dashboard/products");
  await page.getByLabel("Name").fill("Oolong sampler");
  await page.getByLabel("Price").fill("twelve");
  await page.getByRole("button", { name: "Create product" }).click();
  await expect(page.locator("#f-amount-error")).toBeVisible();
  await expect(page.getByLabel("Name")).toHaveValue("Oolong sampler");
  await expect(page.getByLabel("Price")).toHaveAttribute("aria-invalid", "true");

  await createProduct(page, "Oolong sampler", "12.50");
  await expect(page.getByRole("heading", { name: "Oolong sampler" })).toBeVisible();
  await expect(page.getByRole("cell", { name: "$12.50 once" })).toBeVisible();

  await page.getByLabel("Price").fill("9");
  await page.getByLabel("Billing").selectOption("month");
  await page.getByRole("button", { name: "Add price" }).click();
  await expect(page.getByRole("cell", { name: /^\$9\.00 \// })).toBeVisible();

  await visit(page, "/dashboard/products");
  const row = page.getByRole("row", { name: /Oolong sampler/ });
  await expect(row).toContainText("$12.50 once");
  await expect(row).toContainText("$9.00");
});

test("create a session, pay it in another browser, and see it succeeded", async ({ page, browser, javaScriptEnabled }) => {
  await signUp(page, "Beanery");
  await createProduct(page, "House blend", "24");

  await visit(page, "/dashboard/checkout-sessions/new");
  await page.locator("#f-price-0-").selectOption({ label: "House blend — $24.00 once" });
  await page.getByRole("button", { name: "Create session" }).click();
  await expect(page).toHaveURL(/\/dashboard\/checkout-sessions\/cs_test_\w+$/);
  const id = page.url().split("/").pop()!;
  await expect(page.getByTestId("session-status")).toHaveText("open");
  await expect(page.getByRole("img", { name: "QR code of the checkout link" }).locator("svg")).toBeVisible();
  const link = await page.getByRole("textbox", { name: "Checkout link" }).inputValue();
  expect(link).toMatch(new RegExp(`/checkout/${id}$`));

  // the buyer: a browser of their own
  const buyer = await browser.newContext({ javaScriptEnabled });
  const pay = await buyer.newPage();
  const response = await pay.goto(link);
  expect(response?.status()).toBe(200);
  if (javaScriptEnabled) await expect(pay.locator("body[data-hydrated]")).toBeAttached();
  await expect(pay).toHaveTitle(/Pay Beanery/);
  await fillBuyer(pay);
  await fillCard(pay, "4242 4242 4242 4242");
  await pay.getByRole("button", { name: "Pay $24.00" }).click();
  await expect(pay.getByText("Paid $24.00 with Visa •••• 4242")).toBeVisible();
  await buyer.close();

  // the merchant: the list, filtered to succeeded sessions, and the detail's timeline
  await visit(page, "/dashboard/checkout-sessions");
  await page.getByLabel("Status").selectOption("succeeded");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/status=succeeded/);
  const row = page.locator(`tr[data-session="${id}"]`);
  await expect(row).toContainText("succeeded");
  await expect(row).toContainText("ada@example.com");
  await row.getByRole("link", { name: id }).click();
  await expect(page).toHaveURL(new RegExp(`/dashboard/checkout-sessions/${id}$`));
  await expect(page.getByTestId("session-status")).toHaveText("succeeded");
  const timeline = page.getByTestId("timeline");
  await expect(timeline).toContainText("Session created");
  await expect(timeline).toContainText("Payment succeeded");
  await expect(timeline).toContainText("Session succeeded");
  await expect(page.getByRole("button", { name: "Expire this session" })).toHaveCount(0);
});

test("the demo merchant signs in and sees a session made through the API", async ({ page, request }) => {
  const id = await createSession(request, {
    line_items: [{ price: priceId("espresso-beans"), quantity: 2 }],
    guest: { email: "grace@example.com" },
  });
  const { dashboard } = demo();
  await visit(page, "/dashboard/checkout-sessions");
  // signed out, the page asks to sign in and comes back
  await page.getByLabel("Email").fill(dashboard.email);
  await page.getByLabel("Password").fill(dashboard.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Checkout sessions" })).toBeVisible();
  await expect(page).toHaveURL(/\/dashboard\/checkout-sessions$/);

  await page.getByLabel("Search").fill(id);
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page.locator("tbody tr")).toHaveCount(1);
  await page.getByRole("link", { name: id }).click();
  await expect(page.getByRole("heading", { name: id })).toBeVisible();
  await expect(page.getByText("grace@example.com")).toBeVisible();
  await expect(page.getByRole("cell", { name: "$48.00" }).first()).toBeVisible();
});

test("another organization cannot see the session, by address or by server function", async ({ page, request, baseURL }) => {
  const id = await createSession(request, {
    line_items: [{ price: priceId("espresso-beans") }],
    guest: { email: "secret-buyer@example.com" },
  });
  await signUp(page, "Someone Else");
  const response = await page.goto(`/dashboard/checkout-sessions/${id}`);
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Not found" })).toBeVisible();
  await expect(page.getByText("secret-buyer@example.com")).toHaveCount(0);

  // the server function itself, called with this merchant's cookie
  const direct = await page.request.post("/api/dashboard/session", {
    form: { id },
    headers: { origin: baseURL! },
  });
  expect(direct.status()).toBe(404);
  expect(await direct.text()).not.toContain("secret-buyer@example.com");
  // nor can it expire it
  const expire = await page.request.post("/api/dashboard/session/expire", {
    form: { id },
    headers: { origin: baseURL!, accept: "application/json" },
    maxRedirects: 0,
  });
  expect(expire.status()).toBeLessThan(500);
  const still = await request.get(`/api/checkout-sessions/${id}`, {
    headers: { authorization: `Bearer ${demo().secret_key}` },
  });
  expect((await still.json()).status).toBe("open");
});

test("a wrong password and a taken email get clear errors", async ({ page }) => {
  const email = await signUp(page);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();

  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toHaveText("The email or password is wrong.");
  await expect(page.getByLabel("Email")).toHaveValue(email);
  await expect(page.getByLabel("Password")).toHaveValue("");

  await page.getByRole("link", { name: "Sign up" }).click();
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByLabel("Organization name").fill("Copycat Ltd");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("alert")).toHaveText("An account with this email already exists. Sign in instead.");
  await expect(page.getByLabel("Organization name")).toHaveValue("Copycat Ltd");

  // the right password still works
  await visit(page, "/dashboard");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
});

test("a coupon made in the dashboard is redeemed, and the buyer shows as a customer", async ({ page, browser, javaScriptEnabled }) => {
  await signUp(page, "Spice Stall");
  await createProduct(page, "Saffron", "10");

  await visit(page, "/dashboard/coupons");
  await page.getByLabel("Code").fill("saffron25");
  await page.getByLabel("Percent off").fill("25");
  await page.getByLabel("Amount off").fill("2");
  await page.getByRole("button", { name: "Create coupon" }).click();
  // a percentage and an amount at once: the form says which field, and keeps what was typed
  await expect(page.locator("#f-percent_off-error")).toHaveText("Give a percentage or an amount off, not both.");
  await expect(page.getByLabel("Code")).toHaveValue("saffron25");
  await page.getByLabel("Amount off").fill("");
  await page.getByRole("button", { name: "Create coupon" }).click();
  await expect(page.locator('tr[data-code="SAFFRON25"]')).toContainText("25% off");

  await visit(page, "/dashboard/checkout-sessions/new");
  await page.locator("#f-price-0-").selectOption({ label: "Saffron — $10.00 once" });
  await page.getByLabel("Allow promotion codes").check();
  await page.getByRole("button", { name: "Create session" }).click();
  await expect(page).toHaveURL(/\/dashboard\/checkout-sessions\/cs_test_\w+$/);
  const link = await page.getByRole("textbox", { name: "Checkout link" }).inputValue();

  const buyer = await browser.newContext({ javaScriptEnabled });
  const pay = await buyer.newPage();
  await pay.goto(link);
  if (javaScriptEnabled) await expect(pay.locator("body[data-hydrated]")).toBeAttached();
  await pay.getByLabel("Promotion code").fill("saffron25");
  await pay.getByRole("button", { name: "Apply" }).click();
  await expect(pay.getByText("SAFFRON25 (25% off) applied.")).toBeVisible();
  await fillBuyer(pay);
  await fillCard(pay, "4242 4242 4242 4242");
  await pay.getByRole("button", { name: "Pay $7.50" }).click();
  await expect(pay.getByText("Paid $7.50 with Visa •••• 4242")).toBeVisible();
  await buyer.close();

  await visit(page, "/dashboard/coupons");
  await expect(page.locator('tr[data-code="SAFFRON25"]')).toContainText("25% off");
  await visit(page, "/dashboard/customers");
  await page.getByRole("row", { name: /ada@example\.com/ }).getByRole("link").click();
  await expect(page).toHaveURL(/\/dashboard\/customers\/cus_/);
  await expect(page.getByRole("region", { name: "Purchases" })).toContainText("Saffron");
  await expect(page.getByRole("region", { name: "Invoices" })).toContainText("$7.50");
  // a one-time purchase does not keep the card
  await expect(page.getByRole("region", { name: "Payment methods" })).toContainText("No saved payment methods.");
});

test("with JavaScript, inputs are checked as they are left, by the same rules", async ({ page, javaScriptEnabled }) => {
  test.skip(!javaScriptEnabled, "without JavaScript the server's answer shows the same errors");
  await visit(page, "/dashboard/sign-up");
  await expect(page.locator("body[data-hydrated]")).toBeAttached();
  await page.getByLabel("Password").fill("short");
  await page.getByLabel("Organization name").focus();
  const error = page.locator("#f-password-error");
  await expect(error).toHaveText("Use at least 10 characters: a few words make a good password.");
  await expect(page.getByLabel("Password")).toHaveAttribute("aria-invalid", "true");
  // fixed as it is typed
  await page.getByLabel("Password").fill(PASSWORD);
  await expect(error).toHaveCount(0);
  await page.getByLabel("Email").fill("not an email");
  await page.getByLabel("Organization name").focus();
  await expect(page.locator("#f-email-error")).toHaveText("Enter an email address like name@example.com.");
});

/** A merchant's webhook receiver: keeps each delivery's raw body and signature, answers 200. */
async function receiver() {
  const got: { body: string; signature: string }[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      got.push({ body, signature: String(req.headers["kassa-signature"] ?? "") });
      res.writeHead(200).end("thanks");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/kassa-events`, got, close: () => server.close() };
}

/** What the README tells merchants to do: HMAC-SHA256 of "<t>.<body>" under the secret, hex. */
function verifies(secret: string, header: string, body: string): boolean {
  const parts = Object.fromEntries(header.split(",").map((p) => p.split("=", 2)));
  const expected = createHmac("sha256", secret).update(`${parts.t}.${body}`).digest();
  const given = Buffer.from(parts.v1 ?? "", "hex");
  return given.length === expected.length && timingSafeEqual(given, expected)
    && Math.abs(Date.now() / 1000 - Number(parts.t)) < 300;
}

test("a webhook endpoint hears of a paid checkout, signed, and a delivery is resent", async ({ page, browser, javaScriptEnabled }) => {
  const hooks = await receiver();
  try {
    await signUp(page, "Hook Shop");
    await createProduct(page, "Kettle", "30");

    await visit(page, "/dashboard/webhooks");
    await page.getByLabel("Endpoint URL").fill(hooks.url);
    await page.getByLabel("Name").fill("Fulfilment");
    await page.getByRole("button", { name: "Add endpoint" }).click();
    await expect(page).toHaveURL(/\/dashboard\/webhooks\/we_\w+$/);
    const endpointPage = page.url();
    const secret = await page.getByLabel("Signing secret").inputValue();
    expect(secret).toMatch(/^whsec_\w{32}$/);
    await expect(page.getByText("No deliveries yet")).toBeVisible();

    await visit(page, "/dashboard/checkout-sessions/new");
    await page.locator("#f-price-0-").selectOption({ label: "Kettle — $30.00 once" });
    await page.getByRole("button", { name: "Create session" }).click();
    const link = await page.getByRole("textbox", { name: "Checkout link" }).inputValue();
    const buyer = await browser.newContext({ javaScriptEnabled });
    const pay = await buyer.newPage();
    await pay.goto(link);
    if (javaScriptEnabled) await expect(pay.locator("body[data-hydrated]")).toBeAttached();
    await fillBuyer(pay);
    await fillCard(pay, "4242 4242 4242 4242");
    await pay.getByRole("button", { name: "Pay $30.00" }).click();
    await expect(pay.getByText("Paid $30.00 with Visa •••• 4242")).toBeVisible();
    await buyer.close();

    // Every event of the checkout arrives, each signed with the endpoint's secret.
    await expect.poll(() => hooks.got.map((d) => JSON.parse(d.body).type).sort(), { timeout: 10_000 })
      .toEqual(expect.arrayContaining(["checkout.session.completed", "customer.created", "payment.succeeded", "purchase.completed"]));
    // Another secret: the last character changed (to one it is not, 1 in 62 secrets ends in "x").
    const wrong = secret.slice(0, -1) + (secret.endsWith("x") ? "y" : "x");
    for (const delivery of hooks.got) {
      expect(verifies(secret, delivery.signature, delivery.body)).toBe(true);
      expect(verifies(wrong, delivery.signature, delivery.body)).toBe(false);
    }

    // The endpoint's page shows the deliveries and their attempts; one is sent again.
    const heard = hooks.got.length;
    await visit(page, endpointPage);
    await expect(page.getByLabel("Signing secret")).toHaveCount(0);
    const completed = page.locator("tr[data-delivery]", { hasText: "checkout.session.completed" });
    await expect(completed).toContainText("delivered");
    await completed.getByText("1 attempt").click();
    await expect(completed).toContainText("HTTP 200");
    await completed.getByRole("button", { name: "Resend" }).click();
    await expect(page.getByText(/will be sent again in a moment/)).toBeVisible();
    await expect.poll(() => hooks.got.length, { timeout: 10_000 }).toBe(heard + 1);
    expect(JSON.parse(hooks.got[heard].body).type).toBe("checkout.session.completed");
    await page.reload();
    await expect(page.locator("tr[data-delivery]", { hasText: "checkout.session.completed" })).toContainText("2 attempts");

    // Turned off by hand, it says so in the list.
    await page.getByRole("button", { name: "Turn off" }).click();
    await expect(page.getByRole("button", { name: "Turn on" })).toBeVisible();
    await visit(page, "/dashboard/webhooks");
    await expect(page.getByRole("row", { name: /Fulfilment/ })).toContainText("off");
  } finally {
    hooks.close();
  }
});

test("a plan made in the dashboard is sold through Zenskar's /checkout and paid on the hosted page", async ({ page, browser, javaScriptEnabled, request, baseURL }) => {
  await signUp(page, "Bread Club");
  const secret = await page.getByLabel("Secret key").inputValue();
  await createProduct(page, "Sourdough", "6");

  await visit(page, "/dashboard/plans");
  await page.getByLabel("Plan name").fill("Weekly loaves");
  await page.locator("#f-price1").selectOption({ label: "Sourdough – $6.00 once" });
  await page.locator("#f-quantity1").fill("0");
  await page.getByRole("button", { name: "Create plan" }).click();
  // a quantity of zero is refused at that row, and what was typed stays
  await expect(page.locator("#f-quantity1-error")).toBeVisible();
  await expect(page.getByLabel("Plan name")).toHaveValue("Weekly loaves");
  // With JavaScript the price choice does not always survive the round trip (see the note of
  // 2026-11-30); the journey picks it again, as a merchant would.
  await page.locator("#f-price1").selectOption({ label: "Sourdough – $6.00 once" });
  await page.locator("#f-quantity1").fill("2");
  await page.getByRole("button", { name: "Create plan" }).click();
  const plan = page.locator("tr[data-plan]");
  await expect(plan).toContainText("2 × Sourdough – $6.00 once");
  const planId = await plan.getAttribute("data-plan");

  await page.getByLabel("Entity name").fill("Bread Club Ltd");
  await page.getByLabel("Country").fill("GB");
  await page.getByRole("button", { name: "Create business entity" }).click();
  const entity = page.locator("tr[data-entity]");
  await expect(entity).toContainText("Bread Club Ltd");
  const entityId = await entity.getAttribute("data-entity");

  const headers = { "x-api-key": secret };
  const created = await request.post("/checkout", {
    headers,
    data: {
      contract: { is_plan_based: true, plan_id: planId, currency: "USD", start_date: "2027-01-01" },
      guest_checkout: true,
      customer: { customer_name: "Ada Lovelace", email: "ada@example.com" },
      business_entity_id: entityId,
      success_url: `${baseURL}/?bread={CHECKOUT_SESSION_ID}`,
    },
  });
  expect(created.status()).toBe(201);
  const session = await created.json();
  expect(session.estimates.current_invoice.total).toBe(1200);

  const buyer = await browser.newContext({ javaScriptEnabled });
  const pay = await buyer.newPage();
  await pay.goto(session.url);
  if (javaScriptEnabled) await expect(pay.locator("body[data-hydrated]")).toBeAttached();
  await fillBuyer(pay);
  await fillCard(pay, "4242 4242 4242 4242");
  await pay.getByRole("button", { name: "Pay $12.00" }).click();
  await expect(pay).toHaveURL(`${baseURL}/?bread=${session.id}`);
  await buyer.close();

  const read = await request.get(`/checkout/${session.id}`, { headers });
  const done = await read.json();
  expect([done.checkout_session_status, done.payment_status]).toEqual(["completed", "paid"]);
});

test("a subscriber's payment is refunded in part then whole, the clock renews it, and it is ended", async ({ page, browser, javaScriptEnabled }) => {
  await signUp(page, "Bean Club");
  await visit(page, "/dashboard/products");
  await page.getByLabel("Name").fill("Bean box");
  await page.getByLabel("Price").fill("12");
  await page.getByLabel("Billing").selectOption("month");
  await page.getByRole("button", { name: "Create product" }).click();
  await expect(page).toHaveURL(/\/dashboard\/products\/prod_/);

  await visit(page, "/dashboard/checkout-sessions/new");
  const box = await page.locator("#f-price-0- option", { hasText: "Bean box" }).getAttribute("value");
  await page.locator("#f-price-0-").selectOption(box!);
  await page.getByRole("button", { name: "Create session" }).click();
  await expect(page).toHaveURL(/\/dashboard\/checkout-sessions\/cs_test_\w+$/);
  const link = await page.getByRole("textbox", { name: "Checkout link" }).inputValue();
  const buyer = await browser.newContext({ javaScriptEnabled });
  const pay = await buyer.newPage();
  await pay.goto(link);
  if (javaScriptEnabled) await expect(pay.locator("body[data-hydrated]")).toBeAttached();
  await fillBuyer(pay);
  await fillCard(pay, "4242 4242 4242 4242");
  await pay.getByRole("button", { name: /Subscribe|Pay/ }).click();
  await expect(pay.getByText(/with Visa •••• 4242/)).toBeVisible();
  await buyer.close();

  await visit(page, "/dashboard/customers");
  await page.getByRole("row", { name: /ada@example\.com/ }).getByRole("link").click();
  await expect(page).toHaveURL(/\/dashboard\/customers\/cus_/);
  const payments = page.getByRole("region", { name: "Payments" });
  await expect(payments).toContainText("$12.00");
  // More than was paid is refused, saying why; then part, then the rest.
  await payments.getByLabel("Amount to refund").fill("20");
  await payments.getByRole("button", { name: "Refund" }).click();
  await expect(page.getByRole("alert")).toContainText("more than is left to refund");
  await payments.getByLabel("Amount to refund").fill("5");
  await payments.getByRole("button", { name: "Refund" }).click();
  await expect(page.getByRole("status")).toHaveText("Refunded.");
  await expect(payments).toContainText("($5.00 refunded)");
  await payments.getByRole("button", { name: "Refund" }).click();
  await expect(payments).toContainText("($12.00 refunded)");
  await expect(payments.getByText("refunded", { exact: true })).toBeVisible();
  await expect(payments.getByRole("button", { name: "Refund" })).toHaveCount(0);

  // Ending at the period's end can be called off.
  const subscriptions = page.getByRole("region", { name: "Subscriptions" });
  await subscriptions.getByRole("button", { name: "Cancel at period end" }).click();
  await expect(subscriptions.getByRole("button", { name: "Keep it running" })).toBeVisible();
  await subscriptions.getByRole("button", { name: "Keep it running" }).click();
  await expect(subscriptions.getByRole("button", { name: "Cancel at period end" })).toBeVisible();
  const customerPage = page.url();

  // A month on the test clock: the saved card pays the next period.
  await visit(page, "/dashboard/payments");
  const before = await page.getByTestId("test-clock").textContent();
  await page.getByLabel("Move the clock ahead by").selectOption("month");
  await page.getByRole("button", { name: "Advance" }).click();
  await expect(page.getByRole("status")).toContainText("The clock moved");
  await expect(page.getByTestId("test-clock")).not.toHaveText(before!);
  await visit(page, customerPage);
  await expect(page.getByRole("region", { name: "Invoices" }).locator("tbody tr")).toHaveCount(2);
  await expect(payments.locator("tbody tr")).toHaveCount(2);
  await expect(payments.getByRole("button", { name: "Refund" })).toHaveCount(1);

  await subscriptions.getByRole("button", { name: "Cancel now" }).click();
  await expect(subscriptions).toContainText("canceled");
  await expect(subscriptions.getByRole("button")).toHaveCount(0);
});
