/**
 * Errors the orchestrator raises for callers' mistakes. They carry no transport
 * knowledge; the API layer maps each to its status code.
 */

/** One validation problem of a spec, with where it is. */
export interface SpecProblem {
  /** Location in the spec, e.g. `services[1](api).egresses[0]`. */
  readonly path: string;
  readonly message: string;
}

/** The spec is invalid; lists every problem found, not just the first. */
export class SpecInvalidError extends Error {
  constructor(readonly problems: readonly SpecProblem[]) {
    super(
      `invalid environment spec (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  - ${p.path ? `${p.path}: ` : ""}${p.message}`).join("\n"),
    );
    this.name = "SpecInvalidError";
  }
}

/** The named environment does not exist (or no longer exists) in this rigd. */
export class EnvironmentNotFoundError extends Error {
  /** `detail` says why, when rigd knows (e.g. a finished run whose log file is gone). */
  constructor(
    readonly environmentId: string,
    detail?: string,
  ) {
    super(`environment "${environmentId}" not found${detail ? `: ${detail}` : ""}`);
    this.name = "EnvironmentNotFoundError";
  }
}

/** The request is well-formed but does not fit the current state. */
export class StateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StateError";
  }
}

/** A request field is malformed (not a spec problem), e.g. an unknown callback id. */
export class BadRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BadRequestError";
  }
}
