/**
 * Tests of the example app, written the way a user of rig writes them: declare the
 * environment, `rig.up(t, ...)`, talk to the endpoints. Teardown is automatic.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { rig } from "@rig/client";
import { isolatedRigDir } from "@rig/client/testing";
import type { IsolatedRigDir } from "@rig/client/testing";
import { ordersEnvironment } from "./orders-environment.js";

// rig's own CI only: a private RIG_DIR, so the rigd this suite starts is stopped at the
// end. A user's suite leaves this out and shares the machine's rigd.
let rigDir: IsolatedRigDir;
before(async () => {
  rigDir = await isolatedRigDir();
});
after(() => rigDir.dispose());

interface Order {
  id: number;
  item: string;
  quantity: number;
  total: number;
  currency: string;
  status: string;
}

async function placeOrder(api: string, item: string, quantity: number): Promise<Response> {
  return fetch(`${api}/orders`, { method: "POST", body: JSON.stringify({ item, quantity }) });
}

test("an order is priced by the pricing func and shipped by the worker", async (t) => {
  const env = await rig.up(t, ordersEnvironment());
  const api = env.url("api");

  const placed = await placeOrder(api, "pear", 3);
  assert.equal(placed.status, 201);
  const order = (await placed.json()) as Order;
  assert.equal(order.total, 12); // 3 x 4, quoted by the func service in this process
  assert.equal(order.status, "placed");

  // The worker polls the API on its own; wait (bounded) until it shipped the order.
  let status = order.status;
  for (const deadline = Date.now() + 10_000; status !== "shipped" && Date.now() < deadline; await sleep(50)) {
    status = ((await (await fetch(`${api}/orders/${order.id}`)).json()) as Order).status;
  }
  assert.equal(status, "shipped");
});

test("the API reads the config file its prestart hook wrote", async (t) => {
  const env = await rig.up(t, ordersEnvironment({ shopName: "Test Shop", currency: "CHF" }));
  const home = (await (await fetch(env.url("api"))).json()) as { shop: string };
  assert.equal(home.shop, "Test Shop");
  const order = (await (await placeOrder(env.url("api"), "apple", 1)).json()) as Order;
  assert.equal(order.currency, "CHF");
});

test("an item pricing does not know is refused, and the pricing func logged why", async (t) => {
  const env = await rig.up(t, ordersEnvironment());
  const refused = await placeOrder(env.url("api"), "durian", 1);
  assert.equal(refused.status, 502);

  const lines: string[] = [];
  for await (const event of env.events({ includeLogs: true })) {
    if (event.payload.case !== "serviceLog" || event.service !== "pricing") continue;
    lines.push(event.payload.value.line);
    if (event.payload.value.line.includes("durian")) break;
  }
  assert.ok(lines.includes("quote for durian: unknown"), lines.join("\n"));
});
