// Flowglad's official Node SDK, pointed at kassa, creates, retrieves and lists checkout sessions,
// and meets its own error classes for bad input.
import { expect, test } from "@playwright/test";
import Flowglad, {
  AuthenticationError,
  BadRequestError,
  NotFoundError,
} from "@flowglad/node";
import { readFileSync } from "node:fs";
import { join } from "node:path";

type Demo = { secret_key: string; prices: { id: string; slug: string; type: string }[] };

const demo = (): Demo =>
  JSON.parse(readFileSync(join(__dirname, "..", "..", ".kassa-e2e", "demo.json"), "utf8"));

function client(baseURL: string, apiKey = demo().secret_key): Flowglad {
  return new Flowglad({ apiKey, baseURL, maxRetries: 0 });
}

const urls = {
  successUrl: "https://shop.example/thanks?session={CHECKOUT_SESSION_ID}",
  cancelUrl: "https://shop.example/cart",
};

test("the SDK creates, retrieves and lists checkout sessions", async ({ baseURL }) => {
  const flowglad = client(baseURL!);
  const oneTime = demo().prices.find((p) => p.type === "single_payment")!;

  const created = await flowglad.checkoutSessions.create({
    checkoutSession: { type: "product", priceId: oneTime.id, quantity: 2, anonymous: true, ...urls },
  });
  const session = created.checkoutSession;
  expect(session.id).toMatch(/^cs_test_/);
  expect(session.status).toBe("open");
  expect(session.priceId).toBe(oneTime.id);
  expect(session.quantity).toBe(2);
  expect(created.url).toBe(`${baseURL}/checkout/${session.id}`);

  const retrieved = await flowglad.checkoutSessions.retrieve(session.id);
  expect(retrieved.checkoutSession).toEqual(session);

  const bySlug = await flowglad.checkoutSessions.create({
    checkoutSession: { type: "product", priceSlug: oneTime.slug, anonymous: true, ...urls },
  });
  const page = await flowglad.checkoutSessions.list({ limit: "1" });
  expect(page.data).toHaveLength(1);
  expect(page.hasMore).toBe(true);
  expect(page.total).toBeGreaterThanOrEqual(2);
  const next = await flowglad.checkoutSessions.list({ limit: "100", cursor: page.nextCursor });
  const ids = [...page.data, ...next.data].map((s) => s.id);
  expect(ids).toContain(session.id);
  expect(ids).toContain(bySlug.checkoutSession.id);
});

test("bad input meets the SDK's error classes", async ({ baseURL }) => {
  const flowglad = client(baseURL!);
  const oneTime = demo().prices.find((p) => p.type === "single_payment")!;

  const zero = flowglad.checkoutSessions.create({
    checkoutSession: { type: "product", priceId: oneTime.id, quantity: 0, anonymous: true, ...urls },
  });
  await expect(zero).rejects.toBeInstanceOf(BadRequestError);
  await expect(zero).rejects.toThrow(/checkoutSession\.quantity/);

  const unknownPrice = flowglad.checkoutSessions.create({
    checkoutSession: { type: "product", priceId: "price_nope", anonymous: true, ...urls },
  });
  await expect(unknownPrice).rejects.toBeInstanceOf(BadRequestError);

  const relative = flowglad.checkoutSessions.create({
    checkoutSession: { type: "product", priceId: oneTime.id, anonymous: true, ...urls, successUrl: "/thanks" },
  });
  await expect(relative).rejects.toThrow(/checkoutSession\.successUrl/);

  await expect(flowglad.checkoutSessions.retrieve("cs_test_missing")).rejects.toBeInstanceOf(NotFoundError);

  const stranger = client(baseURL!, "sk_test_" + "x".repeat(32));
  await expect(stranger.checkoutSessions.list()).rejects.toBeInstanceOf(AuthenticationError);
});
