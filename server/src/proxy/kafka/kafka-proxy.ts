/**
 * The Kafka proxy core: forwards a Kafka connection frame by frame, keeps the client on
 * the proxy (broker addresses in Metadata, FindCoordinator and DescribeCluster
 * responses become the proxy's own; ApiVersions capped to what it decodes), and
 * records each Produce (with the offsets its response assigned) as `kafka.produced`
 * and each Fetch response that carried records as `kafka.fetched`.
 *
 * Requests and responses are paired by correlation id (a Produce with acks=0 has no
 * response: it is recorded at once, offsets -1). Frames of other APIs are forwarded as
 * they are. A frame the proxy cannot parse is forwarded unchanged and the problem goes
 * into the event's `error`; a stream that is not Kafka at all is cut.
 */
import { create } from "@bufbuild/protobuf";
import { createServer, connect, type Socket } from "node:net";
import { KafkaFetchedSchema, KafkaProducedSchema } from "../../gen/rig/v1/event_pb.js";
import { elapsedSince } from "../elapsed.js";
import { InFlight } from "../in-flight.js";
import { closeOnce, listen, serverClosed } from "../listen.js";
import { type ProxyOptions, type RunningProxy, safeSink } from "../proxy-contract.js";
import { SocketSet } from "../socket-set.js";
import { rewriteResponse, rewritesResponse, type ProxyAddress } from "./address-rewrite.js";
import { API, readRequestHeader, type RequestHeader } from "./kafka-apis.js";
import { collectRecords, errorName } from "./kafka-events.js";
import { FrameSplitter, framed } from "./frame-splitter.js";
import { partitionKey, readFetchResponse, readProduceRequest, readProduceResponse, type ProduceRequest } from "./produce-fetch.js";
import type { AvroSchemaLookup } from "./record-value.js";

/** Options of the Kafka proxy. */
export interface KafkaProxyOptions extends ProxyOptions {
  /** Avro schemas by registry id, to decode Confluent wire-format values. */
  readonly avroSchema?: AvroSchemaLookup;
}

