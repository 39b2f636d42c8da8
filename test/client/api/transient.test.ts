/**
 * client/api/errors.ts isTransient: the node's refusals that a later retry of the same request cures
 * (overload, turns, limits) are transient, so the gateway SDK and the wallet keep the record and
 * retry instead of ending the stream; refusals of the transaction itself are not.
 */
import { isTransient } from "../../../client/api/errors";
import { Code } from "../../../client/protocol/codes";

test("ERR_ISSUER_BUSY (the node's per-issuer bound of waiting submissions) is transient, like ERR_TOO_MANY_IN_FLIGHT", () => {
  const refusal = (code: string) => Object.assign(new Error("refused"), { code });
  expect(isTransient(refusal(Code.ERR_ISSUER_BUSY))).toBe(true);
  expect(isTransient(refusal(Code.ERR_TOO_MANY_IN_FLIGHT))).toBe(true);
  expect(isTransient(refusal(Code.ERR_TX_POW_INSUFFICIENT))).toBe(false);
  expect(isTransient(refusal(Code.ERR_BAD_PARAMS))).toBe(false);
});
