/**
 * The decode client's queue and time bound, against stand-in workers on Node
 * MessageChannels (the real worker runs in viewer.test.ts, in Chromium).
 */
import * as Comlink from 'comlink';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { DecodeClient, type DecodeResult, type WorkerLike } from '../../src/ui/decode-client';

interface FakeWorker extends WorkerLike {
  id: number;
  terminated: boolean;
}

const ports: MessagePort[] = [];

afterEach(() => {
  for (const port of ports.splice(0)) port.close();
});

/** Workers that answer "<name> by worker <n>", hang forever on slow files, and count calls. */
function fakeWorkers(log: string[]): { create: () => WorkerLike; made: FakeWorker[] } {
  const made: FakeWorker[] = [];
  const create = (): WorkerLike => {
    const { port1, port2 } = new MessageChannel();
    ports.push(port1, port2);
    const id = made.length + 1;
    Comlink.expose(
      {
        open(name: string, bytes: ArrayBuffer): Promise<DecodeResult> {
          log.push(`${name} on ${id} (${bytes.byteLength} bytes)`);
          if (name.startsWith('slow')) return new Promise(() => {});
          return Promise.resolve({ ok: false, error: `${name}: answered by worker ${id}` });
        },
      },
      port2 as unknown as Comlink.Endpoint,
    );
    const worker: FakeWorker = {
      id,
      terminated: false,
      postMessage: (message: unknown, transfer?: Transferable[]) =>
        port1.postMessage(message, transfer as never),
      addEventListener: (type: string, listener: EventListenerOrEventListenerObject) =>
        port1.addEventListener(type, listener as never),
      removeEventListener: (type: string, listener: EventListenerOrEventListenerObject) =>
        port1.removeEventListener(type, listener as never),
      start: () => port1.start(),
      terminate() {
        worker.terminated = true;
        port1.close();
        port2.close();
      },
    };
    made.push(worker);
    return worker;
  };
  return { create, made };
}

function bytes(n: number): () => Promise<ArrayBuffer> {
  return () => Promise.resolve(new ArrayBuffer(n));
}

describe('DecodeClient', () => {
  it('decodes one file at a time, in order, transferring the bytes', async () => {
    const log: string[] = [];
    const { create, made } = fakeWorkers(log);
    const client = new DecodeClient({ createWorker: create, timeoutMs: 5_000 });
    const sent = new ArrayBuffer(16);
    const results = await Promise.all([
      client.open('a.dcm', () => Promise.resolve(sent)),
      client.open('b.dcm', bytes(8)),
    ]);
    expect(results).toEqual([
      { ok: false, error: 'a.dcm: answered by worker 1' },
      { ok: false, error: 'b.dcm: answered by worker 1' },
    ]);
    expect(log).toEqual(['a.dcm on 1 (16 bytes)', 'b.dcm on 1 (8 bytes)']);
    // Transferred, not copied: the sender's buffer is detached.
    expect(sent.byteLength).toBe(0);
    expect(made).toHaveLength(1);
    client.dispose();
  });

  it('stops a file that overruns, names it, and opens the next on a fresh worker', async () => {
    const log: string[] = [];
    const { create, made } = fakeWorkers(log);
    const client = new DecodeClient({ createWorker: create, timeoutMs: 200 });
    const slow = client.open('slow.dcm', bytes(4));
    const next = client.open('next.dcm', bytes(4));
    expect(await slow).toEqual({
      ok: false,
      error: 'slow.dcm: decoding took longer than 0.2 s and was stopped',
    });
    expect(await next).toEqual({ ok: false, error: 'next.dcm: answered by worker 2' });
    expect(made.map((w) => w.terminated)).toEqual([true, false]);
    client.dispose();
    expect(made[1].terminated).toBe(true);
  });

  it('puts urgent files first and reports unreadable files by name', async () => {
    const log: string[] = [];
    const { create } = fakeWorkers(log);
    const client = new DecodeClient({ createWorker: create, timeoutMs: 5_000 });
    const first = client.open('first.dcm', bytes(1));
    const later = client.open('later.dcm', bytes(1));
    const urgent = client.open('urgent.dcm', bytes(1), { urgent: true });
    const unreadable = client.open('gone.dcm', () => Promise.reject(new Error('file was moved')));
    await Promise.all([first, later, urgent]);
    expect(log.map((l) => l.split(' ')[0])).toEqual(['first.dcm', 'urgent.dcm', 'later.dcm']);
    expect(await unreadable).toEqual({
      ok: false,
      error: 'gone.dcm: could not be read (file was moved)',
    });
    client.dispose();
  });
});
