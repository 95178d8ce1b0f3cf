// The --pccs-url path against a test PCCS on loopback: a node HTTP server that serves dcap-qvl's
// sample collateral by the PCS API v4 paths (pckcrl, rootcacrl, tcb, qe/identity) with the
// issuer-chain headers, as Intel's PCS and a PCCS do. Cases: a cache miss then a hit, a PCCS
// that is down (with and without a fresh cache), a slow one (past the deadline), garbage answers,
// HTTP errors, and collateral for another FMSPC.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cli = process.env.DSTACK_CLI;
const fix = `${process.env.DSTACK_FIXTURES}/dcap-qvl`;
const NOW = String(Date.parse('2025-07-01T00:00:00Z') / 1000);
const col = JSON.parse(readFileSync(`${fix}/tdx_quote_collateral.json`, 'utf8'));

let mode = 'ok';
let hits = [];
let server, base;
const work = mkdtempSync(join(tmpdir(), 'dstack-pccs-'));

function serve(req, res) {
    const url = new URL(req.url, 'http://x');
    hits.push(url.pathname + url.search);
    if (mode === 'slow') {
        setTimeout(() => { res.writeHead(200); res.end('late'); }, 3000);
        return;
    }
    if (mode === 'error') {
        res.writeHead(503);
        res.end('busy');
        return;
    }
    const send = (body, headers) => {
        res.writeHead(200, headers);
        res.end(mode === 'garbage' ? 'this is not collateral {]' : body);
    };
    const p = url.pathname;
    if (p === '/sgx/certification/v4/pckcrl' && ['processor', 'platform'].includes(url.searchParams.get('ca'))) {
        send(Buffer.from(col.pck_crl, 'hex'),
            { 'SGX-PCK-CRL-Issuer-Chain': encodeURIComponent(col.pck_crl_issuer_chain) });
    } else if (p === '/sgx/certification/v4/rootcacrl') {
        send(col.root_ca_crl, {});
    } else if (p === '/tdx/certification/v4/tcb' && url.searchParams.get('fmspc') === 'B0C06F000000') {
        send(`{"tcbInfo":${col.tcb_info},"signature":"${col.tcb_info_signature}"}`,
            { 'TCB-Info-Issuer-Chain': encodeURIComponent(col.tcb_info_issuer_chain) });
    } else if (p === '/tdx/certification/v4/qe/identity') {
        send(`{"enclaveIdentity":${col.qe_identity},"signature":"${col.qe_identity_signature}"}`,
            { 'SGX-Enclave-Identity-Issuer-Chain': encodeURIComponent(col.qe_identity_issuer_chain) });
    } else {
        res.writeHead(404);
        res.end('no such collateral');
    }
}

function run(args) {
    return new Promise((resolve) => {
        const p = spawn(cli, ['verify-quote', `${fix}/tdx_quote`, '--now', NOW, ...args]);
        let out = '', err = '';
        p.stdout.on('data', (d) => { out += d; });
        p.stderr.on('data', (d) => { err += d; });
        p.on('close', (code) => resolve({ code, out, err }));
    });
}

before(async () => {
    server = createServer(serve);
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${server.address().port}`;
});
after(() => {
    server.close();
    rmSync(work, { recursive: true, force: true });
});

test('a cache miss fetches the four PCS paths, verifies, and fills the cache', async () => {
    mode = 'ok';
    hits = [];
    const cache = join(work, 'cache');
    const r = await run(['--pccs-url', base, '--cache-dir', cache]);
    assert.equal(r.code, 0, r.err);
    assert.equal(JSON.parse(r.out).status, 'UpToDate');
    assert.deepEqual(hits.map((h) => h.split('?')[0]).sort(), [
        '/sgx/certification/v4/pckcrl', '/sgx/certification/v4/rootcacrl',
        '/tdx/certification/v4/qe/identity', '/tdx/certification/v4/tcb'].sort());
    assert.ok(hits.includes('/tdx/certification/v4/tcb?fmspc=B0C06F000000'));
    assert.deepEqual(readdirSync(cache), ['tdx-B0C06F000000-platform.json']);
});

test('a cache hit asks the PCCS nothing, even when it is down', async () => {
    hits = [];
    const cache = join(work, 'cache');
    const r = await run(['--pccs-url', base, '--cache-dir', cache]);
    assert.equal(r.code, 0, r.err);
    assert.equal(hits.length, 0);
    const down = await run(['--pccs-url', 'http://127.0.0.1:9', '--cache-dir', cache]);
    assert.equal(down.code, 0, down.err);
});

test('a stale cache entry (now past nextUpdate) is fetched again', async () => {
    hits = [];
    const cache = join(work, 'cache');
    const late = String(Date.parse('2025-07-19T10:16:04Z') / 1000);
    const r = await new Promise((resolve) => {
        const p = spawn(cli, ['verify-quote', `${fix}/tdx_quote`, '--now', late, '--pccs-url', base,
            '--cache-dir', cache]);
        let err = '';
        p.stderr.on('data', (d) => { err += d; });
        p.on('close', (code) => resolve({ code, err }));
    });
    assert.ok(hits.length >= 4, 'the stale entry was used');
    assert.equal(r.code, 1); // the collateral itself has expired by then
    assert.match(r.err, /expired/);
});

test('a PCCS that is down, without a cache, fails with the reason', async () => {
    const r = await run(['--pccs-url', 'http://127.0.0.1:9']);
    assert.equal(r.code, 3); // the CLI's exit code for an unreachable service
    assert.match(r.err, /collateral from http:\/\/127\.0\.0\.1:9: GET .*pckcrl.*(refused|connect)/i);
});

test('a slow PCCS is cut at the deadline', async () => {
    mode = 'slow';
    const t0 = Date.now();
    const r = await run(['--pccs-url', base, '--pccs-timeout', '500']);
    assert.equal(r.code, 3);
    assert.match(r.err, /timed? ?out/i);
    assert.ok(Date.now() - t0 < 2900, 'the deadline did not hold');
});

test('garbage answers and HTTP errors are refused, never verified', async () => {
    for (const m of ['garbage', 'error']) {
        mode = m;
        const r = await run(['--pccs-url', base]);
        assert.equal(r.code, 3, `${m}: ${r.out}`);
        assert.match(r.err, m === 'error' ? /HTTP 503/ : /collateral from|invalid quote/);
    }
    mode = 'ok';
});

test('a PCCS without collateral for this FMSPC answers 404, reported', async () => {
    mode = 'ok';
    const r = await run(['--pccs-url', `${base}/nothing-here`]);
    assert.equal(r.code, 3);
    assert.match(r.err, /HTTP 404/);
});
