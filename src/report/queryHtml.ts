// "Is my work in there?" as one self-contained page: per query, the answer in plain words, where its score
// falls among held-out and training examples, whether it is in the training split, and what is closest.
import type { ImageQueryItem, MembershipPlacement, TextQueryItem } from '../audit/query.js';
import { QUERY_ALPHA } from '../audit/query.js';
import { imageDataUri, page } from './page.js';
import { escapeHtml } from './svg.js';

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

function placement(p: MembershipPlacement): string {
  return `<p class="verdict">${escapeHtml(p.answer)}</p>
<table><tr><th>loss on it</th><td>${Number.isFinite(p.loss) ? p.loss.toFixed(4) : 'not scored'}</td></tr>
<tr><th>p-value among ${p.heldOut} held-out examples</th><td>${Number.isFinite(p.loss) ? p.pValue.toFixed(4) : '-'}</td></tr>
<tr><th>training examples with a loss this low or lower</th><td>${pct(p.membersAtLeastAsLow.estimate)} <small>(${pct(p.membersAtLeastAsLow.low)} to ${pct(p.membersAtLeastAsLow.high)}) of ${p.members}</small></td></tr>
<tr><th>power: training examples flagged at ${pct(QUERY_ALPHA)} false alarms</th><td>${pct(p.powerAtAlpha.estimate)} <small>(${pct(p.powerAtAlpha.low)} to ${pct(p.powerAtAlpha.high)})</small></td></tr>
<tr><th>this exact item is in the training split</th><td>${p.inTrainingSet ? '<b>yes</b>' : 'no'}</td></tr></table>`;
}

export function renderTextQueryHtml(file: string, items: readonly TextQueryItem[]): string {
  const body = items.map((q, i) => `<h2>Query ${i + 1}: <code>${escapeHtml(q.query.input)}</code> ${escapeHtml(q.query.output.slice(0, 80))}${q.query.output.length > 80 ? '...' : ''}</h2>
${placement(q)}
<p>Longest run of it found verbatim in the training data: ${q.longestShared.length} characters${q.longestShared.length ? `, <mark>${escapeHtml(q.longestShared.match)}</mark>, in <code>${escapeHtml(q.longestShared.trainingLine)}</code>` : ''}.</p>
<p>What the model writes for its input (greedy, then three samples at temperature 1):</p><pre>${q.generations.map(escapeHtml).join('\n')}</pre>`).join('');
  return page(`engram: is it in ${file}?`, `<h1>Is it in <code>${escapeHtml(file)}</code>?</h1>${body}`);
}

export function renderImageQueryHtml(file: string, size: number, items: readonly ImageQueryItem[]): string {
  const figure = (pixels: Float32Array, caption: string) => `<figure><img src="${imageDataUri(pixels, size)}" alt="${escapeHtml(caption)}"><figcaption>${escapeHtml(caption)}</figcaption></figure>`;
  const body = items.map((q, i) => `<h2>Query ${i + 1}: ${escapeHtml(q.source)}</h2>
${placement(q)}
<div class="gallery">${figure(q.pixels, 'the query')}${figure(q.nearest.pixels, `nearest training image #${q.nearest.index} (${q.nearest.tags.join(', ')}), tiled L2 ${q.nearest.tiledL2.toFixed(3)}`)}
${figure(q.robust.pixels, `closest up to shifts, mirroring, colour, crops: #${q.robust.index}, ${q.robust.distance.toFixed(3)}`)}
${q.generations.map((g, j) => figure(g, `generated for those tags, seed ${j}`)).join('')}</div>`).join('');
  return page(`engram: is it in ${file}?`, `<h1>Is it in <code>${escapeHtml(file)}</code>?</h1>
<p>Each image is scored under the tags of the training image it is closest to (an image has no tags of its own here).</p>${body}`);
}
