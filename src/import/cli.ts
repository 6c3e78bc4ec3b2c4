// The import commands of the `sogs` CLI: `--import-pysogs DIR [--import-db FILE]`,
// `--import-legacy DIR`, `--import-sqlite DIR` (one of our own data folders, e.g. into
// PostgreSQL), `--force`. Errors print `Error: …` and exit 1 with the target untouched.
import type { Config } from '../config';
import { withoutPassword } from '../store/postgres/connect';
import { ImportError } from './common';
import { importLegacy } from './legacy';
import { importOwnSqlite } from './own-sqlite';
import { importPysogs } from './pysogs';

export interface ImportFlags {
  importPysogs?: string;
  importDb?: string;
  importLegacy?: string;
  importSqlite?: string;
  force?: boolean;
}

export async function runImport(config: Config, f: ImportFlags): Promise<number> {
  try {
    const given = [f.importPysogs, f.importLegacy, f.importSqlite].filter((x) => x !== undefined).length;
    if (given > 1) throw new ImportError('give one of --import-pysogs, --import-legacy and --import-sqlite');
    if (f.importSqlite !== undefined) {
      if (f.importDb !== undefined) throw new ImportError('--import-db goes with --import-pysogs');
      const s = await importOwnSqlite(config, { source: f.importSqlite, force: Boolean(f.force) });
      const into = config.dbUrl.startsWith('sqlite:') ? config.dataDir : withoutPassword(config.dbUrl);
      for (const line of s.lines(`Imported the data folder ${f.importSqlite} into ${into}.`)) console.log(line);
      return 0;
    }
    if (f.importLegacy !== undefined) {
      if (f.importDb !== undefined) throw new ImportError('--import-db goes with --import-pysogs');
      const s = await importLegacy(config, { source: f.importLegacy, force: Boolean(f.force) });
      for (const line of s.lines(`Imported the legacy server volume ${f.importLegacy} into ${config.dataDir}.`)) console.log(line);
      return 0;
    }
    if (f.importPysogs === undefined) throw new ImportError('--import-db needs --import-pysogs DIR (the folder with key_x25519 and uploads/)');
    const s = await importPysogs(config, { source: f.importPysogs, dbFile: f.importDb, force: Boolean(f.force) });
    for (const line of s.lines(`Imported the PySOGS data folder ${f.importPysogs} into ${config.dataDir}.`)) console.log(line);
    return 0;
  } catch (e) {
    if (e instanceof ImportError) {
      console.error(`Error: ${e.message}`);
      return 1;
    }
    throw e;
  }
}
