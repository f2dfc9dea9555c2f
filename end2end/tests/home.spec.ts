import { expect, test } from "./support";

test("the start page reads the same with and without JavaScript", async ({ page }) => {
  const response = await page.goto("/");
  expect(response?.status()).toBe(200);
  await expect(page).toHaveTitle("kassa");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(
    "Hosted checkout you run yourself",
  );
  const cards = page.getByRole("table");
  await expect(cards.getByRole("row")).toHaveCount(7);
  await expect(cards.getByRole("row", { name: /4242 4242 4242 4242/ })).toContainText("Succeeds");
  await expect(cards.getByRole("row", { name: /4000 0000 0000 9995/ })).toContainText(
    "insufficient funds",
  );
});

test("the card field checks a number as it is typed, or says why it cannot", async ({
  page,
  javaScriptEnabled,
}) => {
  await page.goto("/");
  const field = page.getByLabel("Card number", { exact: true });
  const note = page.getByText("Turn on JavaScript to check a number as you type.");
  if (!javaScriptEnabled) {
    await expect(page.locator("body[data-hydrated]")).toHaveCount(0);
    await expect(field).toBeDisabled();
    await expect(note).toBeVisible();
    return;
  }
  // After hydration the same domain code that checks cards on the server runs in the page.
  await expect(page.locator("body[data-hydrated]")).toBeAttached();
  await expect(field).toBeEnabled();
  await expect(note).toBeHidden();
  const verdict = page.getByRole("status");
  await expect(verdict).toHaveText("Type a number to check it.");

  await field.pressSequentially("4242424242424242");
  await expect(field).toHaveValue("4242 4242 4242 4242");
  await expect(verdict).toHaveText("A valid Visa number ending in 4242.");

  await field.fill("4242424242424241");
  await expect(verdict).toHaveText("Your card number is invalid.");

  await field.fill("378282246310005");
  await expect(field).toHaveValue("3782 822463 10005");
  await expect(verdict).toHaveText("A valid American Express number ending in 0005.");
});

test("an unknown address is a not-found page", async ({ page }) => {
  const response = await page.goto("/no/such/page");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Page not found");
  await page.getByRole("link", { name: "Go to the start page" }).click();
  await expect(page).toHaveURL("/");
});
