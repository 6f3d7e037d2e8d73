/**
 * The Connect request gate: runs once request headers are in, before any message is
 * read, for every protocol (gRPC, gRPC-Web, Connect). Every RPC needs the token except
 * `grpc.health.v1.Health/Check`, which SDKs use to tell whether a rigd is up before they
 * read its token, and which says nothing but SERVING/NOT_SERVING.
 *
 * Health/Watch needs the token: it reveals no more than Check, but a stream counts as a
 * call in flight and keeps rigd from exiting when idle, so an unauthenticated Watch would
 * let any local process hold a rigd up; no SDK needs it before it has the token.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { HandlerContext } from "@connectrpc/connect";
import { bearerToken, tokensEqual } from "./rigd-token.js";

/** Procedures callable without the token (`service/method`). */
export const UNAUTHENTICATED_PROCEDURES: ReadonlySet<string> = new Set(["grpc.health.v1.Health/Check"]);

/** Builds the gate for `token`; `tokenFile` is named in the error so a user knows where to look. */
export function tokenGate(token: string, tokenFile: string): (context: HandlerContext) => void {
  return (context) => {
    if (UNAUTHENTICATED_PROCEDURES.has(`${context.service.typeName}/${context.method.name}`)) return;
    const presented = bearerToken(context.requestHeader.get("authorization"));
    if (presented !== undefined && tokensEqual(presented, token)) return;
    throw new ConnectError(
      `${presented === undefined ? "missing" : "wrong"} rigd token: send "authorization: Bearer <token>" ` +
        `with the token kept in ${tokenFile} (readable only by the user running rigd)`,
      Code.Unauthenticated,
    );
  };
}
