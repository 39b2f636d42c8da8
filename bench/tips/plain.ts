/**
 * The tip-selection core written plainly in TypeScript, for the benchmark's "what does WASM buy"
 * ratio: the same data layout (16-word hot and 8-word cold node records in Uint32Arrays, approver
 * links inside the hot record, a parent array, milestone and checkpoint rings), the same
 * exact-weight upkeep with weight checkpoints, URTS pool, MCMC walk and xoshiro128** stream as
 * core-wasm/assembly/_*.ts, line for line where the languages allow. It is meant to be an honest,
 * reasonably fast JS version: typed arrays, integer arithmetic, no allocation on hot paths. Not
 * for production use (no argument checks); the WASM core is the product. A test
 * (test/core-wasm/tips-bench-twin.test.ts) holds both to identical weights, picks and walks.
 */

// Hot record words (16 per slot).
const H_FLAGS = 0;
const H_CP = 1;
const H_EXPL = 2;
const H_FIRST = 3;
const H_LINK0 = 4; // 4..11
const H_MARK = 12;
const H_PCOUNT = 13;
const H_SEQ = 14;
const H_CHILDREN = 15;
// Cold record words (8 per slot).
const C_MSREF = 0;
const C_YM = 1;
const C_OM = 2;
const C_TIME = 3;
const C_POOLPOS = 4;
const C_POOL = 5;
const C_CONF = 6;
const C_CPREF = 7;

const FLAG_CONFIRMED = 2;
const FLAG_CONFLICTING = 4;
const FLAG_INVALID = 8;
const FLAG_MILESTONE = 16;
const FLAG_INVALID_CONE = 32;
const FLAGS_DERIVED = FLAG_CONFIRMED | FLAG_MILESTONE | FLAG_INVALID_CONE;
const FLAGS_BAD = FLAG_CONFLICTING | FLAG_INVALID | FLAG_INVALID_CONE;

const LAZY = 0;
const SEMI = 1;
const NON_LAZY = 2;

export class PlainTangle {
  readonly cap: number;
  readonly mask: number;
  readonly window: number;
  private readonly hot: Uint32Array;
  private readonly cold: Uint32Array;
  private readonly parents: Uint32Array;
  private readonly queue: Uint32Array;
  private readonly msSeq: Uint32Array;
  private readonly cpSeq: Uint32Array;
  private readonly cpPrefix: Uint32Array;
  private readonly scratch: Uint32Array;
  private readonly scratchH: Uint32Array;
  private readonly scratchW: Float64Array;
  private readonly poolNonLazy: Uint32Array;
  private readonly poolSemi: Uint32Array;
  private readonly ageSeq: Uint32Array;
  private readonly ageDeadline: Uint32Array;
  /** Results of select (seqs). */
  readonly output = new Uint32Array(4096);

  next = 0;
  count = 0;
  private epoch = 0;
  latestMs = 0;
  private oldestMs = 0;
  private boundary = 0;
  private total = 0;
  private latestCp = 0;
  private oldestCp = 0;
  private sinceCp = 0;
  private cpInterval: number;
  private cpLag: number;
  weightsOn = true;

  // URTS
  private c1 = 8;
  private c2 = 13;
  private maxDepth = 15;
  private maxChildren = 2;
  private maxAgeMs = 3000;
  private maxNonLazy = 100;
  nonLazyCount = 0;
  semiCount = 0;
  private clockMs = 0;
  private ageHead = 0;
  private ageTail = 0;

  // xoshiro128**
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  constructor(capacity: number, window = capacity) {
    this.cap = capacity;
    this.mask = capacity - 1;
    this.window = window;
    this.hot = new Uint32Array(capacity * 16);
    this.cold = new Uint32Array(capacity * 8);
    this.parents = new Uint32Array(capacity * 8);
    this.queue = new Uint32Array(capacity);
    this.msSeq = new Uint32Array(capacity);
    this.cpSeq = new Uint32Array(capacity);
    this.cpPrefix = new Uint32Array(capacity);
    this.cpInterval = Math.min(16, Math.max(1, window >>> 4));
    this.cpLag = Math.min(32, Math.max(1, window >>> 3));
    this.scratch = new Uint32Array(capacity);
    this.scratchH = new Uint32Array(capacity);
    this.scratchW = new Float64Array(capacity);
    this.poolNonLazy = new Uint32Array(capacity);
    this.poolSemi = new Uint32Array(capacity);
    this.ageSeq = new Uint32Array(capacity);
    this.ageDeadline = new Uint32Array(capacity);
    this.seed(0x9e3779b9, 0);
  }

