/**
 * A committee member never signs two different milestones at one index, across restarts
 * (docs/committee.md). Before a signature leaves the node, the member writes down, durably, the
 * highest index it signed and the hash of the milestone essence it signed there; a later request
 * to sign is checked against that record:
 *
 *   - a higher index: allowed (and recorded before the signature is given);
 *   - the same index and the same essence: allowed again (a proposer that lost the signature asks
 *     twice; Ed25519 gives the same signature);
 *   - the same index and another essence, or a lower index: refused, ERR_COMMITTEE_SIGNED_OTHER.
 *
 * Refusing every lower index is stricter than needed (the record keeps only the highest), and
 * harmless: a committee never goes back to an index it passed. The record is a small JSON file in
 * the data directory, replaced atomically (temporary file, fsync, rename, fsync of the directory),
 * so a kill -9 at any moment leaves the old record or the new one. A record that cannot be read is
 * ERR_COMMITTEE_STATE_DAMAGED: the member signs nothing until an operator restores it (it may
 * have signed something; guessing could sign twice).
 *
 * `decideSign` is the pure rule; `SignGuard` adds the file.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Code, CodedError } from "../../client/protocol/codes";

export const SIGN_RECORD_FILE = "committee-signed.json";

/** What a member signed last: the highest index and the essence hash it signed there (hex). */
export interface SignRecord {
  index: number;
  essenceHash: string;
}

export type SignDecision = { ok: true; record: boolean } | { ok: false; message: string };

const HEX32 = /^[0-9a-f]{64}$/;

/** The rule. `record`: whether the signature must be written down before it is given. */
export function decideSign(last: SignRecord | undefined, index: number, essenceHash: string): SignDecision {
  if (!Number.isSafeInteger(index) || index < 1) return { ok: false, message: `milestone index ${index} is not a positive integer` };
  if (!HEX32.test(essenceHash)) return { ok: false, message: "the essence hash is not 32 bytes of lowercase hex" };
  if (!last || index > last.index) return { ok: true, record: true };
  if (index === last.index && essenceHash === last.essenceHash) return { ok: true, record: false };
  if (index === last.index) return { ok: false, message: `this member signed another milestone at index ${index} (essence ${last.essenceHash}); it never signs two` };
  return { ok: false, message: `this member signed index ${last.index} already; it signs no lower index (${index})` };
}

export class CommitteeError extends CodedError {
  override name = "CommitteeError";
}

/** Parses a record file's text; throws ERR_COMMITTEE_STATE_DAMAGED on anything else. */
export function parseSignRecord(text: string, file: string): SignRecord {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw damaged(file, "not JSON");
  }
  const r = v as Partial<SignRecord> | null;
  if (typeof r !== "object" || r === null || Object.keys(r).sort().join(",") !== "essenceHash,index") throw damaged(file, "not a record of {index, essenceHash}");
  if (!Number.isSafeInteger(r.index) || (r.index as number) < 1) throw damaged(file, "index is not a positive integer");
  if (typeof r.essenceHash !== "string" || !HEX32.test(r.essenceHash)) throw damaged(file, "essenceHash is not 32 bytes of lowercase hex");
  return { index: r.index as number, essenceHash: r.essenceHash };
}

function damaged(file: string, what: string): CommitteeError {
  return new CommitteeError(
    Code.ERR_COMMITTEE_STATE_DAMAGED,
    `the record of what this committee member signed (${file}) is damaged: ${what}. It signs nothing until the file is restored from a backup, or, if it is certain that it signed nothing above the network's latest milestone, replaced by {"index": <latest milestone index>, "essenceHash": "<its essence hash>"}`,
  );
}

export class SignGuard {
  private constructor(
    private readonly file: string,
    private last: SignRecord | undefined,
  ) {}

  /** Reads the record in `dataDir` (none yet: nothing signed). */
  static open(dataDir: string): SignGuard {
    const file = path.join(dataDir, SIGN_RECORD_FILE);
    let text: string;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return new SignGuard(file, undefined);
      throw damaged(file, (err as Error).message);
    }
    return new SignGuard(file, parseSignRecord(text, file));
  }

  /** The highest index signed and what was signed there. */
  get lastSigned(): SignRecord | undefined {
    return this.last && { ...this.last };
  }

  /**
   * Permission to sign the milestone essence `essenceHash` at `index`: returns once the record is
   * on disk; throws ERR_COMMITTEE_SIGNED_OTHER (nothing changes) when the rule says no.
   */
  permit(index: number, essenceHash: string): void {
    const d = decideSign(this.last, index, essenceHash);
    if (!d.ok) throw new CommitteeError(Code.ERR_COMMITTEE_SIGNED_OTHER, d.message);
    if (!d.record) return;
    const next = { index, essenceHash };
    writeDurably(this.file, JSON.stringify(next) + "\n");
    this.last = next;
  }
}

/** Replaces `file` with `text` so that a crash leaves the old content or the new, never a mix. */
export function writeDurably(file: string, text: string): void {
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, "w", 0o600);
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  const dir = fs.openSync(path.dirname(file), "r");
  try {
    fs.fsyncSync(dir);
  } finally {
    fs.closeSync(dir);
  }
}
