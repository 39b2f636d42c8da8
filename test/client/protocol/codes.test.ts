/**
 * Proves the one code table (client/protocol/codes.ts) is the one contract: every row is well
 * formed; each module's code object is a view of it (names only codes of the table); the close
 * codes in the table are the ones the API server and peering really close with; and every error
 * class the project throws on purpose extends the one base, CodedError, keeping its own name,
 * code and `instanceof`; and each code string is written once: no source file outside the table
 * (and core-wasm/src/errors.ts, below it) spells a code of the table as a string literal.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { CodedError, Code, CODES, CONFLICT_REASONS, ConflictReason, isCode, isConflictReason } from "../../../client/protocol/codes";
import { CONFLICT_REASON_BYTE, ConflictReason as LedgerConflictReason } from "../../../node/ledger/errors";
import { ProtocolError, ProtocolErrorCode, CodedError as ReExported } from "../../../client/protocol/errors";
import { ClientErrorCode, NodeApiError, TangleClientError } from "../../../client/api/errors";
import { AddressError } from "../../../client/wallet/address";
import { MnemonicError } from "../../../client/wallet/mnemonic";
import { WalletError, WalletErrorCode } from "../../../client/wallet/wallet";
import { CoreError, CoreErrorCode } from "../../../core-wasm/src/errors";
import { TangleGraphError } from "../../../core-wasm/src/tangle";
import * as clientEntry from "../../../client/index";
import { NodeError, NodeErrorCode } from "../../../node/errors";
import { ApiError, ApiErrorCode, CloseCode } from "../../../node/api/errors";
import { LedgerError, LedgerErrorCode } from "../../../node/ledger/errors";
import { closeFailure, PeerFailureCode } from "../../../node/peering/failures";
import { PeerCloseCode, PeerErrorCode } from "../../../node/peering/protocol";
import { StorageError } from "../../../node/storage/store";
import { DirLockedError } from "../../../node/storage/dir-lock";
import { ConfigError } from "../../../node/config";
import { FrameEncodeError, FrameError } from "../../../client/protocol/frame";
import { PowAbortedError } from "../../../client/pow";
import { UsageError } from "../../../cli/args";
import { GatewayError, GatewayErrorCode } from "../../../client/gateway/types";

const codes = Object.keys(CODES);

test("every row: the code is ERR_ and upper snake case, names itself, has a layer, a one-line meaning and at most a valid close code", () => {
  expect(codes.length).toBeGreaterThanOrEqual(100);
  for (const c of codes) {
    const info = CODES[c as Code];
    expect(c).toMatch(/^ERR_[A-Z0-9]+(_[A-Z0-9]+)*$/);
    expect(Code[c as Code]).toBe(c);
    expect(isCode(c)).toBe(true);
    expect(["core", "protocol", "validation", "client", "wallet", "gateway", "api", "node", "ledger", "storage", "peering", "cli"]).toContain(info.layer);
    expect(info.meaning).toMatch(/^\S.{5,}$/);
    expect(info.meaning).not.toContain("\n");
    if (info.close !== undefined) expect(Number.isInteger(info.close) && info.close >= 1000 && info.close <= 4999).toBe(true);
  }
  expect(Object.isFrozen(Code)).toBe(true);
  expect(Object.keys(Code)).toEqual(codes);
  expect(isCode("ERR_NO_SUCH_CODE")).toBe(false);
  expect(isCode("toString")).toBe(false);
  expect(isCode(1)).toBe(false);
});

test("each module's code object is a view of the table: every value is a code of the table, each once", () => {
  const views: Record<string, Record<string, string>> = {
    CoreErrorCode,
    ProtocolErrorCode,
    ClientErrorCode,
    WalletErrorCode,
    GatewayErrorCode,
    NodeErrorCode,
    ApiErrorCode,
    LedgerErrorCode,
    PeerFailureCode,
    PeerErrorCode,
  };
  const seen = new Map<string, string>();
  for (const [name, view] of Object.entries(views)) {
    for (const [key, code] of Object.entries(view)) {
      expect({ view: name, key, known: isCode(code) }).toEqual({ view: name, key, known: true });
      expect({ code, alsoIn: seen.get(code) }).toEqual({ code, alsoIn: undefined });
      seen.set(code, name);
    }
  }
  // The layer the table names is the one whose view holds the code.
  for (const code of Object.values(LedgerErrorCode)) expect(CODES[code].layer).toBe("ledger");
  for (const code of Object.values(PeerFailureCode)) expect(CODES[code].layer).toBe("peering");
  for (const code of Object.values(ClientErrorCode)) expect(CODES[code].layer).toBe("client");
  for (const code of Object.values(WalletErrorCode)) expect(CODES[code].layer).toBe("wallet");
  for (const code of Object.values(CoreErrorCode)) expect(CODES[code].layer).toBe("core");
  for (const code of Object.values(GatewayErrorCode)) expect(CODES[code].layer).toBe("gateway");
});

test("the close codes in the table are the ones the API server and peering close with", () => {
  expect(CODES.ERR_RATE_LIMITED.close).toBe(CloseCode.POLICY_VIOLATION);
  expect(CODES.ERR_NODE_CLOSED.close).toBe(CloseCode.GOING_AWAY);
  expect(CODES.ERR_PEER_WRONG_NETWORK.close).toBe(PeerCloseCode.WRONG_NETWORK);
  expect(CODES.ERR_PEER_BAD_PROTOCOL.close).toBe(PeerCloseCode.BAD_PROTOCOL);
  expect(CODES.ERR_PEER_BANNED.close).toBe(PeerCloseCode.INVALID_DATA);
  expect(CODES.ERR_PEER_TOO_MANY_PEERS.close).toBe(PeerCloseCode.TOO_MANY_PEERS);
  expect(CODES.ERR_PEER_HANDSHAKE_TIMEOUT.close).toBe(PeerCloseCode.HANDSHAKE_TIMEOUT);
  // Read back: a peer closing with the table's close code is reported with the table's code.
  const withClose = codes.filter((c) => CODES[c as Code].layer === "peering" && CODES[c as Code].close !== undefined);
  expect(withClose.sort()).toEqual(["ERR_PEER_BAD_PROTOCOL", "ERR_PEER_BANNED", "ERR_PEER_HANDSHAKE_TIMEOUT", "ERR_PEER_TOO_MANY_PEERS", "ERR_PEER_WRONG_NETWORK"]);
  for (const c of withClose) expect(closeFailure(CODES[c as Code].close!, "").code).toBe(c);
});

test("every error class extends CodedError and keeps its name, code, message and instanceof", () => {
  const cases: [CodedError, Function, string, string][] = [
    [new CoreError(CoreErrorCode.BAD_ARGUMENT, "m"), CoreError, "CoreError", "ERR_BAD_ARGUMENT"],
    [new ProtocolError(ProtocolErrorCode.TRUNCATED, "m"), ProtocolError, "ProtocolError", "ERR_TX_TRUNCATED"],
    [new TangleClientError(ClientErrorCode.TIMEOUT, "m"), TangleClientError, "TangleClientError", "ERR_CLIENT_TIMEOUT"],
    [new WalletError(WalletErrorCode.AMOUNT, "m"), WalletError, "WalletError", "ERR_WALLET_AMOUNT"],
    [new AddressError("m"), AddressError, "AddressError", "ERR_WALLET_ADDRESS"],
    [new MnemonicError("m"), MnemonicError, "MnemonicError", "ERR_WALLET_MNEMONIC"],
    [new NodeError(NodeErrorCode.CLOSED, "m"), NodeError, "NodeError", "ERR_NODE_CLOSED"],
    [new ApiError(ApiErrorCode.NOT_FOUND, "m"), ApiError, "ApiError", "ERR_NOT_FOUND"],
    [new LedgerError(LedgerErrorCode.GENESIS_JSON, "m"), LedgerError, "LedgerError", "ERR_GENESIS_JSON"],
    [new StorageError(Code.ERR_SCHEMA_VERSION, "m"), StorageError, "StorageError", "ERR_SCHEMA_VERSION"],
    [new ConfigError("m"), ConfigError, "ConfigError", "ERR_CONFIG"],
    [new FrameError("m"), FrameError, "FrameError", "ERR_BAD_FRAME"],
    [new FrameEncodeError("m"), FrameEncodeError, "FrameEncodeError", "ERR_FRAME_ENCODE"],
    [new UsageError("m"), UsageError, "UsageError", "ERR_USAGE"],
  ];
  for (const [err, cls, name, code] of cases) {
    expect(err).toBeInstanceOf(CodedError);
    expect(err).toBeInstanceOf(Error);
    expect(err).toBeInstanceOf(cls);
    expect({ name: err.name, code: err.code, message: err.message, details: err.details }).toEqual({ name, code, message: "m", details: undefined });
    expect(isCode(err.code)).toBe(true);
  }
  // Subclasses with fields of their own: the base's fields and theirs, and every class on the way up.
  const special: [CodedError, Function[], Record<string, unknown>][] = [
    [new NodeApiError("ERR_NOT_FOUND", "no such transaction", "getTransaction"), [TangleClientError, NodeApiError], { name: "NodeApiError", code: "ERR_NOT_FOUND", method: "getTransaction", message: "getTransaction: no such transaction (ERR_NOT_FOUND)" }],
    [new GatewayError(GatewayErrorCode.REJECTED, "m", "ab".repeat(32)), [GatewayError], { name: "GatewayError", code: "ERR_GATEWAY_REJECTED", message: "m", streamId: "ab".repeat(32) }],
    [new PowAbortedError(), [CoreError, PowAbortedError], { name: "PowAbortedError", code: "ERR_POW_ABORTED", message: "proof-of-work search aborted" }],
    [new TangleGraphError("GRAPH_CAPACITY", -20, "m"), [TangleGraphError], { name: "TangleGraphError", code: "GRAPH_CAPACITY", wasmCode: -20, message: "GRAPH_CAPACITY: m" }],
    [new DirLockedError("/d", { pid: 42, started: 7 }), [DirLockedError], { name: "DirLockedError", code: "ERR_DATA_DIR_IN_USE", dir: "/d", holder: { pid: 42, started: 7 } }],
  ];
  for (const [err, classes, fields] of special) {
    for (const cls of [CodedError, ...classes]) expect(err).toBeInstanceOf(cls);
    const e = err as unknown as Record<string, unknown>;
    expect(Object.fromEntries(Object.keys(fields).map((k) => [k, e[k]]))).toEqual(fields);
  }
  // One base: the protocol's errors module and the package entry export the same class and table.
  expect(ReExported).toBe(CodedError);
  expect(clientEntry.CodedError).toBe(CodedError);
  expect(clientEntry.CODES).toBe(CODES);
  expect(new clientEntry.TangleClientError(ClientErrorCode.CLOSED, "m")).toBeInstanceOf(clientEntry.CodedError);
  const withDetails = new CodedError(Code.ERR_BAD_PARAMS, "m", { param: "count" });
  expect({ name: withDetails.name, details: withDetails.details }).toEqual({ name: "CodedError", details: { param: "count" } });
});

test("the conflict reasons are one list: the ledger's view and its storage bytes name exactly those", () => {
  const reasons = Object.keys(CONFLICT_REASONS);
  expect(reasons).toEqual(["INPUT_SPENT", "INPUT_UNKNOWN", "INPUT_NOT_OWNED", "AMOUNT_MISMATCH"]);
  expect(LedgerConflictReason).toBe(ConflictReason);
  for (const r of reasons) {
    expect(ConflictReason[r as ConflictReason]).toBe(r);
    expect(isConflictReason(r)).toBe(true);
  }
  expect(Object.keys(CONFLICT_REASON_BYTE).sort()).toEqual([...reasons].sort());
  expect(isConflictReason("ERR_NOT_FOUND")).toBe(false);
  expect(isConflictReason("hasOwnProperty")).toBe(false);
});

test("each code string is written once: no source outside the table spells a code as a string literal", () => {
  const root = path.join(__dirname, "..", "..", "..");
  const home = new Set(["client/protocol/codes.ts", "core-wasm/src/errors.ts"]);
  const walk = (dir: string): string[] =>
    fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
      const rel = `${dir}/${e.name}`;
      if (e.isDirectory()) return e.name === "node_modules" ? [] : walk(rel);
      return rel.endsWith(".ts") && !rel.endsWith(".d.ts") ? [rel] : [];
    });
  const files = ["client", "node", "cli", "bench", "core-wasm/src"].flatMap(walk);
  expect(files).toContain("node/api/methods.ts");
  const spelled: string[] = [];
  for (const f of files) {
    if (home.has(f)) continue;
    const text = fs.readFileSync(path.join(root, f), "utf8");
    for (const m of text.matchAll(/["'](ERR_[A-Z0-9_]+)["']/g)) if (isCode(m[1])) spelled.push(`${f}: ${m[1]}`);
  }
  expect(spelled).toEqual([]);
});
