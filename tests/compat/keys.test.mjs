// Keys and signatures through the official JS SDK 0.5.8: GetKey for both algorithms, Sign ->
// Verify round trips, tampered signatures, and the signature chain recovered with
// @noble/curves (which the SDK itself depends on) to the KMS root public key
// (docs/api/GetKey.md, Sign.md, Verify.md; docs/simulator.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DstackClient } from '@phala/dstack-sdk';
import { secp256k1 } from '@noble/curves/secp256k1';
import { ed25519 } from '@noble/curves/ed25519';
import { keccak_256 } from '@noble/hashes/sha3';
import { sha256 } from '@noble/hashes/sha256';
import { hkdf } from '@noble/hashes/hkdf';
import { bytesToHex, hexToBytes, utf8ToBytes, concatBytes } from '@noble/hashes/utils';

const sim = new DstackClient(process.env.DSTACK_SIMULATOR_ENDPOINT);
const upstreamEndpoint = process.env.DSTACK_UPSTREAM_ENDPOINT;
const upstream = upstreamEndpoint ? new DstackClient(upstreamEndpoint) : null;

// Upstream simulator keys: app root key and the KMS root that issued it (Go SDK test
// client_web3_test.go; tests/vectors/keys.md).
const UPSTREAM_APP_PUB = '02818494263695e8839122dbd88e281d7380622999df4e60a14befa0f2d096fc7c';
const UPSTREAM_KMS_PUB = '0321529e458424ab1f710a3a57ec4dad2fb195ddca572f7469242ba6c7563085b6';

// Our simulator's development KMS root, recomputed here from the documented seed
// (agent/appkeys.h, docs/simulator.md): HKDF-SHA256(salt "RATLS", seed, "dstack-c dev kms k256 root").
const DEV_SEED = sha256(utf8ToBytes('dstack-c simulator development seed v1'));
const DEV_KMS_PUB = bytesToHex(
  secp256k1.getPublicKey(hkdf(sha256, DEV_SEED, utf8ToBytes('RATLS'),
                              utf8ToBytes('dstack-c dev kms k256 root'), 32), true));

// The app id our simulator's keys were issued for: Info's app_id, which for the simulator's
// own files is the first 20 bytes of SHA-256(app-compose.json) (docs/sdk.md).
async function simAppId() {
  try {
    return (await sim.info()).app_id;
  } catch {
    const compose = readFileSync(join(process.env.DSTACK_SIM_DIR, 'app-compose.json'));
    return bytesToHex(sha256(compose).slice(0, 20));
  }
}

function recover(message, sig65) {
  assert.equal(sig65.length, 65);
  const sig = secp256k1.Signature.fromCompact(sig65.slice(0, 64)).addRecoveryBit(sig65[64]);
  return sig.recoverPublicKey(keccak_256(message)).toRawBytes(true);
}

// Go SDK verifier: app_pub = ecrecover(keccak(purpose ":" hex(pub)), chain[0]);
// kms_pub = ecrecover(keccak("dstack-kms-issued:" || app_id || app_pub), chain[1]).
function recoverChain(purpose, pubkey, appSig, kmsSig, appIdHex) {
  const appPub = recover(utf8ToBytes(`${purpose}:${bytesToHex(pubkey)}`), appSig);
  const kmsPub = recover(concatBytes(utf8ToBytes('dstack-kms-issued:'), hexToBytes(appIdHex),
                                     appPub), kmsSig);
  return { appPub: bytesToHex(appPub), kmsPub: bytesToHex(kmsPub) };
}

test('getKey returns 32-byte keys for both algorithms, the same bytes for the same path', async () => {
  const k1 = await sim.getKey('compat/wallet', 'eth', 'secp256k1');
  const k2 = await sim.getKey('compat/wallet', 'sol', 'ed25519');
  assert.equal(k1.key.length, 32);
  assert.equal(k2.key.length, 32);
  assert.deepEqual(k1.key, k2.key);
  assert.equal(k1.signature_chain.length, 2);
  assert.equal(k1.signature_chain[0].length, 65);
  const other = await sim.getKey('compat/other', 'eth', 'secp256k1');
  assert.notDeepEqual(other.key, k1.key);
  // The SDK does not turn a 400 into an exception (upstream's SDK neither): it fails decoding.
  await assert.rejects(sim.getKey('p', '', 'secp256k1_prehashed'));
});

test('the signature chain recovers to the KMS root (our development KMS)', async () => {
  const appId = await simAppId();
  for (const [alg, pubOf] of [
    ['secp256k1', (k) => secp256k1.getPublicKey(k, true)],
    ['ed25519', (k) => ed25519.getPublicKey(k)],
  ]) {
    const r = await sim.getKey('compat/chain', 'test-purpose', alg);
    const { kmsPub } = recoverChain('test-purpose', pubOf(r.key), r.signature_chain[0],
                                    r.signature_chain[1], appId);
    assert.equal(kmsPub, DEV_KMS_PUB, alg);
  }
});

