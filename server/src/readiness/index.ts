/** The readiness module's public surface (see README.md). */
export { probeFor, alwaysReady } from "./probe-for.js";
export { tcpProbe } from "./tcp-probe.js";
export type { AttemptOptions, ProbeTarget } from "./tcp-probe.js";
export { httpProbe } from "./http-probe.js";
export type { HttpProbeOptions } from "./http-probe.js";
export { grpcHealthProbe } from "./grpc-health-probe.js";
export type { GrpcHealthProbeOptions } from "./grpc-health-probe.js";
export { waitUntilReady } from "./wait-until-ready.js";
export type { Nudges, ReadinessAttempt, WaitUntilReadyOptions } from "./wait-until-ready.js";
export { DEFAULT_SCHEDULE, nextProbeDelayMs, pollSchedule } from "./poll-schedule.js";
export type { PollSchedule } from "./poll-schedule.js";
export { ReadinessTimeoutError } from "./readiness-timeout-error.js";
