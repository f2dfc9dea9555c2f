// The buyer's language: a session in German pays in German (its labels, its amounts, the checks
// of the form, a decline, the receipt); a buyer switches the page's language themselves; and the
// checkout in each of its languages passes axe.
import type { Page } from "@playwright/test";
import { createEuroPrice, createSession, CVC, expect, expectNoViolations, expireSession, open, priceId, test } from "./support";

/** Types a card into the German form. */
async function germanCard(page: Page, number: string) {
  await page.getByLabel("Kartennummer").fill(number);
  await page.getByLabel("Ablaufdatum (MM / JJ)").fill("12 / 34");
  await page.getByLabel("CVC").fill(CVC);
  await page.getByLabel("Name auf der Karte").fill("Ada Lovelace");
}

async function germanBuyer(page: Page) {
  await page.getByLabel("E-Mail", { exact: true }).fill("ada@example.com");
  await page.getByLabel("Name", { exact: true }).fill("Ada Lovelace");
  await page.getByLabel("Land", { exact: true }).selectOption("DE");
  await page.getByLabel("Postleitzahl").fill("10115");
}

test("a German buyer pays in German, with the amounts as German writes them", async ({ page, request, javaScriptEnabled }) => {
  // 62 × 19,99 € = 1.239,38 €.
  const euro = await createEuroPrice(request);
  const id = await createSession(request, { line_items: [{ price: euro, quantity: 62 }], locale: "de" });
  await open(page, id, javaScriptEnabled);
  await expect(page.locator("html")).toHaveAttribute("lang", "de");
  await expect(page.getByRole("heading", { name: "Zahlungsdaten" })).toBeVisible();
  await expect(page.locator(".row.total dd")).toHaveText(/^1\.239,38\s€$/);
  const pay = page.getByRole("button", { name: /^1\.239,38\s€ zahlen$/ });
  await expect(pay).toBeVisible();

  // Nothing typed: the form's checks speak German, in the browser and from the server alike.
  await pay.click();
  await expect(page.getByText("Geben Sie Ihre E-Mail-Adresse ein.")).toBeVisible();
  if (javaScriptEnabled) await expect(page.getByText("Prüfen Sie die unten markierten Angaben.")).toBeVisible();

  // A decline, in German.
  await germanBuyer(page);
  await germanCard(page, "4000 0000 0000 0002");
  await pay.click();
  await expect(page.getByRole("alert")).toContainText("Ihre Karte wurde abgelehnt.");

  // Paid: the receipt is German.
  if (!javaScriptEnabled) await germanBuyer(page);
  await germanCard(page, "4242 4242 4242 4242");
  await pay.click();
  await expect(page.getByRole("heading", { name: "Vielen Dank für Ihre Bestellung" })).toBeVisible();
  await expect(page.getByText(/^1\.239,38\s€ mit Visa •••• 4242 bezahlt$/)).toBeVisible();
  await expect(page.locator("html")).toHaveAttribute("lang", "de");
});

test("a buyer switches the page to their language, and it stays so", async ({ page, request, javaScriptEnabled }) => {
  const id = await createSession(request, { line_items: [{ price: priceId("espresso-beans") }] });
  await open(page, id, javaScriptEnabled);
  await expect(page.getByRole("heading", { name: "Payment details" })).toBeVisible();
  const languages = page.getByRole("navigation", { name: "Language" });
  await expect(languages.getByRole("link", { name: "English" })).toHaveAttribute("aria-current", "true");
  await languages.getByRole("link", { name: "日本語" }).click();
  if (javaScriptEnabled) await expect(page.locator("body[data-hydrated]")).toBeAttached();
  await expect(page.locator("html")).toHaveAttribute("lang", "ja");
  await expect(page.getByRole("heading", { name: "お支払い情報" })).toBeVisible();
  await expect(page.getByRole("button", { name: "$24.00 を支払う" })).toBeVisible();
  // Paying, what the page says next is Japanese too, though the browser asks for English.
  await page.locator("#f-email").fill("ada@example.com");
  await page.locator("#f-name").fill("Ada Lovelace");
  await page.locator("#f-country").selectOption("US");
  await page.locator("#f-postal_code").fill("94107");
  await page.locator("#f-card_number").fill("4242 4242 4242 4242");
  await page.locator("#f-card_exp").fill("12 / 34");
  await page.locator("#f-card_cvc").fill(CVC);
  await page.getByRole("button", { name: "$24.00 を支払う" }).click();
  await expect(page.getByRole("heading", { name: "ご注文ありがとうございます" })).toBeVisible();
  await expect(page.getByText("Visa •••• 4242 で $24.00 をお支払いいただきました")).toBeVisible();
  await expect(page.locator("html")).toHaveAttribute("lang", "ja");
});

for (const lang of ["en", "de", "fr", "es", "ja"]) {
  test(`the checkout in ${lang}: open, its errors, the 3-D Secure step, the receipt, expired and not found pass axe`, async ({ page, request, browser, javaScriptEnabled }) => {
    const check = (what: string) => expectNoViolations(page, `${what} (${lang})`, browser, javaScriptEnabled);
    const id = await createSession(request, {
      line_items: [{ price: priceId("espresso-beans"), adjustable_quantity: { enabled: true, maximum: 5 } }],
      allow_promotion_codes: true,
      locale: lang,
    });
    await open(page, id, javaScriptEnabled);
    await expect(page.locator("html")).toHaveAttribute("lang", lang);
    await check("the open checkout");

    // Errors under the fields: a card number that fails its check digit.
    await page.locator("#f-email").fill("ada@example.com");
    await page.locator("#f-country").selectOption("US");
    await page.locator("#f-postal_code").fill("94107");
    await page.locator("#f-card_number").fill("4242 4242 4242 4241");
    await page.locator("#f-card_exp").fill("12 / 34");
    await page.locator("#f-card_cvc").fill(CVC);
    await page.locator("button.primary").click();
    await expect(page.locator("#e-card_number")).not.toBeEmpty();
    await check("the checkout with errors");

    if (!javaScriptEnabled) {
      await page.locator("#f-email").fill("ada@example.com");
      await page.locator("#f-country").selectOption("US");
      await page.locator("#f-postal_code").fill("94107");
      await page.locator("#f-card_exp").fill("12 / 34");
    }
    // The 3-D Secure step, then the receipt.
    await page.locator("#f-card_number").fill("4000 0025 0000 3155");
    await page.locator("#f-card_cvc").fill(CVC);
    await page.locator("button.primary").click();
    await expect(page).toHaveURL(/\/authenticate$/);
    await expect(page.locator("html")).toHaveAttribute("lang", lang);
    await check("the authentication step");
    await page.locator('button[value="complete"]').click();
    await expect(page.locator(".state.succeeded")).toBeVisible();
    await expect(page.locator("html")).toHaveAttribute("lang", lang);
    await check("the receipt");

    // Expired, and no such checkout.
    const expired = await createSession(request, { line_items: [{ price: priceId("espresso-beans") }], locale: lang });
    await expireSession(request, expired);
    await page.goto(`/checkout/${expired}`);
    await expect(page.locator("html")).toHaveAttribute("lang", lang);
    await expect(page.locator(".state.expired")).toBeVisible();
    await check("the expired checkout");
    await page.goto(`/checkout/cs_test_nothing_here?lang=${lang}`);
    await expect(page.locator("html")).toHaveAttribute("lang", lang);
    await check("no such checkout");
  });
}
