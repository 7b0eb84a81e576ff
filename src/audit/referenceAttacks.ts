// Membership attacks calibrated by reference models: models of the same config trained on random halves of
// the audit pool, so that for every audited example some reference models saw it and some did not.
// - LiRA (Carlini et al. 2022, "Membership Inference Attacks From First Principles"): per example, fit a
//   Gaussian to the logit-scaled confidence of the reference models that saw it (IN) and of those that did
//   not (OUT); the score is the likelihood ratio of the target's confidence under the two (online), or how
//   far above the OUT Gaussian it sits (offline, only models that did not see it).
//   With few reference models the per-example variances are noise, so each is shrunk towards the variance
//   pooled over all examples (a prior worth PRIOR_MODELS models); Carlini et al. use one global variance
//   below 64 models, which is the limit of this as the prior's weight grows.
// - RMIA (Zarifzadeh et al. 2024, "Low-Cost High-Power Membership Inference Attacks"): the likelihood ratio
//   of x under the target and under the average reference model, compared pairwise with the same ratio of
//   population examples z; the score is the share of z that x beats. It stays strong with 1-4 models.
// Pure functions on plain arrays of log-likelihoods (higher = the model fits the example better).

export interface ReferenceScores {
  /** Log-likelihood of each pool example under the audited model. */
  readonly target: readonly number[];
  /** [model][example]: log-likelihood under each reference model. */
  readonly references: readonly (readonly number[])[];
  /** [model][example]: whether that reference model was trained on that example. */
  readonly included: readonly (readonly boolean[])[];
}

/** Prior weight, in models, of the pooled variance in each example's variance estimate. */
export const PRIOR_MODELS = 4;

/** Logit of the confidence p = exp(logLikelihood): log p - log(1 - p), which is close to Gaussian across models. */
export function logitConfidence(logLikelihood: number): number {
  const ll = Math.min(logLikelihood, -1e-9);
  return ll - Math.log(-Math.expm1(ll));
}

interface SideStats {
  readonly mean: number;
  readonly variance: number;
  readonly count: number;
}

function sideStats(values: readonly number[]): SideStats {
  const n = values.length;
  const mean = n ? values.reduce((a, b) => a + b, 0) / n : NaN;
  const variance = n > 1 ? values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : NaN;
  return { mean, variance, count: n };
}

/** Variance pooled over examples (within-example), a fallback when there is no spread to pool. */
function pooledVariance(sides: readonly SideStats[], fallback: number): number {
  let sum = 0;
  let dof = 0;
  for (const s of sides) if (s.count > 1) {
    sum += s.variance * (s.count - 1);
    dof += s.count - 1;
  }
  return dof > 0 && sum > 0 ? sum / dof : fallback;
}

const shrink = (s: SideStats, prior: number) => ((Number.isFinite(s.variance) ? s.variance * (s.count - 1) : 0) + prior * PRIOR_MODELS) / (Math.max(s.count - 1, 0) + PRIOR_MODELS);

const logGauss = (x: number, mean: number, variance: number) => -0.5 * Math.log(2 * Math.PI * variance) - ((x - mean) ** 2) / (2 * variance);

/** The IN and OUT Gaussians of every example, with a shared offset standing in where a side has no models. */
function gaussians(r: ReferenceScores) {
  const n = r.target.length;
  const inside = Array.from({ length: n }, (_, i) => sideStats(r.references.filter((_, k) => r.included[k][i]).map((row) => logitConfidence(row[i]))));
  const outside = Array.from({ length: n }, (_, i) => sideStats(r.references.filter((_, k) => !r.included[k][i]).map((row) => logitConfidence(row[i]))));
  const spread = sideStats(r.target.map(logitConfidence)).variance || 1;
  const priorIn = pooledVariance(inside, pooledVariance(outside, spread));
  const priorOut = pooledVariance(outside, priorIn);
  const both = inside.map((s, i) => s.mean - outside[i].mean).filter(Number.isFinite);
  const offset = both.length ? both.reduce((a, b) => a + b, 0) / both.length : 0;
  return inside.map((s, i) => {
    const o = outside[i];
    const inMean = s.count ? s.mean : o.mean + offset;
    const outMean = o.count ? o.mean : s.mean - offset;
    return { inMean, outMean, inVariance: shrink(s, priorIn), outVariance: shrink(o, priorOut) };
  });
}

/** LiRA scores, higher = more likely a member; online uses IN and OUT models, offline OUT models only. */
export function liraScores(r: ReferenceScores, variant: 'online' | 'offline'): number[] {
  checkShapes(r);
  const g = gaussians(r);
  return r.target.map((ll, i) => {
    const x = logitConfidence(ll);
    const { inMean, outMean, inVariance, outVariance } = g[i];
    if (variant === 'offline') return (x - outMean) / Math.sqrt(outVariance);
    return logGauss(x, inMean, inVariance) - logGauss(x, outMean, outVariance);
  });
}

/**
 * RMIA scores: for each example x, the share of population examples z with
 * [p(x | target) / p(x)] / [p(z | target) / p(z)] > 1, where p(.) averages the reference models' likelihoods.
 * `population[i]` marks the pool examples that serve as z (held-out ones); x is never compared with itself.
 */
export function rmiaScores(r: ReferenceScores, population: readonly boolean[]): number[] {
  checkShapes(r);
  const logRatio = r.target.map((ll, i) => {
    const refs = r.references.map((row) => row[i]);
    const top = Math.max(...refs);
    const logMean = top + Math.log(refs.reduce((a, x) => a + Math.exp(x - top), 0) / refs.length);
    return ll - logMean;
  });
  const z = logRatio.filter((_, i) => population[i]).sort((a, b) => a - b);
  return logRatio.map((x, i) => {
    const below = countBelow(z, x);
    const self = population[i] ? 1 : 0; // x's own ratio is never below itself, so only the count shrinks
    return below / Math.max(z.length - self, 1);
  });
}

function countBelow(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function checkShapes(r: ReferenceScores): void {
  if (r.references.length === 0) throw new Error('reference attacks need at least one reference model');
  for (const [k, row] of r.references.entries()) {
    if (row.length !== r.target.length || r.included[k]?.length !== r.target.length) throw new Error(`reference model ${k}: ${row.length} scores for ${r.target.length} examples`);
  }
}
