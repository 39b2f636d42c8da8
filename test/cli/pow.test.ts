/**
 * The compiled `tangle pow` command (a real process): --json prints nonce, trials, ms and threads
 * and the nonce validates at the asked difficulty; people get labelled lines; --help and --version.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as path from "node:path";
import { validatePow } from "../../core-wasm/src/pow";

const BIN = path.join(__dirname, "..", "..", "bin", "tangle.js");

function tangle(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("tangle pow", () => {
  test("--json prints nonce, trials, ms and threads; the nonce validates", () => {
    const root = randomBytes(32);
    const r = tangle("pow", "--root", root.toString("hex"), "--difficulty", "16", "--threads", "2", "--json");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out).sort()).toEqual(["ms", "nonce", "threads", "trials"]);
    expect(typeof out.nonce).toBe("string");
    expect(out.nonce).toMatch(/^\d+$/);
    expect(out.threads).toBe(2);
    expect(Number.isInteger(out.trials) && out.trials > 0).toBe(true);
    expect(Number.isInteger(out.ms) && out.ms >= 0).toBe(true);
    expect(validatePow(root, BigInt(out.nonce), 16)).toBe(true);
  });

  test("people get labelled lines", () => {
    const root = randomBytes(32);
    const r = tangle("pow", "--root", root.toString("hex").toUpperCase(), "--difficulty", "10");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^nonce\s+\d+$/m);
    const nonce = /^nonce\s+(\d+)$/m.exec(r.stdout);
    expect(validatePow(root, BigInt(nonce![1]), 10)).toBe(true);
    expect(r.stdout).toMatch(/^trials\s+\d+$/m);
  });

  test.each([
    [["pow", "--root", "abcd", "--difficulty", "8"], /--root must be 64 hex/],
    [["pow", "--root", "z".repeat(64), "--difficulty", "8"], /--root must be 64 hex/],
    [["pow", "--root", "0".repeat(64)], /--difficulty must be an integer/],
    [["pow", "--root", "0".repeat(64), "--difficulty", "64"], /--difficulty must be an integer from 0 to 63/],
    [["pow", "--root", "0".repeat(64), "--difficulty", "8", "--threads", "0"], /--threads must be/],
    [["pow", "--bogus"], /unknown option '--bogus'/],
    [["frobnicate"], /unknown command/],
  ])("usage errors exit 2 with a message: %j", (args, message) => {
    const r = tangle(...(args as string[]));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message as RegExp);
    expect(r.stdout).toBe("");
  });

  test("--help and --version", () => {
    expect(tangle("--help").stdout).toMatch(/tangle pow --root HEX --difficulty BITS/);
    expect(tangle("--version").stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});
