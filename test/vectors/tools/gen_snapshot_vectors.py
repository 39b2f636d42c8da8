#!/usr/bin/env python3
"""Independent writer of snapshot files (test/vectors/snapshot.json), from docs/storage.md
("Snapshot files") and docs/ledger.md section 7 alone, with Python's own BLAKE2b (hashlib).

The ledger and the signed milestones are the white-flag vectors of gen_protocol_vectors.py (the
independent protocol writer, RFC 8032 Ed25519 of its own): three milestones over real transactions
on network 32343, a committee of one. This file records the unspent outputs after each milestone and
writes, from them:

- full-1 and full-3: full snapshots at milestones 1 and 3;
- delta-1-3: the delta from 1 to 3, naming full-1 as its base;
- three damaged files with the code a verifier must name: an entry's amount changed with the
  checksum made to fit (ERR_SNAPSHOT_LEDGER_ROOT), two entries swapped (ERR_SNAPSHOT_MALFORMED),
  the last byte cut off (ERR_SNAPSHOT_TRUNCATED).

Chunks hold at most three records here (a writer may choose any size up to 1 MiB), so that a reader
meets several chunks per section. Run: python3 test/vectors/tools/gen_snapshot_vectors.py
"""
import hashlib
import json
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(__file__))
import gen_protocol_vectors as P  # noqa: E402

CHUNK_RECORDS = 3


def h256(b):
    return hashlib.blake2b(b, digest_size=32).digest()


def entry(tx_id, index, address, amount):
    """docs/ledger.md 7.1: key 0x01 || txId || u8 index, value address || u64le amount."""
    return b"\x01" + tx_id + bytes([index]), address + struct.pack("<Q", amount)


def entries_of(unspent):
    return sorted(entry(t, i, a, v) for (t, i), (a, v) in unspent.items())


def ledger_root(entries):
    """docs/ledger.md 7.2, read literally (recursive, over leaf keys H(entry key))."""
    leaves = [(h256(k), h256(b"\x01" + h256(k) + h256(v))) for k, v in entries]

    def bit(key, i):
        return (key[i // 8] >> (7 - i % 8)) & 1

    def t(items, depth):
        if not items:
            return h256(b"\x00")
        if len(items) == 1:
            return items[0][1]
        return h256(b"\x02" + t([x for x in items if bit(x[0], depth) == 0], depth + 1) + t([x for x in items if bit(x[0], depth) == 1], depth + 1))

    return t(leaves, 0)


def chunks(records):
    out = b""
    for s in range(0, len(records), CHUNK_RECORDS):
        body = b"".join(records[s:s + CHUNK_RECORDS])
        out += struct.pack("<II", len(records[s:s + CHUNK_RECORDS]), len(body)) + body
    return out


def snapshot(network_id, genesis_id, milestone, entries, base=None, deleted=()):
    """docs/storage.md, Layout: header, the deleted keys' chunks, the entries' chunks, checksum."""
    kind = 0 if base is None else 1
    out = b"TNGLSNAP" + bytes([1, kind]) + struct.pack("<I", network_id) + genesis_id
    out += struct.pack("<I", milestone["index"]) + milestone["ledgerRoot"]
    if base is not None:
        out += struct.pack("<I", base["index"]) + base["ledgerRoot"]
    out += struct.pack("<I", len(milestone["bytes"])) + milestone["bytes"]
    out += struct.pack("<H", 0)  # no committee change on this network
    out += struct.pack("<I", 0)  # no solid entry points: nothing unconfirmed approves these ledgers' transactions
    out += struct.pack("<QQ", len(deleted), len(entries))
    out += chunks([bytes([len(k)]) + k for k in deleted])
    out += chunks([bytes([len(k)]) + k + struct.pack("<H", len(v)) + v for k, v in entries])
    return out + h256(out)


def main():
    captured = {}
    issue = P.WhiteFlagWriter.milestone

    def milestone(self, name, parents):
        ms_id = issue(self, name, parents)
        captured[self.index] = {"index": self.index, "id": ms_id, "bytes": self.txs[ms_id]["bytes"], "unspent": dict(self.unspent), "stateHash": self.state}
        return ms_id

    P.WhiteFlagWriter.milestone = milestone
    wf = P.white_flag_vectors()
    # The same milestones as test/vectors/protocol.json (the protocol writer is deterministic).
    with open(os.path.join(os.path.dirname(__file__), "..", "protocol.json")) as f:
        stored = json.load(f)["whiteFlag"]
    for m in stored["milestones"]:
        assert captured[m["index"]]["id"].hex() == m["idHex"], "protocol.json and this run disagree"

    network_id = wf["genesis"]["networkId"]
    genesis_id = bytes.fromhex(wf["genesisIdHex"])
    files = {}
    state = {}
    for index in (1, 3):
        m = captured[index]
        es = entries_of(m["unspent"])
        m["ledgerRoot"] = ledger_root(es)
        assert m["ledgerRoot"].hex() == stored["milestones"][index - 1]["ledgerRootHex"]
        state[index] = es
        data = snapshot(network_id, genesis_id, m, es)
        files["full-%d" % index] = {"kind": "full", "index": index, "milestoneIdHex": m["id"].hex(), "ledgerRootHex": m["ledgerRoot"].hex(), "stateHashHex": m["stateHash"].hex(), "entries": len(es), "entryRecords": len(es), "deletedRecords": 0, "hex": data.hex()}

    before, after = dict(state[1]), dict(state[3])
    deleted = sorted(k for k in before if k not in after)
    changed = sorted((k, v) for k, v in after.items() if before.get(k) != v)
    m3 = captured[3]
    delta = snapshot(network_id, genesis_id, m3, changed, base={"index": 1, "ledgerRoot": captured[1]["ledgerRoot"]}, deleted=deleted)
    files["delta-1-3"] = {"kind": "delta", "index": 3, "base": {"index": 1, "ledgerRootHex": captured[1]["ledgerRoot"].hex()}, "milestoneIdHex": m3["id"].hex(), "ledgerRootHex": m3["ledgerRoot"].hex(), "stateHashHex": m3["stateHash"].hex(), "entries": len(after), "entryRecords": len(changed), "deletedRecords": len(deleted), "hex": delta.hex()}

    # Damaged copies of full-3.
    es = state[3]
    k0, v0 = es[0]
    more = [(k0, v0[:32] + struct.pack("<Q", struct.unpack("<Q", v0[32:])[0] + 1))] + es[1:]
    swapped = [es[1], es[0]] + es[2:]
    full3 = bytes.fromhex(files["full-3"]["hex"])
    damaged = {
        "amount": (snapshot(network_id, genesis_id, m3, more), "ERR_SNAPSHOT_LEDGER_ROOT"),
        "order": (snapshot(network_id, genesis_id, m3, swapped), "ERR_SNAPSHOT_MALFORMED"),
        "cut": (full3[:-1], "ERR_SNAPSHOT_TRUNCATED"),
    }
    doc = {
        "source": "test/vectors/tools/gen_snapshot_vectors.py: snapshot files written from docs/storage.md and docs/ledger.md section 7 alone (hashlib BLAKE2b), over the white-flag vectors of gen_protocol_vectors.py",
        "genesis": wf["genesis"],
        "genesisIdHex": wf["genesisIdHex"],
        "files": files,
        "damaged": {name: {"base": "full-3", "code": code, "hex": data.hex()} for name, (data, code) in damaged.items()},
    }
    out = os.path.join(os.path.dirname(__file__), "..", "snapshot.json")
    with open(out, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
