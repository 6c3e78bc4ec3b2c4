// The import commands of the `sogs` CLI: `--import-pysogs DIR [--import-db FILE]`,
// `--import-legacy DIR`, `--force`. Errors print `Error: …` and exit 1 with the target untouched.
import type { Config } from '../config';
import { ImportError } from './common';
import { importLegacy } from './legacy';
import { importPysogs } from './pysogs';

export interface ImportFlags {
  importPysogs?: string;
  importDb?: string;
  importLegacy?: string;
  force?: boolean;
}

export async function runImport(config: Config, f: ImportFlags): Promise<number> {
  try {
    if (f.importPysogs !== undefined && f.importLegacy !== undefined) throw new ImportError('give either --import-pysogs or --import-legacy, not both');
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
