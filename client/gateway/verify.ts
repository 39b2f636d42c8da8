/**
 * The stream reader: fetches a stream's records and checks its audit trail.
 *
 * For every record, in sequence order:
 *   1. the bytes decode as a transaction (`undecodable`);
 *   2. BLAKE2b-256 of the bytes is the id the node lists (`id-mismatch`: the stored bytes changed);
 *   3. it is a data record of this stream with the listed sequence (`not-data`, `wrong-stream`,
 *      `sequence-mismatch`);
 *   4. the Ed25519 signature verifies against its issuer (`bad-signature`), and the issuer is the
 *      expected one, or the same as the first record's (`wrong-issuer`);
 *   5. its previous-record id is the id of the record before it (`broken-link`), or all zero for
 *      sequence 0. A link to another attachment of the same signed record (a reattachment) is
 *      accepted after fetching that attachment and comparing essence and signature;
 *   6. sequences have no holes (`gap`, naming the missing range).
 * Confirmation is reported, not judged: `unconfirmed` lists the sequences no milestone confirmed yet.
 */
import type { ApiClient } from "../api/client";
import type { Bytes32, StreamRecord } from "../api/types";
import { hex32 } from "../api/client";
import { equalBytes, toHex } from "../protocol/bytes";
import { decodeTransaction, DecodedTransaction, transactionId } from "../protocol/codec";
import { verifyEssenceNacl } from "../protocol/keys";
import { unpackReadings } from "./readings";

export type ProblemKind =
  | "undecodable"
  | "id-mismatch"
  | "not-data"
  | "wrong-stream"
  | "sequence-mismatch"
  | "bad-signature"
  | "wrong-issuer"
  | "broken-link"
  | "gap";

export interface StreamProblem {
  /** The sequence concerned (for a gap: its first missing sequence). */
  sequence: number;
  kind: ProblemKind;
  message: string;
  /** The record's listed id, when there is a record. */
  id?: string;
  /** For gaps: the last missing sequence. */
  toSequence?: number;
}

export interface VerifiedRecord {
  sequence: number;
  id: string;
  issuer: string | null;
  /** Attachment time (ms). */
  timestamp: number | null;
  confirmedBy: number | null;
  contentType: string | null;
  dataBytes: number;
  /** Readings in the record, when its data is a readings array. */
  readings: number | null;
  /** Whether this record passed every check. */
  ok: boolean;
  /** The link from the next record points at this other attachment of the same signed record. */
  linkedAttachment?: string;
}

export interface StreamReport {
  streamId: string;
  /** No problems. */
  ok: boolean;
  records: VerifiedRecord[];
  problems: StreamProblem[];
  issuer: string | null;
  confirmed: number;
  unconfirmed: number[];
  firstSequence: number | null;
  lastSequence: number | null;
}

export interface VerifyOptions {
  /** Expected issuer public key (default: whoever signed the first record). */
  issuer?: Bytes32;
  /** First sequence to check (default 0). */
  fromSeq?: number;
  /** Most records to check (default: all). */
  maxRecords?: number;
  /** Fetches another attachment by id (to accept reattachments); without it such links are broken. */
  fetchTransaction?: (id: string) => Promise<Uint8Array | undefined>;
}

