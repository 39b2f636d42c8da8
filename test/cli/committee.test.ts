/**
 * `tangle committee` (cli/committee.ts): each subcommand answers --help with its own usage; a
 * malformed --members entry, a threshold or index that is not an integer, and a missing admin token
 * are usage errors (exit 2) named before any node is asked; the text for people marks each
 * committee of the chain as retired, in force or waiting, and this node's key. Against a running
 * network: test/node/committee/committee-change.test.ts.
 */
import { formatCommittee, parseMembers } from "../../cli/committee";
import { tangle } from "./_run";

const k = (c: string) => c.repeat(64);

test.each(["committee", "committee status", "committee change", "committee cancel"])("tangle %s --help: its own usage, exit 0", async (command) => {
  const r = await tangle([...command.split(" "), "--help"]);
  expect([r.code, r.stderr]).toEqual([0, ""]);
  expect(r.stdout.startsWith(`Usage: tangle ${command} `)).toBe(true);
});

test.each([
  [["--members", `${k("a")},xyz`, "--threshold", "1", "--effective-index", "9", "--admin-token", "t"], /--members: entry 2 \('xyz'\) is not a public key of 64 hex characters/],
  [["--threshold", "1", "--effective-index", "9", "--admin-token", "t"], /--members K1,K2,\.\.\. is required/],
  [["--members", k("a"), "--threshold", "one", "--effective-index", "9", "--admin-token", "t"], /--threshold must be an integer/],
  [["--members", k("a"), "--threshold", "1", "--effective-index", "1", "--admin-token", "t"], /--effective-index must be an integer from 2/],
  [["--members", k("a"), "--threshold", "1", "--effective-index", "9"], /--admin-token T is required/],
])("tangle committee change %j: a usage error, exit 2, no node asked", async (args, message) => {
  const r = await tangle(["committee", "change", "--node", "ws://127.0.0.1:1", ...args], { TANGLE_ADMIN_TOKEN: "" });
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(message);
});

test("parseMembers keeps the order and lowercases", () => {
  expect(parseMembers(`${k("A")}, ${k("b")}`)).toEqual([k("a"), k("b")]);
});

test("formatCommittee: retired, in force and waiting committees; this node's key; the queued change and its staleness", () => {
  const text = formatCommittee({
    ledgerIndex: 14,
    epochs: [
      { fromIndex: 1, members: [k("a")], threshold: 1 },
      { fromIndex: 10, members: [k("a"), k("b"), k("c")], threshold: 3 },
      { fromIndex: 20, members: [k("b"), k("c"), k("d")], threshold: 2 },
    ],
    memberKey: k("b"),
    queued: { members: [k("e")], threshold: 1, effectiveIndex: 15 },
    stale: "no milestone can carry it",
  });
  const lines = text.split("\n");
  expect(lines[0]).toBe(`ledger at milestone 14; this node's key: ${k("b")}`);
  expect(lines.find((l) => l.startsWith("1 "))).toMatch(/1 of 1 .*retired$/);
  expect(lines.find((l) => l.startsWith("10 "))).toMatch(/3 of 3 .*bbbbbbbb…bbbb \(this node\).*in force$/);
  expect(lines.find((l) => l.startsWith("20 "))).toMatch(/2 of 3 .*waiting$/);
  expect(text).toContain(`queued here: 1 of 1 from index 15: ${k("e")}`);
  expect(text).toContain("STALE: no milestone can carry it");
});
