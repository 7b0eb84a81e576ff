// The audit report as one self-contained HTML page: the verdict in plain words first, then the charts
// (inline SVG), then the tables and the worst cases. Readable offline; no scripts.
import type { TextAuditReport } from '../audit/textAudit.js';
import type { ExtractionCount } from '../audit/extraction.js';
import type { Interval } from '../audit/stats.js';
import { page } from './page.js';
import { escapeHtml, histogram, lineChart } from './svg.js';
import { attacksTable, referenceNote, rocChart } from './attacks.js';

export const MEMBER = '#c0392b';
export const HELD_OUT = '#2471a3';

/** A figure that could not be computed on this data shows as "not measured", never as NaN. */
export const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : 'not measured');
export const interval = (i: Interval, f: (x: number) => string = (x) => x.toFixed(3)) =>
  Number.isFinite(i.estimate) ? `${f(i.estimate)} <small>(${f(i.low)} to ${f(i.high)})</small>` : 'not measured';
const mb = (bits: number) => (Number.isFinite(bits) ? `${(bits / 8e6).toFixed(2)} MB` : 'not measured');
const rate = (c: ExtractionCount) => `${interval(c.rate, pct)} <small>${c.extracted}/${c.eligible}</small>`;

function extractionChart(r: TextAuditReport): string {
  const side = (pick: (row: TextAuditReport['extraction']['rows'][number]) => ExtractionCount) => ({
    points: r.extraction.rows.map((row) => [row.prefixLength, pick(row).rate.estimate] as const),
    errors: r.extraction.rows.map((row) => [pick(row).rate.low, pick(row).rate.high] as const),
  });
  return lineChart([
    { name: 'training examples', color: MEMBER, ...side((row) => row.members) },
    { name: 'held-out examples', color: HELD_OUT, ...side((row) => row.heldOut) },
  ], { title: `Verbatim extraction of the next ${r.extraction.suffixLength} characters`, xLabel: 'prompt length k (characters)', yLabel: 'fraction extracted', yRange: [0, 1] });
}

function lossChart(r: TextAuditReport): string {
  return histogram([
    { name: `training (mean ${r.membership.memberLoss.toFixed(3)})`, color: MEMBER, values: r.membership.memberLosses },
    { name: `held-out (mean ${r.membership.heldOutLoss.toFixed(3)})`, color: HELD_OUT, values: r.membership.heldOutLosses },
  ], { title: 'Per-example loss', xLabel: 'loss (nats per character)', yLabel: 'fraction of examples' });
}

function longestMatchChart(r: TextAuditReport): string {
  const g = r.regurgitation;
  const free = g.byTemperature.find((t) => t.temperature === 1) ?? g.byTemperature.at(-1)!;
  return histogram([
    { name: `generated, T=${free.temperature} (mean ${free.stats.meanLongest.toFixed(1)})`, color: MEMBER, values: free.stats.longest },
    { name: `held-out text (mean ${g.heldOut.meanLongest.toFixed(1)})`, color: HELD_OUT, values: g.heldOut.longest },
  ], { title: 'Longest verbatim run shared with the training set', xLabel: 'characters', yLabel: 'fraction of texts' }, 20);
}

