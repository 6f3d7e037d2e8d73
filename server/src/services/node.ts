/**
 * The `node` service type: a Node.js script run on the host, TypeScript directly through
 * Node's type stripping (Node 22.18+, 23.6+), with the config's node, else rigd's. An optional build command runs in the
 * artifact phase and is skipped while the package is as its last successful build left
 * it (`../artifacts/node-build.ts`); a failed build fails the environment with its output.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { isSea } from "node:sea";
import type { NodeConfig } from "../gen/rig/v1/spec_pb.js";
import { Protocol } from "../gen/rig/v1/spec_pb.js";
import type { NodeBuilder } from "../artifacts/node-build.js";
import { CachedArtifact, type ArtifactContext, type ServiceType } from "../contract/service-type.js";
import { findOnPath } from "../os/executables.js";
import { startHostProgram, validateHostProgram, workingDir, type ProcessHost } from "./process.js";
import { publishLocalEndpoints } from "./publish-local.js";

const SCRIPT = /\.(js|mjs|cjs|ts|mts|cts)$/;

function buildKey({ environment, service: { config } }: ArtifactContext<NodeConfig>): string {
  return `node-build:${workingDir(config, environment.dir)}:${config.build.join(" ")}`;
}

/**
 * The node that runs the script: the config's, else rigd's own; a self-contained rigd
 * (a single executable) has none to lend, so then the first node on the client's PATH.
 */
function nodeBinary(config: NodeConfig, hostEnv: Readonly<Record<string, string>>): string {
  if (config.node) return config.node;
  if (!isSea()) return process.execPath;
  const found = findOnPath("node", hostEnv["PATH"] ?? process.env["PATH"]);
  if (!found) {
    throw new Error("this rigd is a self-contained binary with no node of its own to lend: put node on the test's PATH or set node.node (nodeBinary)");
  }
  return found;
}

/** The `node` type; `builder` records successful builds in RIG_DIR/cache/node. */
export function createNodeType(deps: { readonly host: ProcessHost; readonly builder: NodeBuilder }): ServiceType<NodeConfig> {
  return {
    name: "node",
    defaults: { defaultProtocol: Protocol.HTTP, serverHooks: [], attributes: [] },
    configOf: (service) => (service.config.case === "node" ? service.config.value : undefined),
    validate({ service: { config }, problems, templates }) {
      if (!config.script) problems.add("node.script", 'node.script is required: the script to run ("./src/server.ts", "server.js")');
      else if (!SCRIPT.test(config.script)) {
        problems.add("node.script", `node.script "${config.script}" is not a JavaScript or TypeScript file (.js .mjs .cjs .ts .mts .cts)`);
      }
      if (config.build.length > 0 && !config.build[0]) problems.add("node.build", "node.build starts with an empty command");
      for (const option of config.nodeOptions) {
        if (!option.startsWith("-")) problems.add("node.node_options", `node option "${option}" is not an option; put script arguments in node.args`);
      }
      validateHostProgram("node", config, problems, templates);
    },
    artifacts(ctx) {
      const { config } = ctx.service;
      if (config.build.length === 0) return [];
      return [
        {
          key: buildKey(ctx),
          description: `build \`${config.build.join(" ")}\``,
          perRequest: true,
          resolve: async () => {
            const build = await deps.builder.build({
              dir: workingDir(config, ctx.environment.dir),
              command: config.build,
              env: { ...process.env, ...ctx.environment.hostEnv },
            });
            return build.cached ? new CachedArtifact(build.hash, "files unchanged since the last successful build") : build.hash;
          },
        },
      ];
    },
    publish: publishLocalEndpoints,
    start(ctx) {
      const { config } = ctx.service;
      const dir = workingDir(config, ctx.environment.dir);
      if (!existsSync(resolve(dir, config.script))) throw new Error(`node script ${config.script} not found in ${dir}`);
      return startHostProgram(ctx, deps.host, nodeBinary(config, ctx.environment.hostEnv), config, [...config.nodeOptions, config.script]);
    },
  };
}
