import type { Services } from '../../electron/services/container';

/** Every character a session's code_edit events inserted, in order: what a test typed, as recorded. */
export function recordedText(services: Services, sessionId: string): string {
  return services.replay
    .getAllEvents(sessionId)
    .filter((event) => event.type === 'code_edit')
    .flatMap((event) => (event.data as { changes: { text: string }[] }).changes.map((change) => change.text))
    .join('');
}
