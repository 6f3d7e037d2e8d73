/**
 * Images and engine checks for specs and benchmarks. The names are configurable so the
 * same suite runs against official images (scripts/build-test-images.sh builds the
 * defaults offline).
 */
import type Docker from "dockerode";
import { LABEL_RIGD } from "../labels.js";

/** The images the suite uses: $RIG_TEST_{BUSYBOX,POSTGRES,REDIS}_IMAGE or the local builds. */
export const testImages = {
  busybox: process.env["RIG_TEST_BUSYBOX_IMAGE"] ?? "rig-test/busybox:1",
  postgres: process.env["RIG_TEST_POSTGRES_IMAGE"] ?? "rig-test/postgres:16",
  redis: process.env["RIG_TEST_REDIS_IMAGE"] ?? "rig-test/redis:7",
} as const;

/** Names of containers labelled by rigd `rigdId` (every rigd when omitted), running or not. */
export async function rigContainers(docker: Docker, rigdId?: string): Promise<string[]> {
  const label = rigdId === undefined ? LABEL_RIGD : `${LABEL_RIGD}=${rigdId}`;
  const list = await docker.listContainers({ all: true, filters: { label: [label] } });
  return list.map((c) => (c.Names[0] ?? c.Id).replace(/^\//, ""));
}

/** A rigd identity unique to one spec run (so parallel specs only check their own containers). */
export function testOwner(name: string): { rigdId: string; pid: number } {
  return { rigdId: `test-${name}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`, pid: process.pid };
}
