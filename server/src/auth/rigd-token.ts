/**
 * The per-rigd secret. rigd creates a random token at start and writes it, before the
 * addr file, to a file only its owner can read (`0600`) beside the addr file; every RPC
 * but health must carry it as `authorization: Bearer <token>`.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { readFile, rename, rm, writeFile } from "node:fs/promises";

/** 256 random bits, base64url (43 characters, safe in headers and file names). */
export function createToken(): string {
  return randomBytes(32).toString("base64url");
}

/**
 * The token file beside an addr file: `rigd-0.1.0.addr` -> `rigd-0.1.0.token`, any other
 * name gets `.token` appended. SDKs derive it the same way.
 */
export function tokenFileFor(addrFile: string): string {
  return addrFile.endsWith(".addr") ? `${addrFile.slice(0, -".addr".length)}.token` : `${addrFile}.token`;
}

/** Atomically writes the token (temp file created `0600`, then renamed). */
export async function writeTokenFile(file: string, token: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await rm(tmp, { force: true });
    await writeFile(tmp, `${token}\n`, { mode: 0o600, flag: "wx" });
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Removes the token file if it still holds `token` (a newer rigd may have replaced it). */
export async function removeTokenFileIfOurs(file: string, token: string): Promise<boolean> {
  const content = await readFile(file, "utf8").catch(() => undefined);
  if (content === undefined || !tokensEqual(content.trim(), token)) return false;
  await rm(file, { force: true });
  return true;
}

/**
 * Constant-time comparison: both sides are hashed first so the compared buffers always
 * have equal length and the time taken says nothing about the secret.
 */
export function tokensEqual(presented: string, token: string): boolean {
  const a = createHash("sha256").update(presented).digest();
  const b = createHash("sha256").update(token).digest();
  return timingSafeEqual(a, b);
}

/** The token in an `authorization` header value (`Bearer <token>`, scheme case-insensitive). */
export function bearerToken(header: string | null | undefined): string | undefined {
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return match?.[1];
}
