import DOMPurify from 'dompurify';
import { Marked } from 'marked';

// Its own instance, so nothing else's `marked.use` changes how questions render.
const markdown = new Marked({ gfm: true, breaks: false });

/**
 * Markdown as sanitized HTML. Question text may come from a model, so it is untrusted:
 * DOMPurify strips scripts, event handlers and anything else that could run.
 */
export function renderMarkdown(text: string): string {
  return DOMPurify.sanitize(markdown.parse(text, { async: false }), { USE_PROFILES: { html: true } });
}
