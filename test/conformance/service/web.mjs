// The conformance scenario's process service (test/conformance/README.md).
//
// At start it reads the file its prestart hook wrote into its temp dir; it refuses to
// start without it. It serves on HOST:PORT and answers every request with
// `<prefix> <greeting>`, where greeting comes from its egress "greeter"
// (GREETER_HOST:GREETER_PORT, GET /greeting). It stops on SIGTERM.
import { readFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";

const env = process.env;
const prefixFile = path.join(env.RIG_TEMP_DIR ?? "", "prefix.txt");
let prefix;
try {
  prefix = readFileSync(prefixFile, "utf8").trim();
} catch (err) {
  console.error(`web: cannot read ${prefixFile}: ${err.message}`);
  process.exit(1);
}

const greeter = `http://${env.GREETER_HOST}:${env.GREETER_PORT}/greeting`;
const server = http.createServer(async (req, res) => {
  try {
    const upstream = await fetch(greeter);
    const greeting = await upstream.text();
    res.writeHead(upstream.ok ? 200 : 502, { "content-type": "text/plain" });
    res.end(`${prefix} ${greeting}`);
  } catch (err) {
    res.writeHead(502, { "content-type": "text/plain" });
    res.end(`web: greeter unreachable: ${err.message}`);
  }
});
server.listen(Number(env.PORT), env.HOST, () => console.log(`web: serving on ${env.HOST}:${env.PORT}`));
process.on("SIGTERM", () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
