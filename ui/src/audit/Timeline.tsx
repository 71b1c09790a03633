import { OUTCOMES, timeline, type AuditRecord } from "./records";

const BUCKETS = 60;
const HEIGHT = 56;

/** Density of the loaded rows over time, stacked by outcome; a bar's tooltip gives its counts. */
export function Timeline({ records }: { records: readonly AuditRecord[] }) {
  const buckets = timeline(records, BUCKETS);
  if (buckets.length === 0) return null;
  const peak = Math.max(1, ...buckets.map((b) => b.counts.success + b.counts.failure + b.counts.denied));
  const first = buckets[0]!;
  const last = buckets[buckets.length - 1]!;
  return (
    <figure className="timeline" data-testid="audit-timeline">
      <svg viewBox={`0 0 ${BUCKETS * 10} ${HEIGHT}`} preserveAspectRatio="none" role="img" aria-label="Audit events over time by outcome">
        {buckets.map((bucket, i) => {
          let y = HEIGHT;
          const title = `${new Date(bucket.start).toLocaleString()}: ${OUTCOMES.map((o) => `${bucket.counts[o]} ${o}`).join(", ")}`;
          return (
            <g key={i}>
              <title>{title}</title>
              <rect x={i * 10} y={0} width={10} height={HEIGHT} className="tl-hit" />
              {OUTCOMES.map((outcome) => {
                const h = (bucket.counts[outcome] / peak) * (HEIGHT - 4);
                y -= h;
                return h > 0 ? <rect key={outcome} x={i * 10 + 1} y={y} width={8} height={h} className={`tl-${outcome}`} /> : null;
              })}
            </g>
          );
        })}
      </svg>
      <figcaption>
        <span>{new Date(first.start).toLocaleString()}</span>
        <span className="tl-legend">
          {OUTCOMES.map((o) => (
            <span key={o}>
              <span className={`legend-dot tl-${o}`} /> {o}
            </span>
          ))}
        </span>
        <span>{new Date(last.end).toLocaleString()}</span>
      </figcaption>
    </figure>
  );
}
