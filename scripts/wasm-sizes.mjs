// What the worker's Wasm is made of: code bytes per crate and the largest functions,
// read from the module's name section. `make build` strips names, so build with them:
//
//   (cd worker && worker-build --release)          # keeps the wasm name section
//   node scripts/wasm-sizes.mjs worker/build/index_bg.wasm
//
// Run `make build` afterwards to get the stripped worker back. Generic code is counted
// under the crate its name starts with (`<T as tachys::…>` under tachys); async state
// machines inlined into a wasm-bindgen future show up as `js_sys::futures::…`.
import { readFileSync } from 'node:fs';

const file = process.argv[2];
if (!file) {
  console.error('usage: node scripts/wasm-sizes.mjs MODULE.wasm [TOP]');
  process.exit(2);
}
const top = Number(process.argv[3] ?? 25);
const bytes = readFileSync(file);

function leb(at) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = bytes[at++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if (byte < 0x80) return [value, at];
  }
}

function name(at) {
  const [length, start] = leb(at);
  return [bytes.subarray(start, start + length).toString('utf8'), start + length];
}

let importedFunctions = 0;
const bodies = [];
const names = new Map();
const sections = [];
for (let at = 8; at < bytes.length; ) {
  const id = bytes[at];
  const [size, start] = leb(at + 1);
  const end = start + size;
  sections.push([id, size]);
  if (id === 2) {
    // Imports: count the functions, whose indices come before the module's own.
    let [count, p] = leb(start);
    for (; count > 0; count--) {
      [, p] = name(p);
      [, p] = name(p);
      const kind = bytes[p++];
      if (kind === 0) {
        [, p] = leb(p);
        importedFunctions++;
      } else if (kind === 1) {
        p++;
        let flags;
        [flags, p] = leb(p);
        [, p] = leb(p);
        if (flags & 1) [, p] = leb(p);
      } else if (kind === 2) {
        let flags;
        [flags, p] = leb(p);
        [, p] = leb(p);
        if (flags & 1) [, p] = leb(p);
      } else if (kind === 3) {
        p += 2;
      } else if (kind === 4) {
        p++;
        [, p] = leb(p);
      }
    }
  } else if (id === 10) {
    let [count, p] = leb(start);
    for (; count > 0; count--) {
      const [length, body] = leb(p);
      bodies.push(length + (body - p));
      p = body + length;
    }
  } else if (id === 0) {
    const [section, p0] = name(start);
    if (section === 'name') {
      for (let p = p0; p < end; ) {
        const sub = bytes[p];
        const [length, s] = leb(p + 1);
        if (sub === 1) {
          let [count, q] = leb(s);
          for (; count > 0; count--) {
            let index;
            let text;
            [index, q] = leb(q);
            [text, q] = name(q);
            names.set(index, text);
          }
        }
        p = s + length;
      }
    }
  }
  at = end;
}

if (names.size === 0) {
  console.error(`${file} has no name section: build it with \`(cd worker && worker-build --release)\``);
  process.exit(1);
}
const code = bodies.reduce((a, b) => a + b, 0);
const data = sections.filter(([id]) => id === 11).reduce((a, [, s]) => a + s, 0);
// `<Type as trait::Path>::f` counts under the type's crate, or the trait's when the type
// is a bare generic (`<T as tachys::…>`).
const crateOf = (fn) => {
  const impl = fn.match(/^<+(?:&mut |&)?([^ ]+) as (?:&mut |&)?([A-Za-z_][A-Za-z0-9_]*)/);
  const subject = impl && /^[A-Z][A-Za-z0-9]?$/.test(impl[1]) ? impl[2] : fn.replace(/^<+(&mut |&)?/, '');
  return (subject.match(/^[A-Za-z_][A-Za-z0-9_]*/) ?? ['?'])[0];
};
const byCrate = new Map();
const functions = bodies.map((size, i) => [size, names.get(i + importedFunctions) ?? '?']);
for (const [size, fn] of functions) byCrate.set(crateOf(fn), (byCrate.get(crateOf(fn)) ?? 0) + size);
const kb = (n) => `${(n / 1000).toFixed(0).padStart(6)} KB`;
console.log(`${file}: ${kb(bytes.length)} raw; code ${kb(code)} in ${bodies.length} functions, data ${kb(data)}\n`);
console.log('code by crate');
for (const [crate, size] of [...byCrate].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`${kb(size)}  ${(100 * size / code).toFixed(1).padStart(5)} %  ${crate}`);
}
console.log('\nlargest functions');
for (const [size, fn] of functions.sort((a, b) => b[0] - a[0]).slice(0, top)) {
  console.log(`${kb(size)}  ${fn.slice(0, 140)}`);
}
