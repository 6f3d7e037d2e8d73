// Fails on every other call, counted in the file FLAKY_COUNTER names: the first attempt
// of a run fails and its retry passes (flaky by design).
import { readFileSync, writeFileSync } from "node:fs";

export function flakyTurn() {
  const file = process.env.FLAKY_COUNTER;
  if (!file) throw new Error("FLAKY_COUNTER is not set");
  let n = 0;
  try {
    n = Number(readFileSync(file, "utf8")) || 0;
  } catch {}
  writeFileSync(file, String(n + 1));
  if (n % 2 === 0) throw new Error(`fails on call ${n + 1} (every other call fails)`);
}
