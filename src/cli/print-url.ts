import { joinUrlLines, recordedPublicUrl } from '../app';
import { describePublicUrl } from '../config';
import type { Services } from '../domain/services';
import type { Room } from '../store/types';

/**
 * --print-url: what the running server printed at start. The server records its public base URL
 * in the database (recordPublicUrl), so this command's own flags and environment, which may differ
 * from the server's, cannot change the answer; before the server's first start, the URL this
 * command's configuration derives, with a note on stderr.
 */
export async function printUrl(s: Services, rooms: Room[]): Promise<string> {
  const recorded = await recordedPublicUrl(s);
  const own = describePublicUrl(s.config);
  if (recorded === null) {
    console.error(`Note: the server has not started on this database yet, so this is the URL derived from this command's configuration. ${own.warning ?? ''}`.trim());
  } else if (s.config.baseUrl && own.url !== recorded) {
    console.error(`Note: the server last started with ${recorded}; this command's baseUrl ${own.url} applies once the server is restarted with it.`);
  }
  return joinUrlLines(s.config, s.keys, rooms.map((r) => r.token), recorded ?? own.url).join('\n');
}
