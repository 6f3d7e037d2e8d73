/**
 * Real grpc-js servers and clients for the proxy tests and the proxy benchmark, built
 * from the `.proto` files beside this module (loaded at run time with proto-loader, as
 * a service without generated code would be). Not used by rigd itself.
 */
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import { fileURLToPath } from "node:url";

/** The .proto sources; dist/ has no copies, so resolve them in src/. */
const PROTO_DIR = fileURLToPath(new URL("../../../src/proxy/testdata/", import.meta.url));

/** Which server to run: `echo` (echo.proto) or `alt` (echo_alt.proto: same method names, other fields). */
export type EchoFlavor = "echo" | "alt";

/** Options of a test server. */
export interface EchoServerOptions {
  readonly flavor?: EchoFlavor;
  /** Port to bind on 127.0.0.1. Default: a free one. */
  readonly port?: number;
  /** Serve grpc.reflection v1 and v1alpha. Default true. */
  readonly reflection?: boolean;
  /** Called on each reflection call served (end-to-end tests count them from the log). */
  readonly onReflectionCall?: () => void;
}

/** A running test server. */
export interface EchoServer {
  readonly port: number;
  /** host:port */
  readonly address: string;
  /** ServerReflectionInfo calls served so far (each reflection request is one call). */
  reflectionCalls(): number;
  /** Calls the server saw cancelled by their client. */
  cancelledCalls(): number;
  close(): Promise<void>;
}

// Loosely typed: proto-loader gives untyped service definitions.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

function load(flavor: EchoFlavor): protoLoader.PackageDefinition {
  const file = flavor === "echo" ? "echo.proto" : "echo_alt.proto";
  return protoLoader.loadSync([`${PROTO_DIR}${file}`, `${PROTO_DIR}health.proto`], {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
  });
}

function echoService(definition: protoLoader.PackageDefinition): Loose {
  return (grpc.loadPackageDefinition(definition) as Loose).rigtest.v1.Echo;
}

/** Starts a test server on a free loopback port. */
export async function startEchoServer(options: EchoServerOptions = {}): Promise<EchoServer> {
  const flavor = options.flavor ?? "echo";
  const definition = load(flavor);
  const server = new grpc.Server();
  const loaded = grpc.loadPackageDefinition(definition) as Loose;
  let cancelled = 0;
  const onCancel = (): void => void cancelled++;
  server.addService(echoService(definition).service, flavor === "echo" ? echoHandlers(onCancel) : altHandlers());
  server.addService(loaded.grpc.health.v1.Health.service, {
    Check: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => callback(null, { status: "SERVING" }),
  });
  let reflectionCalls = 0;
  if (options.reflection ?? true) {
    new ReflectionService(definition).addToServer({
      addService: (service, implementation) => {
        const counted: grpc.UntypedServiceImplementation = {};
        for (const [name, handler] of Object.entries(implementation)) {
          counted[name] = ((call: unknown) => {
            reflectionCalls++;
            options.onReflectionCall?.();
            return (handler as (call: unknown) => void)(call);
          }) as grpc.UntypedHandleCall;
        }
        server.addService(service, counted);
      },
    });
  }
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${options.port ?? 0}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    port,
    address: `127.0.0.1:${port}`,
    reflectionCalls: () => reflectionCalls,
    cancelledCalls: () => cancelled,
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        // Calls still open (a test that failed midway) must not hold the shutdown.
        setTimeout(() => server.forceShutdown(), 1000).unref();
      }),
  };
}

function echoHandlers(onCancel: () => void): grpc.UntypedServiceImplementation {
  return {
    Say: (call: Loose, callback: grpc.sendUnaryData<unknown>) => {
      const req = call.request;
      if (req.fail_code) return callback({ code: req.fail_code, details: req.text } as grpc.ServiceError);
      const text = String(req.text).repeat(req.repeat_count || 1);
      callback(null, { text, length: text.length });
    },
    Count: async (call: Loose) => {
      let wake: () => void = () => {};
      call.on("cancelled", () => {
        onCancel();
        wake();
      });
      call.on("drain", () => wake());
      const pad = Buffer.alloc(call.request.pad_bytes, 0x61);
      for (let index = 0; index < call.request.count; index++) {
        if (call.cancelled) return;
        if (!call.write({ index, pad })) await new Promise<void>((resolve) => (wake = resolve));
      }
      call.end();
    },
    Sum: (call: Loose, callback: grpc.sendUnaryData<unknown>) => {
      let total = 0n;
      let count = 0;
      call.on("data", (num: Loose) => {
        total += BigInt(num.value);
        count++;
      });
      call.on("end", () => callback(null, { total: total.toString(), count }));
    },
    Chat: (call: Loose) => {
      call.on("data", (line: Loose) => call.write({ who: "server", text: `${line.who} said ${line.text}` }));
      call.on("end", () => call.end());
    },
  };
}

