/**
 * Whether a teardown keeps the environment's dirs: the `preserve` option, else
 * RIG_PRESERVE (always) and RIG_PRESERVE_ON_FAILURE (when the test failed).
 */

/** Decides `preserve` for a teardown given whether the test failed. */
export type PreservePolicy = (testFailed: boolean) => boolean;

/** Builds the policy from the `preserve` option and the environment variables. */
export function preservePolicy(
  option: boolean | "on-failure" | undefined,
  env: NodeJS.ProcessEnv = process.env,
): PreservePolicy {
  if (option === true || option === false) return () => option;
  if (option === "on-failure") return (testFailed) => testFailed;
  const always = isSet(env.RIG_PRESERVE);
  const onFailure = isSet(env.RIG_PRESERVE_ON_FAILURE);
  return (testFailed) => always || (onFailure && testFailed);
}

function isSet(value: string | undefined): boolean {
  return value !== undefined && !["", "0", "false", "no", "off"].includes(value.trim().toLowerCase());
}
