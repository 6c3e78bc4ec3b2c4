// Content filters (docs/protocol/api.md §7.1, §9.1–§9.3): alphabet filters and a profanity filter, silent
// (stored with filtered = true, never shown) or rejecting (429), server-wide or per room
// ([room:TOKEN] sections of the config file), moderators exempt unless filterMods, with optional
// filter-bot replies configured in [filter:ROOM:TYPE] sections.
//
// Profanity list: the `obscenity` package. Of the maintained word-list packages on npm it is the
// one that matches obfuscated spellings (leetspeak, repeated letters, confusable Unicode
// characters) the way the reference's better_profanity does, ships TypeScript types and no
// dependencies, and avoids the classic false positives ("Scunthorpe", "assassin") with per-word
// whitelists. (leo-profanity only splits on words and misses "sh1t"; bad-words v4 recently
// changed hands, which makes it a supply-chain risk.) A custom list file replaces it: each line is
// matched as a whole word with the same leetspeak normalisation.
import fs from 'node:fs';
import crypto from 'node:crypto';
import {
  RegExpMatcher,
  englishDataset,
  englishRecommendedTransformers,
  parseRawPattern,
  type BlacklistedTerm,
} from 'obscenity';
import { resolveInDataDir, type Config } from '../config';
import { filterBotKeys } from '../crypto/keys';
import { addPadding } from '../crypto/padding';
import { signEd25519 } from '../crypto/sign';
import type { Room, User } from '../store/types';
import { DomainError } from './errors';
import type { Permissions } from './permissions';
import { decodeSessionMessage, encodeSessionMessage, type SessionMessage } from './protobuf';
import type { Services } from './services';

export type Alphabet = 'persian' | 'arabic' | 'cyrillic';
/** docs/protocol/api.md §7.1: checked in this fixed order, so Persian text is reported as persian. */
const ALPHABET_ORDER: Alphabet[] = ['persian', 'arabic', 'cyrillic'];
const ALPHABETS: Record<Alphabet, RegExp> = {
  persian: /[\u0621-\u0628\u062A-\u063A\u0641-\u0642\u0644-\u0648\u064E-\u0651\u0655\u067E\u0686\u0698\u06A9\u06AF\u06BE\u06CC]/u,
  arabic: /[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFE]/u,
  cyrillic: /[\u0400-\u04FF]/u,
};

export interface RoomFilterSettings {
  profanityFilter: boolean;
  profanitySilent: boolean;
  alphabets: Alphabet[];
  alphabetSilent: boolean;
}

export interface FilterMatch {
  type: 'profanity' | 'alphabet';
  /** The alphabet, for alphabet matches. */
  language: Alphabet | null;
  silent: boolean;
}

type Section = Record<string, string>;

/** The [room:TOKEN] and [filter:ROOM:TYPE] sections of an INI file (keys lower-cased). */
export interface FilterSections {
  rooms: Map<string, Section>;
  /** Keyed by `room:type`, both lower-cased (room may be '*', type '*'). */
  replies: Map<string, Section>;
}

/**
 * A small INI reader for the sections our main INI parser ignores. Like Python's configparser it
 * accepts `key = value` and `key: value`, `#`/`;` comments, and indented continuation lines
 * (joined with newlines: several reply alternatives).
 */
