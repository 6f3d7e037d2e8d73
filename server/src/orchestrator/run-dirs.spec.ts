import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { claimRunDir, reapOrphanedRunDirs, removeRunDir } from "./run-dirs.js";

/** A run dir like a finished environment's: env dir, service temp dirs with files, .owner. */
function runDir(rigDir: string, name: string): string {
  const dir = join(rigDir, "tmp", name);
  for (const sub of ["env", "services/api", "services/db/data"]) mkdirSync(join(dir, sub), { recursive: true });
  for (let i = 0; i < 50; i++) writeFileSync(join(dir, "services/db/data", `f${i}`), "x".repeat(1000));
  claimRunDir(dir);
  return dir;
}

describe("run dirs", () => {
  it("removeRunDir: the path is gone when it returns, the files once it settles, the watchdog told about the dir aside", async () => {
    const rigDir = mkdtempSync(join(tmpdir(), "rig-run-dirs-"));
    try {
      const dir = runDir(rigDir, "env-1");
      const told: string[] = [];
      const removed = removeRunDir(dir, { watchDir: (p) => told.push(`watch ${p}`), forgetDir: (p) => told.push(`forget ${p}`) });
      assert.equal(existsSync(dir), false, "gone from its path at once");
      await removed;
      assert.deepEqual(readdirSync(join(rigDir, "tmp")), [], "and from the disk once settled");
      assert.deepEqual(told, [`watch ${dir}.removing`, `forget ${dir}`, `forget ${dir}.removing`]);
      await removeRunDir(dir); // already gone: no error
    } finally {
      rmSync(rigDir, { recursive: true, force: true });
    }
  });

  it("a dir left aside by a rigd that died is reaped by the next one", () => {
    const rigDir = mkdtempSync(join(tmpdir(), "rig-run-dirs-"));
    try {
      const dir = runDir(rigDir, "env-2");
      const dead = spawnSync(process.execPath, ["-e", "0"]).pid!;
      writeFileSync(join(dir, ".owner"), `${dead}\n`);
      const aside = `${dir}.removing`;
      spawnSync("mv", [dir, aside]);
      assert.deepEqual(reapOrphanedRunDirs(rigDir), ["env-2.removing"]);
      assert.equal(existsSync(aside), false);
    } finally {
      rmSync(rigDir, { recursive: true, force: true });
    }
  });
});
