/** The Host/Origin rules and the token helpers, unit by unit (security.spec.ts runs them end to end). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { namesRigd, refusal } from "./request-guard.js";
import { bearerToken, createToken, tokenFileFor, tokensEqual } from "./rigd-token.js";

describe("namesRigd", () => {
  it("accepts localhost and loopback literals with rigd's port", () => {
    for (const host of ["127.0.0.1:7070", "localhost:7070", "LOCALHOST:7070", "[::1]:7070", "::1:7070", "127.0.0.2:7070"]) {
      assert.ok(namesRigd(host, 7070), host);
    }
  });

  it("refuses any other name, another port, or no port", () => {
    for (const host of ["rebind.attacker.example:7070", "127.0.0.1.nip.io:7070", "127.0.0.1:7071", "127.0.0.1", "localhost", "10.0.0.1:7070", "[::]:7070", ""]) {
      assert.ok(!namesRigd(host, 7070), host);
    }
  });
});

describe("refusal", () => {
  const tcp = { kind: "tcp", host: "127.0.0.1", port: 7070 } as const;
  it("lets rigd's own Host and Origin through", () => {
    assert.equal(refusal({ host: "127.0.0.1:7070" }, tcp), undefined);
    assert.equal(refusal({ ":authority": "localhost:7070", origin: "http://localhost:7070" }, tcp), undefined);
  });
  it("refuses a foreign Host, a missing Host, a foreign Origin", () => {
    assert.match(refusal({ host: "evil.example:7070" }, tcp) ?? "", /not rigd's address/);
    assert.match(refusal({ ":authority": "evil.example:7070", host: "127.0.0.1:7070" }, tcp) ?? "", /not rigd's address/);
    assert.match(refusal({}, tcp) ?? "", /without a Host/);
    assert.match(refusal({ host: "127.0.0.1:7070", origin: "http://evil.example" }, tcp) ?? "", /cross-origin/);
    assert.match(refusal({ host: "127.0.0.1:7070", origin: "null" }, tcp) ?? "", /cross-origin/);
  });
  it("a Host let through once is still refused on another port", () => {
    assert.equal(refusal({ host: "127.0.0.1:7070" }, tcp), undefined);
    assert.equal(refusal({ host: "127.0.0.1:7070" }, tcp), undefined);
    assert.match(refusal({ host: "127.0.0.1:7070" }, { ...tcp, port: 7071 }) ?? "", /not rigd's address/);
  });
  it("on a unix socket only looks at the Origin", () => {
    assert.equal(refusal({ ":authority": "tmp%2Frigd.sock" }, { kind: "unix" }), undefined);
    assert.match(refusal({ host: "localhost", origin: "http://evil.example" }, { kind: "unix" }) ?? "", /cross-origin/);
  });
});

describe("rigd token", () => {
  it("is 256 random bits, base64url", () => {
    const a = createToken();
    assert.match(a, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a, createToken());
  });
  it("compares exactly, whatever the lengths", () => {
    const t = createToken();
    assert.ok(tokensEqual(t, t));
    assert.ok(!tokensEqual(`${t}x`, t));
    assert.ok(!tokensEqual("", t));
  });
  it("reads a Bearer header, scheme case-insensitive", () => {
    assert.equal(bearerToken("Bearer abc"), "abc");
    assert.equal(bearerToken("bearer  abc "), "abc");
    assert.equal(bearerToken("Basic abc"), undefined);
    assert.equal(bearerToken("Bearer a b"), undefined);
    assert.equal(bearerToken(null), undefined);
  });
  it("lives beside the addr file", () => {
    assert.equal(tokenFileFor("/r/rigd-0.1.0.addr"), "/r/rigd-0.1.0.token");
    assert.equal(tokenFileFor("/r/addr"), "/r/addr.token");
  });
});