export function parseFilterSections(text: string): FilterSections {
  const out: FilterSections = { rooms: new Map(), replies: new Map() };
  let current: Section | null = null;
  let lastKey: string | null = null;
  for (const raw of text.split(/\r?\n/)) {
    if (/^\s*([#;].*)?$/.test(raw)) continue;
    const header = /^\[([^\]]+)\]\s*$/.exec(raw);
    if (header) {
      const name = header[1]!.trim();
      const parts = name.split(':');
      current = null;
      lastKey = null;
      if (parts[0]!.toLowerCase() === 'room' && parts.length === 2 && parts[1] !== '') {
        current = {};
        out.rooms.set(parts[1]!.toLowerCase(), current);
      } else if (parts[0]!.toLowerCase() === 'filter' && parts.length === 3 && parts[1] !== '' && parts[2] !== '') {
        current = {};
        out.replies.set(`${parts[1]!.toLowerCase()}:${parts[2]!.toLowerCase()}`, current);
      }
      continue;
    }
    if (!current) continue;
    if (/^\s/.test(raw) && lastKey !== null) {
      current[lastKey] = (current[lastKey] ? current[lastKey] + '\n' : '') + raw.trim();
      continue;
    }
    const kv = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(raw);
    if (!kv) continue;
    lastKey = kv[1]!.trim().toLowerCase();
    current[lastKey] = kv[2]!.trim();
  }
  return out;
}

function parseBool(v: string, what: string): boolean {
  if (/^(y|yes|true|on|1)$/i.test(v)) return true;
  if (/^(n|no|false|off|0)$/i.test(v)) return false;
  throw new Error(`${what}: expected a boolean (yes/no), got '${v}'`);
}

export function parseAlphabets(v: string, what = 'alphabet_filters'): Alphabet[] {
  const names = v.split(/[\s,]+/).filter(Boolean).map((a) => a.toLowerCase());
  for (const n of names) if (!(n in ALPHABETS)) throw new Error(`${what}: unknown alphabet '${n}' (use arabic, cyrillic, persian)`);
  return ALPHABET_ORDER.filter((a) => names.includes(a));
}

/** Everything the filters need, built once per configuration (the config file is read at start). */
interface FilterSetup {
  sections: FilterSections;
  matcher: RegExpMatcher | null;
}

const setups = new WeakMap<Config, FilterSetup>();

function setup(config: Config): FilterSetup {
  let st = setups.get(config);
  if (!st) {
    const text = config.configFile && fs.existsSync(config.configFile) ? fs.readFileSync(config.configFile, 'utf8') : '';
    st = { sections: parseFilterSections(text), matcher: null };
    setups.set(config, st);
  }
  return st;
}

/** Validates the filter configuration (startup): bad values fail early instead of on a post. */
export function checkFilterConfig(config: Config): void {
  const st = setup(config);
  for (const token of st.sections.rooms.keys()) roomFilterSettings(config, token);
  if (config.profanityFilter || [...st.sections.rooms.values()].some((r) => r['profanity_filter'] !== undefined)) profanityMatcher(config);
}

export function roomFilterSettings(config: Config, token: string): RoomFilterSettings {
  const r = setup(config).sections.rooms.get(token.toLowerCase()) ?? {};
  const where = `[room:${token}]`;
  return {
    profanityFilter: r['profanity_filter'] !== undefined ? parseBool(r['profanity_filter'], `${where} profanity_filter`) : config.profanityFilter,
    profanitySilent: r['profanity_silent'] !== undefined ? parseBool(r['profanity_silent'], `${where} profanity_silent`) : config.profanitySilent,
    alphabets: parseAlphabets(r['alphabet_filters'] ?? config.alphabetFilters, `${where} alphabet_filters`),
    // Not overridable per room in the reference; harmless to allow.
    alphabetSilent: r['alphabet_silent'] !== undefined ? parseBool(r['alphabet_silent'], `${where} alphabet_silent`) : config.alphabetSilent,
  };
}

function escapePattern(word: string): string {
  return word.replace(/[\\[\]?|]/g, (c) => '\\' + c);
}

/** The profanity matcher: the built-in English list, or the custom word list file. */
export function profanityMatcher(config: Config): RegExpMatcher {
  const st = setup(config);
  if (!st.matcher) {
    if (config.profanityCustom) {
      const words = fs
        .readFileSync(resolveInDataDir(config, config.profanityCustom), 'utf8')
        .split(/\r?\n/)
        .map((w) => w.trim().toLowerCase())
        .filter((w) => w !== '' && !w.startsWith('#'));
      const terms: BlacklistedTerm[] = words.map((w, id) => ({ id, pattern: parseRawPattern(`|${escapePattern(w)}|`) }));
      st.matcher = new RegExpMatcher({ blacklistedTerms: terms, ...englishRecommendedTransformers });
    } else {
      st.matcher = new RegExpMatcher({ ...englishDataset.build(), ...englishRecommendedTransformers });
    }
  }
  return st.matcher;
}

/** Which filter (if any) the message trips in this room. */
export function matchFilters(config: Config, room: Room, msg: SessionMessage | null): FilterMatch | null {
  const rs = roomFilterSettings(config, room.token);
  const body = msg?.body ?? '';
  for (const a of rs.alphabets) {
    if (ALPHABETS[a].test(body)) return { type: 'alphabet', language: a, silent: rs.alphabetSilent };
  }
  if (rs.profanityFilter) {
    const m = profanityMatcher(config);
    for (const part of [body, msg?.displayName ?? '']) {
      if (part !== '' && m.hasMatch(part)) return { type: 'profanity', language: null, silent: rs.profanitySilent };
    }
  }
  return null;
}

export interface ReplySettings {
  reply: string[];
  profileName: string;
  public: boolean;
}

/** Merged [filter:ROOM:TYPE] settings, least to most specific (docs/protocol/api.md §9.3); null without a reply. */
export function replySettings(config: Config, room: Room, match: FilterMatch): ReplySettings | null {
  const { replies } = setup(config).sections;
  const merged: Section = {};
  const types = ['*', match.type, ...(match.language ? [match.language] : [])];
  for (const r of ['*', room.token.toLowerCase()]) {
    for (const t of types) Object.assign(merged, replies.get(`${r}:${t}`) ?? {});
  }
  const alternatives = (merged['reply'] ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
  if (alternatives.length === 0) return null;
  return {
    reply: alternatives,
    profileName: merged['profile_name'] || 'SOGS',
    public: merged['public'] !== undefined ? parseBool(merged['public'], '[filter] public') : false,
  };
}

/** Reply escapes: \@ poster id with @, \p display name, \r room name, \t room token, \n, \\. */
export function formatReply(template: string, room: Room, poster: User, displayName: string | null): string {
  return template.replace(/\\(.)/g, (all, c: string) => {
    switch (c) {
      case '@':
        return '@' + poster.sessionId;
      case 'p':
        return displayName || poster.sessionId;
      case 'r':
        return room.name;
      case 't':
        return room.token;
      case 'n':
        return '\n';
      case '\\':
        return '\\';
      default:
        return all;
    }
  });
}

/** Session pads bodies to a multiple of 160 bytes (0x80 then zeros). */
function pad(content: Buffer): Buffer {
  return addPadding(content, Math.ceil((content.length + 1) / 160) * 160);
}

/** Inserts the filter bot's reply, if one is configured for this match (docs/protocol/api.md §7.1 step 3). */
async function postFilterReply(s: Services, room: Room, poster: User, match: FilterMatch, msg: SessionMessage | null): Promise<void> {
  const rs = replySettings(s.config, room, match);
  if (!rs) return;
  const template = rs.reply[crypto.randomInt(rs.reply.length)]!;
  const body = formatReply(template, room, poster, msg?.displayName ?? null);
  const now = s.clock.now();
  const keys = filterBotKeys(rs.profileName, s.keys.secret);
  const bot = await s.store.ensureUser(keys.sessionId, now);
  const data = pad(encodeSessionMessage({ body, displayName: rs.profileName, timestamp: Math.floor(now * 1000) }));
  await s.store.insertMessage({
    roomId: room.id, userId: bot.id, data, signature: signEd25519(keys.secretKey, data),
    whisperTo: rs.public ? null : poster.id, whisperMods: false, filtered: false, now,
  });
}

export interface FilterOutcome {
  /** Store the post hidden (filtered = true), or drop the edit. */
  silent: boolean;
  /** Call after the filtered post is stored: inserts the bot reply, if any. */
  afterStore(): Promise<void>;
}

/**
 * Runs the content filters for a post or edit. null = passes. A rejecting filter inserts its bot
 * reply and throws 429 `filtration rejected message (<type>)`; a silent one returns an outcome.
 */
export async function applyFilters(s: Services, room: Room, user: User, perms: Permissions, data: Buffer): Promise<FilterOutcome | null> {
  if (perms.moderator && !s.config.filterMods) return null;
  const rs = roomFilterSettings(s.config, room.token);
  if (!rs.profanityFilter && rs.alphabets.length === 0) return null;
  const msg = decodeSessionMessage(data);
  const match = matchFilters(s.config, room, msg);
  if (!match) return null;
  s.log.info({ room: room.token, user: user.sessionId, filter: match.type, language: match.language, silent: match.silent }, 'message filtered');
  if (!match.silent) {
    await postFilterReply(s, room, user, match, msg);
    throw new DomainError('rate-limited', `filtration rejected message (${match.type})`);
  }
  return { silent: true, afterStore: () => postFilterReply(s, room, user, match, msg) };
}