function altHandlers(): grpc.UntypedServiceImplementation {
  return {
    Say: (call: Loose, callback: grpc.sendUnaryData<unknown>) =>
      callback(null, { echoed: `#${call.request.serial}`, shouted: call.request.shout }),
  };
}

/** A promise-based client of the test servers. */
export interface EchoClient {
  say(request: Record<string, unknown>, metadata?: Record<string, string>): Promise<Loose>;
  count(request: Record<string, unknown>): Promise<Loose[]>;
  /** Streams Count without keeping the ticks; resolves with the padding bytes received. */
  countStream(request: Record<string, unknown>, onFirst?: () => void): Promise<number>;
  /** Starts a server stream, cancels it after `after` messages; resolves with the status code seen. */
  countThenCancel(request: Record<string, unknown>, after: number): Promise<number>;
  sum(nums: Record<string, unknown>[]): Promise<Loose>;
  chat(lines: Record<string, unknown>[]): Promise<Loose[]>;
  /**
   * Chat in turns: each line is sent only once the reply to the one before arrived, so it
   * settles only if every message crosses both ways while the call is open.
   */
  chatInTurns(lines: Record<string, unknown>[]): Promise<Loose[]>;
  /** Calls a method the server does not have. */
  unknownMethod(): Promise<void>;
  close(): void;
}

/** How a test client connects. */
export interface EchoClientOptions {
  readonly flavor?: EchoFlavor;
  /** Compress requests with gzip. */
  readonly gzip?: boolean;
  /** HTTP/2 receive window per stream and connection (grpc-js default: 64 KiB). */
  readonly flowControlWindow?: number;
}

/** Connects a client to `address` (host:port). */
export function echoClient(address: string, options: EchoClientOptions = {}): EchoClient {
  const Echo = echoService(load(options.flavor ?? "echo"));
  const channelOptions: grpc.ChannelOptions = {};
  if (options.gzip) channelOptions["grpc.default_compression_algorithm"] = 2;
  if (options.flowControlWindow) channelOptions["grpc-node.flow_control_window"] = options.flowControlWindow;
  const client = new Echo(address, grpc.credentials.createInsecure(), channelOptions) as Loose;
  const toMetadata = (values: Record<string, string> = {}): grpc.Metadata => {
    const md = new grpc.Metadata();
    for (const [k, v] of Object.entries(values)) md.set(k, v);
    return md;
  };
  return {
    say: (request, metadata) =>
      new Promise((resolve, reject) =>
        client.Say(request, toMetadata(metadata), (err: Error | null, reply: unknown) => (err ? reject(err) : resolve(reply))),
      ),
    count: (request) =>
      new Promise((resolve, reject) => {
        const ticks: Loose[] = [];
        const call = client.Count(request);
        call.on("data", (tick: Loose) => ticks.push(tick));
        call.on("error", reject);
        call.on("end", () => resolve(ticks));
      }),
    countStream: (request, onFirst) =>
      new Promise((resolve, reject) => {
        let bytes = 0;
        const call = client.Count(request);
        call.on("data", (tick: Loose) => {
          if (bytes === 0) onFirst?.();
          bytes += tick.pad.length;
        });
        call.on("error", reject);
        call.on("end", () => resolve(bytes));
      }),
    countThenCancel: (request, after) =>
      new Promise((resolve) => {
        let seen = 0;
        const call = client.Count(request);
        call.on("data", () => {
          if (++seen === after) call.cancel();
        });
        call.on("error", (err: grpc.ServiceError) => resolve(err.code));
        call.on("end", () => resolve(0));
      }),
    sum: (nums) =>
      new Promise((resolve, reject) => {
        const call = client.Sum((err: Error | null, reply: unknown) => (err ? reject(err) : resolve(reply)));
        for (const num of nums) call.write(num);
        call.end();
      }),
    chat: (lines) =>
      new Promise((resolve, reject) => {
        const replies: Loose[] = [];
        const call = client.Chat();
        call.on("data", (line: Loose) => replies.push(line));
        call.on("error", reject);
        call.on("end", () => resolve(replies));
        for (const line of lines) call.write(line);
        call.end();
      }),
    chatInTurns: (lines) =>
      new Promise((resolve, reject) => {
        const replies: Loose[] = [];
        const call = client.Chat();
        const sendNext = (): void => {
          const line = lines[replies.length];
          if (line === undefined) call.end();
          else call.write(line);
        };
        call.on("data", (line: Loose) => {
          replies.push(line);
          sendNext();
        });
        call.on("error", reject);
        call.on("end", () => resolve(replies));
        sendNext();
      }),
    unknownMethod: () =>
      new Promise((resolve, reject) => {
        const rpc = client.makeUnaryRequest(
          "/rigtest.v1.Echo/Nope",
          (x: Buffer) => x,
          (x: Buffer) => x,
          Buffer.alloc(0),
          (err: Error | null) => (err ? reject(err) : resolve()),
        );
        void rpc;
      }),
    close: () => client.close(),
  };
}
