// Samples the worker isolate's CPU while a load runs, through the inspector that
// `wrangler dev` exposes, and prints where the time went (self and inclusive, by
// function). Function names need a worker built without the final strip pass:
//
//   (cd worker && worker-build --release)          # keeps the wasm name section
//   npx wrangler dev --port 8787 --inspector-port 9229
//   node scripts/profile-isolate.mjs 9229 wrk -t2 -c10 -d6s http://127.0.0.1:8787/products/merino-crew-sweater
//
// Run `make build` afterwards to get the stripped worker back. With PROFILE_OUT set, the
// whole profile is also written there (a .cpuprofile for Chrome DevTools).
import { execSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import WebSocket from 'ws';

const [port, ...command] = process.argv.slice(2);
if (!port || command.length === 0) {
  console.error('usage: node scripts/profile-isolate.mjs INSPECTOR_PORT LOAD_COMMAND...');
  process.exit(2);
}

const targets = await (await fetch(`http://127.0.0.1:${port}/json`)).json();
if (targets.length === 0) {
  console.error(`no inspector target on port ${port}: is wrangler dev running with --inspector-port ${port}?`);
  process.exit(1);
}
const socket = new WebSocket(targets[0].webSocketDebuggerUrl);
await new Promise((resolve, reject) => {
  socket.on('open', resolve);
  socket.on('error', reject);
});
let lastId = 0;
const waiting = new Map();
socket.on('message', (data) => {
  const message = JSON.parse(data);
  waiting.get(message.id)?.(message);
  waiting.delete(message.id);
});
const call = (method, params = {}) =>
  new Promise((resolve) => {
    lastId += 1;
    waiting.set(lastId, resolve);
    socket.send(JSON.stringify({ id: lastId, method, params }));
  });

await call('Profiler.enable');
await call('Profiler.setSamplingInterval', { interval: 100 });
await call('Profiler.start');
execSync(command.join(' '), { stdio: ['ignore', 'ignore', 'inherit'] });
const { result } = await call('Profiler.stop');
socket.close();

// PROFILE_OUT=file.cpuprofile keeps the whole profile (Chrome DevTools opens it).
if (process.env.PROFILE_OUT) writeFileSync(process.env.PROFILE_OUT, JSON.stringify(result.profile));
const { nodes, samples } = result.profile;
const byId = new Map(nodes.map((n) => [n.id, n]));
const parentOf = new Map();
for (const n of nodes) for (const child of n.children ?? []) parentOf.set(child, n.id);
const nameOf = (n) => n.callFrame.functionName || `(anonymous ${n.callFrame.url.split('/').pop()})`;

const hits = new Map();
for (const id of samples) hits.set(id, (hits.get(id) ?? 0) + 1);
const self = new Map();
const inclusive = new Map();
for (const [id, count] of hits) {
  const name = nameOf(byId.get(id));
  self.set(name, (self.get(name) ?? 0) + count);
  // Each function once per stack, however deep the recursion.
  const seen = new Set();
  for (let at = id; at !== undefined; at = parentOf.get(at)) {
    const frame = nameOf(byId.get(at));
    if (!seen.has(frame)) {
      seen.add(frame);
      inclusive.set(frame, (inclusive.get(frame) ?? 0) + count);
    }
  }
}
const total = samples.length;
const top = (table, count) =>
  [...table]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, n]) => `${((100 * n) / total).toFixed(1).padStart(6)} %  ${name.slice(0, 160)}`)
    .join('\n');
console.log(`${total} samples\n\nself time\n${top(self, 40)}\n\ninclusive time\n${top(inclusive, 60)}`);
