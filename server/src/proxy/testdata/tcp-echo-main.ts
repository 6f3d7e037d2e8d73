/** A TCP echo process service for end-to-end tests: echoes every byte on $PORT until SIGTERM. */
import { createServer } from "node:net";

const server = createServer({ allowHalfOpen: true }, (socket) => {
  socket.pipe(socket);
  socket.on("error", () => socket.destroy());
});
server.listen(Number(process.env.PORT), "127.0.0.1");
process.on("SIGTERM", () => process.exit(0));