function regurgitationSection(r: TextAuditReport): string {
  const g = r.regurgitation;
  const row = (label: string, s: TextAuditReport['regurgitation']['heldOut']) =>
    `<tr><td>${label}</td><td>${s.texts}</td><td>${s.meanLongest.toFixed(1)}</td><td>${s.medianLongest}</td>${Object.values(s.coverage).map((c) => `<td>${pct(c)}</td>`).join('')}</tr>`;
  const worst = g.worst.length
    ? g.worst.map((w) => `<tr><td>${w.temperature}</td><td><code>${highlight(w.generated, w.match)}</code></td><td><code>${highlight(w.trainingExample, w.match)}</code></td></tr>`).join('')
    : '<tr><td colspan="3">no overlap at all</td></tr>';
  return `<h2>Regurgitation in free generation</h2>
<p>${g.samplesPerTemperature} texts sampled without a prompt at each temperature; for each, the longest run of characters that occurs verbatim in the training set, and the share of characters inside runs of at least L characters. The baseline is held-out text, never trained on.
${g.index && g.index.exactFrom > 1 ? ` Matches were looked up in ${escapeHtml(g.index.engine)}: runs shorter than ${g.index.exactFrom} characters are not seen and count as 0, so the longest-run columns are lower bounds below ${g.index.exactFrom}; the coverage columns are exact.` : ''}</p>
<table><tr><th>text</th><th>n</th><th>mean longest run</th><th>median</th>${Object.keys(g.heldOut.coverage).map((L) => `<th>in runs of ${L}+</th>`).join('')}</tr>
${g.byTemperature.map((t) => row(`generated, T=${t.temperature}`, t.stats)).join('')}${row('held-out examples', g.heldOut)}</table>
<h3>Longest runs, beside the training example they come from</h3>
<table><tr><th>T</th><th>generated</th><th>training example</th></tr>${worst}</table>`;
}

/** Escapes text and marks the first occurrence of `match` in it. */
function highlight(text: string, match: string): string {
  const i = match ? text.indexOf(match) : -1;
  if (i < 0) return escapeHtml(text);
  return `${escapeHtml(text.slice(0, i))}<mark>${escapeHtml(match)}</mark>${escapeHtml(text.slice(i + match.length))}`;
}

function exposureSection(r: TextAuditReport): string {
  const e = r.exposure;
  if (!e) return '<h2>Canary exposure</h2><p>Not measured: this model was trained without <code>--canaries</code>.</p>';
  const chart = lineChart([
    { name: 'each canary (skew-normal)', color: MEMBER, points: e.canaries.map((c) => [c.repeats, c.exposureSkewNormal] as const) },
    { name: 'mean per repeat count', color: '#333', points: e.byRepeats.map((g) => [g.repeats, g.meanExposureSkewNormal] as const) },
    { name: `interpolation ceiling log2(M+1) = ${Math.log2(e.candidates + 1).toFixed(1)}`, color: '#888', dashed: true, points: [[0, Math.log2(e.candidates + 1)], [Math.max(...e.byRepeats.map((g) => g.repeats)), Math.log2(e.candidates + 1)]] },
  ], { title: 'Canary exposure vs repetitions', xLabel: 'times the secret was in the training data', yLabel: 'exposure (bits)', yRange: [0, e.spaceBits] });
  const rows = e.byRepeats.map((g) => `<tr><td>${g.repeats}</td><td>${g.count}</td><td>${g.meanExposureInterpolated.toFixed(2)}</td><td>${g.meanExposureSkewNormal.toFixed(2)}</td><td>${g.extracted}/${g.count}</td></tr>`).join('');
  return `<h2>Canary exposure</h2>
<p>Random secrets of the form "the code for locker N is 123 456 789" (10<sup>9</sup> possible, ${e.spaceBits.toFixed(1)} bits) were planted in the training data 0 or more times.
Exposure (Carlini et al. 2019) is how far up the model ranks the real secret among all possible ones: 0 bits = no better than a random secret, ${e.spaceBits.toFixed(1)} bits = the first guess. Estimated from ${e.candidates} random candidates per canary.</p>
<div class="charts">${chart}</div>
<table><tr><th>repeats</th><th>canaries</th><th>mean exposure, interpolation</th><th>mean exposure, skew-normal</th><th>extracted by greedy decoding</th></tr>${rows}</table>`;
}

