/**
 * A test process for the auto-start tests: brings up a one-func environment (starting
 * rigd if needed), prints `{"server", "id"}` as one JSON line, tears down, exits.
 */
import { rig } from "../index.js";
import { httpFunc } from "./http-func.js";

const env = await rig.up({ ping: httpFunc("pong") }, { name: "concurrent" });
const answer = await (await fetch(env.url("ping"))).text();
process.stdout.write(`${JSON.stringify({ server: env.server, id: env.id, answer })}\n`);
await env.down();
