/** Errors of the virtual microscope's optics: one human sentence, plus a stable code to branch on. */
export type OpticsErrorCode =
  | 'SLIDE_MISSING'
  | 'SLIDE_UNREADABLE'
  | 'SLIDE_EMPTY'
  | 'SLIDE_TOO_LARGE'
  | 'SLIDE_TOO_SMALL'
  | 'BAD_RANGE'
  | 'BAD_OPTION'
  | 'OUTPUT';

export class OpticsError extends Error {
  constructor(
    readonly code: OpticsErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'OpticsError';
  }
}
