import assert from "node:assert/strict";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { DEFAULT_LIMITS } from "../contract/limits.js";
import { parseRigdArgs, UsageError } from "./cli-args.js";

describe("parseRigdArgs", () => {
  it("fills defaults, RIG_DIR from the environment over ~/.rig", () => {
    const cmd = parseRigdArgs([], {});
    assert.ok(cmd.kind === "run");
    assert.equal(cmd.listen, "127.0.0.1:0");
    assert.equal(cmd.idleMs, 300_000);
    assert.equal(cmd.orphanGraceMs, 30_000);
    assert.equal(cmd.rigDir, path.join(os.homedir(), ".rig"));
    assert.equal(cmd.addrFile, undefined);
    const fromEnv = parseRigdArgs([], { RIG_DIR: "/tmp/rig-env" });
    assert.ok(fromEnv.kind === "run");
    assert.equal(fromEnv.rigDir, "/tmp/rig-env");
  });

  it("reads every flag; --rig-dir beats RIG_DIR", () => {
    const cmd = parseRigdArgs(
      ["--listen", "127.0.0.1:4000", "--idle", "1s", "--rig-dir", "/tmp/r", "--addr-file", "/tmp/a.addr", "--orphan-grace=500ms", "--retention", "2m"],
      { RIG_DIR: "/tmp/rig-env" },
    );
    assert.deepEqual(cmd, {
      kind: "run",
      listen: "127.0.0.1:4000",
      idleMs: 1000,
      rigDir: "/tmp/r",
      addrFile: "/tmp/a.addr",
      orphanGraceMs: 500,
      retentionMs: 120_000,
      logRetention: { maxAgeMs: 7 * 24 * 3600_000, maxBytes: 1024 ** 3 },
      limits: DEFAULT_LIMITS,
    });
  });

  it("rejects bad command lines with a UsageError that says what is wrong", () => {
    const cases: [string[], RegExp][] = [
      [["--bogus"], /--bogus/],
      [["--idle", "soon"], /--idle: invalid duration "soon"/],
      [["--orphan-grace", "3"], /--orphan-grace/],
      [["--retention", "forever"], /--retention: invalid duration "forever"/],
      [["--listen", "0.0.0.0:1"], /loopback/],
      [["stray"], /stray/],
      [["--idle"], /--idle/],
    ];
    for (const [argv, message] of cases) {
      assert.throws(() => parseRigdArgs(argv, {}), (err: unknown) => err instanceof UsageError && message.test(err.message), argv.join(" "));
    }
  });
});
