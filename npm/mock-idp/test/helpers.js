import { readFileSync } from 'node:fs';
import { connect } from 'node:net';

/** The decoded payload of a JWT. */
export function claims(token) {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
}

/** Whether something accepts TCP connections on loopback `port`. */
export function answers(port) {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** Whether process `pid` is alive (a zombie counts as gone). */
export function alive(pid) {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.split(')').at(-1).trim().split(' ')[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Polls `condition` every 50 ms for up to `ms`; its last value. */
export async function within(ms, condition) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await condition();
    if (value || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
