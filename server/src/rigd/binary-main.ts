/**
 * Entry of the self-contained rigd (`make rigd-binary`): what main.ts does, without
 * top-level await, because a Node single executable application runs one CommonJS
 * script (esbuild bundles this file and every dependency into it). The same executable
 * is rigd's watchdog when started with `--rig-watchdog PID` (os/watchdog.ts spawns it so:
 * a bundle has no second script to run).
 */
import { WATCHDOG_FLAG } from "../os/watchdog.js";
import { runWatchdog } from "../os/watchdog-process.js";
import { composeBackend } from "./compose-backend.js";
import { runRigdCli } from "./run-cli.js";

const args = process.argv.slice(2);
if (args[0] === WATCHDOG_FLAG) runWatchdog(Number(args[1]));
else void runRigdCli(args, composeBackend);
