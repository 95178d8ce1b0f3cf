// dcap-qvl's real samples through our CLI (`dstack verify-quote QUOTE --collateral FILE --now T`)
// and through @phala/dcap-qvl 0.3.9 from npm, at three times each: inside the collateral's
// validity, before its issueDate and after its nextUpdate. Both must give the verdict below:
// the same success or failure, and on success the same status and advisory IDs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const dcap = require('@phala/dcap-qvl');
const cli = process.env.DSTACK_CLI;
const fix = `${process.env.DSTACK_FIXTURES}/dcap-qvl`;

const day = (iso) => Date.parse(iso) / 1000;
const cases = [
    // quote, collateral, time, expected status (null = fails), advisories
    ['tdx_quote', 'tdx_quote_collateral.json', day('2025-07-01T00:00:00Z'), 'UpToDate', []],
    ['tdx_quote', 'tdx_quote_collateral.json', day('2025-06-01T00:00:00Z'), null],
    ['tdx_quote', 'tdx_quote_collateral.json', day('2025-08-01T00:00:00Z'), null],
    ['sgx_quote', 'sgx_quote_collateral.json', day('2025-07-01T00:00:00Z'),
        'ConfigurationAndSWHardeningNeeded', ['INTEL-SA-00289', 'INTEL-SA-00615']],
    ['sgx_quote', 'sgx_quote_collateral.json', day('2025-06-01T00:00:00Z'), null],
    ['sgx_quote', 'sgx_quote_collateral.json', day('2025-08-01T00:00:00Z'), null],
    ['tdx_quote_outdated', 'tdx_quote_outdated_collateral.json', day('2026-03-01T00:00:00Z'), null],
    ['tdx_quote_outdated', 'tdx_quote_outdated_collateral.json', day('2026-02-01T00:00:00Z'), null],
    ['tdx_quote_outdated', 'tdx_quote_outdated_collateral.json', day('2026-04-01T00:00:00Z'), null],
];

function reference(quote, collateral, now) {
    try {
        const r = dcap.verify(readFileSync(`${fix}/${quote}`),
            JSON.parse(readFileSync(`${fix}/${collateral}`, 'utf8')), now);
        return { ok: true, status: r.status, advisory_ids: r.advisory_ids };
    } catch (e) {
        return { ok: false, reason: e.message };
    }
}

function ours(quote, collateral, now) {
    const p = spawnSync(cli, ['verify-quote', `${fix}/${quote}`, '--collateral',
        `${fix}/${collateral}`, '--now', String(now)], { encoding: 'utf8' });
    if (p.status === 0) {
        const j = JSON.parse(p.stdout);
        return { ok: true, status: j.status, advisory_ids: j.advisory_ids, json: p.stdout.trim() };
    }
    assert.equal(p.status, 1, `exit ${p.status}: ${p.stderr}`);
    return { ok: false, reason: p.stderr.trim() };
}

for (const [quote, collateral, now, status, advisories] of cases) {
    const when = new Date(now * 1000).toISOString().slice(0, 10);
    test(`${quote} at ${when}`, () => {
        const want = reference(quote, collateral, now);
        const got = ours(quote, collateral, now);
        console.log(`  @phala/dcap-qvl: ${JSON.stringify(want)}`);
        console.log(`  dstack:          ${got.ok ? got.json : got.reason}`);
        assert.equal(want.ok, status !== null, 'the reference verdict changed');
        assert.equal(got.ok, want.ok);
        if (status !== null) {
            assert.equal(want.status, status);
            assert.deepEqual(want.advisory_ids, advisories);
            assert.equal(got.status, want.status);
            assert.deepEqual(got.advisory_ids, want.advisory_ids);
        }
    });
}

test('hex and GetQuote-style inputs give the same verdict as the binary quote', () => {
    const bin = readFileSync(`${fix}/tdx_quote`);
    const now = day('2025-07-01T00:00:00Z');
    const col = `${fix}/tdx_quote_collateral.json`;
    const run = (arg) => spawnSync(cli, ['verify-quote', arg, '--collateral', col, '--now',
        String(now)], { encoding: 'utf8' });
    const hex = run(bin.toString('hex'));
    assert.equal(hex.status, 0, hex.stderr);
    assert.equal(JSON.parse(hex.stdout).status, 'UpToDate');
    const bad = run('00');
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /invalid quote/);
});
