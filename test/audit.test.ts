// The audit against planted truth: a model made to memorise must be caught, and one that has not had the
// chance to memorise must not be. Also the fingerprint check and the report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeDataset, splitDataset, type Dataset } from '../src/data/index.js';
import { DatasetError } from '../src/errors.js';
import { runTextAudit, TEXT_AUDIT_DEFAULTS, type TextAuditReport } from '../src/audit/textAudit.js';
import type { CanarySpec } from '../src/data/canaries.js';
import { renderTextAuditHtml } from '../src/report/html.js';
import { generateText, loadTextModel, trainTextModel } from '../src/tasks/text.js';
import { MemoryStorage } from '../src/weights/storage.js';
import { ready, TINY_MODEL, tinyTrain, wordnetAdverbs, wordnetSlice } from './helpers.js';

await ready;

async function trainAndAudit(dataset: Dataset, model: typeof TINY_MODEL, train: ReturnType<typeof tinyTrain>, heldOutFraction: number, settings: { examples: number; prefixLengths: number[]; suffixLength: number }, canaries?: CanarySpec) {
  const storage = new MemoryStorage();
  const split = { splitSeed: 0, heldOutFraction };
  const outcome = await trainTextModel({ dataset, out: 'm.safetensors', model, train, split, storage, canaries });
  const loaded = await loadTextModel(storage, 'm.safetensors');
  const report = await runTextAudit({ ...loaded, file: 'm.safetensors', fileBytes: storage.files.get('m.safetensors')!.length, dataset, settings: { ...TEXT_AUDIT_DEFAULTS, ...settings, temperatures: [0, 1], samples: 12, maxTokens: 60, canaryCandidates: 200, canarySeed: canaries?.seed ?? 0 } });
  return { outcome, loaded, report, split };
}

test('a tiny model overfit on 40 examples recites them, and the audit flags it', async () => {
  // 40 WordNet adverbs cut to 30 characters, 30 of them in training, trained for many epochs.
  const dataset = makeDataset('forty', '1', wordnetSlice(40).examples.map((e) => ({ input: e.input, output: e.output.slice(0, 30) })));
  const { outcome, loaded, report, split } = await trainAndAudit(dataset, { ...TINY_MODEL, nEmbd: 64, nHead: 4, blockSize: 32 },
    tinyTrain({ steps: 300, batchSize: 32, learningRate: 1e-2, minLearningRate: 1e-3, warmupSteps: 20, evalEvery: 100, weightDecay: 0, keep: 'last' }),
    0.25, { examples: 100, prefixLengths: [8, 16], suffixLength: 12 });
  // Windows that start mid-example cannot know its beginning, so even perfect recall leaves some loss.
  assert.ok(outcome.lastEval.trainLoss < 0.35, `train loss ${outcome.lastEval.trainLoss}`);
  const members = splitDataset(dataset, split).train;
  const recited = members.filter((e) => generateText(loaded, e.input, { temperature: 0, topK: 0, topP: 1, seed: 0, samples: 1, maxTokens: 60 })[0] === e.output);
  assert.ok(recited.length >= members.length * 0.8, `recited ${recited.length} of ${members.length}`);

  // From 16 characters (often mid-word: similar synonym lists can still be confused) most members are
  // extracted, and far more of them than of held-out examples.
  const row = report.extraction.rows[1];
  assert.ok(row.members.rate.estimate > 0.5, `member extraction ${row.members.rate.estimate}`);
  assert.ok(row.members.rate.low > row.heldOut.rate.high, `members ${JSON.stringify(row.members)} vs held-out ${JSON.stringify(row.heldOut)}`);
  assert.ok(report.membership.auc.estimate > 0.9, `AUC ${report.membership.auc.estimate}`);
  assert.ok(report.membership.lossGap.low > 0, 'held-out loss is clearly higher');
  assert.match(report.verdict, /has memorised/);
  // Free generation at T=0 recites: its texts share far longer verbatim runs with the training set.
  const greedy = report.regurgitation.byTemperature[0].stats;
  assert.ok(greedy.meanLongest > 20, `mean longest run at T=0: ${greedy.meanLongest}`);
  assert.ok(report.regurgitation.worst[0].trainingExample.includes(report.regurgitation.worst[0].match));
  assertReportRenders(report);
  loaded.model.dispose();
});

test('a model trained briefly on plenty of data is not flagged', async () => {
  const { loaded, report } = await trainAndAudit(wordnetAdverbs(), TINY_MODEL, tinyTrain({ steps: 30, batchSize: 16, evalEvery: 30 }), 0.1,
    { examples: 150, prefixLengths: [8, 16], suffixLength: 8 });
  const auc = report.membership.auc;
  assert.ok(auc.low < 0.5 && auc.high > 0.5, `AUC ${auc.estimate} (${auc.low}-${auc.high}) should include chance`);
  for (const row of report.extraction.rows) {
    // Overlapping intervals: no more extraction from members than from unseen examples.
    assert.ok(row.members.rate.low <= row.heldOut.rate.high, `k=${row.prefixLength}: ${JSON.stringify(row)}`);
  }
  assert.match(report.verdict, /no sign of memorisation/);
  assert.ok(report.capacity.maxVerbatimFraction < 1);
  loaded.model.dispose();
});

