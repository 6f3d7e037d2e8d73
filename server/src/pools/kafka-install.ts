/**
 * Where the Kafka broker comes from: the Apache Kafka jars (kafka_2.13 and its runtime
 * dependencies, fetched from Maven Central once by `scripts/install-kafka.sh`) and the
 * host's Java 17+. Nothing is downloaded here: a missing install is an error that says
 * which command sets it up.
 */
import { execFile } from "node:child_process";
import { accessSync, constants, readdirSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";

/** The Kafka release rig runs (the version scripts/kafka-broker-pom.xml pins). */
export const KAFKA_VERSION = "4.1.1";

/** A usable broker install. */
export interface KafkaInstall {
  readonly java: string;
  /** The class path: every jar of the libs dir. */
  readonly classPath: string;
  readonly libsDir: string;
}

/** The jars or Java are missing; the message says how to install them. */
export class KafkaInstallMissingError extends Error {
  constructor(what: string, looked: readonly string[]) {
    super(
      `${what} (looked in ${looked.join(", ")}): run scripts/install-kafka.sh (part of \`make setup\`), ` +
        "or point RIG_KAFKA_LIBS at a directory of the Kafka broker's jars and put Java 17+ on PATH",
    );
    this.name = "KafkaInstallMissingError";
  }
}

/** Libs dirs searched, first match wins: $RIG_KAFKA_LIBS, RIG_DIR/cache, ~/.rig/cache. */
export function kafkaLibsDirs(rigDir: string): string[] {
  const fromEnv = process.env["RIG_KAFKA_LIBS"];
  const cached = (dir: string) => join(dir, "cache", `kafka-${KAFKA_VERSION}`, "libs");
  return [...new Set([...(fromEnv ? [fromEnv] : []), cached(rigDir), cached(join(homedir(), ".rig"))])];
}

let cache: KafkaInstall | undefined;

/** Finds the jars and Java 17+; rejects with KafkaInstallMissingError saying what is missing. */
export async function findKafkaInstall(rigDir: string): Promise<KafkaInstall> {
  if (cache) return cache;
  const dirs = kafkaLibsDirs(rigDir);
  const libsDir = dirs.find((dir) => hasBrokerJar(dir));
  if (!libsDir) throw new KafkaInstallMissingError(`no Kafka ${KAFKA_VERSION} broker jars (kafka_2.13-${KAFKA_VERSION}.jar)`, dirs);
  const java = await findJava();
  cache = { java, libsDir, classPath: join(libsDir, "*") };
  return cache;
}

function hasBrokerJar(dir: string): boolean {
  try {
    return readdirSync(dir).includes(`kafka_2.13-${KAFKA_VERSION}.jar`);
  } catch {
    return false;
  }
}

async function findJava(): Promise<string> {
  const javaHome = process.env["JAVA_HOME"];
  const candidates = [
    ...(javaHome ? [join(javaHome, "bin", "java")] : []),
    ...(process.env["PATH"] ?? "").split(delimiter).filter(Boolean).map((d) => join(d, "java")),
  ];
  const java = candidates.find((path) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
  if (!java) throw new KafkaInstallMissingError("no java", [...(javaHome ? ["$JAVA_HOME/bin"] : []), "PATH"]);
  const major = await javaMajor(java);
  if (major !== undefined && major < 17) {
    throw new KafkaInstallMissingError(`${java} is Java ${major}; Kafka 4 brokers need Java 17 or newer`, [java]);
  }
  return java;
}

/** The major version `java -version` reports (its stderr: `openjdk version "17.0.15"`). */
function javaMajor(java: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    execFile(java, ["-version"], { timeout: 10_000 }, (_err, stdout, stderr) => resolve(parseJavaMajor(`${stderr}${stdout}`)));
  });
}

function parseJavaMajor(text: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(text);
  if (!match) return undefined;
  const first = Number(match[1]);
  return first === 1 ? Number(match[2]) : first;
}
