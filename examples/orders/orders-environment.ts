/**
 * The example app as a rig environment: an orders API (a Node process) that prices
 * orders through a pricing service (a func running in the test process) and a worker
 * (a process with no ingress) that ships them. A prestart hook writes the API's config
 * file into its temp dir; the API finds it through `${RIG_TEMP_DIR}` in its args.
 */
import { once } from "node:events";
import { writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { rig } from "@rig/client";
import type { FuncBuilder, ProcessBuilder } from "@rig/client";

/** Unit prices the pricing service quotes. */
export const PRICES: Readonly<Record<string, number>> = { apple: 3, pear: 4, plum: 5 };

/** What the prestart hook writes for the API. */
export interface ApiConfig {
  readonly shopName: string;
  readonly currency: string;
}

// Compiled to examples/dist/orders/; the app's scripts stay in examples/orders/.
const appDir = fileURLToPath(new URL("../../orders/", import.meta.url));

/** The services of the example app, ready for `rig.up`. */
export function ordersEnvironment(config: ApiConfig = { shopName: "rig fruit", currency: "EUR" }): {
  pricing: FuncBuilder;
  api: ProcessBuilder;
  worker: ProcessBuilder;
} {
  return {
    pricing: pricingService(),
    api: rig
      .node(join(appDir, "api.mjs"), "--config", "${RIG_TEMP_DIR}/api.json")
      .egress("pricing")
      .ingress("default", { protocol: "http", ready: "/" })
      .prestart(async ({ wiring }) => {
        await writeFile(join(wiring.tempDir, "api.json"), JSON.stringify(config));
      }),
    worker: rig.node(join(appDir, "worker.mjs")).noIngress().egress("api"),
  };
}

/** A func service: an HTTP price list served from the test process. */
export function pricingService(prices: Readonly<Record<string, number>> = PRICES): FuncBuilder {
  return rig.func(async ({ wiring, log }) => {
    const server = createServer((req, res) => {
      const item = new URL(req.url ?? "/", "http://pricing").searchParams.get("item") ?? "";
      const price = prices[item];
      log.info(`quote for ${item || "(nothing)"}: ${price ?? "unknown"}`);
      res.writeHead(price === undefined ? 404 : 200, { "content-type": "application/json" });
      res.end(JSON.stringify(price === undefined ? { error: `no price for "${item}"` } : { item, price }));
    });
    const { host, port } = wiring.ingress();
    server.listen(port, host);
    await once(server, "listening");
    log.info(`pricing listening on ${host}:${port}`);
    return () => new Promise<void>((resolve) => server.close(() => resolve()));
  });
}
