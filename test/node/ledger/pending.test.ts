/**
 * Pending amounts (node/ledger/pending.ts): incoming to recipients and outgoing from the issuer;
 * inputs created by pending transfers count, unknown ones do not; confirmed and conflicting
 * transfers leave; attachments of one essence (a reattachment and its original) leave pending
 * together when one is confirmed, whether or not the other is in the milestone's cone; an
 * INPUT_UNKNOWN conflict decides nothing; attachments leave with the recent window, oldest first.
 */
import { encodeEssence, signingHash } from "../../../client/protocol/codec";
import { toHex } from "../../../client/protocol/bytes";
import { ConflictReason } from "../../../node/ledger/errors";
import { genesisTransactionId } from "../../../node/ledger/genesis";
import { LedgerState } from "../../../node/ledger/ledger";
import { decidesEssence, ledgerAmountLookup, PendingIndex } from "../../../node/ledger/pending";
import { ConeEntry, computeWhiteFlag } from "../../../node/ledger/whiteflag";
import { RecentIndex } from "../../../node/recent";
import { ADDR, dataTx, ENTRY_A, ENTRY_B, hex, makeGenesis, TestTangle, transfer } from "./_fixtures";

const genesis = makeGenesis([
  [0, 1000n],
  [1, 500n],
]);
const G = genesisTransactionId(genesis);

describe("PendingIndex", () => {
  test("incoming to recipients, outgoing from the issuer's address", () => {
    const ledger = LedgerState.fromGenesis(genesis);
    const p = new PendingIndex(ledgerAmountLookup(ledger));
    const t1 = transfer(0, [[G, 0]], [[1, 700n], [0, 300n]], [ENTRY_A, ENTRY_B]);
    expect(p.add(t1.id, t1.tx)).toBe(true);
    expect(p.pendingOf(ADDR[0])).toEqual({ incoming: 300n, outgoing: 1000n });
    expect(p.pendingOf(ADDR[1])).toEqual({ incoming: 700n, outgoing: 0n });
    expect(p.pendingOf(ADDR[2])).toEqual({ incoming: 0n, outgoing: 0n });
  });

  test("inputs created by pending transfers count; unknown inputs do not", () => {
    const ledger = LedgerState.fromGenesis(genesis);
    const p = new PendingIndex(ledgerAmountLookup(ledger));
    const t1 = transfer(0, [[G, 0]], [[1, 1000n]], [ENTRY_A, ENTRY_B]);
    const t2 = transfer(1, [[t1.id, 0], [G, 1], [new Uint8Array(32).fill(3), 0]], [[2, 1500n]], [t1.id, ENTRY_A]);
    // t2 arrives before its input's creator: only the ledger input is known at first.
    p.add(t2.id, t2.tx);
    expect(p.pendingOf(ADDR[1]).outgoing).toBe(500n);
    p.add(t1.id, t1.tx);
    expect(p.pendingOf(ADDR[1])).toEqual({ incoming: 1000n, outgoing: 1500n });
    expect(p.pendingOf(ADDR[2])).toEqual({ incoming: 1500n, outgoing: 0n });
  });

  test("confirmed and conflicting transfers are removed; spent ledger outputs still resolve", () => {
    const ledger = LedgerState.fromGenesis(genesis);
    const tangle = new TestTangle();
    const p = new PendingIndex(ledgerAmountLookup(ledger));
    const t1 = transfer(0, [[G, 0]], [[1, 1000n]], [ENTRY_A, ENTRY_B]);
    const dup = transfer(0, [[G, 0]], [[2, 1000n]], [ENTRY_A, ENTRY_B]);
    for (const e of [t1, dup]) {
      tangle.add(e);
      p.add(e.id, e.tx);
    }
    expect(p.pendingOf(ADDR[0]).outgoing).toBe(2000n);
    const out = computeWhiteFlag(1, [t1.id, ENTRY_A], tangle, ledger);
    if (!out.ok) throw new Error(out.message);
    ledger.apply(out.value);
    for (const id of out.value.included) expect(p.remove(id)).toBe(true);
    // dup is still pending; its input is now spent in the ledger but its amount is known.
    expect(p.pendingOf(ADDR[0])).toEqual({ incoming: 0n, outgoing: 1000n });
    expect(p.pendingOf(ADDR[1])).toEqual({ incoming: 0n, outgoing: 0n });
    expect(p.remove(dup.id)).toBe(true);
    expect(p.remove(dup.id)).toBe(false);
    expect(p.size).toBe(0);
    expect(p.pendingOf(ADDR[0])).toEqual({ incoming: 0n, outgoing: 0n });
  });

  test("ignores non-transfers and repeated adds", () => {
    const p = new PendingIndex(() => 5n);
    const d = dataTx([ENTRY_A, ENTRY_B]);
    expect(p.add(d.id, d.tx)).toBe(false);
    const t = transfer(0, [[G, 0]], [[0, 5n]], [ENTRY_A, ENTRY_B]);
    expect(p.add(t.id, t.tx)).toBe(true);
    expect(p.add(t.id, t.tx)).toBe(false);
    expect(p.has(t.id)).toBe(true);
    expect(p.size).toBe(1);
    // A self-transfer shows both directions.
    expect(p.pendingOf(ADDR[0])).toEqual({ incoming: 5n, outgoing: 5n });
  });
});

