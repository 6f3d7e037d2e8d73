/**
 * The echo gRPC server as a process service for end-to-end tests: listens on $PORT
 * (rig wiring), with reflection unless ECHO_REFLECTION=0, until SIGTERM.
 */
import { startEchoServer } from "./echo-grpc.js";

const server = await startEchoServer({
  port: Number(process.env.PORT),
  reflection: process.env.ECHO_REFLECTION !== "0",
  flavor: process.env.ECHO_FLAVOR === "alt" ? "alt" : "echo",
  onReflectionCall: () => process.stdout.write("reflection call\n"),
});
process.stdout.write(`echo gRPC server on ${server.address}\n`);
process.on("SIGTERM", () => void server.close().then(() => process.exit(0)));
