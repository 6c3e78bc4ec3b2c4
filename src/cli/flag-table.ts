// The machinery behind one declaration per command-line flag (the declarations are in
// src/cli/flags.ts): a flag's spelling and help go to commander, which parses the command line and
// prints --help; its value check runs before any command changes anything; and what it runs is
// found from the flags given, so adding a flag is one declaration.
import { Option, type Command, type OptionValues } from 'commander';
import type { Config } from '../config';
import type { Services } from '../domain/services';

/** commander's value for a spelling: `<x...>` a list, `<x>` a string, no argument a switch. */
export type RawValue<S extends string> = S extends `${string}...>` ? string[] : S extends `${string}<${string}>` ? string : true;

/** Another flag's checked value, inside a command; undefined when it was not given. */
export type Get = <T>(flag: Flag<T>) => T | undefined;

/** An admin command shared by several flags (it runs once however many of them are given). */
export interface AdminCommand {
  run(s: Services, get: Get): Promise<string>;
}

/** The import commands (src/import/cli.ts): they make a data folder or database, so they run without a server's. */
export interface ImportCommand {
  import(config: Config, get: Get): Promise<number>;
}

/** An admin command of one flag, given that flag's checked value. */
export type OwnCommand<T> = (s: Services, value: T, get: Get) => Promise<string>;

export interface FlagSpec<R, T> {
  /**
   * Checks and converts the value, throwing a CliError with the line the operator sees. Every
   * given flag is checked before any command runs.
   */
  parse?: (raw: R, flag: string) => T;
  /**
   * What giving the flag does: an admin command (run against the data folder of an existing
   * server, in the order of the declarations), the import, or nothing of its own: it changes the
   * commands given with it.
   */
  run?: OwnCommand<T> | AdminCommand | ImportCommand;
  /** The Session ids the value names: every id of every given flag is checked before anything changes. */
  sessionIds?: (value: T) => string[];
  /** It acts on --rooms/--users: the error for those given without a command names it. */
  onRooms?: boolean;
  /** A second spelling of a list flag: its values are added to that flag's. */
  aliasOf?: Flag<string[]>;
}

export class Flag<T> {
  readonly option: Option;
  readonly command: AdminCommand | ImportCommand | null;

  constructor(
    spelling: string,
    readonly help: string,
    private readonly spec: FlagSpec<never, T>,
  ) {
    this.option = new Option(spelling, help);
    const run = spec.run;
    this.command = typeof run === 'function' ? { run: async (s, get) => run(s, get(this)!, get) } : (run ?? null);
  }

  /** `--add-room`: the spelling in messages. */
  get name(): string {
    return this.option.long ?? this.option.flags;
  }

  get onRooms(): boolean {
    return this.spec.onRooms === true;
  }

  get aliasOf(): Flag<string[]> | undefined {
    return this.spec.aliasOf;
  }

  parse(raw: unknown): T {
    const parse = this.spec.parse as ((raw: unknown, flag: string) => T) | undefined;
    return parse ? parse(raw, this.name) : (raw as T);
  }

  sessionIds(value: T): string[] {
    return this.spec.sessionIds?.(value) ?? [];
  }
}

export class FlagTable {
  /** In declaration order: the order of --help and of running the admin commands. */
  readonly flags: Flag<unknown>[] = [];

  flag<S extends string, T = RawValue<S>>(spelling: S, help: string, spec: FlagSpec<RawValue<S>, T> = {}): Flag<T> {
    const f = new Flag<T>(spelling, help, spec as FlagSpec<never, T>);
    if (this.flags.some((g) => g.option.attributeName() === f.option.attributeName())) throw new Error(`${f.name} is declared twice`);
    this.flags.push(f as Flag<unknown>);
    return f;
  }

  addTo(p: Command): Command {
    for (const f of this.flags) p.addOption(f.option);
    return p;
  }

  /** The flags given on the command line (commander's parsed values), not yet checked. */
  given(values: OptionValues): GivenFlags {
    const raw = new Map<Flag<unknown>, unknown>();
    for (const f of this.flags) {
      const v: unknown = values[f.option.attributeName()];
      if (v !== undefined) raw.set(f, v);
    }
    for (const [f, v] of raw) {
      if (!f.aliasOf) continue;
      const target = f.aliasOf as Flag<unknown>;
      raw.set(target, [...((raw.get(target) as string[] | undefined) ?? []), ...(v as string[])]);
      raw.delete(f);
    }
    // Keep declaration order (an alias's target may have been added last).
    return new GivenFlags(new Map(this.flags.filter((f) => raw.has(f)).map((f) => [f, raw.get(f)])));
  }
}

export class GivenFlags {
  private readonly checked = new Map<Flag<unknown>, unknown>();

  constructor(private readonly raw: Map<Flag<unknown>, unknown>) {}

  get flags(): Flag<unknown>[] {
    return [...this.raw.keys()];
  }

  has<T>(flag: Flag<T>): boolean {
    return this.raw.has(flag as Flag<unknown>);
  }

  /** Checks every given value (the first bad one throws). */
  check(): void {
    for (const f of this.raw.keys()) this.value(f);
  }

  readonly get: Get = <T>(flag: Flag<T>): T | undefined => this.value(flag as Flag<unknown>) as T | undefined;

  private value(f: Flag<unknown>): unknown {
    if (!this.raw.has(f)) return undefined;
    if (!this.checked.has(f)) this.checked.set(f, f.parse(this.raw.get(f)));
    return this.checked.get(f);
  }

  /** Every Session id the given flags name. */
  sessionIds(): string[] {
    return this.flags.flatMap((f) => f.sessionIds(this.value(f)));
  }

  /** The admin commands of the given flags, each once, in declaration order. */
  adminCommands(): AdminCommand[] {
    const commands = this.flags.map((f) => f.command).filter((c): c is AdminCommand => c !== null && 'run' in c);
    return [...new Set(commands)];
  }

  /** The import command, when an import flag is given (imports take precedence over admin commands). */
  importCommand(): ImportCommand | null {
    return this.flags.map((f) => f.command).find((c): c is ImportCommand => c !== null && 'import' in c) ?? null;
  }
}
