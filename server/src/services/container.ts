/**
 * The `container` service type: runs a Docker container with host-mapped ports (SPEC §5).
 *
 * Every container of an environment joins the environment's network (`rig-{instance}`)
 * under its service name; an egress to another container of it is wired as
 * `name:containerPort` (see docker/network-wiring.ts), host processes keep the loopback
 * ports.
 *
 * Name `rig-{instance}-{service}`, labels naming the owning rigd and environment, each
 * ingress's allocated loopback host port mapped to its container port (the host port
 * when none is given), `host.docker.internal` mapped on Linux, egresses to host services
 * carried by forwarders (see docker/container-wiring.ts), the environment and service
 * temp dirs bind-mounted at the same paths, output streamed line by line, `exec` hooks.
 * Stop: the engine's stop with a timeout, then removal. Containers run under the
 * engine's init: a program that runs as PID 1 without a SIGTERM handler (busybox, most
 * shells) would otherwise ignore the stop signal and cost the whole timeout at teardown.
 */
import { durationMs } from "@bufbuild/protobuf/wkt";
import type Docker from "dockerode";
import { LogStream, type Endpoint } from "../gen/rig/v1/event_pb.js";
import { Protocol, type ContainerConfig } from "../gen/rig/v1/spec_pb.js";
import { bridgeGateway } from "../docker/bridge-gateway.js";
import { serviceContainerName } from "../docker/container-name.js";
import { containerEgresses, containerIngresses, containerPortOf, HOST_GATEWAY_ENTRY } from "../docker/container-wiring.js";
import { containerCommandProbe, healthcheckProbe } from "../docker/container-waits.js";
import { execInContainer } from "../docker/container-exec.js";
import { keepForInspection } from "../docker/kept-containers.js";
import { copyIntoContainer, copyOutOfContainer } from "../docker/container-files.js";
import { runExecHook } from "../docker/exec-hook.js";
import { EnvironmentNetworks, type EnvironmentNetwork } from "../docker/environment-network.js";
import { networkEgresses } from "../docker/network-wiring.js";
import { imageArtifact } from "../docker/image-artifact.js";
import { buildArtifact, builtImage } from "../docker/image-build.js";
import { imageReferenceProblem } from "../docker/image-reference.js";
import { serviceLabels, type RigdIdentity } from "../docker/labels.js";
import { proxiedTcpProbe } from "../docker/proxied-tcp-probe.js";
import { startContainer } from "../docker/run-container.js";
import { specDurationMs } from "../contract/durations.js";
import { publishLocalEndpoints } from "./publish-local.js";
import type { ExitStatus, PublishedEndpoint, ServiceContext, ServiceType, StartContext } from "../contract/service-type.js";
import { SharedContainers, type SharedLease } from "../docker/shared-containers.js";
import { sharedDefinition, validateShared } from "../docker/shared-definition.js";

const DEFAULT_STOP_TIMEOUT_MS = 5_000;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** What the container type needs from rigd. */
export interface ContainerTypeDeps {
  /** The shared engine client. */
  readonly docker: Docker;
  /** The rigd that owns the containers (labels, reaping). */
  readonly owner: RigdIdentity;
  /** The environments' networks (default: the type's own). */
  readonly networks?: EnvironmentNetworks;
  /** The shared containers (default: the type's own); rigd closes them at shutdown. */
  readonly shared?: SharedContainers;
}

