/** One value of a series at `at` (epoch ms). */
export interface SeriesPoint {
  at: number;
  value: number;
}

/** A numeric time series drawn as its own chart, e.g. `replicas` of the backend Deployment. */
export interface Series {
  name: string;
  unit: string;
  /** `step` for counts such as replicas; `line` otherwise. */
  shape: 'step' | 'line';
  points: SeriesPoint[];
}
