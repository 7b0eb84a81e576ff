// The image generator audit as one self-contained HTML page: the verdict; near-copy rate curves for
// generations and held-out real images; the membership ROC; sample grids per condition and temperature;
// and a gallery where every generation sits beside its three nearest training images.
import type { Generation, ImageAuditReport, RobustlyMatched } from '../audit/imageAudit.js';
import { tileImages } from '../data/imageFile.js';
import { HELD_OUT, interval, MEMBER, pct } from './html.js';
import { attacksTable, referenceNote, rocChart } from './attacks.js';
import { imageDataUri, page } from './page.js';
import { escapeHtml, histogram, lineChart } from './svg.js';

const GALLERY = 24;

export function renderImageAuditHtml(r: ImageAuditReport): string {
  const m = r.membership;
  const size = r.dataset.size;
  const curve = (which: 'tiledL2' | 'l2' | 'robust', title: string) => lineChart([
    { name: `generated (${r.generations.length})`, color: MEMBER, points: zip(r.curves[which].generated) },
    { name: `real, never trained on (${r.baseline.matches.length})`, color: HELD_OUT, points: zip(r.curves[which].heldOut) },
  ], { title, xLabel: `distance threshold (${{ l2: 'normalised L2', tiledL2: 'tiled L2', robust: 'robust copy distance' }[which]})`, yLabel: 'share within threshold', yRange: [0, 1] });
  const rc = r.robustCopies;
  const losses = histogram([
    { name: `training (mean ${m.memberLoss.toFixed(4)})`, color: MEMBER, values: m.memberLosses },
    { name: `held-out (mean ${m.heldOutLoss.toFixed(4)})`, color: HELD_OUT, values: m.heldOutLosses },
  ], { title: 'Denoising loss per image', xLabel: `mean squared noise error at t = ${r.settings.lossSteps.join(', ')}`, yLabel: 'fraction of images' });
  const rates = [
    ...r.generated.byTemperature.map((t) => `<tr><td>generated at temperature ${t.temperature}</td><td>${interval(t.nearCopyRate, pct)}</td></tr>`),
    `<tr><th>all generated</th><td>${interval(r.generated.nearCopyRate, pct)}</td></tr>`,
    `<tr><th>real images never trained on (baseline: ${r.baseline.heldOut} held-out, ${r.baseline.outside} from outside the dataset)</th><td>${interval(r.baseline.nearCopyRate, pct)}</td></tr>`,
    `<tr><th>smallest excess over the baseline this comparison detects (80% power)</th><td>${pct(r.detectableExcess)}</td></tr>`,
  ].join('');
  return page(`engram audit: ${r.model.file}`, `<h1>Does the image model <code>${escapeHtml(r.model.file)}</code> copy its training images?</h1>
<p class="verdict">${escapeHtml(r.verdict)}</p>
<p><small>dataset ${escapeHtml(r.dataset.name)} ${escapeHtml(r.dataset.version)} (fingerprint ${r.dataset.fingerprint.slice(0, 16)}), ${r.dataset.examples} images at ${size}x${size},
${r.trainImages} in training; model trained ${r.model.steps} steps${r.model.sha256 ? `, weights sha256 ${r.model.sha256.slice(0, 16)}` : ''}.
${r.conditions.length} conditions x ${r.settings.temperatures.length} temperatures x ${r.settings.samples} images, ${r.settings.steps} DDIM steps, guidance ${r.settings.guidance}, seed ${r.settings.seed}.
engram ${escapeHtml(r.engramVersion)}. 95% intervals in brackets.</small></p>
<div class="charts">${curve('tiledL2', 'Near-copy rate vs tiled-L2 threshold')}${curve('l2', 'Near-copy rate vs L2 threshold')}${curve('robust', 'Near-copy rate vs robust copy distance')}${rocChart([m, ...r.attacks])}${losses}</div>
<h2>Near-copies</h2>
<p>A generation is a near-copy when its tiled-L2 distance to the nearest training image is below half the mean distance
from that training image to its ${r.ratioNeighbours} nearest training neighbours (Carlini et al. 2023; they used 50 among 50,000 images, engram 1% of the training set, between 2 and 50). Real images the model
never saw, give the rate expected without any copying (Somepalli et al. 2023); the curves above show the same comparison at every threshold.
${searchNote(r.search)}</p>
<table><tr><th>images</th><th>near-copy rate (ratio rule)</th></tr>${rates}</table>
<h3>Copies that are not pixel-exact</h3>
<p>The robust copy distance compares grey, blurred, standardised images and tries each generation shifted by up to 2 pixels, mirrored and cropped to its centre,
so a copy that was moved, flipped, recoloured or cropped still scores near 0 (unrelated images score about 1.4). The threshold is set on the real images
never trained on: ${pct(rc.falseAlarmRate)} of them fall below ${rc.threshold.toFixed(3)}.</p>
<table><tr><th>images</th><th>closer than ${rc.threshold.toFixed(3)} to a training image</th></tr>
<tr><td>generated</td><td>${interval(rc.generated, pct)}</td></tr><tr><td>real, never trained on (the false-alarm rate)</td><td>${interval(rc.baseline, pct)}</td></tr></table>
<h2>Membership inference on the denoising loss</h2>
<p>The loss attack averages the denoising loss over t = ${r.settings.lossSteps.join(', ')} (Carlini et al. 2023 found moderate noise levels the most telling).</p>
${attacksTable([m, ...r.attacks])}
${referenceNote(r.references)}
<table>${r.membershipBySteps.map((s) => `<tr><th>AUC at t = ${s.step} alone</th><td>${s.auc.toFixed(3)}</td></tr>`).join('')}
<tr><th>gap (held-out minus training loss)</th><td>${interval(m.lossGap, (x) => x.toFixed(4))}</td></tr></table>
<h2>Samples per condition and temperature</h2>
${gridTable(r)}
<h2>Every generation beside its nearest training images</h2>
<p>Most copy-like first (lowest ratio); ${GALLERY} of ${r.generations.length}. Red frame: near-copy by the ratio rule or the robust copy distance. Distances are tiled L2; the last image is the best match by robust copy distance.</p>
<div class="gallery">${[...r.generations].sort((a, b) => a.ratio - b.ratio).slice(0, GALLERY).map((g) => matchFigure(r, g, conditionLabel(r, g))).join('')}</div>
<h2>Baseline: held-out real images closest to the training set</h2>
<div class="gallery">${r.baseline.matches.map((match, i) => ({ match, i })).sort((a, b) => a.match.ratio - b.match.ratio).slice(0, 6)
    .map(({ match }) => matchFigure(r, match, 'held-out')).join('')}</div>`);
}

