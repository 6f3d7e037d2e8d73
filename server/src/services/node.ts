/**
 * The `node` service type: a Node.js script run on the host, TypeScript directly through
 * Node's type stripping (Node 22.18+, 23.6+). An optional build command runs in the
 * artifact phase and is skipped while the package is as its last successful build left
 * it (`../artifacts/node-build.ts`); a failed build fails the environment with its output.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { NodeConfig } from "../gen/rig/v1/spec_pb.js";
import { Protocol } from "../gen/rig/v1/spec_pb.js";
import type { NodeBuilder } from "../artifacts/node-build.js";
import { CachedArtifact, type ArtifactContext, type ServiceType } from "../contract/service-type.js";
import { startHostProgram, validateHostProgram, workingDir, type ProcessHost } from "./process.js";
import { publishLocalEndpoints } from "./publish-local.js";

const SCRIPT = /\.(js|mjs|cjs|ts|mts|cts)$/;

function buildKey({ environment, service: { config } }: ArtifactContext<NodeConfig>): string {
  return `node-build:${workingDir(config, environment.dir)}:${config.build.join(" ")}`;
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
      return startHostProgram(ctx, deps.host, config.node || process.execPath, config, [...config.nodeOptions, config.script]);
    },
  };
}
