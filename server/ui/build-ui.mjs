#!/usr/bin/env node
// Builds the dashboard (server/ui/src) into server/dist/ui/app/, which rigd serves at
// /ui/: one esbuild bundle (the rig API client, connect-web, dagre and the views), the
// page and its stylesheet. Type-checked first with server/ui/tsconfig.json.
//   node server/ui/build-ui.mjs [--no-check]
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "dist", "ui", "app");
if (!process.argv.includes("--no-check")) {
  try {
    execFileSync(process.execPath, [join(here, "..", "..", "node_modules", "typescript", "bin", "tsc"), "-p", join(here, "tsconfig.json")], { stdio: "inherit" });
  } catch {
    console.error("build-ui: the dashboard does not type-check (server/ui/tsconfig.json)");
    process.exit(1);
  }
}
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(here, "src", "main.ts")],
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  minify: true,
  sourcemap: true,
  legalComments: "linked",
  outfile: join(out, "app.js"),
  logLevel: "warning",
});
for (const file of ["index.html", "style.css"]) copyFileSync(join(here, "src", file), join(out, file));
console.log(`dashboard built into ${out}`);
