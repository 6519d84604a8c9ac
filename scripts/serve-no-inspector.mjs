// Serves the built worker like `wrangler dev`, but with wrangler's inspector turned off
// (`dev.inspector: false`, which only wrangler's API offers). Without it, wrangler no
// longer forwards every console.log and every subrequest's network events to node, so
// the CPU that remains is the runtime's and the HTTP proxy's. `make bench` uses it to
// measure the checkout closer to how the worker runs when deployed.
//
//   node scripts/serve-no-inspector.mjs PORT STATE_DIR [NAME=VALUE ...]
//
// NAME=VALUE pairs become plain-text vars. SERVE_CONFIG names another wrangler.toml
// (the bench's no-op worker, `bench/noop/wrangler.toml`); the shop's is the default. Prints "ready" once the shop answers, then
// runs until it gets SIGINT or SIGTERM.
import { unstable_startWorker } from "wrangler";

const [port, state, ...pairs] = process.argv.slice(2);
if (!port || !state) {
  console.error("usage: node scripts/serve-no-inspector.mjs PORT STATE_DIR [NAME=VALUE ...]");
  process.exit(2);
}
const bindings = {};
for (const pair of pairs) {
  const at = pair.indexOf("=");
  if (at < 1) {
    console.error(`not NAME=VALUE: ${pair}`);
    process.exit(2);
  }
  bindings[pair.slice(0, at)] = { type: "plain_text", value: pair.slice(at + 1) };
}

const worker = await unstable_startWorker({
  config: process.env.SERVE_CONFIG || "wrangler.toml",
  bindings,
  dev: {
    inspector: false,
    persist: state,
    watch: false,
    logLevel: "warn",
    server: { hostname: "127.0.0.1", port: Number(port) },
  },
});
await worker.ready;
console.log(`ready on ${(await worker.url).href}`);

const stop = async () => {
  await worker.dispose();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
