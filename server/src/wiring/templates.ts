/**
 * `${VAR}` templates: expansion against a variable map, and discovery of the
 * variables a template references (for validation before anything runs).
 *
 * `$${...}` is the escape for a literal `${...}` (as in docker compose): `sh -c 'echo $${x}'`
 * runs `echo ${x}`, and nothing after `$$` counts as a variable.
 */

/** `$${NAME}` (escaped, group 1 undefined) or `${NAME}` (a variable, name in group 1). */
const VARIABLE = /\$\$\{[A-Za-z_][A-Za-z0-9_]*\}|\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Names of every `${VAR}` referenced by the template, in order of appearance (escapes left out). */
export function templateVariables(template: string): string[] {
  return [...template.matchAll(VARIABLE)].flatMap((m) => (m[1] === undefined ? [] : [m[1]]));
}

/** Thrown when a template references a variable the map does not have. */
export class UnknownVariableError extends Error {
  constructor(
    readonly variable: string,
    readonly template: string,
  ) {
    super(`unknown variable \${${variable}} in "${template}"`);
    this.name = "UnknownVariableError";
  }
}

/** Replaces every `${VAR}` with its value; throws UnknownVariableError for a missing one. */
export function expandTemplate(template: string, vars: Readonly<Record<string, string>>): string {
  return template.replace(VARIABLE, (match: string, name: string | undefined) => {
    if (name === undefined) return match.slice(1); // $${x} -> ${x}
    const value = vars[name];
    if (value === undefined) throw new UnknownVariableError(name, template);
    return value;
  });
}

/** Variables available to ingress attribute templates. */
export const ATTRIBUTE_TEMPLATE_VARIABLES = ["HOST", "PORT", "HOSTPORT"] as const;

/** Resolves `${HOST}`, `${PORT}`, `${HOSTPORT}` in every attribute against an address. */
export function resolveAttributes(
  attributes: Readonly<Record<string, string>>,
  host: string,
  port: number,
): Record<string, string> {
  const vars = { HOST: host, PORT: String(port), HOSTPORT: `${host}:${port}` };
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(attributes)) out[key] = expandTemplate(value, vars);
  return out;
}
