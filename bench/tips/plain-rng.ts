/** xoshiro128** with splitmix64 seeding: the same stream as core-wasm/assembly/_rng.ts. */
export class Xoshiro128 {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  seed(lo: number, hi: number): void {
    let st = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
    const mix = (): bigint => {
      st = BigInt.asUintN(64, st + 0x9e3779b97f4a7c15n);
      let z = st;
      z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
      z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
      return z ^ (z >> 31n);
    };
    const a = mix();
    const b = mix();
    this.s0 = Number(a & 0xffffffffn);
    this.s1 = Number(a >> 32n);
    this.s2 = Number(b & 0xffffffffn);
    this.s3 = Number(b >> 32n);
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }
  next(): number {
    const x = Math.imul(this.s1, 5);
    const result = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return result;
  }
  below(n: number): number {
    // (next * n) >> 32 as in WASM. Below 2^21 the product fits a double's 53 bits exactly;
    // above, split the multiplication so the result stays bit-identical.
    const r = this.next();
    if (n < 0x200000) return Math.floor(r * n * 2.3283064365386963e-10);
    const hi = (r >>> 16) * n;
    const lo = (r & 0xffff) * n;
    return Math.floor((hi + Math.floor(lo / 65536)) / 65536);
  }
  unit(): number {
    return this.next() * 2.3283064365386963e-10;
  }}
