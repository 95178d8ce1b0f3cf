// @phala/dcap-qvl (tests/verifier/node_modules) timed on the same quote, collateral and time as
// bench_verify.c: JSON.parse of the collateral + verify, per quote, after a warm-up.
// Usage: node dcap_bench.mjs <tests/verifier dir> <quote> <collateral json> <now> <n>
// Prints one JSON line: {"per_quote_us": x, "status": "..."}.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const [dir, quotePath, colPath, nowArg, nArg] = process.argv.slice(2);
const require = createRequire(`${dir}/package.json`);
const dcap = require('@phala/dcap-qvl');
const quote = readFileSync(quotePath);
const text = readFileSync(colPath, 'utf8');
const now = Number(nowArg);
const n = Number(nArg);

let r = null;
for (let i = 0; i < Math.max(3, n / 10); i++) {
    r = dcap.verify(quote, JSON.parse(text), now); // warm-up: JIT
}
const t0 = process.hrtime.bigint();
for (let i = 0; i < n; i++) {
    r = dcap.verify(quote, JSON.parse(text), now);
}
const us = Number(process.hrtime.bigint() - t0) / 1e3 / n;
console.log(JSON.stringify({ per_quote_us: us, status: r.status }));
