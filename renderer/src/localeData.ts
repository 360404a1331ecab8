/**
 * Loads the browser's locale data (ICU) for number and date formatting. Chromium loads it on
 * the page's first toLocaleString(), which then takes 25-60 ms; the workspace's first render
 * formats numbers and times (the assistant's token count, the timer's tooltip). Called in an
 * idle moment of the start screen, it is paid while the page waits for the candidate.
 */
export function preloadLocaleData(): void {
  (0).toLocaleString();
  new Date(0).toLocaleTimeString();
}
