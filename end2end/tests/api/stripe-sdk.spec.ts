// Stripe's official Python SDK (PyPI `stripe`, installed by scripts/setup into
// target/sdk-python), its API base pointed at kassa: end2end/sdk/stripe_sdk.py.
import { expect, test } from "@playwright/test";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { demo, priceId } from "../support";

const python = join(__dirname, "..", "..", "..", "target", "sdk-python", "bin", "python");

test("Stripe's Python SDK creates, retrieves, lists and expires sessions", async ({ baseURL }) => {
  expect(existsSync(python), `${python}: run scripts/setup`).toBe(true);
  const run = spawnSync(python, [join(__dirname, "..", "..", "sdk", "stripe_sdk.py")], {
    env: {
      ...process.env,
      KASSA_BASE_URL: baseURL!,
      KASSA_SECRET_KEY: demo().secret_key,
      KASSA_PRICE: priceId("espresso-beans"),
    },
    encoding: "utf8",
    timeout: 60_000,
  });
  expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
  expect(run.stdout).toMatch(/checks passed/);
});
