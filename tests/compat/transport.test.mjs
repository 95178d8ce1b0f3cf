// Transport-level compatibility: the official JS SDK 0.5.8 reads Info and Version from our
// simulator, probes reachability, and gates features on Version exactly as it does upstream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DstackClient, TappdClient } from '@phala/dstack-sdk';

const endpoint = process.env.DSTACK_SIMULATOR_ENDPOINT;

test('info() returns every field with tcb_info parsed', async () => {
  const client = new DstackClient(endpoint);
  const info = await client.info();
  assert.match(info.app_id, /^[0-9a-f]{40}$/);
  assert.match(info.instance_id, /^[0-9a-f]{40}$/);
  assert.match(info.compose_hash, /^[0-9a-f]{64}$/);
  assert.match(info.device_id, /^[0-9a-f]{64}$/);
  assert.match(info.mr_aggregated, /^[0-9a-f]{64}$/);
  assert.equal(typeof info.app_name, 'string');
  assert.ok(info.app_name.length > 0);
  assert.ok(info.key_provider_info.length > 0);
  JSON.parse(info.vm_config);
  const tcb = info.tcb_info;
  for (const k of ['mrtd', 'rtmr0', 'rtmr1', 'rtmr2', 'rtmr3']) {
    assert.match(tcb[k], /^[0-9a-f]{96}$/, k);
  }
  assert.equal(tcb.compose_hash, info.compose_hash);
  assert.equal(tcb.device_id, info.device_id);
  assert.ok(tcb.app_compose.length > 0);
  assert.ok(Array.isArray(tcb.event_log) && tcb.event_log.length > 0);
  const names = tcb.event_log.filter((e) => e.imr === 3).map((e) => e.event);
  for (const n of ['app-id', 'compose-hash', 'instance-id', 'key-provider', 'system-ready']) {
    assert.ok(names.includes(n), `runtime event ${n}`);
  }
});

test('isReachable() is true for a live socket and false for a dead one', async () => {
  assert.equal(await new DstackClient(endpoint).isReachable(), true);
  const dead = new DstackClient('http://127.0.0.1:1');
  assert.equal(await dead.isReachable(), false);
});

test('version() answers on both APIs', async () => {
  const v = await new DstackClient(endpoint).version();
  assert.equal(v.version, '0.6.0');
  assert.match(v.rev, /^(git:[0-9a-f]{7,}(-modified)?|unknown)$/);
  // TappdClient 0.5.8 inherits info() (which posts /Info, a 404 on tappd.sock upstream too);
  // its isReachable() probes /prpc/Tappd.Info.
  const tappd = new TappdClient(process.env.TAPPD_SIMULATOR_ENDPOINT);
  assert.equal(await tappd.isReachable(), true);
});

test('Version-gated GetKey: ed25519 works where Version answers', async () => {
  const k = await new DstackClient(endpoint).getKey('gate/test', 'p', 'ed25519');
  assert.equal(k.key.length, 32);
});

test('a restricted listener serves its methods and refuses the others', async () => {
  // The limited socket serves only GetKey and Info, as an operator-restricted listener would.
  const limited = new DstackClient(process.env.DSTACK_LIMITED_ENDPOINT);
  const k = await limited.getKey('gate/test', 'p', 'secp256k1');
  assert.equal(k.key.length, 32);
  assert.match((await limited.info()).app_id, /^[0-9a-f]{40}$/);
  // The JS SDK ignores HTTP status and returns the error body; the refusal is explicit.
  const v = await limited.version();
  assert.equal(v.error, 'Method Version is not served on this socket');
  await assert.rejects(limited.getQuote('x'), /Method GetQuote is not served on this socket/);
});