export function renderTextAuditHtml(r: TextAuditReport): string {
  const rows = r.extraction.rows.map((row) => `<tr><td>${row.prefixLength}</td><td>${rate(row.members)}</td><td>${rate(row.heldOut)}</td>` +
    `<td>${Object.entries(row.membersByOccurrences).map(([b, c]) => `${b}x: ${pct(c.rate.estimate)} (${c.eligible})`).join('; ')}</td></tr>`).join('');
  const cases = r.extraction.examples.length
    ? r.extraction.examples.map((e) => `<tr><td><code>${escapeHtml(e.prompt)}</code></td><td><code>${escapeHtml(e.continuation)}</code></td><td>${e.occurrences}</td></tr>`).join('')
    : '<tr><td colspan="3">none: no training example was reproduced verbatim</td></tr>';
  const c = r.capacity;
  return page(`engram audit: ${r.model.file}`, `<h1>What does <code>${escapeHtml(r.model.file)}</code> remember?</h1>
<p class="verdict">${escapeHtml(r.verdict)}</p>
<p><small>${escapeHtml(r.model.kind)} model for ${escapeHtml(r.model.task)}${r.model.sha256 ? ` (sha256 ${r.model.sha256.slice(0, 16)})` : ''}, ${c.parameters.toLocaleString('en-US')} parameters, ${r.model.steps} training steps;
dataset ${escapeHtml(r.dataset.name)} ${escapeHtml(r.dataset.version)} (fingerprint ${r.dataset.fingerprint.slice(0, 16)}): ${r.dataset.members.toLocaleString('en-US')} training and ${r.dataset.heldOut.toLocaleString('en-US')} held-out examples, ${r.dataset.duplicateCount} exact duplicates.
Audited ${r.membership.members} training and ${r.membership.heldOut} held-out examples, seed ${r.settings.seed}. engram ${escapeHtml(r.engramVersion)}. 95% intervals in brackets.</small></p>
<div class="charts">${rocChart([r.membership, ...r.attacks])}${extractionChart(r)}${lossChart(r)}${longestMatchChart(r)}</div>
<h2>Verbatim extraction</h2>
<p>Prompted with the first k characters of an example (counting the separators), does greedy decoding write its next ${r.extraction.suffixLength} characters exactly? (Carlini et al. 2022)</p>
<table><tr><th>k</th><th>training examples</th><th>held-out examples</th><th>training, by occurrences in the dataset</th></tr>${rows}</table>
<h2>Membership inference</h2>
<p>Each attack scores every audited example; an attack that separates training from held-out examples shows the model treats them differently.
The loss attack guesses "trained on" when the loss is low; the others correct it for how easy the text is, by itself or by reference models.</p>
<table><tr><th>mean loss, training</th><td>${r.membership.memberLoss.toFixed(3)} nats/char</td></tr>
<tr><th>mean loss, held-out</th><td>${r.membership.heldOutLoss.toFixed(3)} nats/char</td></tr>
<tr><th>gap (held-out minus training)</th><td>${interval(r.membership.lossGap)}</td></tr></table>
${attacksTable([r.membership, ...r.attacks])}
${referenceNote(r.references)}
${regurgitationSection(r)}
${exposureSection(r)}
<h2>Capacity</h2>
<table><tr><th>weights file</th><td>${mb(c.weightsFileBits)}</td></tr>
<tr><th>capacity at 2 to 3.6 bits/parameter</th><td>${mb(c.capacityBits.low)} to ${mb(c.capacityBits.high)} (${c.capacityBitsPerExample.toFixed(1)} bits per training example)</td></tr>
<tr><th>training set: raw / gzip / brotli</th><td>${mb(c.trainBits.raw)} / ${mb(c.trainBits.gzip)} / ${mb(c.trainBits.brotli)}</td></tr>
<tr><th>training set under the model's own code</th><td>${mb(c.trainBits.modelCodeLength)} (outputs given inputs)</td></tr>
<tr><th>most that could be stored verbatim</th><td>${pct(c.maxVerbatimFraction)}</td></tr></table>
<h2>Extracted training examples</h2>
<table><tr><th>prompt</th><th>continuation written by the model, identical to the training example</th><th>occurrences</th></tr>${cases}</table>`);
}
