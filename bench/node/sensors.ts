/**
 * The sensors a bench gateway publishes for (gateway-worker.ts): each one an issuer key with its own
 * stream. Kept between load runs by the storage bench, so a long run is a city whose sensors go on
 * publishing, not new sensors in every run.
 */
import { randomBytes } from "node:crypto";

/** Sensors per gateway: each its own issuer, so each stays inside the adaptive-PoW allowance. */
export const IDENTITIES = 50;

/** A sensor: its key seed, its stream and the sequence its next record takes (hex strings: worker messages). */
export interface SensorState {
  seed: string;
  streamId: string;
  next: number;
}

/** A new sensor: random key and stream, from sequence 0. */
export function newSensor(): SensorState {
  return { seed: randomBytes(32).toString("hex"), streamId: randomBytes(32).toString("hex"), next: 0 };
}
