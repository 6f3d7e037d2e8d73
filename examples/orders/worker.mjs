#!/usr/bin/env node
// The worker of the example app: no ingress; it polls the orders API (its egress, found
// at $API_HOST:$API_PORT) for jobs and ships each order.
const apiUrl = `http://${process.env.API_HOST}:${process.env.API_PORT}`;
let stopping = false;
process.on("SIGTERM", () => {
  stopping = true;
});

console.log(`worker polling ${apiUrl}`);
while (!stopping) {
  const job = await fetch(`${apiUrl}/jobs/next`, { method: "POST" }).catch((err) => {
    console.error(`poll failed: ${err.message}`);
    return undefined;
  });
  if (job?.status === 200) {
    const order = await job.json();
    const shipped = await fetch(`${apiUrl}/jobs/${order.id}/done`, { method: "POST" });
    console.log(`shipped order ${order.id}: ${shipped.status}`);
  } else {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
process.exit(0);
