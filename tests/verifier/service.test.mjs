// dstack-verifier end to end: the real simulator signs quotes under its seed's PKI and writes the
// matching collateral (tdx-collateral.json) beside its root; the real dstack-verifier, configured
// with that collateral and root as upstream's dstack-verifier.toml would name them, answers
// POST /verify for the simulator's GetQuote answers and Attest attestations. Tampered event logs,
// report data and quotes are caught; bad bodies get 400; the CLI verifies the same quotes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import http from 'node:http';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const simBin = process.env.DSTACK_SIMULATOR_BIN;
const verifierBin = process.env.DSTACK_VERIFIER_SERVICE_BIN;
const cli = process.env.DSTACK_CLI;
const dir = mkdtempSync(join(tmpdir(), 'dstack-vsvc-'));
const sock = join(dir, 'dstack.sock');
let sim, verifier, port;

function request(opts, body) {
    return new Promise((resolve, reject) => {
        const req = http.request({ method: 'POST', headers: { 'Content-Type': 'application/json' }, ...opts },
            (res) => {
                let data = '';
                res.on('data', (c) => { data += c; });
                res.on('end', () => resolve({ status: res.statusCode, body: data }));
            });
        req.on('error', reject);
        req.end(body);
    });
}
const agent = (path, body) => request({ socketPath: sock, path }, JSON.stringify(body));
const verify = (body) => request({ host: '127.0.0.1', port, path: '/verify' },
    typeof body === 'string' ? body : JSON.stringify(body));

async function waitFor(cond, what) {
    for (let i = 0; i < 250; i++) {
        if (cond()) return;
        await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`${what} did not appear`);
}

before(async () => {
    sim = spawn(simBin, ['--dir', dir], { stdio: 'ignore' });
    await waitFor(() => existsSync(sock) && existsSync(join(dir, 'tdx-collateral.json')), 'the simulator');
    writeFileSync(join(dir, 'verifier.toml'), [
        'address = "127.0.0.1"', 'port = 0',
        `collateral = "${join(dir, 'tdx-collateral.json')}"`,
        'image_cache_dir = "/tmp/unused"',
        '[attestation]', 'insecure_allow_external_trust_anchors = true',
        '[attestation.root_ca]', `tdx = "${join(dir, 'tdx-root-ca.pem')}"`, ''].join('\n'));
    verifier = spawn(verifierBin, ['--config', join(dir, 'verifier.toml')], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    verifier.stdout.on('data', (d) => { out += d; });
    await waitFor(() => /listening on .*:(\d+)/.test(out), 'the verifier');
    port = Number(out.match(/listening on .*:(\d+)/)[1]);
});

after(() => {
    verifier?.kill('SIGTERM');
    sim?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
});

test('GET /health', async () => {
    const r = await request({ host: '127.0.0.1', port, path: '/health', method: 'GET' });
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body), { status: 'ok', service: 'dstack-verifier' });
});

test('a GetQuote answer verifies: quote, event log, app identity', async () => {
    const q = JSON.parse((await agent('/GetQuote', { report_data: 'ab'.repeat(32) })).body);
    const info = JSON.parse((await agent('/Info', {})).body);
    const r = await verify({ quote: q.quote, event_log: q.event_log, vm_config: q.vm_config });
    assert.equal(r.status, 200);
    const v = JSON.parse(r.body);
    assert.equal(v.is_valid, true, v.reason);
    assert.equal(v.reason, null);
    assert.equal(v.details.quote_verified, true);
    assert.equal(v.details.event_log_verified, true);
    assert.equal(v.details.os_image_hash_verified, false);
    assert.match(v.details.os_image_hash_note, /not checked/);
    assert.equal(v.details.tcb_status, 'UpToDate');
    assert.equal(v.details.tee_variant, 'dstack-tdx');
    assert.equal(v.details.report_data, 'ab'.repeat(32) + '00'.repeat(32));
    assert.equal(v.details.app_info.app_id, info.app_id);
    assert.equal(v.details.app_info.compose_hash, info.compose_hash);
    assert.equal(v.details.app_info.instance_id, info.instance_id);
    assert.equal(v.details.boot_info.appId, info.app_id);
    assert.equal(v.details.boot_info.tcbStatus, 'UpToDate');
});

