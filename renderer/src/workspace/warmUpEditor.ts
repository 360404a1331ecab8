import { EDITOR_OPTIONS } from './editorOptions';
import type { MonacoApi } from './editorFiles';

/** A few lines for the warm-up editor to lay out and render. */
const WARM_UP_TEXT = 'function warmUp(values) {\n  return values.map((value) => value + 1);\n}\n';

/**
 * Creates an editor off screen, lets it render, and disposes it, so that the workspace's
 * editor opens quickly: Monaco starts its services and theme and measures the font, and the
 * browser compiles the code that builds and renders an editor, all on first use. Meant for an
 * idle moment of the start screen. Records nothing: the model is plain text and no recorder
 * listens to it. Returns a disposer that ends it early (Start was pressed: the real editor
 * comes next, and would only wait for this one).
 */
export function warmUpEditor(monaco: MonacoApi, document: Document): () => void {
  const host = document.createElement('div');
  // In the document (Monaco measures the font through the DOM), out of sight and of the tab order.
  host.style.cssText = 'position:fixed;left:-10000px;top:0;width:640px;height:320px;visibility:hidden';
  host.setAttribute('aria-hidden', 'true');
  document.body.append(host);
  const model = monaco.editor.createModel(WARM_UP_TEXT, 'plaintext');
  const editor = monaco.editor.create(host, { ...EDITOR_OPTIONS, model });
  let frame = 0;
  let disposed = false;
  const dispose = () => {
    if (disposed) return;
    disposed = true;
    cancelAnimationFrame(frame);
    editor.dispose();
    model.dispose();
    host.remove();
  };
  // Monaco renders in an animation frame: by the frame after next, that code has run once.
  frame = requestAnimationFrame(() => {
    frame = requestAnimationFrame(dispose);
  });
  return dispose;
}
