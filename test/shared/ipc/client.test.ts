import { describe, expect, it } from 'vitest';
import { AppError } from '../../../shared/errors';
import type { IpcResult } from '../../../shared/ipc/channel';
import { bridgeTransport, createIpcBridge } from '../../../shared/ipc/bridge';
import { createIpcClient, type ClientTransport } from '../../../shared/ipc/client';
import { ipcContract } from '../../../shared/ipc/contract';
import { ipcContractNames } from '../../../shared/ipc/ipcContractNames';

/** A transport that records what it is asked and answers every call with `answer`. */
function recordingTransport(answer: IpcResult = { ok: true, value: 'answered' }) {
  const invoked: [string, unknown[]][] = [];
  const subscribed: string[] = [];
  const transport: ClientTransport = {
    invoke: async (channel, args) => {
      invoked.push([channel, args]);
      return answer;
    },
    subscribe: (eventName) => {
      subscribed.push(eventName);
      return () => {};
    },
  };
  return { transport, invoked, subscribed };
}

/** `api`'s shape: its namespaces and their method names. */
const shapeOf = (api: object) => Object.entries(api).map(([key, value]) => [key, typeof value === 'function' ? 'function' : Object.keys(value as object)]);

describe('createIpcClient from the contract or from its names alone', () => {
  it('builds the same API from either', () => {
    expect(shapeOf(createIpcClient(ipcContractNames, recordingTransport().transport))).toEqual(shapeOf(createIpcClient(ipcContract, recordingTransport().transport)));
  });

  it('calls each channel by its wire name with the arguments as given, and returns its value', async () => {
    const { transport, invoked } = recordingTransport();
    const api = createIpcClient(ipcContractNames, transport);
    await expect(api.sessions.getSession('ses_1')).resolves.toBe('answered');
    expect(invoked).toEqual([['sessions:getSession', ['ses_1']]]);
  });

  it('rethrows an error result as an AppError with its code', async () => {
    const api = createIpcClient(ipcContractNames, recordingTransport({ ok: false, error: { code: 'SESSION_NOT_FOUND', message: 'no such session' } }).transport);
    const error = await api.sessions.getSession('ses_x').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'SESSION_NOT_FOUND', message: 'no such session' });
  });

  it('subscribes to named event streams and refuses any other', () => {
    const { transport, subscribed } = recordingTransport();
    const api = createIpcClient(ipcContractNames, transport);
    api.on('syncStatus', () => {});
    expect(subscribed).toEqual(['syncStatus']);
    expect(() => api.on('noSuchStream' as 'syncStatus', () => {})).toThrow(expect.objectContaining({ code: 'UNKNOWN_CHANNEL' }));
  });

  it('goes through a bridge built from the names as it does through one built from the contract', async () => {
    const { transport, invoked } = recordingTransport();
    const api = createIpcClient(ipcContractNames, bridgeTransport(ipcContractNames, createIpcBridge(ipcContractNames, transport)));
    await api.settings.read();
    expect(invoked).toEqual([['settings:read', []]]);
  });
});
