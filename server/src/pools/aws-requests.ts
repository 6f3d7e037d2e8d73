/**
 * The few AWS calls the S3 and SQS pools make against their emulator (moto's server):
 * create and remove a bucket (emptied first: versions, delete markers, unfinished
 * multipart uploads) and create and delete a queue. The emulator checks no signatures,
 * so a request only names its service and region in an Authorization header of SigV4's
 * shape, which is how the server tells S3 from SQS on one port.
 */

/** Where the emulator listens and which region a call is for. */
export interface AwsTarget {
  /** `http://127.0.0.1:PORT` */
  readonly endpoint: string;
  readonly region: string;
  readonly signal?: AbortSignal;
}

/** An AWS call that answered with an error status. */
export class AwsCallError extends Error {
  constructor(what: string, status: number, body: string) {
    super(`${what}: HTTP ${status}${body ? `: ${body.slice(0, 500)}` : ""}`);
    this.name = "AwsCallError";
  }
}

function authorization(service: string, region: string): string {
  return `AWS4-HMAC-SHA256 Credential=rig/20250101/${region}/${service}/aws4_request, SignedHeaders=host, Signature=0`;
}

async function call(
  what: string,
  target: AwsTarget,
  service: string,
  path: string,
  init: { method: string; body?: string; headers?: Record<string, string>; okStatuses?: readonly number[] },
): Promise<string> {
  const res = await fetch(`${target.endpoint}${path}`, {
    method: init.method,
    headers: { authorization: authorization(service, target.region), ...init.headers },
    ...(init.body === undefined ? {} : { body: init.body }),
    ...(target.signal ? { signal: target.signal } : {}),
  });
  const body = await res.text();
  if (!res.ok && !(init.okStatuses ?? []).includes(res.status)) throw new AwsCallError(what, res.status, body);
  return body;
}

/** `/bucket/key` with each key segment percent-encoded. */
function objectPath(bucket: string, key: string): string {
  return `/${bucket}/${key.split("/").map(encodeURIComponent).join("/")}`;
}

function unescapeXml(text: string): string {
  return text.replace(/&(lt|gt|quot|apos|amp);/g, (_, name: string) => ({ lt: "<", gt: ">", quot: '"', apos: "'", amp: "&" })[name] ?? "");
}

/** The `<tag>` children of every `<element>` in `xml`, as objects. */
function elements(xml: string, element: string, tags: readonly string[]): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  for (const [, inner = ""] of xml.matchAll(new RegExp(`<${element}>([\\s\\S]*?)</${element}>`, "g"))) {
    const fields: Record<string, string> = {};
    for (const tag of tags) {
      const value = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(inner)?.[1];
      if (value !== undefined) fields[tag] = unescapeXml(value);
    }
    out.push(fields);
  }
  return out;
}

/** Creates `bucket` in the target's region. */
export async function createBucket(target: AwsTarget, bucket: string): Promise<void> {
  const body =
    target.region === "us-east-1"
      ? undefined
      : `<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>${target.region}</LocationConstraint></CreateBucketConfiguration>`;
  await call(`create bucket ${bucket}`, target, "s3", `/${bucket}`, { method: "PUT", ...(body ? { body } : {}) });
}

/** Empties `bucket` (every version, delete marker and unfinished upload) and removes it. Gone already: done. */
export async function removeBucket(target: AwsTarget, bucket: string): Promise<void> {
  for (let round = 0; ; round++) {
    const versions = await call(`list ${bucket}`, target, "s3", `/${bucket}?versions`, { method: "GET", okStatuses: [404] });
    if (versions.includes("<Code>NoSuchBucket</Code>")) return;
    const objects = [...elements(versions, "Version", ["Key", "VersionId"]), ...elements(versions, "DeleteMarker", ["Key", "VersionId"])];
    const uploads = elements(await call(`list uploads of ${bucket}`, target, "s3", `/${bucket}?uploads`, { method: "GET" }), "Upload", ["Key", "UploadId"]);
    if (objects.length === 0 && uploads.length === 0) break;
    if (round >= 100) throw new Error(`bucket ${bucket} is still not empty after 100 rounds of deletes`);
    const deletes = [
      ...objects.map((o) => `${objectPath(bucket, o["Key"] ?? "")}?versionId=${encodeURIComponent(o["VersionId"] ?? "null")}`),
      ...uploads.map((u) => `${objectPath(bucket, u["Key"] ?? "")}?uploadId=${encodeURIComponent(u["UploadId"] ?? "")}`),
    ];
    for (let i = 0; i < deletes.length; i += 16) {
      await Promise.all(deletes.slice(i, i + 16).map((path) => call(`delete ${path}`, target, "s3", path, { method: "DELETE", okStatuses: [404] })));
    }
  }
  await call(`delete bucket ${bucket}`, target, "s3", `/${bucket}`, { method: "DELETE", okStatuses: [404] });
}

async function sqs(target: AwsTarget, action: string, input: Record<string, unknown>): Promise<Record<string, unknown>> {
  const body = await call(`sqs ${action}`, target, "sqs", "/", {
    method: "POST",
    body: JSON.stringify(input),
    headers: { "content-type": "application/x-amz-json-1.0", "x-amz-target": `AmazonSQS.${action}` },
  });
  return body ? (JSON.parse(body) as Record<string, unknown>) : {};
}

/** Creates queue `name` (FIFO when it ends in .fifo); resolves with its URL. */
export async function createQueue(target: AwsTarget, name: string): Promise<string> {
  const attributes = name.endsWith(".fifo") ? { FifoQueue: "true" } : {};
  const out = await sqs(target, "CreateQueue", { QueueName: name, Attributes: attributes });
  if (typeof out["QueueUrl"] !== "string") throw new Error(`sqs CreateQueue ${name}: no QueueUrl in the answer`);
  return out["QueueUrl"];
}

/** Deletes the queue at `url`. Gone already: done. */
export async function deleteQueue(target: AwsTarget, url: string): Promise<void> {
  try {
    await sqs(target, "DeleteQueue", { QueueUrl: url });
  } catch (err) {
    if (!(err instanceof AwsCallError && /NonExistentQueue|QueueDoesNotExist/.test(err.message))) throw err;
  }
}
