/** Errors of the signing-key service, with stable codes callers can narrow on. */
export class KeyError extends Error {
  constructor(
    readonly code: 'ERR_KEY_DECRYPTION' | 'ERR_KEY_UNAVAILABLE' | 'ERR_KEY_SECRET_MISSING',
    message: string,
  ) {
    super(message);
    this.name = 'KeyError';
  }
}

/** Stored private keys cannot be decrypted with the configured secret(s): a settings problem. */
export class KeyDecryptionError extends KeyError {
  constructor(message: string) {
    super('ERR_KEY_DECRYPTION', message);
    this.name = 'KeyDecryptionError';
  }
}

/** No key can sign with the requested algorithm right now. */
export class KeyUnavailableError extends KeyError {
  constructor(message: string) {
    super('ERR_KEY_UNAVAILABLE', message);
    this.name = 'KeyUnavailableError';
  }
}
