// The same calls through the official JS SDK 0.5.8 and through libdstack (the `dstack` command,
// whose JSON output is the library's decoded results) return equal decoded values: keys and
// signature chains, deterministic signatures, Verify of each other's signatures, Info with
// tcb_info, Version, quote fields and replayed RTMRs, an event emitted by one seen by the other,
// TLS chains, the compose hash and the tappd API. The CLI path comes from run.sh (DSTACK_CLI).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DstackClient, TappdClient, getComposeHash } from '@phala/dstack-sdk';

const cli = process.env.DSTACK_CLI;
const endpoint = process.env.DSTACK_SIMULATOR_ENDPOINT;
const tappdEndpoint = process.env.TAPPD_SIMULATOR_ENDPOINT;
const skip = !cli && 'DSTACK_CLI not set (run through tests/compat/run.sh)';
const js = new DstackClient(endpoint);

// `dstack ARGS --endpoint E` -> parsed JSON of its stdout (it must exit 0).
function dstack(args, ep = endpoint) {
  const out = execFileSync(cli, [...args, '--endpoint', ep], { encoding: 'utf8' });
  return JSON.parse(out);
}
const hex = (u8) => Buffer.from(u8).toString('hex');

test('getKey: same key and signature chain (secp256k1, ed25519)', { skip }, async () => {
  const cases = [
    ['cross/wallet', 'eth', 'secp256k1'],
    ['', '', 'secp256k1'],
    ['cross/ed', 'signing', 'ed25519'],
    ['a/' + 'long-'.repeat(100) + 'path', 'p:u:r', 'k256'],
    // No non-ASCII paths: the JS SDK's Unix-socket request writes Content-Length in UTF-16 units
    // (tls.test.mjs has the case), so such a body arrives truncated.
  ];
  for (const [path, purpose, alg] of cases) {
    const a = await js.getKey(path, purpose, alg);
    const b = dstack(['get-key', path, '--purpose', purpose, '--algorithm', alg]);
    assert.equal(hex(a.key), b.key, `${path} ${alg}`);
    assert.deepEqual(a.signature_chain.map(hex), b.signature_chain);
  }
});

test('sign: identical deterministic signatures; each side verifies the other\'s', { skip },
     async () => {
  const digest = 'ab'.repeat(32);
  const cases = [
    ['ed25519', 'cross sign', ['cross sign']],
    ['secp256k1', 'cross sign', ['cross sign']],
    ['secp256k1_prehashed', Buffer.from(digest, 'hex'), ['--hex', digest]],
  ];
  for (const [alg, data, cliData] of cases) {
    const a = await js.sign(alg, data);
    const b = dstack(['sign', alg, ...cliData]);
    assert.equal(hex(a.signature), b.signature, alg);
    assert.equal(hex(a.public_key), b.public_key);
    assert.deepEqual(a.signature_chain.map(hex), b.signature_chain);
    // libdstack verifies the JS SDK's signature and the JS SDK verifies libdstack's.
    const v1 = dstack(['verify', alg, '--signature', hex(a.signature), '--public-key',
                       hex(a.public_key), ...cliData]);
    assert.equal(v1.valid, true);
    const v2 = await js.verify(alg, data, Buffer.from(b.signature, 'hex'),
                               Buffer.from(b.public_key, 'hex'));
    assert.equal(v2.valid, true);
    const bad = b.signature.slice(0, 10) + (b.signature[10] === '0' ? '1' : '0') +
      b.signature.slice(11);
    // an invalid signature: {"valid": false} and exit status 1 (dstack(1))
    const v3 = spawnSync(cli, ['verify', alg, '--signature', bad, '--public-key', b.public_key,
                               ...cliData, '--endpoint', endpoint], { encoding: 'utf8' });
    assert.equal(v3.status, 1, v3.stderr);
    assert.equal(JSON.parse(v3.stdout).valid, false);
  }
});

test('info and version: equal decoded values', { skip }, async () => {
  const a = await js.info();
  const b = dstack(['info']);
  for (const k of ['app_id', 'instance_id', 'app_cert', 'app_name', 'device_id', 'mr_aggregated',
                   'os_image_hash', 'key_provider_info', 'compose_hash', 'vm_config']) {
    assert.equal(a[k], b[k], k);
  }
  for (const k of ['mrtd', 'rtmr0', 'rtmr1', 'rtmr2', 'rtmr3', 'mr_aggregated', 'os_image_hash',
                   'compose_hash', 'device_id', 'app_compose']) {
    assert.equal(a.tcb_info[k], b.tcb_info[k], `tcb_info.${k}`);
  }
  assert.deepEqual(a.tcb_info.event_log, b.tcb_info.event_log);
  const va = await js.version();
  const vb = dstack(['version']);
  assert.equal(va.version, vb.version);
  assert.equal(va.rev, vb.rev);
  assert.equal(await js.isReachable(), true);
  assert.equal(dstack(['is-reachable']).reachable, true);
});

