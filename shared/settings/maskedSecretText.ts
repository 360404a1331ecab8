import type { MaskedSecret } from './settings';

/**
 * How a secret is shown on the screen: bullets, then its last four characters when the page
 * has them. Kept apart from settings.ts and its schemas: the settings screen is part of the
 * page's start-up script, and importing this from there would build every settings schema as
 * the page loads.
 */
export function maskedSecretText(secret: MaskedSecret): string {
  return `••••${secret.lastFour ?? ''}`;
}
