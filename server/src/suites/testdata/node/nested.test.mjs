// Nested tests, to check the reporters' names: "group > inner" and "group > deeper > leaf".
import { describe, it, test } from "node:test";

describe("group", () => {
  it("inner", () => {});
  describe("deeper", () => {
    it("leaf", () => {
      throw new Error("a failure by design");
    });
  });
});
test("top", { skip: true }, () => {});
