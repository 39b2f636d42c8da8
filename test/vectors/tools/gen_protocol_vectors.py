#!/usr/bin/env python3
"""Independent generator of the protocol test vectors (test/vectors/protocol.json).

Written from docs/protocol.md alone, in another language than the TypeScript codec, with Python's
own BLAKE2b (hashlib) and a small Ed25519 written from RFC 8032 section 5.1, so the vectors do not
come from the code they test. Run: python3 test/vectors/tools/gen_protocol_vectors.py

The single transactions (version 2): a transfer, a data record, milestone v2 of a committee of four
signed by one member and by three (sorted by key, each over H(milestone essence), which binds the
parents), a milestone carrying a committee change, and a checkpoint.

Besides them it writes `whiteFlag`: a genesis (a committee of one) and three consecutive milestones
over real signed and stamped transactions, with each milestone's cone in white-flag order, the
transfers applied and the conflicts with their reasons, the merkle roots, the state hash chain and
the ledger root after each milestone (a sparse merkle tree written here from docs/ledger.md
section 7), all computed from docs/ledger.md alone.
"""
import hashlib
import json
import os
import struct

# ---- Ed25519 (RFC 8032 §5.1), plain integers; slow and fine for a handful of signatures ----------
P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = (-121665 * pow(121666, P - 2, P)) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def _recover_x(y, sign):
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if x & 1 != sign:
        x = P - x
    return x


BY = 4 * pow(5, P - 2, P) % P
B = (_recover_x(BY, 0), BY, 1, _recover_x(BY, 0) * BY % P)  # extended coordinates


def _add(p, q):
    a = (p[1] - p[0]) * (q[1] - q[0]) % P
    b = (p[1] + p[0]) * (q[1] + q[0]) % P
    c = 2 * p[3] * q[3] * D % P
    d = 2 * p[2] * q[2] % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _mul(s, p):
    q = (0, 1, 1, 0)
    while s:
        if s & 1:
            q = _add(q, p)
        p = _add(p, p)
        s >>= 1
    return q


def _encode(p):
    zi = pow(p[2], P - 2, P)
    x, y = p[0] * zi % P, p[1] * zi % P
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def _sha512_int(*parts):
    return int.from_bytes(hashlib.sha512(b"".join(parts)).digest(), "little")


def ed25519_public(seed):
    h = hashlib.sha512(seed).digest()
    a = int.from_bytes(h[:32], "little")
    a &= (1 << 254) - 8
    a |= 1 << 254
    return _encode(_mul(a, B)), a, h[32:]


def ed25519_sign(seed, msg):
    pub, a, prefix = ed25519_public(seed)
    r = _sha512_int(prefix, msg) % L
    rb = _encode(_mul(r, B))
    k = _sha512_int(rb, pub, msg) % L
    s = (r + k * a) % L
    return rb + s.to_bytes(32, "little")


# ---- the protocol (docs/protocol.md) -------------------------------------------------------------
def h256(b):
    return hashlib.blake2b(b, digest_size=32).digest()


def work(nonce, root):
    return int.from_bytes(hashlib.blake2b(struct.pack("<Q", nonce) + root, digest_size=8).digest(), "little")


def threshold(d):
    return 0 if d == 0 else 2**64 - 2 ** (64 - d)


VERSION = 2


def essence(network_id, issuer, ptype, payload):
    return struct.pack("<BI", VERSION, network_id) + issuer + struct.pack("<BI", ptype, len(payload)) + payload


def transfer_payload(inputs, outputs):
    b = bytes([len(inputs)])
    for tx_id, index in inputs:
        b += tx_id + bytes([index])
    b += bytes([len(outputs)])
    for address, amount in outputs:
        b += address + struct.pack("<Q", amount)
    return b


def data_payload(stream_id, seq, prev, content_type, data):
    ct = content_type.encode("ascii")
    return stream_id + struct.pack("<Q", seq) + prev + bytes([len(ct)]) + ct + struct.pack("<I", len(data)) + data


