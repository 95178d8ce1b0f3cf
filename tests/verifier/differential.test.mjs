// The differential suite: dcap_gen writes >= 500 cases (synthetic PKI re-signed with every
// parameter varied, byte flips with signatures kept, the real samples at several times), each
// runs through our verifier (dcap_batch: dstack_dcap_verify) and through @phala/dcap-qvl 0.3.9.
// They must agree on success or failure, and on success on status and advisory IDs. The only
// exceptions are the categories where we are deliberately stricter (docs/verify.md), and there
// only in the stricter direction: we fail where the JS port passes, or report a worse status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const dcap = require('@phala/dcap-qvl');
const bin = process.env.DSTACK_VERIFIER_BIN;
const fixtures = `${process.env.DSTACK_FIXTURES}/dcap-qvl`;

// category -> why we reject what the JS port accepts (docs/verify.md)
const STRICTER = {
    crl_window: 'CRL outside thisUpdate..nextUpdate: the Rust crate enforces CRL expiry',
    crl_signature: 'CRL not signed by its issuer or not a CRL: the JS port ignores both',
    qe_vendor: 'QE vendor ID not Intel\'s: checked by the Rust crate',
    qe_auth_len: 'QE auth data not 32 bytes: required by the Rust crate',
    tdx_module: 'TDX module identity (MRSIGNERSEAM, SEAMATTRIBUTES, module TCB level): Rust crate',
    pce_id: 'PCE ID of the PCK differs from the TCB info: Intel\'s QVL checks it',
};
const SEVERITY = ['UpToDate', 'SWHardeningNeeded', 'ConfigurationNeeded',
    'ConfigurationAndSWHardeningNeeded', 'OutOfDate', 'OutOfDateConfigurationNeeded', 'Revoked'];

function reference(dir, c) {
    const quote = readFileSync(join(dir, c.quote));
    const collateral = JSON.parse(readFileSync(join(dir, c.collateral), 'utf8'));
    try {
        const r = c.root === null ? dcap.verify(quote, collateral, c.now)
            : new dcap.QuoteVerifier(readFileSync(join(dir, c.root))).verify(quote, collateral, c.now);
        return { ok: true, status: r.status, advisory_ids: r.advisory_ids };
    } catch (e) {
        return { ok: false, reason: e.message };
    }
}

function agree(a, b) {
    if (a.ok !== b.ok) return false;
    if (!a.ok) return true;
    return a.status === b.status && JSON.stringify(a.advisory_ids) === JSON.stringify(b.advisory_ids);
}

function stricter(ours, js) {
    if (!ours.ok && js.ok) return true;
    return ours.ok && js.ok && SEVERITY.indexOf(ours.status) >= SEVERITY.indexOf(js.status) &&
        js.advisory_ids.every((id) => ours.advisory_ids.includes(id));
}

test('our verifier and @phala/dcap-qvl 0.3.9 agree on every generated case', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dcap-diff-'));
    try {
        const gen = spawnSync(join(bin, 'dcap_gen'), [dir, fixtures], { encoding: 'utf8' });
        assert.equal(gen.status, 0, gen.stderr);
        const ours = spawnSync(join(bin, 'dcap_batch'), [dir],
            { encoding: 'utf8', maxBuffer: 64 << 20 });
        assert.equal(ours.status, 0, ours.stderr);
        const cases = readFileSync(join(dir, 'cases.jsonl'), 'utf8').trim().split('\n').map(JSON.parse);
        const results = ours.stdout.trim().split('\n').map(JSON.parse);
        assert.equal(results.length, cases.length);
        assert.ok(cases.length >= 500, `only ${cases.length} cases`);

        let agreements = 0, passes = 0;
        const deliberate = {}, bad = [];
        cases.forEach((c, i) => {
            const js = reference(dir, c), o = results[i];
            assert.equal(o.id, c.id);
            if (agree(o, js)) {
                agreements++;
                passes += o.ok ? 1 : 0;
            } else if (STRICTER[c.cat] && stricter(o, js)) {
                deliberate[c.cat] = (deliberate[c.cat] || 0) + 1;
            } else {
                bad.push({ id: c.id, cat: c.cat, ours: o, js });
            }
        });
        const byCat = {};
        for (const c of cases) byCat[c.cat] = (byCat[c.cat] || 0) + 1;
        console.log(JSON.stringify({ cases: cases.length, agreements, both_succeed: passes,
            deliberate_differences: deliberate, disagreements: bad.length, categories: byCat }));
        for (const [cat, n] of Object.entries(deliberate)) {
            console.log(`  stricter in ${cat} (${n}): ${STRICTER[cat]}`);
        }
        for (const b of bad.slice(0, 25)) console.log('  DISAGREE', JSON.stringify(b));
        assert.equal(bad.length, 0, `${bad.length} disagreements`);
        assert.ok(passes >= 100, `only ${passes} cases verify: the generator lost its way`);
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
});
