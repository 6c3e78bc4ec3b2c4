// The web moderation console's records (src/web/console/): one-time sign-in links and signed-in
// sessions, kept in the database so that every server process on it honours them.

/** A signed-in console session; the browser holds its token, the database only the token's hash. */
export interface ConsoleSession {
  id: number;
  /** The Session id (05 or 15) the session acts as. */
  sessionId: string;
  /** The session's CSRF token, put in every form and checked on every POST. */
  csrf: string;
  created: number;
  expires: number;
}

export interface NewConsoleSession {
  tokenHash: string;
  sessionId: string;
  csrf: string;
  created: number;
  expires: number;
}

/** Posts of one room on one day (UTC days since the epoch). */
export interface DailyPosts {
  roomId: number;
  day: number;
  posts: number;
}
