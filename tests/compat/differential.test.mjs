// Differential tests: the official JS SDK 0.5.8 (and viem / @solana/web3.js behind its helpers)
// against libdstack through the `dstack` command, on many generated inputs, compared byte for
// byte: compose hashes of generated app-compose texts (unicode, nesting, number spellings,
// duplicate keys, __proto__/constructor keys, overflowing literals), Ethereum addresses and
// Solana keys of many keys (GetKey and TLS-key variants), env-pubkey signer recovery on valid and
// tampered signatures, and encrypt-env round trips both ways. No agent needed.
// Documents, env values and choices come from a seeded generator (DSTACK_DIFF_SEED=<n> replays
// them; the seed is printed); keys are fresh random ones. viem and @solana/web3.js (optional peers
// of the SDK, pinned in package.json) back toViemAccount and toKeypair.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { webcrypto } from 'node:crypto';
import {
  getComposeHash, verifyEnvEncryptPublicKey, verifyEnvEncryptPublicKeyLegacy,
} from '@phala/dstack-sdk';
import { encryptEnvVars } from '@phala/dstack-sdk/encrypt-env-vars';
import { toViemAccount, toViemAccountSecure } from '@phala/dstack-sdk/viem';
import { toKeypair, toKeypairSecure } from '@phala/dstack-sdk/solana';
import { x25519 } from '@noble/curves/ed25519';
import { secp256k1 } from '@noble/curves/secp256k1';
import { p256 } from '@noble/curves/p256';
import { keccak_256 } from '@noble/hashes/sha3';

