/**
 * The docs say what the code does: docs/api.md documents every API method and has a row for exactly
 * the topics of node/api/topics.ts, has the code table of
 * client/protocol/codes.ts row for row (layer and close code included; every code any docs page
 * names exists), the server's limits, the adaptive proof-of-work limits and the peers' solidification
 * timeout with the values the code uses; docs/protocol.md states the dev network's parameters as
 * node/networks/dev.ts defines them.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { API_LIMITS } from "../../../node/api/limits";
import { SHARED_API_LIMITS } from "../../../client/protocol/limits";
import { ADAPTIVE_POW } from "../../../node/adaptive-pow";
import { ApiErrorCode } from "../../../node/api/errors";
import { NodeErrorCode } from "../../../node/errors";
import { Code, CODES, isCode } from "../../../client/protocol/codes";
import { createMethods } from "../../../node/api/methods";
import { documentedTopics } from "../../../node/api/topics";
import { PEER_LIMITS, PeerErrorCode } from "../../../node/peering/protocol";
import { devCoordinatorSeed, devGenesis, devWalletSeed } from "../../../node/networks/dev";
import { genesisTransactionId } from "../../../node/ledger/genesis";
import { addressOf, keyPairFromSeed } from "../../../client/protocol/keys";
import { toHex } from "../../../client/protocol/bytes";
import { encodeAddress, hrpForNetwork } from "../../../client/wallet/address";

const doc = fs.readFileSync(path.join(__dirname, "..", "..", "..", "docs", "api.md"), "utf8");

test("docs/api.md documents every method", () => {
  const methods = Object.keys(createMethods({} as never));
  for (const m of methods) expect(doc).toContain(`| \`${m}\` |`);
});

test("docs/api.md's topic table has a row for every topic of node/api/topics.ts and no other", () => {
  const section = doc.slice(doc.indexOf("\n## Topics\n"));
  const rows = section
    .slice(0, section.indexOf("\n## ", 1))
    .split("\n")
    .map((l) => /^\| `([^`]+)` \| (.+) \|$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null);
  expect(rows.map((m) => m[1])).toEqual(documentedTopics());
  for (const m of rows) expect(m[2].trim().length).toBeGreaterThan(5);
});

test("docs/api.md's code table is the code table: the same codes, each with its layer and close code", () => {
  const section = doc.slice(doc.indexOf("\n## Errors\n"));
  const rows = section
    .slice(0, section.indexOf("\n## ", 1))
    .split("\n")
    .map((l) => /^\| `(ERR_[A-Z0-9_]+)` \| (\w+) \| (\d*) \| (.+) \|$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null);
  expect(rows.map((m) => m[1])).toEqual(Object.keys(CODES));
  for (const [, code, layer, close, meaning] of rows) {
    const info = CODES[code as Code];
    expect({ code, layer, close }).toEqual({ code, layer: info.layer, close: info.close === undefined ? "" : String(info.close) });
    expect(meaning.trim().length).toBeGreaterThan(5);
  }
  // The views the node answers with are all in it (they are views of the table).
  for (const code of [...Object.values(ApiErrorCode), ...Object.values(NodeErrorCode), ...Object.values(PeerErrorCode)]) {
    expect(doc).toContain(`| \`${code}\` |`);
  }
});

test("every code a docs page or the README names is in the code table (ERR_TX_* names the transaction codes)", () => {
  const root = path.join(__dirname, "..", "..", "..");
  const pages = [...fs.readdirSync(path.join(root, "docs")).filter((f) => f.endsWith(".md")).map((f) => path.join("docs", f)), "README.md"];
  const unknown: string[] = [];
  let named = 0;
  for (const page of pages) {
    const text = fs.readFileSync(path.join(root, page), "utf8");
    for (const m of text.matchAll(/ERR_[A-Z0-9_]*[A-Z0-9](_\*)?/g)) {
      named++;
      const ok = m[0].endsWith("_*") ? Object.keys(CODES).some((c) => c.startsWith(m[0].slice(0, -1))) : isCode(m[0]);
      if (!ok) unknown.push(`${page}: ${m[0]}`);
    }
  }
  expect(named).toBeGreaterThanOrEqual(Object.keys(CODES).length);
  expect(unknown).toEqual([]);
});

test("docs/api.md states the limits the server enforces", () => {
  expect(doc).toContain(`| frame size | ${API_LIMITS.maxFrameBytes} bytes`);
  expect(doc).toContain(`| connections | ${API_LIMITS.maxConnections} `);
  expect(doc).toContain(`| requests in flight per connection | ${API_LIMITS.maxInFlightPerConnection} |`);
  expect(doc).toContain(`| requests per second per connection | ${API_LIMITS.maxRequestsPerSecond} `);
  expect(doc).toContain(`| refusals before closing | ${API_LIMITS.maxRateViolations} refusals for rate, counted until the connection goes ${API_LIMITS.rateViolationQuietMs} ms without one: closed with 1008 |`);
  expect(doc).toContain(`| subscriptions per connection | ${API_LIMITS.maxSubscriptionsPerConnection} |`);
  expect(doc).toContain(`| getStream limit | ${API_LIMITS.maxStreamLimit} |`);
  expect(doc).toContain(`| remote PoW per connection | ${API_LIMITS.remotePowPerMinute} per minute |`);
  expect(doc).toContain(`| topics per subscribe/unsubscribe | ${API_LIMITS.maxTopicsPerRequest} |`);
  expect(doc).toContain(`| getOutputs results | ${API_LIMITS.maxOutputs} |`);
  expect(doc).toContain(`| text parameters | ${API_LIMITS.maxTextParamChars} characters at most `);
  expect(doc).toContain(`| send buffer per connection | ${API_LIMITS.maxBufferedBytesPerConnection} bytes (over it: not read until under half, pushes dropped; over it for ${API_LIMITS.maxBufferedStallMs} ms: closed with 1008) |`);
  expect(doc).toContain(`| submissions processed at once | ${API_LIMITS.maxSubmissionsInProgress} (all connections;`);
  expect(doc).toContain(`\`maxSubmissionsInProgress\` (${API_LIMITS.maxSubmissionsInProgress})`);
  const busy = API_LIMITS.maxSubmissionsInProgress - API_LIMITS.reservedSubmissionsForIdleConnections;
  expect(doc).toContain(`| submissions processed at once kept for idle connections | ${API_LIMITS.reservedSubmissionsForIdleConnections} (a connection with none being processed may take them; the others wait once ${busy} are taken) |`);
  expect(doc).toContain(`\`reservedSubmissionsForIdleConnections\` (${API_LIMITS.reservedSubmissionsForIdleConnections}) are kept for connections\nthat have nothing being processed: once ${busy} are taken`);
  expect(doc).toContain(`| submissions waiting per connection | ${API_LIMITS.maxQueuedSubmissionsPerConnection} (more: \`ERR_TOO_MANY_IN_FLIGHT\`) |`);
  expect(doc).toContain(`| submissions pending per issuer | ${API_LIMITS.maxPendingSubmissionsPerIssuer} waiting or being processed, all connections together (more: \`ERR_ISSUER_BUSY\`) |`);
  expect(doc).toContain(`\`maxPendingSubmissionsPerIssuer\` (${API_LIMITS.maxPendingSubmissionsPerIssuer})`);
});

test("the limits both sides need are written once (client/protocol/limits.ts) and the node enforces those very values", () => {
  for (const [name, value] of Object.entries(SHARED_API_LIMITS)) expect({ name, value: API_LIMITS[name as keyof typeof API_LIMITS] }).toEqual({ name, value });
  expect(doc).toContain("`client/protocol/limits.ts` (`SHARED_API_LIMITS`)");
});

test("docs/api.md states the adaptive proof-of-work limits the node applies", () => {
  const section = doc.slice(doc.indexOf("### Adaptive proof of work"));
  const text = section.slice(0, section.indexOf("\n## ")).replace(/\s+/g, " ");
  expect(text).toContain(`Each issuer may send ${ADAPTIVE_POW.allowancePerSecond} transactions per second (measured over ${ADAPTIVE_POW.windowMs / 1000} s)`);
  expect(text).toContain(`(at most ${ADAPTIVE_POW.maxExtraBits} extra bits)`);
  expect(text).toContain(`tracks at most ${ADAPTIVE_POW.maxIssuers} issuers at once`);
  expect(text).toContain("`node/adaptive-pow.ts`");
});

test("docs/protocol.md states the dev network's parameters as node/networks/dev.ts defines them", () => {
  const protocol = fs.readFileSync(path.join(__dirname, "..", "..", "..", "docs", "protocol.md"), "utf8");
  const section = protocol.slice(protocol.indexOf("## The dev network"));
  const g = devGenesis();
  const row = (name: string) => section.split("\n").find((l) => l.startsWith(`| ${name} |`)) ?? `(no row '${name}')`;
  expect(row("network id")).toContain(`| ${g.networkId} (\`0x${g.networkId.toString(16)}\``);
  expect(row("network name")).toContain(`\`${g.networkName}\` (address prefix \`${hrpForNetwork(g.networkName)}\`)`);
  expect(row("base difficulty")).toContain(`| ${g.baseDifficulty} bits |`);
  expect(g.outputs).toHaveLength(1);
  expect(row("supply")).toContain(`| ${g.outputs[0].amount}, one genesis output to the dev wallet address |`);
  const devAddress = addressOf(keyPairFromSeed(devWalletSeed()).publicKey);
  expect(g.outputs[0].address).toBe(toHex(devAddress));
  expect(row("dev wallet address")).toContain(`\`${toHex(devAddress)}\` (\`${encodeAddress(devAddress, hrpForNetwork(g.networkName))}\`)`);
  expect(row("coordinator public key")).toContain(`\`${toHex(keyPairFromSeed(devCoordinatorSeed()).publicKey)}\``);
  expect(g.committee).toEqual({ members: [toHex(keyPairFromSeed(devCoordinatorSeed()).publicKey)], threshold: 1 });
  expect(row("milestone interval")).toContain(`| ${g.milestoneIntervalMs} ms `);
  expect(row("genesis transaction id")).toContain(`\`${toHex(genesisTransactionId(g))}\``);
});

test("docs/api.md states the solidification timeout of peers' transactions", () => {
  expect(doc).toContain(`Transactions that arrive from peers wait up to ${PEER_LIMITS.solidifyTimeoutMs} ms`);
});
