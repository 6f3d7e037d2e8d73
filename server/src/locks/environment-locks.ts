/**
 * Resource locks for environments (contract/resource-locks.ts): a service whose spec
 * requires resources queues in the same lock table as test processes, so an environment
 * and a test locking "db-fixture" exclude each other. Every wait, grant, release and
 * cancel goes to the operation log with the environment and service as the holder.
 */
import { create } from "@bufbuild/protobuf";
import { abortable } from "../async/abortable.js";
import { describeHolder, type HeldResources, type PendingResources, type ResourceLocks, type ResourceRequest } from "../contract/resource-locks.js";
import { HolderSchema, LockMode } from "../gen/rig/v1/lock_service_pb.js";
import type { LockTable, LockTicket } from "./lock-table.js";
import type { HolderRecord, OperationLog } from "./operation-log.js";

/** The mode a ticket takes on each of its resources, in words ("db shared, port exclusive"). */
export function describeModes(t: LockTicket): string {
  return t.resources.map((r) => `${r} ${t.modes.get(r) === LockMode.SHARED ? "shared" : "exclusive"}`).join(", ");
}

/** What a waiting ticket waits for and who stands in its way. */
function describeWait(table: LockTable, ticket: LockTicket, now = Date.now()): string {
  if (ticket.state !== "waiting") return "";
  const { holders, waiting } = table.blockers(ticket);
  const held = holders.map((h) => `${describeHolder(h.holder)} for ${((now - (h.grantedAt ?? now)) / 1000).toFixed(1)}s`);
  const parts = [`resource ${describeModes(ticket)}`];
  if (held.length) parts.push(`held by ${held.join(", ")}`);
  if (waiting.length) parts.push(`${waiting.length} waiting ahead (first: ${describeHolder(waiting[0]!.holder)})`);
  return parts.join("; ");
}

/** The environments' side of one rigd's lock table. */
export function createEnvironmentLocks(table: LockTable, opLog: OperationLog): ResourceLocks {
  return {
    acquire({ claims, owner, signal }: ResourceRequest): PendingResources {
      const holder = create(HolderSchema, { environmentId: owner.environmentId, service: owner.service });
      const holderRecord: HolderRecord = { environmentId: owner.environmentId, service: owner.service };
      const modes = new Map(claims.map((c) => [c.resource, c.shared ? LockMode.SHARED : LockMode.EXCLUSIVE]));
      const ticket = table.requestEach(modes, holder);
      const base = {
        resources: ticket.resources,
        mode: ticket.mode === LockMode.SHARED ? "shared" : "exclusive",
        holder: holderRecord,
        lockId: ticket.id,
      } as const;
      const mixed = new Set(modes.values()).size > 1 ? describeModes(ticket) : undefined;
      const immediate = ticket.state === "held";
      if (!immediate) opLog.record({ op: "acquire.wait", ...base, detail: `${table.ahead(ticket)} ahead` });
      const held = abortable(ticket.granted, signal).then(
        (): HeldResources => {
          opLog.record({ op: "acquire", ...base, durationMs: (ticket.grantedAt ?? Date.now()) - ticket.requestedAt, ...(mixed ? { detail: mixed } : {}) });
          return {
            release() {
              if (ticket.state !== "held") return;
              table.finish(ticket);
              opLog.record({ op: "release", ...base, durationMs: Date.now() - (ticket.grantedAt ?? Date.now()), detail: "the service stopped" });
            },
          };
        },
        (err: unknown) => {
          // Given up while waiting (the environment is going down), or granted in the same
          // turn as the abort: either way nothing stays queued or held.
          const wasHeld = ticket.state === "held";
          table.finish(ticket);
          opLog.record({
            op: wasHeld ? "release" : "acquire.cancel",
            ...base,
            durationMs: Date.now() - ticket.requestedAt,
            detail: `gave up waiting: ${err instanceof Error ? err.message : String(err)}`,
          });
          throw err;
        },
      );
      return { held, immediate, blockers: () => describeWait(table, ticket) };
    },
  };
}
