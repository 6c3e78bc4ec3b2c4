// Which Chromium the browser test drives: $CHROMIUM_PATH; else the system's (Debian's `chromium`
// or another on the PATH); else the one `npm ci` installs, @sparticuz/chromium, which carries a
// Linux x64 build in its npm tarball (brotli-packed), unpacked once into node_modules/.cache.
import fs from 'node:fs';
import path from 'node:path';

export type ChromiumSource = { kind: 'file'; path: string; from: string } | { kind: 'npm'; pkgDir: string };

const SYSTEM_NAMES = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome'];

function executableOnPath(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(path.delimiter).filter(Boolean)) {
    const file = path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The Chromium to use, or undefined when there is none (and why, for the skip). */
export function locateChromium(): { source?: ChromiumSource; none: string } {
  const env = process.env['CHROMIUM_PATH'];
  if (env) return { source: { kind: 'file', path: env, from: 'CHROMIUM_PATH' }, none: '' };
  for (const name of SYSTEM_NAMES) {
    const file = executableOnPath(name);
    if (file) return { source: { kind: 'file', path: file, from: 'the system' }, none: '' };
  }
  // The package carries a Linux x64 build only.
  if (process.platform === 'linux' && process.arch === 'x64') {
    try {
      const pkgDir = path.join(path.dirname(require.resolve('@sparticuz/chromium')), '..', '..');
      if (fs.existsSync(path.join(pkgDir, 'bin', 'chromium.br'))) return { source: { kind: 'npm', pkgDir }, none: '' };
    } catch {
      // not installed (npm ci --omit=dev)
    }
  }
  return {
    none: `no Chromium: none on the PATH (${SYSTEM_NAMES.join(', ')}), CHROMIUM_PATH unset, and @sparticuz/chromium (Linux x64 only) not usable on ${process.platform}-${process.arch}`,
  };
}

/** The executable of `source`, unpacking the npm one on first use. */
export async function chromiumExecutable(source: ChromiumSource): Promise<string> {
  if (source.kind === 'file') return source.path;
  const version = (JSON.parse(fs.readFileSync(path.join(source.pkgDir, 'package.json'), 'utf8')) as { version: string }).version;
  const cache = path.join(source.pkgDir, '..', '..', '.cache', 'sogs-chromium');
  const final = path.join(cache, version);
  if (fs.existsSync(path.join(final, 'chromium'))) return path.join(final, 'chromium');
  fs.mkdirSync(cache, { recursive: true });
  // Unpacked into a folder of its own and renamed into place, so a run never sees half a binary.
  const partial = fs.mkdtempSync(path.join(cache, `${version}.partial-`));
  try {
    const { default: Chromium } = await import('@sparticuz/chromium'); // an ES module (its types say so)
    Chromium.setGraphicsMode = false; // the test runs with --disable-gpu: no SwiftShader libraries
    // executablePath() unpacks into os.tmpdir() (it is made for AWS Lambda's private /tmp) and
    // reads it before its first await: TMPDIR points at our folder for that call only, which keeps
    // 200 MB out of the machine's shared /tmp and away from another run's copy there.
    const saved = process.env['TMPDIR'];
    process.env['TMPDIR'] = partial;
    let unpacking: Promise<string>;
    try {
      unpacking = Chromium.executablePath(path.join(source.pkgDir, 'bin'));
    } finally {
      if (saved === undefined) delete process.env['TMPDIR'];
      else process.env['TMPDIR'] = saved;
    }
    const unpacked = await unpacking;
    if (unpacked !== path.join(partial, 'chromium')) throw new Error(`@sparticuz/chromium unpacked to ${unpacked}, not into ${partial}`);
    try {
      fs.renameSync(partial, final);
    } catch (e) {
      if (!fs.existsSync(path.join(final, 'chromium'))) throw e; // else another run got there first
    }
  } finally {
    fs.rmSync(partial, { recursive: true, force: true });
  }
  return path.join(final, 'chromium');
}
