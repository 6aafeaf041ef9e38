/**
 * The Prometheus text exposition format (0.0.4), parsed for assertions: every sample by its
 * series (`name{label="value",...}`, labels sorted by name, as `series()` writes them), and the
 * TYPE of every metric family.
 */
export interface Scrape {
  readonly samples: ReadonlyMap<string, number>;
  readonly types: ReadonlyMap<string, string>;
  /** The value of one sample; throws naming it when the scrape has no such sample. */
  value(name: string, labels?: Readonly<Record<string, string>>): number;
  /** Whether the scrape has the sample. */
  has(name: string, labels?: Readonly<Record<string, string>>): boolean;
  /** Sample names (without labels), each once. */
  names(): string[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function series(name: string, labels: Readonly<Record<string, string>> = {}): string {
  const pairs = Object.entries(labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `${key}="${value}"`);
  return pairs.length ? `${name}{${pairs.join(',')}}` : name;
}

export function parsePrometheusText(text: string): Scrape {
  const samples = new Map<string, number>();
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ')) continue;
    if (line.startsWith('# TYPE ')) {
      const [name, type] = line.slice('# TYPE '.length).split(' ');
      types.set(name, type);
      continue;
    }
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(LABEL))
      labels[key] = value.replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c));
    const key = series(match[1], labels);
    if (samples.has(key)) throw new Error(`sample ${key} appears twice`);
    samples.set(key, match[3] === '+Inf' ? Infinity : match[3] === '-Inf' ? -Infinity : Number(match[3]));
  }
  return {
    samples,
    types,
    value(name, labels = {}) {
      const key = series(name, labels);
      const value = samples.get(key);
      if (value === undefined) throw new Error(`the scrape has no sample ${key}`);
      return value;
    },
    has: (name, labels = {}) => samples.has(series(name, labels)),
    names: () => [...new Set([...samples.keys()].map((key) => key.replace(/\{.*$/, '')))],
  };
}

/**
 * Whether a Content-Type is Prometheus's text format 0.0.4, whatever the order of its parameters
 * (Express 5 early releases write `charset` first, later ones `version`).
 */
export function isPrometheusTextType(contentType: string | null): boolean {
  const [mediaType, ...parameters] = (contentType ?? '').split(';').map((part) => part.trim().toLowerCase());
  return mediaType === 'text/plain' && parameters.includes('version=0.0.4');
}
