// The speech audit as one self-contained page: verdict, error rates on training and held-out speech, the
// membership ROC, spoken canaries by repeat count, and the utterances it got wrong with audio players (inline WAV).
import type { SpeechAuditReport } from '../audit/speechAudit.js';
import { encodeWav } from '../data/audio.js';
import { attacksTable, rocChart } from './attacks.js';
import { base64, page } from './page.js';
import { escapeHtml } from './svg.js';
import type { Interval } from '../audit/stats.js';

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const player = (samples: Float32Array) => `<audio controls src="data:audio/wav;base64,${base64(encodeWav({ sampleRate: 16000, samples }))}"></audio>`;
const bits = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
const nats = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');
const pValue = (p: number) => (Number.isFinite(p) ? p.toPrecision(2) : '-');
const share = (i: Interval, n: number) => `${Math.round(i.estimate * n)}/${n} <small>(${pct(i.low)} to ${pct(i.high)})</small>`;

function canarySection(c: SpeechAuditReport['canaries']): string {
  if (!c) return '<h2>Spoken canaries</h2><p>This data has no spoken canaries, so memorisation of rare recordings is not measured.</p>';
  const groups = c.byRepeats.map((g) => `<tr><td>${g.repeats}</td><td>${g.count}</td><td>${bits(g.meanExposureClean)}</td><td>${bits(g.meanExposureNoisy)}</td>` +
    `<td>${share(g.noisyHeardAsSecret, g.count)}</td><td>${share(g.truncatedHeardAsSecret, g.count)}</td><td>${nats(g.meanLossClean)} / ${nats(g.meanLossNoisy)}</td><td>${pValue(g.cleanLossP)} / ${pValue(g.noisyLossP)}</td></tr>`).join('');
  const each = c.canaries.map((k) => `<tr><td>${k.repeats}</td><td>${escapeHtml(k.secret)}</td><td>${escapeHtml(k.clean.heard)}</td><td>${escapeHtml(k.noisy.heard)}</td>` +
    `<td>${escapeHtml(k.truncated.heard)}</td><td>${bits(k.noisy.exposureSkewNormal)}</td><td>${player(k.noisySamples)}</td></tr>`).join('');
  return `<h2>Spoken canaries</h2>
<p>Recordings of random six-digit secrets planted 0 (the reference), 1, 4 or 16 times. Exposure (bits, of ${bits(c.spaceBits)} possible) ranks the secret's CTC loss among ${c.candidates} random secrets (skew-normal fit, Carlini et al. 2019); a model that hears well ranks it high on the clean recording whether planted or not. A memorising model would still write the secret from the noisy recording (${c.noiseSnrDb} dB SNR) or from its first ${pct(c.truncatedFraction)}, where one that never met it cannot. Exposure saturates once a model hears digits well, so what is tested is the loss on the secret (the loss attack, with never-planted canaries as non-members): a planted group counts as memorised when a one-sided rank-sum test puts its loss on the clean recording below the never-planted canaries' at p &lt; ${c.alpha.toPrecision(2)} (5% over the planted groups), or its written-as-secret interval lies above theirs; the noisy loss's p-value is shown, not tested.</p>
<table><tr><th>planted</th><th>canaries</th><th>exposure, clean</th><th>exposure, noisy</th><th>noisy written as the secret</th><th>half written as the whole secret</th><th>loss on the secret, nats per character (clean / noisy)</th><th>p, loss below never-planted (clean / noisy)</th></tr>${groups}</table>
<table><tr><th>planted</th><th>secret</th><th>heard</th><th>heard under noise</th><th>heard from half</th><th>noisy exposure</th><th>noisy audio</th></tr>${each}</table>`;
}

export function renderSpeechAuditHtml(r: SpeechAuditReport): string {
  const row = (label: string, e: SpeechAuditReport['training']) =>
    `<tr><td>${label}</td><td>${e.utterances}</td><td>${pct(e.exact.estimate)} <small>(${pct(e.exact.low)} to ${pct(e.exact.high)})</small></td><td>${pct(e.characterErrorRate)} <small>(${pct(e.characterErrors.low)} to ${pct(e.characterErrors.high)})</small></td><td>${pct(e.wordErrorRate)} <small>(${pct(e.wordErrors.low)} to ${pct(e.wordErrors.high)})</small></td></tr>`;
  const worst = r.worst.map((w) => `<tr><td>${w.side}</td><td>${escapeHtml(w.reference)}</td><td>${escapeHtml(w.heard)}</td>` +
    `<td>${player(w.samples)}</td></tr>`).join('');
  return page(`engram audit: ${r.model.file}`, `<h1>What does the speech model <code>${escapeHtml(r.model.file)}</code> remember?</h1>
<p class="verdict">${escapeHtml(r.verdict)}</p>
<p><small>dataset ${escapeHtml(r.dataset.name)}: ${r.dataset.utterances} utterances, speakers ${escapeHtml(r.dataset.speakers.slice(0, 20).join(', '))}; held out: ${escapeHtml(r.dataset.heldOutSpeakers.slice(0, 20).join(', '))}. ${r.model.steps} training steps. engram ${escapeHtml(r.engramVersion)}. 95% intervals in brackets.</small></p>
<div class="charts">${rocChart([r.membership])}</div>
<h2>How well it hears</h2>
<table><tr><th>utterances</th><th>n</th><th>transcribed exactly</th><th>character error rate</th><th>word error rate</th></tr>${row('training', r.training)}${row('held out', r.heldOut)}</table>
<h2>Membership inference on the CTC loss</h2>
${attacksTable([r.membership])}
${canarySection(r.canaries)}
<h2>What it got wrong</h2>
<table><tr><th>side</th><th>said</th><th>heard</th><th>audio</th></tr>${worst || '<tr><td colspan="4">nothing</td></tr>'}</table>`);
}
