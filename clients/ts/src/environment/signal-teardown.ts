/**
 * Tears down this process's open environments when it gets SIGINT (Ctrl-C) or SIGTERM,
 * instead of leaving their services running for rigd's orphan grace, then lets the
 * signal do what it would have done without rig.
 *
 * While an environment is open, rig's listener stands in for the listeners the process
 * already had (a test runner's, a library's such as signal-exit, the app's): it tears
 * down first, then puts them back and hands them the signal; with none, it raises the
 * signal again so node's default action applies (the process dies of it). Putting them
 * back before tearing down also means a second signal meanwhile takes its usual course
 * at once. Listeners added while an environment is open are left in place.
 *
 * Nothing is installed while no environment is open, so such a process keeps node's
 * behaviour untouched.
 */

/** Tears one environment down; `reason` is recorded in its log. */
export type SignalTeardown = (reason: string) => Promise<unknown>;

const SIGNALS = ["SIGINT", "SIGTERM"] as const;
type HandledSignal = (typeof SIGNALS)[number];
type Listener = (...args: unknown[]) => void;

/** The longest a signal waits for the teardowns before taking its course anyway. */
const TEARDOWN_BOUND_MS = 10_000;

const open = new Set<SignalTeardown>();
/** Per signal: rig's listener and the listeners it stands in for. */
const installed = new Map<HandledSignal, { readonly ours: Listener; readonly originals: Listener[] }>();

/**
 * Registers an open environment for teardown on SIGINT/SIGTERM; the returned function
 * unregisters it (call it once the environment is down).
 */
export function tearDownOnSignal(teardown: SignalTeardown): () => void {
  open.add(teardown);
  install();
  return () => {
    open.delete(teardown);
    if (open.size === 0) uninstall();
  };
}

function install(): void {
  if (installed.size > 0 || process.platform === "win32") return;
  for (const signal of SIGNALS) {
    const originals = process.rawListeners(signal) as Listener[];
    process.removeAllListeners(signal);
    const ours: Listener = () => onSignal(signal);
    process.on(signal, ours);
    installed.set(signal, { ours, originals });
  }
}

/** Removes rig's listeners and puts the originals back, first, in their order. */
function uninstall(): Map<HandledSignal, Listener[]> {
  const restored = new Map<HandledSignal, Listener[]>();
  for (const [signal, { ours, originals }] of installed) {
    process.removeListener(signal, ours);
    for (const listener of [...originals].reverse()) process.prependListener(signal, listener);
    restored.set(signal, originals);
  }
  installed.clear();
  return restored;
}

function onSignal(signal: HandledSignal): void {
  const originals = uninstall().get(signal) ?? [];
  const teardowns = [...open];
  open.clear();
  // The timer holds the process up while tearing down, bounded.
  let bound: NodeJS.Timeout | undefined;
  const timedOut = new Promise<void>((resolve) => {
    bound = setTimeout(resolve, TEARDOWN_BOUND_MS);
  });
  const done = Promise.allSettled(teardowns.map((teardown) => teardown(`test process got ${signal}`)));
  void Promise.race([done, timedOut]).then(() => {
    clearTimeout(bound);
    if (originals.length > 0) {
      for (const listener of originals) listener.call(process, signal);
    } else if (process.listenerCount(signal) === 0) {
      process.kill(process.pid, signal);
    }
  });
}