/** Checks records already fetched (see the file comment). */
export async function verifyRecords(streamIdIn: Bytes32, records: StreamRecord[], opts: VerifyOptions = {}): Promise<StreamReport> {
  const streamId = hex32("streamId", streamIdIn);
  const fromSeq = opts.fromSeq ?? 0;
  const problems: StreamProblem[] = [];
  const out: VerifiedRecord[] = [];
  let issuer = opts.issuer === undefined ? null : hex32("issuer", opts.issuer);
  const sorted = [...records].sort((a, b) => a.sequence - b.sequence);
  let prev: { sequence: number; id: string; decoded?: DecodedTransaction } | undefined;
  let expected = fromSeq;

  for (const r of sorted) {
    const bad = (kind: ProblemKind, message: string) => problems.push({ sequence: r.sequence, kind, id: r.id, message: `sequence ${r.sequence}: ${message}` });
    const before = problems.length;
    if (r.sequence > expected) {
      problems.push({ sequence: expected, toSequence: r.sequence - 1, kind: "gap", message: r.sequence - 1 === expected ? `sequence ${expected} is missing` : `sequences ${expected}..${r.sequence - 1} are missing` });
    }
    expected = r.sequence + 1;
    const vr: VerifiedRecord = { sequence: r.sequence, id: r.id, issuer: null, timestamp: null, confirmedBy: r.confirmedBy, contentType: null, dataBytes: 0, readings: null, ok: true };
    out.push(vr);
    const d = decodeTransaction(r.bytes);
    if (!d.ok) {
      bad("undecodable", `the stored bytes are not a transaction (${d.code}: ${d.message})`);
      vr.ok = false;
      prev = { sequence: r.sequence, id: r.id };
      continue;
    }
    const tx = d.value.tx;
    const actualId = toHex(transactionId(r.bytes));
    if (actualId !== r.id) bad("id-mismatch", `the record was altered: its bytes hash to ${actualId}, but the node lists it as ${r.id}`);
    vr.issuer = toHex(tx.issuer);
    vr.timestamp = tx.timestamp;
    if (!verifyEssenceNacl(r.bytes.subarray(0, d.value.essenceLength), tx.signature, tx.issuer)) bad("bad-signature", `the signature does not verify for issuer ${vr.issuer}`);
    if (issuer === null) issuer = vr.issuer;
    else if (vr.issuer !== issuer) bad("wrong-issuer", `signed by ${vr.issuer}, expected ${issuer}`);
    const p = tx.payload;
    if (p.type !== "data") bad("not-data", `a ${p.type} transaction, not a data record`);
    else {
      vr.contentType = p.contentType;
      vr.dataBytes = p.data.length;
      try {
        vr.readings = unpackReadings(p.data).length;
      } catch {
        vr.readings = null;
      }
      if (toHex(p.streamId) !== streamId) bad("wrong-stream", `belongs to stream ${toHex(p.streamId)}`);
      if (p.sequence !== r.sequence) bad("sequence-mismatch", `carries sequence ${p.sequence}, listed as ${r.sequence}`);
      const link = toHex(p.prevRecordId);
      if (p.sequence === 0) {
        // The codec already refuses a non-zero link at sequence 0.
      } else if (prev && prev.sequence === r.sequence - 1) {
        if (link !== prev.id) {
          const alt = opts.fetchTransaction && prev.decoded ? await opts.fetchTransaction(link) : undefined;
          const altDecoded = alt ? decodeTransaction(alt) : undefined;
          const sameRecord =
            alt !== undefined &&
            altDecoded?.ok === true &&
            toHex(transactionId(alt)) === link &&
            equalBytes(alt.subarray(0, altDecoded.value.essenceLength + 64), prev.decoded!.bytes.subarray(0, prev.decoded!.essenceLength + 64));
          if (sameRecord) out[out.length - 2].linkedAttachment = link;
          else bad("broken-link", `links to previous record ${link}, but sequence ${prev.sequence} is ${prev.id}${alt ? " (a different record)" : ""}`);
        }
      }
    }
    vr.ok = problems.length === before;
    prev = { sequence: r.sequence, id: r.id, decoded: d.value };
  }

  const unconfirmed = out.filter((r) => r.confirmedBy === null).map((r) => r.sequence);
  return {
    streamId,
    ok: problems.length === 0,
    records: out,
    problems,
    issuer,
    confirmed: out.length - unconfirmed.length,
    unconfirmed,
    firstSequence: out[0]?.sequence ?? null,
    lastSequence: out[out.length - 1]?.sequence ?? null,
  };
}

/** Fetches a stream from the node, page by page, and verifies it. */
export async function verifyStream(client: ApiClient, streamIdIn: Bytes32, opts: VerifyOptions & { pageSize?: number } = {}): Promise<StreamReport> {
  const streamId = hex32("streamId", streamIdIn);
  const records = await fetchStream(client, streamId, opts);
  return verifyRecords(streamId, records, {
    ...opts,
    fetchTransaction:
      opts.fetchTransaction ??
      (async (id) => {
        try {
          return (await client.getTransaction(id)).bytes;
        } catch (err) {
          if ((err as { code?: string }).code === "ERR_NOT_FOUND") return undefined;
          throw err;
        }
      }),
  });
}

/** Every record of a stream from `fromSeq` (at most `maxRecords`), following pages. */
export async function fetchStream(client: ApiClient, streamId: Bytes32, opts: { fromSeq?: number; maxRecords?: number; pageSize?: number } = {}): Promise<StreamRecord[]> {
  const pageSize = Math.min(1000, opts.pageSize ?? 1000);
  const max = opts.maxRecords ?? Infinity;
  const out: StreamRecord[] = [];
  let from = opts.fromSeq ?? 0;
  while (out.length < max) {
    const limit = Math.min(pageSize, max - out.length);
    const page = await client.getStream(streamId, { fromSeq: from, limit });
    out.push(...page.records);
    if (page.records.length < limit) break;
    from = page.records[page.records.length - 1].sequence + 1;
  }
  return out;
}
