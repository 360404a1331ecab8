import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CONTENT_SECURITY_POLICY_DIRECTIVES,
  HEADER_ONLY_DIRECTIVES,
  contentSecurityPolicy,
  withContentSecurityPolicy,
} from '../../../electron/main/contentSecurityPolicy';

/** The directives of a policy string, as a name -> value map. */
function parsePolicy(policy: string): Record<string, string> {
  return Object.fromEntries(
    policy
      .split(';')
      .map((part) => part.trim())
      .filter(Boolean)
      .map((part) => {
        const [name, ...values] = part.split(/\s+/);
        return [name!, values.join(' ')];
      }),
  );
}

describe('the content security policy', () => {
  it('allows scripts from the app only, and no plugins, base or framing', () => {
    const policy = parsePolicy(contentSecurityPolicy());
    expect(policy).toMatchObject({
      'default-src': "'self'",
      'script-src': "'self'",
      'object-src': "'none'",
      'base-uri': "'none'",
      'frame-ancestors': "'none'",
      'worker-src': "'self' blob:",
    });
    expect(policy['script-src']).not.toMatch(/unsafe/);
  });

  it('is the same in renderer/index.html, less what a <meta> cannot carry', () => {
    const html = readFileSync(new URL('../../../renderer/index.html', import.meta.url), 'utf8');
    const metas = [...html.matchAll(/<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"/g)];
    expect(metas).toHaveLength(1);
    expect(parsePolicy(metas[0]![1]!)).toEqual(parsePolicy(contentSecurityPolicy({ forMeta: true })));
    const expected = Object.keys(CONTENT_SECURITY_POLICY_DIRECTIVES).filter((name) => !HEADER_ONLY_DIRECTIVES.includes(name));
    expect(Object.keys(parsePolicy(metas[0]![1]!)).sort()).toEqual(expected.sort());
  });
});

describe('withContentSecurityPolicy', () => {
  it('adds the policy to the response headers', () => {
    expect(withContentSecurityPolicy(undefined)).toEqual({ 'Content-Security-Policy': [contentSecurityPolicy()] });
  });

  it('replaces any policy the server sent, whatever its case, and keeps the other headers', () => {
    const headers = withContentSecurityPolicy({
      'content-security-policy': ["default-src *; script-src * 'unsafe-eval'"],
      'CONTENT-SECURITY-POLICY': 'default-src *',
      'Content-Type': ['text/html'],
    });
    expect(headers).toEqual({ 'Content-Type': ['text/html'], 'Content-Security-Policy': [contentSecurityPolicy()] });
  });
});