test('upstream keys: GetKey vectors and the chain to upstream\'s KMS root', { skip: !upstream }, async () => {
  const r = await upstream.getKey('my/key/path', 'signing', 'secp256k1');
  assert.equal(bytesToHex(r.key), '866d0884686e5afdbdaace8bd77c0b4f69a30dbe9506d69270a07bf247c8f4f0');
  assert.equal(bytesToHex(r.signature_chain[0]),
    '4e9bccd54a86c85b72d04453183a9aa8c989861142cc5caf2cdba12f99e834c81c0117311cf290357f9db94b79faba8074e3fe8764e6576a5fb657a89060fe3301');
  const e = await upstream.getKey('my/key/path', 'signing', 'ed25519');
  assert.equal(bytesToHex(e.signature_chain[0]),
    'bdcf39cde546877d89884b708d82470d866b8f1abc6e6e67e1cb37c243eb45aa20984c8943eae83091655125c339b94108e9c4ae800e463b7fbae44cea26167300');
  // The fixture's app id (tests/vectors/keys.md), which its k256_signature was issued for.
  const g = await upstream.getKey('/test/path', 'test-purpose', 'secp256k1');
  const chain = recoverChain('test-purpose', secp256k1.getPublicKey(g.key, true),
                             g.signature_chain[0], g.signature_chain[1],
                             '5bb4ff9a3837357f19dc176407a5709c62eb6c56');
  assert.equal(chain.appPub, UPSTREAM_APP_PUB);
  assert.equal(chain.kmsPub, UPSTREAM_KMS_PUB);
});

test('upstream keys: Sign vectors (data "hello")', { skip: !upstream }, async () => {
  const data = utf8ToBytes('hello');
  const s = await upstream.sign('secp256k1', data);
  assert.equal(bytesToHex(s.signature),
    '4c5f038f26c2294e6647926a2f93d9c377d82feb4a053ff0ad856b59c428d49a73d86c665ac0f10d9218e79bf1bdd035d145ccf43c3f2d76a27ce3d877c3b1fe');
  assert.equal(bytesToHex(s.public_key), '036105f01d1fd781568f7c208b087b1c4f522601410ed7e9c7870d573de7c46d54');
  const e = await upstream.sign('ed25519', data);
  assert.equal(bytesToHex(e.signature),
    'ea96b5ca601a622062db4f06159fb33247e6393a64ecc1f576d92b18084f77872bba9c8787269b26ee545e251e08dd6f212ebf630e86b854b906ed945ec6a907');
  // Sign's chain: [signature, app sig over "signing:" hex(public_key), KMS sig]
  const chain = recoverChain('signing', e.public_key, e.signature_chain[1], e.signature_chain[2],
                             '5bb4ff9a3837357f19dc176407a5709c62eb6c56');
  assert.equal(chain.kmsPub, UPSTREAM_KMS_PUB);
});

for (const alg of ['ed25519', 'secp256k1', 'secp256k1_prehashed']) {
  test(`sign -> verify round trip: ${alg}`, async () => {
    const message = utf8ToBytes(`compat message for ${alg}`);
    const data = alg === 'secp256k1_prehashed' ? sha256(message) : message;
    const s = await sim.sign(alg, data);
    assert.equal(s.signature.length, 64);
    assert.equal(s.signature_chain.length, 3);
    assert.deepEqual(s.signature_chain[0], s.signature);
    assert.equal(s.public_key.length, alg === 'ed25519' ? 32 : 33);

    assert.equal((await sim.verify(alg, data, s.signature, s.public_key)).valid, true);
    // independent check with noble
    if (alg === 'ed25519') {
      assert.equal(ed25519.verify(s.signature, data, s.public_key), true);
    } else {
      assert.equal(secp256k1.verify(s.signature, sha256(message), s.public_key), true);
    }
    // tampered signature, other data: false (a JSON boolean, not an error)
    const bad = Uint8Array.from(s.signature);
    bad[7] ^= 0x01;
    const v = await sim.verify(alg, data, bad, s.public_key);
    assert.strictEqual(v.valid, false);
    const otherData = alg === 'secp256k1_prehashed' ? sha256(utf8ToBytes('other')) : utf8ToBytes('other');
    assert.strictEqual((await sim.verify(alg, otherData, s.signature, s.public_key)).valid, false);

    // the chain of Sign recovers to the same KMS root
    const appId = await simAppId();
    const chain = recoverChain('signing', s.public_key, s.signature_chain[1],
                               s.signature_chain[2], appId);
    assert.equal(chain.kmsPub, DEV_KMS_PUB);
  });
}

test('malformed inputs: 400 with a message, and the agent keeps serving', async () => {
  const data = utf8ToBytes('x');
  const s = await sim.sign('secp256k1', data);
  // verify() hands the body back as is, so the agent's {"error": ...} is visible
  const cases = [
    ['secp256k1', s.signature, s.public_key.slice(1), /^signature error$/],        // 32-byte key
    ['secp256k1', s.signature.slice(1), s.public_key, /^signature error$/],        // 63-byte sig
    ['secp256k1', s.signature, new Uint8Array(33), /^signature error$/],           // all-zero key
    ['ed25519', s.signature, s.public_key, /^invalid public key$/],                // 33-byte key
    ['rsa', s.signature, s.public_key, /^Unsupported algorithm$/],
  ];
  for (const [alg, sig, pub, want] of cases) {
    const r = await sim.verify(alg, data, sig, pub);
    assert.equal(r.valid, undefined);
    assert.match(r.error, want);
  }
  // The SDK refuses a wrong digest length itself, with upstream's text.
  await assert.rejects(sim.sign('secp256k1_prehashed', new Uint8Array(31)), /32-byte digest/);
  assert.equal((await sim.getKey('still/alive')).key.length, 32);
});
