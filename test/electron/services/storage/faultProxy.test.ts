import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFaultProxy, type FaultProxy, type FaultProxyLogEntry } from '../../../helpers/faultProxy';

/** One request through the proxy: the status, or the socket error's code. */
function send(endpoint: string, path: string, body = ''): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = request(`${endpoint}${path}`, { method: body ? 'PUT' : 'GET', agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    req.end(body);
  });
}

describe('the fault proxy (test helper)', () => {
  let upstream: Server;
  let target: string;
  let received: string[];
  const proxies: FaultProxy[] = [];
  const start = async (seed: number) => {
    const proxy = await startFaultProxy({ target, seed });
    proxies.push(proxy);
    return proxy;
  };

  beforeEach(async () => {
    received = [];
    upstream = createServer((req, res) => {
      received.push(`${req.method} ${req.url}`);
      req.resume();
      req.on('end', () => res.end(`ok ${req.url}`));
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    target = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    for (const proxy of proxies.splice(0)) await proxy.close();
    await new Promise<void>((resolve) => upstream.close(() => resolve()));
  });

  it('forwards requests and their bodies, and counts them', async () => {
    const proxy = await start(1);
    expect(await send(proxy.endpoint, '/a?x=1')).toStrictEqual({ status: 200, body: 'ok /a?x=1' });
    expect(await send(proxy.endpoint, '/b', 'payload')).toStrictEqual({ status: 200, body: 'ok /b' });
    expect(received).toStrictEqual(['GET /a?x=1', 'PUT /b']);
    expect(proxy.stats).toMatchObject({ requests: 2, forwarded: 2, resets: 0, failed503: 0 });
  });

  it('fails the same requests the same way for the same seed, and differently for another', async () => {
    const outcomes = async (seed: number) => {
      const proxy = await start(seed);
      await proxy.setMode({ kind: 'flaky', failureRate: 0.3, failures: ['503', 'reset'] });
      for (let i = 0; i < 60; i++) await send(proxy.endpoint, `/r${i}`);
      return proxy.log.map((entry: FaultProxyLogEntry) => entry.outcome);
    };
    const first = await outcomes(99);
    expect(await outcomes(99)).toStrictEqual(first);
    expect(await outcomes(100)).not.toStrictEqual(first);
    const failed = first.filter((outcome) => outcome !== 'forwarded').length;
    expect(failed).toBeGreaterThan(6);
    expect(failed).toBeLessThan(30);
    expect(first).toContain('503');
    expect(first).toContain('reset');
  });

  it('answers 503 with S3 XML, resets sockets, and only the forwarded requests reach the server', async () => {
    const proxy = await start(5);
    await proxy.setMode({ kind: 'flaky', failureRate: 1, failures: ['503'] });
    expect(await send(proxy.endpoint, '/x')).toMatchObject({ status: 503, body: expect.stringContaining('<Code>ServiceUnavailable</Code>') });
    await proxy.setMode({ kind: 'flaky', failureRate: 1, failures: ['reset'] });
    expect(await send(proxy.endpoint, '/y')).toStrictEqual({ error: 'ECONNRESET' });
    await proxy.setMode({ kind: 'flaky', failureRate: 1, failures: ['reset-after-forward'] });
    expect(await send(proxy.endpoint, '/z', 'written')).toStrictEqual({ error: 'ECONNRESET' });
    expect(received).toStrictEqual(['PUT /z']);
    expect(proxy.stats).toMatchObject({ requests: 3, failed503: 1, resets: 2 });
  });

  it('simulates a full outage, refused or reset, and comes back on the same port', async () => {
    const proxy = await start(1);
    const port = proxy.port;
    await proxy.setMode({ kind: 'outage', how: 'refuse' });
    expect(await send(proxy.endpoint, '/down')).toStrictEqual({ error: 'ECONNREFUSED' });
    await proxy.setMode({ kind: 'outage', how: 'reset' });
    expect(proxy.port).toBe(port);
    expect(await send(proxy.endpoint, '/down')).toStrictEqual({ error: 'ECONNRESET' });
    await proxy.setMode({ kind: 'pass-through', latencyMs: 100 });
    const started = performance.now();
    expect(await send(proxy.endpoint, '/up')).toStrictEqual({ status: 200, body: 'ok /up' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(90);
    expect(received).toStrictEqual(['GET /up']);
  });

  it('answers with a canned response without forwarding', async () => {
    const proxy = await start(1);
    await proxy.setMode({ kind: 'respond', status: 403, body: '<Error><Code>AccessDenied</Code></Error>' });
    expect(await send(proxy.endpoint, '/secret', 'data')).toStrictEqual({ status: 403, body: '<Error><Code>AccessDenied</Code></Error>' });
    expect(received).toStrictEqual([]);
  });

  it('answers only the requests `only` picks with the canned response, and forwards the rest', async () => {
    const proxy = await start(1);
    await proxy.setMode({ kind: 'respond', status: 403, body: 'denied', only: (request) => request.url.startsWith('/secret') });
    expect(await send(proxy.endpoint, '/secret')).toStrictEqual({ status: 403, body: 'denied' });
    expect(await send(proxy.endpoint, '/open')).toStrictEqual({ status: 200, body: 'ok /open' });
    expect(received).toStrictEqual(['GET /open']);
    expect(proxy.log.map((entry) => entry.outcome)).toStrictEqual(['responded', 'forwarded']);
  });

  it('holds the requests it is told to, before the server or after it answered, and forwards the rest', async () => {
    const proxy = await start(1);
    await proxy.setMode({ kind: 'hold', stage: 'request', only: (request) => request.url === '/never' });
    const unanswered = send(proxy.endpoint, '/never', 'body');
    expect(await proxy.held(5_000)).toMatchObject({ method: 'PUT', url: '/never', outcome: 'held-request' });
    expect(await send(proxy.endpoint, '/open')).toStrictEqual({ status: 200, body: 'ok /open' });
    expect(received).toStrictEqual(['GET /open']);

    const second = await start(2);
    await second.setMode({ kind: 'hold', stage: 'response', only: (request) => request.url === '/done' });
    const unheard = send(second.endpoint, '/done', 'body');
    expect(await second.held(5_000)).toMatchObject({ url: '/done', outcome: 'held-response' });
    // The server carried it out; the client is still waiting for the answer.
    expect(received).toStrictEqual(['GET /open', 'PUT /done']);
    const pending = Symbol('pending');
    expect(await Promise.race([unanswered, unheard, new Promise((resolve) => setTimeout(() => resolve(pending), 100))])).toBe(pending);
    await expect(start(3).then((idle) => idle.held(50))).rejects.toThrow('no request held within 50 ms');
  });

  it('only ever targets 127.0.0.1', async () => {
    for (const bad of ['http://localhost:9000', 'http://10.0.0.1:9000', 'https://127.0.0.1:9000', 'http://s3.amazonaws.com', 'http://127.0.0.1']) {
      await expect(startFaultProxy({ target: bad })).rejects.toThrow('127.0.0.1');
    }
  });
});
