// Named errors that carry the offending value. The CLI maps each to a one-line message and an exit code;
// anything else is a bug and is shown with its stack.

export class EngramError extends Error {
  readonly exitCode: number = 1;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A config key that does not exist, or a value of the wrong type or range. */
export class ConfigError extends EngramError {
  override readonly exitCode = 2;
}

/** A data file that is missing, empty, binary, or otherwise unusable as a dataset. */
export class DatasetError extends EngramError {}

/** A weights file that is truncated, corrupt, or of another model kind. */
export class WeightsFormatError extends EngramError {}

/** Input to a model that it cannot take, e.g. characters outside its vocabulary. */
export class InputError extends EngramError {}

/** Training stopped on purpose (NaN loss, Ctrl-C); the message says where the last good state is. */
export class TrainingStopped extends EngramError {
  constructor(message: string, override readonly exitCode: number) {
    super(message);
  }
}
