/**
 * Server reflection over a real socket, checked three ways: our own Connect client on
 * both protocol versions, grpc-js-reflection-client (what rig's proxy uses), and grpcurl
 * with no proto files (when it is installed).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import * as grpc from "@grpc/grpc-js";
import { create, createFileRegistry, fromBinary } from "@bufbuild/protobuf";
import type { FileRegistry, MessageInitShape } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import type { FileDescriptorProto } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { GrpcReflection } from "grpc-js-reflection-client";
import { pino } from "pino";
import { Health } from "../gen/grpc/health/v1/health_pb.js";
import * as v1 from "../gen/grpc/reflection/v1/reflection_pb.js";
import * as v1alpha from "../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { EnvironmentSchema, EnvironmentService } from "../gen/rig/v1/environment_service_pb.js";
import { EnvironmentNotFoundError } from "../contract/errors.js";
import { createApiHandler } from "./api-handler.js";
import { listenCleartext } from "./cleartext-server.js";
import type { CleartextServer } from "./cleartext-server.js";
import type { EnvironmentBackend } from "../contract/environment-backend.js";
import { addReflectionServices } from "./reflection-service.js";
import { noServiceControl } from "../testing/no-service-control.js";

/** Just enough backend for grpcurl to make a call through reflection. */
const backend: EnvironmentBackend = {
  ...noServiceControl,
  liveCount: 0,
  async create(spec) {
    return { id: `${spec.name}-${spec.services.map((s) => s.name).join("+")}`, envDir: "/tmp/x" };
  },
  watch(id) {
    throw new EnvironmentNotFoundError(id);
  },
  get(id) {
    if (id === "known") return create(EnvironmentSchema, { id, name: "demo" });
    throw new EnvironmentNotFoundError(id);
  },
  list: () => [],
  log(id) {
    throw new EnvironmentNotFoundError(id);
  },
  observe(id) {
    throw new EnvironmentNotFoundError(id);
  },
  async post(req) {
    throw new EnvironmentNotFoundError(req.environmentId);
  },
  async destroy(req) {
    throw new EnvironmentNotFoundError(req.environmentId);
  },
  async shutdown() {},
};

type Query = MessageInitShape<typeof v1.ServerReflectionRequestSchema>;

const ALL_SERVICES = [
  "grpc.health.v1.Health",
  "grpc.reflection.v1.ServerReflection",
  "grpc.reflection.v1alpha.ServerReflection",
  "rig.v1.EnvironmentService",
];