/** The container type. */
export function createContainerType(deps: ContainerTypeDeps): ServiceType<ContainerConfig> {
  const { docker } = deps;
  const networks = deps.networks ?? new EnvironmentNetworks(docker, deps.owner);
  const sharedContainers = deps.shared ?? new SharedContainers(docker, deps.owner);
  /** The lease of each shared-container service, by `{environment}/{service}`. */
  const leases = new Map<string, SharedLease>();
  const leaseId = (ctx: ServiceContext<ContainerConfig>): string => `${ctx.environment.id}/${ctx.service.name}`;
  /** The container of a service: its shared one, else `rig-{instance}-{service}`. */
  const containerNameOf = (ctx: ServiceContext<ContainerConfig>): string =>
    leases.get(leaseId(ctx))?.container.name ?? serviceContainerName(ctx.environment.id, ctx.service.name);
  let gateway: Promise<string> | undefined;

  /** The environment's network, with this service on it under its name; both undone at release. */
  async function joinNetwork(ctx: StartContext<ContainerConfig>): Promise<EnvironmentNetwork> {
    const lease = networks.acquire(ctx.environment.id);
    ctx.onRelease(() => lease.release());
    const network = await lease.network;
    const ports: Record<string, number> = {};
    for (const ingress of ctx.service.ingresses) {
      const hostPort = ctx.ingresses[ingress.name]?.port;
      if (hostPort) ports[ingress.name] = containerPortOf(ingress, hostPort);
    }
    network.join(ctx.service.name, ports);
    ctx.onRelease(() => network.leave(ctx.service.name));
    return network;
  }

  return {
    name: "container",
    defaults: { defaultProtocol: Protocol.HTTP, serverHooks: ["exec"], attributes: [], waits: ["healthcheck"] },

    configOf: (service) => (service.config.case === "container" ? service.config.value : undefined),

    validate({ service, problems, templates }) {
      const config = service.config;
      specDurationMs(config.stopTimeout, "container.stop_timeout", problems, 0);
      templates.check("container.cmd", config.cmd, config.env);
      templates.check("container.env", Object.values(config.env));
      const imageProblem = config.image ? imageReferenceProblem(config.image) : undefined;
      if (imageProblem) problems.add("container.image", imageProblem);
      if (config.build) {
        if (config.image) problems.add("container.build", "set container.image or container.build, not both");
        if (!config.build.context) problems.add("container.build.context", "container.build.context is required (the build context directory)");
        for (const key of Object.keys(config.build.args)) {
          if (!ENV_NAME.test(key)) problems.add("container.build.args", `build arg name "${key}" is malformed`);
        }
      } else if (!config.image) {
        problems.add("container.image", "container.image is required (the image to run), or container.build to build one");
      }
      for (const key of Object.keys(config.env)) {
        if (!ENV_NAME.test(key)) problems.add("container.env", `env var name "${key}" is malformed`);
      }
      if (config.shared) validateShared(service, config.shared, problems);
      service.prestart.forEach((hook, i) => {
        if (hook.action.case === "exec") {
          problems.add(`prestart[${i}].exec`, "exec hooks run in a running container: use them in init, not prestart");
        }
      });
    },

    artifacts(ctx) {
      const { image, build } = ctx.service.config;
      if (build) return [buildArtifact(docker, build, ctx.environment.dir)];
      return image ? [imageArtifact(docker, image)] : [];
    },

    async publish(ctx) {
      const shared = ctx.service.config.shared;
      if (!shared) return publishLocalEndpoints(ctx);
      const lease = await sharedContainers.acquire(sharedDefinition(ctx.service.config, shared, ctx.service.ingresses, ctx.artifacts), ctx.signal);
      const id = leaseId(ctx);
      leases.set(id, lease);
      ctx.onRelease(() => {
        leases.delete(id);
        lease.release();
      });
      const endpoints: Record<string, PublishedEndpoint> = {};
      for (const ingress of ctx.service.ingresses) {
        const port = lease.container.hostPort(ingress.containerPort);
        endpoints[ingress.name] = { host: "127.0.0.1", port, protocol: ingress.protocol, attributes: ingress.attributes };
      }
      return endpoints;
    },

    async start(ctx) {
      const config = ctx.service.config;
      const lease = leases.get(leaseId(ctx));
      if (lease) {
        const toStatus = (exit: { code: number | null; error?: string }): ExitStatus => ({ code: exit.code, signal: null, ...(exit.error ? { error: exit.error } : {}) });
        return {
          exited: lease.container.exited.then(toStatus),
          // The container stays for the next lease; the release resets it.
          stop: async () => ({ code: 0, signal: null }),
          detail: `${lease.container.name} (shared "${config.shared?.key}", ${lease.served === 0 ? "fresh" : `lease ${lease.served + 1}, reset after the last`})`,
        };
      }
      const network = await joinNetwork(ctx);

      const onNetwork = await networkEgresses(network, ctx.service.egresses, ctx.egresses, ctx.egressTemplates);
      ctx.onRelease(() => Promise.all(onNetwork.forwarders.map((f) => f.close())).then(() => {}));
      const viaHost = Object.fromEntries(Object.entries(ctx.egresses).filter(([name]) => !(name in onNetwork.egresses)));
      let egresses: Record<string, Endpoint> = { ...onNetwork.egresses };
      if (Object.keys(viaHost).length > 0) {
        gateway ??= bridgeGateway(docker).catch((err: unknown) => {
          gateway = undefined; // try again next time
          throw err;
        });
        const view = await containerEgresses(await gateway, viaHost, ctx.egressTemplates);
        ctx.onRelease(() => Promise.all(view.forwarders.map((f) => f.close())).then(() => {}));
        egresses = { ...egresses, ...view.egresses };
      }
      const wiringEnv = ctx.wiringEnvFor({ ingresses: containerIngresses(ctx.service.ingresses, ctx.ingresses), egresses });
      // Like process: config env under the wiring vars; ${VAR} sees the host env too.
      const baseVars = { ...ctx.environment.hostEnv, ...wiringEnv };
      const configEnv: Record<string, string> = {};
      for (const [name, value] of Object.entries(config.env)) configEnv[name] = ctx.expand(value, baseVars);
      const env = { ...configEnv, ...wiringEnv };
      const cmd = config.cmd.map((arg) => ctx.expand(arg, { ...ctx.environment.hostEnv, ...env }));

      const name = serviceContainerName(ctx.environment.id, ctx.service.name);
      const image = config.build ? builtImage(ctx.artifacts) : config.image;
      const stopTimeoutMs = (config.stopTimeout && durationMs(config.stopTimeout)) || DEFAULT_STOP_TIMEOUT_MS;
      const container = await startContainer(
        docker,
        {
          name,
          image,
          cmd,
          entrypoint: config.entrypoint,
          env,
          labels: serviceLabels(deps.owner, ctx.environment.id, ctx.service.name),
          ports: ctx.service.ingresses.flatMap((ingress) => {
            const hostPort = ctx.ingresses[ingress.name]?.port;
            return hostPort ? [{ containerPort: containerPortOf(ingress, hostPort), hostPort }] : [];
          }),
          extraHosts: [HOST_GATEWAY_ENTRY, ...onNetwork.extraHosts],
          network: { name: network.name, aliases: [ctx.service.name] },
          init: true,
          binds: [...new Set([ctx.environment.envDir, ctx.tempDir].filter((dir) => dir !== ""))].map((dir) => `${dir}:${dir}`),
          stopTimeoutSec: Math.ceil(stopTimeoutMs / 1000),
        },
        {
          signal: ctx.signal,
          onLine: (stream, line) => ctx.output.line(stream === "stdout" ? LogStream.STDOUT : LogStream.STDERR, line),
        },
      );
      // Removal at release covers every path, including a stop that never came; kept
      // for inspection instead when the user asked (preserve on failure).
      ctx.onRelease(async () => {
        if (!ctx.keepForInspection?.()) return container.remove();
        await container.halt(0);
        return keepForInspection(docker, name, network.name);
      });
      ctx.log.debug({ container: name, id: container.id }, "container started");

      const toStatus = (exit: { code: number | null; error?: string }): ExitStatus =>
        exit.error ? { code: exit.code, signal: null, error: exit.error } : { code: exit.code, signal: null };
      return {
        exited: container.exited.then(toStatus),
        stop: () => (ctx.keepForInspection?.() ? container.halt(stopTimeoutMs / 1000) : container.stop(stopTimeoutMs / 1000)).then(toStatus),
        detail: `${name} (${[image, ...cmd].join(" ")})`,
      };
    },

    readiness(ctx) {
      // The engine's userland proxy accepts on the host port before the container listens.
      if (ctx.ingress.ready.kind === "tcp") return proxiedTcpProbe(ctx.endpoint);
      return undefined;
    },

    operations(ctx) {
      const container = containerNameOf(ctx);
      return {
        exec: (request) =>
          execInContainer(docker, container, request.command, {
            signal: request.signal,
            ...(request.stdin !== undefined ? { stdin: request.stdin } : {}),
            ...(request.env ? { env: request.env } : {}),
            ...(request.user ? { user: request.user } : {}),
          }),
        copyTo: (path, source) => copyIntoContainer(docker, container, path, source),
        copyFrom: (path, hostPath) => copyOutOfContainer(docker, container, path, hostPath),
      };
    },

    waitProbe(ctx, wait) {
      const container = containerNameOf(ctx);
      if (wait.kind === "healthcheck") return healthcheckProbe(docker, container);
      if (wait.kind === "command" && !wait.onHost) return containerCommandProbe(docker, container, wait.command);
      return undefined;
    },

    async runHook(ctx, hook) {
      if (hook.action.case !== "exec") throw new Error(`container services cannot run ${hook.action.case ?? "empty"} hooks server-side`);
      if (ctx.phase !== "init") throw new Error("exec hooks run in a running container: use them in init, not prestart");
      await runExecHook(docker, containerNameOf(ctx), hook.action.value.command, ctx.output, {
        signal: ctx.signal,
      });
    },
  };
}

