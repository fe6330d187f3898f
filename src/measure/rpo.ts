/** One write attempted by the sentinel writer. Times are epoch ms (`hrNow()`). */
export interface SentinelWrite {
  seq: number;
  /** The timestamp stored with the record (whole milliseconds). */
  writtenAt: number;
  /** When the write was sent and when it settled (ack, error or timeout). */
  sentAt: number;
  settledAt: number;
  /** The store said the write is done (HTTP 2xx, COMMIT returned, EXEC replied). */
  acked: boolean;
  error?: string;
}

/** A record read back after the fault/restore. */
export interface SurvivingRecord {
  seq: number;
  /** The timestamp found in the store, when it keeps one. */
  writtenAt?: number;
}

export interface RpoInput {
  writes: readonly SentinelWrite[];
  survivors: readonly SurvivingRecord[];
  /** When the fault was injected (or the data destroyed). */
  faultAt: number;
  /** Stored vs sent timestamps differing by more than this are reported as mismatches. Default 1 ms. */
  timestampToleranceMs?: number;
}

export interface RpoResult {
  faultAt: number;
  writes: number;
  acked: number;
  unacked: number;
  /** Acknowledged writes whose data point is older than the fault (`writtenAt < faultAt`). */
  ackedBeforeFault: number;
  survived: number;
  survivedUnacked: number;
  /** Sequence numbers acknowledged before the fault and missing now: data the system promised and lost. */
  lostAcked: number[];
  /** Acknowledged after the fault (e.g. during a restore) and missing now; not part of the RPO. */
  lostAckedAfterFault: number[];
  /**
   * faultAt − timestamp of the recovery point: the newest acknowledged record before which no acknowledged
   * record was lost. With no holes this is the newest surviving acknowledged record before the loss (the
   * definition of issue #8). 0 when nothing acknowledged before the fault was lost.
   */
  rpoMs: number;
  /** True when even the first acknowledged write was lost: the true RPO is larger than `rpoMs`. */
  lowerBound: boolean;
  recoveryPoint: { seq: number; writtenAt: number } | null;
  /** Newest surviving acknowledged write older than the fault (may be newer than the recovery point). */
  newestSurvivor: { seq: number; writtenAt: number } | null;
  /** Lost acknowledged seqs older than the newest survivor (the store lost data out of order). */
  holes: number[];
  /** Survivors whose stored timestamp differs from the one written. */
  timestampMismatches: number[];
  /** Survivors in the writer's seq range the writer never wrote (another writer, or a stale table). */
  unexpected: number[];
  /** Plain-words statement of the result, for reports. */
  summary: string;
}

