/**
 * Variables of this test process's environment, set for a while and put back afterwards
 * (SDKs under test read their configuration from the environment).
 */
export class EnvironmentOverrides {
  private readonly saved = new Map<string, string | undefined>();

  /** Sets `name` (or unsets it, for undefined), remembering what it was the first time. */
  set(name: string, value: string | undefined): void {
    if (!this.saved.has(name)) this.saved.set(name, process.env[name]);
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }

  setAll(values: Record<string, string | undefined>): void {
    for (const [name, value] of Object.entries(values)) this.set(name, value);
  }

  /** Every variable back as it was before the first `set`. */
  restore(): void {
    for (const [name, value] of this.saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    this.saved.clear();
  }
}
