/**
 * `tangle proof`: proofs of inclusion (docs/proofs.md). `get` asks a node for a confirmed
 * transaction's proof and writes it to a file (the JSON form, or the byte form with --binary);
 * `verify` checks a proof file of either form offline against a genesis, with no node: exit 0
 * valid, 1 invalid (naming the check that failed, with its code), 2 usage. The work is in
 * client/protocol/inclusion-proof.ts; this file parses and prints.
 */
import * as fs from "node:fs";
import {
  decodeInclusionProof,
  encodeInclusionProof,
  INCLUSION_PROOF_MAGIC,
  inclusionProofFromJson,
  inclusionProofToJson,
  InclusionProofDecoded,
  InclusionVerdict,
  verifyInclusionProof,
} from "../client/protocol/inclusion-proof";
import { Code } from "../client/protocol/codes";
import { ConfigError } from "../node/config";
import { loadNetwork } from "../node/main";
import { EXIT_FAILURE, EXIT_OK, Opts, required, str, TangleCommand, UsageError } from "./args";
import { connectFor, printJson, withNode } from "./wallet";

export function proofCommand(): TangleCommand {
  const proof = new TangleCommand("proof").description("proofs of inclusion: fetch a confirmed transaction's proof from a node, check one offline against the genesis");
  withNode(
    proof
      .command("get")
      .description("write the inclusion proof of a confirmed transaction to a file (JSON form unless --binary)")
      .argument("[ID]", "the transaction id (64 hex characters)")
      .option("--out <FILE>", "where to write the proof")
      .option("--binary", "write the compact byte form instead of JSON (docs/proofs.md)")
      .option("--json", "print what was written as JSON"),
  ).action(get);
  proof
    .command("verify")
    .description("check a proof file (JSON or byte form) offline against the network's genesis, with no node: exit 0 valid, 1 invalid")
    .argument("[FILE]", "the proof file")
    .option("--network <dev|FILE>", "the genesis to check against: dev, or a genesis.json")
    .option("--json", "print the verdict as JSON")
    .action(verify);
  return proof;
}

async function get(id: string | undefined, opts: Opts): Promise<number> {
  if (id === undefined || !/^[0-9a-fA-F]{64}$/.test(id)) throw new UsageError("proof get takes one transaction ID (64 hex characters)");
  const out = required(opts, "out", "--out", "FILE");
  const { client } = await connectFor(opts);
  let result;
  try {
    result = await client.getInclusionProof(id.toLowerCase());
  } finally {
    client.close();
  }
  const decoded = decodeInclusionProof(result.proof);
  if (!decoded.ok) throw Object.assign(new Error(`the node sent a proof that does not parse: ${decoded.message}`), { code: decoded.code });
  const bytes = opts.binary ? encodeInclusionProof(decoded.value) : new TextEncoder().encode(`${JSON.stringify(inclusionProofToJson(decoded.value), null, 2)}\n`);
  fs.writeFileSync(out, bytes);
  const summary = { file: out, form: opts.binary ? "binary" : "json", bytes: bytes.length, id: result.id, milestoneIndex: result.milestoneIndex, milestoneId: result.milestoneId };
  if (opts.json) printJson(summary);
  else process.stdout.write(`wrote ${out} (${summary.form}, ${bytes.length} bytes): transaction ${result.id}, confirmed by milestone ${result.milestoneIndex} (${result.milestoneId})\n`);
  return EXIT_OK;
}

/** The proof in a file of either form: the byte form starts with "TGIP", anything else is read as JSON. */
export function readProofFile(file: string): InclusionProofDecoded {
  let data: Buffer;
  try {
    data = fs.readFileSync(file);
  } catch (err) {
    throw new UsageError(`${file}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message}`);
  }
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.length);
  if (bytes.length >= 4 && INCLUSION_PROOF_MAGIC.every((b, i) => bytes[i] === b)) return decodeInclusionProof(bytes);
  let json: unknown;
  try {
    json = JSON.parse(data.toString("utf8"));
  } catch (err) {
    return { ok: false, code: Code.ERR_PROOF_MALFORMED, message: `neither the byte form (no "TGIP" magic) nor JSON: ${(err as Error).message}` };
  }
  return inclusionProofFromJson(json);
}

async function verify(file: string | undefined, opts: Opts): Promise<number> {
  if (file === undefined) throw new UsageError("proof verify takes one proof FILE");
  const network = str(opts.network);
  if (network === undefined) throw new UsageError("--network dev|FILE is required: the genesis the proof is checked against");
  let genesis;
  try {
    genesis = loadNetwork({ network, coordinatorKey: undefined }).genesis;
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
  const read = readProofFile(file);
  const verdict: InclusionVerdict = read.ok ? verifyInclusionProof(read.value, genesis) : read;
  if (opts.json) printJson({ file, network: genesis.networkName, ...verdict });
  else if (verdict.ok) {
    process.stdout.write(
      `valid: transaction ${verdict.transactionId} (${verdict.payloadType}) was confirmed by milestone ${verdict.milestoneIndex} (${verdict.milestoneId}) of network ${genesis.networkName}\n` +
        `  signed by ${verdict.signers.length} member${verdict.signers.length === 1 ? "" : "s"} of the committee in force (${verdict.committee.threshold} of ${verdict.committee.members} needed), ` +
        `${verdict.committeeChanges} committee change${verdict.committeeChanges === 1 ? "" : "s"} checked from the genesis; milestone time ${new Date(verdict.milestoneTimestamp).toISOString()}\n` +
        `  ledger effect as the node stated it (no signature covers it): ${verdict.ledgerEffect}${verdict.conflict ? ` (${verdict.conflict})` : ""}\n`,
    );
  } else process.stdout.write(`invalid: ${verdict.code}: ${verdict.message}\n`);
  return verdict.ok ? EXIT_OK : EXIT_FAILURE;
}