test('an Attest attestation verifies, and its report data must be the quote\'s', async () => {
    const a = JSON.parse((await agent('/Attest', { report_data: '11'.repeat(64) })).body);
    const att = a.attestation;
    const r = JSON.parse((await verify({ attestation: att })).body);
    assert.equal(r.is_valid, true, r.reason);
    assert.equal(r.details.report_data, '11'.repeat(64));
});

test('tampering is caught: event log, vm_config, report data, quote bytes', async () => {
    const q = JSON.parse((await agent('/GetQuote', { report_data: 'cd'.repeat(32) })).body);
    const events = JSON.parse(q.event_log);
    const ev = events.find((e) => e.imr === 3 && e.event === 'compose-hash');
    ev.event_payload = ev.event_payload.replace(/^./, (c) => (c === 'f' ? '0' : 'f'));
    let r = JSON.parse((await verify({ quote: q.quote, event_log: JSON.stringify(events), vm_config: q.vm_config })).body);
    assert.equal(r.is_valid, false);
    assert.match(r.reason, /^Quote verification failed: RTMR3 mismatch/);

    const boot = JSON.parse(q.event_log);
    const b = boot.find((e) => e.imr === 1 && e.digest);
    b.digest = b.digest.replace(/^./, (c) => (c === 'a' ? 'b' : 'a'));
    r = JSON.parse((await verify({ quote: q.quote, event_log: JSON.stringify(boot), vm_config: q.vm_config })).body);
    assert.equal(r.is_valid, false);
    assert.match(r.reason, /^Event log verification failed: RTMR1 mismatch/);

    // vm_config: not JSON, a field of the wrong type, lite mode without its measurement document
    for (const [vm, reason] of [
        [q.vm_config.slice(0, -1), /^OS image hash verification failed: Failed to decode VM config: Failed to parse vm config: /],
        [JSON.stringify({ ...JSON.parse(q.vm_config), memory_size: '2G' }),
            /^OS image hash verification failed: Failed to decode VM config: Failed to parse vm config: invalid type: string, expected u64 for `memory_size`$/],
        [JSON.stringify({ ...JSON.parse(q.vm_config), tdx_attestation_variant: 'lite' }),
            /^OS image hash verification failed: tdx lite attestation requires vm_config.tdx_measurement$/]]) {
        r = JSON.parse((await verify({ quote: q.quote, event_log: q.event_log, vm_config: vm })).body);
        assert.equal(r.is_valid, false, vm);
        assert.equal(r.details.quote_verified, true);
        assert.equal(r.details.os_image_hash_verified, false);
        assert.match(r.reason, reason);
    }

    const bytes = Buffer.from(q.quote, 'hex');
    bytes[568] ^= 1; // report data
    r = JSON.parse((await verify({ quote: bytes.toString('hex'), event_log: q.event_log })).body);
    assert.equal(r.is_valid, false);
    assert.match(r.reason, /ISV enclave report signature is invalid/);
});

test('bad bodies: not JSON, not an object, no quote, bad hex', async () => {
    for (const [body, status, reason] of [
        ['{"quote":', 400, /not a JSON object/], ['[]', 400, /not a JSON object/],
        ['{}', 200, /Quote is required/], ['{"quote":"zz"}', 200, /hex strings/],
        ['{"quote":"00","event_log":"[]"}', 200, /Quote verification failed/]]) {
        const r = await verify(body);
        assert.equal(r.status, status, body);
        const v = JSON.parse(r.body);
        assert.equal(v.is_valid, false);
        assert.match(v.reason, reason);
    }
    const r = await request({ host: '127.0.0.1', port, path: '/nope', method: 'GET' });
    assert.equal(r.status, 404);
});

test('the CLI verifies the simulator\'s quotes with its collateral and root', async () => {
    const q = (await agent('/GetQuote', { report_data: '01' })).body;
    writeFileSync(join(dir, 'q.json'), q);
    const p = spawnSync(cli, ['verify-quote', join(dir, 'q.json'), '--collateral',
        join(dir, 'tdx-collateral.json'), '--root', join(dir, 'tdx-root-ca.pem')], { encoding: 'utf8' });
    assert.equal(p.status, 0, p.stderr);
    assert.equal(JSON.parse(p.stdout).status, 'UpToDate');
    const intel = spawnSync(cli, ['verify-quote', join(dir, 'q.json'), '--collateral',
        join(dir, 'tdx-collateral.json')], { encoding: 'utf8' });
    assert.equal(intel.status, 1); // not under Intel's root
});
