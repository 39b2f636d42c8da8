/** Runs the built `tangle` command (node bin/tangle.js, which loads dist/) as a user would. */
import { ChildProcess, execFile, spawn } from "node:child_process";
import * as path from "node:path";

export const BIN = path.join(__dirname, "..", "..", "bin", "tangle.js");

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `tangle ...args` to completion; TANGLE_MNEMONIC is unset unless `env` sets it. */
export function tangle(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 60_000, env: { ...process.env, CI: "1", TANGLE_MNEMONIC: "", ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Starts `tangle ...args` and lets the test act on it while it runs (e.g. send a signal). */
export function start(args: string[], env: Record<string, string> = {}): { child: ChildProcess; stderr: () => string; waitStderr: (re: RegExp, timeoutMs?: number) => Promise<RegExpMatchArray>; done: Promise<Run> } {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, CI: "1", TANGLE_MNEMONIC: "", ...env } });
  let out = "";
  let err = "";
  const waiters: { re: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  child.stdout!.on("data", (d) => (out += String(d)));
  child.stderr!.on("data", (d) => {
    err += String(d);
    for (const w of [...waiters]) {
      const m = err.match(w.re);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  const done = new Promise<Run>((resolve) => child.on("close", (code) => resolve({ code, stdout: out, stderr: err })));
  return {
    child,
    stderr: () => err,
    waitStderr: (re, timeoutMs = 30_000) => {
      const m = err.match(re);
      if (m) return Promise.resolve(m);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`stderr never matched ${re}: ${err}`)), timeoutMs);
        waiters.push({ re, resolve: (x) => (clearTimeout(t), resolve(x)) });
        void done.then(() => {
          clearTimeout(t);
          reject(new Error(`exited before stderr matched ${re}: ${err}`));
        });
      });
    },
    done,
  };
}
