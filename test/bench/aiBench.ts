import Anthropic from '@anthropic-ai/sdk';
import { ClaudeService } from '../../electron/services/ai/claudeService';
import { buildSystemPrompt } from '../../electron/services/ai/systemPrompt';
import { configForDataDir } from '../../electron/services/config';
import { createServices } from '../../electron/services/container';
import type { ChatContext, ChatMessage } from '../../shared/ai/chat';
import { startAnthropicLoopbackServer } from '../helpers/anthropicLoopbackServer';
import type { BenchResult } from './benchResult';
import { formatMs, summarize } from './stats';
import { withTempDir } from './withTempDir';

/*
 * The Claude AI Service's own cost, against the loopback Messages API server in this process:
 * the same answer streamed through streamChatCompletion and through the bare SDK
 * (`client.messages.create({ stream: true })`, iterating its raw events), on one shared SDK
 * client, in interleaved rounds. Then how fast an abort ends the service's iterator.
 */

/** How the ai bench is sized. */
export interface AiBenchOptions {
  /** Deltas in each streamed answer. */
  deltas: number;
  /** Timed rounds (one stream through the service, one through the bare SDK) with the deltas arriving one by one. */
  pacedRounds: number;
  /** Timed rounds with all the deltas arriving at once. */
  burstRounds: number;
  /** Untimed rounds before each timed set. */
  warmupRounds: number;
  /** Aborted streams timed. */
  abortRounds: number;
  /** Pause between the deltas of the streams that get aborted. */
  abortStreamDelayMs: number;
}

export const DEFAULT_AI_BENCH_OPTIONS: AiBenchOptions = { deltas: 200, pacedRounds: 150, burstRounds: 300, warmupRounds: 30, abortRounds: 30, abortStreamDelayMs: 20 };

const MODEL = 'claude-haiku-4-5';
const KEY = 'sk-ant-bench';
const MESSAGES: ChatMessage[] = [{ role: 'user', content: 'Why does my binary search loop forever when the target is missing?' }];
const CONTEXT: ChatContext = {
  problemTitle: 'Binary Search',
  problemDescription: 'Given a sorted array of integers and a target, return the index of the target or -1.',
  language: 'typescript',
  currentCode: `function search(nums: number[], target: number): number {\n  let lo = 0, hi = nums.length - 1;\n  while (lo <= hi) {\n    const mid = (lo + hi) >> 1;\n    if (nums[mid] === target) return mid;\n    if (nums[mid] < target) lo = mid; else hi = mid;\n  }\n  return -1;\n}\n`,
};

interface StreamTiming {
  ttft: number;
  total: number;
}

/** Answers ~4 characters per delta, as tokens are. */
function answerPieces(count: number): string[] {
  const words = ['The ', 'loop ', 'never ', 'ends ', 'because ', 'lo ', '= mid ', 'can ', 'repeat; ', 'use ', 'mid + 1.'];
  return Array.from({ length: count }, (_, index) => words[index % words.length]!);
}

/** Runs `a` and `b` once per round; even rounds run `a` first, odd rounds `b` first, so drift hits both alike. */
async function interleaved(rounds: number, a: () => Promise<StreamTiming>, b: () => Promise<StreamTiming>): Promise<{ a: StreamTiming[]; b: StreamTiming[] }> {
  const results = { a: [] as StreamTiming[], b: [] as StreamTiming[] };
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      results.a.push(await a());
      results.b.push(await b());
    } else {
      results.b.push(await b());
      results.a.push(await a());
    }
  }
  return results;
}

