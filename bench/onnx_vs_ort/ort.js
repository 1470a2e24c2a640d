// ONNX Runtime's side of bench/onnx_vs_ort, and the helpers run.sh needs:
//
//   node ort.js input SHAPE SEED OUT.npy          fixed random float32 input, uniform in [-1, 1)
//   node ort.js run MODEL NAME=IN.npy THREADS REPEAT OUTDIR
//        ONNX Runtime with all graph optimisations, one warm-up run, then REPEAT
//        timed runs; prints "median_ms=... min_ms=..." and writes each output as
//        OUTDIR/NAME.npy (names sanitized as jobfuse does)
//   node ort.js compare DIR_A DIR_B RTOL ATOL      every .npy of A against B's: prints
//        "match=yes|no outputs=N max_abs=... max_rel=... bad=..." (exit 0 either way)
//   node ort.js profile MODEL NAME=IN.npy THREADS JOB.json TRACE.json
//        time per operator type: ONNX Runtime's own profiler (last of 4 runs) next to
//        a jobfuse trace of a run with one operator per target (see profile.sh)
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

// ---- time per operator type ----

// ONNX Runtime's profiler: kernel time per op type in the last of 4 runs.
async function ortOpTimes(model, inputArg, threads) {
    const ort = require('onnxruntime-node');
    const eq = inputArg.lastIndexOf('=');
    const x = npyRead(inputArg.slice(eq + 1));
    const prefix = path.join(require('os').tmpdir(), `ort_profile_${process.pid}`);
    const session = await ort.InferenceSession.create(model, {
        graphOptimizationLevel: 'all', intraOpNumThreads: threads, interOpNumThreads: 1,
        executionMode: 'sequential', enableProfiling: true, profileFilePrefix: prefix,
    });
    const feeds = {[inputArg.slice(0, eq)]: new ort.Tensor('float32', x.data, x.dims)};
    for (let i = 0; i < 4; i++)
        await session.run(feeds);
    session.endProfiling(); // writes PREFIX_DATE.json
    const dir = path.dirname(prefix);
    const file = path.join(dir, fs.readdirSync(dir).find((f) => f.startsWith(path.basename(prefix))));
    const events = JSON.parse(fs.readFileSync(file, 'utf8'));
    fs.unlinkSync(file);
    const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run');
    const last = runs[runs.length - 1];
    const times = {};
    for (const e of events)
        if (e.cat === 'Node' && e.name.endsWith('_kernel_time') && e.ts >= last.ts &&
            e.ts <= last.ts + last.dur)
            add(times, e.args.op_name, e.dur);
    return {times, total: last.dur};
}

function add(times, op, us) {
    const t = times[op] || (times[op] = {n: 0, us: 0});
    t.n++;
    t.us += us;
}

// A jobfuse trace of a run with one operator per target: the task's operator
// comes from its id when it names a node of the job, else from its position
// (the session makes one task per running operator, in the job's order).
function jobfuseOpTimes(jobFile, traceFile) {
    const job = JSON.parse(fs.readFileSync(jobFile, 'utf8'));
    const ops = job.tasks.filter((t) => t.op !== 'Input' && t.op !== 'Output');
    const byId = new Map(ops.map((t) => [t.id, t.op]));
    const slices = JSON.parse(fs.readFileSync(traceFile, 'utf8')).traceEvents
        .filter((e) => e.cat === 'target');
    const times = {};
    let total = 0;
    for (const e of slices) {
        const id = e.args.members[0];
        const op = byId.get(id.replace(/#.*$/, '')) ||
            (slices.length === ops.length ? ops[Number(id.slice(1))].op : '?');
        add(times, op, e.dur);
        total += e.dur;
    }
    return {times, total, mapped: slices.length === ops.length};
}

async function profile(model, inputArg, threads, jobFile, traceFile) {
    const o = await ortOpTimes(model, inputArg, threads);
    const j = jobfuseOpTimes(jobFile, traceFile);
    const ops = [...new Set([...Object.keys(o.times), ...Object.keys(j.times)])]
        .sort((a, b) => (j.times[b] || {us: 0}).us - (j.times[a] || {us: 0}).us);
    const ms = (t) => (t ? (t.us / 1000).toFixed(2) : '-').padStart(8);
    console.log(`${'op'.padEnd(22)} ${'ort n'.padStart(6)} ${'ort ms'.padStart(8)} ` +
                `${'jf n'.padStart(6)} ${'jf ms'.padStart(8)}  jf/ort`);
    for (const op of ops) {
        const a = o.times[op], b = j.times[op];
        console.log(`${op.padEnd(22)} ${String(a ? a.n : '-').padStart(6)} ${ms(a)} ` +
                    `${String(b ? b.n : '-').padStart(6)} ${ms(b)}  ` +
                    (a && b ? (b.us / a.us).toFixed(2) : '-'));
    }
    console.log(`${'run'.padEnd(22)} ${''.padStart(6)} ${ms({us: o.total})} ${''.padStart(6)} ` +
                `${ms({us: j.total})}  ${(j.total / o.total).toFixed(2)}` +
                (j.mapped ? '' : '  (jobfuse tasks not matched to operators: counts differ)'));
}

async function main(argv) {
    const [cmd, ...a] = argv;
    if (cmd === 'input')
        npyWrite(a[2], a[0].split('x').map(Number), randomInput(a[0].split('x').map(Number), a[1]));
    else if (cmd === 'run')
        await runOrt(a[0], a[1], Number(a[2]), Number(a[3]), a[4]);
    else if (cmd === 'compare')
        compare(a[0], a[1], Number(a[2]), Number(a[3]));
    else if (cmd === 'profile')
        await profile(a[0], a[1], Number(a[2]), a[3], a[4]);
    else
        throw new Error('usage: node ort.js input|run|compare|profile ... (see the top of ort.js)');
}

main(process.argv.slice(2)).catch((e) => {
    console.error(`ort.js: ${e.message}`);
    process.exit(1);
});
