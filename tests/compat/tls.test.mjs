// TLS certificates through the official JS SDK 0.5.8, parsed with node's crypto.X509Certificate:
// getTlsKey with alt names and every usage flag (CN, SANs, KeyUsage, EKU, the dstack
// extensions), the chain verifying to the app CA, the returned key matching the leaf, fresh keys
// per call, notBefore/notAfter honoured (UTCTime and GeneralizedTime), withAppInfo and usageRaTls
// (report data = SHA-512("ratls-cert:" || SPKI) inside the attestation extension), and the
// tappd DeriveKey vectors of tests/vectors/keys.md on upstream's simulator files.
// Rules: upstream dstack/ra-tls/src/cert.rs, docs/api/GetTlsKey.md, docs/api/DeriveKey.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey, createPublicKey, createHash } from 'node:crypto';
import { DstackClient, TappdClient } from '@phala/dstack-sdk';

const sim = new DstackClient(process.env.DSTACK_SIMULATOR_ENDPOINT);
const upstreamTappd = process.env.DSTACK_UPSTREAM_TAPPD_ENDPOINT;

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
// DER of the OIDs (upstream dstack/ra-tls/src/cert.rs): 1.3.6.1.4.1.62397.1.{4,8,9} and KeyUsage with upstream's
// non-minimal BIT STRING (03 03 07 80 00 = digitalSignature), critical.
const OID_CERT_USAGE = '060a2b0601040183e73d0104';
const OID_ATTESTATION = '060a2b0601040183e73d0108';
const OID_APP_INFO = '060a2b0601040183e73d0109';
const KEY_USAGE_EXT = '0603551d0f0101ff0405030307800';

function parseChain(res) {
  assert.equal(res.certificate_chain.length, 2);
  const leaf = new X509Certificate(res.certificate_chain[0]);
  const ca = new X509Certificate(res.certificate_chain[1]);
  return { leaf, ca, hex: leaf.raw.toString('hex') };
}

const spki = (keyObject) => keyObject.export({ type: 'spki', format: 'der' });
const seconds = (dateText) => Date.parse(dateText) / 1000;

test('getTlsKey: CN, SANs, KeyUsage, EKU, chain to the CA, key matches the leaf', async () => {
  const res = await sim.getTlsKey({
    subject: 'compat.example',
    altNames: ['compat.example', 'www.compat.example', '127.0.0.1'],
    usageRaTls: true,
    usageServerAuth: true,
    usageClientAuth: true,
  });
  const { leaf, ca, hex } = parseChain(res);
  assert.equal(leaf.subject, 'CN=compat.example');
  assert.equal(leaf.subjectAltName,
               'DNS:compat.example, DNS:www.compat.example, IP Address:127.0.0.1');
  assert.deepEqual([...leaf.keyUsage].sort(), [SERVER_AUTH, CLIENT_AUTH]); // node: EKU OIDs
  assert.ok(hex.includes(KEY_USAGE_EXT), 'KeyUsage digitalSignature, critical');
  assert.ok(hex.includes(OID_CERT_USAGE));
  assert.equal(leaf.ca, false);
  assert.equal(ca.ca, true);
  assert.equal(leaf.issuer, ca.subject);
  assert.equal(ca.subject, 'O=Dstack\nCN=Dstack KMS CA');
  assert.ok(leaf.checkIssued(ca));
  assert.ok(leaf.verify(ca.publicKey), 'the leaf is signed by the CA');
  assert.ok(ca.verify(ca.publicKey), 'the CA is self-signed');
  // The returned PKCS#8 key is the leaf's key.
  const priv = createPrivateKey(res.key);
  assert.equal(priv.asymmetricKeyType, 'ec');
  assert.equal(priv.asymmetricKeyDetails.namedCurve, 'prime256v1');
  assert.ok(leaf.checkPrivateKey(priv));
  assert.deepEqual(spki(createPublicKey(priv)), spki(leaf.publicKey));
  assert.ok(res.key.startsWith('-----BEGIN PRIVATE KEY-----\n') && !res.key.includes('\r'));
  // asUint8Array: the PKCS#8 DER.
  assert.deepEqual(Buffer.from(res.asUint8Array()), priv.export({ type: 'pkcs8', format: 'der' }));
  // The issuing CA is the one every other call chains to (the keys file's ca_cert).
  const again = await sim.getTlsKey({ subject: 'x' });
  assert.equal(again.certificate_chain[1], res.certificate_chain[1]);
});

