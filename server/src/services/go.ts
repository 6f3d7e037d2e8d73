/**
 * The `go` service type: a Go program built from source in the artifact phase (a local
 * package or `module/path@version`), cached in `RIG_DIR/cache/go` by a hash of what the
 * build reads (`../artifacts/go-build.ts`), then run on the host like a `process`.
 * A failed build fails the environment with the compiler's output.
 */
import type { GoConfig } from "../gen/rig/v1/spec_pb.js";
import { Protocol } from "../gen/rig/v1/spec_pb.js";
import { isRemotePackage, type GoBuilder } from "../artifacts/go-build.js";
import { CachedArtifact, type ArtifactContext, type ServiceType } from "../contract/service-type.js";
import { startHostProgram, validateHostProgram, workingDir, type ProcessHost } from "./process.js";
import { publishLocalEndpoints } from "./publish-local.js";

/** A pinned module version: v1.2.3, v0.0.0-20240101000000-abcdef123456, v2.0.0+incompatible. */
const PINNED_VERSION = /^v\d+\.\d+\.\d+([-+][0-9A-Za-z.+-]+)?$/;

/** The artifact key of a service's build: one resolution shared by concurrent requests for it. */
function buildKey({ environment, service: { config } }: ArtifactContext<GoConfig>): string {
  const dir = isRemotePackage(config.package) ? "" : workingDir(config, environment.dir);
  return `go-build:${dir}:${config.package}:${config.buildFlags.join(" ")}`;
}

/** The `go` type; `builder` holds the build cache shared by every environment of this rigd. */
export function createGoType(deps: { readonly host: ProcessHost; readonly builder: GoBuilder }): ServiceType<GoConfig> {
  return {
    name: "go",
    defaults: { defaultProtocol: Protocol.HTTP, serverHooks: [], attributes: [] },
    configOf: (service) => (service.config.case === "go" ? service.config.value : undefined),
    validate({ service: { config }, problems, templates }) {
      const pkg = config.package;
      if (!pkg) problems.add("go.package", 'go.package is required: a local package ("./cmd/api") or a remote one at a version ("example.com/x/cmd/y@v1.2.3")');
      else if (isRemotePackage(pkg)) {
        const version = pkg.slice(pkg.lastIndexOf("@") + 1);
        if (!PINNED_VERSION.test(version)) {
          problems.add("go.package", `go.package "${pkg}": pin a version (@v1.2.3), not "@${version}", so the build can be cached`);
        }
      } else if (!/^(\.{1,2}(\/|$)|\/)/.test(pkg)) {
        problems.add("go.package", `go.package "${pkg}" is neither a local path (start it with ./) nor a remote package at a version (add @v1.2.3)`);
      }
      for (const flag of config.buildFlags) {
        if (!flag.startsWith("-")) problems.add("go.build_flags", `build flag "${flag}" is not a flag; put program arguments in go.args`);
        else if (/^--?o(=|$)/.test(flag)) problems.add("go.build_flags", "build flag -o is rig's to choose (the binary goes into RIG_DIR/cache/go)");
      }
      validateHostProgram("go", config, problems, templates);
    },
    artifacts(ctx) {
      const { config } = ctx.service;
      return [
        {
          key: buildKey(ctx),
          description: `${isRemotePackage(config.package) ? "go install" : "go build"} ${config.package}`,
          perRequest: true,
          resolve: async () => {
            const build = await deps.builder.build({
              pkg: config.package,
              dir: workingDir(config, ctx.environment.dir),
              flags: config.buildFlags,
              env: { ...process.env, ...ctx.environment.hostEnv },
            });
            return build.cached ? new CachedArtifact(build.binary, `built earlier (RIG_DIR/cache/go/${build.hash})`) : build.binary;
          },
        },
      ];
    },
    publish: publishLocalEndpoints,
    start(ctx) {
      const binary = ctx.artifacts.get(buildKey(ctx));
      if (typeof binary !== "string") throw new Error(`go ${ctx.service.config.package}: the build produced no program`);
      return startHostProgram(ctx, deps.host, binary, ctx.service.config);
    },
  };
}
