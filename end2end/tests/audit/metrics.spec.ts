// After every journey: /metrics, scraped as Prometheus would, counts what the journeys did, in a
// text format Prometheus's own checker (promtool, installed by scripts/setup) accepts. The scrape
// is kept in .kassa-e2e/metrics.txt.
import { expect, test } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

const state = join(__dirname, "..", "..", ".kassa-e2e");
const token = process.env.KASSA_E2E_METRICS_TOKEN ?? "end-to-end-metrics-token";

/** The value of a sample, by its name and labels as written; 0 when absent. */
function sample(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

test("metrics count the journeys and pass promtool check metrics", async ({ request }) => {
  expect((await request.get("/metrics")).status(), "no token, no metrics").toBe(404);
  const response = await request.get("/metrics", { headers: { authorization: `Bearer ${token}` } });
  expect(response.status()).toBe(200);
  expect(response.headers()["content-type"]).toBe("text/plain; version=0.0.4; charset=utf-8");
  const text = await response.text();
  writeFileSync(join(state, "metrics.txt"), text);

  const completed = text
    .split("\n")
    .filter((l) => l.startsWith("kassa_checkout_sessions_total{") && l.includes('event="completed"'))
    .reduce((sum, l) => sum + Number(l.split(" ").pop()), 0);
  expect(completed, "the journeys completed sessions").toBeGreaterThan(5);
  expect(sample(text, 'kassa_payments_total{outcome="succeeded"}')).toBeGreaterThan(5);
  expect(sample(text, 'kassa_payments_total{outcome="declined"}')).toBeGreaterThan(0);
  expect(text).toMatch(/kassa_http_requests_total\{method="GET",route="\/checkout\/\{id\}",status="200"\} [1-9]/);
  expect(text).toContain('kassa_db_pool_connections{pool="sqlite_reader",state="idle"}');
  expect(sample(text, 'kassa_sqlite_writer_batches_total{outcome="committed"}')).toBeGreaterThan(0);

  // Prometheus's checker: exits non-zero on anything a scrape would refuse or its lints flag.
  try {
    execFileSync("promtool", ["check", "metrics"], { input: text, stdio: ["pipe", "pipe", "pipe"] });
  } catch (error) {
    const failed = error as { code?: string; stdout?: Buffer; stderr?: Buffer };
    if (failed.code === "ENOENT" && !process.env.CI) {
      test.info().annotations.push({ type: "skipped", description: "promtool is not installed" });
      return;
    }
    throw new Error(`promtool check metrics: ${failed.stdout}${failed.stderr}`);
  }
});
