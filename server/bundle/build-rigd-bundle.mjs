#!/usr/bin/env node
// Bundles rigd (server/src/rigd/binary-main.ts and every dependency) into one CommonJS
// script with esbuild. `make build` and the package's build write it to
// server/dist/rigd.cjs, which dist/main.js runs when it is as new as the tsc build
// (src/rigd/bundle-choice.ts): resolving ~400 ES modules was most of a rigd's cold start.
// scripts/build-rigd-binary.sh puts the same bundle in the single executable.
//   node server/bundle/build-rigd-bundle.mjs [OUT]        default server/dist/rigd.cjs
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const server = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = resolve(process.argv[2] ?? join(server, "dist", "rigd.cjs"));
const { version } = JSON.parse(readFileSync(join(server, "package.json"), "utf8"));
await build({
  entryPoints: [join(server, "src", "rigd", "binary-main.ts")],
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node22",
  // os/rigd-bundle.ts: the bundle knows itself by this, and has no package.json to read.
  define: { __RIGD_VERSION__: JSON.stringify(version) },
  // Native add-ons of optional dependencies (ssh2's crypto binding, cpu-features) are
  // loaded in try/catch by their packages and have JavaScript fallbacks: leave them out.
  external: ["*.node", "cpu-features"],
  logLevel: "warning",
  logOverride: { "empty-import-meta": "silent" },
  legalComments: "none",
  // A third less to read and pre-parse on a cold start (~13 ms of ~145 with a warm compile
  // cache). Identifiers are not minified, so stack traces keep their function names
  // (keepNames is not needed, and its __name call on every closure created cost 1% of
  // rigd's CPU under proxy load). To debug with rigd's own lines, run the modules:
  // RIG_RIGD_MODULES=1.
  minifyWhitespace: true,
  minifySyntax: true,
  outfile: out,
});
