// The official JS SDK (@phala/dstack-sdk, tests/compat/node_modules) timed on the same calls
// and inputs as bench_sdk.c. Usage: node sdk_bench.mjs <compat dir> <socket> <calls> <loops>
// <compose json file> <kms x25519 pub hex> <app id hex> <pubkey hex> <signature hex> <ts>
// <GetKey key hex>
// Prints one JSON line: per call, [client CPU microseconds (process.cpuUsage: this process
// only, the agent excluded), wall microseconds].
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [compat, sock, callsArg, loopsArg, composeFile, kmsPub, appId, pubHex, sigHex, ts, keyHex] =
    process.argv.slice(2);
const sdkDir = `${compat}/node_modules/@phala/dstack-sdk/dist`;
const sdk = await import(pathToFileURL(`${sdkDir}/index.mjs`).href);
const { encryptEnvVars } = await import(pathToFileURL(`${sdkDir}/encrypt-env-vars.mjs`).href);
const { toViemAccount } = await import(pathToFileURL(`${sdkDir}/viem.mjs`).href);
const calls = Number(callsArg);
const loops = Number(loopsArg);

async function perCall(n, fn) {
    await fn(); // warm-up (JIT, first connection)
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
        await fn();
    }
    const wall = Number(process.hrtime.bigint() - t0) / 1e3 / n;
    const c = process.cpuUsage(c0);
    return [(c.user + c.system) / n, wall];
}

const client = new sdk.DstackClient(sock);
const rd = Buffer.alloc(64, 7);
const compose = JSON.parse(readFileSync(composeFile, 'utf8'));
const envs = [{ key: 'FOO', value: 'bar' }, { key: 'TOKEN', value: 'x'.repeat(64) }];
const pub = Buffer.from(pubHex, 'hex');
const sig = Buffer.from(sigHex, 'hex');
const signData = Buffer.alloc(32, 0x5a);
const signed = await client.sign('secp256k1', signData);
const keyResponse = { __name__: 'GetKeyResponse', key: Buffer.from(keyHex, 'hex'), signature_chain: [] };

const out = {
    getKey: await perCall(calls, () => client.getKey('bench/sdk', 'signing', 'secp256k1')),
    getQuote: await perCall(calls, () => client.getQuote(rd)),
    info: await perCall(calls, () => client.info()),
    sign: await perCall(calls, () => client.sign('secp256k1', signData)),
    verify: await perCall(calls, async () => {
        const v = await client.verify('secp256k1', signData, signed.signature, signed.public_key);
        if (!v.valid) {
            throw new Error('Verify said invalid');
        }
    }),
    getTlsKey: await perCall(calls, () => client.getTlsKey({ subject: 'bench' })),
    attest: await perCall(calls, () => client.attest(rd)),
    composeHash: await perCall(loops, () => sdk.getComposeHash(compose)),
    encryptEnv: await perCall(loops, () => encryptEnvVars(envs, kmsPub)),
    verifyEnvKey: await perCall(loops, () => {
        if (sdk.verifyEnvEncryptPublicKey(pub, sig, appId, BigInt(ts)) === null) {
            throw new Error('verifyEnvEncryptPublicKey rejected the signature');
        }
    }),
    ethAddress: await perCall(loops, () => {
        const warn = console.warn;
        console.warn = () => {}; // toViemAccount warns that it is deprecated on every call
        try {
            return toViemAccount(keyResponse).address;
        } finally {
            console.warn = warn;
        }
    }),
};
console.log(JSON.stringify(out));
