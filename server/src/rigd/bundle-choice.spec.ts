import assert from "node:assert/strict";
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { BUNDLE, freshBundle } from "./bundle-choice.js";

describe("freshBundle", () => {
  let dist: string;
  beforeEach(() => {
    dist = mkdtempSync(join(tmpdir(), "rig-bundle-choice-"));
  });
  afterEach(() => rmSync(dist, { recursive: true, force: true }));

  const at = (file: string, seconds: number): void => {
    writeFileSync(join(dist, file), "");
    utimesSync(join(dist, file), seconds, seconds);
  };

  it("runs the modules when there is no bundle", () => {
    at(".tsbuildinfo", 1000);
    assert.equal(freshBundle(dist, {}), undefined);
  });

  it("runs the bundle built after (or with) the tsc build", () => {
    at(".tsbuildinfo", 1000);
    at(BUNDLE, 1000);
    assert.equal(freshBundle(dist, {}), join(dist, BUNDLE));
    at(BUNDLE, 1001);
    assert.equal(freshBundle(dist, {}), join(dist, BUNDLE));
  });

  it("runs the modules once tsc -b has emitted after the bundle was built", () => {
    at(BUNDLE, 1000);
    at(".tsbuildinfo", 1001);
    assert.equal(freshBundle(dist, {}), undefined);
  });

  it("runs an installed package's bundle, which ships without .tsbuildinfo", () => {
    at(BUNDLE, 1000);
    assert.equal(freshBundle(dist, {}), join(dist, BUNDLE));
  });

  it("runs the modules when RIG_RIGD_MODULES=1", () => {
    at(BUNDLE, 1000);
    assert.equal(freshBundle(dist, { RIG_RIGD_MODULES: "1" }), undefined);
  });
});
