/**
 * Builder for `postgres` services: a fresh database leased from a pooled server
 * (SPEC §5). Fixed tcp ingress on 5432 with PG* attributes; ready via pg_isready.
 */
import { create } from "@bufbuild/protobuf";
import { ExecHookSchema, PostgresConfigSchema, SqlHookSchema } from "../gen/rig/v1/spec_pb.js";
import type { ServiceConfig } from "./service-builder.js";
import { ServiceBuilder } from "./service-builder.js";

/** A Postgres database of its own for this environment. */
export class PostgresBuilder extends ServiceBuilder {
  #image = "";

  /**
   * Server image. Default: RIG_POSTGRES_IMAGE of the test process when set (so a rigd shared
   * with other tests still follows this test's setting), else rigd's own default.
   */
  image(image: string): this {
    this.#image = image;
    return this;
  }

  /** Runs SQL statements in the service's database once it is ready (rigd runs them). */
  initSql(...statements: string[]): this {
    return this.addServerHook("init", { case: "sql", value: create(SqlHookSchema, { statements }) });
  }

  /** Runs a command inside the Postgres server once the database is ready. */
  initExec(...command: string[]): this {
    return this.addServerHook("init", { case: "exec", value: create(ExecHookSchema, { command }) });
  }

  protected override config(): ServiceConfig {
    return { case: "postgres", value: create(PostgresConfigSchema, { image: this.#image || process.env["RIG_POSTGRES_IMAGE"] || "" }) };
  }
}