/** RPO from what was written and what was read back. Pure; never guesses: every number is counted. */
export function computeRpo(input: RpoInput): RpoResult {
  const { faultAt } = input;
  const tolerance = input.timestampToleranceMs ?? 1;
  const writes = [...input.writes].sort((a, b) => a.seq - b.seq);
  const written = new Map(writes.map((w) => [w.seq, w]));
  const survivors = new Map(input.survivors.map((s) => [s.seq, s]));
  const acked = writes.filter((w) => w.acked);
  const ackedBefore = acked.filter((w) => w.writtenAt < faultAt);
  const ackedAfter = acked.filter((w) => w.writtenAt >= faultAt);
  const lostAcked = ackedBefore.filter((w) => !survivors.has(w.seq));
  const lostAckedAfterFault = ackedAfter.filter((w) => !survivors.has(w.seq)).map((w) => w.seq);
  const survivedWrites = writes.filter((w) => survivors.has(w.seq));
  const timestampMismatches = survivedWrites
    .filter((w) => {
      const stored = survivors.get(w.seq)?.writtenAt;
      return stored !== undefined && Math.abs(stored - w.writtenAt) > tolerance;
    })
    .map((w) => w.seq);
  const minSeq = writes[0]?.seq ?? 0;
  const maxSeq = writes.at(-1)?.seq ?? -1;
  const unexpected = [...survivors.keys()].filter((seq) => seq >= minSeq && seq <= maxSeq && !written.has(seq)).sort((a, b) => a - b);

  const survivingAckedBefore = ackedBefore.filter((w) => survivors.has(w.seq));
  const newest = survivingAckedBefore.reduce<SentinelWrite | undefined>((best, w) => (!best || w.writtenAt > best.writtenAt ? w : best), undefined);
  const newestSurvivor = newest ? { seq: newest.seq, writtenAt: newest.writtenAt } : null;

  let rpoMs = 0;
  let lowerBound = false;
  let recoveryPoint: RpoResult['recoveryPoint'] = null;
  let holes: number[] = [];
  if (lostAcked.length > 0) {
    const oldestLost = lostAcked.reduce((a, b) => (b.writtenAt < a.writtenAt ? b : a));
    const before = ackedBefore.filter((w) => w.writtenAt < oldestLost.writtenAt);
    const point = before.reduce<SentinelWrite | undefined>((best, w) => (!best || w.writtenAt > best.writtenAt ? w : best), undefined);
    if (point) {
      recoveryPoint = { seq: point.seq, writtenAt: point.writtenAt };
      rpoMs = faultAt - point.writtenAt;
    } else {
      lowerBound = true;
      rpoMs = faultAt - oldestLost.writtenAt;
    }
    if (newest) holes = lostAcked.filter((w) => w.writtenAt < newest.writtenAt).map((w) => w.seq);
  } else if (newest) {
    recoveryPoint = newestSurvivor;
  }

  const result: Omit<RpoResult, 'summary'> = {
    faultAt,
    writes: writes.length,
    acked: acked.length,
    unacked: writes.length - acked.length,
    ackedBeforeFault: ackedBefore.length,
    survived: survivedWrites.length,
    survivedUnacked: survivedWrites.filter((w) => !w.acked).length,
    lostAcked: lostAcked.map((w) => w.seq),
    lostAckedAfterFault,
    rpoMs,
    lowerBound,
    recoveryPoint,
    newestSurvivor,
    holes,
    timestampMismatches,
    unexpected,
  };
  return { ...result, summary: describeRpo(result) };
}

function describeRpo(r: Omit<RpoResult, 'summary'>): string {
  const parts = [`${r.acked}/${r.writes} writes acknowledged, ${r.ackedBeforeFault} of them before the fault`];
  if (r.ackedBeforeFault === 0) parts.push('no acknowledged write preceded the fault, so this run cannot show data loss');
  if (r.lostAcked.length === 0) parts.push(`all ${r.ackedBeforeFault} survived: RPO 0 ms`);
  else {
    parts.push(`${r.lostAcked.length} acknowledged write(s) lost (seq ${compactRanges(r.lostAcked)})`);
    parts.push(`RPO ${r.lowerBound ? '≥ ' : ''}${Math.round(r.rpoMs)} ms${r.recoveryPoint ? ` (recovery point seq ${r.recoveryPoint.seq})` : ' (even the first acknowledged write was lost)'}`);
  }
  if (r.holes.length > 0) parts.push(`${r.holes.length} lost write(s) are older than a surviving one (out-of-order loss)`);
  if (r.lostAckedAfterFault.length > 0) parts.push(`${r.lostAckedAfterFault.length} write(s) acknowledged after the fault were lost too`);
  if (r.timestampMismatches.length > 0) parts.push(`${r.timestampMismatches.length} survivor(s) with a different timestamp than written`);
  if (r.unexpected.length > 0) parts.push(`${r.unexpected.length} unexpected record(s) in the writer's range`);
  return `${parts.join('; ')}.`;
}

/** `1-4,7,9-10` */
export function compactRanges(seqs: readonly number[]): string {
  const sorted = [...new Set(seqs)].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j += 1;
    out.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return out.join(',');
}
