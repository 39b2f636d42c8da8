/**
 * The chaos suite's shared parts (issue 15). Every scenario runs real `tangle node` processes and
 * is bounded in time. Two sizes:
 *
 *   - short (the default, part of `npm test` and so of CI): a few cycles or trials per scenario;
 *   - full (`npm run test:chaos`, CHAOS_SCALE=full): the sizes of the original fault test.
 *
 * Random choices come from one seeded generator; the seed is printed with every failure message
 * that depends on it, and CHAOS_SEED=N replays a run. With CHAOS_REPORT=FILE each scenario adds
 * its figures (counts, shares, memory) to a JSON document there (`npm run test:chaos` writes
 * bench/results/chaos.json, quoted in bench/README.md).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { seededRandom, SeededRandom } from "../../client/util/random";

export const FULL = process.env.CHAOS_SCALE === "full";

/** `short` in the default run, `full` under `npm run test:chaos`. */
export function scale<T>(short: T, full: T): T {
  return FULL ? full : short;
}

/** The run's seed: CHAOS_SEED, or a fresh one (printed by `seeded`). */
export const SEED = process.env.CHAOS_SEED ? Number(process.env.CHAOS_SEED) >>> 0 : (Date.now() ^ (process.pid << 16)) >>> 0;

/** A generator for one scenario (its own stream, so scenarios do not shift each other's choices). */
export function seeded(scenario: string): SeededRandom & { seed: number; why(msg: string): string } {
  let h = SEED;
  for (let i = 0; i < scenario.length; i++) h = Math.imul(h ^ scenario.charCodeAt(i), 0x9e3779b1) >>> 0;
  return Object.assign(seededRandom(h), { seed: SEED, why: (msg: string) => `${msg} (CHAOS_SEED=${SEED})` });
}

/** Adds `figures` under `scenario` to the CHAOS_REPORT document, if one is asked for. */
export function report(scenario: string, figures: Record<string, unknown>): void {
  const file = process.env.CHAOS_REPORT;
  if (!file) return;
  let doc: { seed?: number; scale?: string; cpu?: string; scenarios: Record<string, unknown> } = { scenarios: {} };
  try {
    doc = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    // first scenario of the run
  }
  doc.seed = SEED;
  doc.scale = FULL ? "full" : "short";
  doc.cpu = os.cpus()[0]?.model;
  doc.scenarios = { ...doc.scenarios, [scenario]: { ...figures, at: new Date().toISOString() } };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
}

/** Resident memory of a process, from /proc (Linux). */
export function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) * 1024;
}

export function tempDir(name: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `tangle-chaos-${name}-`));
}

/** Polls `ok` every `everyMs` until it holds; throws `what` after `timeoutMs`. */
export async function until(what: string, ok: () => boolean | Promise<boolean>, timeoutMs = 20_000, everyMs = 50): Promise<void> {
  const t0 = Date.now();
  while (!(await ok())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Rejects after `ms` (for a call on a socket that may be gone). */
export function within<T>(p: Promise<T>, ms: number, what = "call"): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms).unref())]);
}

const BIN = path.join(__dirname, "..", "..", "bin", "tangle.js");

/** `tangle ARGS` to completion: exit status, signal and output (for `tangle check`). */
export function tangle(args: string[], timeoutMs = 60_000): { status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: timeoutMs, env: { ...process.env, CI: "1" } });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** A raw API call that waits out rate-limit refusals (a check of thousands of ids must not be refused for its pace) and gives up after `ms`. */
export async function paced(c: { raw(method: string, params?: unknown): Promise<any> }, method: string, params?: unknown, ms = 5000): Promise<any> {
  const t0 = Date.now();
  for (;;) {
    const r = await within(c.raw(method, params), ms, method);
    if (r.error?.code !== "ERR_RATE_LIMITED") return r;
    if (Date.now() - t0 > ms) throw new Error(`${method}: still rate limited after ${ms} ms`);
    await sleep(20);
  }
}
