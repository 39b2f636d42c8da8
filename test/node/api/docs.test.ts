import * as fs from "node:fs";
import * as path from "node:path";
import { API_LIMITS } from "../../../node/api/limits";
import { ApiErrorCode } from "../../../node/api/errors";
import { NodeErrorCode } from "../../../node/errors";
import { createMethods } from "../../../node/api/methods";
import { PeerErrorCode } from "../../../node/peering/protocol";

const doc = fs.readFileSync(path.join(__dirname, "..", "..", "..", "docs", "api.md"), "utf8");

test("docs/api.md documents every method", () => {
  const methods = Object.keys(createMethods({} as never));
  for (const m of methods) expect(doc).toContain(`| \`${m}\` |`);
});

test("docs/api.md lists every API and node error code", () => {
  for (const code of [...Object.values(ApiErrorCode), ...Object.values(NodeErrorCode), ...Object.values(PeerErrorCode)]) {
    expect(doc).toContain(`\`${code}\``);
  }
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
});
