/**
 * Which rigd `dist/main.js` runs: the esbuild bundle beside it (`rigd.cjs`, written by
 * server/bundle/build-rigd-bundle.mjs in `make build` and the package's build) when it is
 * at least as new as the tsc build, else the modules of dist/. The bundle answers its
 * first call ~60 ms sooner: a cold rigd spent that resolving and linking ~400 ES modules.
 *
 * "As new as" is judged against dist/.tsbuildinfo, which `tsc -b` rewrites whenever it
 * emits: after `tsc -b` alone (a watch build, an edit and a rebuild) the bundle is older
 * and rigd runs the fresh modules instead of stale bundled code. An installed package
 * ships no .tsbuildinfo; its bundle is built with it and always used. RIG_RIGD_MODULES=1
 * picks the modules anyway (profiling, comparing the two).
 */
import { statSync } from "node:fs";
import { join } from "node:path";

/** The bundle's file name in dist/. */
export const BUNDLE = "rigd.cjs";

/** The bundle to run from `distDir`, or undefined to run the modules. */
export function freshBundle(distDir: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.RIG_RIGD_MODULES === "1") return undefined;
  const bundle = join(distDir, BUNDLE);
  const bundleTime = mtimeMs(bundle);
  if (bundleTime === undefined) return undefined;
  const buildTime = mtimeMs(join(distDir, ".tsbuildinfo"));
  return buildTime === undefined || bundleTime >= buildTime ? bundle : undefined;
}

function mtimeMs(path: string): number | undefined {
  return statSync(path, { throwIfNoEntry: false })?.mtimeMs;
}