const cli = process.env.DSTACK_CLI;
const skip = !cli && 'DSTACK_CLI not set (run through tests/compat/run.sh)';
const seed = Number(process.env.DSTACK_DIFF_SEED ?? (Date.now() % 1e9));
console.log(`differential: seed ${seed} (DSTACK_DIFF_SEED=${seed} replays it)`);
const work = mkdtempSync(join(tmpdir(), 'dstack-diff-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

// mulberry32: small, seedable, good enough to spread inputs
function rng(s) {
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(seed);
const int = (n) => Math.floor(rand() * n);
const pick = (a) => a[int(a.length)];
const bytes = (n) => Uint8Array.from({ length: n }, () => int(256));
const hex = (u8) => Buffer.from(u8).toString('hex');

// Runs `dstack ARGS`; returns {code, json, stderr}.
function dstack(args, input) {
  const r = spawnSync(cli, args, { input, encoding: 'utf8' });
  let json = null;
  if (r.status === 0) json = JSON.parse(r.stdout);
  return { code: r.status, json, stderr: r.stderr };
}

// ---- compose hash ----

const NUMBERS = ['0', '-0', '1', '1.0', '-1.50', '1e21', '1E21', '1e+21', '1e20', '1e-7', '1e-6',
  '0.000001', '123456789012345678901234567890', '9007199254740993', '5e-324', '1e-400',
  '1.7976931348623157e308', '1e400', '-1e400', '3.14159', '0.1', '100', '2e0', '0.5e1',
  '-0.0', '1e308', '4294967295', '12.50000000000000000001'];
const KEY_POOL = ['runner', 'name', 'docker_compose_file', 'bash_script', 'pre_launch_script',
  'manifest_version', 'kms_enabled', 'allowed_envs', 'features', 'a', 'b', 'B', 'aa', '',
  ' ', 'é', 'ê', 'z', '\u00ff', '\uffff', '😀', '中文', '0', '1', '2', '10', '01', '-1',
  '4294967294', '4294967295', '__proto__', 'constructor', 'toString', 'key"q', 'tab\tkey',
  'back\\slash', 'ꙮ', '\u2028'];
const STRINGS = ['', 'docker-compose', 'bash', 'nerdctl-compose', 'services:\n  app:\n    image: x',
  'echo \'🚀 Deploy\'', '测试应用', '<a&b>', '"quoted"', 'back\\slash', 'ctl\u0001\u001f\u007f',
  '\u2028\u2029', 'tab\t', '\u0000', 'é', 'e\u0301', '𝄞', ' '];

// A JSON string literal, sometimes with escapes for characters JSON.parse decodes back.
function strLit(s) {
  let out = JSON.stringify(s);
  if (rand() < 0.3) out = out.replace(/[a-z]/, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
  if (rand() < 0.2) out = out.replace(/[\u{10000}-\u{10ffff}]/u, (c) =>
    '\\u' + c.charCodeAt(0).toString(16) + '\\u' + c.charCodeAt(1).toString(16).toUpperCase());
  if (rand() < 0.1) out = out.replace('/', '\\/');
  return out;
}

function value(depth) {
  const r = rand();
  if (depth > 3 || r < 0.35) {
    return pick([() => pick(NUMBERS), () => strLit(pick(STRINGS)), () => 'true', () => 'false',
                 () => 'null'])();
  }
  if (r < 0.6) {
    const n = int(4);
    return '[' + Array.from({ length: n }, () => value(depth + 1)).join(pick([',', ' , ', ',\n'])) + ']';
  }
  return object(depth + 1, int(6));
}

function object(depth, n, extra = []) {
  const members = [...extra];
  for (let i = 0; i < n; i++) members.push(`${strLit(pick(KEY_POOL))}:${value(depth)}`);
  for (let i = members.length - 1; i > 0; i--) {
    const j = int(i + 1);
    [members[i], members[j]] = [members[j], members[i]];
  }
  return '{' + members.join(pick([',', ', ', ' ,\n  '])) + '}';
}

function composeText() {
  const extra = [`"runner":${strLit(pick(['docker-compose', 'bash', 'nerdctl-compose', '']))}`];
  if (rand() < 0.5) extra.push(`"docker_compose_file":${strLit(pick(STRINGS))}`);
  if (rand() < 0.5) extra.push(`"bash_script":${strLit(pick(STRINGS))}`);
  if (rand() < 0.5) extra.push(`"pre_launch_script":${pick(['""', '0', '-0', 'null', 'false', '"x"', '1e400', '[]'])}`);
  return object(0, int(8), extra);
}

test('compose hash: JS getComposeHash == dstack compose-hash on generated documents', { skip }, () => {
  const N = 250;
  let compared = 0, divergent = 0;
  for (let i = 0; i < N; i++) {
    const text = composeText();
    const normalize = rand() < 0.5;
    const file = join(work, `c${i}.json`);
    writeFileSync(file, text);
    const obj = JSON.parse(text);
    let want = getComposeHash(obj, normalize);
    const got = dstack(['compose-hash', file, ...(normalize ? ['--normalize'] : [])]);
    assert.equal(got.code, 0, `${text}\n${got.stderr}`);
    // Known difference: the published 0.5.8 normalises bash_script away for "docker-compose"
    // only; upstream's sdk/js/src/get-compose-hash.ts (and Python) also for "nerdctl-compose",
    // which libdstack follows. Compare with the JS SDK on the object without it.
    if (normalize && obj.runner === 'nerdctl-compose' && Object.hasOwn(obj, 'bash_script')) {
      const o2 = { ...obj };
      delete o2.bash_script;
      want = getComposeHash(o2, true);
      divergent++;
    }
    assert.equal(got.json.compose_hash, want, `seed ${seed} doc ${i} normalize=${normalize}:\n${text}`);
    compared++;
  }
  assert.equal(compared, N);
  console.log(`compose hash: ${N} documents equal (${divergent} nerdctl-compose normalisations)`);
});

test('compose hash: JSON texts JSON.parse refuses or that are not objects fail in dstack too', { skip }, () => {
  for (const text of ['{"a":1,}', '{"a":01}', '[1]', '"x"', '{"a":NaN}', '{"a":Infinity}',
                      '{"a":.5}', '{"a":+1}', '{"a":"\\x"}', "{'a':1}"]) {
    const file = join(work, 'bad.json');
    writeFileSync(file, text);
    let jsOk = true;
    try { const o = JSON.parse(text); jsOk = typeof o === 'object' && !Array.isArray(o); } catch { jsOk = false; }
    assert.equal(jsOk, false, text);
    const got = dstack(['compose-hash', file]);
    assert.equal(got.code, 2, text); // dstack(1): input that is not what the command reads
    assert.match(got.stderr, /app-compose/);
  }
  // Documented limits of libdstack (lib/json, docs/json.md): JSON.parse accepts these, dstack refuses them —
  // lone surrogates (not UTF-8) and NUL inside object keys (NUL inside values works).
  for (const text of ['{"a":"\\ud800"}', '{"a\\u0000b":1}']) {
    writeFileSync(join(work, 'limit.json'), text);
    assert.equal(dstack(['compose-hash', join(work, 'limit.json')]).code, 2, text);
  }
});

// ---- Ethereum and Solana ----

const getKeyResponse = (key) => ({ __name__: 'GetKeyResponse', key, signature_chain: [] });

// A GetTlsKeyResponse as the JS SDK builds it (index.ts getTlsKey): PKCS#8 PEM of a P-256 key.
function tlsKeyResponse(d) {
  const pub = p256.getPublicKey(d, false);
  const der = Buffer.concat([
    Buffer.from('308187020100301306072a8648ce3d020106082a8648ce3d030107046d306b0201010420', 'hex'),
    Buffer.from(d), Buffer.from('a144034200', 'hex'), Buffer.from(pub)]);
  const b64 = der.toString('base64').match(/.{1,64}/g).join('\n');
  const pem = `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----\n`;
  const asUint8Array = (length) => {
    const bin = atob(pem.replace(/-----BEGIN PRIVATE KEY-----/, '').replace(/-----END PRIVATE KEY-----/, '').replace(/\n/g, ''));
    const n = length || bin.length;
    return Uint8Array.from({ length: n }, (_, i) => bin.charCodeAt(i));
  };
  return { __name__: 'GetTlsKeyResponse', key: pem, certificate_chain: [], asUint8Array };
}

function quietly(fn) {
  const warn = console.warn;
  const seen = [];
  console.warn = (m) => seen.push(m);
  try { return [fn(), seen]; } finally { console.warn = warn; }
}

test('eth-address and solana-pubkey: equal to toViemAccount/toKeypair on many GetKey keys', { skip }, () => {
  const keys = [new Uint8Array(32).fill(0).map((_, i) => (i === 31 ? 1 : 0)),
                Buffer.from('f6c1ed94488394d78e0a4e5ab75d62e9f085d73b0b555d0614fb90ca13d9464d', 'hex'),
                Buffer.from('fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140', 'hex')];
  while (keys.length < 80) keys.push(secp256k1.utils.randomPrivateKey());
  for (const k of keys) {
    const kr = getKeyResponse(new Uint8Array(k));
    const acct = toViemAccount(kr);
    assert.equal(toViemAccountSecure(kr).address, acct.address); // same for GetKey answers
    const eth = dstack(['eth-address', '--key', hex(k)]);
    assert.equal(eth.json?.address, acct.address, hex(k));
    const kp = toKeypair(kr);
    assert.equal(toKeypairSecure(kr).publicKey.toBase58(), kp.publicKey.toBase58());
    const sol = dstack(['solana-pubkey', '--key-file', '-', '--secret'], hex(k) + '\n');
    assert.equal(sol.json?.public_key, kp.publicKey.toBase58(), hex(k));
    assert.equal(sol.json.public_key_hex, hex(kp.publicKey.toBytes()));
    assert.equal(sol.json.secret_key, hex(kp.secretKey));
  }
  // Solana seeds need not be secp256k1 scalars: 0, n, 2^256-1 work there, not for Ethereum.
  for (const h of ['00'.repeat(32), 'ff'.repeat(32),
                   'fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141']) {
    const kp = toKeypair(getKeyResponse(Buffer.from(h, 'hex')));
    assert.equal(dstack(['solana-pubkey', '--key', h]).json?.public_key, kp.publicKey.toBase58());
    let jsThrows = false;
    try { toViemAccount(getKeyResponse(Buffer.from(h, 'hex'))); } catch { jsThrows = true; }
    assert.equal(jsThrows, true);
    const eth = dstack(['eth-address', '--key', h]);
    assert.equal(eth.code, 2, h); // not a secp256k1 key: a malformed argument
  }
});

test('TLS-key variants: deprecated (constant) and secure accounts/keypairs equal the JS SDK', { skip }, () => {
  for (let i = 0; i < 16; i++) {
    const d = p256.utils.randomPrivateKey();
    const tr = tlsKeyResponse(d);
    const file = join(work, `tls${i}.json`);
    writeFileSync(file, JSON.stringify({ key: tr.key, certificate_chain: [] }));
    const [legacy, w1] = quietly(() => toViemAccount(tr));
    const [secure, w2] = quietly(() => toViemAccountSecure(tr));
    const [kpLegacy] = quietly(() => toKeypair(tr));
    const [kpSecure] = quietly(() => toKeypairSecure(tr));
    assert.equal(w1.length, 1);
    assert.equal(w2.length, 1);
    const a = dstack(['eth-address', '--tls-key', file]);
    assert.equal(a.json?.address, legacy.address);
    assert.equal(a.json.address, '0xf3D21A3A689AD889541d993A51e3109aC3E36c12'); // every key
    assert.match(a.stderr, /to_account: Please don't use getTlsKey method to get key, use getKey instead\./);
    const b = dstack(['eth-address', '--tls-key', file, '--secure']);
    assert.equal(b.json?.address, secure.address);
    assert.match(b.stderr, /to_account_secure: /);
    // the PEM itself (not a JSON answer) on stdin
    const c = dstack(['solana-pubkey', '--tls-key', '-', '--secure'], tr.key);
    assert.equal(c.json?.public_key, kpSecure.publicKey.toBase58());
    const e = dstack(['solana-pubkey', '--tls-key', file]);
    assert.equal(e.json?.public_key, kpLegacy.publicKey.toBase58());
  }
});

// ---- env-encrypt public key signatures ----

function envMessage(pub, appId, ts) {
  const parts = [Buffer.from('dstack-env-encrypt-pubkey:'), Buffer.from(appId, 'hex')];
  if (ts !== undefined) {
    const t = Buffer.alloc(8);
    t.writeBigUInt64BE(BigInt(ts));
    parts.push(t);
  }
  parts.push(Buffer.from(pub));
  return keccak_256(Buffer.concat(parts));
}

function signRecoverable(msgHash, priv) {
  const s = secp256k1.sign(msgHash, priv);
  return Uint8Array.from([...s.toCompactRawBytes(), s.recovery]);
}

function quietError(fn) {
  const err = console.error;
  console.error = () => {};
  try { return fn(); } finally { console.error = err; }
}

test('verify-env-pubkey: signer recovery equals the JS SDK on valid and tampered signatures', { skip }, () => {
  const now = Math.floor(Date.now() / 1000);
  let cases = 0, nulls = 0;
  for (let i = 0; i < 24; i++) {
    const kms = secp256k1.utils.randomPrivateKey();
    const pub = bytes(32);
    const appId = hex(bytes(20));
    const legacy = i % 4 === 0;
    // away from the window edges so that the two clocks cannot disagree
    const ts = pick([now - 10, now, now + 30, now - 200, now - 1000, now + 600]);
    const msg = legacy ? envMessage(pub, appId) : envMessage(pub, appId, ts);
    const good = signRecoverable(msg, kms);
    const variants = [good];
    const flipped = Uint8Array.from(good); flipped[int(64)] ^= 1 << int(8); variants.push(flipped);
    const wrongV = Uint8Array.from(good); wrongV[64] ^= 1; variants.push(wrongV);
    variants.push(good.slice(0, 64));                       // 64 bytes
    const highS = Uint8Array.from(good); highS.fill(0xff, 32, 64); variants.push(highS); // s >= n
    for (const sig of variants) {
      for (const id of [appId, '0x' + appId]) {
        const js = quietError(() => legacy
          ? verifyEnvEncryptPublicKeyLegacy(pub, sig, id)
          : verifyEnvEncryptPublicKey(pub, sig, id, ts));
        const args = ['verify-env-pubkey', '--public-key', hex(pub), '--signature', hex(sig),
                      '--app-id', id, ...(legacy ? [] : ['--timestamp', String(ts)])];
        const got = dstack(args);
        if (js === null) {
          assert.equal(got.code, 1, `${args.join(' ')}: JS null, dstack ${JSON.stringify(got.json)}`);
          nulls++;
        } else {
          assert.equal(got.code, 0, `${args.join(' ')}: ${got.stderr}`);
          assert.equal(got.json.signer, js);
        }
        cases++;
      }
    }
    if (!legacy && Math.abs(now - ts) <= 60) {
      const expect = '0x' + hex(secp256k1.getPublicKey(kms, true));
      assert.equal(dstack(['verify-env-pubkey', '--public-key', hex(pub), '--signature', hex(good),
                           '--app-id', appId, '--timestamp', String(ts)]).json?.signer, expect);
    }
  }
  // v = 27/28 (Ethereum style): the JS SDK fails; libdstack accepts them as 0/1 (docs/sdk.md).
  const kms = secp256k1.utils.randomPrivateKey();
  const pub = bytes(32), appId = hex(bytes(20));
  const sig = signRecoverable(envMessage(pub, appId), kms);
  const eth = Uint8Array.from(sig); eth[64] += 27;
  assert.equal(quietError(() => verifyEnvEncryptPublicKeyLegacy(pub, eth, appId)), null);
  assert.equal(dstack(['verify-env-pubkey', '--public-key', hex(pub), '--signature', hex(eth),
                       '--app-id', appId]).json?.signer, verifyEnvEncryptPublicKeyLegacy(pub, sig, appId));
  console.log(`verify-env-pubkey: ${cases} cases equal (${nulls} refused by both)`);
});

// ---- encrypt-env round trips ----

const ENV_VALUES = ['bar', '', 'Hello 世界 🌍', '🚀🎉💻', 'a=b=c', '"quoted" \\ back', 'line\nbreak',
  'x'.repeat(3000), '<tag>&amp;', '\u2028'];

function envVars() {
  const n = 1 + int(5);
  return Array.from({ length: n }, (_, i) => ({ key: `K_${i}_${int(1000)}`, value: pick(ENV_VALUES) }));
}

async function nobleDecrypt(hexData, sk) {
  const data = Buffer.from(hexData, 'hex');
  const shared = x25519.getSharedSecret(sk, data.subarray(0, 32));
  const key = await webcrypto.subtle.importKey('raw', shared, { name: 'AES-GCM' }, false, ['decrypt']);
  const plain = await webcrypto.subtle.decrypt({ name: 'AES-GCM', iv: data.subarray(32, 44) }, key,
                                               data.subarray(44));
  return new TextDecoder().decode(plain);
}

test('encrypt-env: JS encrypts -> dstack decrypts; dstack encrypts -> noble decrypts', { skip }, async () => {
  for (let i = 0; i < 30; i++) {
    const sk = x25519.utils.randomPrivateKey();
    const pk = hex(x25519.getPublicKey(sk));
    const vars = envVars();
    const want = JSON.stringify({ env: vars });

    // JS SDK -> libdstack (the guest's side), with the key from a file on stdin
    const fromJs = await encryptEnvVars(vars, rand() < 0.5 ? pk : '0x' + pk);
    const dec = dstack(['decrypt-env', '--secret-key-file', '-', fromJs], hex(sk));
    assert.equal(dec.code, 0, dec.stderr);
    assert.equal(dec.json.plaintext, want);

    // libdstack -> noble/WebCrypto with the recipient key; byte-equal JSON to the JS SDK's
    const args = ['encrypt-env', '--public-key', pk, ...vars.map((v) => `${v.key}=${v.value}`)];
    const enc = dstack(args);
    assert.equal(enc.code, 0, enc.stderr);
    assert.equal(await nobleDecrypt(enc.json.encrypted_env, sk), want);
    assert.equal(enc.json.count, vars.length);

    // tampering and the wrong key fail on both sides
    const bad = Buffer.from(enc.json.encrypted_env, 'hex');
    bad[44 + int(bad.length - 44)] ^= 1;
    await assert.rejects(nobleDecrypt(bad.toString('hex'), sk));
    assert.equal(dstack(['decrypt-env', '--secret-key', hex(sk), bad.toString('hex')]).code, 1);
    const other = hex(x25519.utils.randomPrivateKey());
    assert.equal(dstack(['decrypt-env', '--secret-key', other, fromJs]).code, 1);
  }
  // Bad recipient keys: the JS SDK does not check; libdstack refuses (Go SDK's messages).
  const r = dstack(['encrypt-env', '--public-key', 'abcd', 'A=b']);
  assert.equal(r.code, 2); // a malformed argument (dstack(1), EXIT STATUS)
  assert.match(r.stderr, /invalid public key length: expected 32 bytes, got 2/);
});
