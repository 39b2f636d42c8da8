/**
 * The committee change an operator queues on a member's node (node/committee/change-queue.ts): the
 * payload's rules with a code per rule and nothing written on a refusal, the file in a real data
 * directory across reopening and damage, what goes into a milestone, clearing once the chain of
 * committees holds the change, stale once no milestone can carry it (logged once), and the member's
 * verdict on a proposal's change.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { toHex } from "../../../client/protocol/bytes";
import { Code } from "../../../client/protocol/codes";
import { CHANGE_QUEUE_FILE, ChangeQueue, proposalChangeVerdict, sameChange, validateChange } from "../../../node/committee/change-queue";
import { CommitteeChain } from "../../../node/validation/committee";

const key = () => randomBytes(32).toString("hex");
const dirs: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "tangle-change-queue-"));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

const genesisMembers = [key(), key(), key(), key()];
const good = () => ({ members: [genesisMembers[0], genesisMembers[1], genesisMembers[2], key()], threshold: 3, effectiveIndex: 12 });

describe("validateChange", () => {
  test("a valid change comes back with lowercase keys in the given order", () => {
    const c = good();
    const upper = { ...c, members: c.members.map((m) => m.toUpperCase()) };
    expect(validateChange(upper, 10)).toEqual(c);
  });

  test.each([
    ["no members", { members: [] }, Code.ERR_COMMITTEE_CHANGE_MEMBERS, /1\.\.16/],
    ["17 members", { members: Array.from({ length: 17 }, key), threshold: 12 }, Code.ERR_COMMITTEE_CHANGE_MEMBERS, /1\.\.16/],
    ["not a list", { members: "ab" }, Code.ERR_COMMITTEE_CHANGE_MEMBERS, /list/],
    ["a short key", { members: [key(), "ab"] }, Code.ERR_COMMITTEE_CHANGE_MEMBERS, /members\[1\]/],
    ["a repeated key", { members: [genesisMembers[0], genesisMembers[1], genesisMembers[0].toUpperCase()] }, Code.ERR_COMMITTEE_CHANGE_MEMBERS, /members\[2\] repeats members\[0\]/],
    ["threshold half", { threshold: 2 }, Code.ERR_COMMITTEE_CHANGE_THRESHOLD, /threshold/],
    ["threshold above n", { threshold: 5 }, Code.ERR_COMMITTEE_CHANGE_THRESHOLD, /threshold/],
    ["threshold not an integer", { threshold: 3.5 }, Code.ERR_COMMITTEE_CHANGE_THRESHOLD, /threshold/],
    ["effective at the next milestone", { effectiveIndex: 11 }, Code.ERR_COMMITTEE_CHANGE_INDEX, /from 12/],
    ["effective in the past", { effectiveIndex: 3 }, Code.ERR_COMMITTEE_CHANGE_INDEX, /from 12/],
    ["effective past u32", { effectiveIndex: 2 ** 32 }, Code.ERR_COMMITTEE_CHANGE_INDEX, /4294967295/],
    ["effective index a string", { effectiveIndex: "12" }, Code.ERR_COMMITTEE_CHANGE_INDEX, /effectiveIndex/],
  ])("%s: refused with its code", (_, patch, code, message) => {
    expect(() => validateChange({ ...good(), ...patch }, 10)).toThrow(expect.objectContaining({ code, message: expect.stringMatching(message) }));
  });
});

describe("ChangeQueue", () => {
  test("queued, kept across reopening, replaced, cancelled; a refusal leaves the file as it was", () => {
    const dir = tmp();
    const q = ChangeQueue.open(dir);
    expect(q.queued).toBeUndefined();
    const c = good();
    expect(q.queue(c, 10)).toEqual(c);
    expect(JSON.parse(fs.readFileSync(path.join(dir, CHANGE_QUEUE_FILE), "utf8"))).toEqual(c);
    expect(ChangeQueue.open(dir).queued).toEqual(c);

    const before = fs.readFileSync(path.join(dir, CHANGE_QUEUE_FILE), "utf8");
    expect(() => q.queue({ ...c, threshold: 2 }, 10)).toThrow(expect.objectContaining({ code: Code.ERR_COMMITTEE_CHANGE_THRESHOLD }));
    expect(() => q.queue({ ...c, effectiveIndex: 12 }, 11)).toThrow(expect.objectContaining({ code: Code.ERR_COMMITTEE_CHANGE_INDEX }));
    expect(fs.readFileSync(path.join(dir, CHANGE_QUEUE_FILE), "utf8")).toBe(before);
    expect(q.queued).toEqual(c);

    const other = { ...c, effectiveIndex: 20 };
    q.queue(other, 10);
    expect(ChangeQueue.open(dir).queued).toEqual(other);
    expect(q.cancel()).toBe(true);
    expect(q.cancel()).toBe(false);
    expect(fs.existsSync(path.join(dir, CHANGE_QUEUE_FILE))).toBe(false);
    expect(ChangeQueue.open(dir).queued).toBeUndefined();
  });

  test.each([
    ["not JSON", "{\"members\": ["],
    ["another shape", JSON.stringify({ members: [key()], threshold: 1 })],
    ["an extra field", JSON.stringify({ ...good(), note: 1 })],
    ["a rule broken", JSON.stringify({ ...good(), threshold: 9 })],
  ])("a damaged file (%s) is ERR_COMMITTEE_CHANGE_DAMAGED at open, naming the file", (_, text) => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, CHANGE_QUEUE_FILE), text);
    expect(() => ChangeQueue.open(dir)).toThrow(expect.objectContaining({ code: Code.ERR_COMMITTEE_CHANGE_DAMAGED, message: expect.stringContaining(CHANGE_QUEUE_FILE) }));
  });

  test("goes into a milestone before its effective index while the chain allows a change; cleared once the chain holds exactly it", () => {
    const chain = new CommitteeChain({ members: genesisMembers, threshold: 3 });
    const lines: string[] = [];
    const q = ChangeQueue.open(tmp(), (m) => lines.push(m));
    const c = q.queue(good(), 10);
    const allows = (index: number) => (change: Parameters<typeof chain.checkChange>[1]) => chain.checkChange(index, change).ok;
    const carried = q.forMilestone(11, allows(11))!;
    expect(sameChange(c, carried)).toBe(true);
    expect(carried.members.map(toHex)).toEqual(c.members);
    expect(q.forMilestone(12, allows(12))).toBeUndefined(); // not after its own index
    expect(q.forMilestone(11, () => false)).toBeUndefined(); // another change waits

    // Another change applied: still queued.
    chain.applyChange(5, { effectiveIndex: 8, threshold: 3, members: genesisMembers.slice(0, 3).map((m) => Buffer.from(m, "hex")) });
    q.observe(10, chain.all);
    expect(q.queued).toEqual(c);
    // A change that differs only in order is not this one.
    const reordered = [...c.members].reverse();
    chain.applyChange(11, { effectiveIndex: 12, threshold: 3, members: reordered.map((m) => Buffer.from(m, "hex")) });
    // (the chain is only a record here; stale is what matters next)
    q.observe(11, chain.all);
    expect(q.queued).toEqual(c);
    expect(q.status(11).stale).toMatch(/queued for index 12 was not carried by a milestone before it/);

    const q2 = ChangeQueue.open(tmp(), (m) => lines.push(m));
    q2.queue(c, 10);
    const chain2 = new CommitteeChain({ members: genesisMembers, threshold: 3 });
    chain2.applyChange(11, carried);
    q2.observe(11, chain2.all);
    expect(q2.queued).toBeUndefined();
    expect(q2.status(11)).toEqual({ queued: null, stale: null });
    expect(lines).toContain("committee: the queued change was applied; queue cleared");
  });

  test("stale once no milestone can carry it: logged once, reported until cancelled or queued anew", () => {
    const lines: string[] = [];
    const chain = new CommitteeChain({ members: genesisMembers, threshold: 3 });
    const q = ChangeQueue.open(tmp(), (m) => lines.push(m));
    q.queue(good(), 10); // effective at 12: milestone 11 is the last that could carry it
    q.observe(10, chain.all);
    expect(q.status(10).stale).toBeNull();
    q.observe(11, chain.all);
    q.observe(12, chain.all);
    q.observe(13, chain.all);
    expect(lines.filter((l) => /not carried/.test(l))).toHaveLength(1);
    expect(q.status(13).stale).toMatch(/cancel it or queue it again with a later effective index/);
    q.queue({ ...good(), effectiveIndex: 20 }, 13);
    expect(q.status(13).stale).toBeNull();
  });
});

describe("proposalChangeVerdict", () => {
  const chainOk = { ok: true as const };
  const c = good();
  const asChange = (x: typeof c) => ({ effectiveIndex: x.effectiveIndex, threshold: x.threshold, members: x.members.map((m) => Uint8Array.from(Buffer.from(m, "hex"))) });

  test("no change: signed, whatever is queued", () => {
    expect(proposalChangeVerdict(undefined, 11, undefined, chainOk)).toEqual({ ok: true });
    expect(proposalChangeVerdict(c, 11, undefined, chainOk)).toEqual({ ok: true });
  });

  test("exactly the queued change: signed; not queued or another: refused for now (transient)", () => {
    expect(proposalChangeVerdict(c, 11, asChange(c), chainOk)).toEqual({ ok: true });
    expect(proposalChangeVerdict(undefined, 11, asChange(c), chainOk)).toMatchObject({ ok: false, transient: true, reason: expect.stringMatching(/no change is queued/) });
    for (const other of [{ ...c, threshold: 4 }, { ...c, effectiveIndex: 13 }, { ...c, members: [...c.members].reverse() }]) {
      expect(proposalChangeVerdict(c, 11, asChange(other), chainOk)).toMatchObject({ ok: false, transient: true, reason: expect.stringMatching(/differs/) });
    }
  });

  test("a change the chain refuses: refused for good", () => {
    expect(proposalChangeVerdict(c, 11, asChange(c), { ok: false, message: "another change waits" })).toEqual({ ok: false, transient: false, reason: "another change waits" });
  });
});
