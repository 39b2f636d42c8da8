/**
 * `tangle stream verify ID`: fetches a stream from the node and checks its audit trail
 * (client/gateway/verify.ts): signatures, hash links, sequences without gaps, confirmation.
 * Exit 0 when every check passes, 1 when a problem is found (each named by sequence). With
 * --outbox, records the node no longer has are checked from the inclusion proofs the gateway kept
 * in that outbox, against the genesis of --network (default dev), and the report says which.
 */
import { fromHex, resolveStreamId, verifyStream } from "../client/node";
import { intOption, Opts, str, TangleCommand, UsageError } from "./args";
import { formatTable, shortId, terminalColumns } from "./progress";
import { connectFor, nodeUrl, printJson, withMnemonic, withNode } from "./wallet";
import { gatewayKeyPair } from "./gateway";
import { LmdbOutbox } from "../client/gateway/outbox-lmdb";
import { ConfigError } from "../node/config";
import { loadNetwork } from "../node/main";

export function streamCommand(): TangleCommand {
  const stream = new TangleCommand("stream").description("check a stream's audit trail: signatures, hash links, gaps, confirmation");
  withMnemonic(
    withNode(
      stream
        .command("verify")
        .description(
          "check a stream's audit trail: every record's signature and id, the hash link to the record before it, sequences without gaps, and which records milestones confirmed",
        )
        .argument("[ID|NAME]", "the 64-hex stream id, or a sensor NAME resolved with the gateway key (wallet address --index of the mnemonic), which is then also the expected issuer")
        .option("--issuer <HEX>", "expected signer's public key (64 hex characters)")
        .option("--from <SEQ>", "first sequence to check (default 0)")
        .option("--index <N>", "wallet address index of the gateway key, for a NAME (default 0)")
        .option("--outbox <DIR>", "the gateway's outbox: records the node no longer has are checked from the inclusion proofs kept there")
        .option("--network <dev|FILE>", "with --outbox: the genesis the stored proofs are checked against (default dev)")
        .option("--json", "print the report as JSON"),
    ),
  ).action(verify);
  return stream;
}

async function verify(input: string | undefined, opts: Opts): Promise<number> {
  if (input === undefined) throw new UsageError("stream verify takes one stream ID (64 hex characters) or sensor NAME");
  let streamId: string;
  let issuer: Uint8Array | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(input)) streamId = input.toLowerCase();
  else {
    const key = gatewayKeyPair(opts);
    streamId = resolveStreamId(key.publicKey, input);
    issuer = key.publicKey;
  }
  const issuerText = str(opts.issuer);
  if (issuerText !== undefined) {
    if (!/^[0-9a-fA-F]{64}$/.test(issuerText)) throw new UsageError("--issuer must be a public key of 64 hex characters");
    issuer = fromHex(issuerText);
  }
  const fromSeq = intOption("from", opts.from, 0, Number.MAX_SAFE_INTEGER, 0);
  nodeUrl(opts);
  const storedProofs = await storedProofsFor(opts, streamId);
  const { client } = await connectFor(opts);
  try {
    const report = await verifyStream(client, streamId, { issuer, fromSeq, storedProofs });
    const empty = report.records.length === 0;
    if (opts.json) printJson({ ...report, ok: report.ok && !empty });
    else if (empty) process.stdout.write(`stream ${streamId}: no records${fromSeq ? ` from sequence ${fromSeq}` : ""}\n`);
    else {
      const bad = new Set(report.problems.map((p) => p.sequence));
      const rows = report.records.map((r) => [String(r.sequence), shortId(r.id, 16), r.readings === null ? "-" : String(r.readings), r.confirmedBy === null ? "pending" : `milestone ${r.confirmedBy}`, r.source, bad.has(r.sequence) ? "PROBLEM" : "ok"]);
      process.stdout.write(formatTable(["seq", "record", "readings", "confirmed", "from", "check"], rows, terminalColumns()) + "\n\n");
      process.stdout.write(`stream  ${streamId}\nissuer  ${report.issuer}\n`);
      const held = report.node;
      if (held && held.firstSequence !== null && held.firstSequence > fromSeq) {
        process.stdout.write(`the node pruned sequences ${fromSeq}..${held.firstSequence - 1} (it lists the stream from sequence ${held.firstSequence}; pruning index ${held.pruningIndex})\n`);
      }
      if (report.fromProofs.length) process.stdout.write(`from stored proofs (the node no longer has them): ${ranges(report.fromProofs)}; every other record from the node\n`);
      else if (storedProofs) process.stdout.write(`every record from the node (${storedProofs.proofs.length} stored proof${storedProofs.proofs.length === 1 ? "" : "s"} not needed)\n`);
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

/** The stream's stored proofs and the genesis to check them against, with --outbox; undefined without. */
async function storedProofsFor(opts: Opts, streamId: string) {
  const dir = str(opts.outbox);
  if (dir === undefined) {
    if (opts.network !== undefined) throw new UsageError("--network is the genesis for the proofs of --outbox: give --outbox too");
    return undefined;
  }
  let genesis;
  try {
    genesis = loadNetwork({ network: str(opts.network) ?? "dev", coordinatorKey: undefined }).genesis;
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
  const outbox = LmdbOutbox.open(dir);
  try {
    return { proofs: outbox.proofs(streamId), trust: genesis };
  } finally {
    await outbox.close();
  }
}

/** 0..2, 5, 7..9 */
function ranges(seqs: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < seqs.length; ) {
    let j = i;
    while (j + 1 < seqs.length && seqs[j + 1] === seqs[j] + 1) j++;
    out.push(i === j ? String(seqs[i]) : `${seqs[i]}..${seqs[j]}`);
    i = j + 1;
  }
  return out.join(", ");
}
