/*
 * What each Claude model costs, in one table. Prices change: update the table and the date
 * together, and nowhere else.
 */

/** USD per million tokens. */
export interface ModelPrice {
  inputPerMillion: number;
  outputPerMillion: number;
}

/** When the prices below were read off Anthropic's price list (API, standard tier, no batch, no caching). */
export const PRICES_TAKEN_ON = '2025-11-24';

/**
 * Price per model id without its `-YYYYMMDD` snapshot suffix (see `priceOf`). Prompts over
 * 200K input tokens cost more on some models; the assistant's prompts stay far below that.
 */
export const MODEL_PRICES: Readonly<Record<string, ModelPrice>> = {
  'claude-opus-4-5': { inputPerMillion: 5, outputPerMillion: 25 },
  'claude-opus-4-1': { inputPerMillion: 15, outputPerMillion: 75 },
  'claude-opus-4': { inputPerMillion: 15, outputPerMillion: 75 },
  'claude-opus-4-0': { inputPerMillion: 15, outputPerMillion: 75 },
  // The app's default model. Priced at the Sonnet tier's rate; this entry was not re-read from the price list (no network where it was added): verify it.
  'claude-sonnet-4-6': { inputPerMillion: 3, outputPerMillion: 15 },
  'claude-sonnet-4-5': { inputPerMillion: 3, outputPerMillion: 15 },
  'claude-sonnet-4': { inputPerMillion: 3, outputPerMillion: 15 },
  'claude-sonnet-4-0': { inputPerMillion: 3, outputPerMillion: 15 },
  'claude-3-7-sonnet': { inputPerMillion: 3, outputPerMillion: 15 },
  'claude-haiku-4-5': { inputPerMillion: 1, outputPerMillion: 5 },
  'claude-3-5-haiku': { inputPerMillion: 0.8, outputPerMillion: 4 },
  'claude-3-haiku': { inputPerMillion: 0.25, outputPerMillion: 1.25 },
};

const SNAPSHOT_SUFFIX = /-\d{8}$/;

/**
 * The price of `model`: its exact id in the table, else the id without a trailing
 * `-YYYYMMDD` snapshot date (`claude-sonnet-4-5-20250929` is priced as `claude-sonnet-4-5`),
 * else null: the model is unknown (a local model server, a model newer than the table).
 */
export function priceOf(model: string): ModelPrice | null {
  return ownPrice(model) ?? ownPrice(model.replace(SNAPSHOT_SUFFIX, ''));
}

// Own keys only: a model named "constructor" must not find Object.prototype's.
function ownPrice(id: string): ModelPrice | null {
  return Object.hasOwn(MODEL_PRICES, id) ? MODEL_PRICES[id]! : null;
}

/** What an exchange cost in USD, or null when `model` has no price (see `priceOf`). */
export function estimateCost(model: string, inputTokens: number, outputTokens: number): number | null {
  const price = priceOf(model);
  if (!price) return null;
  return (inputTokens * price.inputPerMillion + outputTokens * price.outputPerMillion) / 1_000_000;
}
