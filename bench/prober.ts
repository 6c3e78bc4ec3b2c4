// The attack scenario's new client (bench/attack-load.ts probeLoop), in a process of its own so
// that its latency is the server's and not the load generator's: argv URL PATH EVERY_MS TIMEOUT_MS;
// on the message 'stop' it sends its outcomes back and exits.
import { probeLoop, type OutcomesMessage } from './attack-load';

const [url, path, everyMs, timeoutMs] = process.argv.slice(2);
const stop = probeLoop(url!, path!, Number(everyMs), Number(timeoutMs));
process.on('message', () => {
  void stop().then((o) => {
    const m: OutcomesMessage = { latenciesMs: o.latenciesMs, statuses: [...o.statuses], errors: o.errors, timeouts: o.timeouts };
    process.send!(m, () => process.exit(0));
  });
});
