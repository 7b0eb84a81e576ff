// The tagger audit as one self-contained HTML page: verdict, ROC, loss histograms, and a gallery of the
// training images the tagger fits best, each with its loss and how many held-out images it beats.
import type { TaggerAuditReport } from '../audit/taggerAudit.js';
import { HELD_OUT, interval, MEMBER, pct } from './html.js';
import { attacksTable, referenceNote, rocChart } from './attacks.js';
import { imageDataUri as dataUri, page } from './page.js';
import { escapeHtml, histogram } from './svg.js';

export function renderTaggerAuditHtml(r: TaggerAuditReport): string {
  const m = r.membership;
  const losses = histogram([
    { name: `training (mean ${m.memberLoss.toFixed(3)})`, color: MEMBER, values: m.memberLosses },
    { name: `held-out (mean ${m.heldOutLoss.toFixed(3)})`, color: HELD_OUT, values: m.heldOutLosses },
  ], { title: 'Per-image loss', xLabel: 'loss', yLabel: 'fraction of images' });
  const gallery = r.memorised.map((img) => `<figure><img src="${dataUri(img.pixels, r.dataset.size)}" alt="${escapeHtml(img.tags.join(', '))}">` +
    `<figcaption>${escapeHtml(img.tags.slice(0, 3).join(', '))}<br>loss ${img.loss.toFixed(4)}; ${pct(img.heldOutBelow)} of held-out below</figcaption></figure>`).join('');
  return page(`engram audit: ${r.model.file}`, `<h1>What does the tagger <code>${escapeHtml(r.model.file)}</code> remember?</h1>
<p class="verdict">${escapeHtml(r.verdict)}</p>
<p><small>dataset ${escapeHtml(r.dataset.name)} ${escapeHtml(r.dataset.version)} (fingerprint ${r.dataset.fingerprint.slice(0, 16)}), ${r.dataset.examples} images at ${r.dataset.size}x${r.dataset.size};
audited ${m.members} training and ${m.heldOut} held-out images, seed ${r.settings.seed}. engram ${escapeHtml(r.engramVersion)}. 95% intervals in brackets.</small></p>
<div class="charts">${rocChart([m, ...r.attacks])}${losses}</div>
<h2>Membership inference</h2>
<table><tr><th>gap (held-out minus training loss)</th><td>${interval(m.lossGap)}</td></tr></table>
${attacksTable([m, ...r.attacks])}
${referenceNote(r.references)}
<h2>The training images it fits best</h2>
<p>Lowest loss first. An image fit better than every held-out image is a candidate for memorisation rather than learning.</p>
<div class="gallery">${gallery}</div>`);
}
