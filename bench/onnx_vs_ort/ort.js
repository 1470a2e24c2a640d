// ONNX Runtime's side of bench/onnx_vs_ort, and the helpers run.sh needs:
//
//   node ort.js input SHAPE SEED OUT.npy          fixed random float32 input, uniform in [-1, 1)
//   node ort.js run MODEL NAME=IN.npy THREADS REPEAT OUTDIR
//        ONNX Runtime with all graph optimisations, one warm-up run, then REPEAT
//        timed runs; prints "median_ms=... min_ms=..." and writes each output as
//        OUTDIR/NAME.npy (names sanitized as jobfuse does)
//   node ort.js compare DIR_A DIR_B RTOL ATOL      every .npy of A against B's: prints
//        "match=yes|no outputs=N max_abs=... max_rel=... bad=..." (exit 0 either way)
//
// Only .npy files of float32 are written or compared; that is what the
// models take and give.
'use strict';
const fs = require('fs');
const path = require('path');

// ---- .npy, float32, C order (format 1.0 written, 1.0-3.0 read) ----

function npyWrite(file, dims, data) {
    const shape = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
    let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`;
    const total = Math.ceil((10 + header.length + 1) / 64) * 64;
    header = header.padEnd(total - 10 - 1, ' ') + '\n';
    const pre = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff,
                             header.length >> 8]);
    const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const tmp = `${file}.tmp.${process.pid}`;
    fs.writeFileSync(tmp, Buffer.concat([pre, Buffer.from(header, 'latin1'), body]));
    fs.renameSync(tmp, file);
}

function npyRead(file) {
    const buf = fs.readFileSync(file);
    if (buf.toString('latin1', 0, 6) !== '\x93NUMPY')
        throw new Error(`${file}: not a .npy file`);
    const major = buf[6];
    const len = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
    const start = major === 1 ? 10 : 12;
    const header = buf.toString('latin1', start, start + len);
    const descr = /'descr':\s*'([^']*)'/.exec(header)[1];
    const shape = /'shape':\s*\(([^)]*)\)/.exec(header)[1].split(',')
        .map((s) => s.trim()).filter((s) => s.length).map(Number);
    if (descr !== '<f4')
        throw new Error(`${file}: dtype ${descr}, only <f4 is compared`);
    const bytes = buf.subarray(start + len);
    const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset,
                                                     bytes.byteOffset + bytes.byteLength));
    return {dims: shape, data};
}

// The file name jobfuse gives an output: characters other than letters,
// digits, '.', '-' and '_' become '_', and so does a leading '.'.
function sanitize(name) {
    const s = name.replace(/[^A-Za-z0-9._-]/g, '_');
    return s.length === 0 ? '_' : s[0] === '.' ? '_' + s.slice(1) : s;
}

// ---- fixed random inputs: splitmix64's low bits, the same on every machine ----

function randomInput(dims, seed) {
    const n = dims.reduce((a, b) => a * b, 1);
    const out = new Float32Array(n);
    let s = BigInt(seed) & 0xffffffffffffffffn;
    const mask = 0xffffffffffffffffn;
    for (let i = 0; i < n; i++) {
        s = (s + 0x9e3779b97f4a7c15n) & mask;
        let z = s;
        z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & mask;
        z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & mask;
        z ^= z >> 31n;
        out[i] = Number(z >> 40n) / 8388608 - 1; // 24 bits -> [-1, 1)
    }
    return out;
}

// ---- ONNX Runtime ----

function median(xs) {
    const s = [...xs].sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function runOrt(model, inputArg, threads, repeat, outDir) {
    const ort = require('onnxruntime-node');
    const eq = inputArg.lastIndexOf('=');
    const name = inputArg.slice(0, eq);
    const x = npyRead(inputArg.slice(eq + 1));
    const session = await ort.InferenceSession.create(model, {
        graphOptimizationLevel: 'all', intraOpNumThreads: threads, interOpNumThreads: 1,
        executionMode: 'sequential', executionProviders: ['cpu'],
    });
    const feeds = {[name]: new ort.Tensor('float32', x.data, x.dims)};
    let out = await session.run(feeds); // warm-up
    const ms = [];
    for (let i = 0; i < repeat; i++) {
        const t0 = process.hrtime.bigint();
        out = await session.run(feeds);
        ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    fs.mkdirSync(outDir, {recursive: true});
    for (const key of session.outputNames)
        npyWrite(path.join(outDir, sanitize(key) + '.npy'), out[key].dims.map(Number),
                 out[key].data);
    console.log(`median_ms=${median(ms).toFixed(3)} min_ms=${Math.min(...ms).toFixed(3)}`);
}

// ---- comparing outputs: |a - b| <= atol + rtol * |b|, as numpy.allclose ----

function compare(dirA, dirB, rtol, atol) {
    let maxAbs = 0, maxRel = 0, bad = 0, outputs = 0, problems = [];
    for (const f of fs.readdirSync(dirA).filter((f) => f.endsWith('.npy')).sort()) {
        outputs++;
        const fileB = path.join(dirB, f);
        if (!fs.existsSync(fileB)) {
            problems.push(`${f} missing in ${dirB}`);
            continue;
        }
        const a = npyRead(path.join(dirA, f)), b = npyRead(fileB);
        if (a.dims.join('x') !== b.dims.join('x')) {
            problems.push(`${f}: shape ${a.dims.join('x')} vs ${b.dims.join('x')}`);
            continue;
        }
        for (let i = 0; i < a.data.length; i++) {
            const d = Math.abs(a.data[i] - b.data[i]);
            if (!(d <= atol + rtol * Math.abs(b.data[i])))
                bad++;
            if (!(d <= maxAbs)) maxAbs = d;
            const r = d / Math.max(Math.abs(b.data[i]), 1e-30);
            if (Math.abs(b.data[i]) > atol && r > maxRel) maxRel = r;
        }
    }
    const ok = outputs > 0 && bad === 0 && problems.length === 0;
    console.log(`match=${ok ? 'yes' : 'no'} outputs=${outputs} max_abs=${maxAbs.toExponential(2)} ` +
                `max_rel=${maxRel.toExponential(2)} bad=${bad}` +
                (problems.length ? ` problems="${problems.join('; ')}"` : ''));
}

async function main(argv) {
    const [cmd, ...a] = argv;
    if (cmd === 'input')
        npyWrite(a[2], a[0].split('x').map(Number), randomInput(a[0].split('x').map(Number), a[1]));
    else if (cmd === 'run')
        await runOrt(a[0], a[1], Number(a[2]), Number(a[3]), a[4]);
    else if (cmd === 'compare')
        compare(a[0], a[1], Number(a[2]), Number(a[3]));
    else
        throw new Error('usage: node ort.js input|run|compare ... (see the top of ort.js)');
}

main(process.argv.slice(2)).catch((e) => {
    console.error(`ort.js: ${e.message}`);
    process.exit(1);
});
