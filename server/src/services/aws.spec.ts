/**
 * The `s3` and `sqs` types through a real rigd, its pooled moto server and the real AWS
 * SDK for JavaScript: two parallel environments, observed (the SDK talks through the
 * recording proxies), each with its own bucket and queue that the other cannot see;
 * release empties and removes the bucket and deletes the queue; rigd's shutdown stops
 * the server; a service that egresses to both gets their attributes and uses them with
 * the SDK through its own proxies; the moto server of a rigd killed with SIGKILL is
 * killed by the next one; bad specs are refused with what to do.
 *
 * Needs moto's server (`moto_server` on PATH or $RIG_MOTO_SERVER; `make setup` installs it).
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { GetQueueUrlCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { Code, ConnectError } from "@connectrpc/connect";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ServiceSchema } from "../gen/rig/v1/spec_pb.js";
import { findMotoServer } from "../pools/moto-backend.js";
import { upEnvironment, type UpEnvironment } from "../testing/environment-events.js";
import { collectEvents, eventually, FIXTURES, processesWith, spec, startRigd, type Rigd } from "../testing/rigd-harness.js";

type ServiceInit = MessageInitShape<typeof ServiceSchema>;
let rigd: Rigd;

const s3Service = (name: string, region = ""): ServiceInit => ({ name, config: { case: "s3", value: { region } } });
const sqsService = (name: string, fifo = false): ServiceInit => ({ name, config: { case: "sqs", value: { fifo } } });

/** SDK clients configured from a service's attributes, as an application would be. */
function s3Of(attrs: Readonly<Record<string, string>>): S3Client {
  return new S3Client({
    endpoint: attrs["AWS_ENDPOINT_URL"] as string,
    region: attrs["AWS_REGION"] as string,
    credentials: { accessKeyId: attrs["AWS_ACCESS_KEY_ID"] as string, secretAccessKey: attrs["AWS_SECRET_ACCESS_KEY"] as string },
    forcePathStyle: true,
  });
}

function sqsOf(attrs: Readonly<Record<string, string>>): SQSClient {
  return new SQSClient({
    endpoint: attrs["AWS_ENDPOINT_URL"] as string,
    region: attrs["AWS_REGION"] as string,
    credentials: { accessKeyId: attrs["AWS_ACCESS_KEY_ID"] as string, secretAccessKey: attrs["AWS_SECRET_ACCESS_KEY"] as string },
  });
}

async function receiveBodies(attrs: Readonly<Record<string, string>>): Promise<string[]> {
  const out = await sqsOf(attrs).send(new ReceiveMessageCommand({ QueueUrl: attrs["SQS_QUEUE_URL"], WaitTimeSeconds: 0, MaxNumberOfMessages: 10 }));
  return (out.Messages ?? []).map((m) => m.Body ?? "");
}

/** moto servers running in RIG_DIR/pools of `rigDir` (their working dirs), and those dirs. */
function serversIn(rigDir: string): { processes: number[]; dirs: string[] } {
  const pools = join(rigDir, "pools");
  const dirs = existsSync(pools) ? readdirSync(pools).filter((d) => d.startsWith("moto-")) : [];
  const processes: number[] = [];
  for (const entry of readdirSync("/proc").filter((e) => /^\d+$/.test(e))) {
    try {
      if (readlinkSync(`/proc/${entry}/cwd`).startsWith(join(pools, "moto-")) && isAlive(Number(entry))) processes.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return { processes, dirs };
}

/** Alive and not a zombie. */
function isAlive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] !== "Z";
  } catch {
    return false;
  }
}

before(async () => {
  findMotoServer(); // says how to install it when missing
  rigd = await startRigd();
});

after(async () => {
  await rigd?.stop();
});