test('getTlsKey: two calls give different keys, serials and certificates', async () => {
  const a = await sim.getTlsKey({ subject: 'same', altNames: ['same'] });
  const b = await sim.getTlsKey({ subject: 'same', altNames: ['same'] });
  assert.notEqual(a.key, b.key);
  const la = new X509Certificate(a.certificate_chain[0]);
  const lb = new X509Certificate(b.certificate_chain[0]);
  assert.notEqual(la.serialNumber, lb.serialNumber);
  assert.notDeepEqual(spki(la.publicKey), spki(lb.publicKey));
  assert.ok(!la.checkPrivateKey(createPrivateKey(b.key)));
});

test('getTlsKey: usage flags select the EKU', async () => {
  const cases = [
    [{}, [SERVER_AUTH]], // usageServerAuth defaults to true
    [{ usageServerAuth: false, usageClientAuth: true }, [CLIENT_AUTH]],
    [{ usageServerAuth: true, usageClientAuth: true }, [CLIENT_AUTH, SERVER_AUTH].sort()],
  ];
  for (const [opts, want] of cases) {
    const { leaf } = parseChain(await sim.getTlsKey({ subject: 'eku', ...opts }));
    assert.deepEqual([...(leaf.keyUsage ?? [])].sort(), want, JSON.stringify(opts));
  }
  const none = parseChain(await sim.getTlsKey({ subject: 'eku', usageServerAuth: false }));
  assert.equal(none.leaf.keyUsage, undefined, 'no EKU extension without usages');
  assert.ok(!none.hex.includes('0603551d25'));
});

test('getTlsKey: notBefore/notAfter honoured, GeneralizedTime from 2050', async () => {
  const cases = [
    [1700000000, 1800000000],
    [1600000000, 2600000000], // 2052: GeneralizedTime
    [0, 253402300799],        // 9999-12-31T23:59:59Z, the last encodable second
  ];
  for (const [nb, na] of cases) {
    const res = await sim.getTlsKey({ subject: 'validity', notBefore: nb, notAfter: na });
    const { leaf, ca } = parseChain(res);
    assert.equal(seconds(leaf.validFrom), nb, leaf.validFrom);
    assert.equal(seconds(leaf.validTo), na, leaf.validTo);
    assert.ok(leaf.verify(ca.publicKey));
  }
  // 2052 is written as GeneralizedTime (18 0f "20520524..."), 2023 as UTCTime (17 0d).
  const { hex } = parseChain(await sim.getTlsKey({ subject: 'v', notBefore: 1700000000,
                                                   notAfter: 2600000000 }));
  assert.ok(hex.includes('170d' + Buffer.from('231114221320Z').toString('hex')));
  assert.ok(hex.includes('180f' + Buffer.from('20520522141320Z').toString('hex')));
  const bad = await sim.getTlsKey({ subject: 'v', notBefore: 1800000000, notAfter: 1700000000 });
  assert.equal(bad.error, 'not_before must be earlier than not_after');
});

test('getTlsKey: withAppInfo adds the app-info extension, only when asked', async () => {
  const info = await sim.info();
  const withInfo = parseChain(await sim.getTlsKey({ subject: 'ai', withAppInfo: true }));
  const without = parseChain(await sim.getTlsKey({ subject: 'ai', withAppInfo: false }));
  const plain = parseChain(await sim.getTlsKey({ subject: 'ai' }));
  assert.ok(withInfo.hex.includes(OID_APP_INFO));
  assert.ok(!without.hex.includes(OID_APP_INFO));
  assert.ok(!plain.hex.includes(OID_APP_INFO));
  // msgpack bin fields of the app info: app_id (bin8, 20 bytes) and compose_hash (32 bytes).
  assert.ok(withInfo.hex.includes('c414' + info.app_id), 'app_id in the app info');
  assert.ok(withInfo.hex.includes('c420' + info.compose_hash), 'compose_hash in the app info');
  assert.ok(withInfo.leaf.verify(withInfo.ca.publicKey));
});

