/** The usage line of each `rig` command (the dispatcher prints them without loading the commands). */

export const LS_USAGE = "rig ls [FILTER] [--failed|--passed] [-n N] [-q] [--json]";
export const PS_USAGE = "rig ps [--all] [--json]";
export const LOGS_USAGE = "rig logs RUN [--service S]... [--grep RE] [-f]";
export const TRAFFIC_USAGE = 'rig traffic RUN [--edge "api->db"] [--status 5xx|404|error] [--slow 100ms] [--grpc|--http|--tcp] [--detail N] [--json]';
export const EXPLAIN_USAGE = "rig explain RUN [--json]";
export const EVENTS_USAGE = "rig events RUN [--json]";
export const DOWN_USAGE = "rig down ID... | --all [--preserve]";
export const PRUNE_USAGE = "rig prune [--older-than 7d] [--containers] [--dry-run]";
export const UI_USAGE = "rig ui [RUN] [--no-open]";
export const SUITES_USAGE = "rig suites [--json]";
export const SUITE_RUN_USAGE = "rig run SUITE [--filter RE] [--key IDEMPOTENCY_KEY] [--provoke N [--stop-on-failure]] [--detach] [--output]";
export const SUITE_RUNS_USAGE = "rig runs [SUITE] [-n N] [--json] | rig runs RUN_ID [--output]";
export const FLAKY_USAGE = "rig flaky [SUITE] [--last N] [--json]";