describe("s3 and sqs types (moto)", () => {
  it("gives two parallel observed environments a bucket and a queue each, invisible to the other, through the proxies", async () => {
    const up = (name: string): Promise<UpEnvironment> =>
      upEnvironment(rigd, spec({ name, observe: true, services: [s3Service("files"), sqsService("jobs")] }));
    const [a, b] = await Promise.all([up("aws-a"), up("aws-b")]);
    const [filesA, filesB, jobsA, jobsB] = [a.attributes("files"), b.attributes("files"), a.attributes("jobs"), b.attributes("jobs")];
    assert.notEqual(filesA["S3_BUCKET"], filesB["S3_BUCKET"]);
    assert.match(filesA["S3_BUCKET"] ?? "", /^files-[0-9a-f]{10}$/);
    assert.equal(filesA["AWS_REGION"], "us-east-1");
    assert.match(jobsA["SQS_QUEUE_URL"] ?? "", new RegExp(`^${jobsA["AWS_ENDPOINT_URL"]}/\\d+/${jobsA["SQS_QUEUE_NAME"]}$`));

    await s3Of(filesA).send(new PutObjectCommand({ Bucket: filesA["S3_BUCKET"], Key: "report.txt", Body: "from a" }));
    const got = await s3Of(filesA).send(new GetObjectCommand({ Bucket: filesA["S3_BUCKET"], Key: "report.txt" }));
    assert.equal(await got.Body?.transformToString(), "from a");
    const listedB = await s3Of(filesB).send(new ListObjectsV2Command({ Bucket: filesB["S3_BUCKET"] }));
    assert.equal(listedB.KeyCount, 0, "b's bucket does not hold a's object");

    await sqsOf(jobsA).send(new SendMessageCommand({ QueueUrl: jobsA["SQS_QUEUE_URL"], MessageBody: "job for a" }));
    assert.deepEqual(await receiveBodies(jobsB), [], "b's queue does not hold a's message");
    assert.deepEqual(await receiveBodies(jobsA), ["job for a"]);

    // The SDK's calls went through a's recording proxies.
    const recorded = await collectEvents(rigd, a.id, (e) => e.payload.case === "requestCompleted" && e.payload.value.target === "jobs");
    const targets = new Set(recorded.flatMap((e) => (e.payload.case === "requestCompleted" ? [`${e.payload.value.target} ${e.payload.value.method}`] : [])));
    assert.ok(targets.has("files PUT") && targets.has("files GET") && targets.has("jobs POST"), [...targets].join(", "));
    await Promise.all([a, b].map((env) => rigd.client.destroyEnvironment({ environmentId: env.id })));
  });

  it("removes the bucket (with its objects) and the queue at release; rigd's shutdown stops the server", async () => {
    const env = await upEnvironment(rigd, spec({ name: "aws-release", services: [s3Service("files", "eu-west-2"), sqsService("jobs", true)] }));
    const files = env.attributes("files");
    const jobs = env.attributes("jobs");
    assert.equal(files["AWS_REGION"], "eu-west-2");
    assert.match(jobs["SQS_QUEUE_NAME"] ?? "", /^jobs-[0-9a-f]{10}\.fifo$/);
    for (const key of ["a.txt", "dir/b c.txt"]) await s3Of(files).send(new PutObjectCommand({ Bucket: files["S3_BUCKET"], Key: key, Body: key }));
    await sqsOf(jobs).send(new SendMessageCommand({ QueueUrl: jobs["SQS_QUEUE_URL"], MessageBody: "x", MessageGroupId: "g", MessageDeduplicationId: "1" }));

    await rigd.client.destroyEnvironment({ environmentId: env.id });
    await collectEvents(rigd, env.id, (e) => e.type === "environment.down");
    const s3 = s3Of(files);
    await assert.rejects(s3.send(new HeadBucketCommand({ Bucket: files["S3_BUCKET"] })), (err: Error) => err.name === "NotFound");
    const buckets = await s3.send(new ListBucketsCommand({}));
    assert.equal(buckets.Buckets?.some((x) => x.Name === files["S3_BUCKET"]), false);
    await assert.rejects(
      sqsOf(jobs).send(new GetQueueUrlCommand({ QueueName: jobs["SQS_QUEUE_NAME"] })),
      (err: Error) => /QueueDoesNotExist|NonExistentQueue/.test(err.name),
    );
    // The shared server outlives the lease; rigd's shutdown stops it.
    await s3.send(new CreateBucketCommand({ Bucket: "still-serving" }));
    await rigd.stop();
    await eventually(
      () => fetch(files["AWS_ENDPOINT_URL"] as string).then(() => false, () => true),
      10_000,
      "the moto server to stop with rigd",
    );
    rigd = await startRigd();
  });

  it("wires a consuming service with its egresses' attributes, through their proxies", async () => {
    const env = await upEnvironment(
      rigd,
      spec({
        name: "aws-consumer",
        observe: true,
        services: [
          s3Service("files"),
          sqsService("jobs"),
          {
            name: "api",
            egresses: [{ service: "files" }, { service: "jobs" }],
            config: { case: "node", value: { script: join(FIXTURES, "aws-consumer.js"), args: [rigd.marker] } },
          },
        ],
      }),
    );
    assert.equal((await fetch(`${env.url("api")}/order?id=7`, { method: "POST" })).status, 201);
    const files = env.attributes("files");
    const stored = await s3Of(files).send(new GetObjectCommand({ Bucket: files["S3_BUCKET"], Key: "orders/7.json" }));
    assert.equal(await stored.Body?.transformToString(), '{"id":"7"}');
    assert.deepEqual(await receiveBodies(env.attributes("jobs")), ["7"]);
    const recorded = await collectEvents(rigd, env.id, (e) => e.payload.case === "requestCompleted" && e.payload.value.source === "api" && e.payload.value.target === "jobs");
    assert.ok(recorded.some((e) => e.payload.case === "requestCompleted" && e.payload.value.source === "api" && e.payload.value.target === "files"));
    await rigd.client.destroyEnvironment({ environmentId: env.id });
    await eventually(() => processesWith(rigd.marker).length === 0, 10_000, "the consumer to exit");
  });

  it("the next rigd kills the moto server of a rigd killed with SIGKILL and removes its dir", async () => {
    const doomed = await startRigd();
    try {
      await upEnvironment(doomed, spec({ name: "aws-doomed", services: [s3Service("files")] }));
      const servers = serversIn(doomed.rigDir);
      assert.equal(servers.processes.length, 1, "one moto server");
      doomed.child.kill("SIGKILL");
      await eventually(() => doomed.child.exitCode !== null || doomed.child.signalCode !== null, 10_000, "rigd to die");
      assert.ok(isAlive(servers.processes[0] as number), "the server outlives its rigd");
      const next = await startRigd([], { rigDir: doomed.rigDir });
      try {
        await eventually(() => !isAlive(servers.processes[0] as number), 10_000, "the orphaned moto server to be killed");
        await eventually(() => serversIn(doomed.rigDir).dirs.length === 0, 10_000, "its server dir to be removed");
      } finally {
        await next.stop({ keepDir: true });
      }
    } finally {
      await doomed.stop();
    }
  });

  it("refuses a malformed region and a second ingress", async () => {
    const refused = async (service: ServiceInit): Promise<string> => {
      const err = await rigd.client.createEnvironment({ spec: spec({ name: "aws-bad", services: [service] }) }).then(
        () => assert.fail("expected INVALID_ARGUMENT"),
        (e: unknown) => ConnectError.from(e),
      );
      assert.equal(err.code, Code.InvalidArgument, err.message);
      return err.rawMessage;
    };
    assert.match(await refused(s3Service("files", "Europe")), /s3\.region: region "Europe" is not an AWS region name/);
    assert.match(await refused({ name: "jobs", ingresses: [{ name: "a" }, { name: "b" }], config: { case: "sqs", value: {} } }), /exactly one ingress/);
  });
});
