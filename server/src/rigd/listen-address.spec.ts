import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatHostPort, parseListenAddress } from "./listen-address.js";

describe("parseListenAddress", () => {
  it("accepts loopback addresses", () => {
    assert.deepEqual(parseListenAddress("127.0.0.1:0"), { host: "127.0.0.1", port: 0 });
    assert.deepEqual(parseListenAddress("127.0.0.2:8080"), { host: "127.0.0.2", port: 8080 });
    assert.deepEqual(parseListenAddress("localhost:9"), { host: "127.0.0.1", port: 9 });
    assert.deepEqual(parseListenAddress("[::1]:7"), { host: "::1", port: 7 });
  });

  it("refuses other interfaces", () => {
    for (const addr of ["0.0.0.0:0", "10.1.2.3:80", "[::]:0", "example.com:80"]) {
      assert.throws(() => parseListenAddress(addr), /loopback/, addr);
    }
  });

  it("rejects malformed addresses", () => {
    for (const addr of ["127.0.0.1", ":80", "127.0.0.1:99999", "127.0.0.1:x"]) {
      assert.throws(() => parseListenAddress(addr), /--listen/, addr);
    }
  });

  it("accepts unix:PATH (made absolute) and refuses an empty or too long one", () => {
    assert.deepEqual(parseListenAddress("unix:/run/rig/rigd.sock"), { path: "/run/rig/rigd.sock" });
    assert.equal((parseListenAddress("unix:rigd.sock") as { path: string }).path, `${process.cwd()}/rigd.sock`);
    assert.throws(() => parseListenAddress("unix:"), /--listen/);
    assert.throws(() => parseListenAddress(`unix:/${"x".repeat(120)}`), /longer than 107 bytes/);
  });

  it("formats IPv6 in brackets", () => {
    assert.equal(formatHostPort("::1", 5), "[::1]:5");
    assert.equal(formatHostPort("127.0.0.1", 5), "127.0.0.1:5");
  });
});
