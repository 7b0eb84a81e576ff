// Membership attacks in every report: one ROC chart on log-log axes with every attack that ran (the loss
// attack first) and one table of AUC and TPR at resolvable low FPRs, all on the same examples.
import type { AttackResult } from '../audit/membership.js';
import { describeLowFpr } from '../audit/membership.js';
import type { ReferenceSummary } from '../audit/referenceAudit.js';
import type { Interval } from '../audit/stats.js';
import { escapeHtml, lineChart } from './svg.js';

const COLORS = ['#c0392b', '#8e44ad', '#16a085', '#d35400', '#2c3e50', '#27ae60', '#b7950b', '#7f8c8d', '#1f618d'];

const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : 'not measured');
const interval = (i: Interval, f: (x: number) => string) =>
  Number.isFinite(i.estimate) ? `${f(i.estimate)} <small>(${f(i.low)} to ${f(i.high)})</small>` : 'not measured';

/** ROC of every attack on log-log axes: they show the low-FPR regime, where an attack is dangerous. */
export function rocChart(attacks: readonly AttackResult[]): string {
  const heldOut = Math.max(1, ...attacks.map((a) => a.heldOut));
  const floor = 1 / heldOut / 2;
  return lineChart([
    ...attacks.map((a, i) => ({
      name: `${a.attack} (AUC ${a.auc.estimate.toFixed(3)})`, color: COLORS[i % COLORS.length],
      points: a.roc.map((p) => [Math.max(p.fpr, floor), Math.max(p.tpr, floor)] as const),
    })),
    { name: 'chance', color: '#888', points: [[floor, floor], [1, 1]], dashed: true },
  ], { title: 'Membership inference ROC', xLabel: 'false positive rate', yLabel: 'true positive rate', xLog: true, yLog: true, xRange: [floor, 1], yRange: [floor, 1] });
}

/** One row per attack: AUC and TPR at each low FPR (or why it cannot be resolved), with intervals. */
export function attacksTable(attacks: readonly AttackResult[]): string {
  const fprs = attacks[0]?.tprAtFpr.map((t) => t.fpr) ?? [];
  const rows = attacks.map((a) => `<tr><td>${escapeHtml(a.attack)}<br><small>${escapeHtml(a.about)}</small></td><td>${interval(a.auc, (x) => x.toFixed(3))}</td>` +
    a.tprAtFpr.map((t) => `<td>${t.tpr ? interval(t.tpr, pct) : describeLowFpr(t, a.heldOut, pct)}</td>`).join('') + '</tr>').join('');
  return `<table><tr><th>attack</th><th>AUC</th>${fprs.map((f) => `<th>TPR at ${pct(f)} FPR</th>`).join('')}</tr>${rows}</table>`;
}

/** What the reference models were, or how to get LiRA and RMIA when they were not run. */
export function referenceNote(summary: ReferenceSummary | undefined): string {
  if (!summary) return '<p>LiRA and RMIA were not run: add <code>--reference-models 8</code> to train reference models (as long as training the audited model, each).</p>';
  return `<p>LiRA and RMIA use ${summary.count} reference models of the same settings, each trained on a random half of the ${summary.poolSize} audited examples plus the ${summary.fillerSize} other training examples
(${summary.reused} reused from <code>${escapeHtml(summary.cacheDir)}</code>, the rest trained in ${summary.trainSeconds.toFixed(0)} s).</p>`;
}
