#!/usr/bin/env python3
"""Independent generator of the protocol test vectors (test/vectors/protocol.json).

Written from docs/protocol.md alone, in another language than the TypeScript codec, with Python's
own BLAKE2b (hashlib) and a small Ed25519 written from RFC 8032 section 5.1, so the vectors do not
come from the code they test. Run: python3 test/vectors/tools/gen_protocol_vectors.py
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


def essence(network_id, issuer, ptype, payload):
    return struct.pack("<BI", 1, network_id) + issuer + struct.pack("<BI", ptype, len(payload)) + payload


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


def milestone_payload(index, timestamp, merkle_root, state_hash):
    return struct.pack("<IQ", index, timestamp) + merkle_root + state_hash


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


def main():
    seed_a = bytes(range(32))
    seed_coord = bytes([0xC0]) * 32
    parents = [h256(b"parent-%d" % i) for i in range(3)]
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
            milestone_payload(12, 1763800000250, h256(b"merkle"), h256(b"state")),
            parents,
            1763800000250,
            8,
        ),
    ]
    doc = {
        "source": "test/vectors/tools/gen_protocol_vectors.py: an independent Python implementation of docs/protocol.md (hashlib BLAKE2b, Ed25519 from RFC 8032)",
        "vectors": vectors,
    }
    out = os.path.join(os.path.dirname(__file__), "..", "protocol.json")
    with open(out, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
