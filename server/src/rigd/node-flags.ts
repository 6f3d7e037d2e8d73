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
 *
 * `--min-semi-space-size=32`: the young generation starts at its maximum instead of
 * growing to it in doublings, so its pages are all written within rigd's first few
 * environments rather than at a moment that depends on how much each allocated. Without
 * it RSS after 100 environments measured 137-152 MiB from run to run (the last doubling
 * written or not yet) against 163 after 1,000; with it 151-153 against 163 (+8%). Idle
 * RSS and the cold start are unchanged (85 MiB, 125 ms): committed pages that were never
 * written cost nothing.
 */
export const RIGD_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=32", "--min-semi-space-size=32"];
