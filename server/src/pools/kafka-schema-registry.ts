/**
 * A schema registry that speaks the subset of Confluent's REST API that Avro
 * serializers and test code use, over one environment's namespace of the SchemaStore
 * (Confluent's own registry is not on the registries this project reaches, and a
 * registry in rigd starts in a millisecond). One HTTP server per kafka lease, on a
 * loopback port of the environment; published as SCHEMA_REGISTRY_URL.
 *
 * Served (AVRO only; other `schemaType`s are refused with 422):
 *   GET    /subjects                               subject names
 *   GET    /subjects/{s}/versions                  version numbers
 *   POST   /subjects/{s}/versions                  register {schema} -> {id}
 *   POST   /subjects/{s}                           look up {schema} -> {subject, id, version, schema}
 *   GET    /subjects/{s}/versions/{v|latest}       {subject, id, version, schema}
 *   GET    /subjects/{s}/versions/{v|latest}/schema  the schema itself
 *   DELETE /subjects/{s}                           delete -> versions
 *   GET    /schemas/ids/{id}                       {schema}
 *   GET    /schemas/ids/{id}/schema                the schema itself
 *   GET    /schemas/types                          ["AVRO"]
 *   POST   /compatibility/subjects/{s}/versions/{v|latest}  {is_compatible}
 *   GET|PUT /config, /config/{s}                   compatibility level
 * Errors are Confluent's `{error_code, message}` (40401 subject, 40402 version, 40403
 * schema not found, 42201 invalid schema, 409 incompatible).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { RegistryError, type SchemaNamespace } from "./kafka-schema-store.js";

const CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
const MAX_BODY = 1024 * 1024;

/** A listening registry. */
export interface SchemaRegistryServer {
  readonly url: string;
  close(): Promise<void>;
}

type Route = (match: string[], body: () => Promise<Record<string, unknown>>, ns: SchemaNamespace) => Promise<unknown> | unknown;

const ROUTES: [method: string, pattern: RegExp, route: Route][] = [
  ["GET", /^\/subjects$/, (_m, _b, ns) => ns.subjectNames()],
  ["GET", /^\/subjects\/([^/]+)\/versions$/, ([s], _b, ns) => ns.versions(s as string)],
  ["POST", /^\/subjects\/([^/]+)\/versions$/, async ([s], body, ns) => ({ id: ns.register(s as string, avroSchemaOf(await body())) })],
  ["POST", /^\/subjects\/([^/]+)$/, async ([s], body, ns) => ns.lookup(s as string, avroSchemaOf(await body()))],
  ["GET", /^\/subjects\/([^/]+)\/versions\/([^/]+)$/, ([s, v], _b, ns) => ns.version(s as string, v as string)],
  ["GET", /^\/subjects\/([^/]+)\/versions\/([^/]+)\/schema$/, ([s, v], _b, ns) => JSON.parse(ns.version(s as string, v as string).schema)],
  ["DELETE", /^\/subjects\/([^/]+)$/, ([s], _b, ns) => ns.deleteSubject(s as string)],
  ["GET", /^\/schemas\/ids\/(\d+)$/, ([id], _b, ns) => ({ schema: ns.schemaById(Number(id)) })],
  ["GET", /^\/schemas\/ids\/(\d+)\/schema$/, ([id], _b, ns) => JSON.parse(ns.schemaById(Number(id)))],
  ["GET", /^\/schemas\/types$/, () => ["AVRO"]],
  [
    "POST",
    /^\/compatibility\/subjects\/([^/]+)\/versions\/([^/]+)$/,
    async ([s, v], body, ns) => ({ is_compatible: ns.isCompatible(s as string, v as string, avroSchemaOf(await body())) }),
  ],
  ["GET", /^\/config$/, (_m, _b, ns) => ({ compatibilityLevel: ns.compatibility() })],
  ["PUT", /^\/config$/, async (_m, body, ns) => ({ compatibility: ns.setCompatibility(String((await body())["compatibility"])) })],
  ["GET", /^\/config\/([^/]+)$/, ([s], _b, ns) => ({ compatibilityLevel: ns.compatibility(s) })],
  ["PUT", /^\/config\/([^/]+)$/, async ([s], body, ns) => ({ compatibility: ns.setCompatibility(String((await body())["compatibility"]), s) })],
];

function avroSchemaOf(body: Record<string, unknown>): string {
  const type = body["schemaType"];
  if (type !== undefined && type !== "AVRO") {
    throw new RegistryError(422, 42201, `Invalid schema: schemaType ${String(type)} is not supported by rig's registry (AVRO only)`);
  }
  const schema = body["schema"];
  if (typeof schema !== "string") throw new RegistryError(422, 42201, 'Invalid schema: the body needs "schema", the Avro schema as a JSON string');
  return schema;
}

function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new RegistryError(413, 413, `request body over ${MAX_BODY} bytes`));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on("error", reject);
    req.on("end", () => {
      try {
        const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
        if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("not a JSON object");
        resolve(parsed as Record<string, unknown>);
      } catch (err) {
        reject(new RegistryError(400, 400, `the request body is not a JSON object: ${err instanceof Error ? err.message : String(err)}`));
      }
    });
  });
}

async function handle(req: IncomingMessage, res: ServerResponse, ns: SchemaNamespace): Promise<void> {
  const path = new URL(req.url ?? "/", "http://registry").pathname.replace(/\/+$/, "") || "/";
  let status = 200;
  let answer: unknown;
  try {
    const route = ROUTES.find(([method, pattern]) => method === req.method && pattern.test(path));
    if (!route) throw new RegistryError(404, 404, `${req.method} ${path} is not served by rig's schema registry`);
    const match = (route[1].exec(path) as RegExpExecArray).slice(1).map(decodeURIComponent);
    answer = await route[2](match, () => readJson(req), ns);
  } catch (err) {
    const known = err instanceof RegistryError ? err : new RegistryError(500, 50001, err instanceof Error ? err.message : String(err));
    status = known.status;
    answer = { error_code: known.code, message: known.message };
  }
  const text = JSON.stringify(answer);
  res.writeHead(status, { "content-type": CONTENT_TYPE, "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** Serves `ns` on 127.0.0.1:`port` (0 picks one); resolves once listening. */
export async function startSchemaRegistry(ns: SchemaNamespace, port: number): Promise<SchemaRegistryServer> {
  const server = createServer((req, res) => void handle(req, res, ns));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const actual = typeof address === "object" && address ? address.port : port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${actual}`,
    close: () =>
      (closing ??= new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}
