/**
 * Docker image references checked against the grammar of distribution/reference (the
 * one the engine uses) before any engine call: a name like `../../evil` or one with a
 * scheme must never reach the engine's HTTP API, where it becomes part of a URL path.
 *
 *   reference := name [ ":" tag ] [ "@" digest ]
 *   name      := [domain "/"] path-component ["/" path-component]*
 */
const ALPHANUMERIC = "[a-z0-9]+";
const SEPARATOR = "(?:[._]|__|[-]+)";
const PATH_COMPONENT = `${ALPHANUMERIC}(?:${SEPARATOR}${ALPHANUMERIC})*`;
const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const TAG = "[\\w][\\w.-]{0,127}";
const DIGEST = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";
const NAME = `(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const REFERENCE = new RegExp(`^${NAME}(?::${TAG})?(?:@${DIGEST})?$`);

/** Why `ref` is not a valid image reference, or undefined when it is. */
export function imageReferenceProblem(ref: string): string | undefined {
  if (ref.length > 255 + 128 + 80) return `image reference is ${ref.length} characters long; Docker allows names up to 255`;
  if (!REFERENCE.test(ref)) {
    return `${JSON.stringify(ref.length > 80 ? `${ref.slice(0, 80)}…` : ref)} is not a valid Docker image reference (expected e.g. "postgres:16-alpine", "registry.example.com/team/app:1.2", lower-case path components)`;
  }
  const name = ref.split("@")[0]!.replace(/:[\w][\w.-]*$/, "");
  if (name.length > 255) return `image name is ${name.length} characters long; Docker allows up to 255`;
  return undefined;
}

/** Throws when `ref` is not a valid image reference (a last guard before engine calls). */
export function assertImageReference(ref: string): void {
  const problem = imageReferenceProblem(ref);
  if (problem) throw new Error(problem);
}
