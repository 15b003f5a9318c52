/** HTTP/1.1 written by hand on a socket of its own, for what fetch will not send. */
import { connect } from 'node:net';
import type { TestServer } from './server.js';

/** Writes `raw` at once on a new connection; everything the server sent until it closed. */
export function exchangeRaw(server: TestServer, raw: string): Promise<string> {
  const { port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.write(raw));
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk) => (text += chunk));
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
  });
}

/** The status of every answer, in order (each answer's body runs straight into the next status line). */
export const statusLines = (text: string) => [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
