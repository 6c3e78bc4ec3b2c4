// `sogs` with no admin command: start the server on the data folder and print the join URLs.
import { closeServices, joinUrl, openServices } from '../app';
import type { Config } from '../config';
import { startServer } from '../server';

export async function serve(config: Config): Promise<number> {
  const s = await openServices(config);
  const server = await startServer(s);
  const rooms = await s.store.listRooms();
  const lines = [
    `Session Community server listening on ${config.host}:${server.port}`,
    `Data folder: ${config.dataDir}`,
    `Server public key: ${s.keys.publicKeyHex}`,
    'Users can join rooms on this open group server using the following URL format:',
    ...rooms.slice(0, 20).map((r) => `  ${joinUrl(config, s.keys, r.token)}`),
  ];
  console.log(lines.join('\n'));
  await new Promise<void>((resolve) => {
    const stop = (sig: string): void => {
      s.log.info({ signal: sig }, 'shutting down');
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await server.close();
  await closeServices(s);
  return 0;
}