const zip = (c: { thresholds: readonly number[]; rates: readonly number[] }) => c.thresholds.map((t, i) => [t, c.rates[i]] as const);

function conditionLabel(r: ImageAuditReport, g: Generation): string {
  const tags = r.conditions[g.condition].tags;
  return `${tags.slice(0, 3).join(', ')}${tags.length > 3 ? ', ...' : ''} · T=${g.temperature}`;
}

function matchFigure(r: ImageAuditReport, m: RobustlyMatched & { pixels?: Float32Array; condition?: number }, label: string): string {
  // For tags taken from a training image, that image is the one a copying model would reproduce.
  const source = m.condition === undefined ? undefined : r.conditions[m.condition].sourceIndex;
  const size = r.dataset.size;
  const query = m.pixels ? `<figure><img src="${imageDataUri(m.pixels, size)}" alt="query"><figcaption>${escapeHtml(label)}<br>ratio ${m.ratio.toFixed(2)}</figcaption></figure>` : '';
  const neighbours = m.nearest.map((n) => {
    const pixels = r.trainPixels.get(n.index);
    return pixels ? `<figure><img src="${imageDataUri(pixels, size)}" alt="training image ${n.index}"><figcaption>train #${n.index}${n.index === source ? ' (its tags)' : ''}<br>${n.tiledL2.toFixed(3)}</figcaption></figure>` : '';
  }).join('');
  const robustPixels = r.trainPixels.get(m.robust.index);
  const robust = robustPixels ? `<figure><img src="${imageDataUri(robustPixels, size)}" alt="training image ${m.robust.index}"><figcaption>robust match #${m.robust.index}<br>${m.robust.distance.toFixed(3)}</figcaption></figure>` : '';
  const flagged = m.nearCopy || m.robust.distance < r.robustCopies.threshold;
  return `<div class="match${flagged ? ' flagged' : ''}">${query}${neighbours}${robust}</div>`;
}

function gridTable(r: ImageAuditReport): string {
  const size = r.dataset.size;
  const scale = Math.max(1, Math.ceil(32 / size));
  const rows = r.conditions.map((c, ci) => {
    const cells = r.settings.temperatures.map((t) => {
      const images = r.generations.filter((g) => g.condition === ci && g.temperature === t).map((g) => g.pixels);
      return `<td><img class="grid" src="${imageDataUri(tileImages(images, size, { columns: images.length, scale, gap: 1 }))}" alt="${escapeHtml(c.tags.join(', '))} at T=${t}"></td>`;
    }).join('');
    return `<tr><th>${escapeHtml(c.tags.join(', '))}</th>${cells}</tr>`;
  }).join('');
  return `<table><tr><th>tags</th>${r.settings.temperatures.map((t) => `<th>temperature ${t}</th>`).join('')}</tr>${rows}</table>`;
}

/** Which search found the nearest training images, and how well an index did against exact search. */
function searchNote(search: ImageAuditReport['search']): string {
  if (!search.recallAt1) return `Nearest training images: exact search in memory over ${search.images.toLocaleString('en-US')} images.`;
  const { tiledL2, l2, queries } = search.recallAt1;
  return `Nearest training images: ${escapeHtml(search.engine)} index over ${search.images.toLocaleString('en-US')} images; recall@1 against exact search on ${queries} of these queries: tiled L2 ${interval(tiledL2, pct)}, L2 ${interval(l2, pct)}.`;
}