describe("server reflection", () => {
  let server: CleartextServer;
  let baseUrl: string;

  before(async () => {
    server = await listenCleartext(createApiHandler(backend, pino({ level: "silent" })).handler, "127.0.0.1", 0);
    baseUrl = `http://127.0.0.1:${server.port}`;
  });
  after(() => server.close(100));

  for (const [version, gen] of [["v1", v1], ["v1alpha", v1alpha]] as const) {
    describe(`grpc.reflection.${version} with a Connect client`, () => {
      /** Sends requests on one bidi stream and collects the answers. */
      async function ask(...requests: Query[]): Promise<v1.ServerReflectionResponse[]> {
        // Both versions share one shape; the descriptor picks the path and the schemas.
        const service = gen.ServerReflection as unknown as typeof v1.ServerReflection;
        const client = createClient(service, createGrpcTransport({ baseUrl }));
        const out: v1.ServerReflectionResponse[] = [];
        async function* input(): AsyncGenerator<Query> {
          yield* requests;
        }
        for await (const res of client.serverReflectionInfo(input())) out.push(res);
        return out;
      }
      /**
       * Links an answer into a registry. Files are put in dependency order first:
       * createFileRegistry needs imports before importers and reflection does not
       * promise any order.
       */
      const registryOf = (protos: Uint8Array[]): FileRegistry => {
        const byName = new Map(protos.map((b) => fromBinary(FileDescriptorProtoSchema, b)).map((f) => [f.name, f]));
        const ordered: FileDescriptorProto[] = [];
        const visit = (name: string): void => {
          const file = byName.get(name);
          if (!file || ordered.includes(file)) return;
          file.dependency.forEach(visit);
          ordered.push(file);
        };
        [...byName.keys()].forEach(visit);
        return createFileRegistry(create(FileDescriptorSetSchema, { file: ordered }));
      };

      it("lists the served services", async () => {
        const [res] = await ask({ messageRequest: { case: "listServices", value: "" } });
        assert.equal(res?.messageResponse.case, "listServicesResponse");
        const names = res.messageResponse.case === "listServicesResponse" ? res.messageResponse.value.service.map((s) => s.name) : [];
        assert.deepEqual(names, ALL_SERVICES);
      });

      it("returns a file with all its imports for services, methods, messages, nested types, fields and enum values", async () => {
        const symbols = [
          "rig.v1.EnvironmentService",
          "rig.v1.EnvironmentService.CreateEnvironment",
          "rig.v1.EnvironmentSpec",
          ".rig.v1.EnvironmentSpec",
          "rig.v1.DestroyEnvironmentResponse.TempDirsEntry",
          "rig.v1.EnvironmentSpec.orphan_grace",
          "rig.v1.ENVIRONMENT_STATE_UP",
          "grpc.health.v1.HealthCheckResponse.ServingStatus",
          "grpc.health.v1.HealthCheckResponse.SERVING",
        ];
        const answers = await ask(
          ...symbols.map((value) => ({ messageRequest: { case: "fileContainingSymbol" as const, value } })),
        );
        assert.equal(answers.length, symbols.length);
        for (const [i, res] of answers.entries()) {
          assert.equal(res.messageResponse.case, "fileDescriptorResponse", `symbol ${symbols[i]}`);
        }
        const first = answers[0]!.messageResponse;
        assert.ok(first.case === "fileDescriptorResponse");
        const files = first.value.fileDescriptorProto.map((b) => fromBinary(FileDescriptorProtoSchema, b).name);
        assert.equal(files[0], "rig/v1/environment_service.proto");
        for (const dep of ["rig/v1/spec.proto", "rig/v1/event.proto", "google/protobuf/timestamp.proto", "google/protobuf/duration.proto", "google/protobuf/struct.proto"]) {
          assert.ok(files.includes(dep), `${dep} included`);
        }
        // The descriptors are complete enough to rebuild every type, JSON names included.
        const registry = registryOf(first.value.fileDescriptorProto);
        const spec = registry.getMessage("rig.v1.EnvironmentSpec");
        assert.ok(spec);
        assert.equal(spec.field.orphanGrace?.jsonName, "orphanGrace");
      });

      it("serves files by name, google/protobuf ones included", async () => {
        const [res] = await ask({ messageRequest: { case: "fileByFilename", value: "google/protobuf/duration.proto" } });
        assert.ok(res?.messageResponse.case === "fileDescriptorResponse");
        const [file] = res.messageResponse.value.fileDescriptorProto.map((b) => fromBinary(FileDescriptorProtoSchema, b));
        assert.equal(file?.package, "google.protobuf");
      });

      it("answers unknown names with NOT_FOUND and extension queries for known types", async () => {
        const answers = await ask(
          { host: "h", messageRequest: { case: "fileContainingSymbol", value: "rig.v1.Nope" } },
          { messageRequest: { case: "fileByFilename", value: "nope.proto" } },
          { messageRequest: { case: "fileContainingExtension", value: { containingType: "rig.v1.EnvironmentSpec", extensionNumber: 1000 } } },
          { messageRequest: { case: "allExtensionNumbersOfType", value: "rig.v1.Nope" } },
          { messageRequest: { case: "allExtensionNumbersOfType", value: "rig.v1.EnvironmentSpec" } },
        );
        for (const res of answers.slice(0, 4)) {
          assert.ok(res.messageResponse.case === "errorResponse");
          assert.equal(res.messageResponse.value.errorCode, 5);
        }
        assert.equal(answers[0]?.validHost, "h");
        assert.equal(answers[0]?.originalRequest?.messageRequest.value, "rig.v1.Nope");
        const numbers = answers[4]?.messageResponse;
        assert.ok(numbers?.case === "allExtensionNumbersResponse");
        assert.equal(numbers.value.baseTypeName, "rig.v1.EnvironmentSpec");
        assert.deepEqual(numbers.value.extensionNumber, []);
      });
    });
  }

  it("describes the services to grpc-js-reflection-client (v1alpha)", async () => {
    const client = new GrpcReflection(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure(), {}, "v1alpha");
    assert.deepEqual([...(await client.listServices())].sort(), ALL_SERVICES);
    const methods = await client.listMethods("rig.v1.EnvironmentService");
    assert.deepEqual(
      methods.map((m) => m.name).sort(),
      EnvironmentService.methods.map((m) => m.name).sort(),
    );
    const create = methods.find((m) => m.name === "CreateEnvironment")!.definition;
    assert.equal(create.path, "/rig.v1.EnvironmentService/CreateEnvironment");
    // The client rebuilds types with protobufjs; a spec with two services must round-trip.
    const spec = { spec: { name: "demo", services: [{ name: "api" }, { name: "db" }] } };
    const decoded = create.requestDeserialize(create.requestSerialize(spec)) as typeof spec;
    assert.deepEqual(decoded.spec.services.map((s) => s.name), ["api", "db"]);
  });

  it("is generic: describes whatever services it is given", async () => {
    const handler = connectNodeAdapter({
      routes(router) {
        addReflectionServices(router, [Health]);
      },
    });
    const small = await listenCleartext(handler, "127.0.0.1", 0);
    try {
      const client = new GrpcReflection(`127.0.0.1:${small.port}`, grpc.credentials.createInsecure(), {}, "v1");
      assert.deepEqual([...(await client.listServices())].sort(), [
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
      ]);
    } finally {
      await small.close(100);
    }
  });

  describe("grpcurl, with no proto files", () => {
    const grpcurl = findGrpcurl();
    const run = async (...args: string[]): Promise<string> =>
      (await promisify(execFile)(grpcurl!, ["-plaintext", ...args], { timeout: 20_000 })).stdout;

    it("lists and describes", { skip: grpcurl ? false : "grpcurl not installed (go install github.com/fullstorydev/grpcurl/cmd/grpcurl@latest)" }, async () => {
      const addr = `127.0.0.1:${server.port}`;
      assert.deepEqual((await run(addr, "list")).trim().split("\n"), ALL_SERVICES);
      assert.match(await run(addr, "describe", "rig.v1.EnvironmentService"), /rpc CreateEnvironment \( \.rig\.v1\.CreateEnvironmentRequest \)/);
      assert.match(await run(addr, "describe", "rig.v1.EnvironmentSpec"), /\.google\.protobuf\.Duration orphan_grace = 7;/);
    });

    it("calls CreateEnvironment and GetEnvironment from JSON", { skip: grpcurl ? false : "grpcurl not installed" }, async () => {
      const addr = `127.0.0.1:${server.port}`;
      const created = JSON.parse(
        await run("-d", '{"spec":{"name":"demo","services":[{"name":"api"},{"name":"db"}]}}', addr, "rig.v1.EnvironmentService/CreateEnvironment"),
      ) as { environmentId: string };
      assert.equal(created.environmentId, "demo-api+db");
      const got = JSON.parse(await run("-d", '{"environment_id":"known"}', addr, "rig.v1.EnvironmentService/GetEnvironment")) as {
        environment: { name: string };
      };
      assert.equal(got.environment.name, "demo");
      await assert.rejects(run("-d", '{"environment_id":"nope"}', addr, "rig.v1.EnvironmentService/GetEnvironment"), /NotFound/);
    });
  });
});

/** grpcurl on PATH or in the repo's .tools/bin, if any. */
function findGrpcurl(): string | undefined {
  const candidates = [
    ...(process.env.PATH ?? "").split(path.delimiter).map((dir) => path.join(dir, "grpcurl")),
    new URL("../../../.tools/bin/grpcurl", import.meta.url).pathname,
  ];
  return candidates.find((file) => existsSync(file));
}