test('getQuote: the same report data and RTMRs, replayed alike', { skip }, async () => {
  const rd = 'cross-quote';
  const a = await js.getQuote(rd);
  const b = dstack(['get-quote', rd, '--replay']);
  const da = JSON.parse(execFileSync(cli, ['decode-quote', a.quote], { encoding: 'utf8' }));
  const db = JSON.parse(execFileSync(cli, ['decode-quote', b.quote], { encoding: 'utf8' }));
  const want = Buffer.alloc(64);
  Buffer.from(rd).copy(want);
  assert.equal(a.report_data, want.toString('hex'));
  assert.equal(b.report_data, want.toString('hex'));
  assert.equal(da.report_data, db.report_data);
  assert.equal(da.report_data, want.toString('hex'));
  assert.equal(da.mr_td, db.mr_td);
  // The JS SDK's replayRtmrs() equals the quote's RTMRs and libdstack's replay.
  const jsReplay = a.replayRtmrs();
  assert.deepEqual(jsReplay, [da.rtmr0, da.rtmr1, da.rtmr2, da.rtmr3]);
  assert.deepEqual(b.replayed_rtmrs, [db.rtmr0, db.rtmr1, db.rtmr2, db.rtmr3]);
  assert.deepEqual(jsReplay, b.replayed_rtmrs);
  assert.equal(a.event_log, b.event_log);
  // libdstack's replay-rtmrs on the JS SDK's answer.
  const r = JSON.parse(execFileSync(cli, ['replay-rtmrs', JSON.stringify({ event_log: a.event_log })],
                                    { encoding: 'utf8' }));
  assert.deepEqual([r.rtmr0, r.rtmr1, r.rtmr2, r.rtmr3], jsReplay);
});

test('emitEvent: an event from one side is seen by the other', { skip }, async () => {
  dstack(['emit-event', 'cross-from-c', '--hex', '00ff10']);
  let info = await js.info();
  let last = info.tcb_info.event_log.at(-1);
  assert.equal(last.event, 'cross-from-c');
  assert.equal(last.event_payload, '00ff10');
  await js.emitEvent('cross-from-js', 'payload');
  info = dstack(['info']);
  last = info.tcb_info.event_log.at(-1);
  assert.equal(last.event, 'cross-from-js');
  assert.equal(last.event_payload, Buffer.from('payload').toString('hex'));
  const q = await js.getQuote('after-events');
  assert.equal(q.replayRtmrs()[3], info.tcb_info.rtmr3);
});

test('getTlsKey: both chains end at the same CA and carry the requested names', { skip },
     async () => {
  const a = await js.getTlsKey({ subject: 'cross.example', altNames: ['cross.example', '10.0.0.1'],
                                 usageClientAuth: true });
  const b = dstack(['get-tls-key', '--subject', 'cross.example', '--alt-name', 'cross.example',
                    '--alt-name', '10.0.0.1', '--client-auth']);
  assert.equal(a.certificate_chain[1], b.certificate_chain[1]);
  const la = new X509Certificate(a.certificate_chain[0]);
  const lb = new X509Certificate(b.certificate_chain[0]);
  const ca = new X509Certificate(b.certificate_chain[1]);
  for (const l of [la, lb]) {
    assert.equal(l.subject, 'CN=cross.example');
    assert.equal(l.subjectAltName, 'DNS:cross.example, IP Address:10.0.0.1');
    assert.deepEqual([...l.keyUsage].sort(), ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    assert.ok(l.verify(ca.publicKey));
  }
  assert.ok(lb.checkPrivateKey(createPrivateKey(b.key)));
  // verify-ra-tls refuses a chain without attestation, names the reason.
  const dir = mkdtempSync(join(tmpdir(), 'dstack-cross-'));
  try {
    writeFileSync(join(dir, 'tls.json'), JSON.stringify(a));
    writeFileSync(join(dir, 'ca.pem'), a.certificate_chain[1]);
    const r = spawnSync(cli, ['verify-ra-tls', join(dir, 'tls.json'), '--ca', join(dir, 'ca.pem')],
                        { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no attestation extension/);
    const ra = await js.getTlsKey({ subject: 'cross.example', usageRaTls: true });
    writeFileSync(join(dir, 'ra.json'), JSON.stringify(ra));
    const ok = spawnSync(cli, ['verify-ra-tls', join(dir, 'ra.json'), '--ca', join(dir, 'ca.pem')],
                         { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).valid, true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('compose hash: getComposeHash == dstack compose-hash', { skip }, () => {
  const docs = [
    { runner: 'docker-compose', docker_compose_file: 'services: {}', name: 'a', b: 1.0 },
    { z: [1, 2.5, -0, 1e21, 'ü'], a: { y: null, x: true }, 10: 'n', 2: 'm' },
    { runner: 'bash', bash_script: 'echo hi', docker_compose_file: 'x', pre_launch_script: '' },
  ];
  const dir = mkdtempSync(join(tmpdir(), 'dstack-cross-'));
  try {
    docs.forEach((doc, i) => {
      const f = join(dir, `c${i}.json`);
      writeFileSync(f, JSON.stringify(doc));
      for (const normalize of [false, true]) {
        const args = ['compose-hash', f, ...(normalize ? ['--normalize'] : [])];
        const out = execFileSync(cli, args, { encoding: 'utf8' });
        assert.equal(JSON.parse(out).compose_hash,
                     getComposeHash(doc, normalize), `doc ${i} normalize=${normalize}`);
      }
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tappd: deriveKey and tdxQuote agree', { skip: skip || (!tappdEndpoint && 'no tappd socket') },
     async () => {
  const t = new TappdClient(tappdEndpoint);
  const a = await t.deriveKey('cross/tappd', 'cross/tappd');
  const b = dstack(['tappd', 'derive-key', 'cross/tappd'], tappdEndpoint);
  assert.equal(a.key, b.key); // deterministic (random_seed false)
  assert.deepEqual(a.certificate_chain.slice(1), b.certificate_chain.slice(1));
  const qa = await t.tdxQuote('abc', 'raw');
  const qb = dstack(['tappd', 'tdx-quote', 'abc'], tappdEndpoint);
  const da = JSON.parse(execFileSync(cli, ['decode-quote', qa.quote], { encoding: 'utf8' }));
  const db = JSON.parse(execFileSync(cli, ['decode-quote', qb.quote], { encoding: 'utf8' }));
  assert.equal(da.report_data, db.report_data);
  assert.ok(da.report_data.endsWith(Buffer.from('abc').toString('hex'))); // left-padded
});
