/** Errors of autofocus with a stable `code` (the dispatcher passes the code on as the error's reason). */
export type AutofocusErrorCode =
  | 'model-mismatch' // the model was trained for another optical setup
  | 'no-model' // no model for the current setup
  | 'no-content' // no focusable content in the field
  | 'bad-settings' // the settings file or an override is invalid
  | 'busy' // an autofocus already holds the stage
  | 'bad-reference'; // the white reference frame is not blank glass, clips or is dark

export class AutofocusError extends Error {
  constructor(
    readonly code: AutofocusErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AutofocusError';
  }
}
