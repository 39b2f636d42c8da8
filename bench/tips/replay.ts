/**
 * Feeding and timing the implementations under test alike: the recorded stream replayed into each
 * of them in rotation (CHUNK appends at a time), adapters from the stream to the WASM graph and to
 * the plain-TypeScript twin, and a timer that alternates two operations call by call.
 */
import type { TangleGraph } from "../../core-wasm/src/tangle";
import { nowNs } from "../lib/report";
import type { PlainTangle } from "./plain";
import type { Stream } from "./simulate";

const CHUNK = 64; // appends per timed chunk

/** One implementation under test, fed the stream append by append. */
export interface Appender {
  setClock(ms: number): void;
  append(i: number): void;
}

/**
 * Replays the stream into every appender, CHUNK appends at a time in rotation, so all of them see
 * the same machine conditions (the machine is shared; load comes and goes). Returns, per appender,
 * the per-append microseconds of each chunk appended after the window had filled.
 */
export function replayInterleaved(stream: Stream, window: number, appenders: Appender[]): number[][] {
  const perAppendUs: number[][] = appenders.map(() => []);
  const fill = Math.min(window, stream.count);
  for (const a of appenders) {
    for (let i = 0; i < fill; i++) {
      a.setClock(stream.clockMs[i]);
      a.append(i);
    }
  }
  let i = fill;
  for (; i + CHUNK <= stream.count; i += CHUNK) {
    appenders.forEach((a, k) => {
      const t0 = nowNs();
      for (let j = i; j < i + CHUNK; j++) {
        a.setClock(stream.clockMs[j]);
        a.append(j);
      }
      perAppendUs[k].push((nowNs() - t0) / 1000 / CHUNK);
    });
  }
  for (const a of appenders) {
    for (let j = i; j < stream.count; j++) {
      a.setClock(stream.clockMs[j]);
      a.append(j);
    }
  }
  return perAppendUs;
}

export function wasmAppender(g: TangleGraph, s: Stream): Appender {
  const parents: number[][] = [[], [], [], [], [], [], [], [], []].map((_, n) => new Array(n).fill(0));
  return {
    setClock: (ms) => g.setClockMs(ms),
    append: (i) => {
      const n = s.parentCount[i];
      const p = parents[n];
      for (let k = 0; k < n; k++) p[k] = s.parents[i * 8 + k];
      if (s.msIndex[i]) g.appendMilestone(p, s.timestampSec[i], s.msIndex[i]);
      else g.append(p, s.timestampSec[i]);
    },
  };
}

export function plainAppender(t: PlainTangle, s: Stream): Appender {
  return {
    setClock: (ms) => t.setClock(ms),
    append: (i) => {
      t.append(s.parents.subarray(i * 8, i * 8 + 8), s.parentCount[i], s.timestampSec[i], 1, s.msIndex[i]);
    },
  };
}

export function pow2AtLeast(n: number): number {
  let c = 16;
  while (c < n) c *= 2;
  return c;
}

/**
 * Times `a` and `b` per call in microseconds, `samples` times each, alternating which goes first,
 * after a short warm-up of both.
 */
export function timePair(samples: number, a: () => void, b: () => void): [number[], number[]] {
  for (let i = 0; i < Math.min(20, samples); i++) {
    a();
    b();
  }
  const ta: number[] = [];
  const tb: number[] = [];
  const one = (fn: () => void, out: number[]): void => {
    const t0 = nowNs();
    fn();
    out.push((nowNs() - t0) / 1000);
  };
  for (let i = 0; i < samples; i++) {
    if (i & 1) {
      one(b, tb);
      one(a, ta);
    } else {
      one(a, ta);
      one(b, tb);
    }
  }
  return [ta, tb];
}
