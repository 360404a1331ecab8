import { z } from 'zod';

/**
 * Test cases as the seed has them, and the results a run answers with. Shared by the main
 * process (which runs them) and the renderer (which shows them, hidden cases redacted).
 */

/** Every language the app knows; whether this machine can run one is asked at run time. */
export const LANGUAGES = ['javascript', 'typescript', 'python', 'cpp', 'java'] as const;
export const LanguageSchema = z.enum(LANGUAGES);
export type Language = z.infer<typeof LanguageSchema>;

/** The largest JSON text of one case's input or expected value, and of one case's stdin. */
export const MAX_CASE_BYTES = 256 * 1024;

/** A JSON value as test cases carry it (checked for size and depth when the cases are parsed). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
const JsonValueSchema: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([z.null(), z.boolean(), z.number().finite(), z.string(), z.array(JsonValueSchema), z.record(z.string(), JsonValueSchema)]),
);

const CaseNameSchema = z.string().trim().min(1).max(200);
const withinSize = (value: unknown) => JSON.stringify(value).length <= MAX_CASE_BYTES;

/** The seed's case: the entry function is called with `input` spread as its arguments, and must return `expected`. */
export const FunctionTestCaseSchema = z
  .object({
    name: CaseNameSchema,
    input: z.array(JsonValueSchema).refine(withinSize, `input must be at most ${MAX_CASE_BYTES} bytes of JSON`),
    expected: JsonValueSchema.refine(withinSize, `expected must be at most ${MAX_CASE_BYTES} bytes of JSON`),
    hidden: z.boolean().default(false),
  })
  .strict();
export type FunctionTestCase = z.infer<typeof FunctionTestCaseSchema>;

/** A program case: the program reads `stdin` and must print `expectedStdout` (trailing whitespace of each line ignored). */
export const StdioTestCaseSchema = z
  .object({
    name: CaseNameSchema,
    stdin: z.string().max(MAX_CASE_BYTES),
    expectedStdout: z.string().max(MAX_CASE_BYTES),
    hidden: z.boolean().default(false),
  })
  .strict();
export type StdioTestCase = z.infer<typeof StdioTestCaseSchema>;

export type TestCase = FunctionTestCase | StdioTestCase;

/** A case with stdin or expectedStdout is a program case; any other a function case (so errors name the right fields). */
function schemaOf(value: unknown) {
  const isProgram = typeof value === 'object' && value !== null && ('stdin' in value || 'expectedStdout' in value);
  return isProgram ? StdioTestCaseSchema : FunctionTestCaseSchema;
}

/** The most cases one run takes. */
export const MAX_TEST_CASES = 200;

/** One run's cases: 1..MAX_TEST_CASES of one kind, with distinct names. */
export const TestCasesSchema = z
  .array(z.unknown())
  .min(1, 'at least one test case is needed')
  .max(MAX_TEST_CASES)
  .transform((values, context): TestCase[] => {
    const cases: TestCase[] = [];
    for (const [index, value] of values.entries()) {
      const parsed = schemaOf(value).safeParse(value);
      if (parsed.success) cases.push(parsed.data);
      else for (const issue of parsed.error.issues) context.addIssue({ ...issue, path: [index, ...issue.path] } as Parameters<typeof context.addIssue>[0]);
    }
    return cases;
  })
  .superRefine((cases, context) => {
    const kinds = new Set(cases.map((testCase) => ('stdin' in testCase ? 'stdio' : 'function')));
    if (kinds.size > 1) context.addIssue({ code: 'custom', message: 'function cases ({input, expected}) and program cases ({stdin, expectedStdout}) cannot be mixed in one run' });
    const seen = new Set<string>();
    for (const [index, testCase] of cases.entries()) {
      if (seen.has(testCase.name)) context.addIssue({ code: 'custom', path: [index, 'name'], message: `the name ${JSON.stringify(testCase.name)} is used twice` });
      seen.add(testCase.name);
    }
  });

/** Where a compile or syntax error is, in the candidate's own lines and columns (1-based). */
export const CompileErrorSchema = z.object({
  message: z.string(),
  line: z.number().int().positive().nullable(),
  column: z.number().int().positive().nullable(),
});
export type CompileError = z.infer<typeof CompileErrorSchema>;

/** One case's outcome, as the main process holds it. */
export const TestCaseResultSchema = z.object({
  name: z.string(),
  passed: z.boolean(),
  /** What the code returned (or printed), as display text; null when it returned nothing comparable. */
  actual: z.string().nullable(),
  expected: z.string().nullable(),
  /** Why it failed beyond a wrong value: an exception (message and candidate-relative stack), a timeout, a limit. */
  error: z.string().nullable(),
  stdout: z.string(),
  stderr: z.string(),
  durationMs: z.number().nonnegative(),
  hidden: z.boolean(),
});
export type TestCaseResult = z.infer<typeof TestCaseResultSchema>;

/** Which backend ran the code. */
export const ExecutionBackendSchema = z.enum(['local', 'modal']);
export type ExecutionBackend = z.infer<typeof ExecutionBackendSchema>;

/** What `executeCode` resolves with. A failing run is a result; only a broken backend or bad input rejects. */
export const ExecutionResultSchema = z.object({
  passedTests: z.number().int().nonnegative(),
  totalTests: z.number().int().nonnegative(),
  /** Wall time of the run, in ms. */
  executionTime: z.number().nonnegative(),
  results: z.array(TestCaseResultSchema),
  compileError: CompileErrorSchema.nullable(),
  /** How the run ended early, when it did: the limit it hit, said plainly. */
  terminated: z.string().nullable(),
  /** Output beyond the limit was dropped. */
  outputTruncated: z.boolean(),
  backend: ExecutionBackendSchema,
  /** Something the candidate should know about where it ran (Modal unreachable, fell back to this machine). */
  notice: z.string().nullable(),
});
export type ExecutionResult = z.infer<typeof ExecutionResultSchema>;

/**
 * A result as the renderer may see it: a hidden case keeps only its verdict and duration,
 * numbered among the hidden ones; never its name (names can give a case away), input,
 * expected value, output or error.
 */
export function redactHiddenCases(result: ExecutionResult): ExecutionResult {
  let hidden = 0;
  return {
    ...result,
    results: result.results.map((testCase) =>
      testCase.hidden ? { ...testCase, name: `Hidden test ${++hidden}`, actual: null, expected: null, error: null, stdout: '', stderr: '' } : testCase,
    ),
  };
}

/** A sandbox as `createSandbox` and `listActiveSandboxes` describe it. */
export const SandboxInfoSchema = z.object({
  id: z.string(),
  sessionId: z.string(),
  language: LanguageSchema,
  backend: ExecutionBackendSchema,
  createdAt: z.string(),
});
export type SandboxInfo = z.infer<typeof SandboxInfoSchema>;

/** Whether a language can run here, with its version or the reason it cannot. */
export const LanguageAvailabilitySchema = z.object({ language: LanguageSchema, available: z.boolean(), detail: z.string() });
export type LanguageAvailability = z.infer<typeof LanguageAvailabilitySchema>;
