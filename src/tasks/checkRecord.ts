// One place that knows every task's model: a weights file is checked by building its model from the file
// and freeing it, which refuses tensors that do not fit the file's own config (engram inspect, the studio).
import { WeightsFormatError } from '../errors.js';
import type { ModelRecord } from '../weights/modelFile.js';
import { IMAGE_TASK, imageModelFromRecord } from './image.js';
import { SPEECH_TASK, speechModelFromRecord } from './speech.js';
import { TAGGER_TASK, taggerFromRecord } from './tagger.js';
import { TEXT_TASK, textModelFromRecord } from './text.js';

const BUILDERS: Record<string, (record: ModelRecord, location: string) => { model: { dispose(): void } }> = {
  [TEXT_TASK]: textModelFromRecord, [IMAGE_TASK]: imageModelFromRecord, [TAGGER_TASK]: taggerFromRecord, [SPEECH_TASK]: speechModelFromRecord,
};

export function checkModelRecord(record: ModelRecord, location: string): void {
  const build = BUILDERS[record.task];
  if (!build) throw new WeightsFormatError(`${location}: unknown task ${record.task}`);
  build(record, location).model.dispose();
}
