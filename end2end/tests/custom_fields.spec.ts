// A merchant's questions and terms on the hosted page (Stripe's custom_fields and
// consent_collection) beside a line with its own price (price_data): the buyer answers a text and
// a choice and accepts the terms, with and without JavaScript, and the merchant reads the answers
// back through Stripe's API. The terms' address comes from the dashboard's branding.
import type { APIRequestContext, Page } from "@playwright/test";
import { demo, expect, expectNoViolations, fillBuyer, fillCard, holdHydration, open, priceId, test, visit } from "./support";

const TERMS = "https://shop.example/terms";

/** The demo merchant signs in and sets where their terms of service are. */
async function setTermsUrl(page: Page) {
  const { dashboard } = demo();
  await visit(page, "/dashboard/settings");
  await page.getByLabel("Email").fill(dashboard.email);
  await page.getByLabel("Password").fill(dashboard.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Branding" })).toBeVisible();
  await visit(page, "/dashboard/settings");
  await page.getByLabel("Terms of service URL").fill(TERMS);
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText("Saved.")).toBeVisible();
}

async function askingSession(request: APIRequestContext): Promise<string> {
  const response = await request.post("/v1/checkout/sessions", {
    headers: { authorization: `Bearer ${demo().secret_key}` },
    form: {
      mode: "payment",
      "line_items[0][price]": priceId("espresso-beans"),
      "line_items[1][price_data][currency]": "usd",
      "line_items[1][price_data][unit_amount]": 1250,
      "line_items[1][price_data][product_data][name]": "Gift wrap",
      "custom_fields[0][key]": "engraving",
      "custom_fields[0][label][type]": "custom",
      "custom_fields[0][label][custom]": "Engraving",
      "custom_fields[0][type]": "text",
      "custom_fields[0][text][maximum_length]": 20,
      "custom_fields[1][key]": "grind",
      "custom_fields[1][label][type]": "custom",
      "custom_fields[1][label][custom]": "Grind",
      "custom_fields[1][type]": "dropdown",
      "custom_fields[1][dropdown][options][0][label]": "Whole beans",
      "custom_fields[1][dropdown][options][0][value]": "whole",
      "custom_fields[1][dropdown][options][1][label]": "Espresso grind",
      "custom_fields[1][dropdown][options][1][value]": "espresso",
      "consent_collection[terms_of_service]": "required",
    },
  });
  expect(response.status(), await response.text()).toBe(200);
  return (await response.json()).id;
}

test("a buyer answers the merchant's questions and accepts the terms", async ({ page, request, browser, javaScriptEnabled }) => {
  await setTermsUrl(page);
  const id = await askingSession(request);
  await open(page, id, javaScriptEnabled);
  // The inline price is on the order: beans at $24.00 and gift wrap at $12.50.
  await expect(page.getByText("Gift wrap")).toBeVisible();
  const terms = page.getByRole("checkbox", { name: /I agree to the terms of service of/ });
  await expect(page.getByRole("link", { name: "Read the terms" })).toHaveAttribute("href", TERMS);
  await expect(page.getByLabel("Grind").locator("option")).toHaveText(["Choose an option", "Whole beans", "Espresso grind"]);

  await fillBuyer(page);
  await fillCard(page, "4242 4242 4242 4242");
  await page.getByRole("button", { name: "Pay $36.50" }).click();
  // Each question and the terms say what they need; nothing typed is lost.
  const questions = page.getByRole("group", { name: "Additional information" });
  await expect(questions.getByText("Fill in this field.")).toBeVisible();
  await expect(questions.getByText("Choose an option.")).toBeVisible();
  await expect(page.getByText("Accept the terms of service to continue.")).toBeVisible();
  await expect(page.getByLabel("Name", { exact: true })).toHaveValue("Ada Lovelace");
  await expectNoViolations(page, "the questions, their errors and the terms", browser, javaScriptEnabled);

  await page.getByLabel("Engraving").fill("For Ada");
  await page.getByLabel("Grind").selectOption("espresso");
  await terms.check();
  if (!javaScriptEnabled) await fillCard(page, "4242 4242 4242 4242");
  await page.getByRole("button", { name: "Pay $36.50" }).click();
  await expect(page.getByText("Paid $36.50 with Visa •••• 4242")).toBeVisible();

  const read = await request.get(`/v1/checkout/sessions/${id}`, {
    headers: { authorization: `Bearer ${demo().secret_key}` },
  });
  const session = await read.json();
  expect(session.consent).toEqual({ promotions: null, terms_of_service: "accepted" });
  expect(session.custom_fields[0].text.value).toBe("For Ada");
  expect(session.custom_fields[1].dropdown.value).toBe("espresso");
  expect(session.amount_total).toBe(3650);
});

test("answers and the terms typed before the page hydrated are kept", async ({ page, request, javaScriptEnabled }) => {
  test.skip(!javaScriptEnabled, "without JavaScript nothing hydrates");
  await setTermsUrl(page);
  const id = await askingSession(request);
  const release = await holdHydration(page);
  await page.goto(`/checkout/${id}`, { waitUntil: "domcontentloaded" });
  await page.getByLabel("Engraving").fill("For Ada");
  await page.getByLabel("Grind").selectOption("espresso");
  await page.getByRole("checkbox", { name: /I agree to the terms of service of/ }).check();
  await expect(page.locator("body[data-hydrated]")).toHaveCount(0);

  release();
  await expect(page.locator("body[data-hydrated]")).toBeAttached({ timeout: 20_000 });
  await expect(page.getByLabel("Engraving")).toHaveValue("For Ada");
  await expect(page.getByLabel("Grind")).toHaveValue("espresso");
  await expect(page.getByRole("checkbox", { name: /I agree to the terms of service of/ })).toBeChecked();
  // The hydrated page knows them: only the buyer's details and card are left to give.
  await fillBuyer(page);
  await fillCard(page, "4242 4242 4242 4242");
  await page.getByRole("button", { name: "Pay $36.50" }).click();
  await expect(page.getByText("Paid $36.50 with Visa •••• 4242")).toBeVisible({ timeout: 15_000 });
});