test('canaries planted 16 times are far more exposed than never-planted ones', async () => {
  const { loaded, report } = await trainAndAudit(wordnetSlice(150), { ...TINY_MODEL, nEmbd: 48, blockSize: 48 },
    tinyTrain({ steps: 200, batchSize: 16, learningRate: 1e-2, minLearningRate: 1e-3, evalEvery: 200 }), 0.2,
    { examples: 20, prefixLengths: [8], suffixLength: 8 }, { count: 3, repeats: [0, 16], seed: 5 });
  const [never, often] = report.exposure!.byRepeats;
  assert.equal(never.repeats, 0);
  assert.ok(often.meanExposureSkewNormal > never.meanExposureSkewNormal + 4, `exposure ${often.meanExposureSkewNormal} vs ${never.meanExposureSkewNormal}`);
  assert.ok(never.meanExposureInterpolated < 3, `never-planted canaries look like random secrets: ${never.meanExposureInterpolated}`);
  assert.match(report.verdict, /planted 16 times reach an exposure/);
  await assert.rejects(() => runTextAudit({ ...loaded, file: 'm', fileBytes: 1, dataset: wordnetSlice(150), settings: { ...TEXT_AUDIT_DEFAULTS, canarySeed: 6, examples: 5, samples: 1, temperatures: [1] } }),
    (e: unknown) => e instanceof DatasetError && /--canary-seed/.test(e.message));
  loaded.model.dispose();
});

test('the audit refuses a dataset that is not the one the model was trained on', async () => {
  const storage = new MemoryStorage();
  await trainTextModel({ dataset: wordnetSlice(100), out: 'm.safetensors', model: TINY_MODEL, train: tinyTrain({ steps: 2, evalEvery: 2 }), split: { splitSeed: 0, heldOutFraction: 0.2 }, storage });
  const loaded = await loadTextModel(storage, 'm.safetensors');
  await assert.rejects(() => runTextAudit({ ...loaded, file: 'm.safetensors', fileBytes: 1, dataset: wordnetSlice(101), settings: { ...TEXT_AUDIT_DEFAULTS, examples: 10, prefixLengths: [4], suffixLength: 4, temperatures: [1], samples: 2, maxTokens: 10 } }),
    (e: unknown) => e instanceof DatasetError && /not the one m.safetensors was trained on/.test(e.message));
  loaded.model.dispose();
});

function assertReportRenders(report: TextAuditReport): void {
  const html = renderTextAuditHtml(report);
  assert.match(html, /^<!doctype html>/);
  assert.equal((html.match(/<svg /g) ?? []).length, report.exposure ? 5 : 4);
  assert.doesNotMatch(html, /NaN|undefined|<script|https?:\/\//);
  assert.ok(JSON.parse(JSON.stringify(report)).verdict.length > 100);
}

test('an example whose input is longer than the context is scored on its output, not its input', async () => {
  const { scoredWindow, exampleLosses } = await import('../src/audit/exampleLoss.js');
  const { CharTokenizer, EOS, SEP } = await import('../src/codecs/charTokenizer.js');
  const { Gpt } = await import('../src/models/gpt.js');
  const { tidy } = await import('../src/engine/index.js');
  // [<eos>, 20 input chars, <sep>, 3 output chars, <eos>] in a window of 9 tokens: the window ends at the
  // output's <eos> and keeps <sep>.
  const tokens = [EOS, ...Array.from({ length: 20 }, (_, i) => 10 + i), SEP, 40, 41, 42, EOS];
  assert.deepEqual(scoredWindow(tokens, 9), [25, 26, 27, 28, 29, SEP, 40, 41, 42, EOS].slice(-9));
  // An output longer than the window: the window starts at <sep> and scores as much output as fits.
  const long = [EOS, 10, 11, SEP, ...Array.from({ length: 12 }, (_, i) => 40 + i), EOS];
  assert.deepEqual(scoredWindow(long, 6), [SEP, 40, 41, 42, 43, 44]);
  // Through a model: the scored tokens are the output's 3 characters and its <eos>, and the loss is theirs.
  const example = { input: 'abcdefghijklmnopqrst', output: 'xyz' };
  const tokenizer = CharTokenizer.fromExamples([example]);
  const model = Gpt.init({ ...TINY_MODEL, blockSize: 8, vocabSize: tokenizer.size }, 2);
  const [scored] = exampleLosses(model, tokenizer, [example]);
  assert.equal(scored.scoredTokens, 4);
  const window = scoredWindow([...tokenizer.encodeExample(example), EOS], 9);
  const perToken = tidy(() => model.tokenLosses({ batchSize: 1, time: 8, inputs: Int32Array.from(window.slice(0, -1)), targets: Int32Array.from(window.slice(1)) }, { training: false, seed: 0 }).toArray());
  const expected = (perToken[4] + perToken[5] + perToken[6] + perToken[7]) / 4;
  assert.ok(Math.abs(scored.natsPerToken - expected) < 1e-6, `${scored.natsPerToken} vs ${expected}`);
  model.dispose();
});
