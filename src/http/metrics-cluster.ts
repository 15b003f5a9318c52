/**
 * Metrics under `serve --workers N` (node:cluster): a scrape reaches one worker, which asks the
 * primary; the primary asks every worker for its figures and merges them, each series labelled
 * with its `worker` (cluster's worker id, new for a replacement). Not summed across workers:
 * a sum would fall when a worker dies, which Prometheus reads as a counter reset, and `rate()`
 * would count the survivors' whole totals again as a false spike (found in review). Per worker,
 * a dead worker's series go stale and a replacement's start afresh, as Prometheus expects; sum
 * them in the query (`sum without (worker) (…)`).
 *
 * A worker that does not answer within GATHER_TIMEOUT_MS (starting up, not yet instrumented,
 * or stuck) is left out of that scrape rather than failing it, and the primary logs it.
 */
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue, type Registry } from 'prom-client';

/** Worker → primary: gather the instance's figures. Primary → worker: the text, or why not. */
const SCRAPE = 'borealis:metrics-scrape';
const SCRAPED = 'borealis:metrics-scraped';
/** Primary → each worker: your figures. Worker → primary: here they are. */
const GATHER = 'borealis:metrics-gather';
const GATHERED = 'borealis:metrics-gathered';

const GATHER_TIMEOUT_MS = 2_000;
/** Longer than the primary's own wait, so that its answer (partial, or its error) arrives first. */
const SCRAPE_TIMEOUT_MS = GATHER_TIMEOUT_MS + 3_000;

type Figures = MetricObjectWithValues<MetricValue<string>>[];
interface Message {
  type?: string;
  id?: number;
  text?: string;
  error?: string;
  figures?: Figures;
}

/** In a worker: label this worker's series, answer the primary's gathers, and scrape through it. */
export function workerMetrics(registry: Registry): () => Promise<string> {
  registry.setDefaultLabels({ worker: String(cluster.worker?.id ?? process.pid) });
  const pending = new Map<number, { resolve: (text: string) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>();
  let asked = 0;
  process.on('message', (message: Message) => {
    if (message?.type === GATHER) {
      void registry.getMetricsAsJSON().then((figures) => process.send?.({ type: GATHERED, id: message.id, figures }));
    } else if (message?.type === SCRAPED && message.id !== undefined) {
      const waiting = pending.get(message.id);
      if (!waiting) return;
      pending.delete(message.id);
      clearTimeout(waiting.timer);
      if (message.error === undefined) waiting.resolve(message.text ?? '');
      else waiting.reject(new Error(message.error));
    }
  });
  return () =>
    new Promise((resolve, reject) => {
      const id = ++asked;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error('the primary process did not answer with the metrics in time'));
      }, SCRAPE_TIMEOUT_MS);
      pending.set(id, { resolve, reject, timer });
      process.send?.({ type: SCRAPE, id });
    });
}

/** In the primary: answer scrapes with every answering worker's figures. */
export function answerScrapes(log: { warn(details: object, message: string): void }): void {
  const gathers = new Map<number, { figures: Figures[]; waiting: Set<number>; done: () => void }>();
  let gathered = 0;
  cluster.on('message', (worker: Worker, message: Message) => {
    if (message?.type === GATHERED && message.id !== undefined) {
      const gather = gathers.get(message.id);
      if (!gather || !gather.waiting.delete(worker.id)) return;
      gather.figures.push(message.figures ?? []);
      if (gather.waiting.size === 0) gather.done();
      return;
    }
    if (message?.type !== SCRAPE) return;
    const id = ++gathered;
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && w.isConnected());
    const gather = { figures: [] as Figures[], waiting: new Set(workers.map((w) => w.id)), done: () => {} };
    const answer = (reply: { text?: string; error?: string }) => {
      if (worker.isConnected()) worker.send({ type: SCRAPED, id: message.id, ...reply });
    };
    gather.done = () => {
      clearTimeout(timer);
      gathers.delete(id);
      if (gather.waiting.size > 0) log.warn({ workers: [...gather.waiting] }, 'metrics: workers did not answer in time; left out of this scrape');
      AggregatorRegistry.aggregate(gather.figures)
        .metrics()
        .then((text) => answer({ text }), (error: unknown) => answer({ error: error instanceof Error ? error.message : String(error) }));
    };
    const timer = setTimeout(() => gather.done(), GATHER_TIMEOUT_MS);
    gathers.set(id, gather);
    for (const w of workers) w.send({ type: GATHER, id });
    if (workers.length === 0) gather.done();
  });
}
