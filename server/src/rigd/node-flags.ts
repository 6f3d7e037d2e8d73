/**
 * The node flags rigd runs with, given by whoever starts it: the TS, Go and Python SDKs
 * (each keeps a copy: RIGD_NODE_FLAGS, rigdNodeFlags), rigd's shebang (main.ts, for
 * `rigd` on PATH), the single executable (its SEA config) and the test harness.
 *
 * `--max-semi-space-size=32`: V8 fixes the young generation's maximum when the isolate
 * starts, and Node 24's default here lets it grow to 64 MiB per semi-space, whose pages
 * count in RSS once written. Over 1,000 environment lifetimes (rigd-memory-bench) RSS
 * then rose 37% after the first 100 (159 -> 219 MiB) while the live heap stayed at
 * 21 MiB; with 32 it rises 6% (156 -> 166 MiB), with 16 5% (131 -> 138 MiB). A smaller
 * young generation means more scavenges under proxy load: 16 cost 2-3 µs of rigd CPU per
 * recorded HTTP request against the default, 32 about 1 (rigd-proxy-bench), so 32.
 */
export const RIGD_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=32"];
