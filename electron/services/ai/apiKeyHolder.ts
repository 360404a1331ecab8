/** Where the services read the Anthropic API key from, at each request. */
export interface ApiKeySource {
  /** The key to use now; null (or blank) when there is none. */
  readonly current: string | null;
}

/**
 * The Anthropic API key the running app uses. The settings screen replaces it, and the next
 * assistant request (or question generation) uses the new one without a restart; a request
 * already streaming finishes with the key it started with.
 */
export class ApiKeyHolder implements ApiKeySource {
  constructor(private key: string | null) {}

  /** The key in use now; null when there is none. */
  get current(): string | null {
    return this.key;
  }

  /** Uses `key` from the next request on; null leaves the assistant unavailable. */
  replace(key: string | null): void {
    this.key = key;
  }
}

/** The key a source holds now, trimmed; null when it holds none. */
export function currentApiKey(source: string | null | ApiKeySource): string | null {
  const key = typeof source === 'string' || source === null ? source : source.current;
  return key?.trim() || null;
}
