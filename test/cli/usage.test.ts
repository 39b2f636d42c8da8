/**
 * The command line itself: every command and subcommand answers --help with its own usage (exit 0);
 * a usage error names the option, suggests near misses, says what is missing, and shows that
 * command's usage only (exit 2); the top-level handler prints any thrown value on one line; a
 * reader that closes the pipe early (`| head`) ends the command quietly.
 */
import { spawn } from "node:child_process";
import * as path from "node:path";
import { describeError } from "../../cli/main";
import { tangle } from "./_run";

const ROOT_USAGE = /feeless tangle ledger/;

const COMMANDS = [
  "node",
  "network init",
  "key new",
  "key show",
  "wallet new",
  "wallet address",
  "wallet balance",
  "wallet send",
  "gateway publish",
  "gateway simulate",
  "stream verify",
  "pow",
  "bench",
  "wallet",
  "gateway",
  "stream",
  "network",
  "key",
];

test.each(COMMANDS)("tangle %s --help: its own usage on stdout, exit 0", async (command) => {
  const r = await tangle([...command.split(" "), "--help"]);
  expect([r.code, r.stderr]).toEqual([0, ""]);
  expect(r.stdout.startsWith(`Usage: tangle ${command} `)).toBe(true);
  expect(r.stdout).not.toMatch(ROOT_USAGE);
});

test("tangle node --help lists every option of the config table with its env variable and default", async () => {
  const { NODE_OPTIONS } = await import("../../node/config");
  const r = await tangle(["node", "--help"]);
  const text = r.stdout.replace(/\s+/g, " ");
  for (const [name, spec] of Object.entries(NODE_OPTIONS)) {
    const kebab = name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    const env = `TANGLE_${name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
    expect(text).toContain(`--${kebab}`);
    expect(text).toContain(`env ${env}`);
    if (spec.default !== undefined && !(Array.isArray(spec.default) && spec.default.length === 0)) expect(text).toContain(`default ${JSON.stringify(spec.default)}`);
  }
});

test.each([
  [["wallet", "send", "--dev", "--amout", "5"], "wallet send", [/unknown option '--amout'/, /Did you mean --amount\?/]],
  [["pow", "--root"], "pow", [/option '--root <HEX>' argument missing/]],
  [["gateway", "publish", "--dev", "--value", "1"], "gateway publish", [/--stream NAME\|ID is required/]],
  [["gateway", "simulate", "--dev", "--rate", "1"], "gateway simulate", [/--sensors N is required/]],
  [["network", "init"], "network init", [/--out DIR is required/]],
  [["key", "show"], "key show", [/missing required argument 'FILE'/]],
  [["bench", "fast"], "bench", [/'fast' is invalid/, /Allowed choices are pow, tips/]],
  [["wallet", "balance", "a", "b"], "wallet balance", [/too many arguments/]],
  [["gateway", "publsh"], "gateway", [/unknown subcommand 'publsh'/, /Did you mean publish\?/]],
  [["node", "--prot", "1"], "node", [/unknown option '--prot'/, /Did you mean --port\?/]],
  [["node", "--port", "70000"], "node", [/--port: port must be an integer in \[0, 65535\], got '70000'/]],
])("%j: exit 2, the problem named, that command's usage only", async (args, command, messages) => {
  const r = await tangle(args as string[]);
  expect(r.code).toBe(2);
  expect(r.stdout).toBe("");
  expect(r.stderr.startsWith(`tangle ${command}: `)).toBe(true);
  for (const m of messages as RegExp[]) expect(r.stderr).toMatch(m);
  expect(r.stderr).toContain(`Usage: tangle ${command} `);
  expect(r.stderr).not.toMatch(ROOT_USAGE);
});

test("tangle alone: which command, the tool's usage, exit 2; unknown commands are suggested", async () => {
  const none = await tangle([]);
  expect(none.code).toBe(2);
  expect(none.stderr).toMatch(/^tangle: which one\? node, /);
  expect(none.stderr).toMatch(ROOT_USAGE);
  const typo = await tangle(["walet"]);
  expect(typo.code).toBe(2);
  expect(typo.stderr).toMatch(/unknown command 'walet'/);
  expect(typo.stderr).toMatch(/Did you mean wallet\?/);
});

test("any thrown value prints on one line: numeric codes (lmdb), strings, null, plain objects", () => {
  expect(describeError(Object.assign(new Error("MDB_MAP_FULL: mapsize reached"), { code: -30792 }))).toBe("-30792: MDB_MAP_FULL: mapsize reached");
  expect(describeError(Object.assign(new Error("in use"), { code: "ERR_DATA_DIR_IN_USE" }))).toBe("ERR_DATA_DIR_IN_USE: in use");
  expect(describeError(Object.assign(new Error("ERR_X: says it"), { code: "ERR_X" }))).toBe("ERR_X: says it");
  expect(describeError("plain string")).toBe("plain string");
  expect(describeError(null)).toBe("null");
  expect(describeError(undefined)).toBe("undefined");
  expect(describeError({ message: "like an error", code: 7 })).toBe("7: like an error");
  expect(describeError({ weird: true })).toBe('[object Object] {"weird":true}');
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  expect(describeError(cyclic)).toBe("unknown error");
});

test("a reader that closes the pipe first (`tangle wallet send --help | head -1`) ends the command quietly, exit 0", async () => {
  const child = spawn(process.execPath, [path.join(__dirname, "..", "..", "bin", "tangle.js"), "wallet", "send", "--help"], { stdio: ["ignore", "pipe", "pipe"] });
  // The reading end closes before the command writes a byte.
  child.stdout.destroy();
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("close", (c) => resolve(c)));
  expect([code, stderr]).toEqual([0, ""]);
});
