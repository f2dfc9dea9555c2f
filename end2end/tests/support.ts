// What the journeys share: the demo organization kassa was started with (serve.sh), and the
// merchant-side API calls that set a journey up.
import AxeBuilder from "@axe-core/playwright";
import { expect, test as base, type APIRequestContext, type Browser, type Page } from "@playwright/test";
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** Every journey runs with kassa's Content-Security-Policy enforced by the browser, and fails if
 * one of kassa's pages breaks it: Chromium logs each script, style or frame it refused. */
export const test = base.extend<{ contentSecurityPolicy: string[] }>({
  contentSecurityPolicy: [
    async ({ page }, use) => {
      const violations: string[] = [];
      page.on("console", (message) => {
        if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
      });
      await use(violations);
      expect(violations, "what the page's Content-Security-Policy refused").toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };

export type Demo = {
  base_url: string;
  secret_key: string;
  prices: { id: string; slug: string; type: string; unit_amount: number; product_id: string }[];
  promotion_codes: string[];
  dashboard: { url: string; email: string; password: string };
};

export const demo = (): Demo =>
  JSON.parse(readFileSync(join(__dirname, "..", ".kassa-e2e", "demo.json"), "utf8"));

export const priceId = (slug: string) => demo().prices.find((p) => p.slug === slug)!.id;

const auth = () => ({ authorization: `Bearer ${demo().secret_key}` });

/** Creates a checkout session through kassa's own API and returns its id. */
export async function createSession(request: APIRequestContext, body: object): Promise<string> {
  const response = await request.post("/api/checkout-sessions", { headers: auth(), data: body });
  expect(response.status(), await response.text()).toBe(201);
  return (await response.json()).id;
}

export async function createCustomer(request: APIRequestContext): Promise<string> {
  const externalId = `buyer-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const response = await request.post("/api/v1/customers", {
    headers: auth(),
    data: { customer: { email: `${externalId}@example.com`, name: "Grace Hopper", externalId } },
  });
  expect(response.status(), await response.text()).toBe(200);
  return (await response.json()).data.customer.id;
}

export async function createSubscription(request: APIRequestContext, customer: string): Promise<string> {
  const response = await request.post("/api/subscriptions", {
    headers: auth(),
    data: { customer, price: priceId("coffee-club-monthly") },
  });
  expect(response.status(), await response.text()).toBe(201);
  return (await response.json()).id;
}

export async function createEuroPrice(request: APIRequestContext): Promise<string> {
  const response = await request.post("/api/v1/prices", {
    headers: auth(),
    data: { price: { type: "single_payment", productId: demo().prices[0].product_id, unitPrice: 1999, isDefault: false, currency: "eur" } },
  });
  expect(response.status(), await response.text()).toBe(200);
  return (await response.json()).price.id;
}

export async function expireSession(request: APIRequestContext, id: string) {
  const response = await request.post(`/api/checkout-sessions/${id}/expire`, { headers: auth() });
  expect(response.status(), await response.text()).toBe(200);
}

/** Opens a checkout and, with JavaScript, waits until the page is interactive. */
export async function open(page: Page, id: string, javaScriptEnabled: boolean) {
  const response = await page.goto(`/checkout/${id}`);
  expect(response?.status()).toBe(200);
  if (javaScriptEnabled) await expect(page.locator("body[data-hydrated]")).toBeAttached();
}

/** The postal code's label, which follows the country ("ZIP code" in the US, which the page
 * preselects for an English-speaking browser). */
export const POSTAL = /^(Postal code|ZIP code|Postcode)$/;

/** Fills the contact and address fields. */
export async function fillBuyer(page: Page, country = "US", postal = "94107") {
  const email = page.getByLabel("Email", { exact: true });
  if (await email.isEditable()) await email.fill("ada@example.com");
  await page.getByLabel("Name", { exact: true }).fill("Ada Lovelace");
  await page.getByLabel("Country").selectOption(country);
  await page.getByLabel(POSTAL).fill(postal);
}

/** The security code every journey types: the audit looks for it afterwards. */
export const CVC = "737";

/** The test card numbers the journeys type. */
export const TEST_CARDS = [
  "4242424242424242", "5555555555554444", "4000000000009995", "4000002500003155", "4000000000000002",
];

export async function fillCard(page: Page, number: string) {
  await page.getByLabel("Card number").fill(number);
  await page.getByLabel("Expiry (MM / YY)").fill("12 / 34");
  await page.getByLabel("CVC").fill(CVC);
  await page.getByLabel("Name on card").fill("Ada Lovelace");
}

/** Chooses a payment method where the session offers several. */
export async function choose(page: Page, method: string) {
  await page.getByRole("radio", { name: method }).check();
}

export const PASSWORD = "correct horse battery staple";

/** Opens a dashboard page; with JavaScript, waits until it has hydrated, so that what is typed
 * next is not typed into the server's HTML and then reset by hydration. */
export async function visit(page: Page, path: string) {
  await page.goto(path);
  if (test.info().project.use.javaScriptEnabled) await expect(page.locator("body[data-hydrated]")).toBeAttached();
}

/** Signs a new merchant up and returns the email; the page is then signed in. */
export async function signUp(page: Page, organization = "Tea Traders"): Promise<string> {
  const email = `merchant-${Date.now()}-${Math.random().toString(36).slice(2)}@example.com`;
  await visit(page, "/dashboard/sign-up");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByLabel("Organization name").fill(organization);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/dashboard\/api-keys\?welcome=1$/);
  return email;
}

/** Creates a one-time product on the products page and returns its page's address. */
export async function createProduct(page: Page, name: string, amount: string): Promise<string> {
  await visit(page, "/dashboard/products");
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Price").fill(amount);
  await page.getByLabel("Billing").selectOption("once");
  await page.getByRole("button", { name: "Create product" }).click();
  await expect(page).toHaveURL(/\/dashboard\/products\/prod_/);
  return page.url();
}

/** axe-core's WCAG 2.1 A and AA violations on the page as the buyer has it. Without JavaScript
 * axe cannot run in the buyer's page, so it runs on the same address in a page that runs scripts
 * but is refused kassa's bundle: the server's HTML, never hydrated, as the buyer without
 * JavaScript sees it. */
export async function expectNoViolations(page: Page, what: string, browser: Browser, javaScriptEnabled: boolean) {
  let target = page;
  const context = javaScriptEnabled ? null : await browser.newContext({ javaScriptEnabled: true });
  if (context) {
    await context.route(/\/pkg\//, (route) => route.abort());
    target = await context.newPage();
    await target.goto(page.url());
  }
  const results = await new AxeBuilder({ page: target }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  await context?.close();
  const found = results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
  expect(found, what).toEqual([]);
}

/** Slows the CPU and holds the page's WebAssembly until the returned function is called. */
export async function holdHydration(page: Page): Promise<() => void> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: 6 });
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  await page.route(/\.wasm$/, async (route) => {
    await released;
    await route.continue();
  });
  return release;
}
