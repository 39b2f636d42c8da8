/**
 * The node's option table (node/config.ts): defaults, then the file, then the environment, then
 * the command line, each overriding the one before; every option has exactly one usage entry.
 */
import { configUsage, NODE_OPTIONS, resolveConfig } from "../../node/config";

test("defaults, then file, then environment, then command line", () => {
  const d = resolveConfig();
  expect(d).toMatchObject({ port: 14265, host: "127.0.0.1", data: "./data", network: "dev", peer: [], logLevel: "info" });
  const c = resolveConfig({ port: 1000, peer: ["ws://a"] }, { TANGLE_PORT: "2000", TANGLE_REMOTE_POW: "false" }, { port: "3000", milestoneIntervalMs: "250" });
  expect(c.port).toBe(3000);
  expect(c.peer).toEqual(["ws://a"]);
  expect(c.remotePow).toBe(false);
  expect(c.milestoneIntervalMs).toBe(250);
  expect(resolveConfig({}, { TANGLE_PEER: "ws://x:1, ws://y:2" }).peer).toEqual(["ws://x:1", "ws://y:2"]);
});

test.each([
  [{ port: 70000 }, {}, {}, /port must be an integer/],
  [{ bogus: 1 }, {}, {}, /unknown option 'bogus'/],
  [{}, { TANGLE_LOG_LEVEL: "loud" }, {}, /must be one of debug, info, warn, error/],
  [{}, {}, { remotePow: "maybe" }, /must be true or false/],
  [{}, {}, { host: "" }, /non-empty string/],
])("bad values are refused with a message naming the option (%#)", (file, env, cli, msg) => {
  expect(() => resolveConfig(file as Record<string, unknown>, env, cli)).toThrow(msg);
  try {
    resolveConfig(file as Record<string, unknown>, env, cli);
  } catch (e) {
    expect((e as { code: string }).code).toBe("ERR_CONFIG");
  }
});

test("usage has one entry per option", () => {
  const u = configUsage();
  for (const name of Object.keys(NODE_OPTIONS)) expect(u).toContain(`${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
});
