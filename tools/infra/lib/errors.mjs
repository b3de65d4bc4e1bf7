/** An infrastructure failure with a message that says what is wrong and how to fix it. */
export class InfraError extends Error {
  /** @param {string} message  @param {string} [hint] */
  constructor(message, hint) {
    super(hint ? `${message}\n  how to fix: ${hint}` : message);
    this.name = 'InfraError';
  }
}
