// Hangs after creating an environment and starting a background process, both carrying
// HANG_MARKER in their arguments: the runner must kill everything at the suite's timeout
// and destroy the environment.
import { spawn } from "node:child_process";
import { test } from "node:test";
import { rig } from "@rig/client";

test("hangs", async (t) => {
  await rig.up(t, { worker: rig.process("sh", "-c", `sleep 300 # ${process.env.HANG_MARKER}`).noIngress() });
  // Leaves the test's process group: only the RIG_PROCESS_TREE marker finds it.
  spawn("setsid", ["sh", "-c", `sleep 300 # ${process.env.HANG_MARKER}`], { stdio: "ignore", detached: true }).unref();
  await new Promise(() => setInterval(() => {}, 1000));
});
