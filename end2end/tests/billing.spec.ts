// The buyer after the checkout: the receipt kassa mailed them (read from the SMTP server serve.sh
// runs) links to their own page, where they change the card and cancel. Runs with JavaScript and
// without.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { POSTAL, createSession, expect, fillCard, open, priceId, test } from "./support";

const MAILDIR = join(__dirname, "..", ".kassa-e2e", "mail", "new");

/** The link to their page in the receipt mailed to `email`, once it has arrived. */
async function linkInReceipt(email: string): Promise<string> {
  let link = "";
  await expect
    .poll(
      () => {
        let files: string[] = [];
        try {
          files = readdirSync(MAILDIR);
        } catch {
          return "";
        }
        for (const file of files) {
          // Quoted-printable soft line breaks joined.
          const mail = readFileSync(join(MAILDIR, file), "utf8").replace(/=\r?\n/g, "");
          if (!mail.includes(`To: ${email}`) || !/Subject: Your receipt from/.test(mail)) continue;
          const found = mail.match(/https?:\/\/[^\s"<>]+\/billing\/[A-Za-z0-9._-]+/);
          if (found) link = found[0];
        }
        return link;
      },
      { timeout: 20_000, message: `a receipt to ${email} with a link to their page` },
    )
    .not.toBe("");
  return link;
}

test("a buyer follows the link in their receipt, changes the card, and cancels", async ({ page, request, javaScriptEnabled }) => {
  const email = `subscriber-${Date.now()}-${Math.random().toString(36).slice(2)}@example.com`;
  const id = await createSession(request, { line_items: [{ price: priceId("coffee-club-monthly") }] });
  await open(page, id, javaScriptEnabled);
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Name", { exact: true }).fill("Ada Lovelace");
  await page.getByLabel("Country").selectOption("US");
  await page.getByLabel(POSTAL).fill("94107");
  await fillCard(page, "4242 4242 4242 4242");
  await page.getByRole("button", { name: /^Pay / }).click();
  await expect(page.getByText(/with Visa •••• 4242/)).toBeVisible();

  const link = await linkInReceipt(email);
  await page.goto(link);
  await expect(page.getByRole("heading", { name: "Your billing" })).toBeVisible();
  await expect(page.getByText(email)).toBeVisible();
  await expect(page.getByText(/Renews on/)).toBeVisible();
  await expect(page.getByText(/Visa •••• 4242/)).toBeVisible();

  // A new card, on a hosted checkout that brings the buyer back.
  await page.getByRole("button", { name: "Change card" }).click();
  await expect(page).toHaveURL(/\/checkout\/cs_test_\w+$/);
  if (javaScriptEnabled) await expect(page.locator("body[data-hydrated]")).toBeAttached();
  const name = page.getByLabel("Name", { exact: true });
  if (await name.isVisible()) await name.fill("Ada Lovelace");
  const country = page.getByLabel("Country");
  if (await country.isVisible()) await country.selectOption("US");
  const postal = page.getByLabel(POSTAL);
  if (await postal.isVisible()) await postal.fill("94107");
  await fillCard(page, "5555 5555 5555 4444");
  await page.getByRole("button", { name: "Save card" }).click();
  await expect(page).toHaveURL(/\/billing\/[A-Za-z0-9._-]+\?done=card$/);
  await expect(page.getByRole("status")).toContainText("Your new card is saved");
  await expect(page.getByText(/Mastercard •••• 4444/)).toBeVisible();

  // Cancel: it runs to the end of the period paid for, and can be kept after all.
  await page.getByRole("button", { name: "Cancel subscription" }).click();
  await expect(page.getByRole("status")).toContainText("will end at the end of the period");
  await expect(page.getByText(/Ends on/)).toBeVisible();
  await expect(page.getByRole("button", { name: "Keep my subscription" })).toBeVisible();
});