  // --- RNG (same stream as _rng.ts) ---

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

  private rngNext(): number {
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

  private rngBelow(n: number): number {
    // (next * n) >> 32 as in WASM. Below 2^21 the product fits a double's 53 bits exactly;
    // above, split the multiplication so the result stays bit-identical.
    const r = this.rngNext();
    if (n < 0x200000) return Math.floor(r * n * 2.3283064365386963e-10);
    const hi = (r >>> 16) * n;
    const lo = (r & 0xffff) * n;
    return Math.floor((hi + Math.floor(lo / 65536)) / 65536);
  }

  private rngUnit(): number {
    return this.rngNext() * 2.3283064365386963e-10;
  }

  // --- window ---

  inWindow(seq: number): boolean {
    return ((this.next - 1 - seq) >>> 0) < this.count;
  }

  private msInWindow(index: number): boolean {
    return this.oldestMs !== 0 && index >= this.oldestMs && index <= this.latestMs;
  }

  private nextEpoch(): number {
    this.epoch = (this.epoch + 1) >>> 0;
    if (this.epoch === 0) {
      for (let s = 0; s < this.cap; s++) this.hot[s * 16 + H_MARK] = 0;
      this.epoch = 1;
    }
    return this.epoch;
  }

  private rootsFromParents(slot: number): void {
    const cold = this.cold;
    const n = this.hot[(slot << 4) + H_PCOUNT];
    let ym = 0;
    let om = 0xffffffff;
    if (n === 0) {
      ym = this.boundary;
      om = this.boundary;
    }
    const pbase = slot << 3;
    for (let i = 0; i < n; i++) {
      const p = this.parents[pbase + i];
      if (this.inWindow(p)) {
        const pc = (p & this.mask) << 3;
        const y = cold[pc + C_YM];
        const o = cold[pc + C_OM];
        if (y > ym) ym = y;
        if (o < om) om = o;
      } else {
        if (this.boundary > ym) ym = this.boundary;
        if (this.boundary < om) om = this.boundary;
      }
    }
    cold[(slot << 3) + C_YM] = ym;
    cold[(slot << 3) + C_OM] = om;
  }

  private evict(seq: number): void {
    const slot = seq & this.mask;
    const c = slot << 3;
    if (this.cold[c + C_POOL] !== 0) this.poolRemove(slot);
    const conf = this.cold[c + C_CONF];
    if (this.hot[(slot << 4) + H_FLAGS] & FLAG_MILESTONE) this.oldestMs = conf === this.latestMs ? 0 : conf + 1;
    if (conf > this.boundary) this.boundary = conf;
    if (this.oldestCp !== 0 && this.cpSeq[this.oldestCp & this.mask] === seq) {
      this.oldestCp = this.oldestCp === this.latestCp ? 0 : this.oldestCp + 1;
    }
  }

  /** Appends with parents[0..n); msIndex > 0 for a milestone. Returns the seq. */
  append(parents: ArrayLike<number>, n: number, timestampSec: number, flags: number, msIndex = 0): number {
    if (this.count === this.window) this.evict((this.next - this.window) >>> 0);
    const hot = this.hot;
    const cold = this.cold;
    const seq = this.next;
    const slot = seq & this.mask;
    const h = slot << 4;
    const c = slot << 3;
    hot.fill(0, h, h + 16);
    cold.fill(0, c, c + 8);
    hot[h + H_SEQ] = seq;
    hot[h + H_PCOUNT] = n;
    cold[c + C_TIME] = timestampSec;
    let f = flags & ~FLAGS_DERIVED;
    let msRef = 0;
    let cpRef = 0;
    const pbase = slot << 3;
    for (let i = 0; i < n; i++) {
      const p = parents[i] >>> 0;
      this.parents[pbase + i] = p;
      if (!this.inWindow(p)) continue;
      const ps = p & this.mask;
      const ph = ps << 4;
      const pc = ps << 3;
      const m = cold[pc + C_MSREF];
      if (m > msRef) msRef = m;
      const cr = cold[pc + C_CPREF];
      if (cr > cpRef) cpRef = cr;
      if (hot[ph + H_FLAGS] & (FLAG_INVALID | FLAG_INVALID_CONE)) f |= FLAG_INVALID_CONE;
      const word = h + H_LINK0 + i;
      hot[word] = hot[ph + H_FIRST];
      hot[ph + H_FIRST] = word + 1;
      hot[ph + H_CHILDREN]++;
    }
    hot[h + H_FLAGS] = f;
    cold[c + C_MSREF] = msRef;
    cold[c + C_CPREF] = cpRef;
    this.rootsFromParents(slot);
    this.next = (seq + 1) >>> 0;
    if (this.count < this.window) this.count++;

    this.creditPastCone(slot, cpRef);
    if (msIndex !== 0) this.confirmMilestone(seq, slot, msIndex);
    this.maybeCheckpoint(slot);
    this.poolOnAppend(slot);
    if (msIndex !== 0) this.poolOnMilestone();
    return seq;
  }

  private confirmMilestone(seq: number, slot: number, k: number): void {
    const hot = this.hot;
    const cold = this.cold;
    const c = slot << 3;
    cold[c + C_CONF] = k;
    cold[c + C_YM] = k;
    cold[c + C_OM] = k;
    cold[c + C_MSREF] = k;
    hot[(slot << 4) + H_FLAGS] |= FLAG_CONFIRMED | FLAG_MILESTONE;
    const q = this.queue;
    let head = 0;
    let tail = 1;
    q[0] = slot;
    let maxDist = 0;
    while (head < tail) {
      const s = q[head++];
      const n = hot[(s << 4) + H_PCOUNT];
      const pbase = s << 3;
      for (let i = 0; i < n; i++) {
        const p = this.parents[pbase + i];
        if (!this.inWindow(p)) continue;
        const ps = p & this.mask;
        const pc = ps << 3;
        if (cold[pc + C_CONF] !== 0) continue;
        cold[pc + C_CONF] = k;
        cold[pc + C_YM] = k;
        cold[pc + C_OM] = k;
        hot[(ps << 4) + H_FLAGS] |= FLAG_CONFIRMED;
        const d = (seq - p) >>> 0;
        if (d > maxDist) maxDist = d;
        q[tail++] = ps;
      }
    }
    if (this.oldestMs === 0) this.oldestMs = k;
    this.msSeq[k & this.mask] = seq;
    this.latestMs = k;
    for (let s = (seq - maxDist) >>> 0; s !== seq; s = (s + 1) >>> 0) {
      const ss = s & this.mask;
      if (cold[(ss << 3) + C_CONF] === 0) this.rootsFromParents(ss);
    }
  }

  // --- weights (same scheme as _weights.ts) ---

  private cpInWindow(index: number): boolean {
    return this.oldestCp !== 0 && index >= this.oldestCp && index <= this.latestCp;
  }

  private enqueueParents(slot: number, epoch: number, stopAt: number, tail: number): number {
    const hot = this.hot;
    const n = hot[(slot << 4) + H_PCOUNT];
    const pbase = slot << 3;
    for (let i = 0; i < n; i++) {
      const p = this.parents[pbase + i];
      if (!this.inWindow(p)) continue;
      const ps = p & this.mask;
      const ph = ps << 4;
      if (hot[ph + H_MARK] === epoch) continue;
      hot[ph + H_MARK] = epoch;
      const c = hot[ph + H_CP];
      if (c !== 0 && c <= stopAt) continue;
      this.queue[tail++] = ps;
    }
    return tail;
  }

  private creditPastCone(slot: number, j: number): void {
    if (!this.weightsOn) return;
    const hot = this.hot;
    let stopAt = 0;
    if (j !== 0 && this.cpInWindow(j)) {
      stopAt = j;
      this.total = (this.total + 1) >>> 0;
      for (let c = j + 1; c <= this.latestCp; c++) this.cpPrefix[c & this.mask]++;
    }
    const epoch = this.nextEpoch();
    let head = 0;
    let tail = this.enqueueParents(slot, epoch, stopAt, 0);
    while (head < tail) {
      const s = this.queue[head++];
      hot[(s << 4) + H_EXPL]++;
      tail = this.enqueueParents(s, epoch, stopAt, tail);
    }
  }

  private cpRefFromParents(slot: number): number {
    const n = this.hot[(slot << 4) + H_PCOUNT];
    const pbase = slot << 3;
    let ref = 0;
    for (let i = 0; i < n; i++) {
      const p = this.parents[pbase + i];
      if (!this.inWindow(p)) continue;
      const r = this.cold[((p & this.mask) << 3) + C_CPREF];
      if (r > ref) ref = r;
    }
    return ref;
  }

  private maybeCheckpoint(slot: number): void {
    if (!this.weightsOn) return;
    this.sinceCp++;
    if (this.sinceCp < this.cpInterval) return;
    const hot = this.hot;
    const cold = this.cold;
    const k = this.latestCp;
    const chained = this.cpInWindow(k);
    if (chained && cold[(slot << 3) + C_CPREF] !== k) return;
    const newest = (this.next - 1) >>> 0;
    let x = slot;
    let xSeq = newest;
    const kSeq = chained ? this.cpSeq[k & this.mask] : 0;
    while (((newest - xSeq) >>> 0) < this.cpLag) {
      const n = hot[(x << 4) + H_PCOUNT];
      const pbase = x << 3;
      let next = -1;
      let nextSeq = 0;
      for (let i = 0; i < n; i++) {
        const p = this.parents[pbase + i];
        if (!this.inWindow(p)) continue;
        if (chained && (p === kSeq || cold[((p & this.mask) << 3) + C_CPREF] !== k)) continue;
        next = p & this.mask;
        nextSeq = p;
        break;
      }
      if (next === -1) break;
      x = next;
      xSeq = nextSeq;
    }
    if (x === slot) return;
    this.sinceCp = 0;
    const idx = k + 1;
    hot[(x << 4) + H_CP] = idx;
    const q = this.queue;
    q[0] = x;
    let head = 0;
    let tail = 1;
    while (head < tail) {
      const s = q[head++];
      const n = hot[(s << 4) + H_PCOUNT];
      const pbase = s << 3;
      for (let i = 0; i < n; i++) {
        const p = this.parents[pbase + i];
        if (!this.inWindow(p)) continue;
        const ph = (p & this.mask) << 4;
        if (hot[ph + H_CP] !== 0) continue;
        hot[ph + H_CP] = idx;
        q[tail++] = p & this.mask;
      }
    }
    this.cpSeq[idx & this.mask] = xSeq;
    this.cpPrefix[idx & this.mask] = this.total;
    if (this.oldestCp === 0) this.oldestCp = idx;
    this.latestCp = idx;
    cold[(x << 3) + C_CPREF] = idx;
    for (let s = (xSeq + 1) >>> 0; s !== this.next; s = (s + 1) >>> 0) {
      const ss = s & this.mask;
      cold[(ss << 3) + C_CPREF] = this.cpRefFromParents(ss);
    }
  }

  private weightOfSlot(slot: number): number {
    const h = slot << 4;
    const c = this.hot[h + H_CP];
    const lazy = c !== 0 ? (this.total - this.cpPrefix[c & this.mask]) >>> 0 : 0;
    return 1 + this.hot[h + H_EXPL] + lazy;
  }

  weight(seq: number): number {
    return this.inWindow(seq) ? this.weightOfSlot(seq & this.mask) : 0;
  }

  // --- URTS (same rules as _pool.ts) ---

  setClock(nowMs: number): void {
    this.clockMs = nowMs >>> 0;
    this.expireAged();
  }

  private scoreOf(slot: number): number {
    if (this.hot[(slot << 4) + H_FLAGS] & FLAGS_BAD) return LAZY;
    const c = slot << 3;
    const l = this.latestMs;
    if (l - this.cold[c + C_YM] > this.c1) return LAZY;
    const om = l - this.cold[c + C_OM];
    if (om > this.maxDepth) return LAZY;
    if (om > this.c2) return SEMI;
    return NON_LAZY;
  }

  private poolAdd(slot: number, kind: number): void {
    const pos = kind === NON_LAZY ? this.nonLazyCount++ : this.semiCount++;
    (kind === NON_LAZY ? this.poolNonLazy : this.poolSemi)[pos] = slot;
    this.cold[(slot << 3) + C_POOLPOS] = pos;
    this.cold[(slot << 3) + C_POOL] = kind;
  }

  private poolRemove(slot: number): void {
    const c = slot << 3;
    const kind = this.cold[c + C_POOL];
    if (kind === 0) return;
    const list = kind === NON_LAZY ? this.poolNonLazy : this.poolSemi;
    const pos = this.cold[c + C_POOLPOS];
    const last = kind === NON_LAZY ? --this.nonLazyCount : --this.semiCount;
    const moved = list[last];
    list[pos] = moved;
    this.cold[(moved << 3) + C_POOLPOS] = pos;
    this.cold[c + C_POOL] = 0;
  }

  private agePush(seq: number, deadline: number): void {
    if (this.ageTail - this.ageHead === this.cap) {
      const old = this.ageSeq[this.ageHead & this.mask];
      this.ageHead++;
      if (this.inWindow(old)) this.poolRemove(old & this.mask);
    }
    const i = this.ageTail & this.mask;
    this.ageSeq[i] = seq;
    this.ageDeadline[i] = deadline;
    this.ageTail++;
  }

  private expireAged(): void {
    while (this.ageHead !== this.ageTail) {
      const i = this.ageHead & this.mask;
      if (((this.clockMs - this.ageDeadline[i]) | 0) < 0) break;
      const seq = this.ageSeq[i];
      this.ageHead++;
      if (this.inWindow(seq)) this.poolRemove(seq & this.mask);
    }
  }

  private poolOnAppend(slot: number): void {
    const n = this.hot[(slot << 4) + H_PCOUNT];
    const pbase = slot << 3;
    for (let i = 0; i < n; i++) {
      const p = this.parents[pbase + i];
      if (!this.inWindow(p)) continue;
      const ps = p & this.mask;
      const children = this.hot[(ps << 4) + H_CHILDREN];
      if (children === 1) this.agePush(p, (this.clockMs + this.maxAgeMs) >>> 0);
      if (children >= this.maxChildren) this.poolRemove(ps);
    }
    const score = this.scoreOf(slot);
    if (score !== LAZY) this.poolAdd(slot, score);
    if (this.nonLazyCount > this.maxNonLazy) {
      for (let i = 0; i < n; i++) {
        const p = this.parents[pbase + i];
        if (this.inWindow(p)) this.poolRemove(p & this.mask);
      }
    }
    this.expireAged();
  }

  private poolOnMilestone(): void {
    for (let i = this.nonLazyCount - 1; i >= 0; i--) {
      const slot = this.poolNonLazy[i];
      const score = this.scoreOf(slot);
      if (score === NON_LAZY) continue;
      this.poolRemove(slot);
      if (score === SEMI) this.poolAdd(slot, SEMI);
    }
    for (let i = this.semiCount - 1; i >= 0; i--) {
      const slot = this.poolSemi[i];
      const score = this.scoreOf(slot);
      if (score === SEMI) continue;
      this.poolRemove(slot);
      if (score === NON_LAZY) this.poolAdd(slot, NON_LAZY);
    }
  }

  /** Up to `count` distinct non-lazy tips into `output`; returns how many. */
  select(count: number): number {
    this.expireAged();
    const size = this.nonLazyCount;
    const list = this.poolNonLazy;
    const hot = this.hot;
    const cold = this.cold;
    const n = count < size ? count : size;
    for (let i = 0; i < n; i++) {
      const j = i + this.rngBelow(size - i);
      const a = list[i];
      if (j !== i) {
        const b = list[j];
        list[i] = b;
        list[j] = a;
        cold[(b << 3) + C_POOLPOS] = i;
        cold[(a << 3) + C_POOLPOS] = j;
        this.output[i] = hot[(b << 4) + H_SEQ];
      } else {
        this.output[i] = hot[(a << 4) + H_SEQ];
      }
    }
    return n;
  }

  // --- MCMC walk (same as _walk.ts) ---

  entryPoint(depth: number): number {
    if (this.oldestMs !== 0) {
      let index = this.latestMs > depth ? this.latestMs - depth : 0;
      if (index < this.oldestMs) index = this.oldestMs;
      return this.msSeq[index & this.mask];
    }
    return (this.next - this.count) >>> 0;
  }

  /** Steps taken by the last walk (for the benchmark report). */
  lastSteps = 0;

  walk(entrySeq: number, alpha: number): number {
    const hot = this.hot;
    let steps = 0;
    const scratch = this.scratch;
    const scratchH = this.scratchH;
    const scratchW = this.scratchW;
    let x = entrySeq & this.mask;
    for (;;) {
      let e = hot[(x << 4) + H_FIRST];
      let n = 0;
      let hmax = 0;
      while (e !== 0) {
        const word = e - 1;
        const child = word >>> 4;
        e = hot[word];
        if (hot[(child << 4) + H_FLAGS] & FLAGS_BAD) continue;
        const h = this.weightOfSlot(child);
        scratch[n] = child;
        scratchH[n] = h;
        if (h > hmax) hmax = h;
        n++;
      }
      if (n === 0) {
        this.lastSteps = steps;
        return hot[(x << 4) + H_SEQ];
      }
      steps++;
      if (n === 1) {
        x = scratch[0];
        continue;
      }
      if (alpha === 0) {
        x = scratch[this.rngBelow(n)];
        continue;
      }
      let sum = 0;
      for (let i = 0; i < n; i++) {
        const w = Math.exp(-alpha * (hmax - scratchH[i]));
        scratchW[i] = w;
        sum += w;
      }
      let r = this.rngUnit() * sum;
      let pick = n - 1;
      for (let i = 0; i < n; i++) {
        r -= scratchW[i];
        if (r < 0) {
          pick = i;
          break;
        }
      }
      x = scratch[pick];
    }
  }

  // --- For contrast: the same walk with weights computed on demand (IRI-style) ---

  private odMark: Uint32Array | undefined;
  private odEpoch = 0;

  /** |future cone of slot| + 1 by a forward traversal of approver lists. */
  private futureConeWeight(slot: number): number {
    const hot = this.hot;
    const mark = (this.odMark ??= new Uint32Array(this.cap));
    const q = this.queue;
    const epoch = ++this.odEpoch;
    let head = 0;
    let tail = 0;
    q[tail++] = slot;
    mark[slot] = epoch;
    while (head < tail) {
      let e = hot[(q[head++] << 4) + H_FIRST];
      while (e !== 0) {
        const word = e - 1;
        const child = word >>> 4;
        e = hot[word];
        if (mark[child] !== epoch) {
          mark[child] = epoch;
          q[tail++] = child;
        }
      }
    }
    return tail;
  }

  /**
   * The MCMC walk with no weight upkeep: each candidate's H is counted when a choice needs it by a
   * traversal of its future cone (IRI rated the whole sub-tangle above the entry first instead,
   * O(n^2) in the worst case). Same picks as walk() for the same RNG state; only the cost differs.
   */
  walkOnDemand(entrySeq: number, alpha: number): number {
    const hot = this.hot;
    const scratch = this.scratch;
    const scratchH = this.scratchH;
    const scratchW = this.scratchW;
    let x = entrySeq & this.mask;
    for (;;) {
      let e = hot[(x << 4) + H_FIRST];
      let n = 0;
      let hmax = 0;
      while (e !== 0) {
        const word = e - 1;
        const child = word >>> 4;
        e = hot[word];
        if (hot[(child << 4) + H_FLAGS] & FLAGS_BAD) continue;
        scratch[n++] = child;
      }
      if (n === 0) return hot[(x << 4) + H_SEQ];
      if (n === 1) {
        x = scratch[0];
        continue;
      }
      if (alpha === 0) {
        x = scratch[this.rngBelow(n)];
        continue;
      }
      // Only where a choice needs them, so this is the cheapest on-demand variant.
      for (let i = 0; i < n; i++) {
        const h = this.futureConeWeight(scratch[i]);
        scratchH[i] = h;
        if (h > hmax) hmax = h;
      }
      let sum = 0;
      for (let i = 0; i < n; i++) {
        const w = Math.exp(-alpha * (hmax - scratchH[i]));
        scratchW[i] = w;
        sum += w;
      }
      let r = this.rngUnit() * sum;
      let pick = n - 1;
      for (let i = 0; i < n; i++) {
        r -= scratchW[i];
        if (r < 0) {
          pick = i;
          break;
        }
      }
      x = scratch[pick];
    }
  }
}
