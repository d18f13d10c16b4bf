import { readFileSync } from 'node:fs';
const p = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const names = process.argv.slice(3);
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map(); for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const counts = new Map(); let total = 0;
p.samples.forEach((id, i) => { const d = p.timeDeltas[i] ?? 0; counts.set(id, (counts.get(id) ?? 0) + d); total += d; });
const incl = new Map();
for (const [id, t] of counts) { const seen = new Set(); let cur = id; while (cur !== undefined) { const n = byId.get(cur); const k = n.callFrame.functionName; if (names.includes(k) && !seen.has(k)) { seen.add(k); incl.set(k, (incl.get(k) ?? 0) + t); } cur = parent.get(cur); } }
for (const k of names) console.log(((incl.get(k) ?? 0) / 1000).toFixed(0).padStart(7), 'ms', (100 * (incl.get(k) ?? 0) / total).toFixed(1).padStart(5), '%', k);
console.log('total', (total / 1000).toFixed(0));
