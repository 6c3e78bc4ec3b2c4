// Every PostgreSQL table, over one way of running statements: the pool, or one transaction's connection.
import type { Tables } from '../../shared/tables';
import type { Query } from '../pg-runner';
import { PgDms, PgFiles } from './files';
import { PgFingerprints } from './fingerprints';
import { PgMessages } from './messages';
import { PgFutures, PgOverrides } from './permissions';
import { PgPins, PgReactions } from './reactions';
import { PgRaids } from './raids';
import { PgActivity, PgRooms } from './rooms';
import { PgConsole } from './console';
import { PgAudit, PgLegacy, PgSettings } from './server';
import { PgNonces, PgUsers } from './users';

export function pgTables(q: Query): Tables {
  return {
    users: new PgUsers(q),
    nonces: new PgNonces(q),
    rooms: new PgRooms(q),
    activity: new PgActivity(q),
    messages: new PgMessages(q),
    reactions: new PgReactions(q),
    pins: new PgPins(q),
    files: new PgFiles(q),
    dms: new PgDms(q),
    fingerprints: new PgFingerprints(q),
    overrides: new PgOverrides(q),
    futures: new PgFutures(q),
    audit: new PgAudit(q),
    settings: new PgSettings(q),
    legacy: new PgLegacy(q),
    console: new PgConsole(q),
    raids: new PgRaids(q),
  };
}
