/**
 * The page's Content-Security-Policy. The main process sends it as a response header; the
 * same policy sits as a <meta> in renderer/index.html, because file:// pages get no
 * response headers (a test keeps the two equal).
 */
export const CONTENT_SECURITY_POLICY_DIRECTIVES: Readonly<Record<string, string>> = {
  'default-src': "'self'",
  'script-src': "'self'",
  // Monaco sets inline styles on the elements it creates; scripts stay strict.
  'style-src': "'self' 'unsafe-inline'",
  // Monaco's language services run in workers, some of them started from blob: URLs.
  'worker-src': "'self' blob:",
  // Monaco draws its squiggles and some icons as data: SVG images.
  'img-src': "'self' data:",
  'object-src': "'none'",
  'base-uri': "'none'",
  'form-action': "'none'",
  'frame-ancestors': "'none'",
};

/**
 * Directives a browser ignores (with a console warning) when the policy comes from a
 * <meta> element; they only take effect as a header.
 */
export const HEADER_ONLY_DIRECTIVES: readonly string[] = ['frame-ancestors', 'report-uri', 'sandbox'];

/** The policy as a header value: `name value; name value; ...`. */
export function contentSecurityPolicy(options: { forMeta?: boolean } = {}): string {
  return Object.entries(CONTENT_SECURITY_POLICY_DIRECTIVES)
    .filter(([name]) => !(options.forMeta && HEADER_ONLY_DIRECTIVES.includes(name)))
    .map(([name, value]) => `${name} ${value}`)
    .join('; ');
}

/**
 * Response headers with our policy in place of any the server sent: whatever the dev
 * server or a future protocol handler says, the page runs under this policy.
 */
export function withContentSecurityPolicy(headers: Record<string, string | string[]> | undefined): Record<string, string | string[]> {
  const result: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name.toLowerCase() !== 'content-security-policy') result[name] = value;
  }
  result['Content-Security-Policy'] = [contentSecurityPolicy()];
  return result;
}
