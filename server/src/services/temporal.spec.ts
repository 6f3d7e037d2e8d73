/**
 * The `temporal` type through a real rigd, its pooled Temporal dev server and the real
 * Temporal TypeScript SDK client (@temporalio/client): two parallel observed
 * environments, each a namespace of its own that the other cannot see, through the
 * recording gRPC proxies; release deletes the namespace; bad versions are refused.
 *
 * Needs the Temporal CLI at rig's pinned version, here already (`$RIG_TEMPORAL_CLI` or
 * `temporal` on PATH: `make setup` installs it into .tools/bin), so the test does not
 * spend minutes building it.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Client, Connection, WorkflowNotFoundError } from "@temporalio/client";
import { Code, ConnectError } from "@connectrpc/connect";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ServiceSchema } from "../gen/rig/v1/spec_pb.js";
import { DEFAULT_TEMPORAL_CLI_VERSION, findTemporalCli } from "../artifacts/temporal-cli.js";
import { upEnvironment, type UpEnvironment } from "../testing/environment-events.js";
import { collectEvents, eventually, spec, startRigd, type Rigd } from "../testing/rigd-harness.js";

type ServiceInit = MessageInitShape<typeof ServiceSchema>;
let rigd: Rigd;

const temporal = (name: string, version = ""): ServiceInit => ({ name, config: { case: "temporal", value: { version } } });

/** A client of the environment's namespace, configured from its attributes as an application would be. */
async function clientOf(attrs: Readonly<Record<string, string>>): Promise<{ client: Client; connection: Connection }> {
  const connection = await Connection.connect({ address: attrs["TEMPORAL_ADDRESS"] as string });
  return { connection, client: new Client({ connection, namespace: attrs["TEMPORAL_NAMESPACE"] as string }) };
}

before(async () => {
  assert.ok(
    await findTemporalCli(DEFAULT_TEMPORAL_CLI_VERSION, process.env),
    `no Temporal CLI ${DEFAULT_TEMPORAL_CLI_VERSION} here: run make setup (scripts/install-temporal.sh) or set RIG_TEMPORAL_CLI`,
  );
  rigd = await startRigd();
});

after(async () => {
  await rigd?.stop();
});

describe("temporal type (dev server)", () => {
  it("gives two parallel observed environments a namespace each, invisible to the other, through the gRPC proxies", async () => {
    const up = (name: string): Promise<UpEnvironment> => upEnvironment(rigd, spec({ name, observe: true, services: [temporal("wf")] }));
    const [a, b] = await Promise.all([up("temporal-a"), up("temporal-b")]);
    const [attrsA, attrsB] = [a.attributes("wf"), b.attributes("wf")];
    assert.match(attrsA["TEMPORAL_NAMESPACE"] ?? "", /^wf-[0-9a-f]{10}$/);
    assert.notEqual(attrsA["TEMPORAL_NAMESPACE"], attrsB["TEMPORAL_NAMESPACE"]);
    const [ca, cb] = await Promise.all([clientOf(attrsA), clientOf(attrsB)]);
    try {
      await ca.client.workflow.start("ProcessOrder", { taskQueue: "orders", workflowId: "order-1", args: [{ id: 1 }] });
      const described = await ca.client.workflow.getHandle("order-1").describe();
      assert.equal(described.status.name, "RUNNING");
      assert.equal(described.type, "ProcessOrder");
      await assert.rejects(cb.client.workflow.getHandle("order-1").describe(), WorkflowNotFoundError, "b's namespace does not hold a's workflow");
      // The same id is free in b's namespace.
      await cb.client.workflow.start("ProcessOrder", { taskQueue: "orders", workflowId: "order-1" });
    } finally {
      await Promise.all([ca.connection.close(), cb.connection.close()]);
    }
    const recorded = await collectEvents(rigd, a.id, (e) => e.payload.case === "grpcCallCompleted" && e.payload.value.method === "DescribeWorkflowExecution");
    const methods = recorded.flatMap((e) => (e.payload.case === "grpcCallCompleted" && e.payload.value.target === "wf" ? [e.payload.value.method] : []));
    assert.ok(methods.includes("StartWorkflowExecution"), methods.join(", "));
    await Promise.all([a, b].map((env) => rigd.client.destroyEnvironment({ environmentId: env.id })));
  });

  it("deletes the namespace at release", async () => {
    const env = await upEnvironment(rigd, spec({ name: "temporal-release", services: [temporal("wf")] }));
    const attrs = env.attributes("wf");
    const { connection, client } = await clientOf(attrs);
    try {
      await client.workflow.start("ProcessOrder", { taskQueue: "orders", workflowId: "order-2" });
      await rigd.client.destroyEnvironment({ environmentId: env.id });
      await collectEvents(rigd, env.id, (e) => e.type === "environment.down");
      await eventually(
        () =>
          connection.workflowService.describeNamespace({ namespace: attrs["TEMPORAL_NAMESPACE"] as string }).then(
            () => false,
            (err: { code?: number }) => err.code === 5, // NOT_FOUND
          ),
        15_000,
        "the namespace to be gone",
      );
    } finally {
      await connection.close();
    }
  });

  it("refuses a malformed version", async () => {
    const err = await rigd.client.createEnvironment({ spec: spec({ name: "temporal-bad", services: [temporal("wf", "latest")] }) }).then(
      () => assert.fail("expected INVALID_ARGUMENT"),
      (e: unknown) => ConnectError.from(e),
    );
    assert.equal(err.code, Code.InvalidArgument, err.message);
    assert.match(err.rawMessage, /temporal\.version "latest" is not a Temporal CLI module version \(like v1\.5\.1\)/);
  });
});