def milestone_fields(index, timestamp, previous_id, merkle_root, state_hash, ledger_root, change=None):
    """Milestone v2 up to (not including) the signature count: what the members sign, after the prefix."""
    b = struct.pack("<IQ", index, timestamp) + previous_id + merkle_root + state_hash + ledger_root
    if change is None:
        return b + b"\x00"
    effective, k, members = change
    return b + b"\x01" + struct.pack("<IBB", effective, k, len(members)) + b"".join(members)


def milestone_essence(network_id, parents, fields):
    """docs/protocol.md, "Milestone essence": tag, version, network, the parents, the fields."""
    parents = sorted(parents)
    return b"tangle-milestone" + struct.pack("<BIB", VERSION, network_id, len(parents)) + b"".join(parents) + fields


def milestone_payload(network_id, parents, fields, seeds):
    """The fields, then the signatures of `seeds` over H(milestone essence), sorted by public key."""
    msg = h256(milestone_essence(network_id, parents, fields))
    sigs = sorted((ed25519_public(s)[0], ed25519_sign(s, msg)) for s in seeds)
    return fields + bytes([len(sigs)]) + b"".join(pk + sig for pk, sig in sigs), msg, sigs


def checkpoint_payload(milestone_index):
    return struct.pack("<I", milestone_index)