describe("PendingIndex: attachments of one essence", () => {
  // Two attachments of one signed essence: same issuer and payload, other parents and timestamp.
  const original = transfer(0, [[G, 0]], [[1, 600n], [0, 400n]], [ENTRY_A, ENTRY_B], 9001);
  const reattachment = transfer(0, [[G, 0]], [[1, 600n], [0, 400n]], [ENTRY_B, original.id], 9002);

  test("the two attachments differ in id, not in essence", () => {
    expect(toHex(original.id)).not.toBe(toHex(reattachment.id));
    expect(toHex(signingHash(encodeEssence(original.tx)))).toBe(toHex(signingHash(encodeEssence(reattachment.tx))));
  });

  test("one attachment confirmed, the other in its cone: both leave pending, with their amounts", () => {
    const ledger = LedgerState.fromGenesis(genesis);
    const tangle = new TestTangle().add(original, reattachment);
    const p = new PendingIndex(ledgerAmountLookup(ledger));
    p.add(original.id, original.tx);
    p.add(reattachment.id, reattachment.tx, signingHash(encodeEssence(reattachment.tx)));
    expect(p.pendingOf(ADDR[1])).toEqual({ incoming: 1200n, outgoing: 0n });
    // The original is in the reattachment's cone: white flag applies it (post-order) and marks the
    // reattachment INPUT_SPENT. Settling the applied one takes both out.
    const out = computeWhiteFlag(1, [reattachment.id, ENTRY_A], tangle, ledger);
    if (!out.ok) throw new Error(out.message);
    ledger.apply(out.value);
    expect(out.value.conflicts.map((c) => [toHex(c.id), c.reason])).toEqual([[toHex(reattachment.id), ConflictReason.INPUT_SPENT]]);
    expect(p.settle(original.id, undefined)).toBe(2);
    expect(p.size).toBe(0);
    expect(p.pendingOf(ADDR[0])).toEqual({ incoming: 0n, outgoing: 0n });
    expect(p.pendingOf(ADDR[1])).toEqual({ incoming: 0n, outgoing: 0n });
    expect(p.settle(reattachment.id, ConflictReason.INPUT_SPENT)).toBe(0);
  });

  test("only the reattachment confirmed, the lazy original outside the milestone's cone: the original leaves pending", () => {
    const ledger = LedgerState.fromGenesis(genesis);
    const lazy = transfer(0, [[G, 0]], [[2, 1000n]], [ENTRY_A, ENTRY_B], 9101);
    const again = transfer(0, [[G, 0]], [[2, 1000n]], [ENTRY_B, ENTRY_A], 9102);
    const tangle = new TestTangle().add(lazy, again);
    const p = new PendingIndex(ledgerAmountLookup(ledger));
    p.add(lazy.id, lazy.tx);
    p.add(again.id, again.tx);
    const out = computeWhiteFlag(1, [again.id, ENTRY_A], tangle, ledger);
    if (!out.ok) throw new Error(out.message);
    expect(hex(out.value.included)).toEqual(hex([again.id]));
    ledger.apply(out.value);
    for (const id of out.value.included) p.settle(id);
    expect(p.has(lazy.id)).toBe(false);
    expect(p.pendingOf(ADDR[2])).toEqual({ incoming: 0n, outgoing: 0n });
    expect(p.pendingOf(ADDR[0])).toEqual({ incoming: 0n, outgoing: 0n });
  });

  test("an INPUT_UNKNOWN conflict decides nothing: the other attachment stays; settleEssence removes all", () => {
    const p = new PendingIndex(() => undefined);
    const missing = new Uint8Array(32).fill(0x44);
    const a = transfer(1, [[missing, 0]], [[2, 5n]], [ENTRY_A, ENTRY_B], 9201);
    const b = transfer(1, [[missing, 0]], [[2, 5n]], [ENTRY_B, a.id], 9202);
    const other = transfer(1, [[G, 1]], [[2, 500n]], [ENTRY_A, ENTRY_B], 9203);
    for (const e of [a, b, other]) p.add(e.id, e.tx);
    expect(decidesEssence(ConflictReason.INPUT_UNKNOWN)).toBe(false);
    expect(p.settle(a.id, ConflictReason.INPUT_UNKNOWN)).toBe(1);
    expect([p.has(a.id), p.has(b.id), p.has(other.id)]).toEqual([false, true, true]);
    for (const reason of [ConflictReason.INPUT_SPENT, ConflictReason.INPUT_NOT_OWNED, ConflictReason.AMOUNT_MISMATCH]) expect(decidesEssence(reason)).toBe(true);
    expect(p.settleEssence(signingHash(encodeEssence(b.tx)))).toBe(1);
    expect([p.has(b.id), p.has(other.id)]).toEqual([false, true]);
    expect(p.pendingOf(ADDR[2])).toEqual({ incoming: 500n, outgoing: 0n });
  });
});

