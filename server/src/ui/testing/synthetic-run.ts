/**
 * A recorded run made up for the dashboard's size checks: `services` processes in a chain
 * (s0 -> s1 -> ...), each published, started and ready, then HTTP calls along the chain
 * and output lines, alternating, until the run has `events` events, then the teardown.
 * Written as rigd writes `events.jsonl` (one canonical-JSON event a line).
 */
import { create, toJsonString, type MessageInitShape } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { DownReason, EventSchema, LogStream } from "../../gen/rig/v1/event_pb.js";

export function syntheticRun(id: string, services: number, events: number): string {
  const names = Array.from({ length: services }, (_, i) => `s${i}`);
  const lines: string[] = [];
  const t0 = Date.UTC(2026, 11, 3, 10, 0, 0);
  const push = (service: string, payload: MessageInitShape<typeof EventSchema>["payload"]): void => {
    const seq = lines.length + 1;
    lines.push(toJsonString(EventSchema, create(EventSchema, { seq: BigInt(seq), environmentId: id, service, time: timestampFromMs(t0 + seq), payload })));
  };
  push("", { case: "environmentCreated", value: { name: "BigRun", services: names.map((name, i) => ({ name, type: "process", dependsOn: i + 1 < services ? [names[i + 1]!] : [] })) } });
  for (const name of names.toReversed()) {
    push(name, { case: "ingressPublished", value: { ingresses: { default: { host: "127.0.0.1", port: 20000 + Number(name.slice(1)) } } } });
    push(name, { case: "serviceStarting", value: { pid: 1000 + Number(name.slice(1)) } });
    push(name, { case: "serviceReady", value: {} });
  }
  push("", { case: "environmentUp", value: {} });
  const teardown = services * 2 + 1;
  for (let i = 0; lines.length < events - teardown; i++) {
    const from = i % (services - 1);
    if (i % 2 === 0) {
      push("", {
        case: "requestCompleted",
        value: { source: names[from]!, target: names[from + 1]!, ingress: "default", method: "GET", path: `/items/${i}`, status: i % 50 === 0 ? 500 : 200, latency: durationFromMs(3) },
      });
    } else {
      push(names[from]!, { case: "serviceLog", value: { stream: LogStream.STDOUT, line: `handled request ${i}` } });
    }
  }
  for (const name of names) {
    push(name, { case: "serviceStopping", value: {} });
    push(name, { case: "serviceStopped", value: { exitCode: 0 } });
  }
  push("", { case: "environmentDown", value: { reason: DownReason.DESTROYED } });
  return `${lines.join("\n")}\n`;
}
