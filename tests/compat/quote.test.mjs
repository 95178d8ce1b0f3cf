// Quotes through the official JS SDK: report data in place, event logs that replay (with the
// SDK's own replayRtmrs) to the RTMRs inside the quote and in Info, before and after EmitEvent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { DstackClient, TappdClient } from '@phala/dstack-sdk';

const endpoint = process.env.DSTACK_SIMULATOR_ENDPOINT;

// TDX quote v4: 48-byte header, then the TD report; RTMR0 at 376, REPORTDATA at 568.
function quoteFields(hex) {
  const q = Buffer.from(hex, 'hex');
  const rtmrs = [0, 1, 2, 3].map((i) => q.subarray(376 + 48 * i, 424 + 48 * i).toString('hex'));
  return { version: q.readUInt16LE(0), rtmrs, reportData: q.subarray(568, 632) };
}

function rawPost(socketPath, path, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, path, method: 'POST',
      headers: { 'Content-Type': 'application/json' } }, (res) => {
      let data = '';
      res.on('data', (c) => { data += c; });
      res.on('end', () => resolve({ status: res.statusCode, body: data }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('getQuote: report data padded in place, log replays to the quote RTMRs', async () => {
  const client = new DstackClient(endpoint);
  const res = await client.getQuote('some data or anything');
  const f = quoteFields(res.quote);
  assert.equal(f.version, 4);
  const want = Buffer.alloc(64);
  Buffer.from('some data or anything').copy(want);
  assert.deepEqual(f.reportData, want);
  assert.equal(res.report_data, want.toString('hex'));
  const log = JSON.parse(res.event_log);
  assert.ok(log.length > 10);
  assert.deepEqual(res.replayRtmrs(), f.rtmrs);
  JSON.parse(res.vm_config);
});

test('EmitEvent moves RTMR3; quote, replay and Info agree before and after', async () => {
  const client = new DstackClient(endpoint);
  const before = await client.getQuote('before');
  const b = quoteFields(before.quote);
  await client.emitEvent('compat-test-event', 'hello from the JS SDK');
  const after = await client.getQuote('after');
  const a = quoteFields(after.quote);
  assert.notEqual(a.rtmrs[3], b.rtmrs[3]);
  assert.deepEqual(a.rtmrs.slice(0, 3), b.rtmrs.slice(0, 3));
  assert.deepEqual(after.replayRtmrs(), a.rtmrs);
  const events = JSON.parse(after.event_log).filter((e) => e.event === 'compat-test-event');
  assert.equal(events.length, 1);
  assert.equal(events[0].imr, 3);
  assert.equal(events[0].event_payload, Buffer.from('hello from the JS SDK').toString('hex'));
  const info = await client.info();
  assert.equal(info.tcb_info.rtmr3, a.rtmrs[3]);
  assert.equal(info.tcb_info.mrtd.length, 96);
  await assert.rejects(client.emitEvent('', 'x'), /Event name cannot be empty/);
});

test('65 bytes of report data are refused by the SDK and by the agent', async () => {
  const client = new DstackClient(endpoint);
  await assert.rejects(client.getQuote(Buffer.alloc(65)), /Report data is too large/);
  await assert.rejects(client.attest(Buffer.alloc(65)), /Report data is too large/);
  const r = await rawPost(endpoint, '/GetQuote', JSON.stringify({ report_data: '00'.repeat(65) }));
  assert.equal(r.status, 400);
  assert.equal(JSON.parse(r.body).error, 'Report data is too long');
  const ok = await client.getQuote(Buffer.alloc(64, 0xab));
  assert.equal(ok.report_data, 'ab'.repeat(64));
});

test('attest returns a versioned attestation', async () => {
  const res = await new DstackClient(endpoint).attest('test');
  assert.match(res.attestation, /^[0-9a-f]+$/);
  assert.ok(res.attestation.length > 1000);
});

test('tappd TdxQuote through the deprecated clients', async () => {
  const tappd = new TappdClient(process.env.TAPPD_SIMULATOR_ENDPOINT);
  const raw = await tappd.tdxQuote(Buffer.alloc(64, 1), 'raw');
  assert.deepEqual(quoteFields(raw.quote).reportData, Buffer.alloc(64, 1));
  assert.deepEqual(raw.replayRtmrs(), quoteFields(raw.quote).rtmrs);
  const hashed = await tappd.tdxQuote('test', 'sha256');
  assert.ok(hashed.quote.length > 1000);
  const dstack = new DstackClient(endpoint);
  await assert.rejects(dstack.tdxQuote('x', 'sha256'), /tdxQuote only supports raw hash algorithm/);
});
