// What a buyer or a merchant types before the page has hydrated is never lost when it does: on a
// slow phone the server's HTML is on screen, and typed into, well before the WebAssembly runs.
//
// Each test slows Chromium's CPU (DevTools' CPU throttling) and holds back every WebAssembly file
// until it has typed into every field, so that all of it is typed into the server's HTML; then it
// lets the page hydrate and checks every field, and that the page acts on what was typed.
import { PASSWORD, createSession, expect, holdHydration, priceId, test } from "./support";

test("the checkout keeps every field typed before it hydrated", async ({ page, request, javaScriptEnabled }) => {
  test.skip(!javaScriptEnabled, "without JavaScript nothing hydrates");
  const id = await createSession(request, {
    line_items: [{ price: priceId("espresso-beans"), quantity: 1, adjustable_quantity: { enabled: true, maximum: 5 } }],
    allow_promotion_codes: true,
  });
  const release = await holdHydration(page);
  await page.goto(`/checkout/${id}`, { waitUntil: "domcontentloaded" });

  const typed: [string, string][] = [
    ["Email", "ada@example.com"],
    ["Name", "Ada Lovelace"],
    ["ZIP code", "94107"],
    ["Card number", "4242 4242 4242 4242"],
    ["Expiry (MM / YY)", "12 / 34"],
    ["CVC", "737"],
    ["Name on card", "Ada Lovelace"],
    ["Promotion code", "WELCOME10"],
  ];
  await page.getByLabel("Country").selectOption("US");
  await page.getByLabel("Quantity of Espresso beans, 1 kg").fill("2");
  for (const [label, value] of typed) await page.getByLabel(label, { exact: true }).fill(value);
  await expect(page.locator("body[data-hydrated]")).toHaveCount(0);

  release();
  await expect(page.locator("body[data-hydrated]")).toBeAttached({ timeout: 20_000 });
  for (const [label, value] of typed) await expect(page.getByLabel(label, { exact: true })).toHaveValue(value);
  await expect(page.getByLabel("Country")).toHaveValue("US");
  await expect(page.getByLabel("Quantity of Espresso beans, 1 kg")).toHaveValue("2");
  // The hydrated page acts on what was typed: the total follows the quantity, and it pays.
  await expect(page.getByRole("button", { name: "Pay $48.00" })).toBeVisible();
  await page.getByRole("button", { name: "Pay $48.00" }).click();
  await expect(page.getByText("Paid $48.00 with Visa •••• 4242")).toBeVisible({ timeout: 15_000 });
});

test("the dashboard's sign-up keeps every field typed before it hydrated", async ({ page, javaScriptEnabled }) => {
  test.skip(!javaScriptEnabled, "without JavaScript nothing hydrates");
  const release = await holdHydration(page);
  await page.goto("/dashboard/sign-up", { waitUntil: "domcontentloaded" });
  const email = `merchant-${Date.now()}-${Math.random().toString(36).slice(2)}@example.com`;
  const typed: [string, string][] = [
    ["Email", email],
    ["Password", PASSWORD],
    ["Organization name", "Early Typists"],
  ];
  for (const [label, value] of typed) await page.getByLabel(label).fill(value);
  await expect(page.locator("body[data-hydrated]")).toHaveCount(0);

  release();
  await expect(page.locator("body[data-hydrated]")).toBeAttached({ timeout: 20_000 });
  for (const [label, value] of typed) await expect(page.getByLabel(label)).toHaveValue(value);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/dashboard\/api-keys\?welcome=1$/);
});
