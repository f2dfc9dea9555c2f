// After every journey has paid: no card number or security code is in kassa's database or logs.
import { expect, test } from "@playwright/test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CVC, TEST_CARDS } from "../support";

const state = join(__dirname, "..", "..", ".kassa-e2e");
const files = ["kassa.db", "kassa.db-wal", "kassa.log"].map((f) => join(state, f)).filter(existsSync);

/** A number as it may have been written: contiguous, or spaced or dashed in groups of four. */
function spellings(number: string): string[] {
  const groups = number.match(/.{1,4}/g)!;
  return [number, groups.join(" "), groups.join("-")];
}

test("the journeys really paid, so the search below means something", async () => {
  const log = readFileSync(join(state, "kassa.log"), "latin1");
  expect(log).toContain("/api/checkout/confirm");
  const db = files.filter((f) => f.includes("kassa.db")).map((f) => readFileSync(f, "latin1")).join("");
  expect(db).toContain("succeeded");
  expect(db).toContain("4242"); // last four digits are kept, as they should be
});

for (const file of files) {
  test(`no card number or security code in ${file.split("/").pop()}`, async () => {
    const text = readFileSync(file, "latin1");
    for (const number of TEST_CARDS) {
      for (const spelled of spellings(number)) {
        expect(text.includes(spelled), `${spelled} found in ${file}`).toBe(false);
      }
    }
    const cvc = new RegExp(`(cvc|csc|cvv|security)[^\\n]{0,12}${CVC}`, "i");
    expect(text.match(cvc), `a security code in ${file}`).toBeNull();
  });
}