interface Pending {
  readonly header: RequestHeader;
  readonly started: number;
  readonly produce?: ProduceRequest;
  readonly problem?: string;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Starts a Kafka proxy; resolves once it listens. */
export async function startKafkaProxy(options: KafkaProxyOptions): Promise<RunningProxy> {
  const { edge, target, avroSchema } = options;
  const sockets = new SocketSet();
  const emit = safeSink(options.onEvent);
  let address: ProxyAddress = { host: options.listenHost ?? "127.0.0.1", port: options.listenPort };

  const emitProduced = (pending: Pending, answers: Map<string, { errorCode: number; baseOffset: bigint }> | undefined, problem: string): void => {
    const produce = pending.produce as ProduceRequest;
    const collected = collectRecords(produce.partitions, avroSchema, (p) => {
      const answer = answers?.get(partitionKey(p.topic, p.partition));
      return answer && answer.errorCode === 0 ? answer.baseOffset : undefined;
    });
    const failed = [...(answers?.values() ?? [])].find((a) => a.errorCode !== 0);
    emit({
      case: "kafkaProduced",
      value: create(KafkaProducedSchema, {
        ...edge,
        clientId: pending.header.clientId,
        apiVersion: pending.header.apiVersion,
        acks: produce.acks,
        records: collected.records,
        recordsTotal: collected.total,
        latency: elapsedSince(pending.started),
        error: failed ? errorName(failed.errorCode) : problem || pending.problem || collected.problem,
      }),
    });
  };

  /** A request frame: note what the response needs; forwarded as it is. */
  const onRequest = (frame: Buffer, inFlight: InFlight<Pending>): void => {
    let parsed: ReturnType<typeof readRequestHeader>;
    try {
      parsed = readRequestHeader(frame);
    } catch {
      return; // not ours to judge: the broker answers a malformed request
    }
    const { header, body } = parsed;
    const started = performance.now();
    if (header.apiKey === API.produce) {
      let produce: ProduceRequest;
      try {
        produce = readProduceRequest(body, header.apiVersion);
      } catch (err) {
        inFlight.set(header.correlationId, { header, started, produce: { acks: -1, partitions: [] }, problem: `Produce v${header.apiVersion} request: ${message(err)}` });
        return;
      }
      if (produce.acks === 0) emitProduced({ header, started, produce }, undefined, "");
      else inFlight.set(header.correlationId, { header, started, produce });
    } else if (header.apiKey === API.fetch || rewritesResponse(header.apiKey)) {
      inFlight.set(header.correlationId, { header, started });
    }
  };

  /** A response frame: rewritten or recorded when its request is one we read. */
  const onResponse = (frame: Buffer, inFlight: InFlight<Pending>): Buffer => {
    if (frame.length < 4) return frame;
    const pending = inFlight.take(frame.readInt32BE(0));
    if (!pending) return frame;
    const { header } = pending;
    if (rewritesResponse(header.apiKey)) {
      try {
        return rewriteResponse(frame, header, address);
      } catch {
        return frame; // forwarded as it came; the client may then leave the proxy
      }
    }
    if (header.apiKey === API.produce) {
      let answers: Map<string, { errorCode: number; baseOffset: bigint }> | undefined;
      let problem = "";
      try {
        answers = readProduceResponse(frame, header);
      } catch (err) {
        problem = `Produce v${header.apiVersion} response: ${message(err)}`;
      }
      emitProduced(pending, answers, problem);
    } else if (header.apiKey === API.fetch) {
      recordFetch(frame, pending);
    }
    return frame;
  };

  const recordFetch = (frame: Buffer, pending: Pending): void => {
    let problem = "";
    let collected = { records: [] as ReturnType<typeof collectRecords>["records"], total: 0, problem: "" };
    try {
      const partitions = readFetchResponse(frame, pending.header);
      collected = collectRecords(partitions, avroSchema);
      const failed = partitions.find((p) => p.errorCode !== 0);
      if (failed) problem = `${failed.topic}[${failed.partition}]: ${errorName(failed.errorCode)}`;
    } catch (err) {
      problem = `Fetch v${pending.header.apiVersion} response: ${message(err)}`;
    }
    if (collected.total === 0 && !problem) return; // an empty long poll: nothing to record
    emit({
      case: "kafkaFetched",
      value: create(KafkaFetchedSchema, {
        ...edge,
        clientId: pending.header.clientId,
        apiVersion: pending.header.apiVersion,
        records: collected.records,
        recordsTotal: collected.total,
        latency: elapsedSince(pending.started),
        error: problem || collected.problem,
      }),
    });
  };

  const server = createServer({ noDelay: true }, (downstream) => {
    sockets.add(downstream);
    const upstream = connect({ host: target.host, port: target.port, noDelay: true });
    sockets.add(upstream);
    const inFlight = new InFlight<Pending>();
    pipeFrames(downstream, upstream, (frame) => (onRequest(frame, inFlight), frame));
    pipeFrames(upstream, downstream, (frame) => onResponse(frame, inFlight));
    const end = (): void => {
      downstream.destroy();
      upstream.destroy();
    };
    downstream.once("error", end);
    upstream.once("error", end);
    downstream.once("close", end);
    upstream.once("close", end);
  });

  const port = await listen(server, address.host, options.listenPort);
  address = { host: address.host, port };
  const close = closeOnce(async () => {
    const closed = serverClosed(server);
    sockets.destroyAll();
    await closed;
  }, options.signal);
  return { port, close };
}

/** Forwards `from` to `to` frame by frame through `each`, with backpressure; a non-Kafka stream is cut. */
function pipeFrames(from: Socket, to: Socket, each: (frame: Buffer) => Buffer): void {
  const splitter = new FrameSplitter();
  from.on("data", (chunk: Buffer) => {
    let frames: Buffer[];
    try {
      frames = splitter.push(chunk);
    } catch (err) {
      from.destroy(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    let flowing = true;
    to.cork();
    for (const frame of frames) {
      const [size, payload] = framed(each(frame));
      to.write(size as Buffer);
      flowing = to.write(payload as Buffer);
    }
    to.uncork();
    if (!flowing) {
      from.pause();
      to.once("drain", () => from.resume());
    }
  });
  from.once("end", () => to.end());
}
