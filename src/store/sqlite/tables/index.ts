// Every SQLite table, over one connection's prepared statements.
import type { Tables } from '../../shared/tables';
import type { Statements } from '../statements';
import { SqliteDms, SqliteFiles } from './files';
import { SqliteFingerprints } from './fingerprints';
import { SqliteMessages } from './messages';
import { SqliteFutures, SqliteOverrides } from './permissions';
import { SqlitePins, SqliteReactions } from './reactions';
import { SqliteRaids } from './raids';
import { SqliteActivity, SqliteRooms } from './rooms';
import { SqliteConsole } from './console';
import { SqliteAudit, SqliteLegacy, SqliteSettings } from './server';
import { SqliteNonces, SqliteUsers } from './users';

export function sqliteTables(s: Statements): Tables {
  return {
    users: new SqliteUsers(s),
    nonces: new SqliteNonces(s),
    rooms: new SqliteRooms(s),
    activity: new SqliteActivity(s),
    messages: new SqliteMessages(s),
    reactions: new SqliteReactions(s),
    pins: new SqlitePins(s),
    files: new SqliteFiles(s),
    dms: new SqliteDms(s),
    fingerprints: new SqliteFingerprints(s),
    overrides: new SqliteOverrides(s),
    futures: new SqliteFutures(s),
    audit: new SqliteAudit(s),
    settings: new SqliteSettings(s),
    legacy: new SqliteLegacy(s),
    console: new SqliteConsole(s),
    raids: new SqliteRaids(s),
  };
}
