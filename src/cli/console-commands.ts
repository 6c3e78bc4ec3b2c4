// Admin commands of the web moderation console: mint a one-time sign-in link for a moderator or
// admin, list the signed-in sessions, end them. The link goes to stdout only (never to a log).
import { recordedPublicUrl } from '../app';
import { describePublicUrl } from '../config';
import { mintConsoleLink } from '../domain/console-access';
import type { Services } from '../domain/services';
import { cliErrors, systemActor, when } from './command-scope';
import { CliError } from './errors';

/** The console's address: the public base URL the server last started with (else this command's), plus consolePath. */
async function consoleUrl(s: Services): Promise<string> {
  const base = (await recordedPublicUrl(s)) ?? describePublicUrl(s.config).url;
  return base.replace(/\/+$/, '') + s.config.consolePath;
}

/** --console-login ID: the token goes in the link's fragment, which browsers never send to a server or proxy. */
export async function consoleLoginCommand(s: Services, sessionId: string): Promise<string> {
  const { token, user, expires } = await cliErrors(mintConsoleLink(s, await systemActor(s), sessionId));
  if (!s.config.consoleEnabled) console.error('Note: the console is off (consoleEnabled); the link works once the server runs with it on.');
  const minutes = Math.round(((expires - s.clock.now()) / 60) * 10) / 10;
  console.error(`Sign-in link for ${user.sessionId}, usable once within ${minutes} minutes (until ${when(expires)}):`);
  return `${await consoleUrl(s)}login#${token}`;
}

export async function consoleSessionsCommand(s: Services): Promise<string> {
  const list = await s.store.consoleSessions(s.clock.now());
  if (list.length === 0) return 'No console sessions.';
  return [`${list.length} console sessions:`, ...list.map((x) => `- #${x.id} ${x.sessionId} signed in ${when(x.created)}, expires ${when(x.expires)}`)].join('\n');
}

/** --console-logout WHICH: a session number (#3 or 3), a Session id (all of its sessions), or `all`. */
export async function consoleLogoutCommand(s: Services, which: string): Promise<string> {
  let n: number;
  if (which === 'all') n = await s.store.endConsoleSessions('all');
  else if (/^#?\d{1,15}$/.test(which)) n = await s.store.endConsoleSessions({ id: Number(which.replace('#', '')) });
  else if (/^[01]5[0-9a-fA-F]{64}$/.test(which)) n = await s.store.endConsoleSessions({ sessionId: which.toLowerCase() });
  else throw new CliError(`--console-logout takes a session number, a Session id or 'all', not '${which}'`);
  return `Ended ${n} console session${n === 1 ? '' : 's'}.`;
}
