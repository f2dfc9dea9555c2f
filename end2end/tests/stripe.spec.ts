// A merchant takes live payments through Stripe: the Stripe double that serve.sh starts plays
// Stripe, its 3-D Secure page the buyer's bank. Runs with JavaScript and without.
import { createProduct, fillBuyer, fillCard, signUp, visit, expect, test } from "./support";

// Keys as a merchant copies them from Stripe's dashboard; the double takes any of this form.
const LIVE_SECRET = "sk_live_51E2eKassaLiveKey0000000000";
const WEBHOOK_SECRET = "whsec_e2e0000000000000000000000000";

test("a live checkout is paid through Stripe, its bank's 3-D Secure step included", async ({ page, browser, javaScriptEnabled }) => {
  await signUp(page, "Live Roasters");
  await page.getByRole("button", { name: "Switch to live" }).click();
  await expect(page.getByText("Live mode", { exact: true })).toBeVisible();

  // Without a processor, live checkouts cannot be paid: the payments page says so.
  await visit(page, "/dashboard/payments");
  await expect(page.getByText("No live processor is set up")).toBeVisible();
  await page.getByLabel("Secret key").fill("sk_test_51E2eKassaTestKey0000000000");
  await page.getByLabel("Webhook signing secret").fill(WEBHOOK_SECRET);
  await page.getByRole("button", { name: "Save keys" }).click();
  // A test key in live mode is refused, naming the field; nothing is kept.
  await expect(page.locator("#f-secret_key-error")).toContainText("test-mode key");
  await expect(page.getByTestId("stripe-keys")).toHaveCount(0);
  await page.getByLabel("Secret key").fill(LIVE_SECRET);
  await page.getByLabel("Webhook signing secret").fill(WEBHOOK_SECRET);
  await page.getByRole("button", { name: "Save keys" }).click();
  await expect(page).toHaveURL(/\/dashboard\/payments\?saved=1$/);
  // Shown only by their first characters.
  const keys = page.getByTestId("stripe-keys");
  await expect(keys).toContainText("sk_live_51E2…");
  await expect(keys).not.toContainText(LIVE_SECRET);
  await expect(page.getByText("Live payments go to your Stripe account.")).toBeVisible();
  await expect(page.getByTestId("events-url")).toContainText("/api/stripe/events/org_");

  // A live product and a live session, made in the dashboard.
  await createProduct(page, "Single origin", "18");
  await visit(page, "/dashboard/checkout-sessions/new");
  await page.locator("#f-price-0-").selectOption({ label: "Single origin — $18.00 once" });
  await page.getByRole("button", { name: "Create session" }).click();
  await expect(page).toHaveURL(/\/dashboard\/checkout-sessions\/cs_live_\w+$/);
  const link = await page.getByRole("textbox", { name: "Checkout link" }).inputValue();

  // The buyer pays with a card whose bank asks for 3-D Secure, on the bank's own page.
  const buyer = await browser.newContext({ javaScriptEnabled });
  const pay = await buyer.newPage();
  await pay.goto(link);
  if (javaScriptEnabled) await expect(pay.locator("body[data-hydrated]")).toBeAttached();
  await expect(pay.getByText("Test mode", { exact: true })).toHaveCount(0);
  await fillBuyer(pay);
  await fillCard(pay, "4000 0025 0000 3155");
  await pay.getByRole("button", { name: "Pay $18.00" }).click();
  await expect(pay).toHaveTitle("Stripe test authentication");
  await expect(pay.getByText("18.00 USD")).toBeVisible();
  await pay.getByRole("button", { name: "Complete authentication" }).click();
  await expect(pay.getByRole("heading", { name: "Thank you for your order" })).toBeVisible();
  await expect(pay.getByText("Paid $18.00 with Visa •••• 3155")).toBeVisible();
  await buyer.close();

  // The merchant sees it succeeded.
  await visit(page, "/dashboard/checkout-sessions");
  await expect(page.locator("tr[data-session]").first()).toContainText("succeeded");
});
