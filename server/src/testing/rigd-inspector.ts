/**
 * A look inside a rigd started with `--inspect=127.0.0.1:PORT` (startRigd's `nodeArgs`),
 * over the inspector protocol (Node's global WebSocket), one short session per look so
 * nothing stays attached in between: `process.memoryUsage()` before and after a full GC
 * (the live heap, as opposed to heap V8 has not given back), and a heap snapshot counted
 * by constructor. For benches and specs only: rigd's API has no way to force a GC.
 */
import { createServer } from "node:net";

/** A free TCP port on 127.0.0.1 for the inspector (free when asked; rigd binds it at once). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** rigd's memory as seen from inside, before and after a full GC. */
export interface HeapLook {
  readonly before: NodeJS.MemoryUsage;
  readonly afterGc: NodeJS.MemoryUsage;
}

/**
 * `process.memoryUsage()` of the process inspected on `port`, then a full GC, then again.
 * The GC is `gc()`, so the process needs `--expose-gc` too: the inspector's own
 * HeapProfiler.collectGarbage is a memory-reducing GC that shrinks the heap V8 keeps,
 * which would flatter every figure read after it.
 */
export async function lookAtHeap(port: number): Promise<HeapLook> {
  return withSession(port, async (session) => {
    const usage = async (): Promise<NodeJS.MemoryUsage> => {
      const result = await session.send("Runtime.evaluate", { expression: "process.memoryUsage()", returnByValue: true });
      return (result.result as { value: NodeJS.MemoryUsage }).value;
    };
    const before = await usage();
    await session.send("Runtime.evaluate", { expression: "gc()" });
    return { before, afterGc: await usage() };
  });
}

/**
 * What the heap of the process inspected on `port` holds after a full GC (a snapshot
 * collects first): how many objects of each constructor and shape (`Name{prop,prop}`, so
 * plain objects of different kinds count apart), closures of each name (`name()`), and
 * strings of each pattern (`"cycle-#-#"`: digits and hex runs as #, the first 60 characters).
 */
export async function heapCounts(port: number): Promise<Map<string, number>> {
  const json = await withSession(port, async (session) => {
    const chunks: string[] = [];
    session.on("HeapProfiler.addHeapSnapshotChunk", (params) => chunks.push(params.chunk as string));
    await session.send("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
    return chunks.join("");
  });
  return countByConstructor(JSON.parse(json) as HeapSnapshot);
}

interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]]; edge_fields: string[]; edge_types: [string[], ...unknown[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

function countByConstructor(heap: HeapSnapshot): Map<string, number> {
  const { node_fields: fields, node_types, edge_fields: edgeFields, edge_types } = heap.snapshot.meta;
  const [types, edgeTypes] = [node_types[0], edge_types[0]];
  const [typeAt, nameAt, edgeCountAt] = [fields.indexOf("type"), fields.indexOf("name"), fields.indexOf("edge_count")];
  const [edgeTypeAt, edgeNameAt] = [edgeFields.indexOf("type"), edgeFields.indexOf("name_or_index")];
  const counts = new Map<string, number>();
  let edge = 0; // a node's edges follow those of the nodes before it
  for (let i = 0; i < heap.nodes.length; i += fields.length) {
    const type = types[heap.nodes[i + typeAt]!]!;
    const name = heap.strings[heap.nodes[i + nameAt]!]!;
    const edgesEnd = edge + heap.nodes[i + edgeCountAt]! * edgeFields.length;
    let key: string | undefined;
    if (type === "object") {
      const props: string[] = [];
      for (let e = edge; e < edgesEnd; e += edgeFields.length) {
        if (edgeTypes[heap.edges[e + edgeTypeAt]!] === "property") props.push(heap.strings[heap.edges[e + edgeNameAt]!]!);
      }
      key = `${name}{${props.join(",")}}`;
    } else if (type === "closure") key = `${name}()`;
    else if (type.endsWith("string")) key = `"${name.slice(0, 60).replace(/[0-9a-f]*\d[0-9a-f]*/g, "#")}"`;
    edge = edgesEnd;
    if (key !== undefined) counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

async function withSession<T>(port: number, use: (session: InspectorSession) => Promise<T>): Promise<T> {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as { webSocketDebuggerUrl: string }[];
  const url = targets[0]?.webSocketDebuggerUrl;
  if (!url) throw new Error(`no inspector target at 127.0.0.1:${port} (was the process started with --inspect=127.0.0.1:${port}?)`);
  const session = await InspectorSession.open(url);
  try {
    return await use(session);
  } finally {
    session.close();
  }
}

type Params = Record<string, unknown>;

/** A Chrome DevTools protocol session: numbered requests, answers matched by id, events by method. */
class InspectorSession {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: Params) => void; reject: (e: Error) => void }>();
  private readonly listeners = new Map<string, (params: Params) => void>();

  private constructor(private readonly socket: WebSocket) {
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(String(event.data)) as { id?: number; method?: string; params?: Params; result?: Params; error?: { message: string } };
      if (message.method) return this.listeners.get(message.method)?.(message.params ?? {});
      const waiter = this.pending.get(message.id ?? -1);
      if (!waiter) return;
      this.pending.delete(message.id!);
      if (message.error) waiter.reject(new Error(`inspector: ${message.error.message}`));
      else waiter.resolve(message.result ?? {});
    });
    socket.addEventListener("close", () => {
      for (const waiter of this.pending.values()) waiter.reject(new Error("inspector session closed"));
      this.pending.clear();
    });
  }

  static open(url: string): Promise<InspectorSession> {
    const socket = new WebSocket(url);
    return new Promise((resolve, reject) => {
      socket.addEventListener("open", () => resolve(new InspectorSession(socket)), { once: true });
      socket.addEventListener("error", () => reject(new Error(`cannot connect to the inspector at ${url}`)), { once: true });
    });
  }

  on(method: string, listener: (params: Params) => void): void {
    this.listeners.set(method, listener);
  }

  send(method: string, params: Params = {}): Promise<Params> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  close(): void {
    this.socket.close();
  }
}
