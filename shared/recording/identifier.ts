import { z } from 'zod';

/** True when `text` has an unpaired UTF-16 surrogate, which SQLite would store as U+FFFD. */
export function hasLoneSurrogate(text: string): boolean {
  return /\p{Surrogate}/u.test(text);
}

/**
 * A name stored in its own column (ids, file names): between `min` and `max` characters and
 * well-formed UTF-16, so it reads back exactly as written and its hash still matches.
 */
export function identifierSchema(max: number) {
  return z
    .string()
    .min(1)
    .max(max)
    .refine((text) => !hasLoneSurrogate(text), 'contains an unpaired UTF-16 surrogate');
}
