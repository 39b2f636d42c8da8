/**
 * Short crash test for CI (the full one: `npm run test:crash`, 20 cycles): a real child node
 * process ingesting at load is killed with SIGKILL at random moments and restarted; afterwards
 * every acknowledged transaction must be stored and a from-scratch replay must reproduce the
 * stored ledger. Uses the compiled child (dist/), which `npm test` builds first.
 */
import * as path from "node:path";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { runCrashTest } = require(path.join(__dirname, "..", "..", "dist", "node", "tools", "crash-test.js")) as typeof import("../../node/tools/crash-test");

test("SIGKILL at random moments loses no acknowledged transaction", async () => {
  const cycles = Number(process.env.CRASH_CYCLES ?? 6);
  const report = await runCrashTest({ cycles });
  expect(report.problems).toEqual([]);
  expect(report.missing).toBe(0);
  expect(report.acknowledged).toBeGreaterThan(cycles * 5);
  expect(report.milestones).toBeGreaterThan(0);
}, 120_000);