/** Runs the ai bench; timings are reported, not asserted. */
export async function runAiBench(options: AiBenchOptions = DEFAULT_AI_BENCH_OPTIONS): Promise<BenchResult[]> {
  const server = await startAnthropicLoopbackServer({ apiKey: KEY });
  try {
    const pieces = answerPieces(options.deltas);
    const client = new Anthropic({ apiKey: KEY, baseURL: server.url, maxRetries: 0 });
    const service = new ClaudeService({ apiKey: KEY, model: MODEL, client });
    // The raw SDK sends the request the service would: same model, prompt and messages.
    const rawParams = { model: MODEL, max_tokens: 4096, system: buildSystemPrompt(CONTEXT), messages: MESSAGES, stream: true as const };

    const raw = async (): Promise<StreamTiming> => {
      const startedAt = performance.now();
      let ttft = -1;
      const stream = await client.messages.create(rawParams);
      for await (const event of stream) {
        if (ttft < 0 && event.type === 'content_block_delta' && event.delta.type === 'text_delta') ttft = performance.now() - startedAt;
      }
      return { ttft, total: performance.now() - startedAt };
    };
    const viaService = async (): Promise<StreamTiming> => {
      const startedAt = performance.now();
      let ttft = -1;
      for await (const chunk of service.streamChatCompletion(MESSAGES, CONTEXT)) {
        if (ttft < 0 && !chunk.done) ttft = performance.now() - startedAt;
      }
      return { ttft, total: performance.now() - startedAt };
    };

    // Paced: each delta written in its own event-loop turn, so it reaches the SDK on its own,
    // as the API's deltas do (they are generated tens of ms apart); no waiting is added.
    server.setDefault({ kind: 'text', text: pieces, delayMs: 0, inputTokens: 480 });
    await interleaved(options.warmupRounds, viaService, raw);
    const paced = await interleaved(options.pacedRounds, viaService, raw);
    // Burst: every delta in one read, so the SDK's parsing and ours are all that is timed.
    server.setDefault({ kind: 'text', text: pieces, inputTokens: 480 });
    await interleaved(options.warmupRounds, viaService, raw);
    const burst = await interleaved(options.burstRounds, viaService, raw);
    const p50 = (timings: StreamTiming[], key: keyof StreamTiming) => summarize(timings.map((timing) => timing[key])).p50;

    const abortTimes = await withTempDir('interviewlm-ai-bench-', async (dir) => {
      const services = createServices(configForDataDir(dir), { syncRunner: 'none' });
      try {
        const session = await services.sessions.createSession('cand_bench');
        const recorded = new ClaudeService({ apiKey: KEY, model: MODEL, client, recorder: services.sessions });
        server.setDefault({ kind: 'text', text: pieces.slice(0, 100), delayMs: options.abortStreamDelayMs, inputTokens: 480 });
        const times: number[] = [];
        for (let round = 0; round < options.abortRounds; round++) {
          const controller = new AbortController();
          let abortedAt = 0;
          for await (const chunk of recorded.streamChatCompletion(MESSAGES, CONTEXT, { signal: controller.signal, sessionId: session.id })) {
            // The candidate presses stop between two deltas, while the iterator waits for the next.
            if (!chunk.done && abortedAt === 0) {
              abortedAt = -1;
              setTimeout(() => {
                abortedAt = performance.now();
                controller.abort();
              }, options.abortStreamDelayMs / 4);
            }
          }
          times.push(performance.now() - abortedAt);
        }
        return times;
      } finally {
        await services.shutdown();
      }
    });
    const abort = summarize(abortTimes);

    const setup = `a ${options.deltas}-delta answer from a loopback Messages API server in this process, on one shared SDK client (maxRetries 0), no recorder, in interleaved rounds (service first on even rounds, SDK first on odd) after ${options.warmupRounds} untimed`;
    const ttft = { service: p50(paced.a, 'ttft'), raw: p50(paced.b, 'ttft') };
    const total = { service: p50(paced.a, 'total'), raw: p50(paced.b, 'total') };
    const burstTotal = { service: p50(burst.a, 'total'), raw: p50(burst.b, 'total') };
    return [
      {
        id: 'ai.ttft_overhead_ms',
        value: ttft.service - ttft.raw,
        unit: 'ms',
        note: `p50 time from the call to the first text chunk through streamChatCompletion (${formatMs(ttft.service)} ms: validation, system prompt, request, first delta) minus p50 time from the call to the first text_delta event through the bare SDK, client.messages.create({ stream: true }) with the same request (${formatMs(ttft.raw)} ms); ${options.pacedRounds} rounds of ${setup}, deltas one event-loop turn apart.`,
      },
      {
        id: 'ai.total_overhead_ratio',
        value: total.service / total.raw,
        unit: 'x',
        note: `p50 time from the call to the iterator ending through streamChatCompletion (${formatMs(total.service)} ms) over the bare SDK's, to the end of its events (${formatMs(total.raw)} ms); ${options.pacedRounds} rounds of ${setup}, each delta written by the server in its own event-loop turn so it arrives on its own, as the API's do (no pause added).`,
      },
      {
        id: 'ai.total_overhead_ratio_burst',
        value: burstTotal.service / burstTotal.raw,
        unit: 'x',
        note: `As ai.total_overhead_ratio, with all ${options.deltas} deltas written back to back (they arrive together): the worst case, only parsing and per-chunk work timed (${formatMs(burstTotal.service)} ms over ${formatMs(burstTotal.raw)} ms); ${options.burstRounds} rounds.`,
      },
      {
        id: 'ai.abort_ms',
        value: abort.p50,
        unit: 'ms',
        note: `p50 time from AbortController.abort() to the service's iterator ending (p95 ${formatMs(abort.p95)}, max ${formatMs(abort.max)} ms), including recording the partial answer as cancelled in a real session (SQLite, durability normal); ${options.abortRounds} streams of 100 deltas ${options.abortStreamDelayMs} ms apart, aborted between two deltas after the first.`,
      },
    ];
  } finally {
    await server.close();
  }
}
