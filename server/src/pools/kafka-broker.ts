/**
 * One Apache Kafka 4 broker in KRaft mode (broker and controller in one JVM), run from
 * the jars of kafka-install.ts with the host's Java as a child of rigd: its own process
 * group, pid-recorded, its dir a host server dir (data, config), so the next rigd reaps
 * both when this one dies with SIGKILL.
 *
 * Start: write server.properties, format the log dir with kafka-storage's own logic
 * (`kafka.tools.StorageTool format --standalone`), run `kafka.Kafka`, and wait until
 * the broker answers Metadata. The JVM is tuned to start fast and stay small (client
 * compiler only, serial GC, a small heap), and the broker's internal topics get one
 * partition each (50 by default: creating them dominated the first consumer group).
 */
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { runHostChecked, startHostServer, type HostServer } from "./host-process.js";
import { createHostServerDir } from "./host-server-dir.js";
import { kafkaAdmin, type KafkaAdmin } from "./kafka-admin.js";
import { findKafkaInstall } from "./kafka-install.js";
import type { HostServerOptions } from "./server-runtime.js";

const DEFAULT_START_TIMEOUT_MS = 60_000;

/** JVM flags of every broker (override the heap with RIG_KAFKA_HEAP, e.g. `512m`). */
export function brokerJvmFlags(): string[] {
  const heap = process.env["RIG_KAFKA_HEAP"] ?? "384m";
  return [
    "-Xms64m",
    `-Xmx${heap}`,
    "-XX:TieredStopAtLevel=1",
    "-XX:+UseSerialGC",
    "-XX:-UsePerfData",
    "-Xss512k",
    "-Djava.awt.headless=true",
  ];
}

/** A running broker. */
export interface KafkaBroker {
  /** For messages: `kafka broker (pid N, port P)`. */
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** `host:port` of the broker's client listener. */
  readonly bootstrap: string;
  readonly admin: KafkaAdmin;
  /** Resolves (with why) when the broker stops. */
  readonly exited: Promise<string>;
  /** Stops the broker and removes its dir. */
  stop(): Promise<void>;
}

function serverProperties(dir: string, port: number, controllerPort: number): string {
  return `${[
    "process.roles=broker,controller",
    "node.id=1",
    `controller.quorum.bootstrap.servers=127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    "controller.listener.names=CONTROLLER",
    "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
    "inter.broker.listener.name=PLAINTEXT",
    `log.dirs=${join(dir, "data")}`,
    "num.partitions=1",
    "num.network.threads=2",
    "num.io.threads=2",
    "background.threads=2",
    "offsets.topic.num.partitions=1",
    "offsets.topic.replication.factor=1",
    "transaction.state.log.num.partitions=1",
    "transaction.state.log.replication.factor=1",
    "transaction.state.log.min.isr=1",
    "share.coordinator.state.topic.num.partitions=1",
    "share.coordinator.state.topic.replication.factor=1",
    "share.coordinator.state.topic.min.isr=1",
    "group.initial.rebalance.delay.ms=0",
    "auto.create.topics.enable=true",
    "delete.topic.enable=true",
    // Test data: no flushing to disk beyond what the OS does.
    "log.flush.interval.messages=9223372036854775807",
  ].join("\n")}\n`;
}

const LOG4J2 = `status = error
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.stdout.ref = STDOUT
logger.server.name = kafka.server.KafkaRaftServer
logger.server.level = INFO
`;

/** Starts a broker on ports from `options.ports`; resolves once it answers Metadata. */
export async function startKafkaBroker(options: HostServerOptions, signal: AbortSignal): Promise<KafkaBroker> {
  const install = await findKafkaInstall(options.rigDir);
  const started = performance.now();
  const dir = createHostServerDir(options.rigDir, "kafka");
  const ports: number[] = [];
  let server: HostServer | undefined;
  let admin: KafkaAdmin | undefined;
  const timeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  try {
    const port = await options.ports.allocate();
    ports.push(port);
    const controllerPort = await options.ports.allocate();
    ports.push(controllerPort);
    const config = join(dir.path, "server.properties");
    writeFileSync(config, serverProperties(dir.path, port, controllerPort));
    writeFileSync(join(dir.path, "log4j2.properties"), LOG4J2);
    const jvm = [...brokerJvmFlags(), `-Dlog4j2.configurationFile=${join(dir.path, "log4j2.properties")}`, "-cp", install.classPath];
    const clusterId = kafkaClusterId();
    await runHostChecked(
      install.java,
      [...jvm, "kafka.tools.StorageTool", "format", "--standalone", "--cluster-id", clusterId, "--config", config],
      "formatting the Kafka log dir (kafka-storage format --standalone)",
      { cwd: dir.path, signal },
    );
    const formatted = performance.now();
    server = await startHostServer(
      { kind: "kafka", command: install.java, args: [...jvm, "kafka.Kafka", config], cwd: dir.path, stopSignal: "SIGTERM", stopGraceMs: 5_000 },
      options.records,
    );
    const running = server;
    let exited: string | undefined;
    void running.exited.then((why) => (exited = why));
    const bootstrap = `127.0.0.1:${port}`;
    admin = kafkaAdmin(bootstrap);
    const deadline = Date.now() + timeoutMs;
    let delay = 50;
    for (;;) {
      signal.throwIfAborted();
      if (exited) throw new Error(`${exited}; last output:\n${running.tail().join("\n")}`);
      const probe = await admin.ping(signal);
      if (probe.ready) break;
      if (Date.now() > deadline) throw new Error(`not ready after ${timeoutMs} ms (${probe.detail ?? "no answer"}); last output:\n${running.tail().join("\n")}`);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 250);
    }
    const ms = (from: number, to: number) => Math.round(to - from);
    const now = performance.now();
    options.log?.info({ pid: running.pid, port, dir: dir.path, formatMs: ms(started, formatted), readyMs: ms(formatted, now) }, "kafka broker started");
    const brokerAdmin = admin;
    return {
      name: `kafka broker (pid ${running.pid}, port ${port})`,
      host: "127.0.0.1",
      port,
      bootstrap,
      admin: brokerAdmin,
      exited: running.exited,
      async stop() {
        await brokerAdmin.close();
        await running.stop();
        for (const p of ports) options.ports.release(p);
        dir.remove();
      },
    };
  } catch (err) {
    await admin?.close();
    await server?.stop();
    for (const p of ports) options.ports.release(p);
    dir.remove();
    throw err instanceof Error ? new Error(`kafka broker (${install.libsDir}) did not start: ${err.message}`) : err;
  }
}

/**
 * A cluster id as Kafka's own `Uuid.randomUuid` makes them: 16 random bytes in base64url
 * (22 characters), never starting with "-", which the storage tool's argument parser
 * reads as an option ("--cluster-id: expected one argument"): one start in 64 failed so.
 */
export function kafkaClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString("base64url");
    if (!id.startsWith("-")) return id;
  }
}
