import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { JsonOut } from "./json-out.js";

describe("JsonOut", () => {
  it("writes every string as the UTF-8 of JSON.stringify's text", () => {
    const strings = [
      "",
      "plain ascii",
      'a "quote" and a \\ backslash',
      "tab\there, newline\n, cr\r, nul\u0000, unit separator\u001f",
      "DEL \u007f and NBSP \u00a0 and é",
      "emoji 🎉 and CJK 漢字",
      "lone surrogates \ud800 and \udfff",
      "line separator \u2028 paragraph \u2029",
      "x".repeat(10_000),
      '{"message":"a \\"quoted\\" word","n":1}',
      '"\\'.repeat(5_000),
      '"quoted" and then é, "again"',
    ];
    for (const s of strings) {
      const out = new JsonOut(8);
      out.byte(0x5b);
      out.string(s);
      out.byte(0x5d);
      assert.equal(out.text(), `[${JSON.stringify(s)}]`, JSON.stringify(s).slice(0, 40));
    }
  });

  it("grows past its first size and keeps what was written; reset lets a big buffer go", () => {
    const out = new JsonOut(4);
    for (let i = 0; i < 1000; i++) out.ascii(`${i},`);
    assert.equal(out.text(), Array.from({ length: 1000 }, (_, i) => `${i},`).join(""));
    out.reset(16);
    assert.equal(out.pos, 0);
    assert.equal(out.buf.length, 4);
  });
});
