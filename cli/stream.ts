/**
 * `tangle stream verify ID`: fetches a stream from the node and checks its audit trail
 * (client/gateway/verify.ts): signatures, hash links, sequences without gaps, confirmation.
 * Exit 0 when every check passes, 1 when a problem is found (each named by sequence).
 */
import { fromHex, resolveStreamId, verifyStream } from "../client/node";
import { parse, intOption, str, UsageError } from "./args";
import { formatTable } from "./progress";
import { connectNode, MNEMONIC_OPTIONS, nodeUrl, printJson } from "./wallet";
import { gatewayKeyPair } from "./gateway";

export const USAGE_STREAM = `Usage:
  tangle stream verify ID [--issuer HEX] [--from SEQ] [--node URL] [--json]
  tangle stream verify NAME (--dev | --mnemonic-file FILE | TANGLE_MNEMONIC) [--index N] …
      Check a stream's audit trail: every record's signature and id, the hash link to the record
      before it, sequences without gaps, and which records milestones confirmed. ID is the 64-hex
      stream id; a NAME is resolved with the gateway key (wallet address --index of the mnemonic),
      which is then also the expected issuer. --issuer sets the expected signer explicitly.
`;

export async function streamCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === "--help" || sub === "-h" || sub === "help") {
    process.stdout.write(USAGE_STREAM);
    return 0;
  }
  if (sub !== "verify") throw new UsageError(sub === undefined ? "stream: which one? verify" : `stream: unknown subcommand '${sub}'`);
  const { values, positionals } = parse(rest, { ...MNEMONIC_OPTIONS, issuer: { type: "string" }, from: { type: "string" }, index: { type: "string" }, node: { type: "string" }, json: { type: "boolean", default: false } }, true);
  if (positionals.length !== 1) throw new UsageError("stream verify takes one stream ID (64 hex characters) or sensor NAME");
  const input = positionals[0];
  let streamId: string;
  let issuer: Uint8Array | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(input)) streamId = input.toLowerCase();
  else {
    const key = gatewayKeyPair(values);
    streamId = resolveStreamId(key.publicKey, input);
    issuer = key.publicKey;
  }
  const issuerText = str(values.issuer);
  if (issuerText !== undefined) {
    if (!/^[0-9a-fA-F]{64}$/.test(issuerText)) throw new UsageError("--issuer must be a public key of 64 hex characters");
    issuer = fromHex(issuerText);
  }
  const fromSeq = intOption("from", values.from, 0, Number.MAX_SAFE_INTEGER, 0);
  const client = await connectNode(nodeUrl(values));
  try {
    const report = await verifyStream(client, streamId, { issuer, fromSeq });
    const empty = report.records.length === 0;
    if (values.json) printJson({ ...report, ok: report.ok && !empty });
    else if (empty) process.stdout.write(`stream ${streamId}: no records${fromSeq ? ` from sequence ${fromSeq}` : ""}\n`);
    else {
      const bad = new Set(report.problems.map((p) => p.sequence));
      const rows = report.records.map((r) => [String(r.sequence), r.id.slice(0, 16) + "…", r.readings === null ? "-" : String(r.readings), r.confirmedBy === null ? "pending" : `milestone ${r.confirmedBy}`, bad.has(r.sequence) ? "PROBLEM" : "ok"]);
      process.stdout.write(formatTable(["seq", "record", "readings", "confirmed", "check"], rows) + "\n\n");
      process.stdout.write(`stream  ${streamId}\nissuer  ${report.issuer}\n`);
      if (report.ok) {
        process.stdout.write(`OK: ${report.records.length} record${report.records.length === 1 ? "" : "s"}, signatures and hash links verify, no gaps; ${report.confirmed} confirmed${report.unconfirmed.length ? `, ${report.unconfirmed.length} pending` : ""}\n`);
      } else {
        process.stdout.write(`${report.problems.length} problem${report.problems.length > 1 ? "s" : ""}:\n`);
        for (const p of report.problems) process.stdout.write(`  ${p.kind.padEnd(17)} ${p.message}\n`);
      }
    }
    return report.ok && !empty ? 0 : 1;
  } finally {
    client.close();
  }
}