# ---- the ledger root (docs/ledger.md, "Ledger root") ----------------------------------------------
def ledger_root(unspent):
    """Sparse merkle tree over H(entry key), single-entry subtrees as their leaf; unspent outputs only."""
    leaves = []
    for (tx_id, index), (address, amount) in unspent.items():
        key = h256(b"\x01" + tx_id + bytes([index]))
        leaves.append((key, h256(b"\x01" + key + h256(address + struct.pack("<Q", amount)))))

    def bit(key, i):
        return (key[i // 8] >> (7 - i % 8)) & 1

    def root(items, depth):
        if not items:
            return h256(b"\x00")
        if len(items) == 1:
            return items[0][1]
        left = [x for x in items if bit(x[0], depth) == 0]
        right = [x for x in items if bit(x[0], depth) == 1]
        return h256(b"\x02" + root(left, depth + 1) + root(right, depth + 1))

    return root(leaves, 0)


def build(name, seed, network_id, ptype, payload, parents, timestamp, difficulty):
    issuer, _, _ = ed25519_public(seed)
    ess = essence(network_id, issuer, ptype, payload)
    signing_hash = h256(ess)
    sig = ed25519_sign(seed, signing_hash)
    parents = sorted(parents)
    body = ess + sig + struct.pack("<QB", timestamp, len(parents)) + b"".join(parents)
    root = h256(body)
    nonce = 0
    while work(nonce, root) < threshold(difficulty):
        nonce += 1
    tx = body + struct.pack("<Q", nonce)
    return {
        "name": name,
        "seedHex": seed.hex(),
        "issuerHex": issuer.hex(),
        "networkId": network_id,
        "timestamp": timestamp,
        "parentsHex": [p.hex() for p in parents],
        "difficulty": difficulty,
        "essenceHex": ess.hex(),
        "signingHashHex": signing_hash.hex(),
        "signatureHex": sig.hex(),
        "powRootHex": root.hex(),
        "nonce": str(nonce),
        "workHex": "%016x" % work(nonce, root),
        "transactionHex": tx.hex(),
        "idHex": h256(tx).hex(),
    }


# ---- white flag over three milestones (docs/ledger.md §2 and §3) ---------------------------------
DIFFICULTY_UNIT_BYTES = 512


def required_difficulty(n, base):
    """docs/protocol.md, "Required difficulty": base + ceil(log2(ceil(n / 512))), capped at 63."""
    units = max(1, -(-n // DIFFICULTY_UNIT_BYTES))
    extra = (units - 1).bit_length()  # ceil(log2(units)) for units >= 1
    return min(63, base + extra)


def stamped(seed, network_id, ptype, payload, parents, timestamp, base):
    """Signs, attaches and stamps at the difficulty a node requires for the final size."""
    issuer, _, _ = ed25519_public(seed)
    ess = essence(network_id, issuer, ptype, payload)
    sig = ed25519_sign(seed, h256(ess))
    parents = sorted(parents)
    body = ess + sig + struct.pack("<QB", timestamp, len(parents)) + b"".join(parents)
    d = required_difficulty(len(body) + 8, base)
    root = h256(body)
    nonce = 0
    while work(nonce, root) < threshold(d):
        nonce += 1
    tx = body + struct.pack("<Q", nonce)
    return tx, h256(tx), parents


def merkle_tree_hash(leaves):
    """RFC 6962 section 2.1, read literally (recursive split), with BLAKE2b-256."""
    n = len(leaves)
    if n == 0:
        return h256(b"")
    if n == 1:
        return h256(b"\x00" + leaves[0])
    k = 1
    while k * 2 < n:
        k *= 2
    return h256(b"\x01" + merkle_tree_hash(leaves[:k]) + merkle_tree_hash(leaves[k:]))


class WhiteFlagWriter:
    """Issues transactions and milestones the way docs/ledger.md says every node must read them."""

    def __init__(self, network_id, base, coordinator_seed, genesis_outputs, t0):
        self.network_id = network_id
        self.base = base
        self.coordinator_seed = coordinator_seed
        self.time = t0
        outputs_bytes = b"".join(addr + struct.pack("<Q", amount) for addr, amount in genesis_outputs)
        self.genesis_id = h256(b"tangle-genesis" + struct.pack("<I", network_id) + outputs_bytes)
        self.genesis_state = h256(struct.pack("<I", network_id) + outputs_bytes)
        self.state = self.genesis_state
        self.index = 0
        # (tx id, output index) -> (address, amount); spent: set of (tx id, output index)
        self.unspent = {(self.genesis_id, i): o for i, o in enumerate(genesis_outputs)}
        self.spent = set()
        self.entry_points = {bytes(32), self.genesis_id}
        self.txs = {}  # id -> dict(parents, issuer, transfer or None)
        self.order = []  # ids in submission order
        self.names = {}
        self.confirmed_by = {}  # id -> milestone index
        self.conflict = {}  # id -> reason
        self.milestones = []

    def _add(self, name, seed, ptype, payload, parents, transfer=None):
        self.time += 1000
        tx, tx_id, parents = stamped(seed, self.network_id, ptype, payload, parents, self.time, self.base)
        assert tx_id not in self.txs
        self.txs[tx_id] = {"name": name, "bytes": tx, "parents": parents, "issuer": ed25519_public(seed)[0], "transfer": transfer, "kind": {1: "transfer", 2: "data", 3: "milestone", 4: "checkpoint"}[ptype]}
        self.order.append(tx_id)
        self.names[name] = tx_id
        return tx_id

    def data(self, name, seed, stream, seq, prev, parents):
        payload = data_payload(stream, seq, prev, "application/json", b'{"t":21.5}')
        return self._add(name, seed, 2, payload, parents)

    def transfer(self, name, seed, inputs, outputs, parents):
        return self._add(name, seed, 1, transfer_payload(inputs, outputs), parents, (inputs, outputs))

    def reattach_milestone(self, name, index, parents):
        """The signed essence of an earlier milestone attached again: a transaction like any other."""
        m = self.milestones[index - 1]
        return self._add(name, self.coordinator_seed, 3, bytes.fromhex(m["payloadHex"]), parents)

    def _cone(self, parents):
        """§3.1: depth-first post-order, parents in stored order, each transaction once."""
        order, seen = [], set()

        def visit(h):
            if h in seen:
                return
            seen.add(h)
            if h not in self.txs:
                if h in self.entry_points:
                    return
                raise ValueError("not solid: %s" % h.hex())
            if h in self.confirmed_by:
                return
            for p in self.txs[h]["parents"]:
                visit(p)
            order.append(h)

        for p in parents:
            visit(p)
        return order

    def milestone(self, name, parents):
        """Computes white flag for these parents, applies it, and issues the milestone."""
        index = self.index + 1
        parents = sorted(parents)
        included = self._cone(parents)
        applied, conflicts, records = [], [], b""
        for h in included:
            t = self.txs[h]["transfer"]
            if t is None:
                continue
            inputs, outputs = t
            owner = h256(self.txs[h]["issuer"])
            reason, total, seen = None, 0, set()
            for ref in inputs:  # §3.2: each input fully (spent, exists, owner) before the next
                if ref in self.spent or ref in seen:
                    reason = "INPUT_SPENT"
                elif ref not in self.unspent:
                    reason = "INPUT_UNKNOWN"
                elif self.unspent[ref][0] != owner:
                    reason = "INPUT_NOT_OWNED"
                if reason:
                    break
                seen.add(ref)
                total += self.unspent[ref][1]
            if reason is None and total != sum(a for _, a in outputs):
                reason = "AMOUNT_MISMATCH"
            if reason:
                conflicts.append((h, reason))
                self.conflict[h] = reason
                continue
            applied.append(h)
            for ref in inputs:
                del self.unspent[ref]
                self.spent.add(ref)
                records += b"\x00" + ref[0] + bytes([ref[1]])
            for i, (addr, amount) in enumerate(outputs):
                self.unspent[(h, i)] = (addr, amount)
                records += b"\x01" + h + bytes([i]) + addr + struct.pack("<Q", amount)
        root = merkle_tree_hash(included)
        digest = h256(records)
        state = h256(self.state + struct.pack("<I", index) + root + digest)
        lroot = ledger_root(self.unspent)  # the ledger after this milestone
        previous = bytes.fromhex(self.milestones[-1]["idHex"]) if self.milestones else bytes(32)
        # _add advances the clock by 1000: the payload timestamp equals the attachment time.
        fields = milestone_fields(index, self.time + 1000, previous, root, state, lroot)
        payload, _, _ = milestone_payload(self.network_id, parents, fields, [self.coordinator_seed])
        ms_id = self._add(name, self.coordinator_seed, 3, payload, parents)
        assert struct.unpack_from("<Q", self.txs[ms_id]["bytes"], 42 + 4)[0] == self.time
        for h in included:
            self.confirmed_by[h] = index
        # §3.1: the milestone transaction itself is confirmed by its own index and is in no merkle root.
        self.confirmed_by[ms_id] = index
        self.index, self.state = index, state
        self.milestones.append({
            "index": index,
            "name": name,
            "idHex": ms_id.hex(),
            "timestamp": self.time,
            "parentsHex": [p.hex() for p in parents],
            "includedHex": [h.hex() for h in included],
            "includedNames": [self.txs[h]["name"] for h in included],
            "appliedHex": [h.hex() for h in applied],
            "conflicts": [{"idHex": h.hex(), "name": self.txs[h]["name"], "reason": r} for h, r in conflicts],
            "mutationsDigestHex": digest.hex(),
            "merkleRootHex": root.hex(),
            "stateHashHex": state.hex(),
            "ledgerRootHex": lroot.hex(),
            "payloadHex": payload.hex(),
        })
        return ms_id


def white_flag_vectors():
    seeds = {"alice": bytes([0xA1]) * 32, "bob": bytes([0xB0]) * 32, "carol": bytes([0xCA]) * 32}
    addr = {k: h256(ed25519_public(s)[0]) for k, s in seeds.items()}
    coord = bytes([0xC0]) * 32
    network_id, base = 0x7E57, 6
    genesis_outputs = [(addr["alice"], 1000), (addr["alice"], 500), (addr["bob"], 300)]
    w = WhiteFlagWriter(network_id, base, coord, genesis_outputs, 1763900000000)
    A, B, C = seeds["alice"], seeds["bob"], seeds["carol"]
    G, Z = w.genesis_id, bytes(32)
    stream = h256(b"street-lamp-17")

    # Milestone 1: a data record and two transfers, a diamond over d1.
    d1 = w.data("d1", A, stream, 0, bytes(32), [Z, G])
    t1 = w.transfer("t1", A, [(G, 0)], [(addr["bob"], 600), (addr["alice"], 400)], [d1, G])
    t2 = w.transfer("t2", B, [(G, 2)], [(addr["carol"], 300)], [Z, d1])
    m1 = w.milestone("m1", [t1, t2])

    # Milestone 2: a double spend of t1:0 (t4 is a parent of t5, so t4 comes first and wins), a
    # spend of an output created earlier in the same milestone, a wrong owner and a wrong amount.
    # t4 references m1: the path ends there (m1 is confirmed by milestone 1).
    t4 = w.transfer("t4", B, [(t1, 0)], [(addr["carol"], 100), (addr["bob"], 500)], [m1, d1])
    t5 = w.transfer("t5", B, [(t1, 0)], [(addr["carol"], 600)], [t4, t2])
    t6 = w.transfer("t6", C, [(t4, 0)], [(addr["alice"], 100)], [t5, Z])
    t7 = w.transfer("t7", A, [(G, 1)], [(addr["bob"], 499)], [t6, G])
    t8 = w.transfer("t8", B, [(G, 1)], [(addr["bob"], 500)], [t6, m1])
    d2 = w.data("d2", A, stream, 1, d1, [t7, t8])
    m2 = w.milestone("m2", [m1, d2])

    # Milestone 3: t1:0 again (spent by milestone 2), an output of a conflicting transfer (t5:0),
    # an output that never existed, an input spent earlier in the same milestone (G:1 by t9, then
    # t12), and m1's signed essence attached again after m1 applied: an ordinary transaction here.
    t9 = w.transfer("t9", A, [(G, 1), (t6, 0)], [(addr["carol"], 600)], [m2, Z])
    t10 = w.transfer("t10", B, [(t1, 0)], [(addr["bob"], 600)], [t9, m1])
    t11 = w.transfer("t11", C, [(t5, 0)], [(addr["carol"], 600)], [t9, d2])
    t12 = w.transfer("t12", A, [(h256(b"nowhere"), 3)], [(addr["alice"], 1)], [t10, t11])
    t13 = w.transfer("t13", A, [(t1, 1), (G, 1)], [(addr["bob"], 900)], [t12, Z])
    r1 = w.reattach_milestone("m1-again", 1, [t11, Z])
    w.milestone("m3", [m2, t13, r1])

    genesis = {
        "networkId": network_id,
        "networkName": "white-flag-vectors",
        "committee": {"members": [ed25519_public(coord)[0].hex()], "threshold": 1},
        "outputs": [{"address": a.hex(), "amount": str(v)} for a, v in genesis_outputs],
        "milestoneIntervalMs": 1000,
        "baseDifficulty": base,
    }
    balances = {}
    for (_, _), (a, v) in w.unspent.items():
        balances[a.hex()] = balances.get(a.hex(), 0) + v
    return {
        "description": "three consecutive milestones (docs/ledger.md section 3): submit `transactions` in order to a node with this genesis and clock; every milestone must apply with these results",
        "genesis": genesis,
        "genesisIdHex": w.genesis_id.hex(),
        "genesisStateHashHex": w.genesis_state.hex(),
        "genesisLedgerRootHex": ledger_root({(w.genesis_id, i): o for i, o in enumerate(genesis_outputs)}).hex(),
        "entryPointsHex": sorted(e.hex() for e in w.entry_points),
        "clockMs": w.time + 1000,
        "addressesHex": {k: a.hex() for k, a in addr.items()},
        "transactions": [
            {
                "name": w.txs[h]["name"],
                "kind": w.txs[h]["kind"],
                "idHex": h.hex(),
                "confirmedBy": w.confirmed_by.get(h),
                "conflict": w.conflict.get(h),
                "transactionHex": w.txs[h]["bytes"].hex(),
            }
            for h in w.order
        ],
        "milestones": w.milestones,
        "balances": [{"addressHex": a, "amount": str(v)} for a, v in sorted(balances.items())],
        "unspent": sorted("%s:%d" % (k[0].hex(), k[1]) for k in w.unspent),
    }


def main():
    seed_a = bytes(range(32))
    seed_coord = bytes([0xC0]) * 32
    # A committee of four (k = 3): seeds c0…c0, c1…c1, c2…c2, c3…c3.
    committee = [bytes([0xC0 + i]) * 32 for i in range(4)]
    parents = [h256(b"parent-%d" % i) for i in range(3)]
    ms_fields = milestone_fields(12, 1763800000250, h256(b"milestone-11"), h256(b"merkle"), h256(b"state"), h256(b"ledger"))
    ms1, ms1_hash, ms1_sigs = milestone_payload(1, parents, ms_fields, committee[:1])
    ms3, ms3_hash, ms3_sigs = milestone_payload(1, parents, ms_fields, committee[1:])
    new_members = [ed25519_public(s)[0] for s in (committee[0], committee[1], bytes([0xC4]) * 32)]
    ch_fields = milestone_fields(13, 1763800000500, h256(b"milestone-12"), h256(b"merkle-13"), h256(b"state-13"), h256(b"ledger-13"), (20, 2, new_members))
    ch, ch_hash, ch_sigs = milestone_payload(1, parents, ch_fields, committee[:3])
    address_b = h256(ed25519_public(bytes([7]) * 32)[0])
    vectors = [
        build(
            "transfer",
            seed_a,
            1,
            1,
            transfer_payload([(h256(b"genesis"), 0)], [(address_b, 600), (h256(ed25519_public(seed_a)[0]), 400)]),
            parents,
            1763800000000,
            8,
        ),
        build(
            "data",
            seed_a,
            1,
            2,
            data_payload(h256(b"sensor-42"), 7, h256(b"record-6"), "application/msgpack", bytes([0x82, 0xA1, 0x74, 0x15, 0xA1, 0x68, 0x37])),
            parents[:2],
            1763800000123,
            8,
        ),
        build(
            "milestone",
            seed_coord,
            1,
            3,
            ms1,
            parents,
            1763800000250,
            8,
        ),
        build("milestone-3of4", committee[1], 1, 3, ms3, parents, 1763800000250, 8),
        build("milestone-committee-change", committee[0], 1, 3, ch, parents, 1763800000500, 8),
        build("checkpoint", committee[2], 1, 4, checkpoint_payload(12), parents[:2], 1763800000300, 8),
    ]
    for v, h, sigs in ((vectors[2], ms1_hash, ms1_sigs), (vectors[3], ms3_hash, ms3_sigs), (vectors[4], ch_hash, ch_sigs)):
        v["milestoneSigningHashHex"] = h.hex()
        v["milestoneSignatures"] = [{"publicKeyHex": pk.hex(), "signatureHex": sig.hex()} for pk, sig in sigs]
    vectors[4]["committeeChange"] = {"effectiveIndex": 20, "threshold": 2, "membersHex": [m.hex() for m in new_members]}
    doc = {
        "source": "test/vectors/tools/gen_protocol_vectors.py: an independent Python implementation of docs/protocol.md (hashlib BLAKE2b, Ed25519 from RFC 8032)",
        "vectors": vectors,
        "whiteFlag": white_flag_vectors(),
    }
    out = os.path.join(os.path.dirname(__file__), "..", "protocol.json")
    with open(out, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
