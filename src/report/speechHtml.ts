// The speech audit as one self-contained page: verdict, error rates on training and held-out speech, the
// membership ROC, and the utterances it got wrong with audio players (inline WAV).
import type { SpeechAuditReport } from '../audit/speechAudit.js';
import { encodeWav } from '../data/audio.js';
import { attacksTable, rocChart } from './attacks.js';
import { base64, page } from './page.js';
import { escapeHtml } from './svg.js';

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export function renderSpeechAuditHtml(r: SpeechAuditReport): string {
  const row = (label: string, e: SpeechAuditReport['training']) =>
    `<tr><td>${label}</td><td>${e.utterances}</td><td>${pct(e.exact.estimate)} <small>(${pct(e.exact.low)} to ${pct(e.exact.high)})</small></td><td>${pct(e.characterErrorRate)}</td><td>${pct(e.wordErrorRate)}</td></tr>`;
  const worst = r.worst.map((w) => `<tr><td>${w.side}</td><td>${escapeHtml(w.reference)}</td><td>${escapeHtml(w.heard)}</td>` +
    `<td><audio controls src="data:audio/wav;base64,${base64(encodeWav({ sampleRate: 16000, samples: w.samples }))}"></audio></td></tr>`).join('');
  return page(`engram audit: ${r.model.file}`, `<h1>What does the speech model <code>${escapeHtml(r.model.file)}</code> remember?</h1>
<p class="verdict">${escapeHtml(r.verdict)}</p>
<p><small>dataset ${escapeHtml(r.dataset.name)}: ${r.dataset.utterances} utterances, speakers ${escapeHtml(r.dataset.speakers.slice(0, 20).join(', '))}; held out: ${escapeHtml(r.dataset.heldOutSpeakers.slice(0, 20).join(', '))}. ${r.model.steps} training steps. engram ${escapeHtml(r.engramVersion)}. 95% intervals in brackets.</small></p>
<div class="charts">${rocChart([r.membership])}</div>
<h2>How well it hears</h2>
<table><tr><th>utterances</th><th>n</th><th>transcribed exactly</th><th>character error rate</th><th>word error rate</th></tr>${row('training', r.training)}${row('held out', r.heldOut)}</table>
<h2>Membership inference on the CTC loss</h2>
${attacksTable([r.membership])}
<h2>What it got wrong</h2>
<table><tr><th>side</th><th>said</th><th>heard</th><th>audio</th></tr>${worst || '<tr><td colspan="4">nothing</td></tr>'}</table>`);
}