describe("PendingIndex: the window", () => {
  test("an attachment leaves pending when it leaves the recent window, oldest first", () => {
    const ledger = LedgerState.fromGenesis(genesis);
    const p = new PendingIndex(ledgerAmountLookup(ledger));
    // The node's window: a new arrival evicts the one `capacity` arrivals older (node/recent.ts).
    const window = new RecentIndex(4);
    let seq = 0;
    const arrive = (id: Uint8Array, tx?: ConeEntry["tx"]) => {
      window.add(toHex(id), { seq: seq++, receivedMs: 0 });
      if (tx) p.add(id, tx);
      return p.evict((h) => window.has(h));
    };
    const lazy = transfer(0, [[G, 0]], [[1, 1000n]], [ENTRY_A, ENTRY_B], 9301);
    const t2 = transfer(1, [[G, 1]], [[2, 500n]], [ENTRY_A, ENTRY_B], 9302);
    expect(arrive(lazy.id, lazy.tx)).toBe(0);
    expect(arrive(t2.id, t2.tx)).toBe(0);
    expect(arrive(dataTx([ENTRY_A, ENTRY_B], 9303).id)).toBe(0);
    expect(arrive(dataTx([ENTRY_A, ENTRY_B], 9304).id)).toBe(0);
    expect(p.pendingOf(ADDR[1])).toEqual({ incoming: 1000n, outgoing: 500n });
    // The fifth arrival pushes the lazy transfer out of a window of four.
    expect(arrive(dataTx([ENTRY_A, ENTRY_B], 9305).id)).toBe(1);
    expect([p.has(lazy.id), p.has(t2.id)]).toEqual([false, true]);
    expect(p.pendingOf(ADDR[1])).toEqual({ incoming: 0n, outgoing: 500n });
    expect(p.pendingOf(ADDR[0])).toEqual({ incoming: 0n, outgoing: 0n });
    expect(arrive(dataTx([ENTRY_A, ENTRY_B], 9306).id)).toBe(1);
    expect(p.size).toBe(0);
    expect(p.pendingOf(ADDR[2])).toEqual({ incoming: 0n, outgoing: 0n });
  });
});
