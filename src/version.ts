// The server's version: what `sogs --version` prints and the console's status page shows.
export const SERVER_VERSION = '0.1.0';
