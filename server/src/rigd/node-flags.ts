/**
 * The node flags rigd runs with, given by whoever starts it: the TS, Go and Python SDKs
 * (each keeps a copy: RIGD_NODE_FLAGS, rigdNodeFlags), rigd's shebang (main.ts, for
 * `rigd` on PATH), the single executable (its SEA config) and the test harness.
 *
 * `--max-semi-space-size=16`: V8 fixes the young generation's maximum when the isolate
 * starts, and Node 24's default lets it grow to 64 MiB per semi-space. Over 1,000
 * environment lifetimes rigd's committed heap was then 155-163 MiB for a 21 MiB live heap
 * and RSS rose 37% as the young generation's pages were touched; with 16 MiB it is 62-65
 * MiB committed and RSS within 5% of its value after 100 lifetimes, 80 MiB lower
 * (rigd-memory-bench). Under proxy load scavenges come more often; they stay cheap
 * because almost nothing survives them (heap-sizing.ts, stopPretenuring).
 */
export const RIGD_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=16"];
