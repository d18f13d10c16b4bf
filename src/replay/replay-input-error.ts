/**
 * A replay that cannot start: the input names no execution, its definition does not parse, it was
 * journaled by another machine version. The CLI prints the message and exits 2 (bad input).
 */
export class ReplayInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplayInputError';
  }
}
