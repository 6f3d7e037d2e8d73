/** A diagnosis (diagnosis.ts) as text lines: what `rig explain` prints and the SDKs end their failure messages with. */
import type { Diagnosis } from "./diagnosis.js";
import { withEdgeNames } from "../events/event-text.js";
import { dateTime, formatDurationMs } from "./duration-text.js";
import { terminalStyle, type TerminalStyle } from "./terminal-style.js";
import { nodeName } from "./traffic-entry.js";

const ms = (v: number | null): string => (v === null ? "-" : formatDurationMs(v));

/** The diagnosis as text lines. */
export function diagnosisText(d: Diagnosis, s: TerminalStyle = terminalStyle(false)): string[] {
  const lines: string[] = [];
  const outcome = d.outcome === "passed" ? s.green(d.outcome) : d.outcome === "failed" ? s.red(d.outcome) : s.yellow(d.outcome);
  lines.push(`${s.bold(d.name)}  ${s.dim(d.id)}`);
  lines.push(`${s.dim("outcome")}   ${outcome} (${d.reason}${d.testFailed ? ", test failed" : ""}), ${d.durationMs === null ? "still running" : `took ${ms(d.durationMs)}`}, started ${dateTime(Date.parse(d.started))}`);
  if (d.failure) {
    lines.push(`${s.dim("failed")}    ${s.red(d.failure.service || "(environment)")}${d.failure.phase ? ` while ${d.failure.phase}` : ""}: ${d.failure.error}`);
    const tail = d.failure.outputTail.length ? d.failure.outputTail : d.failure.stderrTail.map((l) => `! ${l}`);
    if (tail.length) {
      lines.push(`  last output of ${d.failure.service}:`);
      for (const l of tail) lines.push(`    ${l}`);
    }
  }
  if (d.notes.length) {
    lines.push(s.bold(`test notes (${d.notes.length})`));
    for (const n of d.notes) lines.push(`  +${ms(n.atMs)} ${n.level ? `${n.level}: ` : ""}${n.message}`);
  }
  if (d.trafficErrorCount) {
    lines.push(s.bold(`traffic errors (${d.trafficErrorCount} of ${d.trafficCalls} calls)`));
    for (const e of d.trafficErrors) {
      lines.push(`  #${e.n} ${nodeName(e.source)} -> ${e.target}  ${e.what}  ${s.red(e.status)}  ${ms(e.latencyMs)}${e.error ? `  ${e.error}` : ""}`);
    }
    if (d.trafficErrorCount > d.trafficErrors.length) lines.push(`  ... ${d.trafficErrorCount - d.trafficErrors.length} more (rig traffic RUN --status error)`);
  } else if (d.trafficCalls) {
    lines.push(`${s.dim("traffic")}   ${d.trafficCalls} calls, no errors`);
  }
  // Every stall report by its time; what each service waited for, from the latest one.
  for (const stall of d.stalls) lines.push(s.yellow(`stall at +${ms(stall.atMs)}: ${withEdgeNames(stall.message)}`));
  const latest = d.stalls.at(-1);
  if (latest) {
    for (const svc of latest.services.filter((x) => !x.service.startsWith("~"))) {
      lines.push(`  ${svc.service}: ${svc.phase}${svc.waitingFor ? `, waiting for ${svc.waitingFor}` : ""}`);
      for (const l of svc.lastLogLines) lines.push(`    | ${l}`);
    }
  }
  if (d.artifacts.length) {
    lines.push(s.bold("artifacts"));
    for (const a of d.artifacts) lines.push(`  ${a.key}  ${a.result}${a.ms ? ` in ${ms(a.ms)}` : ""}`);
  }
  if (d.phases.length) {
    const width = Math.max(8, ...d.phases.map((p) => p.service.length));
    lines.push(s.bold(`${"phases".padEnd(width + 2)}${["wait", "prestart", "start", "init", "ready at"].map((h) => h.padStart(9)).join("")}`));
    for (const p of d.phases) {
      const cells = [p.waitMs, p.prestartMs, p.startMs, p.initMs, p.readyAtMs].map((v) => ms(v).padStart(9)).join("");
      lines.push(`  ${p.service.padEnd(width)}${cells}${p.failedInPhase ? s.red(`  failed while ${p.failedInPhase}`) : ""}`);
    }
  }
  return lines;
}
