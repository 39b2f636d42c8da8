/**
 * A committee member never signs two milestones at one index (node/committee/sign-guard.ts): the
 * rule, and the record in a real data directory across reopening (a restart) and damage.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { decideSign, parseSignRecord, SIGN_RECORD_FILE, SignGuard } from "../../../node/committee/sign-guard";

const h = () => randomBytes(32).toString("hex");

describe("decideSign", () => {
  test("higher indexes are allowed and recorded; the same milestone again is allowed, not recorded", () => {
    const a = h();
    expect(decideSign(undefined, 1, a)).toEqual({ ok: true, record: true });
    expect(decideSign({ index: 1, essenceHash: a }, 2, h())).toEqual({ ok: true, record: true });
    expect(decideSign({ index: 1, essenceHash: a }, 9, h())).toEqual({ ok: true, record: true });
    expect(decideSign({ index: 5, essenceHash: a }, 5, a)).toEqual({ ok: true, record: false });
  });

  test("another milestone at a signed index, or a lower index, is refused", () => {
    const a = h();
    const other = decideSign({ index: 5, essenceHash: a }, 5, h());
    expect(other.ok).toBe(false);
    expect(!other.ok && other.message).toMatch(/signed another milestone at index 5/);
    const lower = decideSign({ index: 5, essenceHash: a }, 4, h());
    expect(lower.ok).toBe(false);
    expect(!lower.ok && lower.message).toMatch(/signed index 5 already/);
    expect(decideSign({ index: 5, essenceHash: a }, 4, a).ok).toBe(false);
  });

  test("malformed requests are refused", () => {
    expect(decideSign(undefined, 0, h()).ok).toBe(false);
    expect(decideSign(undefined, 1.5, h()).ok).toBe(false);
    expect(decideSign(undefined, 1, "ab").ok).toBe(false);
    expect(decideSign(undefined, 1, h().toUpperCase()).ok).toBe(false);
  });
});

describe("SignGuard in a data directory", () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "sign-guard-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test("what was permitted before a restart still binds after it", () => {
    const a = h();
    const g = SignGuard.open(dir);
    expect(g.lastSigned).toBeUndefined();
    g.permit(7, a);
    expect(g.lastSigned).toEqual({ index: 7, essenceHash: a });
    // The record is on disk before permit returns (a kill -9 right after keeps it).
    expect(JSON.parse(fs.readFileSync(path.join(dir, SIGN_RECORD_FILE), "utf8"))).toEqual({ index: 7, essenceHash: a });
    expect(fs.existsSync(path.join(dir, `${SIGN_RECORD_FILE}.tmp`))).toBe(false);

    const again = SignGuard.open(dir); // a restart mid-round
    expect(again.lastSigned).toEqual({ index: 7, essenceHash: a });
    expect(() => again.permit(7, h())).toThrow(expect.objectContaining({ code: "ERR_COMMITTEE_SIGNED_OTHER" }));
    expect(() => again.permit(6, h())).toThrow(expect.objectContaining({ code: "ERR_COMMITTEE_SIGNED_OTHER" }));
    again.permit(7, a); // the same milestone: allowed
    const b = h();
    again.permit(8, b);
    expect(SignGuard.open(dir).lastSigned).toEqual({ index: 8, essenceHash: b });
  });

  test("a refusal changes nothing on disk", () => {
    const a = h();
    SignGuard.open(dir).permit(3, a);
    const before = fs.readFileSync(path.join(dir, SIGN_RECORD_FILE));
    const g = SignGuard.open(dir);
    expect(() => g.permit(3, h())).toThrow();
    expect(fs.readFileSync(path.join(dir, SIGN_RECORD_FILE))).toEqual(before);
    expect(g.lastSigned).toEqual({ index: 3, essenceHash: a });
  });

  test("a damaged record makes the member refuse to sign anything (it may have signed)", () => {
    const file = path.join(dir, SIGN_RECORD_FILE);
    for (const text of ["", "{", "[]", "null", '{"index":3}', `{"index":0,"essenceHash":"${h()}"}`, `{"index":3,"essenceHash":"zz"}`, `{"index":3,"essenceHash":"${h()}","extra":1}`]) {
      fs.writeFileSync(file, text);
      expect(() => SignGuard.open(dir)).toThrow(expect.objectContaining({ code: "ERR_COMMITTEE_STATE_DAMAGED" }));
    }
    const a = h();
    expect(parseSignRecord(`{"essenceHash":"${a}","index":12}`, file)).toEqual({ index: 12, essenceHash: a });
  });
});
