/**
 * Reading an environment's outcome from its events in tests: the payload of an event
 * kind, the URL a service's default ingress got, and a create-and-wait-until-up helper
 * that says why when the environment failed instead.
 */
import assert from "node:assert/strict";
import type { Event } from "../gen/rig/v1/event_pb.js";
import type { EnvironmentSpec } from "../gen/rig/v1/spec_pb.js";
import { collectEvents, type Rigd } from "./rigd-harness.js";

/** The payload of the first event of `kind`; fails the test when there is none. */
export function payloadOf<C extends NonNullable<Event["payload"]["case"]>>(
  events: readonly Event[],
  kind: C,
): Extract<Event["payload"], { case: C }>["value"] {
  const e = events.find((x) => x.payload.case === kind);
  assert.ok(e, `no ${kind} event among ${events.map((x) => x.type).join(", ")}`);
  return e.payload.value as never;
}

/** An environment that reached environment.up: its id, events and endpoints. */
export interface UpEnvironment {
  readonly id: string;
  readonly events: readonly Event[];
  /** `http://host:port` of a service's ingress (default: "default"). */
  url(service: string, ingress?: string): string;
  /** The attributes of a service's ingress (default: "default"). */
  attributes(service: string, ingress?: string): Readonly<Record<string, string>>;
}

/** Creates an environment and waits for environment.up; fails with its summary when it went down instead. */
export async function upEnvironment(rigd: Rigd, spec: EnvironmentSpec, timeoutMs = 120_000): Promise<UpEnvironment> {
  const { environmentId: id } = await rigd.client.createEnvironment({ spec });
  const events = await collectEvents(rigd, id, undefined, { timeoutMs });
  const last = events.at(-1);
  if (last?.payload.case !== "environmentUp") {
    const down = events.find((e) => e.payload.case === "environmentDown");
    assert.fail(`environment ${spec.name} did not come up: ${down?.payload.case === "environmentDown" ? down.payload.value.summary : last?.type}`);
  }
  const services = last.payload.value.services;
  const endpoint = (service: string, ingress = "default") => {
    const e = services[service]?.ingresses[ingress];
    assert.ok(e, `no endpoint ${service}.${ingress}`);
    return e;
  };
  return {
    id,
    events,
    url: (service, ingress) => {
      const e = endpoint(service, ingress);
      return `http://${e.host}:${e.port}`;
    },
    attributes: (service, ingress) => endpoint(service, ingress).attributes,
  };
}