test('getTlsKey: usageRaTls binds the leaf key through the quote report data', async () => {
  const res = await sim.getTlsKey({ subject: 'ratls', usageRaTls: true });
  const { leaf, ca, hex } = parseChain(res);
  assert.ok(hex.includes(OID_ATTESTATION));
  const reportData = createHash('sha512').update('ratls-cert:').update(spki(leaf.publicKey))
    .digest('hex');
  // The quote's REPORTDATA and the attestation's report_data field both carry it.
  const first = hex.indexOf(reportData);
  assert.ok(first > 0, 'report data in the attestation');
  assert.ok(hex.indexOf(reportData, first + 1) > first, 'twice: quote and report_data field');
  assert.ok(leaf.verify(ca.publicKey));
  const plain = parseChain(await sim.getTlsKey({ subject: 'ratls', usageRaTls: false }));
  assert.ok(!plain.hex.includes(OID_ATTESTATION));
});

// The JS SDK resolves a 400 answer with its body (send_rpc_request parses any status), so the
// agent's {"error": ...} text is what the caller sees.
test('getTlsKey: bad inputs come back as the agent\'s 400 text', async () => {
  const cases = [
    // Over a Unix socket the SDK writes Content-Length: payload.length (UTF-16 units, not bytes:
    // dist/index.mjs send_rpc_request), so a non-ASCII body arrives one byte short and the agent
    // answers the JSON error; over HTTP it uses Buffer.byteLength and rcgen's IA5 error comes back.
    [{ altNames: ['bücher.example'] },
     /^(Invalid IA5String: 'bücher\.example'|'\}' expected near end of file.*)$/],
    [{ notBefore: 0, notAfter: 253402300800 }, /not_after is out of range/],
  ];
  for (const [opts, want] of cases) {
    const res = await sim.getTlsKey({ subject: 'x', ...opts });
    assert.match(res.error, want);
    assert.equal(res.certificate_chain, undefined);
  }
});

// tests/vectors/keys.md: tappd DeriveKey(path, random_seed=false) on upstream's simulator keys.
const DERIVE_VECTORS = [
  {
    path: '',
    serial: '449aa0488531e18749bdc444f5f30e3743293073',
    pem: '-----BEGIN PRIVATE KEY-----\n' +
      'MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgqiIa5Ui1qPUvy4aH\n' +
      'z9hzcS9qEjKycX5e49WKt08hkFuhRANCAASKsjepekWIat50KbJyyOuHS36a4t0R\n' +
      'pOHSlbNIb0V/HiZIxBx9lep43f0XALNXkz1yhgyYDNhy6LqFVaA9Wkn8\n' +
      '-----END PRIVATE KEY-----\n',
    spki: '3059301306072a8648ce3d020106082a8648ce3d030107034200048ab237a97a45886ade7429b272c8eb' +
      '874b7e9ae2dd11a4e1d295b3486f457f1e2648c41c7d95ea78ddfd1700b357933d72860c980cd872e8ba85' +
      '55a03d5a49fc',
  },
  { path: '/', serial: '673b6ffc6b7ed60f3387db077fef0dcfc1fbbda5',
    scalar: 'f6c1ed94488394d78e0a4e5ab75d62e9f085d73b0b555d0614fb90ca13d9464d' },
  { path: 'test', serial: '752f5d779e7ee4fa54f46a2e81255ab5f646bfbe',
    scalar: '133e8ca6e532ead3e38f00347408771da296e9c70e8e3e362f485154e64ef4e8' },
];

test('TappdClient.deriveKey reproduces the upstream vectors (upstream simulator files)',
     { skip: !upstreamTappd && 'DSTACK_UPSTREAM_TAPPD_ENDPOINT not set (fixtures absent)' },
     async () => {
  const tappd = new TappdClient(upstreamTappd);
  for (const v of DERIVE_VECTORS) {
    const res = await tappd.deriveKey(v.path, 'derive.example', ['derive.example']);
    const { leaf, ca } = parseChain(res);
    assert.equal(leaf.serialNumber.toLowerCase(), v.serial, `serial of "${v.path}"`);
    assert.ok(leaf.verify(ca.publicKey));
    assert.ok(leaf.checkPrivateKey(createPrivateKey(res.key)));
    if (v.pem) {
      assert.equal(res.key, v.pem);
      assert.equal(spki(leaf.publicKey).toString('hex'), v.spki);
    }
    if (v.scalar) {
      const jwk = createPrivateKey(res.key).export({ format: 'jwk' });
      assert.equal(Buffer.from(jwk.d, 'base64url').toString('hex'), v.scalar);
    }
    // Deterministic: the same path gives the same key again.
    const again = await tappd.deriveKey(v.path, 'other.example');
    assert.equal(again.key, res.key);
  }
});
