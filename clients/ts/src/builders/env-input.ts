/** The two ways builders take environment variables: `("KEY", "value")` or `({ KEY: "value" })`. */
export type EnvInput = string | Readonly<Record<string, string>>;

/** Adds `.env(...)`'s arguments to `env`. */
export function addEnv(env: Record<string, string>, keyOrVars: EnvInput, value: string | undefined): void {
  if (typeof keyOrVars === "string") env[keyOrVars] = value ?? "";
  else Object.assign(env, keyOrVars);
}
