/**
 * Whether this code runs in the self-contained rigd's CommonJS bundle
 * (scripts/build-rigd-binary.sh defines `__RIGD_VERSION__` there). The bundle has no
 * `import.meta.url` and no node_modules beside it, and the bundler inlines only a literal
 * `require("name")`, so a CommonJS package is loaded with
 * `inRigdBundle ? require("name") : createRequire(import.meta.url)("name")`.
 */
declare const __RIGD_VERSION__: string | undefined;

export const inRigdBundle = typeof __RIGD_VERSION__ === "string";

/** rigd's version as the bundle was built with it (it has no package.json to read). */
export const bundledVersion: string | undefined = inRigdBundle ? __RIGD_VERSION__ : undefined;
