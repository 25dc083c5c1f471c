#!/bin/bash
# Two seeds side by side as two processes, as two worker threads of one process (--jobs 2), and one seed alone:
# three interleaved rounds of 6 CPU steps each, then the median phase and step times of each arrangement.
args="--preset random-qwen-math --backend cpu --steps 6 --set evalevery=0 --set evalsize=4 --set avgk=1 --quiet"
for i in 1 2 3; do
  rm -rf /tmp/ab2-*-$i
  npx tsx src/cli/lab.ts run $args --seeds 1 --set seed=1 --jobs 1 --out /tmp/ab2-proc-$i/seed-1 >/dev/null 2>&1 &
  npx tsx src/cli/lab.ts run $args --seeds 1 --set seed=2 --jobs 1 --out /tmp/ab2-proc-$i/seed-2 >/dev/null 2>&1 &
  wait
  npx tsx src/cli/lab.ts run $args --seeds 2 --set seed=1 --jobs 2 --out /tmp/ab2-thr-$i >/dev/null 2>&1
  npx tsx src/cli/lab.ts run $args --seeds 1 --set seed=1 --jobs 1 --out /tmp/ab2-alone-$i/seed-1 >/dev/null 2>&1
done
python3 - <<'PY'
import json,statistics,glob
for arm in ['alone','proc','thr']:
    ph={'timeRolloutMs':[],'timeLogprobsMs':[],'timeUpdateMs':[],'step':[]}
    for f in glob.glob(f'/tmp/ab2-{arm}-*/seed-*/metrics.jsonl'):
        for l in open(f):
            e=json.loads(l)
            if e['type']=='step':
                m=e['metrics']
                for k in ph:
                    if k!='step': ph[k].append(m[k])
                ph['step'].append(m['timeRolloutMs']+m['timeScoringMs']+m['timeLogprobsMs']+m['timeUpdateMs'])
    print(arm, 'n', len(ph['step']), {k: round(statistics.median(v)) for k,v in ph.items()})
PY
