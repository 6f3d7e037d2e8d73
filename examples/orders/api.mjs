#!/usr/bin/env node
// The orders API of the example app: an HTTP service that takes orders, prices them by
// calling the pricing service (its egress), and hands them to the worker as jobs.
//
//   node api.mjs --config FILE
//
// Listens on $PORT; finds pricing at $PRICING_HOST:$PRICING_PORT (rig wiring, SPEC §7).
// The config file (JSON: { "currency": "EUR", "shopName": "..." }) is written by a
// prestart hook before the process starts.
import { readFileSync } from "node:fs";
import { createServer } from "node:http";

const configPath = process.argv[process.argv.indexOf("--config") + 1];
if (!process.argv.includes("--config") || !configPath) {
  console.error("usage: api.mjs --config FILE");
  process.exit(2);
}
const config = JSON.parse(readFileSync(configPath, "utf8"));
const pricingUrl = `http://${process.env.PRICING_HOST}:${process.env.PRICING_PORT}`;

/** @type {Map<number, {id: number, item: string, quantity: number, total: number, currency: string, status: string}>} */
const orders = new Map();
/** Order ids waiting for the worker. */
const queue = [];
let nextId = 1;

const server = createServer(async (req, res) => {
  try {
    const url = new URL(req.url ?? "/", "http://api");
    if (req.method === "GET" && url.pathname === "/") return send(res, 200, { shop: config.shopName, orders: orders.size });
    if (req.method === "POST" && url.pathname === "/orders") {
      const { item, quantity = 1 } = JSON.parse(await body(req));
      const quote = await fetch(`${pricingUrl}/price?item=${encodeURIComponent(item)}`);
      if (!quote.ok) return send(res, 502, { error: `pricing answered ${quote.status}` });
      const { price } = await quote.json();
      const order = { id: nextId++, item, quantity, total: price * quantity, currency: config.currency, status: "placed" };
      orders.set(order.id, order);
      queue.push(order.id);
      console.log(`order ${order.id}: ${quantity} x ${item} = ${order.total} ${order.currency}`);
      return send(res, 201, order);
    }
    const match = /^\/orders\/(\d+)$/.exec(url.pathname);
    if (req.method === "GET" && match) {
      const order = orders.get(Number(match[1]));
      return order ? send(res, 200, order) : send(res, 404, { error: "no such order" });
    }
    // The worker's side: take the next job, report it done.
    if (req.method === "POST" && url.pathname === "/jobs/next") {
      const id = queue.shift();
      return id === undefined ? send(res, 204) : send(res, 200, orders.get(id));
    }
    const done = /^\/jobs\/(\d+)\/done$/.exec(url.pathname);
    if (req.method === "POST" && done) {
      const order = orders.get(Number(done[1]));
      if (!order) return send(res, 404, { error: "no such order" });
      order.status = "shipped";
      console.log(`order ${order.id} shipped`);
      return send(res, 200, order);
    }
    send(res, 404, { error: `no route ${req.method} ${url.pathname}` });
  } catch (err) {
    console.error(err);
    send(res, 500, { error: String(err) });
  }
});

server.listen(Number(process.env.PORT), process.env.HOST ?? "127.0.0.1", () => {
  console.log(`${config.shopName} API listening on ${process.env.HOST}:${process.env.PORT}, pricing at ${pricingUrl}`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));

function send(res, status, value) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(value === undefined ? "" : JSON.stringify(value));
}

async function body(req) {
  let text = "";
  for await (const chunk of req) text += chunk;
  return text;
}
