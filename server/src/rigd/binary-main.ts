/**
 * Entry of the self-contained rigd (`make rigd-binary`): what main.ts does, without
 * top-level await, because a Node single executable application runs one CommonJS
 * script (esbuild bundles this file and every dependency into it).
 */
import { composeBackend } from "./compose-backend.js";
import { runRigdCli } from "./run-cli.js";

void runRigdCli(process.argv.slice(2), composeBackend);
