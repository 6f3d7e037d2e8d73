import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { findHeadEnd, forwardableHead, parseRequestHead, parseResponseHead } from "./http1-head.js";

const bytes = (text: string): Buffer => Buffer.from(text, "latin1");

function request(text: string): ReturnType<typeof parseRequestHead> {
  const buf = bytes(text);
  return parseRequestHead(buf, 0, findHeadEnd(buf, 0, 0));
}

function response(text: string, method = "GET"): ReturnType<typeof parseResponseHead> {
  const buf = bytes(text);
  return parseResponseHead(buf, 0, findHeadEnd(buf, 0, 0), method);
}

describe("HTTP/1.1 heads", () => {
  it("finds the end of a head arriving in pieces", () => {
    const buf = bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\nrest");
    assert.equal(findHeadEnd(buf.subarray(0, 26), 0, 0), -1);
    // Resuming the search from where the last piece ended still sees a split "\r\n\r\n".
    assert.equal(findHeadEnd(buf, 0, 26), 27);
  });

  it("parses a plain request: method, target, headers as sent, framing", () => {
    const head = request("POST /orders?x=1 HTTP/1.1\r\nHost: api\r\nContent-Length: 12\r\nX-Id:  r-1 \r\n\r\n");
    assert.ok(head);
    assert.equal(head.method, "POST");
    assert.equal(head.target, "/orders?x=1");
    assert.deepEqual(head.headers.rawHeaders, ["Host", "api", "Content-Length", "12", "X-Id", "r-1"]);
    assert.deepEqual(head.framing, { kind: "length", length: 12 });
    assert.equal(head.close, false);
    assert.equal(head.headers.needsRewrite, false);
  });

  it("knows chunked, empty and absent request bodies and Connection: close", () => {
    assert.deepEqual(request("PUT / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")?.framing, { kind: "chunked" });
    assert.deepEqual(request("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n")?.framing, { kind: "none" });
    assert.deepEqual(request("GET / HTTP/1.1\r\nHost: a\r\n\r\n")?.framing, { kind: "none" });
    assert.equal(request("GET / HTTP/1.1\r\nHost: a\r\nConnection: Close\r\n\r\n")?.close, true);
  });

  it("leaves everything unusual to node:http", () => {
    const unusual = [
      "GET / HTTP/1.0\r\nHost: a\r\n\r\n",
      "GET / HTTP/1.1\r\n\r\n", // no Host
      "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
      "PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n",
      "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n",
      "PROPFIND / HTTP/1.1\r\nHost: a\r\n\r\n",
      "PUT / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
      "PUT / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
      "PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
      "PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: -3\r\n\r\n",
      "PUT / HTTP/1.1\r\nHost: a\r\nConnection: content-length\r\nContent-Length: 3\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nX-Folded: a\r\n b\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n",
      "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET /caf\xe9 HTTP/1.1\r\nHost: a\r\n\r\n",
      "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
    ];
    for (const text of unusual) assert.equal(request(text), undefined, JSON.stringify(text));
  });

  it("frames responses by method, status, Transfer-Encoding and Content-Length", () => {
    const ok = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";
    assert.deepEqual(response(ok)?.framing, { kind: "length", length: 5 });
    assert.deepEqual(response(ok, "HEAD")?.framing, { kind: "none" });
    assert.deepEqual(response("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n")?.framing, { kind: "none" });
    assert.deepEqual(response("HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n")?.framing, { kind: "none" });
    assert.deepEqual(response("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n")?.framing, { kind: "chunked" });
    assert.deepEqual(response("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n")?.framing, { kind: "close" });
    assert.deepEqual(response("HTTP/1.1 200 OK\r\n\r\n")?.framing, { kind: "close" });
    assert.equal(response("HTTP/1.1 200 OK\r\n\r\n")?.close, true);
    assert.equal(response("HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n")?.status, 103);
  });

  it("reads the target's intent to close and its keep-alive timeout", () => {
    assert.equal(response("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")?.close, true);
    assert.equal(response("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n")?.close, true);
    assert.equal(response("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n")?.close, false);
    const hinted = response("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nContent-Length: 0\r\n\r\n");
    assert.equal(hinted?.close, false);
    assert.equal(hinted?.keepAliveMs, 5000);
  });

  it("refuses malformed or self-contradicting responses and 101", () => {
    const bad = [
      "HTTP/1.1 20 OK\r\n\r\n",
      "HTTP/2 200 OK\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: five\r\n\r\n",
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
      "HTTP/1.1 200 OK\r\nX-Folded: a\r\n\tb\r\n\r\n",
    ];
    for (const text of bad) assert.equal(response(text), undefined, JSON.stringify(text));
  });

  it("forwards heads without hop-by-hop lines, untouched when there are none", () => {
    const plain = bytes("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n");
    const plainHead = request(plain.toString("latin1"));
    assert.ok(plainHead);
    const same = forwardableHead(plain, 0, plainHead.headers, "");
    assert.equal(same.buffer, plain.buffer, "no copy when nothing changes");
    assert.equal(same.toString("latin1"), plain.toString("latin1"));

    const text =
      "HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: timeout=5\r\n" +
      "Proxy-Connection: x\r\nContent-Length: 2\r\nUpgrade: h2c\r\n\r\n";
    const head = response(text);
    assert.ok(head);
    assert.equal(head.headers.needsRewrite, true);
    assert.equal(
      forwardableHead(bytes(text), 0, head.headers, "Connection: close\r\n").toString("latin1"),
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n",
    );
  });
});
