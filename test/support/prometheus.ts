/** Reading Prometheus's text exposition format (GET /metrics) in tests. */

/** The value of one series (`name{labels} value`, labels as the server orders them), or undefined when it is absent. */
export function seriesValue(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}
